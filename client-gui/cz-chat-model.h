/* cz-chat-model.h: what the client window shows, without widgets.
 *
 * CzChatMessage is one message; CzConversation is the lobby or the direct
 * conversation with one person (a GListModel of messages in id order, own
 * messages not yet stored at the end); CzChatModel is the set of
 * conversations (lobby first, then people by name) fed with the engine's
 * typed events.  Nothing here needs a display, so tests drive it directly. */
#pragma once

#include <gio/gio.h>
#include "cz-client-events.h"

G_BEGIN_DECLS

#define CZ_LOBBY "#lobby"

typedef enum {
  CZ_MESSAGE_STATE_NONE,        /* someone else's message */
  CZ_MESSAGE_STATE_SENDING,     /* own, not yet acknowledged */
  CZ_MESSAGE_STATE_STORED,      /* own, acknowledged: on the server's disk */
  CZ_MESSAGE_STATE_DELIVERED,   /* own direct message, received by the peer */
  CZ_MESSAGE_STATE_READ,        /* own direct message, read by the peer */
  CZ_MESSAGE_STATE_FAILED,      /* own, refused by the server */
} CzMessageState;

#define CZ_TYPE_MESSAGE_STATE (cz_message_state_get_type ())
GType cz_message_state_get_type (void);

/* A short word for a state ("Sending…", "Read"...), translated; NULL for NONE. */
const char *cz_message_state_describe (CzMessageState state);

#define CZ_TYPE_CHAT_MESSAGE (cz_chat_message_get_type ())
G_DECLARE_FINAL_TYPE (CzChatMessage, cz_chat_message, CZ, CHAT_MESSAGE, GObject)

gint64 cz_chat_message_get_id (CzChatMessage *msg);
gint64 cz_chat_message_get_ts (CzChatMessage *msg);          /* Unix ms */
const char *cz_chat_message_get_from (CzChatMessage *msg);
const char *cz_chat_message_get_text (CzChatMessage *msg);
/* An own message's transaction id, the same each time it is sent (so the
 * server stores it once); NULL for others' messages. */
const char *cz_chat_message_get_txn (CzChatMessage *msg);
gboolean cz_chat_message_get_offline (CzChatMessage *msg);
gboolean cz_chat_message_get_own (CzChatMessage *msg);
CzMessageState cz_chat_message_get_state (CzChatMessage *msg);
const char *cz_chat_message_get_error (CzChatMessage *msg); /* FAILED: why */
/* TRUE for a FAILED own message that sending again may help: FALSE when
 * its text is one this client never sends (empty, not UTF-8, too long). */
gboolean cz_chat_message_can_retry (CzChatMessage *msg);
guint32 cz_chat_message_get_ref (CzChatMessage *msg);       /* 0 when none */
/* "14:05" in local time. */
char *cz_chat_message_format_time (CzChatMessage *msg);

#define CZ_TYPE_CONVERSATION (cz_conversation_get_type ())
G_DECLARE_FINAL_TYPE (CzConversation, cz_conversation, CZ, CONVERSATION, GObject)

/* "#lobby" or the peer's user name. */
const char *cz_conversation_get_key (CzConversation *conv);
/* "Lobby" or the user name. */
const char *cz_conversation_get_title (CzConversation *conv);
gboolean cz_conversation_is_lobby (CzConversation *conv);
gboolean cz_conversation_get_online (CzConversation *conv);
guint cz_conversation_get_unread (CzConversation *conv);
/* The messages (CzChatMessage), oldest first. */
GListModel *cz_conversation_get_messages (CzConversation *conv);
/* TRUE when the message at @position is the first of its local day (a
 * day separator goes above it). */
gboolean cz_conversation_starts_day (CzConversation *conv, guint position);
/* "Today", "Yesterday" or a date, for the separator above @msg; @now_ms
 * is the current time. */
char *cz_conversation_day_label (CzChatMessage *msg, gint64 now_ms);
/* The smallest stored id (0 when none): "before" for the next history page. */
gint64 cz_conversation_get_oldest_id (CzConversation *conv);
/* History paging state (set by the session). */
gboolean cz_conversation_get_history_complete (CzConversation *conv);
gboolean cz_conversation_get_history_loading (CzConversation *conv);
void cz_conversation_set_history_loading (CzConversation *conv, gboolean loading);

