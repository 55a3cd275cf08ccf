/* cz-cli-runner.c: causerie-client --cli: commands on standard input, the
 * engine's typed events on standard output, for a person or, with --json,
 * one JSON object per line (cz-json.c). */
#include "config.h"

#include <inttypes.h>

#include <stdio.h>
#include <string.h>
#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>

#include "cz-cli-runner.h"
#include "cz-cli.h"
#include "cz-client.h"
#include "cz-error.h"
#include "cz-json.h"
#include "cz-util.h"

typedef struct {
  CzClient *client;
  GMainLoop *loop;
  GDataInputStream *input;
  GCancellable *cancellable;
  GQueue lines;               /* commands read, not yet run */
  gboolean json;
  gboolean tofu_accept;
  gboolean eof;
  gboolean quitting;
  gboolean waiting;           /* a register/login is under way */
  guint32 waiting_ref;
  int status;
  char *host;
} Runner;

/* ---- Output ------------------------------------------------------------------- */

static void append_visible (GString *out, const char *text, const char *newline);

static void
print_line (const char *line)
{
  fputs (line, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

/* Prints the event: @json as it is with --json, else @human.  Takes both. */
static void
print_event (Runner *r, char *json, char *human)
{
  g_autofree char *json_line = json;
  g_autofree char *human_line = human;

  if (r->json)
    print_line (json_line);
  else
    {
      /* Our own lines may hold newlines; nothing else reaches the
       * terminal raw, whatever a field held. */
      g_autoptr(GString) out = g_string_new (NULL);

      append_visible (out, human_line, "\n");
      print_line (out->str);
    }
}

static char *
format_time (gint64 ts_ms)
{
  g_autoptr(GDateTime) dt = cz_local_time (ts_ms);
  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

/* Appends @text with every character a terminal would act on made
 * visible (DESIGN §4): C0 controls as their Control Pictures (ESC ␛, CR ␍,
 * BEL ␇…), DEL as ␡, C1 controls, the bidirectional embeddings, overrides
 * and isolates and the line and paragraph separators as <U+XXXX>.  A tab
 * stays; a newline becomes @newline (NULL: ␤).  Our server refuses these
 * in text already (cz_text_valid), but a server that is not ours may send
 * them, in a text, a name or an error message. */
static void
append_visible (GString *out, const char *text, const char *newline)
{
  const char *p = text;

  while (*p)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append (out, "\xef\xbf\xbd");    /* U+FFFD for a bad byte */
          p++;
          continue;
        }
      if (c == '\n')
        g_string_append (out, newline ? newline : "\xe2\x90\xa4");   /* ␤ */
      else if (c == '\t')
        g_string_append_c (out, '\t');
      else if (c < 0x20)
        g_string_append_unichar (out, 0x2400 + c);            /* ␀ … ␟ */
      else if (c == 0x7f)
        g_string_append_unichar (out, 0x2421);                /* ␡ */
      else if ((c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e)
               || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029)
        g_string_append_printf (out, "<U+%04X>", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
}

/* Someone else's string on one line of its own. */
static char *
visible (const char *text)
{
  GString *out = g_string_new (NULL);

  if (text)
    append_visible (out, text, NULL);
  return g_string_free (out, FALSE);
}

char *
cz_cli_format_message (const CzClientMessage *m)
{
  g_autofree char *when = format_time (m->ts);
  g_autofree char *from = visible (m->from);
  g_autofree char *to = m->to ? visible (m->to) : NULL;
  GString *out = g_string_new (NULL);

  if (to)
    g_string_append_printf (out, "[%s] #%" G_GINT64_FORMAT " %s → %s%s: ", when, m->id, from,
                            to, m->offline ? _(" (while you were away)") : "");
  else
    g_string_append_printf (out, "[%s] #%" G_GINT64_FORMAT " <%s>%s ", when, m->id, from,
                            m->offline ? _(" (while you were away)") : "");
  /* A text's own lines are indented: none can pass for an event line. */
  append_visible (out, m->text, "\n    ");
  return g_string_free (out, FALSE);
}

static void
print_local_error (Runner *r, const GError *error)
{
  g_autofree char *message = visible (error->message);

  print_event (r, cz_json_local_error (error), g_strdup_printf (_("error: %s"), message));
}

/* ---- Commands ----------------------------------------------------------------- */

static void read_next_line (Runner *r);

static void
maybe_quit (Runner *r)
{
  if (r->quitting && !r->waiting && cz_client_get_pending (r->client) == 0)
    {
      r->quitting = FALSE;
      cz_client_disconnect (r->client);
    }
}

static void
run_commands (Runner *r)
{
  while (!r->waiting && !r->quitting && cz_client_is_connected (r->client)
         && !g_queue_is_empty (&r->lines))
    {
      g_autofree char *line = g_queue_pop_head (&r->lines);
      g_autoptr(GError) error = NULL;
      g_autoptr(CzCommand) cmd = cz_command_parse (line, &error);

      cz_memwipe (line, strlen (line));
      if (cmd == NULL)
        {
          print_local_error (r, error);
          continue;
        }
      switch (cmd->kind)
        {
        case CZ_CMD_EMPTY:
          break;
        case CZ_CMD_REGISTER:
          r->waiting_ref = cz_client_register (r->client, cmd->user, cmd->password);
          r->waiting = r->waiting_ref != 0;
          break;
        case CZ_CMD_LOGIN:
          r->waiting_ref = cz_client_login (r->client, cmd->user, cmd->password);
          r->waiting = r->waiting_ref != 0;
          break;
        case CZ_CMD_SAY:
          cz_client_say (r->client, cmd->text);
          break;
        case CZ_CMD_MSG:
          cz_client_msg (r->client, cmd->user, cmd->text);
          break;
        case CZ_CMD_WHO:
          cz_client_who (r->client);
          break;
        case CZ_CMD_HISTORY:
          cz_client_history (r->client, cmd->user, 0, cmd->limit);
          break;
        case CZ_CMD_READ:
          cz_client_mark_read (r->client, (const gint64 *) cmd->ids->data, cmd->ids->len);
          break;
        case CZ_CMD_QUIT:
          r->quitting = TRUE;
          g_queue_clear_full (&r->lines, g_free);
          break;
        }
    }
  if (r->eof && g_queue_is_empty (&r->lines) && cz_client_is_connected (r->client))
    r->quitting = TRUE;
  maybe_quit (r);
}

static void
line_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Runner *r = user_data;
  g_autoptr(GError) error = NULL;
  gsize len;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          &len, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL)
    {
      if (error)
        print_local_error (r, error);
      r->eof = TRUE;
      run_commands (r);
      return;
    }
  if (len > 0 && line[len - 1] == '\r')
    line[len - 1] = '\0';
  g_queue_push_tail (&r->lines, line);
  run_commands (r);
  read_next_line (r);
}

static void
read_next_line (Runner *r)
{
  g_data_input_stream_read_line_async (r->input, G_PRIORITY_DEFAULT, r->cancellable,
                                       line_read_cb, r);
}

/* ---- Events ------------------------------------------------------------------- */

static void
connected_cb (CzClient *client, CzSessionInfo *info, const char *fingerprint, gpointer user_data)
{
  Runner *r = user_data;

  print_event (r, cz_json_connected (info, fingerprint),
               g_strdup_printf (_("connected: %s, %s, %s; server key %s (%s)\n"
                                  "application Diffie-Hellman %s; verification code %s"),
                                info->protocol, info->cipher, info->group,
                                fingerprint ? fingerprint : "?", info->verification,
                                info->dh_group, info->code));
  run_commands (r);
}

static void
trust_prompt_cb (CzClient *client, const char *fingerprint, gpointer user_data)
{
  Runner *r = user_data;

  print_event (r, cz_json_trust_prompt (fingerprint),
               g_strdup_printf (_("first connection to this server; its key is %s"), fingerprint));
  if (r->tofu_accept)
    cz_client_trust (client, TRUE);
  else
    {
      g_autoptr(GError) error = g_error_new (CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                                             _("%s is not a known server; its key is %s. "
                                               "Use --trust-on-first-use to pin it, --pin, or --ca-file"),
                                             r->host, fingerprint);
      print_local_error (r, error);
      r->status = 1;
      cz_client_trust (client, FALSE);
    }
}

/* A register or login answered: the next command may run. */
static void
answered (Runner *r)
{
  r->waiting = FALSE;
  run_commands (r);
}

static void
registered_cb (CzClient *client, guint ref, const char *user, gpointer user_data)
{
  Runner *r = user_data;

  print_event (r, cz_json_registered (ref, user), g_strdup_printf (_("account %s created"), user));
  answered (r);
}

static void
logged_in_cb (CzClient *client, guint ref, const char *user, const char *server_final,
              gpointer user_data)
{
  Runner *r = user_data;

  print_event (r, cz_json_logged_in (ref, user, server_final),
               g_strdup_printf (_("logged in as %s"), user));
  answered (r);
}

static void
message_cb (CzClient *client, CzClientMessage *message, gpointer user_data)
{
  Runner *r = user_data;

  print_event (r, cz_json_message (message), cz_cli_format_message (message));
  maybe_quit (r);
}

static void
ack_cb (CzClient *client, guint ref, gint64 id, gint64 ts, gpointer user_data)
{
  Runner *r = user_data;

  print_event (r, cz_json_ack (ref, id, ts), g_strdup_printf (_("stored as #%" PRId64), id));
  maybe_quit (r);
}

static void
presence_cb (CzClient *client, const char *user, gboolean online, gpointer user_data)
{
  Runner *r = user_data;
  g_autofree char *shown = visible (user);

  print_event (r, cz_json_presence (user, online),
               g_strdup_printf (online ? _("* %s is online") : _("* %s went offline"), shown));
  maybe_quit (r);
}

static void
who_cb (CzClient *client, guint ref, char **users, gpointer user_data)
{
  Runner *r = user_data;
  g_autofree char *list = g_strjoinv (", ", users);
  g_autofree char *shown = visible (list);

  print_event (r, cz_json_who (ref, (const char *const *) users),
               g_strdup_printf (_("online: %s"), shown));
  maybe_quit (r);
}

static void
receipt_cb (CzClient *client, gint64 id, const char *by, CzReceiptState state,
            gpointer user_data)
{
  Runner *r = user_data;
  g_autofree char *shown = visible (by);

  print_event (r, cz_json_receipt (id, by, state),
               g_strdup_printf (_("#%" PRId64 " %s by %s"), id,
                                cz_receipt_state_to_string (state), shown));
  maybe_quit (r);
}

static void
history_cb (CzClient *client, guint ref, GPtrArray *messages, gpointer user_data)
{
  Runner *r = user_data;
  GString *out = g_string_new (_("history:"));

  for (guint i = 0; i < messages->len; i++)
    {
      g_autofree char *line = cz_cli_format_message (messages->pdata[i]);
      g_string_append_printf (out, "\n  %s", line);
    }
  print_event (r, cz_json_history (ref, messages), g_string_free (out, FALSE));
  maybe_quit (r);
}

static void
error_cb (CzClient *client, CzClientError *error, gpointer user_data)
{
  Runner *r = user_data;
  g_autofree char *code = visible (error->code_name ? error->code_name : "?");
  g_autofree char *message = visible (error->message);

  print_event (r, cz_json_error (error),
               g_strdup_printf (_("error (%s): %s"), code, message));
  /* The answer to the register or login under way, or a refusal of it
   * before it was sent. */
  if (r->waiting && (error->ref == r->waiting_ref || (error->ref == 0 && error->local)))
    r->waiting = FALSE;
  run_commands (r);
}

static void
disconnected_cb (CzClient *client, const GError *error, const char *reason, gpointer user_data)
{
  Runner *r = user_data;

  if (error)
    {
      g_autofree char *message = visible (error->message);
      print_event (r, cz_json_local_error (error),
                   g_strdup_printf (_("disconnected: %s"), message));
    }
  else
    print_event (r, cz_json_disconnected (reason), g_strdup (_("disconnected")));
  if (error)
    r->status = 1;
  g_cancellable_cancel (r->cancellable);
  g_main_loop_quit (r->loop);
}

/* The engine's signals, and what takes each. */
static const struct {
  const char *signal;
  GCallback handler;
} client_handlers[] = {
  { "connected", G_CALLBACK (connected_cb) },
  { "trust-prompt", G_CALLBACK (trust_prompt_cb) },
  { "registered", G_CALLBACK (registered_cb) },
  { "logged-in", G_CALLBACK (logged_in_cb) },
  { "message", G_CALLBACK (message_cb) },
  { "ack", G_CALLBACK (ack_cb) },
  { "presence", G_CALLBACK (presence_cb) },
  { "who", G_CALLBACK (who_cb) },
  { "receipt", G_CALLBACK (receipt_cb) },
  { "history", G_CALLBACK (history_cb) },
  { "error", G_CALLBACK (error_cb) },
  { "disconnected", G_CALLBACK (disconnected_cb) },
};

int
cz_cli_runner_run (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = g_strdupv (argv);
  g_autofree char *host = NULL, *ca_file = NULL, *pin = NULL, *cert = NULL, *key = NULL;
  g_autofree char *known = NULL;
  gboolean cli = FALSE, json = FALSE, tofu = FALSE;
  int port = 7443;
  CzClientConfig config = { 0 };
  g_autoptr(GInputStream) in = NULL;
  Runner r = { 0 };
  const GOptionEntry entries[] = {
    { "cli", 0, 0, G_OPTION_ARG_NONE, &cli, N_("Terminal mode: commands on standard input"), NULL },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, N_("Server host name or address"), N_("HOST") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("Server port (default 7443)"), N_("N") },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, N_("Verify the server against this CA"), N_("FILE") },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &pin, N_("Trust exactly this server key (SHA-256 of its public key)"), N_("SHA256-HEX") },
    { "trust-on-first-use", 0, 0, G_OPTION_ARG_NONE, &tofu, N_("Pin the server's key on first connection; refuse if it changes"), NULL },
    { "known-servers", 0, 0, G_OPTION_ARG_FILENAME, &known, N_("Pin file (default $XDG_DATA_HOME/causerie/known-servers)"), N_("FILE") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, N_("Client certificate (PEM)"), N_("FILE") },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key, N_("Client private key (PEM)"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("One JSON object per line on standard output"), NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Commands: /register USER PASSWORD, /login USER PASSWORD, /say TEXT, /msg USER TEXT,\n"
      "/who, /history USER|#lobby [N], /read ID..., /quit"));
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      g_printerr ("causerie-client: %s\n", error->message);
      return 2;
    }
  if (host == NULL)
    {
      g_printerr ("causerie-client: %s\n", _("--host is required with --cli"));
      return 2;
    }
  if (port <= 0 || port > 65535)
    {
      g_printerr ("causerie-client: %s\n", _("--port must be between 1 and 65535"));
      return 2;
    }
  if ((ca_file != NULL) + (pin != NULL) + (tofu != FALSE) > 1)
    {
      g_printerr ("causerie-client: %s\n",
                  _("choose one of --ca-file, --pin and --trust-on-first-use"));
      return 2;
    }

  config.host = host;
  config.port = (guint16) port;
  config.tls.trust = ca_file ? CZ_TRUST_CA : pin ? CZ_TRUST_PIN : CZ_TRUST_TOFU;
  config.tls.ca_file = ca_file;
  config.tls.pin = pin;
  config.tls.known_servers = known;
  config.tls.cert_file = cert;
  config.tls.key_file = key;

  r.json = json;
  r.tofu_accept = tofu;
  r.host = host;
  r.client = cz_client_new (&config, &error);
  if (r.client == NULL)
    {
      print_local_error (&r, error);
      return 1;
    }
  r.loop = g_main_loop_new (NULL, FALSE);
  r.cancellable = g_cancellable_new ();
  g_queue_init (&r.lines);
  in = g_unix_input_stream_new (0, FALSE);
  r.input = g_data_input_stream_new (in);
  for (gsize i = 0; i < G_N_ELEMENTS (client_handlers); i++)
    g_signal_connect (r.client, client_handlers[i].signal, client_handlers[i].handler, &r);

  cz_client_connect (r.client);
  read_next_line (&r);
  g_main_loop_run (r.loop);

  g_signal_handlers_disconnect_by_data (r.client, &r);
  g_queue_clear_full (&r.lines, g_free);
  g_clear_object (&r.input);
  g_clear_object (&r.client);
  g_clear_object (&r.cancellable);
  g_main_loop_unref (r.loop);
  return r.status;
}
