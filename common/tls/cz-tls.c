/* cz-tls.c: TLS 1.3 sessions, trust and GnuTLS error mapping. */
#include "config.h"

#include <string.h>
#include <errno.h>
#include <glib/gi18n-lib.h>
#include <gnutls/x509.h>

#include "cz-tls.h"
#include "cz-error.h"
#include "cz-util.h"
#include "cz-crypto.h"

static const gnutls_datum_t alpn_protocol = { (unsigned char *) CZ_ALPN, sizeof CZ_ALPN - 1 };

G_DEFINE_ENUM_TYPE (CzClientCertMode, cz_client_cert_mode,
  G_DEFINE_ENUM_VALUE (CZ_CLIENT_CERT_NONE, "none"),
  G_DEFINE_ENUM_VALUE (CZ_CLIENT_CERT_REQUEST, "request"),
  G_DEFINE_ENUM_VALUE (CZ_CLIENT_CERT_REQUIRE, "require"))

G_DEFINE_ENUM_TYPE (CzTrustMode, cz_trust_mode,
  G_DEFINE_ENUM_VALUE (CZ_TRUST_CA, "ca"),
  G_DEFINE_ENUM_VALUE (CZ_TRUST_PIN, "pin"),
  G_DEFINE_ENUM_VALUE (CZ_TRUST_TOFU, "first-use"))

const char *
cz_trust_mode_name (CzTrustMode mode)
{
  switch (mode)
    {
    case CZ_TRUST_CA: return "ca";
    case CZ_TRUST_PIN: return "pin";
    case CZ_TRUST_TOFU: return "first-use";
    default: return "unknown";
    }
}

/* ---- Errors ------------------------------------------------------------ */

/* A sentence for a certificate verification status (GNUTLS_CERT_* bits). */
static char *
describe_status (unsigned int status, const char *whose, const char *ca_file)
{
  g_autofree char *ca_base = ca_file ? g_path_get_basename (ca_file) : NULL;

  if (status == (unsigned int) -1 || status == 0)
    return g_strdup_printf (_("%s certificate could not be verified"), whose);

  if (status & GNUTLS_CERT_EXPIRED)
    return g_strdup_printf (_("%s certificate has expired"), whose);
  if (status & GNUTLS_CERT_NOT_ACTIVATED)
    return g_strdup_printf (_("%s certificate is not valid yet (check the clocks)"), whose);
  if (status & GNUTLS_CERT_REVOKED)
    return g_strdup_printf (_("%s certificate has been revoked"), whose);
  if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
    return g_strdup_printf (_("%s certificate was issued for another name or address"), whose);
  if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
    {
      if (ca_base)
        return g_strdup_printf (_("%s certificate is not signed by the CA in %s"), whose, ca_base);
      return g_strdup_printf (_("%s certificate is not signed by a trusted CA"), whose);
    }
  if (status & GNUTLS_CERT_SIGNER_NOT_CA)
    return g_strdup_printf (_("%s certificate is signed by a certificate that is not a CA"), whose);
  if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
    return g_strdup_printf (_("%s certificate uses an insecure algorithm"), whose);
  if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
    return g_strdup_printf (_("%s certificate is not meant for this use (wrong key purpose)"), whose);
  if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
    return g_strdup_printf (_("%s certificate has a bad signature"), whose);
  return g_strdup_printf (_("%s certificate is not trusted"), whose);
}

