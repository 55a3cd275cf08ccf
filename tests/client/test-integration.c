/* test-integration.c: the real causerie-server --headless and
 * causerie-client --cli over loopback with real TLS: the secure session,
 * trust failures, groups, and interoperability with stock GnuTLS tools. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "testutil.h"
#include "cz-cert.h"
#include "cz-cert-generate.h"

typedef struct {
  char *dir;
  CzTestServer *server;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char *const *extra = data;

  if (cz_test_server_bin () == NULL || cz_test_client_bin () == NULL)
    return;
  f->dir = cz_test_make_pki ();
  f->server = cz_test_server_start (f->dir, extra, &error);
  g_assert_no_error (error);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->server)
    g_assert_cmpint (cz_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, cz_test_server_free);
  cz_test_rmdir (f->dir);
  g_free (f->dir);
}

static CzTestServer *start_with_cert (Fixture *f, const char *cert, const char *key);

static gboolean
need_programs (Fixture *f)
{
  if (f->server == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN / CZ_CLIENT_BIN not set");
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_hex (const char *s, gsize len)
{
  if (s == NULL || strlen (s) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (s[i]) || g_ascii_isupper (s[i]))
      return FALSE;
  return TRUE;
}

/* The connected event carries the TLS and DH facts of DESIGN §4. */
static void
test_connected (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) c = NULL;
  JsonObject *ev, *tls, *dh;
  const char *code;

  if (!need_programs (f))
    return;
  c = cz_test_client_start (f->dir, f->server->port, NULL, &error);
  g_assert_no_error (error);
  ev = cz_test_client_expect (c, "connected", 10000);
  g_assert_nonnull (ev);
  tls = json_object_get_object_member (ev, "tls");
  dh = json_object_get_object_member (ev, "dh");
  g_assert_nonnull (tls);
  g_assert_nonnull (dh);
  g_assert_cmpstr (json_object_get_string_member (tls, "protocol"), ==, "TLS1.3");
  g_assert_cmpstr (json_object_get_string_member (tls, "alpn"), ==, "causerie/1");
  g_assert_cmpstr (json_object_get_string_member (tls, "trust"), ==, "ca");
  g_assert_true (is_hex (json_object_get_string_member (tls, "fingerprint"), 64));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (tls, "server_cert"),
                                                  "subject"), ==, "CN=localhost");
  g_assert_cmpstr (json_object_get_string_member (dh, "group"), ==, "x25519");
  g_assert_cmpstr (json_object_get_string_member (dh, "prime"), ==,
                   "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed");
  g_assert_true (is_hex (json_object_get_string_member (dh, "public"), 64));
  g_assert_true (is_hex (json_object_get_string_member (dh, "server_public"), 64));
  g_assert_cmpstr (json_object_get_string_member (dh, "public"), !=,
                   json_object_get_string_member (dh, "server_public"));
  code = json_object_get_string_member (dh, "code");
  g_assert_true (g_regex_match_simple ("^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$",
                                       code, 0, 0));
  g_assert_cmpint (cz_test_client_finish (c), ==, 0);

  /* The server logged the same verification code: both sides agree.  The
   * client can be done before the server logs its side: wait a little. */
  {
    g_autofree char *path = g_build_filename (f->dir, "server.log", NULL);
    gboolean found = FALSE;
    for (int i = 0; i < 100 && !found; i++)
      {
        g_autofree char *log = NULL;
        g_assert_true (g_file_get_contents (path, &log, NULL, NULL));
        found = strstr (log, code) != NULL;
        if (!found)
          g_usleep (50000);
      }
    g_assert_true (found);
  }
}

