/* cz-cert.c: reading X.509 certificates with GnuTLS: the facts a window
 * shows about one (CzCertInfo, cz-cert-info.h; from GnuTLS types:
 * cz-cert.h), loading PEM files and checking that a key belongs to a
 * certificate.  Minting certificates is cz-cert-generate.c. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "cz-cert-private.h"
#include "cz-tls.h"
#include "cz-util.h"

gboolean
cz_cert_set_error (GError **error, CzErrorCode code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (CZ_ERROR, code, format, args));
  va_end (args);
  return FALSE;
}

/* The one place where a GnuTLS code becomes a GError of this file:
 * "<what failed>: <GnuTLS's reason>". */
gboolean
cz_cert_set_gnutls_error (GError **error, int code, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  /* TRANSLATORS: first %s says what failed, the second is GnuTLS's reason */
  return cz_cert_set_error (error, CZ_ERROR_CERT, _("%s: %s"), what, cz_tls_error_reason (code));
}

void
cz_cert_info_free (CzCertInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->subject);
  g_free (info->issuer);
  g_free (info->subject_name);
  g_free (info->issuer_name);
  g_free (info->not_before);
  g_free (info->not_after);
  g_free (info->fingerprint);
  g_free (info->spki_sha256);
  g_free (info->key_type);
  g_free (info->sans);
  g_free (info);
}

CzCertInfo *
cz_cert_info_copy (const CzCertInfo *info)
{
  CzCertInfo *copy;

  if (info == NULL)
    return NULL;
  copy = g_memdup2 (info, sizeof *info);
  copy->subject = g_strdup (info->subject);
  copy->issuer = g_strdup (info->issuer);
  copy->subject_name = g_strdup (info->subject_name);
  copy->issuer_name = g_strdup (info->issuer_name);
  copy->not_before = g_strdup (info->not_before);
  copy->not_after = g_strdup (info->not_after);
  copy->fingerprint = g_strdup (info->fingerprint);
  copy->spki_sha256 = g_strdup (info->spki_sha256);
  copy->key_type = g_strdup (info->key_type);
  copy->sans = g_strdup (info->sans);
  return copy;
}

char *
cz_cert_format_time (time_t t)
{
  g_autoptr(GDateTime) dt = NULL;

  if (t != (time_t) -1)
    dt = g_date_time_new_from_unix_utc ((gint64) t);
  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
}

/* A certificate may carry any bytes in its names, but the windows, the
 * logs and the JSON get one line of UTF-8: invalid sequences become
 * U+FFFD, and control characters (C0, DEL, C1: a newline would forge a
 * line) the RFC 4514 escape of their bytes, "\0A". */
static char *
cert_text (const char *data, gsize len)
{
  g_autofree char *valid = g_utf8_make_valid (data, len);
  GString *out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || (c >= 0x7f && c < 0xa0))
        for (const char *b = p; b < g_utf8_next_char (p); b++)
          g_string_append_printf (out, "\\%02X", (guint8) *b);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  return g_string_free (out, FALSE);
}

static char *
dn_string (gnutls_x509_crt_t crt, gboolean issuer)
{
  g_auto(gnutls_datum_t) dn = { NULL, 0 };
  int ret = issuer ? gnutls_x509_crt_get_issuer_dn3 (crt, &dn, 0)
                   : gnutls_x509_crt_get_dn3 (crt, &dn, 0);

  return ret < 0 ? g_strdup ("") : cert_text ((const char *) dn.data, dn.size);
}

/* The common name, for a sentence ("verified by Causerie demo CA"); the
 * whole DN when there is none. */
static char *
common_name (gnutls_x509_crt_t crt, gboolean issuer, const char *dn)
{
  char buf[256];
  size_t size = sizeof buf;
  int ret = issuer ? gnutls_x509_crt_get_issuer_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                                          buf, &size)
                   : gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                                   buf, &size);

  return ret < 0 || size == 0 ? g_strdup (dn) : cert_text (buf, size);
}

