/* cz-cert-generate.c: minting X.509 with GnuTLS (cz-cert-generate.h): a
 * self-signed CA, and server or client certificates signed by one, with
 * their keys written 0600 and certificates 0644; the request's names and
 * SANs checked first. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>

#include "cz-cert-generate.h"
#include "cz-cert-private.h"
#include "cz-util.h"

#define SERIAL_LEN 20
#define KEY_ID_LEN 20           /* RFC 7093 §2 method 1: SHA-256 cut to 160 bits */
#define MAX_DAYS 36525          /* a century is plenty */
#define MAX_CN_LEN 64           /* ub-common-name, RFC 5280 */

static const char *const key_type_names[] = { "ecdsa-p256", "ed25519", "rsa-3072" };

G_DEFINE_ENUM_TYPE (CzKeyType, cz_key_type,
  G_DEFINE_ENUM_VALUE (CZ_KEY_ECDSA_P256, "ecdsa-p256"),
  G_DEFINE_ENUM_VALUE (CZ_KEY_ED25519, "ed25519"),
  G_DEFINE_ENUM_VALUE (CZ_KEY_RSA_3072, "rsa-3072"))

const char *
cz_key_type_name (CzKeyType type)
{
  return key_type_names[(guint) type < G_N_ELEMENTS (key_type_names) ? type : 0];
}

gboolean
cz_key_type_from_name (const char *name, CzKeyType *type, GError **error)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (key_type_names); i++)
    if (g_ascii_strcasecmp (name, key_type_names[i]) == 0)
      {
        if (type != NULL)
          *type = (CzKeyType) i;
        return TRUE;
      }
  return cz_cert_set_error (error, CZ_ERROR_INVALID,
                            _("unknown key type “%s” (use ecdsa-p256, ed25519 or rsa-3072)"),
                            name != NULL ? name : "");
}

/* A parsed "DNS:name" or "IP:addr". */
typedef struct {
  gnutls_x509_subject_alt_name_t type;   /* DNSNAME or IPADDRESS */
  guint8 data[254];                      /* the name in ASCII, or raw address bytes */
  gsize len;
} San;

/* Host name syntax (RFC 1123 labels, '_' tolerated), with an optional
 * wildcard as the whole leftmost label. */
gboolean
cz_cert_dns_name_valid (const char *name)
{
  g_auto(GStrv) labels = NULL;

  if (name == NULL || name[0] == '\0' || strlen (name) > 253)
    return FALSE;
  labels = g_strsplit (name, ".", -1);
  for (gsize i = 0; labels[i] != NULL; i++)
    {
      const char *l = labels[i];
      gsize l_len = strlen (l);

      if (i == 0 && strcmp (l, "*") == 0 && labels[1] != NULL)
        continue;
      if (l_len == 0 || l_len > 63 || l[0] == '-' || l[l_len - 1] == '-')
        return FALSE;
      for (const char *p = l; *p != '\0'; p++)
        if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
          return FALSE;
    }
  return TRUE;
}

static gboolean
parse_san (const char *text, San *san, GError **error)
{
  memset (san, 0, sizeof *san);

  if (g_ascii_strncasecmp (text, "DNS:", 4) == 0)
    {
      g_autofree char *ascii = g_hostname_to_ascii (text + 4);

      if (!cz_cert_dns_name_valid (ascii))
        return cz_cert_set_error (error, CZ_ERROR_INVALID,
                                  _("“%s” is not a valid DNS name for a subject alternative name"),
                                  text + 4);
      san->type = GNUTLS_SAN_DNSNAME;
      for (san->len = 0; ascii[san->len] != '\0'; san->len++)
        san->data[san->len] = g_ascii_tolower (ascii[san->len]);
      return TRUE;
    }

  if (g_ascii_strncasecmp (text, "IP:", 3) == 0)
    {
      san->type = GNUTLS_SAN_IPADDRESS;
      san->len = inet_pton (AF_INET, text + 3, san->data) == 1 ? 4
                 : inet_pton (AF_INET6, text + 3, san->data) == 1 ? 16 : 0;
      if (san->len == 0)
        return cz_cert_set_error (error, CZ_ERROR_INVALID,
                                  _("“%s” is not an IPv4 or IPv6 address"), text + 3);
      return TRUE;
    }

  return cz_cert_set_error (error, CZ_ERROR_INVALID,
                            _("unsupported subject alternative name “%s”: use DNS:name or IP:address"),
                            text);
}

