/* fuzz-common.c: setup shared by the fuzz targets (see fuzz.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "cz-cert.h"
#include "cz-cert-generate.h"

static char *tmpdir;

static void
remove_tmpdir (void)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (tmpdir == NULL || (dir = g_dir_open (tmpdir, 0, NULL)) == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);
      remove (path);
    }
  remove (tmpdir);
}

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_standard_streams (level, fields, n_fields, data);
  return G_LOG_WRITER_HANDLED;
}

void
cz_fuzz_setup (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_writer_func (quiet_writer, NULL, NULL);
}

const char *
cz_fuzz_tmpdir (void)
{
  if (tmpdir == NULL)
    {
      g_autoptr(GError) error = NULL;

      tmpdir = g_dir_make_tmp ("causerie-fuzz-XXXXXX", &error);
      g_assert_no_error (error);
      atexit (remove_tmpdir);
    }
  return tmpdir;
}

void
cz_fuzz_pki (const char **ca, const char **cert, const char **key)
{
  static char *ca_path, *ca_key_path, *cert_path, *key_path;

  if (ca_path == NULL)
    {
      const char *sans[] = { "DNS:localhost", "IP:127.0.0.1", NULL };
      CzCertRequest ca_req = { .common_name = "Fuzz CA", .key_type = CZ_KEY_ECDSA_P256 };
      CzCertRequest req = { .common_name = "localhost", .sans = sans,
                            .key_type = CZ_KEY_ECDSA_P256 };
      g_autoptr(GError) error = NULL;
      CzCertInfo *info;

      ca_path = g_build_filename (cz_fuzz_tmpdir (), "ca.pem", NULL);
      ca_key_path = g_build_filename (cz_fuzz_tmpdir (), "ca-key.pem", NULL);
      cert_path = g_build_filename (cz_fuzz_tmpdir (), "server.pem", NULL);
      key_path = g_build_filename (cz_fuzz_tmpdir (), "server-key.pem", NULL);
      info = cz_cert_generate_ca (&ca_req, ca_path, ca_key_path, &error);
      g_assert_no_error (error);
      cz_cert_info_free (info);
      info = cz_cert_generate_signed (&req, ca_path, ca_key_path, cert_path, key_path, &error);
      g_assert_no_error (error);
      cz_cert_info_free (info);
    }
  if (ca)
    *ca = ca_path;
  if (cert)
    *cert = cert_path;
  if (key)
    *key = key_path;
}

guint8
cz_fuzz_u8 (CzFuzzInput *in)
{
  guint8 v = 0;

  if (in->size > 0)
    {
      v = in->data[0];
      in->data++;
      in->size--;
    }
  return v;
}

guint16
cz_fuzz_u16 (CzFuzzInput *in)
{
  guint16 hi = cz_fuzz_u8 (in);
  return (guint16) ((hi << 8) | cz_fuzz_u8 (in));
}

const uint8_t *
cz_fuzz_bytes (CzFuzzInput *in, size_t max, size_t *len)
{
  const uint8_t *p = in->data;

  *len = MIN (max, in->size);
  in->data += *len;
  in->size -= *len;
  return p;
}
