/* cz-channel.h: one Causerie connection, either side: TLS 1.3 handshake,
 * the two hellos with the application Diffie-Hellman, the key schedule and
 * sealed frames (DESIGN §2.1–§2.4).
 *
 * A channel is a state machine over a non-blocking GnuTLS session.  Its
 * owner (the server's epoll loop, the client's GLib source) calls
 * cz_channel_io() whenever the socket is ready and asks cz_channel_wants_write()
 * what to wait for next; the channel reports through a small callback table.
 * Readiness must be level-triggered: one pass may leave bytes in the socket
 * (after a short read it does not ask again).  It never blocks and is used
 * from one thread. */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>
#include "cz-tls-server.h"
#include "cz-tls-client.h"
#include "cz-session-info.h"
#include "cz-dh.h"
#include "cz-frame.h"

G_BEGIN_DECLS

typedef enum {
  CZ_CHANNEL_HANDSHAKE,      /* TLS handshake in progress */
  CZ_CHANNEL_TRUST,          /* client: waiting for cz_channel_trust_decided() */
  CZ_CHANNEL_HELLO,          /* waiting for the peer's hello */
  CZ_CHANNEL_OPEN,           /* keys established, frames sealed */
  CZ_CHANNEL_CLOSING,        /* flushing the last frames, then bye */
  CZ_CHANNEL_CLOSED,
} CzChannelState;

typedef struct _CzChannel CzChannel;

typedef struct {
  /* Client only: the TLS handshake finished but TOFU has no pin for this
   * server.  The channel waits (sends nothing) until the owner calls
   * cz_channel_trust_decided().  May be NULL: then first use is refused. */
  void (*trust_prompt) (CzChannel *channel, const char *fingerprint, gpointer user_data);
  /* Keys established; cz_channel_get_info() is available. */
  void (*ready) (CzChannel *channel, gpointer user_data);
  /* A sealed, decoded, validated message arrived. */
  void (*message) (CzChannel *channel, GVariant *message, gpointer user_data);
  /* The channel is closed: @error is NULL for a clean close (bye or EOF
   * after bye).  The owner then frees the channel.  Called once. */
  void (*closed) (CzChannel *channel, const GError *error, gpointer user_data);
} CzChannelCallbacks;

typedef struct {
  CzDhGroup dh_group;        /* server: the group offered */
  const char *name;          /* free text sent in the hello ("server"/"client") */
} CzChannelOptions;

/* Server side of an accepted, non-blocking socket.  @fd stays owned by the
 * caller (the channel never closes it). */
CzChannel *cz_channel_new_server (CzTlsServerConfig *config, int fd,
                                  const CzChannelOptions *options,
                                  const CzChannelCallbacks *callbacks, gpointer user_data,
                                  GError **error);
/* Client side of a connected, non-blocking socket to @host:@port. */
CzChannel *cz_channel_new_client (CzTlsClientConfig *config, int fd,
                                  const char *host, guint16 port,
                                  const CzChannelOptions *options,
                                  const CzChannelCallbacks *callbacks, gpointer user_data,
                                  GError **error);
/* Replaces the socket transport with GnuTLS push/pull functions (tests
 * without sockets).  Call right after creation.  The channel's own
 * read-ahead and write batching stay in front of them; a @push that
 * returns -1 with errno EAGAIN is tried again at the next flush. */
void cz_channel_set_transport (CzChannel *channel, gnutls_push_func push,
                               gnutls_pull_func pull, gpointer transport_ptr);
void cz_channel_free (CzChannel *channel);

/* Runs the state machine: reads what is available, handles frames, writes
 * what is pending.  Callbacks may fire (including closed). Returns the
 * state afterwards. */
CzChannelState cz_channel_io (CzChannel *channel);
/* Starts (client) the handshake; same as cz_channel_io. */
CzChannelState cz_channel_start (CzChannel *channel);
/* TRUE when GnuTLS holds decrypted input not yet read: the socket will not
 * signal it, so the owner must call cz_channel_io() again soon. */
gboolean cz_channel_has_buffered_input (CzChannel *channel);
/* TRUE when the owner should wait for the socket to be writable. */
gboolean cz_channel_wants_write (CzChannel *channel);
CzChannelState cz_channel_get_state (CzChannel *channel);

/* Queues a message (sealed frame); written at the next cz_channel_flush()
 * or cz_channel_io().  FALSE (and nothing queued) if the channel is not
 * open or the message is too large. */
gboolean cz_channel_send (CzChannel *channel, GVariant *message, GError **error);
/* Writes pending output now (returns FALSE if the channel failed and is closed). */
gboolean cz_channel_flush (CzChannel *channel);
/* Bytes queued but not yet accepted by the socket. */
gsize cz_channel_pending_output (CzChannel *channel);
/* Back-pressure: while paused (OPEN only), the channel reads nothing and
 * handles no further frame, even one already received (it may be called
 * from the message callback).  Output goes on.  After unpausing, call
 * cz_channel_io() again: frames may be waiting. */
void cz_channel_pause_input (CzChannel *channel, gboolean paused);

/* Sends `error {ref, code, message}` (sealed if keys exist, else unsealed),
 * then `bye`, and closes.  @error may be NULL for a plain `bye {reason}`. */
void cz_channel_close (CzChannel *channel, guint32 ref, const GError *error, const char *reason);
/* Closes at once without sending (peer vanished, shutdown). */
void cz_channel_abort (CzChannel *channel, const GError *error);

/* Client: the answer to trust_prompt. */
void cz_channel_trust_decided (CzChannel *channel, gboolean accept);

CzSessionInfo *cz_channel_get_info (CzChannel *channel);   /* NULL before ready */
gnutls_session_t cz_channel_get_session (CzChannel *channel);
const CzTlsVerifyState *cz_channel_get_verify_state (CzChannel *channel);
/* Sets the peer address shown in the session info. */
void cz_channel_set_peer_address (CzChannel *channel, const char *address);

G_END_DECLS
