/* bench-main.c: causerie-bench's command line.
 *
 *   causerie-bench relay  --target causerie|ngircd|echo|forward --port P --ca F [workload]
 *   causerie-bench logins --target causerie|tls --port P --ca F [--concurrency C --duration S]
 *   causerie-bench idle   --target causerie|ngircd --port P --ca F --clients N --server-pid PID
 *   causerie-bench tls-server --cert F --key F [--bind ADDR] [--port N] [--forward]
 *   causerie-bench mkusers --db PATH --count N [--password P] [--iterations N]
 *   causerie-bench dhparams --out F
 *   causerie-bench free-port
 *
 * See tests/bench/run-bench for how they fit together. */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <glib/gi18n-lib.h>

#include "bench.h"

int
main (int argc, char **argv)
{
  BenchOptions o = {
    .port = 0,
    .clients = 100,
    .messages = 20000,
    .size = 128,
    .window = 32,
    .rate = 0,
    .duration = 5,
    .warmup = 2,
    .concurrency = 64,
    .timeout = 120,
    .threads = 1,
  };
  g_autofree char *target = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *bind_addr = NULL;
  g_autofree char *db = NULL;
  g_autofree char *out = NULL;
  gboolean forward = FALSE;
  int count = 0, iterations = 4096;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  const char *command;
  int rc;
  GOptionEntry entries[] = {
    { "target", 't', 0, G_OPTION_ARG_STRING, &target, N_("causerie, ngircd, echo or tls"), "NAME" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &o.host, N_("server address (127.0.0.1)"), "ADDR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &o.port, N_("server port"), "N" },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &o.ca_file, N_("CA certificate to trust"), "F" },
    { "pin-cert", 0, 0, G_OPTION_ARG_FILENAME, &o.pin_cert, N_("pin this certificate's key instead of --ca"), "F" },
    { "prefix", 0, 0, G_OPTION_ARG_STRING, &o.prefix, N_("user and nick prefix (u)"), "S" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &o.password, N_("bench users' password"), "P" },
    { "first-user", 0, 0, G_OPTION_ARG_INT, &o.first_user, N_("index of the first user (0)"), "N" },
    { "clients", 'n', 0, G_OPTION_ARG_INT, &o.clients, N_("connections (100)"), "N" },
    { "messages", 'm', 0, G_OPTION_ARG_INT, &o.messages, N_("messages in all, closed loop (20000)"), "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &o.size, N_("text bytes per message (128)"), "N" },
    { "window", 'w', 0, G_OPTION_ARG_INT, &o.window, N_("messages outstanding per sender (32)"), "N" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &o.rate, N_("open loop: messages per second in all"), "R" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o.duration, N_("open loop: measurement window; logins: seconds (5)"), "S" },
    { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &o.warmup, N_("open loop: seconds before the window (2)"), "S" },
    { "forward", 0, 0, G_OPTION_ARG_NONE, &forward, N_("tls-server: the transport floor (forward frames, fixed ack)"), NULL },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &o.concurrency, N_("connections set up at once (64)"), "N" },
    { "server-pid", 0, 0, G_OPTION_ARG_INT, &o.server_pid, N_("server process for RSS and CPU"), "PID" },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o.timeout, N_("bound of the command, seconds (120)"), "S" },
    { "receipts", 0, 0, G_OPTION_ARG_NONE, &o.receipts, N_("causerie recipients send `received`"), NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o.threads, N_("logins: generator threads (1)"), "N" },
    { "label", 0, 0, G_OPTION_ARG_STRING, &o.label, N_("target name in RESULT lines"), "NAME" },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, N_("tls-server: certificate"), "F" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key, N_("tls-server: key"), "F" },
    { "bind", 0, 0, G_OPTION_ARG_STRING, &bind_addr, N_("tls-server: address (127.0.0.1)"), "ADDR" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, N_("mkusers: database"), "PATH" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, N_("mkusers: users to create"), "N" },
    { "iterations", 0, 0, G_OPTION_ARG_INT, &iterations, N_("mkusers: SCRAM iterations (4096)"), "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("dhparams: output file"), "F" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  signal (SIGPIPE, SIG_IGN);
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  context = g_option_context_new (_("COMMAND — relay, logins, idle, tls-server, mkusers, dhparams, free-port"));
  g_option_context_set_summary (context, _("The Causerie load generator (doc/performance.md)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("causerie-bench: %s\n", error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("causerie-bench: %s\n", _("one command expected (see --help)"));
      return 2;
    }
  command = argv[1];
  if (o.host == NULL)
    o.host = g_strdup ("127.0.0.1");
  if (o.prefix == NULL)
    o.prefix = g_strdup ("u");
  if (o.password == NULL)
    o.password = g_strdup ("bench-password");
  o.clients = MAX (o.clients, 1);
  o.window = MAX (o.window, 1);
  o.concurrency = MAX (o.concurrency, 1);
  o.threads = CLAMP (o.threads, 1, 16);
  o.size = MAX (o.size, BENCH_TEXT_MIN);

  if (g_str_equal (command, "relay") && g_strcmp0 (target, "causerie") == 0)
    rc = bench_cz_relay (&o);
  else if (g_str_equal (command, "relay") && g_strcmp0 (target, "ngircd") == 0)
    rc = bench_irc_relay (&o);
  else if (g_str_equal (command, "relay") && g_strcmp0 (target, "echo") == 0)
    rc = bench_tls_echo (&o);
  else if (g_str_equal (command, "relay") && g_strcmp0 (target, "forward") == 0)
    rc = bench_tls_forward (&o);
  else if (g_str_equal (command, "logins") && g_strcmp0 (target, "causerie") == 0)
    rc = bench_cz_logins (&o);
  else if (g_str_equal (command, "logins") && g_strcmp0 (target, "tls") == 0)
    rc = bench_tls_handshakes (&o);
  else if (g_str_equal (command, "idle") && g_strcmp0 (target, "causerie") == 0)
    rc = bench_cz_idle (&o);
  else if (g_str_equal (command, "idle") && g_strcmp0 (target, "ngircd") == 0)
    rc = bench_irc_idle (&o);
  else if (g_str_equal (command, "tls-server"))
    rc = bench_tls_server (cert, key, bind_addr ? bind_addr : "127.0.0.1", o.port,
                           forward);
  else if (g_str_equal (command, "mkusers"))
    rc = bench_make_users (db, o.prefix, count, o.password, iterations);
  else if (g_str_equal (command, "dhparams"))
    rc = bench_dh_params (out);
  else if (g_str_equal (command, "free-port"))
    rc = bench_free_port ();
  else
    {
      g_printerr (_("causerie-bench: unknown command or target “%s %s” (see --help)\n"),
                  command, target ? target : "");
      rc = 2;
    }
  g_free (o.host);
  g_free (o.prefix);
  g_free (o.password);
  g_free (o.ca_file);
  g_free (o.pin_cert);
  g_free (o.label);
  return rc;
}
