/* test-attacks-login.c: the login attacks of the second review (issue #15,
 * items 1, 2, 3, 6, 9 and 12; doc/security.md §5.1–5.3, 5.6, 5.9, 5.12)
 * performed against the real headless server over loopback.  Each test
 * starts its own server (its own database and throttle), attacks it with
 * hand-driven clients (tests/fuzz/raw-client.c) from addresses of
 * 127.0.0.0/8 and checks what a legitimate user still can do, with the
 * real CLI client where it matters. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "testutil.h"
#include "fuzz/raw-client.h"
#include "cz-protocol.h"
#include "cz-message.h"
#include "cz-cert-generate.h"
#include "cz-scram.h"
#include "cz-throttle.h"
#include "cz-tls.h"


typedef struct {
  char *dir;
  char *ca;
  CzTestServer *server;
} Fixture;

static void
server_start (Fixture *f, const char *const *extra)
{
  g_autoptr(GError) error = NULL;

  f->server = cz_test_server_start (f->dir, extra, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->server);
}

static void
setup (Fixture *f, gconstpointer data)
{
  if (cz_test_server_bin () == NULL || cz_test_client_bin () == NULL)
    return;
  f->dir = cz_test_make_pki ();
  f->ca = g_build_filename (f->dir, "ca.pem", NULL);
  server_start (f, NULL);
}

static void
server_stop (Fixture *f)
{
  g_assert_cmpint (cz_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, cz_test_server_free);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->server)
    server_stop (f);
  if (f->dir)
    cz_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->ca);
}

#define SKIP_WITHOUT_PROGRAMS(f)                                               \
  G_STMT_START {                                                               \
    if ((f)->dir == NULL)                                                      \
      {                                                                        \
        g_test_skip ("CZ_SERVER_BIN / CZ_CLIENT_BIN not set");                 \
        return;                                                                \
      }                                                                        \
  } G_STMT_END

static CzRawClient *
raw_new (Fixture *f, const char *source)
{
  return cz_raw_client_new (f->server->port, f->ca, source, TRUE);
}

static const char *
code_of (GVariant *reply)
{
  g_assert_nonnull (reply);
  if (!g_str_equal (cz_message_kind (reply), "error"))
    return cz_message_kind (reply);
  return cz_message_opt_string (reply, "code", "");
}

/* One login from @source on a new connection: the code of the answer
 * ("auth-ok", "auth-failed", "throttled"); @retry_after set if throttled. */
static char *
login_once (Fixture *f, const char *source, const char *user, const char *password,
            guint *retry_after)
{
  g_autoptr(CzRawClient) r = raw_new (f, source);
  g_autoptr(GVariant) reply = cz_raw_login (r, user, password);

  if (retry_after)
    *retry_after = cz_message_opt_uint32 (reply, "retry_after", 0);
  return g_strdup (code_of (reply));
}

static void
register_user (Fixture *f, const char *user, const char *password)
{
  g_autoptr(CzRawClient) r = raw_new (f, NULL);

  cz_raw_register (r, user, password);
}

/* The real CLI client (with @extra arguments, may be NULL) logs in as
 * @user (TRUE) or is refused (FALSE). */
static gboolean
cli_login_with (Fixture *f, const char *const *extra, const char *user, const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) c = cz_test_client_start (f->dir, f->server->port, extra, &error);
  g_autofree char *line = g_strdup_printf ("/login %s %s", user, password);
  gboolean ok;

  g_assert_no_error (error);
  g_assert_nonnull (cz_test_client_expect (c, "connected", 10000));
  cz_test_client_send (c, line);
  /* logged-in, or an error (refused: no need to wait for a timeout). */
  ok = FALSE;
  for (guint i = 0; i < 80 && !ok && cz_test_client_count (c, "error") == 0; i++)
    ok = cz_test_client_expect_with (c, "logged-in", "user", user, 250) != NULL;
  cz_test_client_finish (c);
  return ok;
}

static gboolean
cli_login (Fixture *f, const char *user, const char *password)
{
  return cli_login_with (f, NULL, user, password);
}

/* ---- 1. Parallel password guessing ------------------------------------------------------ */

/* A SCRAM exchange started by hand on its own connection. */
typedef struct {
  CzRawClient *raw;
  CzScramClient *scram;
  GVariant *challenge;
} Exchange;

