/* test-cert.c: X.509 facts and minting: key type names, the facts of a
 * known certificate, CA / server / client certificates for every key
 * type, the generator's errors and file modes, default SANs, the demo
 * certificate and the --generate-ca / --generate-cert command line. */
#include "config.h"

#include "testutil.h"

/* test-cert.c: certificate facts and minting (common/cz-cert.c), checked
 * against GnuTLS itself and against certtool and openssl. */

#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "cz-cert.h"
#include "cz-cert-generate.h"
#include "cz-cert-host.h"
#include "cz-error.h"

typedef struct { char *dir; } Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("cz-cert-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  cz_test_rmdir (fx->dir);
  g_free (fx->dir);
}

static char *
fx_path (Fixture *fx, const char *name)
{
  return g_build_filename (fx->dir, name, NULL);
}

static void
assert_mode (const char *path, guint expected)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, expected);
}

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static gnutls_x509_crt_t
load_crt (const char *path)
{
  g_autofree char *pem = NULL;
  gsize len = 0;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t data;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &pem, &len, &error);
  g_assert_no_error (error);
  data.data = (unsigned char *) pem;
  data.size = len;
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &data, GNUTLS_X509_FMT_PEM), ==, 0);
  return crt;
}

/* Path of an external tool: $ENV (set by the harness), else $PATH. */
static char *
find_tool (const char *env, const char *name)
{
  const char *value = g_getenv (env);

  if (value != NULL && value[0] != '\0' && g_file_test (value, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (value);
  return g_find_program_in_path (name);
}

static void
replace_str (char **dest, char *src)
{
  g_free (*dest);
  *dest = src;
}

/* Runs a program (NULL-terminated arguments) and returns its exit status.
 * Standard output and error go to *@out and *@err (freed first) if given. */
G_GNUC_NULL_TERMINATED
static int
spawn (char **out, char **err, const char *program, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out_text = NULL, *err_text = NULL;
  const char *arg;
  int status = 0;
  va_list args;

  g_ptr_array_add (argv, (char *) program);
  va_start (args, program);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out_text, &err_text, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  if (out != NULL)
    replace_str (out, g_steal_pointer (&out_text));
  if (err != NULL)
    replace_str (err, g_steal_pointer (&err_text));
  return WEXITSTATUS (status);
}

static void
test_key_type_names (void)
{
  static const struct { CzKeyType type; const char *name; } names[] = {
    { CZ_KEY_ECDSA_P256, "ecdsa-p256" }, { CZ_KEY_ED25519, "ed25519" },
    { CZ_KEY_RSA_3072, "rsa-3072" },
  };
  g_autoptr(GEnumClass) klass = g_type_class_ref (CZ_TYPE_KEY_TYPE);
  g_autoptr(GError) error = NULL;
  GEnumValue *value;
  CzKeyType type;

  g_assert_cmpuint (klass->n_values, ==, G_N_ELEMENTS (names));
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_cmpstr (cz_key_type_name (names[i].type), ==, names[i].name);
      type = (CzKeyType) -1;
      g_assert_true (cz_key_type_from_name (names[i].name, &type, &error));
      g_assert_no_error (error);
      g_assert_cmpint (type, ==, names[i].type);
      /* The GType's nicks are the same names (windows bind enum properties).
       * g_enum_to_string () gives the C name ("CZ_KEY_ED25519"), not the nick. */
      value = g_enum_get_value (klass, names[i].type);
      g_assert_nonnull (value);
      g_assert_cmpstr (value->value_nick, ==, names[i].name);
    }
  g_assert_false (cz_key_type_from_name ("dsa-1024", &type, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "dsa-1024"));
}

/* Made once with certtool (ECDSA P-256, self-signed, serial
 * 0x1234567890abcdef, 2024-01-02 03:04:05 .. 2034-01-02 03:04:05 UTC,
 * SANs DNS:kat.example, IP:192.0.2.7, IP:2001:db8::7).  The expected values
 * come from `openssl x509 -noout -subject -nameopt RFC2253 -fingerprint
 * -sha256` and `openssl pkey -pubin -outform DER | sha256sum`. */
static const char kat_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIB1zCCAX6gAwIBAgIIEjRWeJCrze8wCgYIKoZIzj0EAwIwLjEWMBQGA1UEChMN\n"
  "RXhhbXBsZSwgSW5jLjEUMBIGA1UEAxMLa2F0LmV4YW1wbGUwHhcNMjQwMTAyMDMw\n"
  "NDA1WhcNMzQwMTAyMDMwNDA1WjAuMRYwFAYDVQQKEw1FeGFtcGxlLCBJbmMuMRQw\n"
  "EgYDVQQDEwtrYXQuZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJZt\n"
  "sDLYzX9/qOQqgEIJZU2R+8+5tq/MYNlNijXwDiDBTSLfmrjao7tWjc60RXehy1D0\n"
  "sTry0SclrW9xIHgOACOjgYUwgYIwDAYDVR0TAQH/BAIwADAuBgNVHREEJzAlggtr\n"
  "YXQuZXhhbXBsZYcEwAACB4cQIAENuAAAAAAAAAAAAAAABzATBgNVHSUEDDAKBggr\n"
  "BgEFBQcDATAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYEFN/PQaeXyvGb4ulNvsRA\n"
  "II27gv2TMAoGCCqGSM49BAMCA0cAMEQCICqKFX3xiF5YwLLiqm/D0xU7KvlOmyFg\n"
  "cCUCBhnR7PwqAiAhhdNnRvbs8J329yIQoOP+8wysJplhi4ItTor9C+H1Bg==\n"
  "-----END CERTIFICATE-----\n";

static void
check_kat_info (const CzCertInfo *info)
{
  g_assert_nonnull (info);
  g_assert_cmpstr (info->subject, ==, "CN=kat.example,O=Example\\, Inc.");
  g_assert_cmpstr (info->issuer, ==, "CN=kat.example,O=Example\\, Inc.");
  g_assert_cmpstr (info->not_before, ==, "2024-01-02T03:04:05Z");
  g_assert_cmpstr (info->not_after, ==, "2034-01-02T03:04:05Z");
  g_assert_cmpint (info->not_after_unix, ==, G_GINT64_CONSTANT (2019783845));
  g_assert_cmpstr (info->fingerprint, ==,
                   "41:32:ED:07:84:3B:0A:35:01:35:11:60:5D:54:83:00:"
                   "83:9B:81:55:2A:46:24:36:10:E9:59:68:FC:0C:F2:BA");
  g_assert_cmpstr (info->spki_sha256, ==,
                   "a4b59fea6a9404f2591ff4466a1d1a71540309a44e84215939845d158106cb15");
  g_assert_cmpstr (info->key_type, ==, "ECDSA P-256");
  g_assert_cmpstr (info->sans, ==, "DNS:kat.example, IP:192.0.2.7, IP:2001:db8::7");
  g_assert_false (info->is_ca);
}

/* Names in a certificate may hold any bytes: the facts are one line of
 * UTF-8 without control characters (a newline in an issuer was found by
 * fuzz-pem), with each control byte as its RFC 4514 escape. */
static void
test_info_control_characters (void)
{
  gnutls_x509_crt_t crt;
  gnutls_x509_privkey_t key;
  static const char cn[] = "Seed CA\nforged line\x1b[2J\x7f";
  g_autoptr(CzCertInfo) info = NULL;

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                 GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0),
                   ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_version (crt, 3), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_serial (crt, "\x01", 1), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_activation_time (crt, 1700000000), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_expiration_time (crt, 1800000000), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                                  cn, strlen (cn)), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key (crt, key), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), ==, 0);

  info = cz_cert_info_new_from_crt (crt);
  g_assert_nonnull (info);
  g_assert_true (g_utf8_validate (info->subject, -1, NULL));
  g_test_message ("subject: %s", info->subject);
  for (const char *p = info->subject; *p != '\0'; p++)
    g_assert_false (g_ascii_iscntrl (*p));
  g_assert_nonnull (strstr (info->subject, "Seed CA\\0Aforged line\\1B[2J\\7F"));
  g_assert_cmpstr (info->issuer, ==, info->subject);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
}