gboolean
cz_tls_set_error (GError **error, int code, gnutls_session_t session,
                  const CzTlsVerifyState *state)
{
  if (state && state->error)
    {
      if (error)
        *error = g_error_copy (state->error);
      return FALSE;
    }

  switch (code)
    {
    case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
    case GNUTLS_E_CERTIFICATE_ERROR:
      {
        unsigned int status = session ? gnutls_session_get_verify_cert_status (session) : 0;
        /* Clients verify in verify_server_cb and carry their own error in
         * @state; without one, this is a server judging a client. */
        g_autofree char *text = describe_status (status,
                                                 state ? _("the server's") : _("the client's"),
                                                 NULL);
        g_set_error_literal (error, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED, text);
        return FALSE;
      }
    case GNUTLS_E_CERTIFICATE_REQUIRED:
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                           _("a client certificate is required and none was sent"));
      return FALSE;
    case GNUTLS_E_NO_CERTIFICATE_FOUND:
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                           _("the peer sent no certificate"));
      return FALSE;
    case GNUTLS_E_FATAL_ALERT_RECEIVED:
      {
        gnutls_alert_description_t alert = session ? gnutls_alert_get (session) : 0;
        const char *name = gnutls_alert_get_name (alert);
        switch (alert)
          {
          case GNUTLS_A_CERTIFICATE_REQUIRED:
            g_set_error_literal (error, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                                 _("the server requires a client certificate"));
            break;
          case GNUTLS_A_BAD_CERTIFICATE:
          case GNUTLS_A_UNKNOWN_CA:
          case GNUTLS_A_CERTIFICATE_EXPIRED:
          case GNUTLS_A_CERTIFICATE_UNKNOWN:
          case GNUTLS_A_UNSUPPORTED_CERTIFICATE:
          case GNUTLS_A_CERTIFICATE_REVOKED:
            g_set_error (error, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                         _("the peer refused our certificate (%s)"), name ? name : "?");
            break;
          case GNUTLS_A_NO_APPLICATION_PROTOCOL:
            g_set_error (error, CZ_ERROR, CZ_ERROR_TLS,
                         _("the peer does not speak the %s protocol"), CZ_ALPN);
            break;
          case GNUTLS_A_PROTOCOL_VERSION:
            g_set_error_literal (error, CZ_ERROR, CZ_ERROR_TLS,
                                 _("the peer refused the TLS version (TLS 1.3 is required)"));
            break;
          default:
            g_set_error (error, CZ_ERROR, CZ_ERROR_TLS,
                         _("the peer ended the TLS session: %s"), name ? name : "?");
          }
        return FALSE;
      }
    case GNUTLS_E_NO_APPLICATION_PROTOCOL:
      g_set_error (error, CZ_ERROR, CZ_ERROR_TLS,
                   _("the peer does not speak the %s protocol"), CZ_ALPN);
      return FALSE;
    case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
    case GNUTLS_E_INSUFFICIENT_SECURITY:
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_TLS,
                           _("the peer does not support TLS 1.3"));
      return FALSE;
    case GNUTLS_E_NO_PRIORITIES_WERE_SET:
    case GNUTLS_E_NO_CIPHER_SUITES:
    case GNUTLS_E_NO_COMMON_KEY_SHARE:
    case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_TLS,
                           _("the two sides have no TLS algorithm in common"));
      return FALSE;
    case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
    case GNUTLS_E_UNEXPECTED_PACKET:
    case GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET:
    case GNUTLS_E_RECORD_OVERFLOW:
    case GNUTLS_E_DECRYPTION_FAILED:
      g_set_error (error, CZ_ERROR, CZ_ERROR_TLS,
                   _("the peer sent data that is not valid TLS (%s)"), gnutls_strerror (code));
      return FALSE;
    case GNUTLS_E_PREMATURE_TERMINATION:
    case GNUTLS_E_PUSH_ERROR:
    case GNUTLS_E_PULL_ERROR:
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_CLOSED,
                           _("the connection was closed by the peer"));
      return FALSE;
    case GNUTLS_E_TIMEDOUT:
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_TIMEOUT,
                           _("the TLS handshake timed out"));
      return FALSE;
    case GNUTLS_E_FILE_ERROR:
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_CERT,
                           _("a certificate or key file could not be read"));
      return FALSE;
    case GNUTLS_E_MEMORY_ERROR:
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INTERNAL, _("out of memory"));
      return FALSE;
    default:
      g_set_error (error, CZ_ERROR, CZ_ERROR_TLS, _("TLS error: %s"), gnutls_strerror (code));
      return FALSE;
    }
}

