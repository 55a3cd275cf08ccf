/* cz-tls-options.h: what a person chooses about TLS, with no GnuTLS in
 * sight: the protocol constants (ALPN, exporter label, default priority),
 * how a server asks for client certificates, how a client trusts a server,
 * and the client's options.  The windows, the engines' public headers and
 * GSettings (through the enum GTypes) see only this. */
#pragma once

#include <glib-object.h>

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

/* How a client verifies the server, and its own certificate if any. */
typedef struct {
  CzTrustMode trust;
  const char *ca_file;          /* CZ_TRUST_CA */
  const char *pin;              /* CZ_TRUST_PIN: SPKI SHA-256 hex */
  const char *known_servers;    /* CZ_TRUST_TOFU: file; NULL = $XDG_DATA_HOME/causerie/known-servers */
  const char *cert_file;        /* optional client certificate */
  const char *key_file;
  const char *priority;         /* NULL = CZ_TLS_DEFAULT_PRIORITY */
} CzTlsClientOptions;

G_END_DECLS
