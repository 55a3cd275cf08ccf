/* raw-client.h: a hand-driven Causerie client over a real socket (the
 * hostile-input and fault tests).  On top of raw-peer.h: blocking sockets
 * with bounded waits, and the account steps (register, SCRAM login) done
 * by hand, so a test can interleave whatever it wants.  The helpers assert
 * (g_assert_*) on what must not fail. */
#pragma once

#include <glib.h>
#include "raw-peer.h"

G_BEGIN_DECLS

typedef struct {
  int fd;
  gnutls_session_t session;
  CzRawPeer peer;
  guint32 ref;               /* last request number used */
} CzRawClient;

/* A blocking TCP connection to 127.0.0.1:@port from @source (NULL: any
 * local address), with 10 s send/receive timeouts. */
int cz_raw_tcp_connect (guint16 port, const char *source);
/* TRUE when the peer closes @fd (EOF or reset) within @timeout_ms; what it
 * sends before is read and dropped. */
gboolean cz_raw_wait_closed (int fd, guint timeout_ms);

/* TLS (trusting @ca) and, if @open, both hellos; asserts they succeed. */
CzRawClient *cz_raw_client_new (guint16 port, const char *ca, const char *source,
                                gboolean open);
void cz_raw_client_free (CzRawClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzRawClient, cz_raw_client_free)

/* TLS plaintext as it is (no framing). */
void cz_raw_send_bytes (CzRawClient *client, const void *data, gsize len);
/* Seals and sends @message (a new reference, consumed). */
void cz_raw_send (CzRawClient *client, GVariant *message);
/* The next answer: a message that is not a push (presence, message,
 * receipt), or NULL when the connection closes or nothing comes in time. */
GVariant *cz_raw_reply (CzRawClient *client, guint timeout_ms);
/* Asserts that the next answer is `error` @code, with @ref unless it is
 * G_MAXUINT32. */
void cz_raw_expect_error (CzRawClient *client, const char *code, guint32 ref);
/* Asserts that the server closes the connection within @timeout_ms. */
void cz_raw_expect_closed (CzRawClient *client, guint timeout_ms);

/* register → register-params → register-keys → registered (asserted). */
void cz_raw_register (CzRawClient *client, const char *user, const char *password);
/* SCRAM-SHA-256-PLUS with tls-exporter.  Returns the last answer:
 * `auth-ok`, or the `error` (after auth-start or auth-finish). */
GVariant *cz_raw_login (CzRawClient *client, const char *user, const char *password);

G_END_DECLS
