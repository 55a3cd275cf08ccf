/* cz-channel-private.h: what the channel's two files share: the state
 * machine and I/O (cz-channel.c), the hellos, key schedule and session
 * facts (cz-channel-keys.c). */
#pragma once

#include "cz-channel.h"

G_BEGIN_DECLS

struct _CzChannel {
  gboolean is_server;
  CzChannelState state;
  gnutls_session_t session;
  CzTlsVerifyState verify;          /* client side */
  CzChannelCallbacks cb;
  gpointer user_data;

  CzDhGroup group;
  CzDhKey *dh;
  GBytes *server_public;
  GBytes *client_public;
  char *name;

  CzAead tx;
  CzAead rx;
  CzFrameReader reader;

  int fd;                           /* the socket, unless a custom transport is set */
  gnutls_push_func user_push;       /* cz_channel_set_transport() */
  gnutls_pull_func user_pull;
  gpointer user_ptr;
  guint8 *ahead;                    /* bytes read past what GnuTLS asked for */
  gsize ahead_off;
  gsize ahead_len;
  gboolean drained;                 /* the socket had no more at the last read */
  GByteArray *wire;                 /* TLS records not yet written to the socket */
  gsize wire_off;
  gboolean corked;                  /* records wait in `wire` for one write */
  gboolean input_paused;            /* OPEN: no frame handled, nothing read */

  GByteArray *out;                  /* TLS plaintext waiting for gnutls_record_send */
  gsize out_off;
  gsize inflight;                   /* size of a send that returned EAGAIN */
  guint64 written;                  /* plaintext bytes the session took, in all */
  guint64 stall_written;            /* `written` at the last backlog check */
  gsize stall_pending;              /* backlog when the peer last took nothing */

  CzSessionInfo *info;
  const CzCertInfo *own_cert;       /* server: parsed once, in the config */
  char *peer_address;
  gint64 since;

  GError *close_error;              /* why we are closing (NULL = clean) */
  gboolean closed_notified;
  gboolean peer_bye;
};

/* cz-channel.c: queues an unsealed frame (the hellos, early errors). */
gboolean cz_channel_queue_plain (CzChannel *self, GVariant *message);

/* cz-channel-keys.c */
/* Queues this side's hello (server: a fresh key in self->group first). */
void cz_channel_send_hello (CzChannel *self);
/* Handles the peer's hello: checks it, answers (client), derives the keys,
 * builds the session info and goes OPEN (ready fires).  FALSE with the
 * reason otherwise. */
gboolean cz_channel_handle_hello (CzChannel *self, GVariant *msg, GError **error);

G_END_DECLS
