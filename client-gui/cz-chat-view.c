/* cz-chat-view.c: the chat view.  It shows a CzChatModel and reports what
 * the person does through signals: "send" (key, text), "load-older"
 * (conversation), "conversation-shown" (conversation), "reconnect",
 * "retry-message" and "discard-message" (a message not sent). */
#include "config.h"

#include <glib/gi18n.h>

#include "cz-chat-view.h"
#include "cz-chat-rows.h"

struct _CzChatView {
  GtkPaned parent_instance;

  CzChatModel *model;
  CzConversation *conv;       /* shown; a reference */
  gulong items_id;
  gulong loading_id;
  gulong complete_id;
  gboolean stick_bottom;      /* follow new messages */
  double anchor;              /* distance from the bottom to keep after a prepend; < 0 none */

  GtkWidget *conv_list;
  GtkWidget *reconnect_bar;
  GtkWidget *reconnect_label;
  GtkWidget *msg_stack;
  GtkWidget *msg_scroller;
  GtkWidget *history_label;
  GtkWidget *msg_list;
  GtkWidget *empty_page;
  GtkWidget *empty_icon;
  GtkWidget *empty_title;
  GtkWidget *empty_detail;
  GtkWidget *entry_scroller;
  GtkWidget *entry;
  GtkWidget *placeholder;
  GtkWidget *composer_note;
  GtkWidget *send_button;
};

G_DEFINE_FINAL_TYPE (CzChatView, cz_chat_view, GTK_TYPE_PANED)

enum {
  SIGNAL_SEND, SIGNAL_LOAD_OLDER, SIGNAL_SHOWN, SIGNAL_RECONNECT, SIGNAL_RETRY, SIGNAL_DISCARD,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static GtkAdjustment *
vadjustment (CzChatView *self)
{
  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->msg_scroller));
}

/* ---- Messages ------------------------------------------------------------------- */

static void
row_retry_cb (CzMessageRow *row, CzChatView *self)
{
  g_signal_emit (self, signals[SIGNAL_RETRY], 0, cz_message_row_get_message (row));
}

static void
row_discard_cb (CzMessageRow *row, CzChatView *self)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *focus = GTK_IS_WINDOW (toplevel) ? gtk_window_get_focus (GTK_WINDOW (toplevel)) : NULL;
  gboolean had_focus = focus && (focus == GTK_WIDGET (row)
                                 || gtk_widget_is_ancestor (focus, GTK_WIDGET (row)));
  g_autoptr(CzChatMessage) msg = g_object_ref (cz_message_row_get_message (row));

  g_signal_emit (self, signals[SIGNAL_DISCARD], 0, msg);
  /* The row is gone with its button: the keyboard goes back to typing. */
  if (had_focus && gtk_widget_get_parent (GTK_WIDGET (row)) == NULL)
    gtk_widget_grab_focus (self->entry);
}

static GtkWidget *
create_message_row (gpointer item, gpointer user_data)
{
  CzChatView *self = user_data;
  GtkWidget *row = cz_message_row_new (item);

  g_signal_connect_object (row, "retry", G_CALLBACK (row_retry_cb), self, 0);
  g_signal_connect_object (row, "discard", G_CALLBACK (row_discard_cb), self, 0);
  return row;
}

static void
header_func (GtkListBoxRow *row, GtkListBoxRow *before, gpointer user_data)
{
  CzChatView *self = user_data;
  int index = gtk_list_box_row_get_index (row);
  GtkWidget *header;
  g_autofree char *text = NULL;

  if (self->conv == NULL || index < 0 || !cz_conversation_starts_day (self->conv, (guint) index))
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }
  text = cz_conversation_day_label (cz_message_row_get_message (CZ_MESSAGE_ROW (row)),
                                    g_get_real_time () / 1000);
  header = gtk_list_box_row_get_header (row);
  if (header == NULL)
    {
      header = gtk_label_new (NULL);
      gtk_style_context_add_class (gtk_widget_get_style_context (header), "cz-day");
      gtk_widget_show (header);
      gtk_list_box_row_set_header (row, header);
    }
  gtk_label_set_text (GTK_LABEL (header), text);
}

/* What the message pane shows: the messages, with a line above them while
 * an earlier page loads or once the start is reached; or, for a
 * conversation with no message (and none on the way), an empty page. */