/* ---- Server configuration ------------------------------------------------ */

struct _CzTlsServerConfig {
  gnutls_certificate_credentials_t creds;
  gnutls_priority_t priority;
  CzClientCertMode client_cert_mode;
  CzCertInfo *cert_info;
};

static void
server_config_clear (gpointer data)
{
  CzTlsServerConfig *config = data;

  g_clear_pointer (&config->creds, gnutls_certificate_free_credentials);
  g_clear_pointer (&config->priority, gnutls_priority_deinit);
  g_clear_pointer (&config->cert_info, cz_cert_info_free);
}

/* Trusts the CA certificates in @file; errors name the file. */
static gboolean
load_trust_file (gnutls_certificate_credentials_t creds, const char *file, GError **error)
{
  int ret;

  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_CERT, _("cannot read the CA file %s: %s"),
                   file, g_strerror (ENOENT));
      return FALSE;
    }
  ret = gnutls_certificate_set_x509_trust_file (creds, file, GNUTLS_X509_FMT_PEM);
  if (ret <= 0)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_CERT, _("cannot read the CA file %s: %s"), file,
                   ret < 0 ? gnutls_strerror (ret) : _("it holds no certificate"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_priority (gnutls_priority_t *priority, const char *string, GError **error)
{
  const char *err_pos = NULL;
  int ret = gnutls_priority_init2 (priority, string ? string : CZ_TLS_DEFAULT_PRIORITY,
                                   &err_pos, 0);

  if (ret < 0)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
                   _("invalid TLS priority string near “%s”"), err_pos ? err_pos : "");
      return FALSE;
    }
  return TRUE;
}

CzTlsServerConfig *
cz_tls_server_config_new (const char *cert_file, const char *key_file,
                          const char *client_ca_file, CzClientCertMode client_cert_mode,
                          const char *priority, GError **error)
{
  g_autoptr(CzTlsServerConfig) config = g_atomic_rc_box_new0 (CzTlsServerConfig);
  int ret;

  if (!cz_cert_check_pair (cert_file, key_file, error))
    return NULL;

  config->client_cert_mode = client_cert_mode;
  ret = gnutls_certificate_allocate_credentials (&config->creds);
  if (ret < 0)
    {
      cz_tls_set_error (error, ret, NULL, NULL);
      return NULL;
    }
  ret = gnutls_certificate_set_x509_key_file2 (config->creds, cert_file, key_file,
                                               GNUTLS_X509_FMT_PEM, NULL, 0);
  if (ret < 0)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_CERT,
                   _("cannot use %s and %s as the server's certificate and key: %s"),
                   cert_file, key_file, gnutls_strerror (ret));
      return NULL;
    }

  config->cert_info = cz_cert_info_new_from_file (cert_file, error);
  if (config->cert_info == NULL)
    return NULL;

  if (client_cert_mode != CZ_CLIENT_CERT_NONE)
    {
      if (client_ca_file == NULL)
        {
          g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                               _("asking for client certificates needs a client CA file"));
          return NULL;
        }
      if (!load_trust_file (config->creds, client_ca_file, error))
        return NULL;
    }

  if (!set_priority (&config->priority, priority, error))
    return NULL;

  return g_steal_pointer (&config);
}

CzTlsServerConfig *
cz_tls_server_config_ref (CzTlsServerConfig *config)
{
  return g_atomic_rc_box_acquire (config);
}

void
cz_tls_server_config_unref (CzTlsServerConfig *config)
{
  g_atomic_rc_box_release_full (config, server_config_clear);
}

const CzCertInfo *
cz_tls_server_config_get_cert_info (CzTlsServerConfig *config)
{
  return config->cert_info;
}