static void
test_info_kat (Fixture *fx, gconstpointer data)
{
  g_autofree char *path = fx_path (fx, "kat.pem");
  g_autoptr(CzCertInfo) from_file = NULL, from_der = NULL, copy = NULL;
  g_autoptr(GError) error = NULL;
  gnutls_x509_crt_t crt;
  gnutls_datum_t der = { NULL, 0 };
  gnutls_datum_t junk = { (unsigned char *) "not a certificate", 17 };

  g_file_set_contents (path, kat_pem, -1, &error);
  g_assert_no_error (error);
  from_file = cz_cert_info_new_from_file (path, &error);
  g_assert_no_error (error);
  check_kat_info (from_file);

  crt = load_crt (path);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der), ==, 0);
  from_der = cz_cert_info_new_from_datum (&der);
  check_kat_info (from_der);
  gnutls_free (der.data);
  gnutls_x509_crt_deinit (crt);

  copy = cz_cert_info_copy (from_der);
  check_kat_info (copy);
  g_assert_true (copy->subject != from_der->subject);

  g_assert_null (cz_cert_info_new_from_datum (&junk));
}

typedef struct { CzKeyType ca_type, leaf_type; } Pair;

static const Pair same_ecdsa = { CZ_KEY_ECDSA_P256, CZ_KEY_ECDSA_P256 };
static const Pair same_ed25519 = { CZ_KEY_ED25519, CZ_KEY_ED25519 };
static const Pair same_rsa = { CZ_KEY_RSA_3072, CZ_KEY_RSA_3072 };
static const Pair ed25519_signs_rsa = { CZ_KEY_ED25519, CZ_KEY_RSA_3072 };
static const Pair rsa_signs_ed25519 = { CZ_KEY_RSA_3072, CZ_KEY_ED25519 };