static gboolean
check_request (const CzCertRequest *req, GError **error)
{
  San san;

  if (req->common_name == NULL || req->common_name[0] == '\0')
    return cz_cert_set_error (error, CZ_ERROR_INVALID, _("the common name must not be empty"));
  if (!g_utf8_validate (req->common_name, -1, NULL) ||
      g_utf8_strlen (req->common_name, -1) > MAX_CN_LEN)
    return cz_cert_set_error (error, CZ_ERROR_INVALID,
                              _("the common name must be valid UTF-8 of at most %d characters"),
                              MAX_CN_LEN);
  if (req->days > MAX_DAYS)
    return cz_cert_set_error (error, CZ_ERROR_INVALID,
                              _("a validity of %u days is too long (at most %d)"),
                              req->days, MAX_DAYS);
  for (gsize i = 0; req->sans != NULL && req->sans[i] != NULL; i++)
    if (!parse_san (req->sans[i], &san, error))
      return FALSE;
  return TRUE;
}

/* Fails early, before a key is generated, when an output file could not be
 * written: a missing or read-only folder, a folder in the way. */
static gboolean
check_output (const char *path, GError **error)
{
  g_autofree char *dir = NULL;
  int err;

  if (path == NULL || path[0] == '\0')
    return cz_cert_set_error (error, CZ_ERROR_INVALID, _("no output file given"));
  dir = g_path_get_dirname (path);
  err = g_file_test (path, G_FILE_TEST_IS_DIR) ? EISDIR
        : g_access (dir, W_OK | X_OK) != 0 ? errno : 0;
  if (err != 0)
    return cz_cert_set_error (error, CZ_ERROR_IO, _("cannot write %s: %s"), path, g_strerror (err));
  return TRUE;
}

static gboolean
check_outputs (const char *out_cert, const char *out_key,
               const char *ca_cert, const char *ca_key, GError **error)
{
  g_autofree char *c = NULL, *k = NULL;
  const char *inputs[] = { ca_cert, ca_key };

  if (!check_output (out_cert, error) || !check_output (out_key, error))
    return FALSE;
  c = g_canonicalize_filename (out_cert, NULL);
  k = g_canonicalize_filename (out_key, NULL);
  if (strcmp (c, k) == 0)
    return cz_cert_set_error (error, CZ_ERROR_INVALID,
                              _("the certificate and the key cannot both be written to %s"), out_cert);
  for (gsize i = 0; i < G_N_ELEMENTS (inputs) && inputs[i] != NULL; i++)
    {
      g_autofree char *in = g_canonicalize_filename (inputs[i], NULL);

      if (strcmp (in, c) == 0 || strcmp (in, k) == 0)
        return cz_cert_set_error (error, CZ_ERROR_INVALID,
                                  _("refusing to overwrite the CA file %s"), inputs[i]);
    }
  return TRUE;
}

static gboolean
generate_key (CzKeyType type, gnutls_x509_privkey_t *out, GError **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  gnutls_pk_algorithm_t algo = type == CZ_KEY_ED25519 ? GNUTLS_PK_EDDSA_ED25519
                               : type == CZ_KEY_RSA_3072 ? GNUTLS_PK_RSA : GNUTLS_PK_ECDSA;
  unsigned int bits = type == CZ_KEY_ED25519 ? 0 : type == CZ_KEY_RSA_3072 ? 3072
                      : GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1);

  TRY (gnutls_x509_privkey_init (&key), _("cannot generate a key"));
  TRY (gnutls_x509_privkey_generate2 (key, algo, bits, 0, NULL, 0),
       _("cannot generate a %s key"), cz_key_type_name (type));
  *out = g_steal_pointer (&key);
  return TRUE;
}

static gboolean
add_san (gnutls_x509_crt_t crt, const char *text, GError **error)
{
  San san;

  if (!parse_san (text, &san, error))
    return FALSE;
  TRY (gnutls_x509_crt_set_subject_alt_name (crt, san.type, san.data, san.len,
                                             GNUTLS_FSAN_APPEND),
       _("cannot add the subject alternative name %s"), text);
  return TRUE;
}

/* Builds and signs a certificate for @key: a self-signed CA when @issuer
 * is NULL, else a leaf signed by @issuer / @issuer_key. */
