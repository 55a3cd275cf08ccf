/* cz-headless.c: the server without a window.
 *
 * The engine reports events on its network thread; writing a log line
 * there (a clock, a printf and a write () per line) cost the relay a few
 * percent of that thread.  So the events go through a bounded CzEventSink,
 * as they do to the window, and the main loop formats each batch and
 * writes it to standard error at once.  Message events are not even queued
 * unless --log-messages is given: without it only a per-minute count is
 * logged, so conversations do not end up in the log. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "cz-event-sink.h"
#include "cz-headless.h"
#include "cz-util.h"

/* A slow standard error must not grow the queue without bound: past
 * either limit events are dropped (and counted, then reported once). */
#define LOG_MAX_PENDING 100000
#define LOG_MAX_PENDING_BYTES (32 * 1024 * 1024)
/* Written out whenever a batch's text grows past this. */
#define LOG_WRITE_CHUNK 65536
#define LOG_SUMMARY_SECONDS 60

typedef struct {
  CzEventSink *sink;
  gboolean log_messages;        /* set before the engine starts */
  gint messages;                /* atomic: messages not logged since the last summary */
  /* Main thread only. */
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
      if (e->e2e)
        {
          /* The server has no text to show: who, to whom, how much. */
          g_string_append_printf (out, _("%s message %" PRId64 " %s → %s, %s"),
                                  stamp, e->message_id, e->from, e->to, e->text);
          return;
        }
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

  if (event->kind == CZ_SERVER_EVENT_MESSAGE && !log->log_messages)
    g_atomic_int_inc (&log->messages);
  else
    cz_event_sink_push (event, log->sink);
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
stamp_at (HeadlessLog *log, gint64 unix_ms)
{
  gint64 second = unix_ms / 1000;

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
  g_string_append_printf (log->out, "%s %s\n", stamp_at (log, cz_now_ms ()), text);
}

/* The sink's batch (main thread): the lines, in order, one write per
 * LOG_WRITE_CHUNK; then how many were dropped, if any. */
static void
log_batch_cb (GPtrArray *events, gpointer user_data)
{
  HeadlessLog *log = user_data;
  guint64 dropped = cz_event_sink_take_dropped (log->sink);

  for (guint i = 0; i < events->len; i++)
    {
      const CzServerEvent *e = events->pdata[i];

      append_line (log->out, e, stamp_at (log, e->ts));
      g_string_append_c (log->out, '\n');
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
  cz_event_sink_drain (log->sink);
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

  log->sink = cz_event_sink_new (NULL, log_batch_cb, log);
  cz_event_sink_set_bounds (log->sink, LOG_MAX_PENDING, LOG_MAX_PENDING_BYTES);
  /* A log line appears as soon as the main loop can write it. */
  cz_event_sink_set_delay (log->sink, 0);
  log->log_messages = log_messages;
  log->out = g_string_sized_new (LOG_WRITE_CHUNK + 4096);
  log->stamp_second = G_MININT64;
  return log;
}

/* Once the engine has stopped: writes what is left, then frees. */
static void
headless_log_free (HeadlessLog *log)
{
  cz_event_sink_drain (log->sink);
  cz_event_sink_detach (log->sink);
  cz_event_sink_unref (log->sink);
  g_string_free (log->out, TRUE);
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
  cz_event_sink_drain (log->sink);
  g_string_append_printf (log->out, "%s\n",
                          _("stopping: saying goodbye to clients and closing the database"));
  write_out (log);
  cz_server_free (server);
  /* The engine has stopped: the last lines (disconnections) are queued. */
  headless_log_free (log);
  return 0;
}
