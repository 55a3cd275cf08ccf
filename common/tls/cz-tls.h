/* cz-tls.h: TLS 1.3 with GnuTLS: credentials, sessions, trust, and the
 * facts a window shows about a session (DESIGN §2.1, STYLE "Networking").
 *
 * Sessions follow GnuTLS's own order (doc/examples/ex-client-x509.c):
 * credentials, trust, priorities, server name + verification, handshake
 * timeout.  Every GnuTLS error becomes a GError in cz_tls_set_error(). */
#pragma once

#include <glib-object.h>
#include <gnutls/gnutls.h>
#include "cz-cert.h"

G_BEGIN_DECLS

#define CZ_ALPN "causerie/1"
#define CZ_TLS_DEFAULT_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define CZ_EXPORTER_LABEL "EXPORTER-causerie-v1"

typedef enum {
  CZ_CLIENT_CERT_NONE,      /* do not ask for a client certificate */
  CZ_CLIENT_CERT_REQUEST,   /* ask; verify it against the client CA if sent */
  CZ_CLIENT_CERT_REQUIRE,   /* refuse clients without a valid certificate */
} CzClientCertMode;

#define CZ_TYPE_CLIENT_CERT_MODE (cz_client_cert_mode_get_type ())
GType cz_client_cert_mode_get_type (void);

typedef enum {
  CZ_TRUST_CA,              /* verify against a CA file, with host name / IP check */
  CZ_TRUST_PIN,             /* accept exactly one SubjectPublicKeyInfo SHA-256 */
  CZ_TRUST_TOFU,            /* known-servers file; first use asks, a change blocks */
} CzTrustMode;

#define CZ_TYPE_TRUST_MODE (cz_trust_mode_get_type ())
GType cz_trust_mode_get_type (void);

const char *cz_trust_mode_name (CzTrustMode mode);   /* "ca", "pin", "first-use" */

/* Server side: certificate, key, optional client CA.  Refcounted; shared by
 * every session of a server (read-only after creation). */
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

/* Client side. */
typedef struct _CzTlsClientConfig CzTlsClientConfig;

typedef struct {
  CzTrustMode trust;
  const char *ca_file;          /* CZ_TRUST_CA */
  const char *pin;              /* CZ_TRUST_PIN: SPKI SHA-256 hex */
  const char *known_servers;    /* CZ_TRUST_TOFU: file; NULL = $XDG_DATA_HOME/causerie/known-servers */
  const char *cert_file;        /* optional client certificate */
  const char *key_file;
  const char *priority;         /* NULL = CZ_TLS_DEFAULT_PRIORITY */
} CzTlsClientOptions;

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

typedef struct {
  CzTlsClientConfig *config;
  char *host;
  guint16 port;
  CzVerifyResult result;
  char *fingerprint;        /* SPKI SHA-256 hex of the server's key */
  char *old_fingerprint;    /* TOFU: the stored pin, when it differs */
  GError *error;            /* why verification failed */
} CzTlsVerifyState;

/* A non-blocking client session for @host:@port; @state (owned by the caller,
 * must outlive the session) receives the verification outcome. */
gnutls_session_t cz_tls_client_session_new (CzTlsClientConfig *config, const char *host,
                                            guint16 port, CzTlsVerifyState *state,
                                            GError **error);
void cz_tls_verify_state_clear (CzTlsVerifyState *state);

/* known-servers: one "host:port sha256-hex" line per server. */
char *cz_known_servers_lookup (const char *path, const char *host, guint16 port);
gboolean cz_known_servers_store (const char *path, const char *host, guint16 port,
                                 const char *fingerprint, GError **error);

/* Maps a GnuTLS error code to a GError a person understands, in one place.
 * @session (may be NULL) and @state (may be NULL) refine the message
 * (verification status, received alert, trust details).  Returns FALSE so
 * callers can `return cz_tls_set_error (...)`. */
gboolean cz_tls_set_error (GError **error, int code, gnutls_session_t session,
                           const CzTlsVerifyState *state);

/* TLS exporter (RFC 8446 §7.5), empty context. */
gboolean cz_tls_export (gnutls_session_t session, const char *label,
                        guint8 *out, gsize len, GError **error);
/* tls-exporter channel binding (RFC 9266), 32 bytes. */
GBytes *cz_tls_channel_binding (gnutls_session_t session, GError **error);

G_END_DECLS