static void
update_history_label (CzChatView *self)
{
  gboolean loading = self->conv && cz_conversation_get_history_loading (self->conv);
  gboolean start = self->conv && cz_conversation_get_history_complete (self->conv);
  gboolean empty = self->conv == NULL
                   || g_list_model_get_n_items (cz_conversation_get_messages (self->conv)) == 0;

  if (empty && !loading)
    {
      g_autofree char *detail = NULL;
      gboolean lobby = self->conv && cz_conversation_is_lobby (self->conv);

      if (self->conv == NULL)
        detail = g_strdup (_("Choose a conversation on the left."));
      else if (lobby)
        detail = g_strdup (_("Everyone connected to this server reads what is written here. "
                             "Say hello!"));
      else
        /* TRANSLATORS: the empty page of a direct conversation; %s is the other person */
        detail = g_strdup_printf (_("Say hello to %s."), cz_conversation_get_key (self->conv));
      gtk_label_set_text (GTK_LABEL (self->empty_title),
                          lobby ? _("No messages in the lobby yet") : _("No messages yet"));
      gtk_label_set_text (GTK_LABEL (self->empty_detail), detail);
      gtk_image_set_from_icon_name (GTK_IMAGE (self->empty_icon),
                                    lobby ? "system-users-symbolic" : "cz-conversation-symbolic",
                                    GTK_ICON_SIZE_DIALOG);
      gtk_stack_set_visible_child (GTK_STACK (self->msg_stack), self->empty_page);
      return;
    }
  gtk_stack_set_visible_child (GTK_STACK (self->msg_stack), self->msg_scroller);
  gtk_widget_set_visible (self->history_label, loading || start);
  gtk_label_set_text (GTK_LABEL (self->history_label),
                      loading ? _("Loading earlier messages…")
                              : _("This is the start of the conversation."));
}

static void
history_state_cb (CzConversation *conv, GParamSpec *pspec, CzChatView *self)
{
  update_history_label (self);
}

/* The composer says where the message goes, and in the lobby who reads it. */
static void
update_composer (CzChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->entry));
  gboolean lobby = self->conv && cz_conversation_is_lobby (self->conv);
  g_autofree char *hint = NULL;

  if (self->conv == NULL)
    hint = g_strdup (_("Message…"));
  else if (lobby)
    hint = g_strdup (_("Message the lobby…"));
  else
    /* TRANSLATORS: the message field's placeholder in a direct conversation */
    hint = g_strdup_printf (_("Message %s…"), cz_conversation_get_key (self->conv));
  gtk_label_set_text (GTK_LABEL (self->placeholder), hint);
  gtk_widget_set_visible (self->placeholder, gtk_text_buffer_get_char_count (buffer) == 0);
  gtk_widget_set_visible (self->composer_note, lobby);
  atk_object_set_description (gtk_widget_get_accessible (self->entry),
                              lobby ? _("To the lobby, which the server can read. Enter sends, "
                                        "Shift+Enter starts a new line")
                                    : _("Enter sends, Shift+Enter starts a new line"));
}

/* While the field grows with its text, the text view scrolls to the
 * cursor before the field has its new height, leaving the first line cut
 * off.  All of it fits: keep the top in view. */
static void
entry_adjustment_cb (GtkAdjustment *adj, CzChatView *self)
{
  int max = gtk_scrolled_window_get_max_content_height (GTK_SCROLLED_WINDOW (self->entry_scroller));

  if (gtk_adjustment_get_value (adj) > 0 && gtk_adjustment_get_upper (adj) <= max)
    gtk_adjustment_set_value (adj, 0);
}

static void
buffer_changed_cb (GtkTextBuffer *buffer, CzChatView *self)
{
  gtk_widget_set_visible (self->placeholder, gtk_text_buffer_get_char_count (buffer) == 0);
}

static void
request_older (CzChatView *self)
{
  if (self->conv == NULL || cz_conversation_get_history_complete (self->conv)
      || cz_conversation_get_history_loading (self->conv))
    return;
  g_signal_emit (self, signals[SIGNAL_LOAD_OLDER], 0, self->conv);
  update_history_label (self);
}