static char *
key_type_text (gnutls_x509_crt_t crt)
{
  unsigned int bits = 0;
  int algo = gnutls_x509_crt_get_pk_algorithm (crt, &bits);
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  g_auto(gnutls_datum_t) x = { NULL, 0 }, y = { NULL, 0 };
  const char *name = gnutls_pk_get_name (algo);

  if (algo == GNUTLS_PK_EDDSA_ED25519)
    return g_strdup ("Ed25519");
  if (algo == GNUTLS_PK_ECDSA && gnutls_x509_crt_get_pk_ecc_raw (crt, &curve, &x, &y) >= 0)
    return g_strdup_printf ("ECDSA %s", curve == GNUTLS_ECC_CURVE_SECP256R1 ? "P-256"
                                        : curve == GNUTLS_ECC_CURVE_SECP384R1 ? "P-384"
                                        : curve == GNUTLS_ECC_CURVE_SECP521R1 ? "P-521"
                                        : gnutls_ecc_curve_get_name (curve));
  if (name == NULL)
    return g_strdup (_("unknown"));
  return bits > 0 ? g_strdup_printf ("%s %u", name, bits) : g_strdup (name);
}

/* "DNS:a.example, IP:192.0.2.1, IP:2001:db8::1" */
static char *
sans_string (gnutls_x509_crt_t crt)
{
  g_autoptr(GString) out = g_string_new ("");
  g_auto(gnutls_datum_t) der = { NULL, 0 };
  g_auto(gnutls_subject_alt_names_t) sans = NULL;
  gnutls_datum_t san, oid;
  unsigned int type, critical = 0;
  char ip[INET6_ADDRSTRLEN];

  if (gnutls_x509_crt_get_extension_by_oid2 (crt, GNUTLS_X509EXT_OID_SAN, 0,
                                             &der, &critical) < 0 ||
      gnutls_subject_alt_names_init (&sans) < 0 ||
      gnutls_x509_ext_import_subject_alt_names (&der, sans, 0) < 0)
    return g_strdup ("");

  for (unsigned int i = 0; gnutls_subject_alt_names_get (sans, i, &type, &san, &oid) >= 0; i++)
    {
      g_string_append (out, i > 0 ? ", " : "");
      if (type == GNUTLS_SAN_IPADDRESS)   /* raw bytes: 4 for IPv4, 16 for IPv6 */
        g_string_append_printf (out, "IP:%s", (san.size == 4 || san.size == 16) &&
                                inet_ntop (san.size == 4 ? AF_INET : AF_INET6, san.data,
                                           ip, sizeof ip) ? ip : "?");
      else if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME ||
               type == GNUTLS_SAN_URI)
        {
          g_autofree char *text = cert_text ((const char *) san.data, san.size);
          g_string_append_printf (out, "%s:%s", type == GNUTLS_SAN_DNSNAME ? "DNS"
                                  : type == GNUTLS_SAN_URI ? "URI" : "email", text);
        }
      else
        g_string_append (out, "other");
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

CzCertInfo *
cz_cert_info_new_from_crt (gnutls_x509_crt_t crt)
{
  CzCertInfo *info;
  guint8 buf[64];
  size_t size;
  unsigned int critical = 0;
  time_t not_after;

  g_return_val_if_fail (crt != NULL, NULL);

  info = g_new0 (CzCertInfo, 1);
  info->subject = dn_string (crt, FALSE);
  info->issuer = dn_string (crt, TRUE);
  info->subject_name = common_name (crt, FALSE, info->subject);
  info->issuer_name = common_name (crt, TRUE, info->issuer);
  info->not_before = cz_cert_format_time (gnutls_x509_crt_get_activation_time (crt));
  not_after = gnutls_x509_crt_get_expiration_time (crt);
  info->not_after = cz_cert_format_time (not_after);
  info->not_after_unix = not_after == (time_t) -1 ? 0 : (gint64) not_after;
  size = sizeof buf;
  info->fingerprint = gnutls_x509_crt_get_fingerprint (crt, GNUTLS_DIG_SHA256, buf, &size) >= 0
                      ? cz_hex_encode_colons (buf, size) : g_strdup ("");
  /* With GNUTLS_KEYID_USE_SHA256 the key id is SHA-256 of the DER
   * SubjectPublicKeyInfo: the pin of DESIGN §2.1. */
  size = sizeof buf;
  info->spki_sha256 = gnutls_x509_crt_get_key_id (crt, GNUTLS_KEYID_USE_SHA256, buf, &size) >= 0
                      ? cz_hex_encode (buf, size) : g_strdup ("");

  info->key_type = key_type_text (crt);
  info->sans = sans_string (crt);
  info->is_ca = gnutls_x509_crt_get_ca_status (crt, &critical) > 0;
  return info;
}

CzCertInfo *
cz_cert_info_new_from_datum (const gnutls_datum_t *der)
{
  g_auto(gnutls_x509_crt_t) crt = NULL;

  g_return_val_if_fail (der != NULL, NULL);

  if (gnutls_x509_crt_init (&crt) < 0 ||
      gnutls_x509_crt_import (crt, der, GNUTLS_X509_FMT_DER) < 0)
    return NULL;
  return cz_cert_info_new_from_crt (crt);
}

/* Loads the first certificate (@crt) or the private key (@key) of a PEM
 * file; errors name the file. */
gboolean
cz_cert_load_pem (const char *path, CzCertFileKind kind, gnutls_x509_crt_t *crt, gnutls_x509_privkey_t *key,
          GError **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *reason;
  char *contents = NULL;
  gnutls_datum_t data;
  gsize len = 0;
  int fd, ret = GNUTLS_E_INVALID_REQUEST;

  /* Open once for errno, so the reason is plain ("No such file or
   * directory") rather than GLib's long form with the path again. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || !g_close (fd, NULL) || !g_file_get_contents (path, &contents, &len, &local_error))
    {
      reason = local_error != NULL ? local_error->message : g_strerror (errno);
      return cz_cert_set_error (error, CZ_ERROR_CERT,
                                kind == CZ_CERT_FILE_CA_CERT ? _("cannot read the CA certificate %s: %s")
                                : kind == CZ_CERT_FILE_CA_KEY ? _("cannot read the CA key %s: %s")
                                : kind == CZ_CERT_FILE_KEY ? _("cannot read the private key %s: %s")
                                : _("cannot read the certificate %s: %s"), path, reason);
    }

  data.data = (unsigned char *) contents;
  data.size = len;
  if (crt != NULL && (ret = gnutls_x509_crt_init (crt)) >= 0)
    ret = gnutls_x509_crt_import (*crt, &data, GNUTLS_X509_FMT_PEM);
  else if (key != NULL && (ret = gnutls_x509_privkey_init (key)) >= 0)
    ret = gnutls_x509_privkey_import2 (*key, &data, GNUTLS_X509_FMT_PEM, NULL, 0);
  /* The file may hold a key: wipe our copy. */
  cz_memwipe (contents, len);
  g_free (contents);
  if (crt != NULL)
    TRY (ret, _("%s does not contain a certificate"), path);
  else
    TRY (ret, _("%s does not contain a private key"), path);
  return TRUE;
}

/* TRUE if @key is the private half of @crt's public key. */
gboolean
cz_cert_key_matches (gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
  guint8 a[64], b[64];
  size_t a_len = sizeof a, b_len = sizeof b;

  if (gnutls_x509_crt_get_key_id (crt, GNUTLS_KEYID_USE_SHA256, a, &a_len) < 0 ||
      gnutls_x509_privkey_get_key_id (key, GNUTLS_KEYID_USE_SHA256, b, &b_len) < 0)
    return FALSE;
  return a_len == b_len && memcmp (a, b, a_len) == 0;
}

gboolean
cz_cert_check_pair (const char *cert_file, const char *key_file, GError **error)
{
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_auto(gnutls_x509_privkey_t) key = NULL;

  g_return_val_if_fail (cert_file != NULL && key_file != NULL, FALSE);

  if (!cz_cert_load_pem (cert_file, CZ_CERT_FILE_CERT, &crt, NULL, error) ||
      !cz_cert_load_pem (key_file, CZ_CERT_FILE_KEY, NULL, &key, error))
    return FALSE;
  if (!cz_cert_key_matches (crt, key))
    return cz_cert_set_error (error, CZ_ERROR_CERT,
                              _("the key in %s does not belong to the certificate in %s"),
                              key_file, cert_file);
  return TRUE;
}

CzCertInfo *
cz_cert_info_new_from_file (const char *path, GError **error)
{
  g_auto(gnutls_x509_crt_t) crt = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!cz_cert_load_pem (path, CZ_CERT_FILE_CERT, &crt, NULL, error))
    return NULL;
  return cz_cert_info_new_from_crt (crt);
}
