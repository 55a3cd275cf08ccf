/* cz-event-sink.h: hands server engine events from the engine thread to the
 * GTK main thread in batches (DESIGN §6: the window consumes events per
 * frame, so 1,000 messages a second do not stall its main loop).
 *
 * The engine's callback copies each event into a queue; the first event of
 * a batch schedules one drain about a frame later on the main context,
 * which hands the whole batch (up to a bound) to the consumer.  Nothing is
 * scheduled while the engine is quiet. */
#pragma once

#include <glib.h>
#include "cz-server.h"

G_BEGIN_DECLS

typedef struct _CzEventSink CzEventSink;

/* Called on the main context with a batch (CzServerEvent*, in order; empty
 * when only dropped events are new); the array is freed after the call. */
typedef void (*CzEventBatchFunc) (GPtrArray *events, gpointer user_data);

/* Makes a sink that delivers batches to @func on @context (NULL: default). */
CzEventSink *cz_event_sink_new (GMainContext *context, CzEventBatchFunc func, gpointer user_data);
CzEventSink *cz_event_sink_ref (CzEventSink *sink);
void cz_event_sink_unref (CzEventSink *sink);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzEventSink, cz_event_sink_unref)

/* Main context only: stops delivering (queued and later events are dropped).
 * Call when the consumer goes away; the sink may live on in the engine. */
void cz_event_sink_detach (CzEventSink *sink);

/* A CzServerEventFunc: pass the sink as user data (keep a reference for as
 * long as the server lives).  Any thread.  Each queued copy has a time: an
 * event without one (ts 0) gets the time of its push. */
void cz_event_sink_push (const CzServerEvent *event, gpointer sink);

/* From the first event of a batch to its delivery: about a frame (16 ms)
 * by default; 0 for as soon as the main loop gets to it.  Set before the
 * engine starts. */
void cz_event_sink_set_delay (CzEventSink *sink, guint delay_ms);
/* Bounds the queue (0: no bound), before the engine starts: past
 * @max_events queued events or @max_bytes of them (text included), events
 * are dropped and counted. */
void cz_event_sink_set_bounds (CzEventSink *sink, guint max_events, gsize max_bytes);
/* Main context: the events dropped since the last call. */
guint64 cz_event_sink_take_dropped (CzEventSink *sink);
/* Main context: delivers everything queued now (e.g. once the engine has
 * stopped), in batches, before returning. */
void cz_event_sink_drain (CzEventSink *sink);

G_END_DECLS