#define CZ_TYPE_CHAT_MODEL (cz_chat_model_get_type ())
G_DECLARE_FINAL_TYPE (CzChatModel, cz_chat_model, CZ, CHAT_MODEL, GObject)

CzChatModel *cz_chat_model_new (void);
/* The logged-in user (decides which messages are own and routes direct
 * messages).  Set before feeding messages. */
void cz_chat_model_set_me (CzChatModel *model, const char *user);
const char *cz_chat_model_get_me (CzChatModel *model);
/* The conversations (CzConversation): lobby first, then people by name. */
GListModel *cz_chat_model_get_conversations (CzChatModel *model);
CzConversation *cz_chat_model_lookup (CzChatModel *model, const char *key);
/* Finds or adds the conversation for @key. */
CzConversation *cz_chat_model_ensure (CzChatModel *model, const char *key);
/* Forgets every conversation but an empty lobby (log out). */
void cz_chat_model_clear (CzChatModel *model);

/* The conversation on screen (NULL: none) and whether the window has the
 * focus: new messages there are seen at once, not counted as unread. */
void cz_chat_model_set_active (CzChatModel *model, CzConversation *conv);
CzConversation *cz_chat_model_get_active (CzChatModel *model);
void cz_chat_model_set_focused (CzChatModel *model, gboolean focused);
gboolean cz_chat_model_get_focused (CzChatModel *model);

/* A `message` event's message.  Returns the new message (owned by its
 * conversation), or NULL if it was invalid or already known.  Emits
 * "message-added" with live = TRUE. */
CzChatMessage *cz_chat_model_add_message (CzChatModel *model, const CzClientMessage *message);
/* A `history` answer for @with: CzClientMessage, oldest first.  Messages
 * already known are skipped; fewer than @limit means the start was
 * reached.  Returns how many were added. */
guint cz_chat_model_add_history (CzChatModel *model, const char *with, GPtrArray *messages,
                                 guint limit);
/* A message typed here, in state SENDING, at the end of @key's conversation. */
CzChatMessage *cz_chat_model_add_outgoing (CzChatModel *model, const char *key, const char *text);
/* The request number it was sent with. */
void cz_chat_model_set_ref (CzChatModel *model, CzChatMessage *msg, guint32 ref);
/* `ack {ref, id, ts}`: the message becomes STORED and takes its place by id. */
CzChatMessage *cz_chat_model_ack (CzChatModel *model, guint32 ref, gint64 id, gint64 ts);
/* An `error` answering @ref: the message becomes FAILED. */
CzChatMessage *cz_chat_model_fail (CzChatModel *model, guint32 ref, const char *why);
/* The person asks to send a FAILED own message again: it becomes SENDING,
 * without its error or a ref, so it is in the outbox, with the same txn
 * (the server stores it once however often it is sent).  Returns FALSE,
 * changing nothing, unless cz_chat_message_can_retry(). */
gboolean cz_chat_model_retry (CzChatModel *model, CzChatMessage *msg);
/* The person gives up on a FAILED own message: it leaves its conversation
 * (and is never sent).  Returns FALSE, changing nothing, for other states. */
gboolean cz_chat_model_discard (CzChatModel *model, CzChatMessage *msg);
/* A `receipt` for own message @id (states only move forward). */
CzChatMessage *cz_chat_model_receipt (CzChatModel *model, gint64 id, CzReceiptState state);
/* After a disconnect: own messages sent but not acknowledged lose their ref
 * and wait to be sent again. */
void cz_chat_model_forget_refs (CzChatModel *model);
/* Own messages waiting to be sent (SENDING without a ref), in typing order.
 * Returns a new array of borrowed messages. */
GPtrArray *cz_chat_model_get_outbox (CzChatModel *model);
/* The conversation @msg is in. */
CzConversation *cz_chat_model_conversation_of (CzChatModel *model, CzChatMessage *msg);

/* `presence {user, online}` and `who {users}`. */
void cz_chat_model_set_presence (CzChatModel *model, const char *user, gboolean online);
void cz_chat_model_set_who (CzChatModel *model, const char *const *users);
/* Everyone offline (connection lost). */
void cz_chat_model_set_all_offline (CzChatModel *model);

/* The person has seen @conv: unread becomes 0; returns the ids of the
 * peer's direct messages not yet reported read (to send a `read` for),
 * and remembers them as reported. */
GArray *cz_chat_model_mark_seen (CzChatModel *model, CzConversation *conv);

G_END_DECLS
