/* cz-event-sink.c: engine thread → main thread event batches. */
#include "config.h"

#include "cz-event-sink.h"

/* One drain at most every ~frame; a drain takes at most this many events
 * and reschedules itself for the rest, so the main loop keeps breathing. */
#define DRAIN_DELAY_MS 16
#define DRAIN_MAX 2000

struct _CzEventSink {
  GAsyncQueue *queue;         /* CzServerEvent* */
  GMainContext *context;
  CzEventBatchFunc func;      /* main context only; NULL once detached */
  gpointer user_data;
  gint scheduled;             /* atomic: a drain source is pending */
};

static void
sink_clear (CzEventSink *sink)
{
  g_async_queue_unref (sink->queue);
  g_main_context_unref (sink->context);
}

CzEventSink *
cz_event_sink_new (GMainContext *context, CzEventBatchFunc func, gpointer user_data)
{
  CzEventSink *sink = g_atomic_rc_box_new0 (CzEventSink);

  sink->queue = g_async_queue_new_full ((GDestroyNotify) cz_server_event_free);
  sink->context = g_main_context_ref (context ? context : g_main_context_default ());
  sink->func = func;
  sink->user_data = user_data;
  return sink;
}

CzEventSink *
cz_event_sink_ref (CzEventSink *sink)
{
  return g_atomic_rc_box_acquire (sink);
}

void
cz_event_sink_unref (CzEventSink *sink)
{
  g_atomic_rc_box_release_full (sink, (GDestroyNotify) sink_clear);
}

void
cz_event_sink_detach (CzEventSink *sink)
{
  CzServerEvent *event;

  sink->func = NULL;
  sink->user_data = NULL;
  while ((event = g_async_queue_try_pop (sink->queue)) != NULL)
    cz_server_event_free (event);
}

static gboolean drain_cb (gpointer data);

static void
schedule (CzEventSink *sink)
{
  GSource *source;

  if (!g_atomic_int_compare_and_exchange (&sink->scheduled, 0, 1))
    return;
  source = g_timeout_source_new (DRAIN_DELAY_MS);
  g_source_set_name (source, "[causerie] server events");
  g_source_set_callback (source, drain_cb, cz_event_sink_ref (sink),
                         (GDestroyNotify) cz_event_sink_unref);
  g_source_attach (source, sink->context);
  g_source_unref (source);
}

static gboolean
drain_cb (gpointer data)
{
  CzEventSink *sink = data;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_server_event_free);
  CzServerEvent *event;

  /* Cleared first: an event pushed from now on schedules the next drain. */
  g_atomic_int_set (&sink->scheduled, 0);
  while (batch->len < DRAIN_MAX && (event = g_async_queue_try_pop (sink->queue)) != NULL)
    g_ptr_array_add (batch, event);
  if (g_async_queue_length (sink->queue) > 0)
    schedule (sink);
  if (batch->len > 0 && sink->func != NULL)
    sink->func (batch, sink->user_data);
  return G_SOURCE_REMOVE;
}

void
cz_event_sink_push (const CzServerEvent *event, gpointer data)
{
  CzEventSink *sink = data;

  g_async_queue_push (sink->queue, cz_server_event_copy (event));
  schedule (sink);
}
