/* cz-tls.c: what every Causerie TLS session shares: the GnuTLS error map
 * (the one place a GnuTLS code becomes text), the settings both roles give
 * a session, and the exporters.  The server's configuration is in
 * cz-tls-server.c, the client's and its verification of the server in
 * cz-tls-client.c, the pin file in cz-known-servers.c. */
#include "config.h"

#include <string.h>
#include <errno.h>
#include <glib/gi18n-lib.h>

#include "cz-tls-private.h"
#include "cz-tls-client.h"
#include "cz-error.h"

static const gnutls_datum_t alpn_protocol = { (unsigned char *) CZ_ALPN, sizeof CZ_ALPN - 1 };

/* ---- Errors ------------------------------------------------------------ */

char *
cz_tls_describe_status (unsigned int status, const char *whose, const char *ca_file)
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

/* The only call of gnutls_strerror (): every message that carries GnuTLS's
 * reason gets it here. */
const char *
cz_tls_error_reason (int code)
{
  return gnutls_strerror (code);
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
        g_autofree char *text = cz_tls_describe_status (status,
                                                        state ? _("the server's")
                                                              : _("the client's"),
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
                   _("the peer sent data that is not valid TLS (%s)"), cz_tls_error_reason (code));
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
      g_set_error (error, CZ_ERROR, CZ_ERROR_TLS, _("TLS error: %s"), cz_tls_error_reason (code));
      return FALSE;
    }
}

/* ---- What both roles share ------------------------------------------------ */

gboolean
cz_tls_load_trust_file (gnutls_certificate_credentials_t creds, const char *file, GError **error)
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
                   ret < 0 ? cz_tls_error_reason (ret) : _("it holds no certificate"));
      return FALSE;
    }
  return TRUE;
}

gboolean
cz_tls_set_priority (gnutls_priority_t *priority, const char *string, GError **error)
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

gboolean
cz_tls_session_common (gnutls_session_t session, gnutls_priority_t priority,
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
