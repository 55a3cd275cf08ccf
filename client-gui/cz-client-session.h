/* cz-client-session.h: one log-in session of the window, over as many
 * CzClient connections as it takes.
 *
 * The session connects, asks about trust, registers and logs in, feeds a
 * CzChatModel with the engine's events, keeps messages typed while offline
 * and sends them after login, and reconnects by itself with backoff when an
 * established connection drops.  It knows nothing of widgets. */
#pragma once

#include <gio/gio.h>
#include "cz-chat-model.h"
#include "cz-client.h"
#include "cz-error.h"

G_BEGIN_DECLS

typedef enum {
  CZ_SESSION_IDLE,            /* not connected (the connect form) */
  CZ_SESSION_CONNECTING,      /* TCP, TLS, Diffie-Hellman */
  CZ_SESSION_TRUST,           /* waiting for the person to accept a new key */
  CZ_SESSION_AUTHENTICATING,  /* creating the account, logging in */
  CZ_SESSION_ONLINE,
  CZ_SESSION_RECONNECTING,    /* the connection dropped; retrying */
} CzSessionState;

#define CZ_TYPE_SESSION_STATE (cz_session_state_get_type ())
GType cz_session_state_get_type (void);

typedef struct {
  const char *host;
  guint16 port;
  CzTrustMode trust;          /* CZ_TRUST_CA or CZ_TRUST_TOFU */
  const char *ca_file;
  const char *known_servers;  /* NULL = the default file */
  const char *user;
  const char *password;
  gboolean create_account;
  guint timeout_ms;           /* 0 = the engine's default */
  const char *cert_file;      /* optional client certificate (PEM), with key_file */
  const char *key_file;
} CzSessionParams;

#define CZ_TYPE_CLIENT_SESSION (cz_client_session_get_type ())
G_DECLARE_FINAL_TYPE (CzClientSession, cz_client_session, CZ, CLIENT_SESSION, GObject)

CzClientSession *cz_client_session_new (CzChatModel *model);
CzChatModel *cz_client_session_get_model (CzClientSession *session);

/* Connects and logs in (or creates the account first). */
void cz_client_session_start (CzClientSession *session, const CzSessionParams *params);
/* Stops connecting or reconnecting: back to IDLE without an error. */
void cz_client_session_cancel (CzClientSession *session);
/* Says bye, forgets the conversations and the password: back to IDLE. */
void cz_client_session_logout (CzClientSession *session);
/* The answer to "trust-prompt". */
void cz_client_session_trust (CzClientSession *session, gboolean accept);
/* While RECONNECTING: try now instead of waiting. */
void cz_client_session_reconnect_now (CzClientSession *session);

/* Adds an own message to @key's conversation and sends it now, or after
 * the next login if offline. */
CzChatMessage *cz_client_session_send (CzClientSession *session, const char *key,
                                       const char *text);
/* Sends a FAILED own message again (cz_chat_model_retry), now if online,
 * else after the next login.  FALSE if it cannot be retried. */
gboolean cz_client_session_retry (CzClientSession *session, CzChatMessage *msg);
/* Asks for the page of history before the oldest message of @conv. */
void cz_client_session_load_history (CzClientSession *session, CzConversation *conv);
/* The person sees @conv: clears unread and sends read receipts (if on). */
void cz_client_session_conversation_seen (CzClientSession *session, CzConversation *conv);
void cz_client_session_set_send_receipts (CzClientSession *session, gboolean send);

CzSessionState cz_client_session_get_state (CzClientSession *session);
/* Seconds until the next reconnection attempt (RECONNECTING). */
guint cz_client_session_get_retry_seconds (CzClientSession *session);
const char *cz_client_session_get_user (CzClientSession *session);
/* "host:port" */
const char *cz_client_session_get_server (CzClientSession *session);
/* The last established connection's facts (NULL before the first). */
CzSessionInfo *cz_client_session_get_info (CzClientSession *session);
const char *cz_client_session_get_fingerprint (CzClientSession *session);
/* The client certificate file this session presents when asked (NULL: none). */
const char *cz_client_session_get_cert_file (CzClientSession *session);

/* The wait before reconnection attempt @attempt (1: the first after the
 * connection dropped), in ms: 250 ms doubling to 1.5 s on a local network
 * (@local), 500 ms doubling to 30 s elsewhere, plus up to a tenth of it
 * as jitter (@jitter, 0 to 1), and never less than @previous_ms (the wait
 * before), so the schedule only ever grows. */
guint cz_reconnect_delay_ms (guint attempt, gboolean local, double jitter, guint previous_ms);

/* A headline and an explanation a person understands for an error code
 * and the engine's message (@retry_after: seconds, for throttled). */
void cz_client_session_describe_error (CzErrorCode code, const char *message, guint retry_after,
                                       char **title, char **detail);
/* The same for an error about the client certificate (@cert_file: the one
 * presented, or NULL): the server asked for one and got none, or refused
 * it.  Returns FALSE, leaving @title and @detail alone, for other errors. */
gboolean cz_client_session_describe_cert_error (CzErrorCode code, const char *message,
                                                const char *cert_file, char **title,
                                                char **detail);

G_END_DECLS
