/* cz-chat-rows.c: message rows (sender, time, text, state; Retry and
 * Discard under a message not sent) and conversation rows (presence dot,
 * name, unread badge). */
#include "config.h"

#include <glib/gi18n.h>

#include "cz-chat-rows.h"

/* ---- CzMessageRow --------------------------------------------------------------- */

struct _CzMessageRow {
  GtkListBoxRow parent_instance;

  CzChatMessage *msg;
  GtkWidget *bubble;
  GtkWidget *sender_label;
  GtkWidget *offline_label;
  GtkWidget *time_label;
  GtkWidget *text_label;
  GtkWidget *state_label;
  GtkWidget *actions_box;
  GtkWidget *retry_button;
};

G_DEFINE_FINAL_TYPE (CzMessageRow, cz_message_row, GTK_TYPE_LIST_BOX_ROW)

enum { ROW_SIGNAL_RETRY, ROW_SIGNAL_DISCARD, N_ROW_SIGNALS };
static guint row_signals[N_ROW_SIGNALS];

static const char *const state_classes[] = {
  NULL, "cz-sending", "cz-stored", "cz-delivered", "cz-read", "cz-failed",
};

/* @state: the state as said in words (NULL: none). */
static void
update_accessible (CzMessageRow *self, const char *state)
{
  g_autofree char *time = cz_chat_message_format_time (self->msg);
  g_autofree char *name = NULL;

  /* TRANSLATORS: how a screen reader announces a message: sender, time, text */
  name = g_strdup_printf (_("%s at %s: %s"), cz_chat_message_get_from (self->msg), time,
                          cz_chat_message_get_text (self->msg));
  if (state)
    {
      char *with_state = g_strdup_printf ("%s (%s)", name, state);
      g_free (name);
      name = with_state;
    }
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self)), name);
}

static void
update_state (CzMessageRow *self)
{
  CzMessageState state = cz_chat_message_get_state (self->msg);
  GtkStyleContext *ctx = gtk_widget_get_style_context (self->state_label);
  const char *text = cz_message_state_describe (state);
  const char *why = cz_chat_message_get_error (self->msg);
  gboolean failed = state == CZ_MESSAGE_STATE_FAILED;
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *focus;
  g_autofree char *shown = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (state_classes); i++)
    if (state_classes[i])
      gtk_style_context_remove_class (ctx, state_classes[i]);
  if (state_classes[state])
    gtk_style_context_add_class (ctx, state_classes[state]);
  switch (state)
    {
    case CZ_MESSAGE_STATE_FAILED:
      if (why && *why)
        /* TRANSLATORS: under an own message the server refused: "Not sent: there is
         * no such user" (the reason comes from the server or the connection) */
        shown = g_strdup_printf (_("Not sent: %s"), why);
      else
        shown = g_strdup (text);
      break;
    default:
      shown = g_strdup (text);
    }
  gtk_widget_set_visible (self->state_label, text != NULL);
  gtk_label_set_text (GTK_LABEL (self->state_label), text ? shown : "");
  /* The label's own accessible name is the bare state word. */
  atk_object_set_name (gtk_widget_get_accessible (self->state_label), text ? text : "");
  gtk_widget_set_tooltip_text (self->state_label, why);

  /* Retry and Discard while it is not sent.  A button about to hide hands
   * the keyboard focus to the row, so the person does not lose their place. */
  focus = GTK_IS_WINDOW (toplevel) ? gtk_window_get_focus (GTK_WINDOW (toplevel)) : NULL;
  if (!failed && focus && gtk_widget_is_ancestor (focus, self->actions_box))
    gtk_widget_grab_focus (GTK_WIDGET (self));
  gtk_widget_set_visible (self->actions_box, failed);
  gtk_widget_set_visible (self->retry_button, cz_chat_message_can_retry (self->msg));
  update_accessible (self, state == CZ_MESSAGE_STATE_FAILED ? shown : text);
}