static void
messages_changed_cb (GListModel *list, guint position, guint removed, guint added,
                     CzChatView *self)
{
  GtkAdjustment *adj = vadjustment (self);

  if (added > 0 && position == 0 && g_list_model_get_n_items (list) > added)
    /* Older messages went in above: keep what is on screen in place. */
    self->anchor = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_value (adj);
  else if (added > 0)
    {
      g_autoptr(CzChatMessage) msg = g_list_model_get_item (list, position + added - 1);
      if (msg && cz_chat_message_get_own (msg))
        self->stick_bottom = TRUE;
    }
  update_history_label (self);
}

static void
adjustment_upper_cb (GtkAdjustment *adj, GParamSpec *pspec, CzChatView *self)
{
  double upper = gtk_adjustment_get_upper (adj), page = gtk_adjustment_get_page_size (adj);

  if (self->anchor >= 0)
    {
      gtk_adjustment_set_value (adj, upper - self->anchor);
      self->anchor = -1;
    }
  else if (self->stick_bottom)
    gtk_adjustment_set_value (adj, upper - page);
  /* Not enough to scroll yet: fetch more so scrolling up can work. */
  if (upper <= page && self->conv
      && g_list_model_get_n_items (cz_conversation_get_messages (self->conv)) > 0)
    request_older (self);
}

static void
adjustment_value_cb (GtkAdjustment *adj, CzChatView *self)
{
  double bottom = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);
  self->stick_bottom = gtk_adjustment_get_value (adj) >= bottom - 8;
}

static void
edge_reached_cb (GtkScrolledWindow *scroller, GtkPositionType pos, CzChatView *self)
{
  if (pos == GTK_POS_TOP)
    request_older (self);
}

static void
show_conversation (CzChatView *self, CzConversation *conv)
{
  GListModel *msgs;

  if (self->conv == conv)
    return;
  if (self->conv)
    {
      g_clear_signal_handler (&self->items_id, cz_conversation_get_messages (self->conv));
      g_clear_signal_handler (&self->loading_id, self->conv);
      g_clear_signal_handler (&self->complete_id, self->conv);
      g_clear_object (&self->conv);
    }
  if (conv == NULL)
    {
      gtk_list_box_bind_model (GTK_LIST_BOX (self->msg_list), NULL, NULL, NULL, NULL);
      update_history_label (self);
      update_composer (self);
      g_signal_emit (self, signals[SIGNAL_SHOWN], 0, NULL);
      return;
    }
  self->conv = g_object_ref (conv);
  self->stick_bottom = TRUE;
  self->anchor = -1;
  msgs = cz_conversation_get_messages (conv);
  gtk_list_box_bind_model (GTK_LIST_BOX (self->msg_list), msgs, create_message_row, self, NULL);
  self->items_id = g_signal_connect (msgs, "items-changed", G_CALLBACK (messages_changed_cb), self);
  self->loading_id = g_signal_connect (conv, "notify::history-loading",
                                       G_CALLBACK (history_state_cb), self);
  self->complete_id = g_signal_connect (conv, "notify::history-complete",
                                        G_CALLBACK (history_state_cb), self);
  atk_object_set_name (gtk_widget_get_accessible (self->msg_list),
                       cz_conversation_get_title (conv));
  update_history_label (self);
  update_composer (self);
  g_signal_emit (self, signals[SIGNAL_SHOWN], 0, conv);
  if (g_list_model_get_n_items (msgs) == 0)
    request_older (self);
}

/* ---- Sidebar ----------------------------------------------------------------------- */

static GtkWidget *
create_conversation_row (gpointer item, gpointer user_data)
{
  return cz_conversation_row_new (item);
}

static void
conv_selected_cb (GtkListBox *box, GtkListBoxRow *row, CzChatView *self)
{
  show_conversation (self, row ? cz_conversation_row_get_conversation (CZ_CONVERSATION_ROW (row))
                               : NULL);
}

static void
conversations_changed_cb (GListModel *list, guint position, guint removed, guint added,
                          CzChatView *self)
{
  /* Keep a selection: the lobby after a log-out cleared the list. */
  if (gtk_list_box_get_selected_row (GTK_LIST_BOX (self->conv_list)) == NULL)
    {
      GtkListBoxRow *first = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->conv_list), 0);
      if (first)
        gtk_list_box_select_row (GTK_LIST_BOX (self->conv_list), first);
    }
}

