/* cz-server-options.c: causerie-server's options, their GOptionGroup and
 * their checks. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-server-options.h"
#include "cz-error.h"
#include "cz-scram.h"

void
cz_server_options_clear (CzServerOptions *o)
{
  g_clear_pointer (&o->add_user, g_free);
  g_clear_pointer (&o->migrate_db, g_free);
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
    { "migrate-db", 0, 0, G_OPTION_ARG_FILENAME, &o->migrate_db,
      N_("Copy the SQLite database FROM into the empty PostgreSQL database TO "
         "(causerie-server --migrate-db FROM postgresql://...)"), N_("FROM") },
    { "bind", 0, 0, G_OPTION_ARG_STRING, &o->bind,
      N_("Address to listen on (default 0.0.0.0)"), N_("ADDR") },
    { "port", 0, 0, G_OPTION_ARG_INT, &o->port,
      N_("Port to listen on (0 lets the system choose; default 7443)"), N_("N") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &o->cert,
      N_("Server certificate (PEM)"), N_("FILE") },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &o->key,
      N_("Server private key (PEM)"), N_("FILE") },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &o->db,
      N_("Database: an SQLite file (default $XDG_DATA_HOME/causerie/server.db), or a "
         "PostgreSQL URI postgresql://USER@HOST[:PORT]/DBNAME?... shared by several servers"),
      N_("PATH|URI") },
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
    { "max-per-address", 0, 0, G_OPTION_ARG_INT, &o->max_per_address,
      N_("Most connections from one IP address (default 64; 0 = no cap)"), N_("N") },
    { "presence-grace", 0, 0, G_OPTION_ARG_INT, &o->presence_grace_ms,
      N_("Milliseconds a user may be gone before others are told (default 1000)"), N_("MS") },
    { NULL }
  };
  GOptionGroup *group = g_option_group_new ("server", _("Server options:"),
                                            _("Show server options"), NULL, NULL);

  o->port = -1;
  o->max_per_address = -1;
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
  if (o->max_per_address < -1)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("--max-per-address must be positive, or 0 for no cap"));
      return FALSE;
    }
  config->max_per_address = o->max_per_address == 0 ? CZ_SERVER_NO_LIMIT
                            : o->max_per_address < 0 ? 0 : (guint) o->max_per_address;
  if (o->presence_grace_ms < 0)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("--presence-grace must be positive"));
      return FALSE;
    }
  config->presence_grace_ms = (guint) o->presence_grace_ms;
  return TRUE;
}