static void
retry_clicked_cb (GtkButton *button, CzMessageRow *self)
{
  g_signal_emit (self, row_signals[ROW_SIGNAL_RETRY], 0);
}

static void
discard_clicked_cb (GtkButton *button, CzMessageRow *self)
{
  g_signal_emit (self, row_signals[ROW_SIGNAL_DISCARD], 0);
}

static void
state_changed_cb (CzChatMessage *msg, GParamSpec *pspec, CzMessageRow *self)
{
  update_state (self);
}

static void
id_changed_cb (CzChatMessage *msg, GParamSpec *pspec, CzMessageRow *self)
{
  g_autofree char *time = cz_chat_message_format_time (self->msg);
  gtk_label_set_text (GTK_LABEL (self->time_label), time);
}

static void
cz_message_row_dispose (GObject *object)
{
  CzMessageRow *self = CZ_MESSAGE_ROW (object);

  g_clear_object (&self->msg);
  G_OBJECT_CLASS (cz_message_row_parent_class)->dispose (object);
}

static void
cz_message_row_class_init (CzMessageRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = cz_message_row_dispose;

  /**
   * CzMessageRow::retry:
   *
   * The person pressed Retry under a message not sent.
   */
  row_signals[ROW_SIGNAL_RETRY] = g_signal_new ("retry", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 0);
  /**
   * CzMessageRow::discard:
   *
   * The person pressed Discard under a message not sent.
   */
  row_signals[ROW_SIGNAL_DISCARD] = g_signal_new ("discard", G_TYPE_FROM_CLASS (klass),
                                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Client/cz-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CzMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, CzMessageRow, sender_label);
  gtk_widget_class_bind_template_child (widget_class, CzMessageRow, offline_label);
  gtk_widget_class_bind_template_child (widget_class, CzMessageRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, CzMessageRow, text_label);
  gtk_widget_class_bind_template_child (widget_class, CzMessageRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, CzMessageRow, actions_box);
  gtk_widget_class_bind_template_child (widget_class, CzMessageRow, retry_button);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, discard_clicked_cb);
}