static void
test_ffdhe (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) c = NULL;
  JsonObject *ev, *dh;
  if (!need_programs (f))
    return;
  c = cz_test_client_start (f->dir, f->server->port, NULL, &error);
  g_assert_no_error (error);
  ev = cz_test_client_expect (c, "connected", 10000);
  g_assert_nonnull (ev);
  dh = json_object_get_object_member (ev, "dh");
  g_assert_cmpstr (json_object_get_string_member (dh, "group"), ==, "ffdhe2048");
  g_assert_cmpuint (strlen (json_object_get_string_member (dh, "prime")), ==, 512);
  g_assert_true (is_hex (json_object_get_string_member (dh, "public"), 512));
  g_assert_true (is_hex (json_object_get_string_member (dh, "server_public"), 512));
  g_assert_cmpint (cz_test_client_finish (c), ==, 0);
}

/* A client trusting another CA refuses the server, says why, exits non-zero. */
static void
test_wrong_ca (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) c = NULL;
  g_autofree char *other = NULL;
  g_autofree char *other_ca = NULL;
  const char *args[3];
  JsonObject *ev;

  if (!need_programs (f))
    return;
  other = cz_test_make_pki ();
  other_ca = g_build_filename (other, "ca.pem", NULL);
  args[0] = "--ca-file";
  args[1] = other_ca;
  args[2] = NULL;
  c = cz_test_client_start (f->dir, f->server->port, args, &error);
  g_assert_no_error (error);
  ev = cz_test_client_expect (c, "error", 10000);
  g_assert_nonnull (ev);
  g_assert_cmpstr (json_object_get_string_member (ev, "code"), ==, "cert-untrusted");
  g_assert_nonnull (strstr (json_object_get_string_member (ev, "message"),
                            "not signed by the CA in ca.pem"));
  g_assert_cmpuint (cz_test_client_count (c, "connected"), ==, 0);
  g_assert_cmpint (cz_test_client_finish (c), !=, 0);
  cz_test_rmdir (other);
}

/* Certificates are checked against the address used: a certificate for
 * DNS:localhost only does not pass for 127.0.0.1, one with IP:127.0.0.1
 * does (the default fixture). */
static void
test_ip_san (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) c = NULL;
  g_autoptr(CzTestServer) server = NULL;
  g_autofree char *ca = NULL, *ca_key = NULL, *cert = NULL, *key = NULL;
  const char *sans[] = { "DNS:localhost", NULL };
  CzCertRequest req = { .common_name = "localhost", .sans = sans };
  JsonObject *ev;

  if (!need_programs (f))
    return;
  ca = g_build_filename (f->dir, "ca.pem", NULL);
  ca_key = g_build_filename (f->dir, "ca-key.pem", NULL);
  cert = g_build_filename (f->dir, "dns-only.pem", NULL);
  key = g_build_filename (f->dir, "dns-only-key.pem", NULL);
  cz_cert_info_free (cz_cert_generate_signed (&req, ca, ca_key, cert, key, &error));
  g_assert_no_error (error);
  server = start_with_cert (f, cert, key);

  c = cz_test_client_start (f->dir, server->port, NULL, &error);
  g_assert_no_error (error);
  ev = cz_test_client_expect (c, "error", 10000);
  g_assert_nonnull (ev);
  g_assert_cmpstr (json_object_get_string_member (ev, "code"), ==, "cert-untrusted");
  g_assert_nonnull (strstr (json_object_get_string_member (ev, "message"), "127.0.0.1"));
  g_assert_cmpint (cz_test_client_finish (c), !=, 0);
  g_assert_cmpint (cz_test_server_stop (server), ==, 0);
}

/* Nothing listening: a clear refusal, exit 1. */
static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) c = NULL;
  JsonObject *ev;
  guint16 port;

  if (!need_programs (f))
    return;
  port = f->server->port;
  g_assert_cmpint (cz_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, cz_test_server_free);
  c = cz_test_client_start (f->dir, port, NULL, &error);
  g_assert_no_error (error);
  ev = cz_test_client_expect (c, "error", 15000);
  g_assert_nonnull (ev);
  g_assert_nonnull (strstr (json_object_get_string_member (ev, "message"), "refused"));
  g_assert_cmpint (cz_test_client_finish (c), ==, 1);
}

/* A stock gnutls-cli with ALPN causerie/1 completes TLS 1.3 and receives
 * the server's unsealed hello. */