static void
exchange_start (Fixture *f, Exchange *x, const char *source, const char *user,
                const char *password)
{
  g_autoptr(GBytes) cbind = NULL;
  g_autofree char *first = NULL;

  x->raw = raw_new (f, source);
  cbind = cz_tls_channel_binding (x->raw->session, NULL);
  x->scram = cz_scram_client_new (user, password, cbind, NULL);
  first = cz_scram_client_first (x->scram);
  cz_raw_send (x->raw, cz_message_new ("auth-start", "ref", g_variant_new_uint32 (++x->raw->ref),
                                       "mechanism", g_variant_new_string (CZ_SCRAM_MECHANISM),
                                       "message", g_variant_new_string (first), NULL));
}

/* The answer to auth-finish, or to auth-start when it was not a challenge. */
static GVariant *
exchange_finish (Exchange *x)
{
  const char *server_first;
  g_autofree char *final = NULL;

  if (!g_str_equal (cz_message_kind (x->challenge), "auth-challenge"))
    return g_variant_ref (x->challenge);
  g_assert_true (cz_message_get_string (x->challenge, "message", &server_first, NULL));
  final = cz_scram_client_final (x->scram, server_first, NULL);
  g_assert_nonnull (final);
  cz_raw_send (x->raw, cz_message_new ("auth-finish", "ref", g_variant_new_uint32 (++x->raw->ref),
                                       "message", g_variant_new_string (final), NULL));
  return cz_raw_reply (x->raw, 10000);
}

static void
exchange_clear (Exchange *x)
{
  g_clear_pointer (&x->raw, cz_raw_client_free);
  g_clear_pointer (&x->scram, cz_scram_client_free);
  g_clear_pointer (&x->challenge, g_variant_unref);
}

#define PARALLEL 30

/* 30 connections send auth-start for one account, then a wrong
 * auth-finish each (the last one holds the right password): at most the
 * free budget of tries is answered, the rest is throttled, and the right
 * password among the rest does not get in. */
static void
test_parallel_guessing (Fixture *f, gconstpointer data)
{
  Exchange x[PARALLEL] = { { 0 } };
  guint failed = 0, throttled = 0, ok = 0;

  SKIP_WITHOUT_PROGRAMS (f);
  register_user (f, "paula", "the real one");
  for (guint i = 0; i < PARALLEL; i++)
    {
      g_autofree char *guess = g_strdup_printf ("guess %u", i);
      exchange_start (f, &x[i], "127.0.0.2", "paula",
                      i == PARALLEL - 1 ? "the real one" : guess);
    }
  for (guint i = 0; i < PARALLEL; i++)
    {
      x[i].challenge = cz_raw_reply (x[i].raw, 10000);
      g_assert_nonnull (x[i].challenge);
    }
  for (guint i = 0; i < PARALLEL; i++)
    {
      g_autoptr(GVariant) reply = exchange_finish (&x[i]);
      const char *code = code_of (reply);

      if (g_str_equal (code, "auth-failed"))
        failed++;
      else if (g_str_equal (code, "throttled"))
        {
          g_assert_cmpuint (cz_message_opt_uint32 (reply, "retry_after", 0), >=, 1);
          throttled++;
        }
      else if (g_str_equal (code, "auth-ok"))
        ok++;
      else
        g_error ("unexpected answer %s", code);
      exchange_clear (&x[i]);
    }
  g_test_message ("%u auth-failed, %u throttled, %u auth-ok", failed, throttled, ok);
  g_assert_cmpuint (failed, <=, CZ_THROTTLE_FREE);
  g_assert_cmpuint (ok, ==, 0);
  g_assert_cmpuint (failed + throttled, ==, PARALLEL);

  /* The owner, from elsewhere, is not locked out. */
  g_assert_true (cli_login (f, "paula", "the real one"));
}

/* ---- 2. A success resets only its own account -------------------------------------------- */

/* From one address: a wrong guess on a different account each time, and a
 * good login to the attacker's own account every third try.  The address
 * must end up throttled for the guesses. */
