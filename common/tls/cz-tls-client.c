/* cz-tls-client.c: the client's side of TLS: its trust settings and
 * optional certificate, the sessions it opens (SNI, ALPN), and the
 * verification of the server during the handshake against a CA, a pin or
 * the known-servers file (DESIGN §2.1).  The error map and what both roles
 * share are in cz-tls.c. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gnutls/x509.h>

#include "cz-tls-client.h"
#include "cz-tls-private.h"
#include "cz-known-servers.h"
#include "cz-error.h"
#include "cz-util.h"
#include "cz-crypto.h"

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
      if (!cz_tls_load_trust_file (config->creds, options->ca_file, error))
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
                       options->cert_file, options->key_file, cz_tls_error_reason (ret));
          return NULL;
        }
    }

  if (!cz_tls_set_priority (&config->priority, options->priority, error))
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
            g_autofree char *text = cz_tls_describe_status (status, _("the server's"),
                                                                config->ca_file);
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
  if (!cz_tls_session_common (session, config->priority, config->creds, error))
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

