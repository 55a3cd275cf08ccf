/* test-tls.c: trust without sockets: trust on first use, pins, a changed
 * key that blocks before any application data, mutual TLS in its three
 * modes, the known-servers file, and configuration errors. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <sys/wait.h>

#include "testutil.h"
#include "cz-cert.h"
#include "cz-cert-generate.h"
#include "cz-error.h"
#include "cz-known-servers.h"
#include "cz-tls-client.h"
#include "cz-tls-server.h"

typedef struct {
  char *dir;
  char *known;
  CzTlsServerConfig *server_config;
  char *server_pin;          /* SPKI SHA-256 of server.pem */
} Fixture;

static char *
path (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = NULL, *key = NULL;
  g_autoptr(CzCertInfo) info = NULL;

  f->dir = cz_test_make_pki ();
  f->known = path (f, "known-servers");
  cert = path (f, "server.pem");
  key = path (f, "server-key.pem");
  f->server_config = cz_tls_server_config_new (cert, key, NULL, CZ_CLIENT_CERT_NONE, NULL, &error);
  g_assert_no_error (error);
  info = cz_cert_info_new_from_file (cert, &error);
  g_assert_no_error (error);
  f->server_pin = g_strdup (info->spki_sha256);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->server_config, cz_tls_server_config_unref);
  cz_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->known);
  g_free (f->server_pin);
}

static CzTlsClientConfig *
client_config (CzTrustMode trust, const char *ca, const char *pin, const char *known,
               const char *cert, const char *key)
{
  g_autoptr(GError) error = NULL;
  CzTlsClientOptions options = { .trust = trust, .ca_file = ca, .pin = pin,
                                 .known_servers = known, .cert_file = cert, .key_file = key };
  CzTlsClientConfig *config = cz_tls_client_config_new (&options, &error);

  g_assert_no_error (error);
  return config;
}

static CzTestPair *
run_pair (CzTlsServerConfig *server, CzTlsClientConfig *client, gboolean auto_trust)
{
  CzTestPair *p = cz_test_pair_new (server, client, "localhost", CZ_DH_X25519);

  p->auto_trust = auto_trust;
  cz_test_pair_pump (p);
  return p;
}

/* First use asks (with the server key's SPKI hash), the owner pins it, and
 * the next connection passes without asking. */
static void
test_tofu_first_use (Fixture *f, gconstpointer data)
{
  g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_TOFU, NULL, NULL, f->known, NULL, NULL);
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(CzTestPair) p = run_pair (f->server_config, config, TRUE);
    g_assert_cmpstr (p->trust_fingerprint, ==, f->server_pin);
    g_assert_true (p->client_ready);
    g_assert_cmpstr (cz_channel_get_info (p->client)->trust, ==, "first-use");
    g_assert_true (cz_known_servers_store (f->known, "localhost", 7443, p->trust_fingerprint, &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr(CzTestPair) p = run_pair (f->server_config, config, FALSE);
    g_assert_null (p->trust_fingerprint);
    g_assert_true (p->client_ready);
    g_assert_nonnull (strstr (cz_channel_get_info (p->client)->verification, "matches"));
  }
}

/* Refusing at the prompt closes without a hello. */
static void
test_tofu_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_TOFU, NULL, NULL, f->known, NULL, NULL);
  g_autoptr(CzTestPair) p = run_pair (f->server_config, config, FALSE);

  g_assert_cmpstr (p->trust_fingerprint, ==, f->server_pin);
  g_assert_cmpint (cz_channel_get_state (p->client), ==, CZ_CHANNEL_TRUST);
  cz_channel_trust_decided (p->client, FALSE);
  cz_test_pair_pump (p);
  g_assert_true (p->client_closed_called);
  g_assert_error (p->client_closed, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED);
  g_assert_false (p->server_ready);
  g_assert_false (g_file_test (f->known, G_FILE_TEST_EXISTS));
}

