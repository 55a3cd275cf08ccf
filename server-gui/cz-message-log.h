/* cz-message-log.h: the log of received messages (time, sender, recipient
 * or lobby, text), one line a row (line breaks shown as ⏎, long text
 * ellipsized), the selected message whole in the pane below; newest at the
 * bottom and followed while the view is scrolled to the end, filterable by
 * user and bounded in memory. */
#pragma once

#include <gtk/gtk.h>
#include "cz-server.h"

G_BEGIN_DECLS

/* Rows kept; older ones are dropped. */
#define CZ_MESSAGE_LOG_LIMIT 5000

enum {
  CZ_MESSAGE_LOG_COL_ID,     /* gint64 */
  CZ_MESSAGE_LOG_COL_TIME,   /* string */
  CZ_MESSAGE_LOG_COL_FROM,
  CZ_MESSAGE_LOG_COL_TO,     /* a user, or "#lobby" */
  CZ_MESSAGE_LOG_COL_TEXT,   /* the whole message, as received */
  CZ_MESSAGE_LOG_COL_LINE,   /* what the row shows: the text on one line */
  CZ_MESSAGE_LOG_COL_E2E,    /* gboolean: end-to-end encrypted, TEXT is only its size */
  CZ_MESSAGE_LOG_N_COLUMNS
};

#define CZ_TYPE_MESSAGE_LOG (cz_message_log_get_type ())
G_DECLARE_FINAL_TYPE (CzMessageLog, cz_message_log, CZ, MESSAGE_LOG, GtkBox)

GtkWidget *cz_message_log_new (void);
/* Appends the CZ_SERVER_EVENT_MESSAGE events of @events (others ignored).
 * The log keeps the last CZ_MESSAGE_LOG_LIMIT messages (while a filter is
 * set, up to a quarter more pile up between trims). */
void cz_message_log_append_events (CzMessageLog *self, GPtrArray *events);
/* Shows only messages from or to users whose name contains @text. */
void cz_message_log_set_filter (CzMessageLog *self, const char *text);
/* What the view shows: the log, or a filter over it while a filter text is
 * set; replaced when the filter is set or cleared, and when a filtered log
 * is trimmed. */
GtkTreeModel *cz_message_log_get_model (CzMessageLog *self);
/* Messages received since the window opened (including dropped ones). */
guint64 cz_message_log_get_total (CzMessageLog *self);
void cz_message_log_clear (CzMessageLog *self);

/* @text on one line: each line break (\n, \r\n, \r) becomes " ⏎ ", and
 * at most about @max_chars characters are kept (the row ellipsizes the
 * rest; the details pane shows it all). */
char *cz_message_log_one_line (const char *text, gsize max_chars);
/* The details pane's text: the selected message whole, or a hint. */
const char *cz_message_log_get_details (CzMessageLog *self);

G_END_DECLS