/* ---- Entry --------------------------------------------------------------------------- */

static void
send_text (CzChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->entry));
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
  if (*text == '\0' || self->conv == NULL)
    return;
  g_signal_emit (self, signals[SIGNAL_SEND], 0, cz_conversation_get_key (self->conv), text);
  gtk_text_buffer_set_text (buffer, "", 0);
}

static gboolean
entry_key_press_cb (GtkWidget *widget, GdkEventKey *event, CzChatView *self)
{
  GdkModifierType mods = event->state & gtk_accelerator_get_default_mod_mask ();

  if ((event->keyval == GDK_KEY_Return || event->keyval == GDK_KEY_KP_Enter
       || event->keyval == GDK_KEY_ISO_Enter)
      && (mods & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_MOD1_MASK)) == 0)
    {
      send_text (self);
      return GDK_EVENT_STOP;
    }
  return GDK_EVENT_PROPAGATE;
}

static void
send_clicked_cb (GtkButton *button, CzChatView *self)
{
  send_text (self);
  gtk_widget_grab_focus (self->entry);
}

static void
reconnect_response_cb (GtkInfoBar *bar, int response, CzChatView *self)
{
  g_signal_emit (self, signals[SIGNAL_RECONNECT], 0);
}

/* ---- Object -------------------------------------------------------------------------- */

static void
cz_chat_view_dispose (GObject *object)
{
  CzChatView *self = CZ_CHAT_VIEW (object);

  if (self->conv)
    {
      g_clear_signal_handler (&self->items_id, cz_conversation_get_messages (self->conv));
      g_clear_signal_handler (&self->loading_id, self->conv);
      g_clear_signal_handler (&self->complete_id, self->conv);
    }
  g_clear_object (&self->conv);
  g_clear_object (&self->model);
  G_OBJECT_CLASS (cz_chat_view_parent_class)->dispose (object);
}

static void
cz_chat_view_class_init (CzChatViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = cz_chat_view_dispose;

  signals[SIGNAL_SEND] = g_signal_new ("send", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                       G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_LOAD_OLDER] = g_signal_new ("load-older", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 1, CZ_TYPE_CONVERSATION);
  signals[SIGNAL_SHOWN] = g_signal_new ("conversation-shown", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, CZ_TYPE_CONVERSATION);
  signals[SIGNAL_RECONNECT] = g_signal_new ("reconnect", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);
  /**
   * CzChatView::retry-message:
   * @message: an own message not sent (FAILED)
   *
   * The person pressed its Retry button.
   */
  signals[SIGNAL_RETRY] = g_signal_new ("retry-message", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, CZ_TYPE_CHAT_MESSAGE);
  /**
   * CzChatView::discard-message:
   * @message: an own message not sent (FAILED)
   *
   * The person pressed its Discard button.
   */
  signals[SIGNAL_DISCARD] = g_signal_new ("discard-message", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, CZ_TYPE_CHAT_MESSAGE);

  /* The bundled icons (Send): GtkApplication adds this path too, but the
   * view also runs without one (tests). */
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_default (), "/org/causerie/Client/icons");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Client/cz-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CzChatView, conv_list);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, reconnect_bar);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, reconnect_label);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, msg_stack);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, msg_scroller);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, empty_icon);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, empty_title);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, empty_detail);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, entry_scroller);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, placeholder);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, composer_note);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, history_label);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, msg_list);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, entry);
  gtk_widget_class_bind_template_child (widget_class, CzChatView, send_button);
  gtk_widget_class_bind_template_callback (widget_class, conv_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, reconnect_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, edge_reached_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_key_press_cb);
  gtk_widget_class_bind_template_callback (widget_class, send_clicked_cb);
}

static void
cz_chat_view_init (CzChatView *self)
{
  GtkAdjustment *adj;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->anchor = -1;
  self->stick_bottom = TRUE;
  gtk_list_box_set_header_func (GTK_LIST_BOX (self->msg_list), header_func, self, NULL);
  adj = vadjustment (self);
  g_signal_connect_object (adj, "notify::upper", G_CALLBACK (adjustment_upper_cb), self, 0);
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (adjustment_value_cb), self, 0);
  atk_object_set_name (gtk_widget_get_accessible (self->reconnect_bar), _("Connection lost"));
  g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->entry)), "changed",
                           G_CALLBACK (buffer_changed_cb), self, 0);
  adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->entry));
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (entry_adjustment_cb), self, 0);
  g_signal_connect_object (adj, "changed", G_CALLBACK (entry_adjustment_cb), self, 0);
  update_history_label (self);
  update_composer (self);
}