static void
test_gnutls_cli (Fixture *f, gconstpointer data)
{
  g_autofree char *gnutls_cli = g_find_program_in_path ("gnutls-cli");
  g_autofree char *ca = NULL, *port = NULL, *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!need_programs (f))
    return;
  if (gnutls_cli == NULL)
    {
      g_test_skip ("gnutls-cli not installed");
      return;
    }
  ca = g_build_filename (f->dir, "ca.pem", NULL);
  port = g_strdup_printf ("%u", f->server->port);
  {
    const char *argv[] = { "timeout", "10", gnutls_cli, "--alpn", "causerie/1", "--x509cafile", ca,
                           "-p", port, "127.0.0.1", NULL };
    g_autoptr(GSubprocess) proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE
                                                     | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                     | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
    g_assert_no_error (error);
    /* Empty stdin: gnutls-cli reads the hello, then ends at EOF. */
    g_subprocess_communicate_utf8 (proc, "", NULL, &out, &err, &error);
    g_assert_no_error (error);
    status = g_subprocess_get_exit_status (proc);
  }
  if (g_test_verbose ())
    g_printerr ("%s\n%s\n", out, err);
  g_assert_nonnull (strstr (out, "TLS1.3"));
  g_assert_nonnull (strstr (out, "causerie/1"));
  g_assert_nonnull (strstr (out, "Handshake was completed"));
  (void) status;
}

/* Makes NAME.pem / NAME-key.pem with certtool from @template, signed by
 * the fixture's CA.  FALSE (test skipped) without certtool. */
static gboolean
certtool_issue (Fixture *f, const char *name, const char *template, char **cert, char **key)
{
  const char *certtool = g_getenv ("CERTTOOL");
  g_autofree char *found = g_find_program_in_path ("certtool");
  g_autofree char *tmpl = g_strdup_printf ("%s/%s.cfg", f->dir, name);
  g_autofree char *ca = g_build_filename (f->dir, "ca.pem", NULL);
  g_autofree char *ca_key = g_build_filename (f->dir, "ca-key.pem", NULL);
  g_autoptr(GError) error = NULL;

  if (certtool == NULL || *certtool == '\0')
    certtool = found;
  if (certtool == NULL)
    {
      g_test_skip ("certtool not installed");
      return FALSE;
    }
  *cert = g_strdup_printf ("%s/%s.pem", f->dir, name);
  *key = g_strdup_printf ("%s/%s-key.pem", f->dir, name);
  g_assert_true (g_file_set_contents (tmpl, template, -1, NULL));
  {
    const char *gen_key[] = { certtool, "--generate-privkey", "--key-type", "ecdsa",
                              "--outfile", *key, NULL };
    const char *gen_cert[] = { certtool, "--generate-certificate", "--load-privkey", *key,
                               "--load-ca-certificate", ca, "--load-ca-privkey", ca_key,
                               "--template", tmpl, "--outfile", *cert, NULL };
    const char *const *steps[] = { gen_key, gen_cert };

    for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
      {
        g_autoptr(GSubprocess) p = g_subprocess_newv (steps[i], G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                                      | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
        g_assert_no_error (error);
        g_assert_true (g_subprocess_wait_check (p, NULL, &error));
        g_assert_no_error (error);
      }
  }
  return TRUE;
}

static CzTestServer *
start_with_cert (Fixture *f, const char *cert, const char *key)
{
  g_autoptr(GError) error = NULL;
  const char *args[] = { "--cert", cert, "--key", key, NULL };
  CzTestServer *server = cz_test_server_start (f->dir, args, &error);

  g_assert_no_error (error);
  return server;
}

/* A certificate made by certtool serves as the server certificate. */
static void
test_certtool_cert (Fixture *f, gconstpointer data)
{
  g_autofree char *key = NULL, *cert = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestServer) server = NULL;
  g_autoptr(CzTestClient) c = NULL;

  if (!need_programs (f)
      || !certtool_issue (f, "ct", "cn = \"localhost\"\n"
                                   "dns_name = \"localhost\"\n"
                                   "ip_address = \"127.0.0.1\"\n"
                                   "tls_www_server\nsigning_key\nexpiration_days = 30\n",
                          &cert, &key))
    return;
  server = start_with_cert (f, cert, key);
  c = cz_test_client_start (f->dir, server->port, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cz_test_client_expect (c, "connected", 10000));
  g_assert_cmpint (cz_test_client_finish (c), ==, 0);
  g_assert_cmpint (cz_test_server_stop (server), ==, 0);
}

