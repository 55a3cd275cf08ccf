/* cz-headless.c: the server without a window.
 *
 * The engine reports events on its network thread; writing a log line
 * there (a clock, a printf and a write () per line) cost the relay a few
 * percent of that thread.  So log_event_cb only copies the event into a
 * bounded queue, and the main loop formats the lines and writes each batch
 * to standard error at once.  Message events are not even copied unless
 * --log-messages is given: without it only a per-minute count is logged,
 * so conversations do not end up in the log. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "cz-headless.h"
#include "cz-util.h"

/* A slow standard error must not grow the queue without bound: past
 * either limit events are dropped (and counted, then reported once). */
#define LOG_MAX_PENDING 100000
#define LOG_MAX_PENDING_BYTES (32 * 1024 * 1024)
/* While events keep coming, the main loop drains every 5 ms without being
 * woken; an event after a quiet drain wakes it at once. */
#define LOG_BATCH_INTERVAL_US 5000
/* Written out whenever a batch's text grows past this. */
#define LOG_WRITE_CHUNK 65536
#define LOG_SUMMARY_SECONDS 60

typedef struct {
  gint64 time_us;               /* when the engine reported it (wall clock) */
  gsize cost;                   /* its share of LOG_MAX_PENDING_BYTES */
  CzServerEvent *event;
} LogEntry;

typedef struct {
  GMutex lock;
  GArray *pending;              /* LogEntry; under lock */
  gsize pending_bytes;          /* under lock */
  guint64 dropped;              /* under lock: refused since the last drain */
  gboolean scheduled;           /* under lock: a drain is due, no need to wake */
  gboolean log_messages;        /* set before the engine starts */
  gint messages;                /* atomic: messages not logged since the last summary */
  GSource *drain_source;        /* main context; ready time set to wake it */
  /* Main thread only. */
  GArray *batch;                /* LogEntry, the drain being written */
  GString *out;
  gint64 stamp_second;
  char stamp[16];               /* "HH:MM:SS" of stamp_second */
} HeadlessLog;

/* ---- Formatting ----------------------------------------------------------------- */

static void
format_stamp (gint64 unix_seconds, char stamp[16])
{
  g_autoptr(GDateTime) local = cz_local_time (unix_seconds * 1000);
  g_autofree char *text = local ? g_date_time_format (local, "%H:%M:%S") : NULL;

  g_strlcpy (stamp, text ? text : "??:??:??", 16);
}

/* A C0 control, DEL, or a C1 control (U+0080 to U+009F, in UTF-8 0xc2
 * 0x80 to 0xc2 0x9f; the text is valid UTF-8, so 0xc2 is a lead byte). */
static gboolean
is_control_at (const guchar *p)
{
  return *p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);
}

/* Client-supplied text with its control characters escaped, so a message
 * cannot forge log lines or drive the terminal: @text itself when it has
 * none (the common case), else a copy kept in @copy. */
static const char *
printable (const char *text, char **copy)
{
  const guchar *p = (const guchar *) text;
  const guchar *run;
  GString *out;

  while (*p && !is_control_at (p))
    p++;
  if (*p == 0)
    return text;
  out = g_string_new_len (text, (const char *) p - text);
  for (run = p; *p; p++)
    {
      if (!is_control_at (p))
        continue;
      g_string_append_len (out, (const char *) run, p - run);
      if (*p == '\n')
        g_string_append (out, "\\n");
      else if (*p == '\t')
        g_string_append (out, "\\t");
      else if (*p == '\r')
        g_string_append (out, "\\r");
      else if (*p == 0xc2)
        g_string_append_printf (out, "\\u%04x", *++p);
      else
        g_string_append_printf (out, "\\x%02x", *p);
      run = p + 1;
    }
  g_string_append_len (out, (const char *) run, p - run);
  *copy = g_string_free (out, FALSE);
  return *copy;
}

