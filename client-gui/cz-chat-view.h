/* cz-chat-view.h: the chat view: conversations on the left, the messages
 * of the selected one on the right, and the entry below. */
#pragma once

#include <gtk/gtk.h>
#include "cz-chat-model.h"

G_BEGIN_DECLS

#define CZ_TYPE_CHAT_VIEW (cz_chat_view_get_type ())
G_DECLARE_FINAL_TYPE (CzChatView, cz_chat_view, CZ, CHAT_VIEW, GtkPaned)

GtkWidget *cz_chat_view_new (void);
void cz_chat_view_set_model (CzChatView *view, CzChatModel *model);
/* The conversation shown (NULL if none). */
CzConversation *cz_chat_view_get_conversation (CzChatView *view);
gboolean cz_chat_view_select (CzChatView *view, const char *key);
/* Next (+1) or previous (-1) conversation in the sidebar. */
void cz_chat_view_select_relative (CzChatView *view, int delta);
void cz_chat_view_focus_entry (CzChatView *view);
/* The warning bar shown while the connection is down (NULL hides it). */
void cz_chat_view_set_reconnecting (CzChatView *view, const char *text);

/* For tests: the widgets. */
GtkWidget *cz_chat_view_get_message_list (CzChatView *view);
GtkWidget *cz_chat_view_get_conversation_list (CzChatView *view);
GtkWidget *cz_chat_view_get_entry (CzChatView *view);
GtkWidget *cz_chat_view_get_send_button (CzChatView *view);
GtkWidget *cz_chat_view_get_empty_page (CzChatView *view);
/* What the person sees, for tests: the composer's placeholder ("" while
 * text is typed), the empty page's title and text (FALSE when messages
 * show), the line above the messages (NULL when none). */
const char *cz_chat_view_get_placeholder (CzChatView *view);
gboolean cz_chat_view_get_empty_text (CzChatView *view, const char **title, const char **detail);
const char *cz_chat_view_get_history_text (CzChatView *view);

G_END_DECLS