static void
cz_message_row_init (CzMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cz_message_row_new (CzChatMessage *msg)
{
  CzMessageRow *self = g_object_new (CZ_TYPE_MESSAGE_ROW, NULL);
  g_autofree char *time = NULL;
  gboolean own = cz_chat_message_get_own (msg);

  self->msg = g_object_ref (msg);
  time = cz_chat_message_format_time (msg);
  gtk_label_set_text (GTK_LABEL (self->sender_label),
                      own ? _("You") : cz_chat_message_get_from (msg));
  gtk_label_set_text (GTK_LABEL (self->time_label), time);
  gtk_label_set_text (GTK_LABEL (self->text_label), cz_chat_message_get_text (msg));
  gtk_widget_set_visible (self->offline_label, cz_chat_message_get_offline (msg));
  if (own)
    {
      gtk_widget_set_halign (self->bubble, GTK_ALIGN_END);
      gtk_style_context_add_class (gtk_widget_get_style_context (self->bubble), "cz-own");
    }
  update_state (self);
  g_signal_connect_object (msg, "notify::state", G_CALLBACK (state_changed_cb), self, 0);
  g_signal_connect_object (msg, "notify::id", G_CALLBACK (id_changed_cb), self, 0);
  return GTK_WIDGET (self);
}

CzChatMessage *
cz_message_row_get_message (CzMessageRow *row)
{
  return row->msg;
}

const char *
cz_message_row_get_state_text (CzMessageRow *row)
{
  return gtk_widget_get_visible (row->state_label)
           ? cz_message_state_describe (cz_chat_message_get_state (row->msg)) : "";
}

/* ---- CzConversationRow ------------------------------------------------------------- */

struct _CzConversationRow {
  GtkListBoxRow parent_instance;

  CzConversation *conv;
  GtkWidget *icon;
  GtkWidget *dot;
  GtkWidget *name_label;
  GtkWidget *unread_label;
};

G_DEFINE_FINAL_TYPE (CzConversationRow, cz_conversation_row, GTK_TYPE_LIST_BOX_ROW)

static void
conversation_update (CzConversationRow *self)
{
  guint unread = cz_conversation_get_unread (self->conv);
  gboolean online = cz_conversation_get_online (self->conv);
  gboolean lobby = cz_conversation_is_lobby (self->conv);
  GtkStyleContext *ctx = gtk_widget_get_style_context (self->dot);
  g_autofree char *badge = g_strdup_printf ("%u", unread);
  g_autofree char *name = NULL;
  const char *title = cz_conversation_get_title (self->conv);

  gtk_widget_set_visible (self->unread_label, unread > 0);
  gtk_label_set_text (GTK_LABEL (self->unread_label), unread > 0 ? badge : "");
  gtk_widget_set_visible (self->dot, !lobby);
  gtk_widget_set_visible (self->icon, lobby);
  if (online)
    gtk_style_context_add_class (ctx, "cz-online");
  else
    gtk_style_context_remove_class (ctx, "cz-online");
  gtk_widget_set_tooltip_text (self->dot, online ? _("Online") : _("Offline"));
  if (lobby)
    name = unread ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s, %u unread",
                                                  "%s, %u unread", unread), title, unread)
                  : g_strdup (title);
  else if (unread)
    /* TRANSLATORS: a person in the sidebar: name, online state, unread count */
    name = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s, %s, %u unread",
                                         "%s, %s, %u unread", unread),
                            title, online ? _("online") : _("offline"), unread);
  else
    name = g_strdup_printf ("%s, %s", title, online ? _("online") : _("offline"));
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self)), name);
  if (unread > 0)
    gtk_style_context_add_class (gtk_widget_get_style_context (self->name_label), "cz-has-unread");
  else
    gtk_style_context_remove_class (gtk_widget_get_style_context (self->name_label),
                                    "cz-has-unread");
}

static void
conversation_changed_cb (CzConversation *conv, GParamSpec *pspec, CzConversationRow *self)
{
  conversation_update (self);
}

static void
cz_conversation_row_dispose (GObject *object)
{
  CzConversationRow *self = CZ_CONVERSATION_ROW (object);

  g_clear_object (&self->conv);
  G_OBJECT_CLASS (cz_conversation_row_parent_class)->dispose (object);
}

static void
cz_conversation_row_class_init (CzConversationRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = cz_conversation_row_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Client/cz-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CzConversationRow, icon);
  gtk_widget_class_bind_template_child (widget_class, CzConversationRow, dot);
  gtk_widget_class_bind_template_child (widget_class, CzConversationRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, CzConversationRow, unread_label);
}

static void
cz_conversation_row_init (CzConversationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cz_conversation_row_new (CzConversation *conv)
{
  CzConversationRow *self = g_object_new (CZ_TYPE_CONVERSATION_ROW, NULL);

  self->conv = g_object_ref (conv);
  gtk_label_set_text (GTK_LABEL (self->name_label), cz_conversation_get_title (conv));
  gtk_image_set_from_icon_name (GTK_IMAGE (self->icon), "system-users-symbolic",
                                GTK_ICON_SIZE_BUTTON);
  conversation_update (self);
  g_signal_connect_object (conv, "notify::unread", G_CALLBACK (conversation_changed_cb), self, 0);
  g_signal_connect_object (conv, "notify::online", G_CALLBACK (conversation_changed_cb), self, 0);
  return GTK_WIDGET (self);
}

CzConversation *
cz_conversation_row_get_conversation (CzConversationRow *row)
{
  return row->conv;
}

const char *
cz_conversation_row_get_badge (CzConversationRow *row)
{
  return gtk_widget_get_visible (row->unread_label)
           ? gtk_label_get_text (GTK_LABEL (row->unread_label)) : "";
}