/* Appends the line for @e (no newline) stamped with @stamp. */
static void
append_line (GString *out, const CzServerEvent *e, const char *stamp)
{
  g_autofree char *copy = NULL;

  switch (e->kind)
    {
    case CZ_SERVER_EVENT_CONNECTED:
      g_string_append_printf (out, _("%s #%" PRIu64 " connected from %s"),
                              stamp, e->client_id, e->address);
      return;
    case CZ_SERVER_EVENT_READY:
      g_string_append_printf (out, _("%s #%" PRIu64 " secured: %s %s %s; DH %s; code %s"),
                              stamp, e->client_id, e->info->protocol, e->info->cipher,
                              e->info->group, e->info->dh_group, e->info->code);
      return;
    case CZ_SERVER_EVENT_LOGGED_IN:
      g_string_append_printf (out, _("%s #%" PRIu64 " logged in as %s"),
                              stamp, e->client_id, e->user);
      return;
    case CZ_SERVER_EVENT_MESSAGE:
      g_string_append_printf (out, _("%s message %" PRId64 " from %s to %s: %s"),
                              stamp, e->message_id, e->from, e->to ? e->to : "#lobby",
                              printable (e->text ? e->text : "", &copy));
      return;
    case CZ_SERVER_EVENT_DISCONNECTED:
      g_string_append_printf (out, _("%s #%" PRIu64 " disconnected%s%s"),
                              stamp, e->client_id, e->text ? ": " : "",
                              e->text ? printable (e->text, &copy) : "");
      return;
    case CZ_SERVER_EVENT_LOG:
      g_string_append_printf (out, "%s %s", stamp, printable (e->text ? e->text : "", &copy));
      return;
    }
  g_string_append (out, stamp);
}

char *
cz_server_event_to_line (const CzServerEvent *e)
{
  GString *out = g_string_new (NULL);
  char stamp[16];

  format_stamp (g_get_real_time () / G_USEC_PER_SEC, stamp);
  append_line (out, e, stamp);
  return g_string_free (out, FALSE);
}

/* ---- The queue: engine thread → main loop --------------------------------------- */

/* A CzServerEventFunc, on the engine thread: as little as possible. */
static void
log_event_cb (const CzServerEvent *event, gpointer user_data)
{
  HeadlessLog *log = user_data;
  LogEntry entry;
  gboolean wake = FALSE;

  if (event->kind == CZ_SERVER_EVENT_MESSAGE && !log->log_messages)
    {
      g_atomic_int_inc (&log->messages);
      return;
    }
  entry.time_us = g_get_real_time ();
  entry.cost = sizeof (LogEntry) + sizeof (CzServerEvent) + (event->text ? strlen (event->text) : 0);
  entry.event = cz_server_event_copy (event);

  g_mutex_lock (&log->lock);
  if (log->pending->len < LOG_MAX_PENDING
      && log->pending_bytes + entry.cost <= LOG_MAX_PENDING_BYTES)
    {
      g_array_append_val (log->pending, entry);
      log->pending_bytes += entry.cost;
      entry.event = NULL;
    }
  else
    log->dropped++;
  if (!log->scheduled)
    log->scheduled = wake = TRUE;
  g_mutex_unlock (&log->lock);

  /* Dropped: the queue is full. */
  g_clear_pointer (&entry.event, cz_server_event_free);
  if (wake)
    g_source_set_ready_time (log->drain_source, 0);
}

static void
write_out (HeadlessLog *log)
{
  if (log->out->len == 0)
    return;
  /* Standard error is unbuffered: one fwrite, one write (). */
  fwrite (log->out->str, 1, log->out->len, stderr);
  fflush (stderr);
  g_string_truncate (log->out, 0);
}

static const char *
stamp_at (HeadlessLog *log, gint64 time_us)
{
  gint64 second = time_us / G_USEC_PER_SEC;

  if (second != log->stamp_second)
    {
      format_stamp (second, log->stamp);
      log->stamp_second = second;
    }
  return log->stamp;
}

/* Main thread: appends a line of the log's own (not an engine event). */
static void
log_note (HeadlessLog *log, const char *text)
{
  g_string_append_printf (log->out, "%s %s\n", stamp_at (log, g_get_real_time ()), text);
}

/* Main thread: takes what is queued and writes it, in order, with one
 * write per LOG_WRITE_CHUNK.  Returns whether there was anything. */
static gboolean
log_drain (HeadlessLog *log)
{
  GArray *batch;
  guint64 dropped;
  gboolean any;

  g_mutex_lock (&log->lock);
  batch = log->pending;
  log->pending = log->batch;
  log->batch = batch;
  log->pending_bytes = 0;
  dropped = log->dropped;
  log->dropped = 0;
  /* Nothing queued: the next event wakes us. */
  if (batch->len == 0 && dropped == 0)
    log->scheduled = FALSE;
  g_mutex_unlock (&log->lock);

  for (guint i = 0; i < batch->len; i++)
    {
      LogEntry *entry = &g_array_index (batch, LogEntry, i);

      append_line (log->out, entry->event, stamp_at (log, entry->time_us));
      g_string_append_c (log->out, '\n');
      g_clear_pointer (&entry->event, cz_server_event_free);
      if (log->out->len >= LOG_WRITE_CHUNK)
        write_out (log);
    }
  if (dropped > 0)
    {
      /* Every dropped event came after the ones just written. */
      g_autofree char *text = NULL;

      text = g_strdup_printf (g_dngettext (NULL, "%" PRIu64 " log line dropped: standard error is too slow",
                                           "%" PRIu64 " log lines dropped: standard error is too slow",
                                           (gulong) MIN (dropped, G_MAXULONG)),
                              dropped);
      log_note (log, text);
    }
  write_out (log);

  any = batch->len > 0 || dropped > 0;
  if (batch->len > 4096)
    {
      /* Do not keep a burst's worth of memory around. */
      g_array_unref (log->batch);
      log->batch = g_array_new (FALSE, FALSE, sizeof (LogEntry));
    }
  else
    g_array_set_size (batch, 0);
  return any;
}