static const char *
key_type_text (CzKeyType type)
{
  return type == CZ_KEY_ED25519 ? "Ed25519" : type == CZ_KEY_RSA_3072 ? "RSA 3072" : "ECDSA P-256";
}

static void
assert_iso_utc (const char *text, gint64 expected_unix)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();

  g_assert_true (g_regex_match_simple ("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", text, 0, 0));
  dt = g_date_time_new_from_iso8601 (text, utc);
  g_assert_nonnull (dt);
  /* Within a minute of what was asked (the test may straddle a second). */
  g_assert_cmpint (ABS (g_date_time_to_unix (dt) - expected_unix), <=, 60);
}

/* Facts computed independently of CzCertInfo: the DER hash, the SPKI
 * hash from the exported public key, and what openssl says. */
static void
check_hashes (const char *path, const CzCertInfo *info)
{
  gnutls_x509_crt_t crt = load_crt (path);
  gnutls_pubkey_t pub = NULL;
  gnutls_datum_t der = { NULL, 0 };
  g_autofree char *spki = NULL;
  g_autofree char *openssl = find_tool ("OPENSSL", "openssl");

  g_assert_cmpint (gnutls_pubkey_init (&pub), ==, 0);
  g_assert_cmpint (gnutls_pubkey_import_x509 (pub, crt, 0), ==, 0);
  g_assert_cmpint (gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_DER, &der), ==, 0);
  spki = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der.data, der.size);
  g_assert_cmpstr (info->spki_sha256, ==, spki);
  gnutls_free (der.data);
  gnutls_pubkey_deinit (pub);

  if (openssl != NULL)
    {
      g_autofree char *out = NULL, *expected = NULL;

      g_assert_cmpint (spawn (&out, NULL, openssl, "x509", "-noout", "-fingerprint", "-sha256",
                              "-in", path, NULL), ==, 0);
      expected = g_strdup_printf ("Fingerprint=%s\n", info->fingerprint);
      g_assert_true (g_str_has_suffix (out, expected));
    }
  gnutls_x509_crt_deinit (crt);
}

static void
check_common (gnutls_x509_crt_t crt)
{
  guint8 serial[64];
  size_t serial_len = sizeof serial;

  g_assert_cmpint (gnutls_x509_crt_get_version (crt), ==, 3);
  g_assert_cmpint (gnutls_x509_crt_get_serial (crt, serial, &serial_len), ==, 0);
  g_assert_cmpuint (serial_len, ==, 20);
  g_assert_cmpuint (serial[0] & 0x80, ==, 0);
}

static unsigned int
key_usage (gnutls_x509_crt_t crt)
{
  unsigned int usage = 0, critical = 0;

  g_assert_cmpint (gnutls_x509_crt_get_key_usage (crt, &usage, &critical), >=, 0);
  g_assert_cmpuint (critical, ==, 1);
  return usage;
}

