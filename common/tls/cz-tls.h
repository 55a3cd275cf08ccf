/* cz-tls.h: what every Causerie TLS session shares, whichever side it is
 * on: the one map from GnuTLS error codes to GErrors a person understands
 * (STYLE "Networking": one function, translated messages), and the TLS
 * exporter the key schedule and SCRAM's channel binding read (DESIGN §2.1).
 *
 * It takes gnutls_session_t: for the library and the tests only.  The
 * windows see cz-tls-options.h; the two roles are cz-tls-server.h and
 * cz-tls-client.h, the pin file cz-known-servers.h. */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>
#include "cz-tls-options.h"

G_BEGIN_DECLS

/* A client's verification outcome (cz-tls-client.h). */
typedef struct _CzTlsVerifyState CzTlsVerifyState;

/* Maps a GnuTLS error code to a GError a person understands, in one place.
 * @session (may be NULL) and @state (may be NULL) refine the message
 * (verification status, received alert, trust details).  Returns FALSE so
 * callers can `return cz_tls_set_error (...)`. */
gboolean cz_tls_set_error (GError **error, int code, gnutls_session_t session,
                           const CzTlsVerifyState *state);
/* GnuTLS's own reason for @code, for messages that say what failed first
 * ("cannot read the CA file x.pem: <reason>").  Static; never NULL. */
const char *cz_tls_error_reason (int code);

/* TLS exporter (RFC 8446 §7.5), empty context. */
gboolean cz_tls_export (gnutls_session_t session, const char *label,
                        guint8 *out, gsize len, GError **error);
/* tls-exporter channel binding (RFC 9266), 32 bytes. */
GBytes *cz_tls_channel_binding (gnutls_session_t session, GError **error);

G_END_DECLS