/* Issue #15 item 11: while the person looks at the trust prompt, the
 * channel keeps what the server sends for after the decision.  A server
 * has nothing to send then but its hello, so one that keeps sending is
 * cut off past a bound instead of growing the client's memory without
 * end.  It sends up to 4 MiB in 16 KiB records, the client pumping after
 * each: the client must close with a clear error after about 64 KiB. */
static void
test_tofu_prompt_flood (Fixture *f, gconstpointer data)
{
  g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_TOFU, NULL, NULL, f->known, NULL, NULL);
  g_autoptr(CzTestPair) p = run_pair (f->server_config, config, FALSE);
  g_autofree guint8 *junk = g_malloc (16384);
  gnutls_session_t server = cz_channel_get_session (p->server);
  guint records = 0;

  g_assert_cmpint (cz_channel_get_state (p->client), ==, CZ_CHANNEL_TRUST);
  memset (junk, 'A', 16384);
  while (!p->client_closed_called && records < 256)
    {
      ssize_t ret = gnutls_record_send (server, junk, 16384);

      g_assert_cmpint (ret, ==, 16384);
      records++;
      cz_test_pair_pump (p);
    }
  if (!p->client_closed_called)
    g_error ("the client kept %u KiB from a server during the trust prompt and stayed open",
             records * 16);
  /* Cut off at the bound (64 KiB) plus what was in flight, not later. */
  g_assert_cmpuint (records, <=, 64 / 16 + 2);
  g_assert_error (p->client_closed, CZ_ERROR, CZ_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (p->client_closed->message, "before"));
  g_assert_false (p->client_ready);
  /* The prompt's answer comes too late now, and changes nothing. */
  cz_channel_trust_decided (p->client, TRUE);
  g_assert_false (p->client_ready);
  g_assert_false (g_file_test (f->known, G_FILE_TEST_EXISTS));
}

/* A changed key blocks: key-changed with both fingerprints, and the server
 * never gets the client's hello (nothing is sent, so no login either). */
static void
test_tofu_changed_key (Fixture *f, gconstpointer data)
{
  g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_TOFU, NULL, NULL, f->known, NULL, NULL);
  g_autoptr(GError) error = NULL;
  const char *old = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  g_autoptr(CzTestPair) p = NULL;

  g_assert_true (cz_known_servers_store (f->known, "localhost", 7443, old, &error));
  g_assert_no_error (error);
  p = run_pair (f->server_config, config, TRUE);
  g_assert_null (p->trust_fingerprint);
  g_assert_false (p->client_ready);
  g_assert_error (p->client_closed, CZ_ERROR, CZ_ERROR_KEY_CHANGED);
  g_assert_nonnull (strstr (p->client_closed->message, old));
  g_assert_nonnull (strstr (p->client_closed->message, f->server_pin));
  g_assert_cmpstr (cz_channel_get_verify_state (p->client)->old_fingerprint, ==, old);
  /* The server saw a failed handshake, not a hello. */
  g_assert_false (p->server_ready);
  g_assert_cmpuint (p->server_msgs->len, ==, 0);
  /* The pin was not replaced behind the user's back. */
  {
    g_autofree char *still = cz_known_servers_lookup (f->known, "localhost", 7443);
    g_assert_cmpstr (still, ==, old);
  }
}

