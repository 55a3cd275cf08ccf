/* cz-tls-client.h: the client's side of TLS: how it trusts the server (a
 * CA with host name check, a pinned key, or known-servers on first use),
 * its own optional certificate, and the outcome of verifying the server
 * (DESIGN §2.1).  Takes and returns gnutls_session_t: for the library and
 * the tests only. */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>
#include "cz-tls.h"
#include "cz-cert.h"

G_BEGIN_DECLS

typedef struct _CzTlsClientConfig CzTlsClientConfig;

CzTlsClientConfig *cz_tls_client_config_new (const CzTlsClientOptions *options, GError **error);
CzTlsClientConfig *cz_tls_client_config_ref (CzTlsClientConfig *config);
void cz_tls_client_config_unref (CzTlsClientConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzTlsClientConfig, cz_tls_client_config_unref)
CzTrustMode cz_tls_client_config_get_trust (CzTlsClientConfig *config);
/* The facts of a certificate this client's sessions see (@own: its own
 * certificate, else the server's), as a new copy.  The last one of each kind
 * is kept, keyed by its exact DER bytes, so reconnecting to the same server
 * does not parse it again.  NULL if @der does not parse. */
CzCertInfo *cz_tls_client_config_cert_info (CzTlsClientConfig *config, const gnutls_datum_t *der,
                                            gboolean own);
const char *cz_tls_client_config_get_known_servers (CzTlsClientConfig *config);

/* How the peer's certificate was judged during the handshake (client). */
typedef enum {
  CZ_VERIFY_PENDING,        /* not yet seen */
  CZ_VERIFY_OK,             /* CA verified, pin matched, or known key */
  CZ_VERIFY_FIRST_USE,      /* TOFU: no pin stored for host:port; ask */
  CZ_VERIFY_FAILED,         /* see the error */
} CzVerifyResult;

struct _CzTlsVerifyState {
  CzTlsClientConfig *config;
  char *host;
  guint16 port;
  CzVerifyResult result;
  char *fingerprint;        /* SPKI SHA-256 hex of the server's key */
  char *old_fingerprint;    /* TOFU: the stored pin, when it differs */
  GError *error;            /* why verification failed */
};

/* A non-blocking client session for @host:@port; @state (owned by the caller,
 * must outlive the session) receives the verification outcome. */
gnutls_session_t cz_tls_client_session_new (CzTlsClientConfig *config, const char *host,
                                            guint16 port, CzTlsVerifyState *state,
                                            GError **error);
void cz_tls_verify_state_clear (CzTlsVerifyState *state);

G_END_DECLS