/* A server given a key that is not its certificate's refuses to start. */
static void
test_mismatched_key (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *other = NULL, *other_key = NULL;
  const char *args[3];
  CzTestServer *server;

  if (!need_programs (f))
    return;
  other = cz_test_make_pki ();
  other_key = g_build_filename (other, "server-key.pem", NULL);
  args[0] = "--key";
  args[1] = other_key;
  args[2] = NULL;
  server = cz_test_server_start (f->dir, args, &error);
  g_assert_null (server);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "does not belong"));
  cz_test_rmdir (other);
}

/* Trust on first use over the real programs: pinned on first use, passes
 * silently afterwards, and a changed key blocks before any login. */
static void
test_tofu (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *known = g_build_filename (f->dir, "causerie", "known-servers", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *line = NULL;
  g_autofree char *port = NULL;
  g_autofree char *other = NULL, *other_cert = NULL, *other_key = NULL;
  const char *tofu[] = { "--trust-on-first-use", NULL };
  const char *plain[] = { "--known-servers", known, NULL };
  JsonObject *ev, *tls;
  g_autofree char *pin = NULL;

  if (!need_programs (f))
    return;
  {
    g_autoptr(CzTestClient) c = cz_test_client_start (f->dir, f->server->port, tofu, &error);
    g_assert_no_error (error);
    g_assert_nonnull (cz_test_client_expect (c, "trust-prompt", 10000));
    ev = cz_test_client_expect (c, "connected", 10000);
    g_assert_nonnull (ev);
    tls = json_object_get_object_member (ev, "tls");
    g_assert_cmpstr (json_object_get_string_member (tls, "trust"), ==, "first-use");
    pin = g_strdup (json_object_get_string_member (tls, "fingerprint"));
    g_assert_true (g_file_get_contents (known, &contents, NULL, NULL));
    line = g_strdup_printf ("127.0.0.1:%u %s\n", f->server->port, pin);
    g_assert_nonnull (strstr (contents, line));
    g_assert_cmpint (cz_test_client_finish (c), ==, 0);
  }
  /* Known now: no prompt, no flag needed. */
  {
    g_autoptr(CzTestClient) c = cz_test_client_start (f->dir, f->server->port, plain, &error);
    g_assert_no_error (error);
    ev = cz_test_client_expect (c, "connected", 10000);
    g_assert_nonnull (ev);
    g_assert_cmpuint (cz_test_client_count (c, "trust-prompt"), ==, 0);
    g_assert_cmpint (cz_test_client_finish (c), ==, 0);
  }
  /* The same address and port with another key. */
  port = g_strdup_printf ("%u", f->server->port);

  g_assert_cmpint (cz_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, cz_test_server_free);
  other = cz_test_make_pki ();
  other_cert = g_build_filename (other, "server.pem", NULL);
  other_key = g_build_filename (other, "server-key.pem", NULL);
  {
    const char *args[] = { "--port", port, "--cert", other_cert, "--key", other_key, NULL };
    f->server = cz_test_server_start (f->dir, args, &error);
    g_assert_no_error (error);
  }
  {
    g_autoptr(CzTestClient) c = cz_test_client_start (f->dir, f->server->port, tofu, &error);
    g_autofree char *log = NULL;
    g_autofree char *log_path = g_build_filename (f->dir, "server.log", NULL);
    g_assert_no_error (error);
    /* Logging in is queued behind the connection and must never happen. */
    cz_test_client_send (c, "/login alice secret");
    ev = cz_test_client_expect (c, "error", 10000);
    g_assert_nonnull (ev);
    g_assert_cmpstr (json_object_get_string_member (ev, "code"), ==, "key-changed");
    g_assert_nonnull (strstr (json_object_get_string_member (ev, "message"), pin));
    g_assert_cmpint (cz_test_client_finish (c), !=, 0);
    g_assert_cmpuint (cz_test_client_count (c, "connected"), ==, 0);
    g_assert_cmpuint (cz_test_client_count (c, "trust-prompt"), ==, 0);
    /* The second server's log: the client broke off in the TLS
     * handshake; no session was secured and nobody logged in. */
    g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
    g_assert_nonnull (strstr (log, "connected from"));
    g_assert_null (strstr (log, "secured"));
    g_assert_null (strstr (log, "logged in"));
  }
  /* The pin still holds the old key. */
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (known, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, line));
  cz_test_rmdir (other);
}

