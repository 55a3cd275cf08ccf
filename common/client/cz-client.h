/* cz-client.h: the client engine.
 *
 * A CzClient lives on the thread-default GMainContext of the thread that
 * made it: it connects asynchronously (GSocketClient), drives its channel
 * from a unix fd source, runs PBKDF2 in a GTask thread, and reports
 * everything through one "event" signal that the window and the terminal
 * mode consume alike.  No call blocks. */
#pragma once

#include <gio/gio.h>
#include "cz-protocol.h"
#include "cz-session-info.h"
#include "cz-tls-options.h"

G_BEGIN_DECLS

#define CZ_TYPE_CLIENT (cz_client_get_type ())
G_DECLARE_FINAL_TYPE (CzClient, cz_client, CZ, CLIENT, GObject)

typedef struct {
  const char *host;
  guint16 port;
  CzTlsClientOptions tls;
  const char *name;            /* sent in the hello; NULL = "causerie-client" */
  guint timeout_ms;            /* connect + TLS + DH; 0 = 10,000 */
} CzClientConfig;

typedef enum {
  CZ_CLIENT_EVENT_CONNECTED,     /* info: TLS + DH established */
  CZ_CLIENT_EVENT_TRUST_PROMPT,  /* fingerprint: answer with cz_client_trust() */
  CZ_CLIENT_EVENT_REGISTERED,    /* fields: ref, user */
  CZ_CLIENT_EVENT_LOGGED_IN,     /* fields: ref, user */
  CZ_CLIENT_EVENT_MESSAGE,       /* fields: id, from, ts, text, offline, room | to */
  CZ_CLIENT_EVENT_ACK,           /* fields: ref, id, ts */
  CZ_CLIENT_EVENT_PRESENCE,      /* fields: user, online */
  CZ_CLIENT_EVENT_WHO,           /* fields: ref, users */
  CZ_CLIENT_EVENT_RECEIPT,       /* fields: id, by, state */
  CZ_CLIENT_EVENT_HISTORY,       /* fields: ref, messages */
  CZ_CLIENT_EVENT_ERROR,         /* fields: ref, code, message[, retry_after] */
  CZ_CLIENT_EVENT_DISCONNECTED,  /* error: NULL for a clean close; fields: bye reason if any */
} CzClientEventKind;

typedef struct {
  CzClientEventKind kind;
  GVariant *fields;              /* a{sv}, never NULL */
  CzSessionInfo *info;           /* CONNECTED */
  const char *fingerprint;       /* TRUST_PROMPT, and CONNECTED */
  const GError *error;           /* DISCONNECTED (NULL = clean), ERROR from this side */
} CzClientEvent;

/* The event name used by --json ("connected", "logged-in"...). */
const char *cz_client_event_name (CzClientEventKind kind);

CzClient *cz_client_new (const CzClientConfig *config, GError **error);

void cz_client_connect (CzClient *client);
/* Answers a TRUST_PROMPT: accept stores the pin (known-servers) and goes on. */
void cz_client_trust (CzClient *client, gboolean accept);
/* Says bye and closes; DISCONNECTED follows. */
void cz_client_disconnect (CzClient *client);

/* Requests return their ref (0 if not connected; an ERROR event says why). */
guint32 cz_client_register (CzClient *client, const char *user, const char *password);
guint32 cz_client_login (CzClient *client, const char *user, const char *password);
guint32 cz_client_say (CzClient *client, const char *text);
guint32 cz_client_msg (CzClient *client, const char *to, const char *text);
/* The same, to @to or the lobby (NULL), with a transaction id @txn (NULL,
 * or 1 to CZ_TXN_MAX bytes unique among this user's messages): a message
 * sent again with its txn, after a lost connection, is stored only once
 * and acknowledged with the first one's id. */
guint32 cz_client_send_text (CzClient *client, const char *to, const char *text,
                             const char *txn);
guint32 cz_client_who (CzClient *client);
guint32 cz_client_history (CzClient *client, const char *with, gint64 before, guint limit);
void cz_client_mark_read (CzClient *client, const gint64 *ids, guint n_ids);

/* Requests sent and not yet answered (acks, who, history, login...). */
guint cz_client_get_pending (CzClient *client);
gboolean cz_client_is_connected (CzClient *client);
gboolean cz_client_is_logged_in (CzClient *client);
const char *cz_client_get_user (CzClient *client);
CzSessionInfo *cz_client_get_info (CzClient *client);
const char *cz_client_get_fingerprint (CzClient *client);

/* Forgets cached salted passwords (the session cache that keeps reconnects
 * fast). */
void cz_client_forget_cached_keys (void);

G_END_DECLS
