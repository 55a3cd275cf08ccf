/* cz-event-sink.c: engine thread → main thread event batches. */
#include "config.h"

#include <string.h>

#include "cz-event-sink.h"
#include "cz-util.h"

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
  guint delay_ms;             /* from the first event of a batch to its drain */
  /* Bounds (0: none), set before the engine starts; the rest under lock. */
  guint max_events;
  gsize max_bytes;
  GMutex lock;
  gsize queued_bytes;
  guint64 dropped;
};

/* What an event costs the byte bound. */
static gsize
event_cost (const CzServerEvent *e)
{
  return sizeof *e + (e->text ? strlen (e->text) : 0);
}

static void
sink_clear (CzEventSink *sink)
{
  g_async_queue_unref (sink->queue);
  g_main_context_unref (sink->context);
  g_mutex_clear (&sink->lock);
}

CzEventSink *
cz_event_sink_new (GMainContext *context, CzEventBatchFunc func, gpointer user_data)
{
  CzEventSink *sink = g_atomic_rc_box_new0 (CzEventSink);

  sink->queue = g_async_queue_new_full ((GDestroyNotify) cz_server_event_free);
  sink->context = g_main_context_ref (context ? context : g_main_context_default ());
  sink->func = func;
  sink->user_data = user_data;
  g_mutex_init (&sink->lock);
  sink->delay_ms = DRAIN_DELAY_MS;
  return sink;
}

void
cz_event_sink_set_delay (CzEventSink *sink, guint delay_ms)
{
  sink->delay_ms = delay_ms;
}

void
cz_event_sink_set_bounds (CzEventSink *sink, guint max_events, gsize max_bytes)
{
  sink->max_events = max_events;
  sink->max_bytes = max_bytes;
}

guint64
cz_event_sink_take_dropped (CzEventSink *sink)
{
  guint64 dropped;

  g_mutex_lock (&sink->lock);
  dropped = sink->dropped;
  sink->dropped = 0;
  g_mutex_unlock (&sink->lock);
  return dropped;
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
  source = g_timeout_source_new (sink->delay_ms);
  g_source_set_name (source, "[causerie] server events");
  g_source_set_callback (source, drain_cb, cz_event_sink_ref (sink),
                         (GDestroyNotify) cz_event_sink_unref);
  g_source_attach (source, sink->context);
  g_source_unref (source);
}

/* Hands up to DRAIN_MAX queued events to the consumer; the number. */
static guint
deliver (CzEventSink *sink)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_server_event_free);
  CzServerEvent *event;
  gsize bytes = 0;
  gboolean dropped;

  while (batch->len < DRAIN_MAX && (event = g_async_queue_try_pop (sink->queue)) != NULL)
    {
      bytes += event_cost (event);
      g_ptr_array_add (batch, event);
    }
  g_mutex_lock (&sink->lock);
  sink->queued_bytes -= MIN (bytes, sink->queued_bytes);
  dropped = sink->dropped > 0;
  g_mutex_unlock (&sink->lock);
  /* Also with no events, when some were dropped: the consumer asks. */
  if ((batch->len > 0 || dropped) && sink->func != NULL)
    sink->func (batch, sink->user_data);
  return batch->len;
}

static gboolean
drain_cb (gpointer data)
{
  CzEventSink *sink = data;
  gboolean more;

  /* Cleared first: an event pushed from now on schedules the next drain. */
  g_atomic_int_set (&sink->scheduled, 0);
  deliver (sink);
  more = g_async_queue_length (sink->queue) > 0;
  if (more)
    schedule (sink);
  return G_SOURCE_REMOVE;
}

void
cz_event_sink_drain (CzEventSink *sink)
{
  while (deliver (sink) > 0)
    ;
}

void
cz_event_sink_push (const CzServerEvent *event, gpointer data)
{
  CzEventSink *sink = data;
  CzServerEvent *copy;

  if (sink->max_events > 0 || sink->max_bytes > 0)
    {
      gsize cost = event_cost (event);
      gboolean full;

      g_mutex_lock (&sink->lock);
      full = (sink->max_events > 0 && (guint) g_async_queue_length (sink->queue) >= sink->max_events)
             || (sink->max_bytes > 0 && sink->queued_bytes + cost > sink->max_bytes);
      if (full)
        sink->dropped++;
      else
        sink->queued_bytes += cost;
      g_mutex_unlock (&sink->lock);
      if (full)
        {
          schedule (sink);   /* so that the drop is reported */
          return;
        }
    }
  copy = cz_server_event_copy (event);
  if (copy->ts == 0)
    copy->ts = cz_now_ms ();
  g_async_queue_push (sink->queue, copy);
  schedule (sink);
}