static void
test_success_keeps_address (Fixture *f, gconstpointer data)
{
  guint guesses = 0;
  gboolean throttled = FALSE;

  SKIP_WITHOUT_PROGRAMS (f);
  register_user (f, "sprayer", "my own password");
  for (guint i = 0; i < 40 && !throttled; i++)
    {
      g_autofree char *code = NULL;

      if (i % 3 == 2)
        {
          code = login_once (f, "127.0.0.4", "sprayer", "my own password", NULL);
          g_assert_true (g_str_equal (code, "auth-ok") || g_str_equal (code, "throttled"));
          continue;
        }
      {
        g_autofree char *victim = g_strdup_printf ("victim%u", i);
        code = login_once (f, "127.0.0.4", victim, "123456", NULL);
      }
      if (g_str_equal (code, "throttled"))
        throttled = TRUE;
      else
        {
          g_assert_cmpstr (code, ==, "auth-failed");
          guesses++;
        }
    }
  g_test_message ("%u wrong guesses answered before the address was throttled", guesses);
  g_assert_true (throttled);
  g_assert_cmpuint (guesses, <=, CZ_THROTTLE_ADDR_FREE);
  /* The accounts it guessed at are not slowed for anyone else. */
  register_user (f, "victim0", "victim's own");
  g_assert_true (cli_login (f, "victim0", "victim's own"));
}

/* ---- 3. No account lockout by others ----------------------------------------------------- */

static void
test_no_lockout (Fixture *f, gconstpointer data)
{
  guint retry = 0;
  guint failed = 0;
  g_autofree char *code = NULL;

  SKIP_WITHOUT_PROGRAMS (f);
  register_user (f, "vera", "vera's password");

  /* One address fails until it is refused (its own pair is throttled)... */
  for (guint i = 0; i < CZ_THROTTLE_FREE + 3; i++)
    {
      g_free (code);
      code = login_once (f, "127.0.0.5", "vera", "wrong", &retry);
      if (g_str_equal (code, "throttled"))
        break;
      g_assert_cmpstr (code, ==, "auth-failed");
      failed++;
    }
  g_assert_cmpstr (code, ==, "throttled");
  /* ...and a second one uses its free tries too. */
  for (guint i = 0; i < CZ_THROTTLE_FREE; i++)
    {
      g_free (code);
      code = login_once (f, "127.0.0.6", "vera", "wrong", NULL);
      g_assert_cmpstr (code, ==, "auth-failed");
      failed++;
    }
  /* Vera logs in from her own address at once. */
  g_assert_true (cli_login (f, "vera", "vera's password"));
  failed = 0;   /* her success forgot the account's failures */

  /* Many addresses together only slow the account down: never a ban,
   * never more than CZ_THROTTLE_ACCOUNT_MAX_WAIT, and Vera gets in after
   * the wait. */
  for (guint a = 10; failed < CZ_THROTTLE_ACCOUNT_FREE && a < 20; a++)
    {
      g_autofree char *source = g_strdup_printf ("127.0.0.%u", a);
      for (guint i = 0; i < CZ_THROTTLE_FREE && failed < CZ_THROTTLE_ACCOUNT_FREE; i++)
        {
          g_free (code);
          code = login_once (f, source, "vera", "wrong", NULL);
          if (g_str_equal (code, "auth-failed"))
            failed++;
          else
            g_assert_cmpstr (code, ==, "throttled");
        }
    }
  g_free (code);
  code = login_once (f, "127.0.0.30", "vera", "wrong", &retry);
  g_test_message ("after %u failures from many addresses: %s, retry after %u s",
                  failed, code, retry);
  g_assert_cmpstr (code, ==, "throttled");
  g_assert_cmpuint (retry, >=, 1);
  g_assert_cmpuint (retry, <=, CZ_THROTTLE_ACCOUNT_MAX_WAIT);
  g_usleep ((gulong) retry * G_USEC_PER_SEC + 200000);
  g_assert_true (cli_login (f, "vera", "vera's password"));
}

/* Failures from many addresses until the account itself slows down: a
 * login from a fresh address is then throttled. */
static void
slow_account_down (Fixture *f, const char *user)
{
  g_autofree char *code = NULL;
  guint failed = 0;

  for (guint a = 40; failed < CZ_THROTTLE_ACCOUNT_FREE && a < 60; a++)
    {
      g_autofree char *source = g_strdup_printf ("127.0.0.%u", a);

      for (guint i = 0; i < CZ_THROTTLE_FREE && failed < CZ_THROTTLE_ACCOUNT_FREE; i++)
        {
          g_free (code);
          code = login_once (f, source, user, "wrong", NULL);
          if (g_str_equal (code, "auth-failed"))
            failed++;
          else
            g_assert_cmpstr (code, ==, "throttled");
        }
    }
  g_free (code);
  code = login_once (f, "127.0.0.70", user, "wrong", NULL);
  g_assert_cmpstr (code, ==, "throttled");
}