/* @crt's extended key usage is exactly @expected. */
static void
assert_eku (gnutls_x509_crt_t crt, const char *expected)
{
  char oid[128];
  size_t size = sizeof oid;

  g_assert_cmpint (gnutls_x509_crt_get_key_purpose_oid (crt, 0, oid, &size, NULL), ==, 0);
  g_assert_cmpstr (oid, ==, expected);
  size = sizeof oid;
  g_assert_cmpint (gnutls_x509_crt_get_key_purpose_oid (crt, 1, oid, &size, NULL),
                   ==, GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
}

/* GnuTLS's own verdict on @leaf_path against @ca_path, for @purpose. */
static unsigned int
gnutls_verify (const char *ca_path, const char *leaf_path, const char *purpose,
               const char *hostname)
{
  gnutls_x509_crt_t ca = load_crt (ca_path), leaf = load_crt (leaf_path);
  gnutls_x509_trust_list_t list = NULL;
  gnutls_typed_vdata_st vdata[] = {
    { GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *) purpose, 0 },
    { GNUTLS_DT_DNS_HOSTNAME, (unsigned char *) hostname, 0 },
  };
  unsigned int status = 0, simple = 0;

  /* The simple API first: signature and chain only. */
  g_assert_cmpint (gnutls_x509_crt_verify (leaf, &ca, 1, 0, &simple), ==, 0);
  g_assert_cmpuint (simple, ==, 0);

  g_assert_cmpint (gnutls_x509_trust_list_init (&list, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_trust_list_add_cas (list, &ca, 1, 0), ==, 1);
  g_assert_cmpint (gnutls_x509_trust_list_verify_crt2 (list, &leaf, 1, vdata,
                                                       hostname != NULL ? 2 : 1, 0,
                                                       &status, NULL), ==, 0);
  gnutls_x509_trust_list_deinit (list, 1);   /* frees @ca too */
  gnutls_x509_crt_deinit (leaf);
  return status;
}

/* certtool and openssl must accept the chain as well. */
static void
verify_with_tools (const char *ca_path, const char *leaf_path, gboolean client)
{
  g_autofree char *certtool = find_tool ("CERTTOOL", "certtool");
  g_autofree char *openssl = find_tool ("OPENSSL", "openssl");
  g_autofree char *out = NULL;
  const char *good = client ? "sslclient" : "sslserver";
  const char *bad = client ? "sslserver" : "sslclient";

  if (certtool == NULL || openssl == NULL)
    {
      g_test_skip ("certtool or openssl is not installed");
      return;
    }
  g_assert_cmpint (spawn (NULL, NULL, certtool, "--verify", "--load-ca-certificate", ca_path,
                          "--infile", leaf_path, NULL), ==, 0);
  g_assert_cmpint (spawn (&out, NULL, openssl, "verify", "-CAfile", ca_path, leaf_path, NULL),
                   ==, 0);
  g_assert_true (g_str_has_suffix (out, ": OK\n"));
  /* The right purpose passes and the other one fails (EKU). */
  g_assert_cmpint (spawn (NULL, NULL, openssl, "verify", "-purpose", good, "-CAfile", ca_path,
                          leaf_path, NULL), ==, 0);
  g_assert_cmpint (spawn (NULL, NULL, openssl, "verify", "-purpose", bad, "-CAfile", ca_path,
                          leaf_path, NULL), !=, 0);
}

static void
test_generate (Fixture *fx, gconstpointer data)
{
  const Pair *pair = data;
  g_autofree char *ca = fx_path (fx, "ca.pem"), *ca_key = fx_path (fx, "ca-key.pem");
  g_autofree char *server = fx_path (fx, "server.pem"), *server_key = fx_path (fx, "s-key.pem");
  g_autofree char *client = fx_path (fx, "client.pem"), *client_key = fx_path (fx, "c-key.pem");
  g_autofree char *key_pem = NULL;
  const char *sans[] = { "DNS:chat.example", "IP:127.0.0.1", "IP:::1", NULL };
  CzCertRequest req;
  g_autoptr(CzCertInfo) ca_info = NULL, server_info = NULL, client_info = NULL, reread = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gnutls_x509_crt_t crt, ca_crt;
  guint8 ip4[4] = { 127, 0, 0, 1 }, ip6[16] = { [15] = 1 }, other_ip[4] = { 10, 0, 0, 1 };
  guint8 ski[64], aki[64];
  size_t ski_len = sizeof ski, aki_len = sizeof aki;
  unsigned int critical = 0, usage;
  int pathlen = -1;

  /* The CA. */
  req = (CzCertRequest) { .common_name = "Test CA", .key_type = pair->ca_type, .days = 30 };
  ca_info = cz_cert_generate_ca (&req, ca, ca_key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ca_info->subject, ==, "CN=Test CA");
  g_assert_cmpstr (ca_info->issuer, ==, "CN=Test CA");
  g_assert_cmpstr (ca_info->key_type, ==, key_type_text (pair->ca_type));
  g_assert_cmpstr (ca_info->sans, ==, "");
  g_assert_true (ca_info->is_ca);
  assert_iso_utc (ca_info->not_before, now - 60);
  assert_iso_utc (ca_info->not_after, now + 30 * 86400);
  g_assert_cmpint (ABS (ca_info->not_after_unix - (now + 30 * 86400)), <=, 60);
  g_assert_true (g_regex_match_simple ("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", ca_info->fingerprint, 0, 0));
  g_assert_true (g_regex_match_simple ("^[0-9a-f]{64}$", ca_info->spki_sha256, 0, 0));
  assert_mode (ca, 0644);
  assert_mode (ca_key, 0600);
  check_hashes (ca, ca_info);

  key_pem = read_text (ca_key);
  g_assert_true (g_str_has_prefix (key_pem, "-----BEGIN PRIVATE KEY-----\n"));

  ca_crt = load_crt (ca);
  check_common (ca_crt);
  g_assert_cmpint (gnutls_x509_crt_get_basic_constraints (ca_crt, &critical, NULL, &pathlen),
                   ==, 1);
  g_assert_cmpuint (critical, ==, 1);
  g_assert_cmpint (pathlen, ==, 0);   /* signs leaves only */
  usage = key_usage (ca_crt);
  g_assert_cmpuint (usage & (GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), ==,
                    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
  g_assert_cmpint (gnutls_x509_crt_get_subject_key_id (ca_crt, ski, &ski_len, &critical), ==, 0);

  /* A server certificate. */
  req = (CzCertRequest) { .common_name = "chat.example", .sans = sans,
                          .key_type = pair->leaf_type };
  server_info = cz_cert_generate_signed (&req, ca, ca_key, server, server_key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (server_info->subject, ==, "CN=chat.example");
  g_assert_cmpstr (server_info->issuer, ==, "CN=Test CA");
  g_assert_cmpstr (server_info->key_type, ==, key_type_text (pair->leaf_type));
  g_assert_cmpstr (server_info->sans, ==, "DNS:chat.example, IP:127.0.0.1, IP:::1");
  g_assert_false (server_info->is_ca);
  assert_iso_utc (server_info->not_after, now + 365 * 86400);
  assert_mode (server, 0644);
  assert_mode (server_key, 0600);
  check_hashes (server, server_info);

  reread = cz_cert_info_new_from_file (server, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reread->fingerprint, ==, server_info->fingerprint);
  g_assert_cmpstr (reread->sans, ==, server_info->sans);

  crt = load_crt (server);
  check_common (crt);
  g_assert_cmpint (gnutls_x509_crt_get_basic_constraints (crt, &critical, NULL, NULL), ==, 0);
  usage = key_usage (crt);
  g_assert_cmpuint (usage & GNUTLS_KEY_KEY_CERT_SIGN, ==, 0);
  g_assert_cmpuint (usage & GNUTLS_KEY_DIGITAL_SIGNATURE, !=, 0);
  g_assert_cmpuint (!!(usage & GNUTLS_KEY_KEY_ENCIPHERMENT), ==,
                    pair->leaf_type == CZ_KEY_RSA_3072);
  assert_eku (crt, GNUTLS_KP_TLS_WWW_SERVER);
  g_assert_true (gnutls_x509_crt_check_hostname (crt, "chat.example"));
  g_assert_false (gnutls_x509_crt_check_hostname (crt, "other.example"));
  g_assert_true (gnutls_x509_crt_check_ip (crt, ip4, sizeof ip4, 0));
  g_assert_true (gnutls_x509_crt_check_ip (crt, ip6, sizeof ip6, 0));
  g_assert_false (gnutls_x509_crt_check_ip (crt, other_ip, sizeof other_ip, 0));
  g_assert_cmpint (gnutls_x509_crt_get_authority_key_id (crt, aki, &aki_len, &critical), ==, 0);
  g_assert_cmpmem (aki, aki_len, ski, ski_len);
  gnutls_x509_crt_deinit (crt);

  g_assert_cmpuint (gnutls_verify (ca, server, GNUTLS_KP_TLS_WWW_SERVER, "chat.example"), ==, 0);
  g_assert_cmpuint (gnutls_verify (ca, server, GNUTLS_KP_TLS_WWW_SERVER, "127.0.0.1"), ==, 0);
  g_assert_cmpuint (gnutls_verify (ca, server, GNUTLS_KP_TLS_WWW_SERVER, "evil.example"),
                    ==, GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER);
  g_assert_cmpuint (gnutls_verify (ca, server, GNUTLS_KP_TLS_WWW_CLIENT, NULL) &
                    GNUTLS_CERT_PURPOSE_MISMATCH, !=, 0);
  g_assert_true (cz_cert_check_pair (server, server_key, &error));
  g_assert_no_error (error);
  verify_with_tools (ca, server, FALSE);

  /* A client certificate: clientAuth, and no SAN made up from the CN. */
  req = (CzCertRequest) { .common_name = "alice", .key_type = pair->leaf_type,
                          .client = TRUE, .days = 7 };
  client_info = cz_cert_generate_signed (&req, ca, ca_key, client, client_key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (client_info->subject, ==, "CN=alice");
  g_assert_cmpstr (client_info->sans, ==, "");
  assert_iso_utc (client_info->not_after, now + 7 * 86400);
  crt = load_crt (client);
  assert_eku (crt, GNUTLS_KP_TLS_WWW_CLIENT);
  gnutls_x509_crt_deinit (crt);
  g_assert_cmpuint (gnutls_verify (ca, client, GNUTLS_KP_TLS_WWW_CLIENT, NULL), ==, 0);
  g_assert_cmpuint (gnutls_verify (ca, client, GNUTLS_KP_TLS_WWW_SERVER, NULL) &
                    GNUTLS_CERT_PURPOSE_MISMATCH, !=, 0);
  verify_with_tools (ca, client, TRUE);

  gnutls_x509_crt_deinit (ca_crt);
}

static void
expect_failure (Fixture *fx, const CzCertRequest *req, const char *ca, const char *ca_key,
                const char *out_cert, const char *out_key, int code,
                const char *needle1, const char *needle2)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzCertInfo) info = NULL;
  guint before = cz_test_count_dir_entries (fx->dir);

  if (ca == NULL)
    info = cz_cert_generate_ca (req, out_cert, out_key, &error);
  else
    info = cz_cert_generate_signed (req, ca, ca_key, out_cert, out_key, &error);
  g_assert_null (info);
  g_assert_error (error, CZ_ERROR, code);
  if (g_test_verbose ())
    g_test_message ("error: %s", error->message);
  g_assert_nonnull (strstr (error->message, needle1));
  if (needle2 != NULL)
    g_assert_nonnull (strstr (error->message, needle2));
  g_assert_false (g_file_test (out_cert, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (out_key, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (cz_test_count_dir_entries (fx->dir), ==, before);
}

static void
expect_pair_error (const char *cert, const char *key, const char *needle1, const char *needle2)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (cz_cert_check_pair (cert, key, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_CERT);
  g_assert_nonnull (strstr (error->message, needle1));
  g_assert_nonnull (strstr (error->message, needle2));
}

static void
test_errors (Fixture *fx, gconstpointer data)
{
  g_autofree char *ca = fx_path (fx, "ca.pem"), *ca_key = fx_path (fx, "ca-key.pem");
  g_autofree char *ca2 = fx_path (fx, "ca2.pem"), *ca2_key = fx_path (fx, "ca2-key.pem");
  g_autofree char *leaf = fx_path (fx, "leaf.pem"), *leaf_key = fx_path (fx, "leaf-key.pem");
  g_autofree char *missing = fx_path (fx, "missing.pem");
  g_autofree char *out = fx_path (fx, "out.pem"), *out_key = fx_path (fx, "out-key.pem");
  g_autofree char *nowhere = fx_path (fx, "no-such-dir/out.pem");
  g_autofree char *nowhere_key = fx_path (fx, "no-such-dir/out-key.pem");
  g_autofree char *before = NULL, *after = NULL;
  const char *bad_san[] = { "DNS:ok.example", "FOO:bar", NULL };
  const char *bad_ip[] = { "IP:1.2.3", NULL };
  const char *bad_dns[] = { "DNS:bad name!", NULL };
  const char *good_san[] = { "DNS:ok.example", NULL };
  CzCertRequest req = { .common_name = "CA" };
  g_autoptr(CzCertInfo) a = NULL, b = NULL, c = NULL;
  g_autoptr(GError) error = NULL;

  a = cz_cert_generate_ca (&req, ca, ca_key, &error);
  g_assert_no_error (error);
  req.key_type = CZ_KEY_ED25519;
  b = cz_cert_generate_ca (&req, ca2, ca2_key, &error);
  g_assert_no_error (error);
  /* A server certificate without SANs gets its CN as a DNS SAN. */
  memset (&req, 0, sizeof req);
  req.common_name = "Leaf.Example";
  c = cz_cert_generate_signed (&req, ca, ca_key, leaf, leaf_key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->sans, ==, "DNS:leaf.example");
  g_assert_cmpuint (gnutls_verify (ca, leaf, GNUTLS_KP_TLS_WWW_SERVER, "leaf.example"), ==, 0);
  /* ... which a CN that is no host name cannot give. */
  req.common_name = "My chat server";
  expect_failure (fx, &req, ca, ca_key, out, out_key, CZ_ERROR_INVALID, "My chat server",
                  "subject alternative names");
  req.common_name = "leaf.example";

  /* Missing CA certificate, missing CA key. */
  expect_failure (fx, &req, missing, ca_key, out, out_key, CZ_ERROR_CERT,
                  "cannot read the CA certificate", "missing.pem: No such file");
  expect_failure (fx, &req, ca, missing, out, out_key, CZ_ERROR_CERT,
                  "cannot read the CA key", "missing.pem: No such file");
  /* A key that is not the CA's. */
  expect_failure (fx, &req, ca, ca2_key, out, out_key, CZ_ERROR_CERT,
                  "ca2-key.pem does not belong to the certificate in", "/ca.pem");
  /* A certificate where the key should be. */
  expect_failure (fx, &req, ca, ca2, out, out_key, CZ_ERROR_CERT,
                  "ca2.pem does not contain a private key", NULL);
  /* A key where the certificate should be. */
  expect_failure (fx, &req, ca_key, ca_key, out, out_key, CZ_ERROR_CERT,
                  "ca-key.pem does not contain a certificate", NULL);
  /* A leaf used as a CA. */
  expect_failure (fx, &req, leaf, leaf_key, out, out_key, CZ_ERROR_CERT,
                  "leaf.pem is not a CA certificate", NULL);
  /* Bad SANs. */
  req.sans = bad_san;
  expect_failure (fx, &req, ca, ca_key, out, out_key, CZ_ERROR_INVALID, "“FOO:bar”", NULL);
  req.sans = bad_ip;
  expect_failure (fx, &req, ca, ca_key, out, out_key, CZ_ERROR_INVALID, "1.2.3", NULL);
  req.sans = bad_dns;
  expect_failure (fx, &req, ca, ca_key, out, out_key, CZ_ERROR_INVALID, "bad name!", NULL);
  /* Output that cannot be written: the certificate, or only the key. */
  req.sans = good_san;
  expect_failure (fx, &req, ca, ca_key, nowhere, out_key, CZ_ERROR_IO, "no-such-dir/out.pem",
                  "No such file");
  expect_failure (fx, &req, ca, ca_key, out, nowhere_key, CZ_ERROR_IO,
                  "no-such-dir/out-key.pem", NULL);
  expect_failure (fx, &req, NULL, NULL, out, nowhere_key, CZ_ERROR_IO,
                  "no-such-dir/out-key.pem", NULL);
  expect_failure (fx, &req, ca, ca_key, fx->dir, out_key, CZ_ERROR_IO, fx->dir, NULL);
  /* Overwriting the CA with its own child, or one file for both. */
  expect_failure (fx, &req, ca, ca_key, out, out, CZ_ERROR_INVALID, "out.pem", NULL);
  before = read_text (ca_key);
  g_assert_null (cz_cert_generate_signed (&req, ca, ca_key, out, ca_key, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  g_clear_error (&error);
  after = read_text (ca_key);
  g_assert_cmpstr (before, ==, after);
  /* Bad requests. */
  req.common_name = "";
  expect_failure (fx, &req, NULL, NULL, out, out_key, CZ_ERROR_INVALID, "common name", NULL);
  req.common_name = "x";
  req.days = 100000;
  expect_failure (fx, &req, NULL, NULL, out, out_key, CZ_ERROR_INVALID, "100000", NULL);

  /* cz_cert_check_pair names the files too. */
  g_assert_true (cz_cert_check_pair (leaf, leaf_key, &error));
  g_assert_no_error (error);
  expect_pair_error (leaf, ca_key, "ca-key.pem does not belong to the certificate in", "leaf.pem");
  expect_pair_error (missing, leaf_key, "cannot read the certificate", "missing.pem");
  expect_pair_error (leaf, missing, "cannot read the private key", "missing.pem");
  g_assert_null (cz_cert_info_new_from_file (missing, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_CERT);
}

static void
test_default_sans (void)
{
  g_auto(GStrv) sans = cz_cert_default_sans ();

  g_assert_nonnull (sans);
  g_assert_true (g_strv_contains ((const char *const *) sans, "DNS:localhost"));
  g_assert_true (g_strv_contains ((const char *const *) sans, "IP:127.0.0.1"));
  g_assert_true (g_strv_contains ((const char *const *) sans, "IP:::1"));
  for (guint i = 0; sans[i] != NULL; i++)
    {
      g_assert_true (g_str_has_prefix (sans[i], "DNS:") || g_str_has_prefix (sans[i], "IP:"));
      g_assert_false (g_str_has_prefix (sans[i], "IP:fe80:"));
      for (guint j = i + 1; sans[j] != NULL; j++)
        g_assert_cmpstr (sans[i], !=, sans[j]);
    }
}

static void
test_ensure_demo (Fixture *fx, gconstpointer data)
{
  g_autofree char *dir = fx_path (fx, "demo/certs");
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *server = g_build_filename (dir, "server.pem", NULL);
  g_autofree char *server_key = g_build_filename (dir, "server-key.pem", NULL);
  g_autofree char *ca_before = NULL, *server_before = NULL, *again = NULL;
  g_autoptr(CzCertInfo) ca_info = NULL, info = NULL;
  g_autoptr(GError) error = NULL;
  gnutls_x509_crt_t crt;
  guint8 ip4[4] = { 127, 0, 0, 1 };

  g_assert_true (cz_cert_ensure_demo (dir, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cz_test_count_dir_entries (dir), ==, 4);
  assert_mode (server_key, 0600);
  ca_info = cz_cert_info_new_from_file (ca, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ca_info->subject, ==, "CN=Causerie demo CA");
  g_assert_true (ca_info->is_ca);
  info = cz_cert_info_new_from_file (server, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->issuer, ==, "CN=Causerie demo CA");
  g_assert_nonnull (strstr (info->sans, "DNS:localhost"));
  g_assert_true (cz_cert_check_pair (server, server_key, &error));
  g_assert_cmpuint (gnutls_verify (ca, server, GNUTLS_KP_TLS_WWW_SERVER, "localhost"), ==, 0);
  crt = load_crt (server);
  g_assert_true (gnutls_x509_crt_check_ip (crt, ip4, sizeof ip4, 0));
  gnutls_x509_crt_deinit (crt);
  verify_with_tools (ca, server, FALSE);

  /* Second run: nothing changes. */
  ca_before = read_text (ca);
  server_before = read_text (server);
  g_assert_true (cz_cert_ensure_demo (dir, &error));
  g_assert_no_error (error);
  again = read_text (server);
  g_assert_cmpstr (again, ==, server_before);

  /* A lost server pair is issued again by the same CA. */
  g_unlink (server);
  g_assert_true (cz_cert_ensure_demo (dir, &error));
  g_assert_no_error (error);
  g_free (again);
  again = read_text (ca);
  g_assert_cmpstr (again, ==, ca_before);
  g_free (again);
  again = read_text (server);
  g_assert_cmpstr (again, !=, server_before);
  g_assert_cmpuint (gnutls_verify (ca, server, GNUTLS_KP_TLS_WWW_SERVER, "localhost"), ==, 0);
}

static void
test_cli (Fixture *fx, gconstpointer data)
{
  const char *bin = g_getenv ("CZ_SERVER_BIN");
  g_autofree char *ca = fx_path (fx, "ca.pem"), *ca_key = fx_path (fx, "ca-key.pem");
  g_autofree char *cert = fx_path (fx, "c.pem"), *key = fx_path (fx, "c-key.pem");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(CzCertInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  if (bin == NULL || !g_file_test (bin, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("CZ_SERVER_BIN is not set");
      return;
    }
  spawn (&out, &err, bin, "--generate-ca", "--help", NULL);
  if (strstr (out, "--out-cert") == NULL)
    {
      g_test_skip ("causerie-server does not dispatch --generate-ca yet");
      return;
    }

  g_assert_cmpint (spawn (&out, &err, bin, "--generate-ca", "--cn", "CLI CA", "--out-cert", ca,
                          "--out-key", ca_key, "--key-type", "ed25519", "--days", "10", NULL),
                   ==, 0);
  g_assert_nonnull (strstr (out, "CN=CLI CA"));
  g_assert_nonnull (strstr (out, ca));
  info = cz_cert_info_new_from_file (ca, &error);
  g_assert_no_error (error);
  g_assert_true (info->is_ca);
  g_assert_cmpstr (info->key_type, ==, "Ed25519");
  g_assert_nonnull (strstr (out, info->fingerprint));
  assert_mode (ca_key, 0600);

  g_assert_cmpint (spawn (&out, &err, bin, "--generate-cert", "--ca-cert", ca, "--ca-key", ca_key,
                          "--cn", "bob", "--san", "DNS:bob.example", "--san", "IP:::1",
                          "--client", "--out-cert", cert, "--out-key", key, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "DNS:bob.example, IP:::1"));
  g_assert_cmpuint (gnutls_verify (ca, cert, GNUTLS_KP_TLS_WWW_CLIENT, NULL), ==, 0);
  g_unlink (cert);
  g_unlink (key);

  /* Usage errors exit 2, failures 1; both say why on stderr. */
  g_assert_cmpint (spawn (&out, &err, bin, "--generate-cert", "--ca-cert", ca, "--ca-key", ca_key,
                          "--cn", "x", "--san", "FOO:bar", "--out-cert", cert,
                          "--out-key", key, NULL), ==, 2);
  g_assert_true (g_str_has_prefix (err, "causerie-server: "));
  g_assert_nonnull (strstr (err, "FOO:bar"));
  g_assert_cmpint (spawn (&out, &err, bin, "--generate-ca", "--out-cert", cert, "--out-key", key,
                          NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--cn"));
  g_assert_cmpint (spawn (&out, &err, bin, "--generate-ca", "--cn", "x", "--key-type", "dsa",
                          "--out-cert", cert, "--out-key", key, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "dsa"));
  g_assert_cmpint (spawn (&out, &err, bin, "--generate-cert", "--ca-cert", cert, "--ca-key",
                          ca_key, "--cn", "x", "--out-cert", cert, "--out-key", key, NULL), ==, 1);
  g_assert_true (g_str_has_prefix (err, "causerie-server: "));
  g_assert_nonnull (strstr (err, "c.pem"));
  g_assert_false (g_file_test (cert, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (key, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, data, func) \
  g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/cert/key-type/names", test_key_type_names);
  ADD ("/cert/info/known-answer", NULL, test_info_kat);
  g_test_add_func ("/cert/info/control-characters", test_info_control_characters);
  ADD ("/cert/generate/ecdsa-p256", &same_ecdsa, test_generate);
  ADD ("/cert/generate/ed25519", &same_ed25519, test_generate);
  ADD ("/cert/generate/rsa-3072", &same_rsa, test_generate);
  ADD ("/cert/generate/ed25519-ca-rsa-leaf", &ed25519_signs_rsa, test_generate);
  ADD ("/cert/generate/rsa-ca-ed25519-leaf", &rsa_signs_ed25519, test_generate);
  ADD ("/cert/errors", NULL, test_errors);
  g_test_add_func ("/cert/default-sans", test_default_sans);
  ADD ("/cert/ensure-demo", NULL, test_ensure_demo);
  ADD ("/cert/cli", NULL, test_cli);

  return g_test_run ();
}
