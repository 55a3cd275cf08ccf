/* cz-chat-model-private.h: what cz-chat-model.c needs of the message and
 * conversation objects (cz-conversation.c). */
#pragma once

#include "cz-chat-model.h"

G_BEGIN_DECLS

CzChatMessage *cz_chat_message_new (gint64 id, gint64 ts, const char *from, const char *text,
                                    gboolean offline, gboolean own, CzMessageState state);
void cz_chat_message_set_state (CzChatMessage *msg, CzMessageState state);
void cz_chat_message_set_stored (CzChatMessage *msg, gint64 id, gint64 ts);
void cz_chat_message_set_ref (CzChatMessage *msg, guint32 ref);
void cz_chat_message_set_txn (CzChatMessage *msg, const char *txn);
void cz_chat_message_set_error (CzChatMessage *msg, const char *why);
gboolean cz_chat_message_get_read_sent (CzChatMessage *msg);
void cz_chat_message_set_read_sent (CzChatMessage *msg, gboolean sent);

CzConversation *cz_conversation_new (const char *key);
/* Inserts by id (pending own messages, id 0, stay at the end). */
void cz_conversation_insert (CzConversation *conv, CzChatMessage *msg);
/* Removes a message (pending or stored); FALSE if it is not there. */
gboolean cz_conversation_remove (CzConversation *conv, CzChatMessage *msg);
/* Moves a message that just got its id to its place. */
void cz_conversation_reposition (CzConversation *conv, CzChatMessage *msg);
void cz_conversation_set_online (CzConversation *conv, gboolean online);
void cz_conversation_set_unread (CzConversation *conv, guint unread);
void cz_conversation_set_history_complete (CzConversation *conv, gboolean complete);
int cz_conversation_compare (gconstpointer a, gconstpointer b, gpointer user_data);

G_END_DECLS