static gboolean
session_common (gnutls_session_t session, gnutls_priority_t priority,
                gnutls_certificate_credentials_t creds, GError **error)
{
  int ret;

  if ((ret = gnutls_priority_set (session, priority)) < 0
      || (ret = gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, creds)) < 0
      || (ret = gnutls_alpn_set_protocols (session, &alpn_protocol, 1,
                                           GNUTLS_ALPN_MANDATORY)) < 0)
    return cz_tls_set_error (error, ret, NULL, NULL);
  return TRUE;
}

static int
verify_client_if_sent_cb (gnutls_session_t session)
{
  gnutls_typed_vdata_st purpose = {
    GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *) GNUTLS_KP_TLS_WWW_CLIENT, 0
  };
  unsigned int n = 0;
  unsigned int status = 0;

  if (gnutls_certificate_get_peers (session, &n) == NULL || n == 0)
    return 0;
  if (gnutls_certificate_verify_peers (session, &purpose, 1, &status) < 0 || status != 0)
    return -1;
  return 0;
}

gnutls_session_t
cz_tls_server_session_new (CzTlsServerConfig *config, GError **error)
{
  return cz_tls_server_session_new_full (config, FALSE, error);
}

gnutls_session_t
cz_tls_server_session_new_full (CzTlsServerConfig *config, gboolean early_start, GError **error)
{
  gnutls_session_t session = NULL;
  unsigned int flags = GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL;
  int ret;

  if (early_start)
    flags |= GNUTLS_ENABLE_EARLY_START;
  ret = gnutls_init (&session, flags);
  if (ret < 0)
    {
      cz_tls_set_error (error, ret, NULL, NULL);
      return NULL;
    }
  if (!session_common (session, config->priority, config->creds, error))
    {
      gnutls_deinit (session);
      return NULL;
    }
  if (config->client_cert_mode != CZ_CLIENT_CERT_NONE)
    {
      /* GnuTLS keeps the pointer, not a copy: static storage. */
      static gnutls_typed_vdata_st purpose = {
        GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *) GNUTLS_KP_TLS_WWW_CLIENT, 0
      };
      if (config->client_cert_mode == CZ_CLIENT_CERT_REQUIRE)
        {
          gnutls_certificate_server_set_request (session, GNUTLS_CERT_REQUIRE);
          gnutls_session_set_verify_cert2 (session, &purpose, 1, 0);
        }
      else
        {
          /* GnuTLS's own check fails when no certificate comes: verify
           * only what is sent. */
          gnutls_certificate_server_set_request (session, GNUTLS_CERT_REQUEST);
          gnutls_session_set_verify_function (session, verify_client_if_sent_cb);
        }
    }
  return session;
}

/* ---- Client configuration ------------------------------------------------ */

/* The last certificate of one kind a client saw, and its facts. */
typedef struct {
  GBytes *der;
  CzCertInfo *info;
} CertCache;

struct _CzTlsClientConfig {
  gnutls_certificate_credentials_t creds;
  gnutls_priority_t priority;
  CzTrustMode trust;
  char *ca_file;
  char *pin;
  char *known_servers;
  GMutex cache_lock;                /* sessions may live on several threads */
  CertCache peer_cert;
  CertCache own_cert;
};

static void
cert_cache_clear (CertCache *cache)
{
  g_clear_pointer (&cache->der, g_bytes_unref);
  g_clear_pointer (&cache->info, cz_cert_info_free);
}

static void
client_config_clear (gpointer data)
{
  CzTlsClientConfig *config = data;

  cert_cache_clear (&config->peer_cert);
  cert_cache_clear (&config->own_cert);
  g_mutex_clear (&config->cache_lock);
  g_clear_pointer (&config->creds, gnutls_certificate_free_credentials);
  g_clear_pointer (&config->priority, gnutls_priority_deinit);
  g_clear_pointer (&config->ca_file, g_free);
  g_clear_pointer (&config->pin, g_free);
  g_clear_pointer (&config->known_servers, g_free);
}