static gboolean
build_crt (const CzCertRequest *req, gnutls_x509_privkey_t key,
           gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key,
           gnutls_x509_crt_t *out, GError **error)
{
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_auto(gnutls_privkey_t) signer = NULL;
  gboolean ca = issuer == NULL;
  guint days = req->days != 0 ? req->days : (ca ? 3650 : 365);
  time_t now = time (NULL);
  guint8 serial[SERIAL_LEN], key_id[64];
  size_t key_id_len = sizeof key_id;
  unsigned int critical = 0;
  unsigned int usage = ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN : 0;

  if (ca)
    issuer_key = key;
  TRY (gnutls_x509_crt_init (&crt), _("cannot create a certificate"));
  TRY (gnutls_x509_crt_set_version (crt, 3), _("cannot set the certificate version"));

  /* 20 random bytes, positive (top bit clear) and of full length (next bit
   * set, so the DER INTEGER keeps all 20 bytes). */
  TRY (gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial), _("cannot make a serial number"));
  serial[0] = (serial[0] & 0x7f) | 0x40;
  TRY (gnutls_x509_crt_set_serial (crt, serial, sizeof serial),
       _("cannot set the serial number"));

  TRY (gnutls_x509_crt_set_activation_time (crt, now - 60), _("cannot set the validity"));
  TRY (gnutls_x509_crt_set_expiration_time (crt, now + (time_t) days * 24 * 3600),
       _("cannot set the validity"));
  TRY (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, req->common_name,
                                      strlen (req->common_name)),
       _("cannot set the common name"));
  TRY (gnutls_x509_crt_set_key (crt, key), _("cannot set the public key"));
  TRY (gnutls_x509_privkey_get_key_id (key, GNUTLS_KEYID_USE_SHA256, key_id, &key_id_len),
       _("cannot compute the key identifier"));
  TRY (gnutls_x509_crt_set_subject_key_id (crt, key_id, KEY_ID_LEN),
       _("cannot set the subject key identifier"));

  /* Authority key id: the issuer's subject key id (ours for a CA), or the
   * id of its key when it has none. */
  key_id_len = sizeof key_id;
  if (ca || gnutls_x509_crt_get_subject_key_id (issuer, key_id, &key_id_len, &critical) < 0)
    {
      key_id_len = sizeof key_id;
      TRY (gnutls_x509_privkey_get_key_id (issuer_key, GNUTLS_KEYID_USE_SHA256,
                                           key_id, &key_id_len),
           _("cannot compute the key identifier"));
      key_id_len = KEY_ID_LEN;
    }
  TRY (gnutls_x509_crt_set_authority_key_id (crt, key_id, key_id_len),
       _("cannot set the authority key identifier"));

  /* basicConstraints is always critical with GnuTLS.  pathLen 0: our CAs
   * sign leaf certificates only. */
  TRY (gnutls_x509_crt_set_basic_constraints (crt, ca, ca ? 0 : -1),
       _("cannot set the basic constraints"));
  usage |= GNUTLS_KEY_DIGITAL_SIGNATURE;
  if (!ca && req->key_type == CZ_KEY_RSA_3072)
    usage |= GNUTLS_KEY_KEY_ENCIPHERMENT;
  TRY (gnutls_x509_crt_set_key_usage (crt, usage), _("cannot set the key usage"));
  if (!ca)
    TRY (gnutls_x509_crt_set_key_purpose_oid (crt, req->client ? GNUTLS_KP_TLS_WWW_CLIENT
                                                               : GNUTLS_KP_TLS_WWW_SERVER, 0),
         _("cannot set the extended key usage"));

  if (!ca && req->crl_url != NULL)
    {
      if (!g_str_has_prefix (req->crl_url, "http://") && !g_str_has_prefix (req->crl_url, "https://"))
        return cz_cert_set_error (error, CZ_ERROR_INVALID,
                                  _("the CRL address “%s” must be an http:// or https:// URL"),
                                  req->crl_url);
      TRY (gnutls_x509_crt_set_crl_dist_points (crt, GNUTLS_SAN_URI, req->crl_url, 0),
           _("cannot set the CRL distribution point"));
    }

  for (gsize i = 0; req->sans != NULL && req->sans[i] != NULL; i++)
    if (!add_san (crt, req->sans[i], error))
      return FALSE;
  /* A server certificate needs a name for clients to check. */
  if (!ca && !req->client && (req->sans == NULL || req->sans[0] == NULL))
    {
      g_autofree char *dns = g_strconcat ("DNS:", req->common_name, NULL);

      if (!add_san (crt, dns, NULL))
        return cz_cert_set_error (error, CZ_ERROR_INVALID,
                                  _("the common name “%s” is not a host name: give the server’s "
                                    "names as subject alternative names"), req->common_name);
    }

  TRY (gnutls_privkey_init (&signer), _("cannot sign the certificate"));
  TRY (gnutls_privkey_import_x509 (signer, issuer_key, 0), _("cannot sign the certificate"));
  TRY (gnutls_x509_crt_privkey_sign (crt, ca ? crt : issuer, signer,
                                     gnutls_x509_privkey_get_pk_algorithm (issuer_key)
                                     == GNUTLS_PK_EDDSA_ED25519 ? GNUTLS_DIG_UNKNOWN
                                                                : GNUTLS_DIG_SHA256, 0),
       _("cannot sign the certificate"));
  *out = g_steal_pointer (&crt);
  return TRUE;
}

