/* cz-tls-server.c: the server's side of TLS: its credentials, and the
 * sessions it accepts, asking for a client certificate when configured
 * (DESIGN §2.1).  The error map and what both roles share are in
 * cz-tls.c. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cz-tls-server.h"
#include "cz-tls-private.h"
#include "cz-error.h"

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
                   cert_file, key_file, cz_tls_error_reason (ret));
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
      if (!cz_tls_load_trust_file (config->creds, client_ca_file, error))
        return NULL;
    }

  if (!cz_tls_set_priority (&config->priority, priority, error))
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

/* CZ_CLIENT_CERT_REQUEST: no certificate is fine, a bad one is not. */
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
  if (!cz_tls_session_common (session, config->priority, config->creds, error))
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