static char *
normalize_pin (const char *pin, GError **error)
{
  g_autoptr(GBytes) bytes = cz_hex_decode (pin, NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) != CZ_SHA256_SIZE)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
                   _("the pin must be a SHA-256 fingerprint: 64 hexadecimal digits"));
      return NULL;
    }
  return cz_hex_encode (g_bytes_get_data (bytes, NULL), CZ_SHA256_SIZE);
}

CzTlsClientConfig *
cz_tls_client_config_new (const CzTlsClientOptions *options, GError **error)
{
  g_autoptr(CzTlsClientConfig) config = g_atomic_rc_box_new0 (CzTlsClientConfig);
  int ret;

  g_mutex_init (&config->cache_lock);
  config->trust = options->trust;
  ret = gnutls_certificate_allocate_credentials (&config->creds);
  if (ret < 0)
    {
      cz_tls_set_error (error, ret, NULL, NULL);
      return NULL;
    }

  switch (options->trust)
    {
    case CZ_TRUST_CA:
      if (options->ca_file == NULL)
        {
          g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                               _("no CA file given to verify the server"));
          return NULL;
        }
      if (!load_trust_file (config->creds, options->ca_file, error))
        return NULL;
      config->ca_file = g_strdup (options->ca_file);
      break;
    case CZ_TRUST_PIN:
      config->pin = normalize_pin (options->pin ? options->pin : "", error);
      if (config->pin == NULL)
        return NULL;
      break;
    case CZ_TRUST_TOFU:
      if (options->known_servers)
        config->known_servers = g_strdup (options->known_servers);
      else
        {
          g_autofree char *dir = cz_data_dir ();
          config->known_servers = g_build_filename (dir, "known-servers", NULL);
        }
      break;
    }

  if (options->cert_file || options->key_file)
    {
      if (!options->cert_file || !options->key_file)
        {
          g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                               _("a client certificate needs both --cert and --key"));
          return NULL;
        }
      if (!cz_cert_check_pair (options->cert_file, options->key_file, error))
        return NULL;
      ret = gnutls_certificate_set_x509_key_file2 (config->creds, options->cert_file,
                                                   options->key_file, GNUTLS_X509_FMT_PEM,
                                                   NULL, 0);
      if (ret < 0)
        {
          g_set_error (error, CZ_ERROR, CZ_ERROR_CERT,
                       _("cannot use %s and %s as the client certificate and key: %s"),
                       options->cert_file, options->key_file, gnutls_strerror (ret));
          return NULL;
        }
    }

  if (!set_priority (&config->priority, options->priority, error))
    return NULL;

  return g_steal_pointer (&config);
}

CzTlsClientConfig *
cz_tls_client_config_ref (CzTlsClientConfig *config)
{
  return g_atomic_rc_box_acquire (config);
}

void
cz_tls_client_config_unref (CzTlsClientConfig *config)
{
  g_atomic_rc_box_release_full (config, client_config_clear);
}

CzTrustMode
cz_tls_client_config_get_trust (CzTlsClientConfig *config)
{
  return config->trust;
}

const char *
cz_tls_client_config_get_known_servers (CzTlsClientConfig *config)
{
  return config->known_servers;
}

CzCertInfo *
cz_tls_client_config_cert_info (CzTlsClientConfig *config, const gnutls_datum_t *der,
                                gboolean own)
{
  CertCache *cache = own ? &config->own_cert : &config->peer_cert;
  CzCertInfo *info = NULL;

  g_mutex_lock (&config->cache_lock);
  if (cache->der && g_bytes_get_size (cache->der) == der->size
      && memcmp (g_bytes_get_data (cache->der, NULL), der->data, der->size) == 0)
    info = cz_cert_info_copy (cache->info);
  g_mutex_unlock (&config->cache_lock);
  if (info)
    return info;

  info = cz_cert_info_new_from_datum (der);
  if (info == NULL)
    return NULL;
  g_mutex_lock (&config->cache_lock);
  cert_cache_clear (cache);
  cache->der = g_bytes_new (der->data, der->size);
  cache->info = cz_cert_info_copy (info);
  g_mutex_unlock (&config->cache_lock);
  return info;
}

