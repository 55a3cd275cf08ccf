/* cz-cli-runner.c: causerie-client --cli: commands on standard input,
 * events on standard output (one JSON object per line with --json). */
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

static void
print_line (const char *line)
{
  fputs (line, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static void
json_cert (JsonBuilder *b, const char *member, const CzCertInfo *cert)
{
  if (cert == NULL)
    return;
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "subject");
  json_builder_add_string_value (b, cert->subject);
  json_builder_set_member_name (b, "issuer");
  json_builder_add_string_value (b, cert->issuer);
  json_builder_set_member_name (b, "not_before");
  json_builder_add_string_value (b, cert->not_before);
  json_builder_set_member_name (b, "not_after");
  json_builder_add_string_value (b, cert->not_after);
  json_builder_set_member_name (b, "fingerprint");
  json_builder_add_string_value (b, cert->fingerprint);
  json_builder_set_member_name (b, "key_type");
  json_builder_add_string_value (b, cert->key_type);
  json_builder_end_object (b);
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static char *
connected_json (const CzClientEvent *event)
{
  CzSessionInfo *info = event->info;
  g_autoptr(JsonBuilder) b = cz_json_event_begin ("connected");

  json_builder_set_member_name (b, "tls");
  json_builder_begin_object (b);
  add_string (b, "protocol", info->protocol);
  add_string (b, "cipher", info->cipher);
  add_string (b, "group", info->group);
  add_string (b, "signature", info->signature);
  add_string (b, "alpn", info->alpn);
  add_string (b, "trust", info->trust);
  add_string (b, "verification", info->verification);
  add_string (b, "fingerprint", event->fingerprint);
  json_cert (b, "server_cert", info->server_cert);
  json_cert (b, "client_cert", info->client_cert);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "dh");
  json_builder_begin_object (b);
  add_string (b, "group", info->dh_group);
  add_string (b, "prime", info->dh_prime_hex);
  add_string (b, "prime_formula", info->dh_prime_formula);
  add_string (b, "generator", info->dh_generator);
  add_string (b, "public", info->dh_client_public);
  add_string (b, "server_public", info->dh_server_public);
  add_string (b, "code", info->code);
  json_builder_end_object (b);
  return cz_json_event_end (b);
}

static const char *
field_string (GVariant *fields, const char *key, const char *def)
{
  const char *value = NULL;
  return g_variant_lookup (fields, key, "&s", &value) ? value : def;
}

static gint64
field_int64 (GVariant *fields, const char *key)
{
  gint64 value = 0;
  g_variant_lookup (fields, key, "x", &value);
  return value;
}

static char *
format_time (gint64 ts_ms)
{
  g_autoptr(GDateTime) dt = cz_local_time (ts_ms);
  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

static char *
human_message (GVariant *f)
{
  g_autofree char *when = format_time (field_int64 (f, "ts"));
  const char *to = field_string (f, "to", NULL);
  gboolean offline = FALSE;

  g_variant_lookup (f, "offline", "b", &offline);
  if (to)
    return g_strdup_printf ("[%s] #%" G_GINT64_FORMAT " %s → %s%s: %s", when,
                            field_int64 (f, "id"), field_string (f, "from", "?"), to,
                            offline ? _(" (while you were away)") : "",
                            field_string (f, "text", ""));
  return g_strdup_printf ("[%s] #%" G_GINT64_FORMAT " <%s>%s %s", when, field_int64 (f, "id"),
                          field_string (f, "from", "?"),
                          offline ? _(" (while you were away)") : "",
                          field_string (f, "text", ""));
}

static char *
human_event (const CzClientEvent *event)
{
  GVariant *f = event->fields;

  switch (event->kind)
    {
    case CZ_CLIENT_EVENT_CONNECTED:
      return g_strdup_printf (_("connected: %s, %s, %s; server key %s (%s)\n"
                                "application Diffie-Hellman %s; verification code %s"),
                              event->info->protocol, event->info->cipher, event->info->group,
                              event->fingerprint ? event->fingerprint : "?",
                              event->info->verification, event->info->dh_group,
                              event->info->code);
    case CZ_CLIENT_EVENT_TRUST_PROMPT:
      return g_strdup_printf (_("first connection to this server; its key is %s"),
                              event->fingerprint);
    case CZ_CLIENT_EVENT_REGISTERED:
      return g_strdup_printf (_("account %s created"), field_string (f, "user", "?"));
    case CZ_CLIENT_EVENT_LOGGED_IN:
      return g_strdup_printf (_("logged in as %s"), field_string (f, "user", "?"));
    case CZ_CLIENT_EVENT_MESSAGE:
      return human_message (f);
    case CZ_CLIENT_EVENT_ACK:
      return g_strdup_printf (_("stored as #%" PRId64), field_int64 (f, "id"));
    case CZ_CLIENT_EVENT_PRESENCE:
      {
        gboolean online = FALSE;
        g_variant_lookup (f, "online", "b", &online);
        return g_strdup_printf (online ? _("* %s is online") : _("* %s went offline"),
                                field_string (f, "user", "?"));
      }
    case CZ_CLIENT_EVENT_WHO:
      {
        g_autofree const char **users = NULL;
        g_autofree char *list = NULL;
        if (g_variant_lookup (f, "users", "^a&s", &users))
          list = g_strjoinv (", ", (char **) users);
        return g_strdup_printf (_("online: %s"), list ? list : "");
      }
    case CZ_CLIENT_EVENT_RECEIPT:
      return g_strdup_printf (_("#%" PRId64 " %s by %s"), field_int64 (f, "id"),
                              field_string (f, "state", "?"), field_string (f, "by", "?"));
    case CZ_CLIENT_EVENT_HISTORY:
      {
        g_autoptr(GVariant) messages = g_variant_lookup_value (f, "messages", G_VARIANT_TYPE ("aa{sv}"));
        GString *out = g_string_new (_("history:"));
        for (gsize i = 0; messages && i < g_variant_n_children (messages); i++)
          {
            g_autoptr(GVariant) m = g_variant_get_child_value (messages, i);
            g_autofree char *line = human_message (m);
            g_string_append_printf (out, "\n  %s", line);
          }
        return g_string_free (out, FALSE);
      }
    case CZ_CLIENT_EVENT_ERROR:
      return g_strdup_printf (_("error (%s): %s"), field_string (f, "code", "?"),
                              field_string (f, "message", ""));
    case CZ_CLIENT_EVENT_DISCONNECTED:
      if (event->error)
        return g_strdup_printf (_("disconnected: %s"), event->error->message);
      return g_strdup (_("disconnected"));
    }
  return g_strdup ("");
}

static char *
json_event (const CzClientEvent *event)
{
  g_autoptr(JsonBuilder) b = NULL;

  if (event->kind == CZ_CLIENT_EVENT_CONNECTED)
    return connected_json (event);
  if (event->kind == CZ_CLIENT_EVENT_DISCONNECTED && event->error)
    {
      b = cz_json_event_begin ("error");
      add_string (b, "code", cz_error_wire_code (event->error));
      add_string (b, "message", event->error->message);
      return cz_json_event_end (b);
    }
  b = cz_json_event_begin (cz_client_event_name (event->kind));
  if (event->kind == CZ_CLIENT_EVENT_TRUST_PROMPT)
    add_string (b, "fingerprint", event->fingerprint);
  cz_json_add_fields (b, event->fields);
  return cz_json_event_end (b);
}

static void
print_event (Runner *r, const CzClientEvent *event)
{
  g_autofree char *line = r->json ? json_event (event) : human_event (event);
  print_line (line);
}

static void
print_local_error (Runner *r, const GError *error)
{
  if (r->json)
    {
      g_autoptr(JsonBuilder) b = cz_json_event_begin ("error");
      g_autofree char *line = NULL;
      add_string (b, "code", cz_error_wire_code (error));
      add_string (b, "message", error->message);
      line = cz_json_event_end (b);
      print_line (line);
    }
  else
    {
      g_autofree char *line = g_strdup_printf (_("error: %s"), error->message);
      print_line (line);
    }
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
client_event_cb (CzClient *client, CzClientEvent *event, gpointer user_data)
{
  Runner *r = user_data;
  guint32 ref = 0;

  g_variant_lookup (event->fields, "ref", "u", &ref);

  if (event->kind == CZ_CLIENT_EVENT_TRUST_PROMPT)
    {
      print_event (r, event);
      if (r->tofu_accept)
        cz_client_trust (client, TRUE);
      else
        {
          g_autoptr(GError) error = g_error_new (CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                                                 _("%s is not a known server; its key is %s. "
                                                   "Use --trust-on-first-use to pin it, --pin, or --ca-file"),
                                                 r->host, event->fingerprint);
          print_local_error (r, error);
          r->status = 1;
          cz_client_trust (client, FALSE);
        }
      return;
    }

  print_event (r, event);

  switch (event->kind)
    {
    case CZ_CLIENT_EVENT_CONNECTED:
      run_commands (r);
      break;
    case CZ_CLIENT_EVENT_REGISTERED:
    case CZ_CLIENT_EVENT_LOGGED_IN:
    case CZ_CLIENT_EVENT_ERROR:
      if (r->waiting && (ref == r->waiting_ref || event->kind != CZ_CLIENT_EVENT_ERROR))
        r->waiting = FALSE;
      if (event->kind == CZ_CLIENT_EVENT_ERROR && ref == 0 && r->waiting && event->error)
        r->waiting = FALSE;
      run_commands (r);
      break;
    case CZ_CLIENT_EVENT_DISCONNECTED:
      if (event->error)
        r->status = 1;
      g_cancellable_cancel (r->cancellable);
      g_main_loop_quit (r->loop);
      break;
    default:
      maybe_quit (r);
      break;
    }
}

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
  g_signal_connect (r.client, "event", G_CALLBACK (client_event_cb), &r);

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