static void
test_pin (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_PIN, NULL, f->server_pin, NULL, NULL, NULL);
    g_autoptr(CzTestPair) p = run_pair (f->server_config, config, FALSE);
    g_assert_true (p->client_ready);
    g_assert_cmpstr (cz_channel_get_info (p->client)->trust, ==, "pin");
  }
  {
    /* Upper case and colons are accepted forms of the same pin. */
    g_autoptr(GString) colons = g_string_new (NULL);
    for (guint i = 0; f->server_pin[i]; i += 2)
      g_string_append_printf (colons, "%s%c%c", i ? ":" : "", g_ascii_toupper (f->server_pin[i]),
                              g_ascii_toupper (f->server_pin[i + 1]));
    {
      g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_PIN, NULL, colons->str, NULL, NULL, NULL);
      g_autoptr(CzTestPair) p = run_pair (f->server_config, config, FALSE);
      g_assert_true (p->client_ready);
    }
  }
  {
    const char *wrong = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_PIN, NULL, wrong, NULL, NULL, NULL);
    g_autoptr(CzTestPair) p = run_pair (f->server_config, config, FALSE);
    g_assert_false (p->client_ready);
    g_assert_error (p->client_closed, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED);
    g_assert_nonnull (strstr (p->client_closed->message, wrong));
    g_assert_false (p->server_ready);
  }
  {
    CzTlsClientOptions bad = { .trust = CZ_TRUST_PIN, .pin = "abcd" };
    g_assert_null (cz_tls_client_config_new (&bad, &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  }
}

/* Makes a client certificate (clientAuth) signed by the CA in @dir. */
static void
make_client_cert (const char *dir, const char *cn, char **cert, char **key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *ca_key = g_build_filename (dir, "ca-key.pem", NULL);
  CzCertRequest req = { .common_name = cn, .client = TRUE };

  *cert = g_strdup_printf ("%s/%s.pem", dir, cn);
  *key = g_strdup_printf ("%s/%s-key.pem", dir, cn);
  cz_cert_info_free (cz_cert_generate_signed (&req, ca, ca_key, *cert, *key, &error));
  g_assert_no_error (error);
}

static CzTlsServerConfig *
mtls_server (Fixture *f, CzClientCertMode mode)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = path (f, "server.pem");
  g_autofree char *key = path (f, "server-key.pem");
  g_autofree char *ca = path (f, "ca.pem");
  CzTlsServerConfig *config = cz_tls_server_config_new (cert, key, ca, mode, NULL, &error);

  g_assert_no_error (error);
  return config;
}

static void
test_mtls_require (Fixture *f, gconstpointer data)
{
  g_autoptr(CzTlsServerConfig) server = mtls_server (f, CZ_CLIENT_CERT_REQUIRE);
  g_autofree char *ca = path (f, "ca.pem");
  g_autofree char *cert = NULL, *key = NULL, *other_cert = NULL, *other_key = NULL;
  g_autofree char *other = cz_test_make_pki ();

  make_client_cert (f->dir, "alice-laptop", &cert, &key);
  make_client_cert (other, "mallory", &other_cert, &other_key);

  /* No certificate: refused on both sides, with words for it. */
  {
    g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_CA, ca, NULL, NULL, NULL, NULL);
    g_autoptr(CzTestPair) p = run_pair (server, config, FALSE);
    g_assert_false (p->server_ready);
    g_assert_false (p->client_ready);
    g_assert_error (p->server_closed, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED);
    g_assert_error (p->client_closed, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED);
    g_assert_nonnull (strstr (p->client_closed->message, "client certificate"));
  }
  /* A certificate from another CA: refused. */
  {
    g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_CA, ca, NULL, NULL, other_cert, other_key);
    g_autoptr(CzTestPair) p = run_pair (server, config, FALSE);
    g_assert_false (p->server_ready);
    g_assert_false (p->client_ready);
    g_assert_error (p->server_closed, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED);
    g_assert_nonnull (strstr (p->server_closed->message, "client's certificate"));
    g_assert_error (p->client_closed, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED);
  }
  /* The right one: accepted, and both sides show it. */
  {
    g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_CA, ca, NULL, NULL, cert, key);
    g_autoptr(CzTestPair) p = run_pair (server, config, FALSE);
    CzSessionInfo *si;
    g_assert_true (p->server_ready);
    g_assert_true (p->client_ready);
    si = cz_channel_get_info (p->server);
    g_assert_nonnull (si->client_cert);
    g_assert_cmpstr (si->client_cert->subject, ==, "CN=alice-laptop");
    g_assert_cmpstr (si->trust, ==, "client-certificate");
    g_assert_cmpstr (cz_channel_get_info (p->client)->client_cert->subject, ==, "CN=alice-laptop");
  }
  cz_test_rmdir (other);
}