void
cz_tls_verify_state_clear (CzTlsVerifyState *state)
{
  g_clear_pointer (&state->config, cz_tls_client_config_unref);
  g_clear_pointer (&state->host, g_free);
  g_clear_pointer (&state->fingerprint, g_free);
  g_clear_pointer (&state->old_fingerprint, g_free);
  g_clear_error (&state->error);
}

static char *
spki_fingerprint (const gnutls_datum_t *der)
{
  gnutls_x509_crt_t crt = NULL;
  guint8 id[64];
  size_t id_len = sizeof id;
  char *hex = NULL;

  if (gnutls_x509_crt_init (&crt) < 0)
    return NULL;
  if (gnutls_x509_crt_import (crt, der, GNUTLS_X509_FMT_DER) >= 0
      && gnutls_x509_crt_get_key_id (crt, GNUTLS_KEYID_USE_SHA256, id, &id_len) >= 0)
    hex = cz_hex_encode (id, id_len);
  gnutls_x509_crt_deinit (crt);
  return hex;
}

static int
verify_server_cb (gnutls_session_t session)
{
  CzTlsVerifyState *state = gnutls_session_get_ptr (session);
  CzTlsClientConfig *config = state->config;
  const gnutls_datum_t *peers;
  unsigned int n_peers = 0;

  state->result = CZ_VERIFY_FAILED;
  peers = gnutls_certificate_get_peers (session, &n_peers);
  if (peers == NULL || n_peers == 0)
    {
      g_set_error_literal (&state->error, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                           _("the server sent no certificate"));
      return -1;
    }
  g_free (state->fingerprint);
  state->fingerprint = spki_fingerprint (&peers[0]);
  if (state->fingerprint == NULL)
    {
      g_set_error_literal (&state->error, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                           _("the server's certificate cannot be parsed"));
      return -1;
    }

  switch (config->trust)
    {
    case CZ_TRUST_CA:
      {
        gnutls_typed_vdata_st data[2] = {
          { GNUTLS_DT_DNS_HOSTNAME, (unsigned char *) state->host, 0 },
          { GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *) GNUTLS_KP_TLS_WWW_SERVER, 0 },
        };
        unsigned int status = 0;
        int ret = gnutls_certificate_verify_peers (session, data, 2, &status);

        if (ret < 0)
          {
            cz_tls_set_error (&state->error, ret, NULL, NULL);
            return -1;
          }
        if (status != 0)
          {
            g_autofree char *text = describe_status (status, _("the server's"), config->ca_file);
            if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
              {
                g_free (text);
                text = g_strdup_printf (_("the server's certificate is not valid for “%s”"),
                                        state->host);
              }
            g_set_error_literal (&state->error, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED, text);
            return -1;
          }
        state->result = CZ_VERIFY_OK;
        return 0;
      }
    case CZ_TRUST_PIN:
      if (g_strcmp0 (state->fingerprint, config->pin) != 0)
        {
          g_set_error (&state->error, CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                       _("the server's key %s does not match the pinned key %s"),
                       state->fingerprint, config->pin);
          return -1;
        }
      state->result = CZ_VERIFY_OK;
      return 0;
    case CZ_TRUST_TOFU:
      {
        g_autofree char *known = cz_known_servers_lookup (config->known_servers,
                                                          state->host, state->port);
        if (known == NULL)
          {
            state->result = CZ_VERIFY_FIRST_USE;
            return 0;
          }
        if (g_strcmp0 (known, state->fingerprint) != 0)
          {
            state->old_fingerprint = g_steal_pointer (&known);
            g_set_error (&state->error, CZ_ERROR, CZ_ERROR_KEY_CHANGED,
                         _("the key of %s:%u has CHANGED: it was %s and is now %s. "
                           "This may be an attack. Nothing was sent. If the server's "
                           "key really changed, remove its line from %s."),
                         state->host, state->port, state->old_fingerprint,
                         state->fingerprint, config->known_servers);
            return -1;
          }
        state->result = CZ_VERIFY_OK;
        return 0;
      }
    }
  return -1;
}