/* Unknown server, no --trust-on-first-use: refused with a hint. */
static void
test_unknown_server (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *known = g_build_filename (f->dir, "empty-known", NULL);
  const char *args[] = { "--known-servers", known, NULL };
  g_autoptr(CzTestClient) c = NULL;
  JsonObject *ev;

  if (!need_programs (f))
    return;
  c = cz_test_client_start (f->dir, f->server->port, args, &error);
  g_assert_no_error (error);
  ev = cz_test_client_expect (c, "error", 10000);
  g_assert_nonnull (ev);
  g_assert_nonnull (strstr (json_object_get_string_member (ev, "message"), "--trust-on-first-use"));
  g_assert_cmpint (cz_test_client_finish (c), !=, 0);
  g_assert_false (g_file_test (known, G_FILE_TEST_EXISTS));
}

static void
test_pin (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = g_build_filename (f->dir, "server.pem", NULL);
  g_autoptr(CzCertInfo) info = cz_cert_info_new_from_file (cert, &error);
  const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";

  if (!need_programs (f))
    return;
  g_assert_no_error (error);
  {
    const char *args[] = { "--pin", info->spki_sha256, NULL };
    g_autoptr(CzTestClient) c = cz_test_client_start (f->dir, f->server->port, args, &error);
    JsonObject *ev;
    g_assert_no_error (error);
    ev = cz_test_client_expect (c, "connected", 10000);
    g_assert_nonnull (ev);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (ev, "tls"), "trust"),
                     ==, "pin");
    g_assert_cmpint (cz_test_client_finish (c), ==, 0);
  }
  {
    const char *args[] = { "--pin", wrong, NULL };
    g_autoptr(CzTestClient) c = cz_test_client_start (f->dir, f->server->port, args, &error);
    JsonObject *ev;
    g_assert_no_error (error);
    ev = cz_test_client_expect (c, "error", 10000);
    g_assert_nonnull (ev);
    g_assert_cmpstr (json_object_get_string_member (ev, "code"), ==, "cert-untrusted");
    g_assert_nonnull (strstr (json_object_get_string_member (ev, "message"), wrong));
    g_assert_cmpint (cz_test_client_finish (c), !=, 0);
  }
}

/* Mutual TLS through the programs: --require-client-cert refuses a client
 * without a certificate and accepts one with a certificate from the CA. */
