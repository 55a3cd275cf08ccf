/* cz-server-main.c: causerie-server's entry point.  It dispatches on the
 * command line (DESIGN §4): the certificate generator, --add-user (here),
 * --headless, or the window's application, which parses the options again
 * for itself. */
#include "config.h"

#include <inttypes.h>

#include <locale.h>
#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "cz-protocol.h"
#include "cz-server-main.h"
#include "cz-certgen-cli.h"
#include "cz-headless.h"
#include "cz-server-app.h"
#include "cz-server-options.h"
#include "cz-error.h"
#include "cz-scram.h"
#include "cz-store.h"
#include "cz-store-pg.h"
#include "cz-util.h"

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
  if (!cz_scram_credentials_from_password (&op->creds, password, salt, iterations, &error))
    {
      cz_str_wipe_free (password);
      cz_store_op_free (&op->op);
      g_printerr ("causerie-server: %s\n", error->message);
      return 2;
    }
  cz_str_wipe_free (password);
  if (!cz_store_run (store, &op->op, &error))
    {
      cz_store_op_free (&op->op);
      g_printerr ("causerie-server: %s\n", error->message);
      return 1;
    }
  cz_store_op_free (&op->op);
  cz_store_close (store);
  /* A URI may hold a password: not printed. */
  g_print (_("user %s added to %s\n"), o->add_user,
           cz_store_path_is_pg (db) ? "PostgreSQL" : db);
  return 0;
}

/* --migrate-db FROM TO: @args holds what the options left (TO). */
static int
migrate_db (const CzServerOptions *o, char **args)
{
  g_autoptr(GError) error = NULL;
  CzStoreMigration done;

  if (args[0] == NULL || args[1] == NULL || args[2] != NULL)
    {
      g_printerr ("causerie-server: %s\n",
                  _("usage: causerie-server --migrate-db FROM.db postgresql://USER@HOST/DBNAME"));
      return 2;
    }
  if (!cz_store_migrate_to_pg (o->migrate_db, args[1], &done, &error))
    {
      g_printerr ("causerie-server: %s\n", error->message);
      return g_error_matches (error, CZ_ERROR, CZ_ERROR_INVALID) ? 2 : 1;
    }
  /* Not the URI: it may hold a password. */
  g_print (_("copied %" PRId64 " users and %" PRId64 " messages (%" PRId64 " delivered, %"
             PRId64 " read) from %s into PostgreSQL; the counts match\n"),
           (int64_t) done.users, (int64_t) done.messages, (int64_t) done.delivered,
           (int64_t) done.read, o->migrate_db);
  return 0;
}

int
cz_server_main (int argc, char **argv)
{
  g_auto(CzServerOptions) options = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  g_autoptr(CzServerApp) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, cz_locale_dir ());
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
  /* Listed by --help-certificates and --help-all; they act only with
   * --generate-ca or --generate-cert, dispatched above. */
  g_option_context_add_group (context, cz_certgen_cli_group ());
  g_option_context_set_ignore_unknown_options (context, FALSE);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      g_printerr ("causerie-server: %s\n", error->message);
      return 2;
    }
  if (options.add_user)
    return add_user (&options);
  if (options.migrate_db)
    return migrate_db (&options, args);
  if (options.headless)
    return cz_headless_run (&options);

  app = cz_server_app_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