/* A client certificate the server trusts skips the account's slowdown:
 * while guessing from everywhere keeps the account slowed, its owner with
 * a certificate from the client CA logs in at once; without one, not. */
static void
test_trusted_certificate (Fixture *f, gconstpointer data)
{
  g_autofree char *cert = NULL, *key = NULL, *ca_key = NULL;
  g_autoptr(CzCertInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  CzCertRequest req = { .common_name = "wanda", .client = TRUE };
  const char *server_args[] = { "--client-ca", NULL, "--request-client-cert", NULL };
  const char *client_args[] = { "--cert", NULL, "--key", NULL, NULL };

  SKIP_WITHOUT_PROGRAMS (f);
  cert = g_build_filename (f->dir, "wanda.pem", NULL);
  key = g_build_filename (f->dir, "wanda-key.pem", NULL);
  ca_key = g_build_filename (f->dir, "ca-key.pem", NULL);
  info = cz_cert_generate_signed (&req, f->ca, ca_key, cert, key, &error);
  g_assert_no_error (error);
  server_stop (f);
  server_args[1] = f->ca;
  server_start (f, server_args);
  client_args[1] = cert;
  client_args[3] = key;

  register_user (f, "wanda", "wanda's password");
  slow_account_down (f, "wanda");
  g_assert_false (cli_login (f, "wanda", "wanda's password"));
  g_assert_true (cli_login_with (f, client_args, "wanda", "wanda's password"));
}

/* ---- 6. User names checked before use ---------------------------------------------------- */

static goffset
log_size (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->dir, "server.log", NULL);
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_size;
}

static void
test_long_user_names (Fixture *f, gconstpointer data)
{
  g_autofree char *huge = g_malloc (60001);
  const char *bad[] = { huge, "Alice", "a b", "al=2Cice", "x\xc3\xa9", "a,b" };
  goffset before;

  SKIP_WITHOUT_PROGRAMS (f);
  memset (huge, 'a', 60000);
  huge[60000] = '\0';
  register_user (f, "alice", "alice's password");
  before = log_size (f);
  for (guint i = 0; i < 40; i++)
    {
      const char *name = bad[i % G_N_ELEMENTS (bad)];
      g_autoptr(CzRawClient) r = raw_new (f, "127.0.0.7");
      g_autoptr(GBytes) cbind = cz_tls_channel_binding (r->session, NULL);
      g_autoptr(CzScramClient) scram = cz_scram_client_new (name, "pw", cbind, NULL);
      g_autofree char *first = cz_scram_client_first (scram);
      g_autoptr(GVariant) reply = NULL;

      cz_raw_send (r, cz_message_new ("auth-start", "ref", g_variant_new_uint32 (1),
                                      "mechanism", g_variant_new_string (CZ_SCRAM_MECHANISM),
                                      "message", g_variant_new_string (first), NULL));
      reply = cz_raw_reply (r, 10000);
      /* Refused at once, as a wrong password would be (never a challenge). */
      g_assert_cmpstr (code_of (reply), ==, "auth-failed");
    }
  g_usleep (200000);
  g_test_message ("log grew by %" G_GINT64_FORMAT " bytes", (gint64) (log_size (f) - before));
  g_assert_cmpint (log_size (f) - before, <, 16384);
  /* Neither the throttle nor anything else held them against alice. */
  g_assert_true (cli_login (f, "alice", "alice's password"));
}

/* ---- 9. No enumeration through fake challenges ------------------------------------------- */

