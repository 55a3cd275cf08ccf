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

#include "fuzz.h"
#include "cz-cert.h"
#include "cz-error.h"
#include "cz-tls.h"

static char *cert_path, *key_path;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  cz_fuzz_setup ();
  cert_path = g_build_filename (cz_fuzz_tmpdir (), "cert.pem", NULL);
  key_path = g_build_filename (cz_fuzz_tmpdir (), "key.pem", NULL);
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
 * line and both windows' labels: one line of UTF-8 whatever the
 * certificate holds (pem.crashes/ has names that are not UTF-8). */
static void
check_text (const char *field, const char *text)
{
  g_assert_nonnull (text);
  if (!g_utf8_validate (text, -1, NULL) || strchr (text, '\n') != NULL)
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
  const char *sep = size ? g_strstr_len ((const char *) data, (gssize) size, "\n=====\n") : NULL;
  gsize cert_len = sep ? (gsize) (sep - (const char *) data) : size;
  const guint8 *key_data = sep ? (const guint8 *) sep + 7 : data;
  gsize key_len = sep ? size - cert_len - 7 : size;

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
