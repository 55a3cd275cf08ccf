/* test-accounts.c: accounts end to end (DESIGN §2.5, §2.1 "Accounts", §4)
 * with the real causerie-server --headless and real causerie-client --cli
 * --json over loopback: registration, SCRAM login, the errors of the
 * account commands, --no-registration, --add-user, and login throttling
 * per account and per address. */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "chat-peer.h"
#include "cz-throttle.h"

/* ---- Accounts ---------------------------------------------------------------- */

/* Register and log in; a second registration of the name is refused and
 * leaves the account as it was. */
static void
test_register_login (Fixture *f, gconstpointer data)
{
  static const char *const secrets[] = { "Pw.alice-91c2e7", "Pw.other-77ab01", NULL };
  static const char *const just_alice[] = { "alice", NULL };
  Peer *alice, *other;
  JsonObject *ev;

  if (!chat_need_programs (f))
    return;
  alice = peer_join (f, "alice", secrets[0]);
  chat_assert_users (peer_barrier (alice), just_alice);

  other = peer_connect (f, NULL);
  peer_say (other, "/register alice %s", secrets[1]);
  ev = peer_take (other, "error");
  g_assert_cmpstr (ev_str (ev, "code"), ==, "user-exists");
  g_assert_cmpint (ev_int (ev, "ref"), >, 0);
  peer_say (other, "/login alice %s", secrets[1]);
  g_assert_cmpstr (ev_str (peer_take (other, "error"), "code"), ==, "auth-failed");
  peer_say (other, "/login alice %s", secrets[0]);
  peer_take_s (other, "logged-in", "user", "alice");
  chat_assert_db_lacks (f, secrets);
}

/* A wrong password and an unknown user get the same answer; the same
 * connection can then log in. */
static void
test_auth_failed (Fixture *f, gconstpointer data)
{
  Peer *p;
  JsonObject *wrong, *unknown;

  if (!chat_need_programs (f))
    return;
  peer_quit (peer_join (f, "alice", "Pw.alice-3e1f"));
  p = peer_connect (f, NULL);
  peer_say (p, "/login alice Pw.alice-3e1g");
  wrong = peer_take (p, "error");
  peer_say (p, "/login nobody Pw.alice-3e1f");
  unknown = peer_take (p, "error");
  g_assert_cmpstr (ev_str (wrong, "code"), ==, "auth-failed");
  g_assert_cmpstr (ev_str (unknown, "code"), ==, "auth-failed");
  g_assert_cmpstr (ev_str (wrong, "message"), ==, ev_str (unknown, "message"));
  g_assert_cmpuint (cz_test_client_count (p->c, "logged-in"), ==, 0);
  peer_say (p, "/login alice Pw.alice-3e1f");
  peer_take_s (p, "logged-in", "user", "alice");
}

/* Chat commands before logging in are refused by the server. */
static void
test_not_authenticated (Fixture *f, gconstpointer data)
{
  static const char *const commands[] = {
    "/say too early", "/msg alice too early", "/who", "/history #lobby", "/history alice 5",
    "/read 1",
  };
  Peer *p;

  if (!chat_need_programs (f))
    return;
  p = peer_connect (f, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      JsonObject *ev;

      peer_say (p, "%s", commands[i]);
      ev = peer_take (p, "error");
      g_assert_cmpstr (ev_str (ev, "code"), ==, "not-authenticated");
      /* `read` carries no ref; the others get theirs back. */
      if (g_str_has_prefix (commands[i], "/read"))
        g_assert_cmpint (ev_int (ev, "ref"), ==, 0);
      else
        g_assert_cmpint (ev_int (ev, "ref"), >, 0);
    }
  peer_say (p, "/register alice Pw.alice-0000");
  peer_take_s (p, "registered", "user", "alice");
}

/* Logged in: the client itself refuses a second /login (nothing is sent);
 * the server refuses registering on a logged-in connection. */
