/* cz-tls-server.h: the server's side of TLS: its certificate and key, how
 * it asks for and verifies client certificates, and the sessions it
 * accepts (DESIGN §2.1).  Takes and returns gnutls_session_t: for the
 * library and the tests only. */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>
#include "cz-tls.h"
#include "cz-cert.h"

G_BEGIN_DECLS

/* Certificate, key, optional client CA.  Refcounted; shared by every
 * session of a server (read-only after creation). */
typedef struct _CzTlsServerConfig CzTlsServerConfig;

CzTlsServerConfig *cz_tls_server_config_new (const char *cert_file, const char *key_file,
                                             const char *client_ca_file,
                                             CzClientCertMode client_cert_mode,
                                             const char *priority, GError **error);
CzTlsServerConfig *cz_tls_server_config_ref (CzTlsServerConfig *config);
void cz_tls_server_config_unref (CzTlsServerConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzTlsServerConfig, cz_tls_server_config_unref)
const CzCertInfo *cz_tls_server_config_get_cert_info (CzTlsServerConfig *config);

/* A non-blocking server session (transport set by the caller). */
gnutls_session_t cz_tls_server_session_new (CzTlsServerConfig *config, GError **error);
/* The same; with @early_start the handshake returns right after the server's
 * Finished (TLS 1.3 "0.5-RTT", GnuTLS early start), so the server can send
 * its first application record with its flight; the first record read then
 * completes the handshake (the client's Finished is checked before any of
 * its data is returned).  GnuTLS never does this when it asked for a client
 * certificate. */
gnutls_session_t cz_tls_server_session_new_full (CzTlsServerConfig *config,
                                                 gboolean early_start, GError **error);

G_END_DECLS
