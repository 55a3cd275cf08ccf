/* cz-server-main.c: causerie-server's options and dispatch. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "cz-protocol.h"
#include "cz-server-main.h"
#include "cz-certgen-cli.h"
#include "cz-headless.h"
#include "cz-error.h"
#include "cz-scram.h"
#include "cz-store.h"
#include "cz-util.h"

void
cz_server_options_clear (CzServerOptions *o)
{
  g_clear_pointer (&o->add_user, g_free);
  g_clear_pointer (&o->bind, g_free);
  g_clear_pointer (&o->cert, g_free);
  g_clear_pointer (&o->key, g_free);
  g_clear_pointer (&o->db, g_free);
  g_clear_pointer (&o->dh_group, g_free);
  g_clear_pointer (&o->client_ca, g_free);
}

GOptionGroup *
cz_server_options_group (CzServerOptions *o)
{
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &o->headless,
      N_("Run without a window, logging to standard error"), NULL },
    { "log-messages", 0, 0, G_OPTION_ARG_NONE, &o->log_messages,
      N_("With --headless, log every message with its text (by default only a count per minute)"),
      NULL },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &o->demo,
      N_("Open the window and listen on 127.0.0.1:7443 with a demo certificate, "
         "created on first use in $XDG_DATA_HOME/causerie/demo"), NULL },
    { "add-user", 0, 0, G_OPTION_ARG_STRING, &o->add_user,
      N_("Create an account; the password is read from standard input"), N_("NAME") },
    { "bind", 0, 0, G_OPTION_ARG_STRING, &o->bind,
      N_("Address to listen on (default 0.0.0.0)"), N_("ADDR") },
    { "port", 0, 0, G_OPTION_ARG_INT, &o->port,
      N_("Port to listen on (0 lets the system choose; default 7443)"), N_("N") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &o->cert,
      N_("Server certificate (PEM)"), N_("FILE") },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &o->key,
      N_("Server private key (PEM)"), N_("FILE") },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &o->db,
      N_("Database file (default $XDG_DATA_HOME/causerie/server.db)"), N_("PATH") },
    { "dh-group", 0, 0, G_OPTION_ARG_STRING, &o->dh_group,
      N_("Application Diffie-Hellman group: x25519, ffdhe2048 or ffdhe3072"), N_("GROUP") },
    { "client-ca", 0, 0, G_OPTION_ARG_FILENAME, &o->client_ca,
      N_("CA that signs client certificates"), N_("FILE") },
    { "require-client-cert", 0, 0, G_OPTION_ARG_NONE, &o->require_client_cert,
      N_("Refuse clients without a certificate signed by --client-ca"), NULL },
    { "request-client-cert", 0, 0, G_OPTION_ARG_NONE, &o->request_client_cert,
      N_("Ask clients for a certificate, but accept clients without one"), NULL },
    { "no-registration", 0, 0, G_OPTION_ARG_NONE, &o->no_registration,
      N_("Do not let clients create accounts"), NULL },
    { "scram-iterations", 0, 0, G_OPTION_ARG_INT, &o->scram_iterations,
      N_("PBKDF2 iterations for new accounts (default 600000, at least 4096)"), N_("N") },
    { "max-clients", 0, 0, G_OPTION_ARG_INT, &o->max_clients,
      N_("Most clients connected at once (default 10000)"), N_("N") },
    { NULL }
  };
  GOptionGroup *group = g_option_group_new ("server", _("Server options:"),
                                            _("Show server options"), NULL, NULL);

  o->port = -1;
  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  return group;
}

gboolean
cz_server_options_to_config (const CzServerOptions *o, CzServerConfig *config, GError **error)
{
  memset (config, 0, sizeof *config);
  config->bind_address = o->bind;
  if (o->port > 65535 || o->port < -1)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID, _("--port must be between 0 and 65535"));
      return FALSE;
    }
  config->port = o->port < 0 ? 7443 : (guint16) o->port;
  config->cert_file = o->cert;
  config->key_file = o->key;
  config->db_path = o->db;
  if (o->dh_group && !cz_dh_group_from_name (o->dh_group, &config->dh_group, error))
    return FALSE;
  config->client_ca_file = o->client_ca;
  if (o->require_client_cert)
    config->client_cert_mode = CZ_CLIENT_CERT_REQUIRE;
  else if (o->request_client_cert)
    config->client_cert_mode = CZ_CLIENT_CERT_REQUEST;
  if (config->client_cert_mode != CZ_CLIENT_CERT_NONE && o->client_ca == NULL)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("client certificates need --client-ca"));
      return FALSE;
    }
  config->no_registration = o->no_registration;
  if (o->scram_iterations < 0 || (o->scram_iterations > 0 && o->scram_iterations < CZ_SCRAM_MIN_ITERATIONS))
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
                   _("--scram-iterations must be at least %u"), CZ_SCRAM_MIN_ITERATIONS);
      return FALSE;
    }
  config->scram_iterations = (guint) o->scram_iterations;
  if (o->max_clients < 0)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID, _("--max-clients must be positive"));
      return FALSE;
    }
  config->max_clients = (guint) o->max_clients;
  return TRUE;
}

/* Reads one line (the password) from standard input. */
static char *
read_password (GError **error)
{
  GString *line = g_string_new (NULL);
  int c;

  while ((c = getchar ()) != EOF && c != '\n')
    g_string_append_c (line, (char) c);
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  if (line->len == 0)
    {
      cz_memwipe (line->str, line->allocated_len);
      g_string_free (line, TRUE);
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("no password on standard input"));
      return NULL;
    }
  return g_string_free (line, FALSE);
}