static void
test_already_authenticated (Fixture *f, gconstpointer data)
{
  static const char *const just_alice[] = { "alice", NULL };
  Peer *alice;
  JsonObject *ev;

  if (!chat_need_programs (f))
    return;
  alice = peer_join (f, "alice", "Pw.alice-5d5d");
  peer_say (alice, "/login alice Pw.alice-5d5d");
  ev = peer_take (alice, "error");
  g_assert_cmpstr (ev_str (ev, "code"), ==, "protocol");
  g_assert_cmpint (ev_int (ev, "ref"), ==, 0);
  peer_say (alice, "/register mallory Pw.mallory-1");
  ev = peer_take (alice, "error");
  g_assert_cmpstr (ev_str (ev, "code"), ==, "already-authenticated");
  g_assert_cmpint (ev_int (ev, "ref"), >, 0);
  chat_assert_users (peer_barrier (alice), just_alice);
  g_assert_cmpuint (cz_test_client_count (alice->c, "logged-in"), ==, 1);
  g_assert_cmpuint (cz_test_client_count (alice->c, "registered"), ==, 1);
}

/* --no-registration refuses new accounts; causerie-server --add-user
 * (password on standard input) makes one that can log in, while the
 * server runs. */
static void
test_registration_closed (Fixture *f, gconstpointer data)
{
  static const char *const secrets[] = { "Pw.dave-c0ffee", NULL };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *input = g_strdup_printf ("%s\n", secrets[0]);
  Peer *p, *other;

  if (!chat_need_programs (f))
    return;
  p = peer_connect (f, NULL);
  peer_say (p, "/register eve Pw.eve-1");
  g_assert_cmpstr (ev_str (peer_take (p, "error"), "code"), ==, "registration-closed");

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", f->dir, TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, cz_test_server_bin (), "--add-user",
                                      "dave", "--db", f->server->db, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, input, NULL, &out, &err, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_nonnull (strstr (out, "dave"));
  /* Not twice. */
  g_clear_object (&proc);
  proc = g_subprocess_launcher_spawn (launcher, &error, cz_test_server_bin (), "--add-user",
                                      "dave", "--db", f->server->db, NULL);
  g_assert_no_error (error);
  g_clear_pointer (&err, g_free);
  g_assert_true (g_subprocess_communicate_utf8 (proc, "Pw.dave-other\n", NULL, NULL, &err,
                                                &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
  g_assert_nonnull (strstr (err, "dave"));

  peer_say (p, "/login dave %s", secrets[0]);
  peer_take_s (p, "logged-in", "user", "dave");
  other = peer_connect (f, NULL);
  peer_say (other, "/login dave Pw.dave-c0ffef");
  g_assert_cmpstr (ev_str (peer_take (other, "error"), "code"), ==, "auth-failed");
  chat_assert_db_lacks (f, secrets);
}

/* ---- Throttling ------------------------------------------------------------------ */

/* TRUE if a socket listening on [::] is reached both from ::1 and from
 * 127.0.0.1: then loopback offers two client addresses. */
static gboolean
dual_stack_loopback (void)
{
  struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
  struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
  struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof any;
  int l = socket (AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int a = socket (AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int b = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  gboolean ok = l >= 0 && a >= 0 && b >= 0
                && bind (l, (struct sockaddr *) &any, sizeof any) == 0
                && listen (l, 4) == 0
                && getsockname (l, (struct sockaddr *) &any, &len) == 0;

  v6.sin6_port = v4.sin_port = any.sin6_port;
  ok = ok && connect (a, (struct sockaddr *) &v6, sizeof v6) == 0
       && connect (b, (struct sockaddr *) &v4, sizeof v4) == 0;
  if (l >= 0)
    close (l);
  if (a >= 0)
    close (a);
  if (b >= 0)
    close (b);
  return ok;
}

/* Logs in with a wrong password until the server throttles; returns the
 * throttled error. */
static JsonObject *
fail_until_throttled (Peer *p, const char *user)
{
  guint failed = 0;

  for (guint i = 0; i <= CZ_THROTTLE_FREE + 1; i++)
    {
      JsonObject *ev;

      peer_say (p, "/login %s Pw.not-the-password", user);
      ev = peer_take (p, "error");
      if (g_strcmp0 (ev_str (ev, "code"), "throttled") == 0)
        {
          /* The first failures are free (cz-throttle.h): at least
           * CZ_THROTTLE_FREE plain refusals came first. */
          g_assert_cmpuint (failed, >=, CZ_THROTTLE_FREE);
          g_assert_cmpint (ev_int (ev, "retry_after"), >=, 1);
          g_assert_cmpint (ev_int (ev, "ref"), >, 0);
          return ev;
        }
      g_assert_cmpstr (ev_str (ev, "code"), ==, "auth-failed");
      failed++;
    }
  g_error ("%u wrong passwords for %s and no “throttled” error", failed, user);
  return NULL;
}

/* Failed logins are throttled per (account, address) pair, per address
 * and per account (cz-throttle.h, doc/security.md §5.1–5.3): the pair
 * that guessed waits, while the account's owner from another address and
 * other accounts from the guessing address still get in.  A server on
 * [::] sees ::1 and 127.0.0.1 as two addresses; without IPv6 only one
 * address exists on loopback. */
static void
test_throttle (Fixture *f, gconstpointer data)
{
  static const char *const on_v6[] = { "--host", "::1", NULL };
  static const char *const any[] = { "--bind", "::", NULL };
  static const char *const users[] = { "carol", "alice", "dave" };
  g_autoptr(GError) error = NULL;
  gboolean dual;
  Peer *reg, *bad, *carol4, *alice4, *dave6;
  JsonObject *ev;
  gint64 wait_s;

  if (!chat_need_programs (f))
    return;
  dual = dual_stack_loopback ();
  if (dual)
    {
      g_assert_cmpint (cz_test_server_stop (f->server), ==, 0);
      g_clear_pointer (&f->server, cz_test_server_free);
      f->server = cz_test_server_start (f->dir, any, &error);
      g_assert_no_error (error);
    }
  reg = peer_connect (f, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      peer_say (reg, "/register %s Pw.%s-2024", users[i], users[i]);
      peer_take_s (reg, "registered", "user", users[i]);
    }
  peer_quit (reg);

  /* Connected ahead, so that the checks below run within the wait. */
  bad = peer_connect (f, dual ? on_v6 : NULL);
  carol4 = peer_connect (f, NULL);
  alice4 = peer_connect (f, NULL);
  dave6 = peer_connect (f, dual ? on_v6 : NULL);

  ev = fail_until_throttled (bad, "carol");
  if (!dual)
    {
      /* One address: other accounts from it have their own budget. */
      peer_say (alice4, "/login alice Pw.alice-2024");
      peer_take_s (alice4, "logged-in", "user", "alice");
      g_test_message ("no IPv6 loopback: the per-pair rule was checked on one address only");
      return;
    }

  /* One more failure after the wait doubles it (1 s, then 2 s). */
  g_usleep ((ev_int (ev, "retry_after") * 1000 + 100) * 1000);
  peer_say (bad, "/login carol Pw.not-the-password");
  g_assert_cmpstr (ev_str (peer_take (bad, "error"), "code"), ==, "auth-failed");

  peer_say (bad, "/login carol Pw.carol-2024");
  peer_say (carol4, "/login carol Pw.carol-2024");
  peer_say (dave6, "/login dave Pw.dave-2024");
  peer_say (alice4, "/login alice Pw.alice-2024");
  /* The guessing pair waits, even with the password... */
  ev = peer_take (bad, "error");
  g_assert_cmpstr (ev_str (ev, "code"), ==, "throttled");
  wait_s = ev_int (ev, "retry_after");
  g_assert_cmpint (wait_s, >=, 1);
  /* ...the owner from another address is not locked out... */
  peer_take_s (carol4, "logged-in", "user", "carol");
  /* ...nor another account from the guessing address (its budget is
   * larger), nor anyone else. */
  peer_take_s (dave6, "logged-in", "user", "dave");
  peer_take_s (alice4, "logged-in", "user", "alice");

  /* Once the wait is over the right password works from there too. */
  g_usleep ((wait_s * 1000 + 100) * 1000);
  peer_say (bad, "/login carol Pw.carol-2024");
  peer_take_s (bad, "logged-in", "user", "carol");
}

int
main (int argc, char **argv)
{
  static const char *const closed[] = { "--no-registration", NULL };

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/accounts/register-login", Fixture, NULL, chat_setup, test_register_login,
              chat_teardown);
  g_test_add ("/accounts/auth-failed", Fixture, NULL, chat_setup, test_auth_failed,
              chat_teardown);
  g_test_add ("/accounts/not-authenticated", Fixture, NULL, chat_setup, test_not_authenticated,
              chat_teardown);
  g_test_add ("/accounts/already-authenticated", Fixture, NULL, chat_setup,
              test_already_authenticated, chat_teardown);
  g_test_add ("/accounts/registration-closed", Fixture, closed, chat_setup,
              test_registration_closed, chat_teardown);
  g_test_add ("/accounts/throttle", Fixture, NULL, chat_setup, test_throttle, chat_teardown);
  return g_test_run ();
}