/* The server sends its hello right after its flight (TLS 1.3 early start)
 * only when it asked for no client certificate: here it waits until it has
 * checked the client's certificate, so a client is never ready before. */
static void
test_mtls_no_early_hello (Fixture *f, gconstpointer data)
{
  g_autoptr(CzTlsServerConfig) server = mtls_server (f, CZ_CLIENT_CERT_REQUIRE);
  g_autofree char *ca = path (f, "ca.pem");
  g_autofree char *cert = NULL, *key = NULL;
  g_autoptr(CzTlsClientConfig) config = NULL;
  g_autoptr(CzTestPair) p = NULL;

  make_client_cert (f->dir, "carol-desk", &cert, &key);
  config = client_config (CZ_TRUST_CA, ca, NULL, NULL, cert, key);
  p = cz_test_pair_new (server, config, "localhost", CZ_DH_X25519);
  cz_channel_start (p->client);
  cz_channel_io (p->server);
  g_assert_cmpint (cz_channel_get_state (p->server), ==, CZ_CHANNEL_HANDSHAKE);
  cz_channel_io (p->client);
  g_assert_false (p->client_ready);
  g_assert_cmpint (cz_channel_get_state (p->client), ==, CZ_CHANNEL_HELLO);
  cz_test_pair_pump (p);
  g_assert_true (p->server_ready);
  g_assert_true (p->client_ready);
  g_assert_cmpstr (cz_channel_get_info (p->server)->client_cert->subject, ==, "CN=carol-desk");
}

/* A certificate's DER form, from a PEM file. */
static GBytes *
cert_der (const char *file)
{
  g_autofree char *pem = NULL;
  gsize len = 0;
  gnutls_datum_t in, out = { NULL, 0 };
  gnutls_x509_crt_t crt = NULL;
  GBytes *der;

  g_assert_true (g_file_get_contents (file, &pem, &len, NULL));
  in.data = (unsigned char *) pem;
  in.size = len;
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &in, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &out), ==, 0);
  der = g_bytes_new (out.data, out.size);
  gnutls_free (out.data);
  gnutls_x509_crt_deinit (crt);
  return der;
}

/* The client keeps the facts of the last certificate it saw, keyed by its
 * exact bytes: a copy each time, the right one when the certificate
 * changes, and the same facts a fresh parse gives. */