/* Writes the key (PKCS #8 PEM, 0600) then the certificate (0644); if the
 * certificate cannot be written the new key is removed again. */
static gboolean
write_pair (gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
            const char *out_cert, const char *out_key, GError **error)
{
  g_auto(gnutls_datum_t) crt_pem = { NULL, 0 };
  gnutls_datum_t key_pem = { NULL, 0 };
  gboolean ok;

  TRY (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &crt_pem),
       _("cannot encode the certificate"));
  TRY (gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                          GNUTLS_PKCS_PLAIN, &key_pem),
       _("cannot encode the private key"));

  ok = cz_write_file_atomic (out_key, key_pem.data, key_pem.size, 0600, error);
  gnutls_memset (key_pem.data, 0, key_pem.size);
  gnutls_free (key_pem.data);

  if (ok && !cz_write_file_atomic (out_cert, crt_pem.data, crt_pem.size, 0644, error))
    {
      g_unlink (out_key);
      ok = FALSE;
    }
  return ok;
}

/* Loads a CA pair and checks that it can sign. */
static gboolean
load_ca (const char *ca_cert, const char *ca_key,
         gnutls_x509_crt_t *crt_out, gnutls_x509_privkey_t *key_out, GError **error)
{
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_auto(gnutls_x509_privkey_t) key = NULL;
  unsigned int critical = 0, usage = 0;
  int ret;

  if (!cz_cert_load_pem (ca_cert, CZ_CERT_FILE_CA_CERT, &crt, NULL, error))
    return FALSE;

  ret = gnutls_x509_crt_get_key_usage (crt, &usage, &critical);
  if (gnutls_x509_crt_get_ca_status (crt, &critical) <= 0 ||
      (ret >= 0 && !(usage & GNUTLS_KEY_KEY_CERT_SIGN)))
    return cz_cert_set_error (error, CZ_ERROR_CERT, _("%s is not a CA certificate"), ca_cert);
  if (gnutls_x509_crt_get_expiration_time (crt) < time (NULL))
    {
      g_autofree char *when = cz_cert_format_time (gnutls_x509_crt_get_expiration_time (crt));
      return cz_cert_set_error (error, CZ_ERROR_CERT, _("the CA certificate %s expired on %s"),
                                ca_cert, when);
    }

  if (!cz_cert_load_pem (ca_key, CZ_CERT_FILE_CA_KEY, NULL, &key, error))
    return FALSE;
  if (!cz_cert_key_matches (crt, key))
    return cz_cert_set_error (error, CZ_ERROR_CERT,
                              _("the key in %s does not belong to the certificate in %s"),
                              ca_key, ca_cert);

  *crt_out = g_steal_pointer (&crt);
  *key_out = g_steal_pointer (&key);
  return TRUE;
}

/* Checks the request, loads the CA (none: self-signed), generates a key,
 * builds the certificate and writes both files. */
static CzCertInfo *
generate (const CzCertRequest *req, const char *ca_cert, const char *ca_key,
          const char *out_cert, const char *out_key, GError **error)
{
  g_auto(gnutls_x509_crt_t) ca = NULL, crt = NULL;
  g_auto(gnutls_x509_privkey_t) ca_priv = NULL, key = NULL;

  g_return_val_if_fail (req != NULL, NULL);

  if (!check_request (req, error) ||
      (ca_cert != NULL && !load_ca (ca_cert, ca_key, &ca, &ca_priv, error)) ||
      !check_outputs (out_cert, out_key, ca_cert, ca_key, error) ||
      !generate_key (req->key_type, &key, error) ||
      !build_crt (req, key, ca, ca_priv, &crt, error) ||
      !write_pair (crt, key, out_cert, out_key, error))
    return NULL;
  return cz_cert_info_new_from_crt (crt);
}

CzCertInfo *
cz_cert_generate_ca (const CzCertRequest *req, const char *out_cert, const char *out_key,
                     GError **error)
{
  return generate (req, NULL, NULL, out_cert, out_key, error);
}

CzCertInfo *
cz_cert_generate_signed (const CzCertRequest *req, const char *ca_cert, const char *ca_key,
                         const char *out_cert, const char *out_key, GError **error)
{
  g_return_val_if_fail (ca_cert != NULL && ca_key != NULL, NULL);
  return generate (req, ca_cert, ca_key, out_cert, out_key, error);
}
