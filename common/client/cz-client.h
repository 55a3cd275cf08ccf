/* cz-client.h: the client engine.
 *
 * A CzClient lives on the thread-default GMainContext of the thread that
 * made it: it connects asynchronously (GSocketClient), drives its channel
 * from a unix fd source, runs PBKDF2 in a GTask thread, and reports
 * everything through typed signals (below) that the window and the
 * terminal mode consume alike.  No call blocks. */
#pragma once

#include <gio/gio.h>
#include "cz-protocol.h"
#include "cz-session-info.h"
#include "cz-tls-options.h"
#include "cz-client-events.h"

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

/* Signals, all emitted on the GMainContext the client was made on.  String
 * and boxed arguments are valid during the emission only (copy to keep).
 *
 *   connected     (CzSessionInfo *info, const char *fingerprint)
 *                 TLS and the application Diffie-Hellman are established.
 *   trust-prompt  (const char *fingerprint)
 *                 First use of a server: answer with cz_client_trust().
 *   registered    (guint ref, const char *user)
 *   logged-in     (guint ref, const char *user, const char *server_final)
 *                 @server_final: the server's SCRAM proof ("v=..."), verified.
 *   message       (CzClientMessage *message)
 *   ack           (guint ref, gint64 id, gint64 ts)
 *   presence      (const char *user, gboolean online)
 *   who           (guint ref, GStrv users)
 *   receipt       (gint64 id, const char *by, CzReceiptState state)
 *   history       (guint ref, GPtrArray *messages)   CzClientMessage, oldest first
 *   error         (CzClientError *error)
 *                 From the server, or raised here (error->local).
 *   disconnected  (GError *error, const char *reason)
 *                 @error: NULL for a clean close; @reason: the server's bye
 *                 reason, NULL if it said none.
 *
 * Answers are checked before they are emitted: an answer to a request
 * that lacks a field it needs becomes an `error` (bad-frame) for that
 * request; an unsolicited message that does is dropped. */

CzClient *cz_client_new (const CzClientConfig *config, GError **error);

void cz_client_connect (CzClient *client);
/* Answers a trust-prompt: accept stores the pin (known-servers) and goes on. */
void cz_client_trust (CzClient *client, gboolean accept);
/* Says bye and closes; `disconnected` follows. */
void cz_client_disconnect (CzClient *client);

/* Requests return their ref (0 if not connected; an `error` says why). */
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