GtkWidget *
cz_chat_view_new (void)
{
  return g_object_new (CZ_TYPE_CHAT_VIEW, NULL);
}

void
cz_chat_view_set_model (CzChatView *self, CzChatModel *model)
{
  GListModel *convs;

  g_set_object (&self->model, model);
  convs = cz_chat_model_get_conversations (model);
  gtk_list_box_bind_model (GTK_LIST_BOX (self->conv_list), convs, create_conversation_row,
                           self, NULL);
  g_signal_connect_object (convs, "items-changed", G_CALLBACK (conversations_changed_cb), self,
                           G_CONNECT_AFTER);
  conversations_changed_cb (convs, 0, 0, 0, self);
}

CzConversation *
cz_chat_view_get_conversation (CzChatView *self)
{
  return self->conv;
}

gboolean
cz_chat_view_select (CzChatView *self, const char *key)
{
  for (int i = 0;; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->conv_list), i);
      if (row == NULL)
        return FALSE;
      if (g_strcmp0 (cz_conversation_get_key (
                       cz_conversation_row_get_conversation (CZ_CONVERSATION_ROW (row))), key) == 0)
        {
          gtk_list_box_select_row (GTK_LIST_BOX (self->conv_list), row);
          return TRUE;
        }
    }
}

void
cz_chat_view_select_relative (CzChatView *self, int delta)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (GTK_LIST_BOX (self->conv_list));
  int index = row ? gtk_list_box_row_get_index (row) + delta : 0;
  GtkListBoxRow *next = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->conv_list),
                                                       MAX (index, 0));

  if (next)
    gtk_list_box_select_row (GTK_LIST_BOX (self->conv_list), next);
}

void
cz_chat_view_focus_entry (CzChatView *self)
{
  gtk_widget_grab_focus (self->entry);
}

void
cz_chat_view_set_reconnecting (CzChatView *self, const char *text)
{
  gtk_widget_set_visible (self->reconnect_bar, text != NULL);
  if (text)
    {
      gtk_label_set_text (GTK_LABEL (self->reconnect_label), text);
      atk_object_set_description (gtk_widget_get_accessible (self->reconnect_bar), text);
    }
}

GtkWidget *cz_chat_view_get_message_list (CzChatView *self) { return self->msg_list; }
GtkWidget *cz_chat_view_get_conversation_list (CzChatView *self) { return self->conv_list; }
GtkWidget *cz_chat_view_get_entry (CzChatView *self) { return self->entry; }
GtkWidget *cz_chat_view_get_empty_page (CzChatView *self) { return self->empty_page; }
GtkWidget *cz_chat_view_get_send_button (CzChatView *self) { return self->send_button; }

/* The composer's placeholder ("Message bob…"); "" while something is typed. */
const char *
cz_chat_view_get_placeholder (CzChatView *self)
{
  return gtk_widget_get_visible (self->placeholder) ? gtk_label_get_text (GTK_LABEL (self->placeholder))
                                                    : "";
}

/* The title and text of the empty page, or NULL when the messages show. */
gboolean
cz_chat_view_get_empty_text (CzChatView *self, const char **title, const char **detail)
{
  if (gtk_stack_get_visible_child (GTK_STACK (self->msg_stack)) != self->empty_page)
    return FALSE;
  if (title)
    *title = gtk_label_get_text (GTK_LABEL (self->empty_title));
  if (detail)
    *detail = gtk_label_get_text (GTK_LABEL (self->empty_detail));
  return TRUE;
}

/* The line above the messages ("Loading earlier messages…"), or NULL. */
const char *
cz_chat_view_get_history_text (CzChatView *self)
{
  if (gtk_stack_get_visible_child (GTK_STACK (self->msg_stack)) != self->msg_scroller
      || !gtk_widget_get_visible (self->history_label))
    return NULL;
  return gtk_label_get_text (GTK_LABEL (self->history_label));
}