static int
add_user (const CzServerOptions *o)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzStore) store = NULL;
  g_autofree char *db = NULL;
  g_autoptr(GBytes) salt = NULL;
  CzStoreAddUser *op;
  char *password;
  guint iterations = o->scram_iterations > 0 ? (guint) o->scram_iterations
                                             : CZ_SCRAM_DEFAULT_ITERATIONS;

  if (!cz_user_name_valid (o->add_user))
    {
      g_printerr ("causerie-server: %s\n",
                  _("user names are 1 to 32 of a-z, 0-9, “_”, “.” and “-”"));
      return 2;
    }
  if (iterations < CZ_SCRAM_MIN_ITERATIONS)
    {
      g_printerr ("causerie-server: %s %u\n", _("--scram-iterations must be at least"),
                  CZ_SCRAM_MIN_ITERATIONS);
      return 2;
    }
  if (o->db)
    db = g_strdup (o->db);
  else
    {
      g_autofree char *dir = cz_data_dir ();
      db = g_build_filename (dir, "server.db", NULL);
    }
  password = read_password (&error);
  if (password == NULL)
    {
      g_printerr ("causerie-server: %s\n", error->message);
      return 2;
    }
  store = cz_store_open (db, &error);
  if (store == NULL)
    {
      cz_str_wipe_free (password);
      g_printerr ("causerie-server: %s\n", error->message);
      return 1;
    }
  op = cz_store_add_user_new (o->add_user);
  salt = cz_scram_new_salt ();
  cz_scram_credentials_from_password (&op->creds, password, salt, iterations);
  cz_str_wipe_free (password);
  if (!cz_store_run (store, &op->op, &error))
    {
      cz_store_op_free (&op->op);
      g_printerr ("causerie-server: %s\n", error->message);
      return 1;
    }
  cz_store_op_free (&op->op);
  cz_store_close (store);
  g_print (_("user %s added to %s\n"), o->add_user, db);
  return 0;
}

int
cz_server_main (int argc, char **argv)
{
  g_auto(CzServerOptions) options = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (cz_certgen_cli_wants (argc, argv))
    return cz_certgen_cli_run (argc, argv);

  args = g_strdupv (argv);
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
    _("The Causerie chat server. Without --headless it opens a window.\n\n"
      "Certificates:\n"
      "  causerie-server --generate-ca --cn NAME --out-cert F --out-key F\n"
      "  causerie-server --generate-cert --ca-cert F --ca-key F --cn NAME\n"
      "                  [--san DNS:name|IP:addr]... --out-cert F --out-key F [--client]"));
  g_option_context_set_main_group (context, cz_server_options_group (&options));
  g_option_context_set_ignore_unknown_options (context, FALSE);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      g_printerr ("causerie-server: %s\n", error->message);
      return 2;
    }
  if (options.add_user)
    return add_user (&options);
  if (options.headless)
    return cz_headless_run (&options);
  return cz_server_window_main (&options, argc, argv);
}