/* The salt and iteration count the server offers @user. */
static void
challenge_for (Fixture *f, const char *user, char **salt, guint *iterations)
{
  g_autoptr(CzRawClient) r = raw_new (f, NULL);
  g_autoptr(GBytes) cbind = cz_tls_channel_binding (r->session, NULL);
  g_autoptr(CzScramClient) scram = cz_scram_client_new (user, "pw", cbind, NULL);
  g_autofree char *first = cz_scram_client_first (scram);
  g_autoptr(GVariant) reply = NULL;
  g_auto(GStrv) attrs = NULL;
  const char *server_first;

  cz_raw_send (r, cz_message_new ("auth-start", "ref", g_variant_new_uint32 (1),
                                  "mechanism", g_variant_new_string (CZ_SCRAM_MECHANISM),
                                  "message", g_variant_new_string (first), NULL));
  reply = cz_raw_reply (r, 10000);
  g_assert_cmpstr (code_of (reply), ==, "auth-challenge");
  g_assert_true (cz_message_get_string (reply, "message", &server_first, NULL));
  attrs = g_strsplit (server_first, ",", -1);
  g_assert_cmpuint (g_strv_length (attrs), ==, 3);
  g_assert_true (g_str_has_prefix (attrs[1], "s="));
  g_assert_true (g_str_has_prefix (attrs[2], "i="));
  *salt = g_strdup (attrs[1] + 2);
  *iterations = (guint) g_ascii_strtoull (attrs[2] + 2, NULL, 10);
}

static void
test_fake_challenges (Fixture *f, gconstpointer data)
{
  const char *const more[] = { "--scram-iterations", "5000", NULL };
  g_autofree char *salt1 = NULL, *salt2 = NULL, *real_salt1 = NULL, *real_salt2 = NULL;
  guint it1 = 0, it2 = 0, real_it1 = 0, real_it2 = 0;

  SKIP_WITHOUT_PROGRAMS (f);
  register_user (f, "realone", "a password");
  challenge_for (f, "ghost", &salt1, &it1);
  challenge_for (f, "realone", &real_salt1, &real_it1);
  g_assert_cmpuint (real_it1, ==, 4096);
  g_assert_cmpuint (it1, ==, real_it1);
  g_assert_cmpuint (strlen (salt1), ==, strlen (real_salt1));

  /* Restarted, with another iteration count for new accounts. */
  server_stop (f);
  server_start (f, more);
  challenge_for (f, "ghost", &salt2, &it2);
  challenge_for (f, "realone", &real_salt2, &real_it2);
  g_assert_cmpstr (real_salt2, ==, real_salt1);
  g_assert_cmpuint (real_it2, ==, 4096);
  /* The unknown name looks the same as before, like a real account. */
  g_assert_cmpstr (salt2, ==, salt1);
  g_assert_cmpuint (it2, ==, it1);
}

/* ---- 12. Passwords normalized (RFC 8265 OpaqueString) ------------------------------------- */

#define NFC "caf\xc3\xa9-cr\xc3\xa8me"          /* "café-crème", precomposed */
#define NFD "cafe\xcc\x81-cre\xcc\x80me"       /* the same, decomposed */

static void
register_cli (Fixture *f, const char *user, const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) c = cz_test_client_start (f->dir, f->server->port, NULL, &error);
  g_autofree char *line = g_strdup_printf ("/register %s %s", user, password);

  g_assert_no_error (error);
  cz_test_client_send (c, line);
  g_assert_nonnull (cz_test_client_expect_with (c, "registered", "user", user, 20000));
  cz_test_client_finish (c);
}

static void
test_password_normalization (Fixture *f, gconstpointer data)
{
  SKIP_WITHOUT_PROGRAMS (f);
  register_cli (f, "nfc", NFC);
  g_assert_true (cli_login (f, "nfc", NFD));
  g_assert_true (cli_login (f, "nfc", NFC));
  register_cli (f, "nfd", NFD);
  g_assert_true (cli_login (f, "nfd", NFC));
  /* The hand-driven client goes through the same derivation. */
  {
    g_autoptr(CzRawClient) r = raw_new (f, NULL);
    g_autoptr(GVariant) reply = cz_raw_login (r, "nfd", NFC);
    g_assert_cmpstr (code_of (reply), ==, "auth-ok");
  }
  /* A different password is still refused. */
  g_assert_false (cli_login (f, "nfc", "cafe-creme"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/attacks-login/" name, Fixture, NULL, setup, fn, teardown)
  ADD ("parallel-guessing", test_parallel_guessing);
  ADD ("success-keeps-address", test_success_keeps_address);
  ADD ("no-lockout", test_no_lockout);
  ADD ("trusted-certificate", test_trusted_certificate);
  ADD ("long-user-names", test_long_user_names);
  ADD ("fake-challenges", test_fake_challenges);
  ADD ("password-normalization", test_password_normalization);
  return g_test_run ();
}