static void
test_cert_info_cache (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ca = path (f, "ca.pem");
  g_autofree char *server = path (f, "server.pem");
  g_autoptr(GBytes) server_der = cert_der (server);
  g_autoptr(GBytes) ca_der = cert_der (ca);
  g_autoptr(CzCertInfo) expected = cz_cert_info_new_from_file (server, &error);
  g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_CA, ca, NULL, NULL, NULL, NULL);
  gnutls_datum_t sd = { (unsigned char *) g_bytes_get_data (server_der, NULL),
                        g_bytes_get_size (server_der) };
  gnutls_datum_t cd = { (unsigned char *) g_bytes_get_data (ca_der, NULL),
                        g_bytes_get_size (ca_der) };
  gnutls_datum_t junk = { (unsigned char *) "not a certificate", 17 };

  g_assert_no_error (error);
  {
    g_autoptr(CzCertInfo) a = cz_tls_client_config_cert_info (config, &sd, FALSE);
    g_autoptr(CzCertInfo) b = cz_tls_client_config_cert_info (config, &sd, FALSE);
    g_autoptr(CzCertInfo) c = cz_tls_client_config_cert_info (config, &cd, FALSE);
    g_autoptr(CzCertInfo) d = cz_tls_client_config_cert_info (config, &sd, FALSE);

    g_assert_true (a != b);
    g_assert_true (a->subject != b->subject);
    g_assert_cmpstr (a->fingerprint, ==, expected->fingerprint);
    g_assert_cmpstr (b->fingerprint, ==, expected->fingerprint);
    g_assert_cmpstr (b->spki_sha256, ==, expected->spki_sha256);
    g_assert_cmpstr (b->not_after, ==, expected->not_after);
    g_assert_cmpstr (c->subject, ==, "CN=Causerie test CA");
    g_assert_true (c->is_ca);
    g_assert_cmpstr (d->subject, ==, "CN=localhost");
    g_assert_false (d->is_ca);
    g_assert_null (cz_tls_client_config_cert_info (config, &junk, FALSE));
  }
  /* Two connections with one config: both show the server's certificate. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(CzTestPair) p = run_pair (f->server_config, config, FALSE);
      CzSessionInfo *info;

      g_assert_true (p->client_ready);
      info = cz_channel_get_info (p->client);
      g_assert_cmpstr (info->server_cert->fingerprint, ==, expected->fingerprint);
      g_assert_cmpstr (info->server_cert->subject, ==, "CN=localhost");
      g_assert_null (info->client_cert);
    }
}

/* A server certificate cannot log a client in: the purpose is checked. */
static void
test_mtls_purpose (Fixture *f, gconstpointer data)
{
  g_autoptr(CzTlsServerConfig) server = mtls_server (f, CZ_CLIENT_CERT_REQUIRE);
  g_autofree char *ca = path (f, "ca.pem");
  g_autofree char *cert = path (f, "server.pem");
  g_autofree char *key = path (f, "server-key.pem");
  g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_CA, ca, NULL, NULL, cert, key);
  g_autoptr(CzTestPair) p = run_pair (server, config, FALSE);

  g_assert_false (p->server_ready);
  g_assert_error (p->server_closed, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED);
}

static void
test_mtls_request (Fixture *f, gconstpointer data)
{
  g_autoptr(CzTlsServerConfig) server = mtls_server (f, CZ_CLIENT_CERT_REQUEST);
  g_autofree char *ca = path (f, "ca.pem");
  g_autofree char *cert = NULL, *key = NULL;

  make_client_cert (f->dir, "bob-phone", &cert, &key);
  {
    g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_CA, ca, NULL, NULL, NULL, NULL);
    g_autoptr(CzTestPair) p = run_pair (server, config, FALSE);
    g_assert_no_error (p->server_closed);
    g_assert_true (p->server_ready);
    g_assert_null (cz_channel_get_info (p->server)->client_cert);
    g_assert_cmpstr (cz_channel_get_info (p->server)->trust, ==, "none");
  }
  {
    g_autoptr(CzTlsClientConfig) config = client_config (CZ_TRUST_CA, ca, NULL, NULL, cert, key);
    g_autoptr(CzTestPair) p = run_pair (server, config, FALSE);
    g_assert_true (p->server_ready);
    g_assert_cmpstr (cz_channel_get_info (p->server)->client_cert->subject, ==, "CN=bob-phone");
  }
}