static gboolean
drain_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs drain_funcs = { NULL, NULL, drain_dispatch, NULL, NULL, NULL };

static gboolean
drain_cb (gpointer data)
{
  HeadlessLog *log = data;

  /* Reset first: once log_drain () clears `scheduled`, the engine may set
   * it again. */
  g_source_set_ready_time (log->drain_source, -1);
  if (log_drain (log))
    {
      /* Busy: keep `scheduled` set, so the engine does not wake us per
       * event, and look again shortly. */
      g_source_set_ready_time (log->drain_source,
                               g_get_monotonic_time () + LOG_BATCH_INTERVAL_US);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
summary_cb (gpointer data)
{
  HeadlessLog *log = data;
  guint n = (guint) g_atomic_int_exchange (&log->messages, 0);
  g_autofree char *text = NULL;

  if (n == 0)
    return G_SOURCE_CONTINUE;
  /* After what is queued, to keep the lines in order. */
  log_drain (log);
  text = g_strdup_printf (g_dngettext (NULL, "%u message in the last minute",
                                       "%u messages in the last minute", n), n);
  log_note (log, text);
  write_out (log);
  return G_SOURCE_CONTINUE;
}

static HeadlessLog *
headless_log_new (gboolean log_messages)
{
  HeadlessLog *log = g_new0 (HeadlessLog, 1);

  g_mutex_init (&log->lock);
  log->pending = g_array_new (FALSE, FALSE, sizeof (LogEntry));
  log->batch = g_array_new (FALSE, FALSE, sizeof (LogEntry));
  log->log_messages = log_messages;
  log->out = g_string_sized_new (LOG_WRITE_CHUNK + 4096);
  log->stamp_second = G_MININT64;
  log->drain_source = g_source_new (&drain_funcs, sizeof (GSource));
  g_source_set_name (log->drain_source, "[causerie] headless log");
  g_source_set_callback (log->drain_source, drain_cb, log, NULL);
  g_source_attach (log->drain_source, NULL);
  return log;
}

/* Once the engine has stopped: writes what is left, then frees. */
static void
headless_log_free (HeadlessLog *log)
{
  while (log_drain (log))
    ;
  g_source_destroy (log->drain_source);
  g_source_unref (log->drain_source);
  g_array_unref (log->pending);
  g_array_unref (log->batch);
  g_string_free (log->out, TRUE);
  g_mutex_clear (&log->lock);
  g_free (log);
}

/* ---- The program ---------------------------------------------------------------- */

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

int
cz_headless_run (const CzServerOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  CzServerConfig config;
  CzServer *server;
  HeadlessLog *log;
  guint summary_id = 0;

  if (!cz_server_options_to_config (options, &config, &error))
    {
      g_printerr ("causerie-server: %s\n", error->message);
      return 2;
    }
  server = cz_server_new (&config, &error);
  if (server == NULL)
    {
      g_printerr ("causerie-server: %s\n", error->message);
      return 1;
    }
  log = headless_log_new (options->log_messages);
  cz_server_set_event_func (server, log_event_cb, log);
  /* Handlers first: a SIGTERM right after "listening on" must stop cleanly. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  if (!cz_server_start (server, &error))
    {
      cz_server_free (server);
      headless_log_free (log);
      g_printerr ("causerie-server: %s\n", error->message);
      return 1;
    }
  printf ("listening on %s\n", cz_server_get_address (server));
  fflush (stdout);
  if (!options->log_messages)
    summary_id = g_timeout_add_seconds (LOG_SUMMARY_SECONDS, summary_cb, log);

  g_main_loop_run (loop);

  g_clear_handle_id (&summary_id, g_source_remove);
  log_drain (log);
  g_string_append_printf (log->out, "%s\n",
                          _("stopping: saying goodbye to clients and closing the database"));
  write_out (log);
  cz_server_free (server);
  /* The engine has stopped: the last lines (disconnections) are queued. */
  headless_log_free (log);
  return 0;
}
