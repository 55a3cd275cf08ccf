/* fuzz-pem.c: certificate and key loading (common/cz-cert.c, and the
 * server's credential setup in common/cz-tls.c).
 *
 * Input: a certificate file and a key file, separated by the first line
 * "=====" (no separator: the same bytes for both).  They are written to
 * temporary files and loaded as the server does at start
 * (cz_tls_server_config_new, which checks the pair, loads the credentials
 * and the certificate facts), as a CA file, and as the certificate a peer
 * sends (the input as DER: cz_cert_info_new_from_datum).
 *
 * Properties: failures are CZ_ERROR with a UTF-8 message naming the file;
 * every text a window or a JSON line shows of a certificate is valid UTF-8
 * on one line, and the fingerprints have their fixed form. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "fuzz.h"
#include "cz-cert.h"
#include "cz-cert-generate.h"
#include "cz-error.h"
#include "cz-tls-server.h"

static char *cert_path, *key_path;

/* Real pairs, made at start: no private key is kept in the repository.
 * The seeds "@pair ecdsa-p256", "@pair ed25519" and "@mismatched" (each a
 * whole input, with its newline) stand for "a certificate, =====, its
 * key" (or another type's key). */
static struct {
  const char *token;
  GBytes *input;
} generated[3];

/* A fresh self-signed certificate and key of @type, as one input. */
static GBytes *
generate_pair (CzKeyType cert_type, CzKeyType key_type)
{
  g_autofree char *cert = g_build_filename (cz_fuzz_tmpdir (), "gen-cert.pem", NULL);
  g_autofree char *key = g_build_filename (cz_fuzz_tmpdir (), "gen-key.pem", NULL);
  g_autofree char *cert_pem = NULL, *key_pem = NULL;
  g_autoptr(GError) error = NULL;
  CzCertRequest req = { .common_name = "Seed CA \"quoted\", comma", .key_type = cert_type };
  g_autoptr(CzCertInfo) info = cz_cert_generate_ca (&req, cert, key, &error);

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (cert, &cert_pem, NULL, NULL));
  if (key_type != cert_type)
    {
      g_autoptr(CzCertInfo) other = NULL;

      req.key_type = key_type;
      other = cz_cert_generate_ca (&req, cert, key, &error);
      g_assert_no_error (error);
    }
  g_assert_true (g_file_get_contents (key, &key_pem, NULL, NULL));
  g_unlink (cert);
  g_unlink (key);
  return g_bytes_new_take (g_strconcat (cert_pem, "=====\n", key_pem, NULL),
                           strlen (cert_pem) + 6 + strlen (key_pem));
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  cz_fuzz_setup ();
  cert_path = g_build_filename (cz_fuzz_tmpdir (), "cert.pem", NULL);
  key_path = g_build_filename (cz_fuzz_tmpdir (), "key.pem", NULL);
  generated[0].token = "@pair ecdsa-p256\n";
  generated[0].input = generate_pair (CZ_KEY_ECDSA_P256, CZ_KEY_ECDSA_P256);
  generated[1].token = "@pair ed25519\n";
  generated[1].input = generate_pair (CZ_KEY_ED25519, CZ_KEY_ED25519);
  generated[2].token = "@mismatched\n";
  generated[2].input = generate_pair (CZ_KEY_ECDSA_P256, CZ_KEY_ED25519);
  return 0;
}

static void
write_file (const char *path, const void *data, gsize len)
{
  FILE *f = fopen (path, "wb");

  g_assert_nonnull (f);
  if (len > 0)   /* fwrite's buffer may not be NULL, even for 0 bytes */
    g_assert_cmpuint (fwrite (data, 1, len, f), ==, len);
  g_assert_cmpint (fclose (f), ==, 0);
}

/* The subject, issuer and SAN texts reach the client's --json `connected`
 * line, the terminal and both windows' labels: one line of UTF-8 without
 * control characters, whatever the certificate holds (pem.crashes/ has
 * names that are not UTF-8, and one with a newline in its issuer). */
static gboolean
has_control (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || (c >= 0x7f && c < 0xa0))
        return TRUE;
    }
  return FALSE;
}

static void
check_text (const char *field, const char *text)
{
  g_assert_nonnull (text);
  if (!g_utf8_validate (text, -1, NULL) || has_control (text))
    {
      g_autofree char *shown = g_strescape (text, NULL);
      g_error ("certificate %s is not one line of UTF-8: \"%s\"", field, shown);
    }
}

static void
check_info (const CzCertInfo *info)
{
  if (info == NULL)
    return;
  check_text ("subject", info->subject);
  check_text ("issuer", info->issuer);
  check_text ("not_before", info->not_before);
  check_text ("not_after", info->not_after);
  check_text ("key_type", info->key_type);
  check_text ("sans", info->sans);
  check_text ("fingerprint", info->fingerprint);
  g_assert_cmpuint (strlen (info->fingerprint), ==, 32 * 3 - 1);
  check_text ("spki_sha256", info->spki_sha256);
  g_assert_true (strlen (info->spki_sha256) == 64 || strlen (info->spki_sha256) == 0);
  {
    g_autoptr(CzCertInfo) copy = cz_cert_info_copy (info);
    g_assert_cmpstr (copy->subject, ==, info->subject);
  }
}

static void
check_error (const GError *error, const char *path)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == CZ_ERROR);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (path)
    g_assert_nonnull (strstr (error->message, path));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *sep;
  gsize cert_len, key_len;
  const guint8 *key_data;
  int expect_pair = -1;     /* a generated input: whether it is a pair */

  for (guint i = 0; i < G_N_ELEMENTS (generated); i++)
    if (size == strlen (generated[i].token) && memcmp (data, generated[i].token, size) == 0)
      {
        data = g_bytes_get_data (generated[i].input, &size);
        expect_pair = g_str_has_prefix (generated[i].token, "@pair");
        break;
      }
  sep = size ? g_strstr_len ((const char *) data, (gssize) size, "\n=====\n") : NULL;
  cert_len = sep ? (gsize) (sep - (const char *) data) : size;
  key_data = sep ? (const guint8 *) sep + 7 : data;
  key_len = sep ? size - cert_len - 7 : size;

  write_file (cert_path, data, cert_len);
  write_file (key_path, key_data, key_len);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CzCertInfo) info = cz_cert_info_new_from_file (cert_path, &error);

    if (info == NULL)
      check_error (error, cert_path);
    check_info (info);
  }
  {
    g_autoptr(GError) error = NULL;
    gboolean pair = cz_cert_check_pair (cert_path, key_path, &error);
    g_autoptr(CzTlsServerConfig) config = NULL;

    if (expect_pair >= 0)
      g_assert_cmpint (pair, ==, expect_pair);
    if (!pair)
      check_error (error, NULL);
    g_clear_error (&error);
    /* The server's start: the certificate also serves as its client CA. */
    config = cz_tls_server_config_new (cert_path, key_path, cert_path, CZ_CLIENT_CERT_REQUEST,
                                       NULL, &error);
    if (config == NULL)
      check_error (error, NULL);
    else
      {
        g_assert_true (pair);
        check_info (cz_tls_server_config_get_cert_info (config));
      }
  }
  {
    /* As a peer's certificate (DER) in a handshake. */
    static unsigned char empty[1];
    gnutls_datum_t der = { size ? (unsigned char *) data : empty, (unsigned int) size };
    g_autoptr(CzCertInfo) info = cz_cert_info_new_from_datum (&der);

    check_info (info);
  }
  return 0;
}