static void
test_mtls (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestServer) server = NULL;
  g_autofree char *ca = g_build_filename (f->dir, "ca.pem", NULL);
  g_autofree char *ca_key = g_build_filename (f->dir, "ca-key.pem", NULL);
  g_autofree char *cert = g_build_filename (f->dir, "dev.pem", NULL);
  g_autofree char *key = g_build_filename (f->dir, "dev-key.pem", NULL);
  CzCertRequest req = { .common_name = "alice-laptop", .client = TRUE };
  const char *server_args[] = { "--client-ca", ca, "--require-client-cert", NULL };
  const char *with_cert[] = { "--cert", cert, "--key", key, NULL };
  JsonObject *ev;

  if (!need_programs (f))
    return;
  cz_cert_info_free (cz_cert_generate_signed (&req, ca, ca_key, cert, key, &error));
  g_assert_no_error (error);
  server = cz_test_server_start (f->dir, server_args, &error);
  g_assert_no_error (error);
  {
    g_autoptr(CzTestClient) c = cz_test_client_start (f->dir, server->port, NULL, &error);
    g_assert_no_error (error);
    ev = cz_test_client_expect (c, "error", 10000);
    g_assert_nonnull (ev);
    g_assert_cmpstr (json_object_get_string_member (ev, "code"), ==, "cert-untrusted");
    g_assert_nonnull (strstr (json_object_get_string_member (ev, "message"), "client certificate"));
    g_assert_cmpint (cz_test_client_finish (c), !=, 0);
  }
  {
    g_autoptr(CzTestClient) c = cz_test_client_start (f->dir, server->port, with_cert, &error);
    JsonObject *tls;
    g_assert_no_error (error);
    ev = cz_test_client_expect (c, "connected", 10000);
    g_assert_nonnull (ev);
    tls = json_object_get_object_member (ev, "tls");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (tls, "client_cert"),
                                                    "subject"), ==, "CN=alice-laptop");
    g_assert_cmpint (cz_test_client_finish (c), ==, 0);
  }
  g_assert_cmpint (cz_test_server_stop (server), ==, 0);
}

/* An expired server certificate is refused, and the message says so. */
static void
test_expired (Fixture *f, gconstpointer data)
{
  g_autofree char *key = NULL, *cert = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestServer) server = NULL;
  g_autoptr(CzTestClient) c = NULL;
  JsonObject *ev;

  if (!need_programs (f)
      || !certtool_issue (f, "old", "cn = \"localhost\"\nip_address = \"127.0.0.1\"\n"
                                    "tls_www_server\nsigning_key\n"
                                    "activation_date = \"2020-01-01 00:00:00\"\n"
                                    "expiration_date = \"2021-01-01 00:00:00\"\n",
                          &cert, &key))
    return;
  server = start_with_cert (f, cert, key);
  c = cz_test_client_start (f->dir, server->port, NULL, &error);
  g_assert_no_error (error);
  ev = cz_test_client_expect (c, "error", 10000);
  g_assert_nonnull (ev);
  g_assert_cmpstr (json_object_get_string_member (ev, "code"), ==, "cert-untrusted");
  g_assert_nonnull (strstr (json_object_get_string_member (ev, "message"), "expired"));
  g_assert_cmpint (cz_test_client_finish (c), !=, 0);
  g_assert_cmpint (cz_test_server_stop (server), ==, 0);
}

int
main (int argc, char **argv)
{
  static const char *const ffdhe[] = { "--dh-group", "ffdhe2048", NULL };

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/integration/connected", Fixture, NULL, setup, test_connected, teardown);
  g_test_add ("/integration/ffdhe2048", Fixture, ffdhe, setup, test_ffdhe, teardown);
  g_test_add ("/integration/wrong-ca", Fixture, NULL, setup, test_wrong_ca, teardown);
  g_test_add ("/integration/ip-san", Fixture, NULL, setup, test_ip_san, teardown);
  g_test_add ("/integration/refused", Fixture, NULL, setup, test_refused, teardown);
  g_test_add ("/integration/gnutls-cli", Fixture, NULL, setup, test_gnutls_cli, teardown);
  g_test_add ("/integration/certtool-cert", Fixture, NULL, setup, test_certtool_cert, teardown);
  g_test_add ("/integration/mismatched-key", Fixture, NULL, setup, test_mismatched_key, teardown);
  g_test_add ("/integration/tofu", Fixture, NULL, setup, test_tofu, teardown);
  g_test_add ("/integration/unknown-server", Fixture, NULL, setup, test_unknown_server, teardown);
  g_test_add ("/integration/pin", Fixture, NULL, setup, test_pin, teardown);
  g_test_add ("/integration/mtls", Fixture, NULL, setup, test_mtls, teardown);
  g_test_add ("/integration/expired", Fixture, NULL, setup, test_expired, teardown);
  return g_test_run ();
}
