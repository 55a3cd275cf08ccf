/* cz-chat-rows.h: the rows of the chat view: one message, one conversation. */
#pragma once

#include <gtk/gtk.h>
#include "cz-chat-model.h"

G_BEGIN_DECLS

#define CZ_TYPE_MESSAGE_ROW (cz_message_row_get_type ())
G_DECLARE_FINAL_TYPE (CzMessageRow, cz_message_row, CZ, MESSAGE_ROW, GtkListBoxRow)

/* Under an own message not sent (FAILED) the row says why and shows Retry
 * (unless cz_chat_message_can_retry() says it cannot help) and Discard;
 * pressing them emits "retry" and "discard" (no arguments). */
GtkWidget *cz_message_row_new (CzChatMessage *msg);
CzChatMessage *cz_message_row_get_message (CzMessageRow *row);
/* The state shown for an own message ("Read"...), "" for others'. */
const char *cz_message_row_get_state_text (CzMessageRow *row);

#define CZ_TYPE_CONVERSATION_ROW (cz_conversation_row_get_type ())
G_DECLARE_FINAL_TYPE (CzConversationRow, cz_conversation_row, CZ, CONVERSATION_ROW, GtkListBoxRow)

GtkWidget *cz_conversation_row_new (CzConversation *conv);
CzConversation *cz_conversation_row_get_conversation (CzConversationRow *row);
/* The unread badge's text ("" when hidden). */
const char *cz_conversation_row_get_badge (CzConversationRow *row);

G_END_DECLS
