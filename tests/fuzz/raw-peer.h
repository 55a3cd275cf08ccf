/* raw-peer.h: a Causerie client driven by hand, for the hostile-input
 * tests and the channel fuzzer.
 *
 * It does what CzChannel's client side does after the TLS handshake — read
 * the server's hello, answer with its own, derive the same keys (DESIGN
 * §2.1 "Keys") — but step by step and on any GnuTLS session, so that a test
 * can then send what a real peer never would: sealed frames with arbitrary
 * plaintext, replayed or forged frames, raw lengths. */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>

#include "cz-dh.h"
#include "cz-frame.h"

G_BEGIN_DECLS

typedef struct {
  CzDhGroup group;
  GBytes *server_public;
  GBytes *client_public;
  CzAead tx;                 /* client → server */
  CzAead rx;                 /* server → client */
  CzFrameReader reader;      /* bytes received and not yet taken as frames */
  gboolean open;             /* keys derived */
} CzRawPeer;

void cz_raw_peer_init (CzRawPeer *peer);
void cz_raw_peer_clear (CzRawPeer *peer);

/* Answers the server's hello: checks it, makes a fresh DH key in the
 * server's group, appends our hello frame to @out and derives both
 * direction keys from @session's exporter. */
gboolean cz_raw_peer_answer_hello (CzRawPeer *peer, gnutls_session_t session, GVariant *hello,
                                   GByteArray *out, GError **error);

/* Seals @len bytes of plaintext (any bytes: no encoding) as the next c2s
 * frame, appended to @out. */
gboolean cz_raw_peer_seal (CzRawPeer *peer, const void *plain, gsize len, GByteArray *out,
                           GError **error);
/* The same for a message. */
gboolean cz_raw_peer_seal_message (CzRawPeer *peer, GVariant *message, GByteArray *out,
                                   GError **error);

/* Feeds bytes read from the server; then cz_raw_peer_next() returns the
 * next message (opened when keys exist, plain before), NULL with no error
 * when more bytes are needed, or NULL with @error. */
void cz_raw_peer_push (CzRawPeer *peer, const guint8 *data, gsize len);
GVariant *cz_raw_peer_next (CzRawPeer *peer, GError **error);

/* A blocking, TLS 1.3 + ALPN causerie/1 GnuTLS client session on @fd that
 * trusts @ca_file; NULL with @error if the handshake fails. */
gnutls_session_t cz_raw_tls_connect (int fd, const char *ca_file, GError **error);

/* Blocking helpers on such a session.  cz_raw_read_message waits at most
 * @timeout_ms (the socket gets SO_RCVTIMEO) and returns NULL with @error on
 * timeout, close or a bad frame. */
gboolean cz_raw_write_all (gnutls_session_t session, const guint8 *data, gsize len,
                           GError **error);
GVariant *cz_raw_read_message (CzRawPeer *peer, gnutls_session_t session, int fd,
                               guint timeout_ms, GError **error);
/* TLS + hello on a connected blocking socket: a peer whose channel is open. */
gnutls_session_t cz_raw_connect_open (int fd, const char *ca_file, CzRawPeer *peer,
                                      GError **error);

G_END_DECLS