static void
test_known_servers_file (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *none = NULL;
  GStatBuf st;

  g_assert_true (cz_known_servers_store (f->known, "chat.lan", 7443, "aa", &error));
  g_assert_true (cz_known_servers_store (f->known, "::1", 7443, "bb", &error));
  g_assert_true (cz_known_servers_store (f->known, "chat.lan", 7444, "cc", &error));
  /* Replacing is explicit and keeps the other lines. */
  g_assert_true (cz_known_servers_store (f->known, "chat.lan", 7443, "dd", &error));
  g_assert_no_error (error);
  a = cz_known_servers_lookup (f->known, "chat.lan", 7443);
  b = cz_known_servers_lookup (f->known, "::1", 7443);
  c = cz_known_servers_lookup (f->known, "chat.lan", 7444);
  none = cz_known_servers_lookup (f->known, "chat.lan", 1);
  g_assert_cmpstr (a, ==, "dd");
  g_assert_cmpstr (b, ==, "bb");
  g_assert_cmpstr (c, ==, "cc");
  g_assert_null (none);
  g_assert_true (g_file_get_contents (f->known, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "[::1]:7443 bb\n"));
  g_assert_null (strstr (contents, "aa"));
  /* The pins say which servers this person talks to: not for others. */
  g_assert_cmpint (g_stat (f->known, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* Issue #15 item 11: a file left readable by others by an older version
 * is tightened on the next write. */
static void
test_known_servers_tightened (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pin = NULL;
  GStatBuf st;

  g_assert_true (g_file_set_contents (f->known, "old.lan:7443 ee\n", -1, &error));
  g_assert_cmpint (g_chmod (f->known, 0644), ==, 0);
  g_assert_true (cz_known_servers_store (f->known, "chat.lan", 7443, "ff", &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (f->known, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  pin = cz_known_servers_lookup (f->known, "old.lan", 7443);
  g_assert_cmpstr (pin, ==, "ee");
}

/* Issue #15 item 11: two client processes pinning different servers at
 * the same time.  Each store is a read-modify-write of the whole file;
 * without a lock one process's rename drops the other's new line.  Every
 * pin must be there at the end. */
#define RACE_WRITERS 4
#define RACE_PINS 60

static void
test_known_servers_race (Fixture *f, gconstpointer data)
{
  pid_t pids[RACE_WRITERS];

  for (guint w = 0; w < RACE_WRITERS; w++)
    {
      pids[w] = fork ();
      g_assert_cmpint (pids[w], >=, 0);
      if (pids[w] == 0)
        {
          for (guint i = 0; i < RACE_PINS; i++)
            {
              g_autofree char *host = g_strdup_printf ("host-%u-%u.lan", w, i);
              g_autofree char *pin = g_strdup_printf ("%02x%02x", w, i);

              if (!cz_known_servers_store (f->known, host, 7443, pin, NULL))
                _exit (2);
            }
          _exit (0);
        }
    }
  for (guint w = 0; w < RACE_WRITERS; w++)
    {
      int status = 0;

      g_assert_cmpint (waitpid (pids[w], &status, 0), ==, pids[w]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }

  {
    guint missing = 0;
    GStatBuf st;

    for (guint w = 0; w < RACE_WRITERS; w++)
      for (guint i = 0; i < RACE_PINS; i++)
        {
          g_autofree char *host = g_strdup_printf ("host-%u-%u.lan", w, i);
          g_autofree char *want = g_strdup_printf ("%02x%02x", w, i);
          g_autofree char *pin = cz_known_servers_lookup (f->known, host, 7443);

          if (g_strcmp0 (pin, want) != 0)
            missing++;
        }
    if (missing > 0)
      g_error ("%u of %u pins lost by concurrent writers", missing, RACE_WRITERS * RACE_PINS);
    g_assert_cmpint (g_stat (f->known, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }
}

static void
test_config_errors (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = path (f, "nope.pem");
  g_autofree char *cert = path (f, "server.pem");
  g_autofree char *key = path (f, "server-key.pem");
  g_autofree char *ca_key = path (f, "ca-key.pem");
  CzTlsClientOptions no_ca = { .trust = CZ_TRUST_CA, .ca_file = missing };

  g_assert_null (cz_tls_client_config_new (&no_ca, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_CERT);
  g_assert_nonnull (strstr (error->message, "nope.pem"));
  g_clear_error (&error);

  g_assert_null (cz_tls_server_config_new (cert, ca_key, NULL, CZ_CLIENT_CERT_NONE, NULL, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_CERT);
  g_clear_error (&error);

  g_assert_null (cz_tls_server_config_new (cert, key, NULL, CZ_CLIENT_CERT_REQUIRE, NULL, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_null (cz_tls_server_config_new (cert, key, NULL, CZ_CLIENT_CERT_NONE, "NORMAL:+BOGUS", &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
}

/* TLS 1.2 offered to the TLS 1.3-only server fails with a sentence. */
static void
test_tls12_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ca = path (f, "ca.pem");
  CzTlsClientOptions options = { .trust = CZ_TRUST_CA, .ca_file = ca,
                                 .priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2" };
  g_autoptr(CzTlsClientConfig) config = cz_tls_client_config_new (&options, &error);
  g_autoptr(CzTestPair) p = NULL;

  g_assert_no_error (error);
  p = run_pair (f->server_config, config, FALSE);
  g_assert_false (p->server_ready);
  g_assert_false (p->client_ready);
  g_assert_error (p->client_closed, CZ_ERROR, CZ_ERROR_TLS);
  g_assert_nonnull (strstr (p->client_closed->message, "TLS"));
}

/* --crl-url: the leaf carries a CRL distribution point (what testssl.sh
 * looks for); anything but http(s) is refused and writes nothing. */
static void
test_crl_url (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ca = path (f, "ca.pem");
  g_autofree char *ca_key = path (f, "ca-key.pem");
  g_autofree char *cert = path (f, "crl.pem");
  g_autofree char *key = path (f, "crl-key.pem");
  g_autofree char *pem = NULL;
  const char *sans[] = { "DNS:localhost", NULL };
  CzCertRequest req = { .common_name = "localhost", .sans = sans,
                        .crl_url = "http://ca.example.lan/causerie.crl" };
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum;
  char url[256];
  size_t url_size = sizeof url;
  unsigned int reasons = 0;
  gsize len = 0;

  cz_cert_info_free (cz_cert_generate_signed (&req, ca, ca_key, cert, key, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (cert, &pem, &len, NULL));
  datum.data = (unsigned char *) pem;
  datum.size = len;
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_get_crl_dist_points (crt, 0, url, &url_size, &reasons, NULL),
                   ==, GNUTLS_SAN_URI);
  g_assert_cmpstr (url, ==, "http://ca.example.lan/causerie.crl");
  gnutls_x509_crt_deinit (crt);

  g_clear_pointer (&cert, g_free);
  cert = path (f, "bad-crl.pem");
  req.crl_url = "file:///etc/passwd";
  g_assert_null (cz_cert_generate_signed (&req, ca, ca_key, cert, key, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  g_assert_false (g_file_test (cert, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/tls/tofu/first-use", Fixture, NULL, setup, test_tofu_first_use, teardown);
  g_test_add ("/tls/tofu/prompt-flood", Fixture, NULL, setup, test_tofu_prompt_flood, teardown);
  g_test_add ("/tls/tofu/refused", Fixture, NULL, setup, test_tofu_refused, teardown);
  g_test_add ("/tls/tofu/changed-key", Fixture, NULL, setup, test_tofu_changed_key, teardown);
  g_test_add ("/tls/pin", Fixture, NULL, setup, test_pin, teardown);
  g_test_add ("/tls/mtls/require", Fixture, NULL, setup, test_mtls_require, teardown);
  g_test_add ("/tls/mtls/purpose", Fixture, NULL, setup, test_mtls_purpose, teardown);
  g_test_add ("/tls/mtls/request", Fixture, NULL, setup, test_mtls_request, teardown);
  g_test_add ("/tls/mtls/no-early-hello", Fixture, NULL, setup, test_mtls_no_early_hello, teardown);
  g_test_add ("/tls/cert-info-cache", Fixture, NULL, setup, test_cert_info_cache, teardown);
  g_test_add ("/tls/known-servers", Fixture, NULL, setup, test_known_servers_file, teardown);
  g_test_add ("/tls/known-servers-tightened", Fixture, NULL, setup, test_known_servers_tightened,
              teardown);
  g_test_add ("/tls/known-servers-race", Fixture, NULL, setup, test_known_servers_race, teardown);
  g_test_add ("/tls/config-errors", Fixture, NULL, setup, test_config_errors, teardown);
  g_test_add ("/tls/tls12-refused", Fixture, NULL, setup, test_tls12_refused, teardown);
  g_test_add ("/tls/crl-url", Fixture, NULL, setup, test_crl_url, teardown);
  return g_test_run ();
}