gnutls_session_t
cz_tls_client_session_new (CzTlsClientConfig *config, const char *host, guint16 port,
                           CzTlsVerifyState *state, GError **error)
{
  gnutls_session_t session = NULL;
  int ret;

  ret = gnutls_init (&session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
  if (ret < 0)
    {
      cz_tls_set_error (error, ret, NULL, NULL);
      return NULL;
    }
  if (!session_common (session, config->priority, config->creds, error))
    {
      gnutls_deinit (session);
      return NULL;
    }
  /* SNI carries host names only (RFC 6066 §3), never literal addresses. */
  if (!g_hostname_is_ip_address (host))
    gnutls_server_name_set (session, GNUTLS_NAME_DNS, host, strlen (host));

  memset (state, 0, sizeof *state);
  state->config = cz_tls_client_config_ref (config);
  state->host = g_strdup (host);
  state->port = port;
  state->result = CZ_VERIFY_PENDING;
  gnutls_session_set_ptr (session, state);
  gnutls_session_set_verify_function (session, verify_server_cb);
  return session;
}

/* ---- known-servers --------------------------------------------------------- */

static char *
server_key (const char *host, guint16 port)
{
  if (strchr (host, ':'))
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

char *
cz_known_servers_lookup (const char *path, const char *host, guint16 port)
{
  g_autofree char *contents = NULL;
  g_autofree char *key = server_key (host, port);
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " \t", 2);
      if (fields[0] && fields[0][0] != '#' && fields[1] && g_str_equal (fields[0], key))
        return g_strdup (g_strstrip (fields[1]));
    }
  return NULL;
}

gboolean
cz_known_servers_store (const char *path, const char *host, guint16 port,
                        const char *fingerprint, GError **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *key = server_key (host, port);
  g_autofree char *dir = g_path_get_dirname (path);
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO, _("cannot create %s: %s"), dir,
                   g_strerror (saved));
      return FALSE;
    }
  if (g_file_get_contents (path, &contents, NULL, NULL))
    lines = g_strsplit (contents, "\n", -1);
  else
    g_string_append (out, "# Causerie known servers: host:port SHA-256 of the server's key\n");
  for (guint i = 0; lines && lines[i]; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (lines[i], " \t", 2);
      if (lines[i][0] == '\0' || (fields[0] && g_str_equal (fields[0], key)))
        continue;
      g_string_append_printf (out, "%s\n", lines[i]);
    }
  g_string_append_printf (out, "%s %s\n", key, fingerprint);
  return cz_write_file_atomic (path, out->str, out->len, 0644, error);
}

/* ---- Exporters -------------------------------------------------------------- */

gboolean
cz_tls_export (gnutls_session_t session, const char *label, guint8 *out, gsize len,
               GError **error)
{
  int ret = gnutls_prf_rfc5705 (session, strlen (label), label, 0, NULL, len, (char *) out);

  if (ret < 0)
    return cz_tls_set_error (error, ret, session, NULL);
  return TRUE;
}

GBytes *
cz_tls_channel_binding (gnutls_session_t session, GError **error)
{
  gnutls_datum_t cb = { NULL, 0 };
  GBytes *bytes;
  int ret = gnutls_session_channel_binding (session, GNUTLS_CB_TLS_EXPORTER, &cb);

  if (ret < 0)
    {
      cz_tls_set_error (error, ret, session, NULL);
      return NULL;
    }
  bytes = g_bytes_new (cb.data, cb.size);
  gnutls_free (cb.data);
  return bytes;
}
