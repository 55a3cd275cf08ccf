/* cz-client-window.c: the main window.  It wires the connect view and the
 * chat view to a CzClientSession, shows trust prompts and errors, keeps
 * the header bar and the actions up to date, and sends notifications. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "cz-util.h"
#include "cz-client-window.h"
#include "cz-client-dialogs.h"

#define MAX_RECENT 8

struct _CzClientWindow {
  GtkApplicationWindow parent_instance;

  GSettings *settings;
  CzChatModel *model;
  CzClientSession *session;
  GtkWidget *trust_dialog;
  CzConversation *watched;    /* the shown conversation whose presence the subtitle shows */
  gulong watched_id;
  guint notifications;

  GtkWidget *header_bar;
  GtkWidget *menu_button;
  GtkWidget *details_button;
  GtkWidget *details_icon;
  GtkWidget *stack;
  GtkWidget *connect_view;
  GtkWidget *chat_view;
};

G_DEFINE_FINAL_TYPE (CzClientWindow, cz_client_window, GTK_TYPE_APPLICATION_WINDOW)

static void update_header (CzClientWindow *self);

/* ---- Header and actions ---------------------------------------------------------- */

static gboolean
chat_visible (CzClientWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (self->stack)), "chat") == 0;
}

static void
set_action_enabled (CzClientWindow *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* The header's lock: closed only while a live connection is up; while
 * the connection is lost (and being retried) it says so. */
static void
update_lock (CzClientWindow *self)
{
  gboolean online = cz_client_session_get_state (self->session) == CZ_SESSION_ONLINE;
  AtkObject *acc = gtk_widget_get_accessible (self->details_button);

  gtk_image_set_from_icon_name (GTK_IMAGE (self->details_icon),
                                online ? "channel-secure-symbolic" : "network-offline-symbolic",
                                GTK_ICON_SIZE_BUTTON);
  atk_object_set_name (acc, online ? _("Connection details") : _("Not connected"));
  gtk_widget_set_tooltip_text (self->details_button,
                               online ? _("Connection Details (Ctrl+I)")
                                      : _("Not connected: the last connection’s details (Ctrl+I)"));
  if (online)
    gtk_style_context_remove_class (gtk_widget_get_style_context (self->details_button),
                                    "cz-offline-lock");
  else
    gtk_style_context_add_class (gtk_widget_get_style_context (self->details_button),
                                 "cz-offline-lock");
}

static void
update_actions (CzClientWindow *self)
{
  CzSessionState state = cz_client_session_get_state (self->session);
  gboolean chat = chat_visible (self);

  set_action_enabled (self, "details", cz_client_session_get_info (self->session) != NULL
                                         && state != CZ_SESSION_IDLE);
  set_action_enabled (self, "logout", state != CZ_SESSION_IDLE || chat);
  set_action_enabled (self, "next-conversation", chat);
  set_action_enabled (self, "previous-conversation", chat);
  set_action_enabled (self, "focus-entry", chat);
  gtk_widget_set_visible (self->details_button, chat);
  update_lock (self);
}

static void
watched_online_cb (CzConversation *conv, GParamSpec *pspec, CzClientWindow *self)
{
  update_header (self);
}

static void
update_header (CzClientWindow *self)
{
  GtkHeaderBar *bar = GTK_HEADER_BAR (self->header_bar);
  CzConversation *conv = cz_chat_view_get_conversation (CZ_CHAT_VIEW (self->chat_view));
  CzSessionState state = cz_client_session_get_state (self->session);
  g_autofree char *subtitle = NULL;

  if (!chat_visible (self) || conv == NULL)
    {
      gtk_header_bar_set_title (bar, _("Causerie"));
      gtk_header_bar_set_subtitle (bar, NULL);
      return;
    }
  gtk_header_bar_set_title (bar, cz_conversation_get_title (conv));
  if (state == CZ_SESSION_RECONNECTING)
    subtitle = g_strdup (_("Reconnecting…"));
  else if (cz_conversation_is_lobby (conv))
    /* TRANSLATORS: header bar subtitle in the lobby: "alice on chat.example.org:7443" */
    subtitle = g_strdup_printf (_("%s on %s"), cz_client_session_get_user (self->session),
                                cz_client_session_get_server (self->session));
  else
    subtitle = g_strdup (cz_conversation_get_online (conv) ? _("Online") : _("Offline"));
  gtk_header_bar_set_subtitle (bar, subtitle);
}

static void
watch_conversation (CzClientWindow *self, CzConversation *conv)
{
  if (self->watched)
    g_clear_signal_handler (&self->watched_id, self->watched);
  g_set_object (&self->watched, conv);
  if (conv)
    self->watched_id = g_signal_connect_object (conv, "notify::online",
                                                G_CALLBACK (watched_online_cb), self, 0);
}

/* ---- Seeing and notifying ------------------------------------------------------------- */

static char *
notification_id (const char *key)
{
  return g_strconcat ("conversation-", key, NULL);
}

/* The person can see @conv now: clear its unread count, send receipts. */
static void
conversation_seen (CzClientWindow *self)
{
  CzConversation *conv = cz_chat_view_get_conversation (CZ_CHAT_VIEW (self->chat_view));
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  if (conv == NULL || !chat_visible (self) || !gtk_window_is_active (GTK_WINDOW (self)))
    return;
  cz_client_session_conversation_seen (self->session, conv);
  if (app && g_application_get_is_registered (app))
    {
      g_autofree char *id = notification_id (cz_conversation_get_key (conv));
      g_application_withdraw_notification (app, id);
    }
}

static void
active_changed_cb (CzClientWindow *self, GParamSpec *pspec, gpointer user_data)
{
  gboolean active = gtk_window_is_active (GTK_WINDOW (self));

  cz_chat_model_set_focused (self->model, active && chat_visible (self));
  if (active)
    conversation_seen (self);
}

static void
message_added_cb (CzChatModel *model, CzConversation *conv, CzChatMessage *msg,
                  CzClientWindow *self)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autoptr(GNotification) note = NULL;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  g_autofree char *id = NULL;
  const char *text = cz_chat_message_get_text (msg);

  if (cz_chat_message_get_own (msg)
      || (self->settings && !g_settings_get_boolean (self->settings, "notifications")))
    return;
  if (gtk_window_is_active (GTK_WINDOW (self)) && chat_visible (self)
      && cz_chat_view_get_conversation (CZ_CHAT_VIEW (self->chat_view)) == conv)
    return;
  self->notifications++;
  if (app == NULL || !g_application_get_is_registered (app))
    return;
  title = cz_conversation_is_lobby (conv)
            /* TRANSLATORS: notification title for a lobby message */
            ? g_strdup_printf (_("%s in the lobby"), cz_chat_message_get_from (msg))
            : g_strdup (cz_chat_message_get_from (msg));
  body = g_utf8_strlen (text, -1) > 200 ? g_strdup_printf ("%.*s…",
                                                           (int) (g_utf8_offset_to_pointer (text, 200) - text),
                                                           text)
                                        : g_strdup (text);
  note = g_notification_new (title);
  g_notification_set_body (note, body);
  g_notification_set_default_action_and_target (note, "app.show-conversation", "s",
                                                cz_conversation_get_key (conv));
  id = notification_id (cz_conversation_get_key (conv));
  g_application_send_notification (app, id, note);
}

/* ---- Session --------------------------------------------------------------------------- */

static void
show_page (CzClientWindow *self, const char *name)
{
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), name);
  cz_chat_model_set_focused (self->model, g_str_equal (name, "chat")
                                            && gtk_window_is_active (GTK_WINDOW (self)));
  if (g_str_equal (name, "chat"))
    cz_chat_view_focus_entry (CZ_CHAT_VIEW (self->chat_view));
  else
    cz_connect_view_focus (CZ_CONNECT_VIEW (self->connect_view));
}

static void
close_trust_dialog (CzClientWindow *self)
{
  if (self->trust_dialog)
    gtk_widget_destroy (self->trust_dialog);
}

static void
update_reconnect_bar (CzClientWindow *self)
{
  guint left = cz_client_session_get_retry_seconds (self->session);
  g_autofree char *text = NULL;

  if (cz_client_session_get_state (self->session) != CZ_SESSION_RECONNECTING)
    {
      cz_chat_view_set_reconnecting (CZ_CHAT_VIEW (self->chat_view), NULL);
      return;
    }
  if (left > 0)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "The connection to %s was lost. Reconnecting in %u "
                                         "second… Messages you write now are sent then.",
                                         "The connection to %s was lost. Reconnecting in %u "
                                         "seconds… Messages you write now are sent then.", left),
                            cz_client_session_get_server (self->session), left);
  else
    text = g_strdup_printf (_("The connection to %s was lost. Reconnecting…"),
                            cz_client_session_get_server (self->session));
  cz_chat_view_set_reconnecting (CZ_CHAT_VIEW (self->chat_view), text);
}

static void
session_state_cb (CzClientSession *session, GParamSpec *pspec, CzClientWindow *self)
{
  CzConnectView *form = CZ_CONNECT_VIEW (self->connect_view);
  CzSessionState state = cz_client_session_get_state (session);
  g_autofree char *status = NULL;

  switch (state)
    {
    case CZ_SESSION_IDLE:
      close_trust_dialog (self);
      cz_connect_view_set_busy (form, FALSE, NULL);
      if (chat_visible (self))
        show_page (self, "connect");
      break;
    case CZ_SESSION_CONNECTING:
      status = g_strdup_printf (_("Connecting to %s…"), cz_client_session_get_server (session));
      cz_connect_view_set_busy (form, TRUE, status);
      break;
    case CZ_SESSION_TRUST:
      cz_connect_view_set_busy (form, TRUE, _("Waiting for you to check the server’s key…"));
      break;
    case CZ_SESSION_AUTHENTICATING:
      status = g_strdup_printf (_("Logging in as %s…"), cz_client_session_get_user (session));
      cz_connect_view_set_busy (form, TRUE, status);
      break;
    case CZ_SESSION_ONLINE:
      cz_connect_view_set_busy (form, FALSE, NULL);
      cz_connect_view_clear_password (form);
      if (!chat_visible (self))
        show_page (self, "chat");
      break;
    case CZ_SESSION_RECONNECTING:
    default:
      break;
    }
  update_reconnect_bar (self);
  update_actions (self);
  update_header (self);
  if (state == CZ_SESSION_ONLINE)
    conversation_seen (self);
}

static void
session_retry_cb (CzClientSession *session, GParamSpec *pspec, CzClientWindow *self)
{
  update_reconnect_bar (self);
}

static void
session_failed_cb (CzClientSession *session, const char *title, const char *detail,
                   CzClientWindow *self)
{
  close_trust_dialog (self);
  if (chat_visible (self))
    show_page (self, "connect");
  cz_connect_view_show_error (CZ_CONNECT_VIEW (self->connect_view), title, detail);
  update_actions (self);
  update_header (self);
}

static void
trust_response_cb (GtkDialog *dialog, int response, CzClientWindow *self)
{
  self->trust_dialog = NULL;
  gtk_widget_destroy (GTK_WIDGET (dialog));
  cz_client_session_trust (self->session, response == GTK_RESPONSE_ACCEPT);
}

static void
session_trust_cb (CzClientSession *session, const char *fingerprint, CzClientWindow *self)
{
  close_trust_dialog (self);
  self->trust_dialog = cz_trust_dialog_new (GTK_WINDOW (self),
                                            cz_client_session_get_server (session), fingerprint);
  g_signal_connect_object (self->trust_dialog, "response", G_CALLBACK (trust_response_cb), self, 0);
  g_object_add_weak_pointer (G_OBJECT (self->trust_dialog), (gpointer *) &self->trust_dialog);
  gtk_window_present (GTK_WINDOW (self->trust_dialog));
}

/* ---- Views ---------------------------------------------------------------------------- */

/* "host:port", "[::1]:port": how recent-servers names a server. */
static char *
server_entry (const char *host, guint16 port)
{
  return strchr (host, ':') ? g_strdup_printf ("[%s]:%u", host, port)
                            : g_strdup_printf ("%s:%u", host, port);
}

/* Puts the server first in recent-servers, and what was used with it
 * (trust, CA file, user, client certificate) in "servers"; servers that
 * fell off the recent list are forgotten there too. */
static void
remember_server (CzClientWindow *self, const CzSessionParams *params)
{
  g_autofree char *entry = server_entry (params->host, params->port);
  g_auto(GStrv) old = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GVariant) profiles = NULL;
  GVariantBuilder all, one;

  if (self->settings == NULL)
    return;
  old = g_settings_get_strv (self->settings, "recent-servers");
  g_ptr_array_add (list, g_strdup (entry));
  for (guint i = 0; old[i] && list->len < MAX_RECENT; i++)
    if (!g_str_equal (old[i], entry))
      g_ptr_array_add (list, g_strdup (old[i]));

  profiles = g_settings_get_value (self->settings, "servers");
  g_variant_builder_init (&all, G_VARIANT_TYPE ("a{sa{sv}}"));
  g_variant_builder_init (&one, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&one, "{sv}", "trust",
                         g_variant_new_string (cz_trust_mode_name (params->trust)));
  g_variant_builder_add (&one, "{sv}", "ca-file",
                         g_variant_new_string (params->ca_file ? params->ca_file : ""));
  g_variant_builder_add (&one, "{sv}", "user", g_variant_new_string (params->user));
  g_variant_builder_add (&one, "{sv}", "client-cert-file",
                         g_variant_new_string (params->cert_file ? params->cert_file : ""));
  g_variant_builder_add (&one, "{sv}", "client-key-file",
                         g_variant_new_string (params->key_file ? params->key_file : ""));
  g_variant_builder_add (&all, "{s@a{sv}}", entry, g_variant_builder_end (&one));
  for (guint i = 1; i < list->len; i++)
    {
      g_autoptr(GVariant) kept = g_variant_lookup_value (profiles, list->pdata[i],
                                                         G_VARIANT_TYPE_VARDICT);
      if (kept)
        g_variant_builder_add (&all, "{s@a{sv}}", (const char *) list->pdata[i], kept);
    }
  g_settings_set_value (self->settings, "servers", g_variant_builder_end (&all));

  g_ptr_array_add (list, NULL);
  g_settings_set_strv (self->settings, "recent-servers", (const char *const *) list->pdata);
  cz_connect_view_set_recent (CZ_CONNECT_VIEW (self->connect_view),
                              (const char *const *) list->pdata);
}

/* Fills the form with what was last used with @entry ("host:port").
 * FALSE if nothing is known about it. */
static gboolean
apply_server_profile (CzClientWindow *self, const char *entry)
{
  CzConnectView *form = CZ_CONNECT_VIEW (self->connect_view);
  g_autoptr(GVariant) profiles = NULL;
  g_autoptr(GVariant) profile = NULL;
  const char *trust = "ca", *ca_file = "", *user = "", *cert = "", *key = "";

  if (self->settings == NULL || entry == NULL)
    return FALSE;
  profiles = g_settings_get_value (self->settings, "servers");
  profile = g_variant_lookup_value (profiles, entry, G_VARIANT_TYPE_VARDICT);
  if (profile == NULL)
    return FALSE;
  g_variant_lookup (profile, "trust", "&s", &trust);
  g_variant_lookup (profile, "ca-file", "&s", &ca_file);
  g_variant_lookup (profile, "user", "&s", &user);
  g_variant_lookup (profile, "client-cert-file", "&s", &cert);
  g_variant_lookup (profile, "client-key-file", "&s", &key);
  cz_connect_view_set_trust (form, g_str_equal (trust, "first-use") ? CZ_TRUST_TOFU : CZ_TRUST_CA,
                             *ca_file ? ca_file : NULL);
  cz_connect_view_set_client_cert (form, cert, key);
  if (*user)
    cz_connect_view_set_user (form, user);
  return TRUE;
}

static void
connect_server_picked_cb (CzConnectView *form, const char *entry, CzClientWindow *self)
{
  apply_server_profile (self, entry);
}

static void
connect_login_cb (CzConnectView *form, gboolean create_account, CzClientWindow *self)
{
  g_autofree char *host = cz_connect_view_get_host (form);
  g_autofree char *ca_file = cz_connect_view_get_ca_file (form);
  g_autofree char *cert_file = cz_connect_view_get_cert_file (form);
  g_autofree char *key_file = cz_connect_view_get_key_file (form);
  CzSessionParams params = {
    .host = host,
    .port = cz_connect_view_get_port (form),
    .trust = cz_connect_view_get_trust (form),
    .ca_file = ca_file,
    .user = cz_connect_view_get_user (form),
    .password = cz_connect_view_get_password (form),
    .create_account = create_account,
    .cert_file = cert_file,
    .key_file = key_file,
  };

  remember_server (self, &params);
  if (self->settings)
    {
      /* The last ones used, for a server not in the list. */
      g_settings_set_string (self->settings, "user-name", params.user);
      g_settings_set_string (self->settings, "trust-mode", cz_trust_mode_name (params.trust));
      if (ca_file)
        g_settings_set_string (self->settings, "ca-file", ca_file);
      /* Empty when none was used: the next start shows the section folded. */
      g_settings_set_string (self->settings, "client-cert-file", cert_file ? cert_file : "");
      g_settings_set_string (self->settings, "client-key-file", key_file ? key_file : "");
    }
  cz_client_session_set_send_receipts (self->session,
                                       self->settings == NULL
                                       || g_settings_get_boolean (self->settings,
                                                                  "send-read-receipts"));
  cz_client_session_start (self->session, &params);
}

static void
connect_cancel_cb (CzConnectView *form, CzClientWindow *self)
{
  cz_client_session_cancel (self->session);
}

static void
chat_send_cb (CzChatView *view, const char *key, const char *text, CzClientWindow *self)
{
  cz_client_session_send (self->session, key, text);
}

static void
chat_retry_cb (CzChatView *view, CzChatMessage *msg, CzClientWindow *self)
{
  cz_client_session_retry (self->session, msg);
}

static void
chat_discard_cb (CzChatView *view, CzChatMessage *msg, CzClientWindow *self)
{
  cz_chat_model_discard (self->model, msg);
}

static void
chat_load_older_cb (CzChatView *view, CzConversation *conv, CzClientWindow *self)
{
  cz_client_session_load_history (self->session, conv);
}

static void
chat_shown_cb (CzChatView *view, CzConversation *conv, CzClientWindow *self)
{
  cz_chat_model_set_active (self->model, conv);
  watch_conversation (self, conv);
  update_header (self);
  conversation_seen (self);
}

static void
chat_reconnect_cb (CzChatView *view, CzClientWindow *self)
{
  cz_client_session_reconnect_now (self->session);
}

static void
receipts_changed_cb (GSettings *settings, const char *key, CzClientWindow *self)
{
  cz_client_session_set_send_receipts (self->session,
                                       g_settings_get_boolean (settings, "send-read-receipts"));
}

/* ---- Actions ---------------------------------------------------------------------------- */

static void
details_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  CzClientWindow *self = user_data;
  CzSessionInfo *info = cz_client_session_get_info (self->session);
  GtkWidget *dialog;

  if (info == NULL)
    return;
  dialog = cz_details_dialog_new (GTK_WINDOW (self), cz_client_session_get_server (self->session),
                                  info, cz_client_session_get_fingerprint (self->session),
                                  cz_client_session_get_cert_file (self->session) != NULL);
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
logout_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  CzClientWindow *self = user_data;

  cz_client_session_logout (self->session);
  show_page (self, "connect");
  update_actions (self);
  update_header (self);
}

static void
next_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  cz_chat_view_select_relative (CZ_CHAT_VIEW (CZ_CLIENT_WINDOW (user_data)->chat_view), 1);
}

static void
previous_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  cz_chat_view_select_relative (CZ_CHAT_VIEW (CZ_CLIENT_WINDOW (user_data)->chat_view), -1);
}

static void
focus_entry_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  cz_chat_view_focus_entry (CZ_CHAT_VIEW (CZ_CLIENT_WINDOW (user_data)->chat_view));
}

static void
show_menu_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  CzClientWindow *self = user_data;
  GtkToggleButton *button = GTK_TOGGLE_BUTTON (self->menu_button);

  gtk_toggle_button_set_active (button, !gtk_toggle_button_get_active (button));
}

static const GActionEntry win_entries[] = {
  { "details", details_activated, NULL, NULL, NULL, { 0 } },
  { "logout", logout_activated, NULL, NULL, NULL, { 0 } },
  { "next-conversation", next_activated, NULL, NULL, NULL, { 0 } },
  { "previous-conversation", previous_activated, NULL, NULL, NULL, { 0 } },
  { "focus-entry", focus_entry_activated, NULL, NULL, NULL, { 0 } },
  { "show-menu", show_menu_activated, NULL, NULL, NULL, { 0 } },
};

/* ---- Object ------------------------------------------------------------------------------ */

static void
save_geometry (CzClientWindow *self)
{
  int width, height;
  gboolean maximized = gtk_window_is_maximized (GTK_WINDOW (self));

  if (self->settings == NULL)
    return;
  g_settings_set_boolean (self->settings, "window-maximized", maximized);
  if (maximized)
    return;
  gtk_window_get_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
}

static gboolean
cz_client_window_delete_event (GtkWidget *widget, GdkEventAny *event)
{
  save_geometry (CZ_CLIENT_WINDOW (widget));
  return GDK_EVENT_PROPAGATE;
}

static void
cz_client_window_dispose (GObject *object)
{
  CzClientWindow *self = CZ_CLIENT_WINDOW (object);

  close_trust_dialog (self);
  watch_conversation (self, NULL);
  if (self->session)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      cz_client_session_cancel (self->session);
    }
  if (self->model)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->session);
  g_clear_object (&self->model);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (cz_client_window_parent_class)->dispose (object);
}

static void
cz_client_window_class_init (CzClientWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = cz_client_window_dispose;
  widget_class->delete_event = cz_client_window_delete_event;

  g_resources_register (causerie_client_get_resource ());
  g_type_ensure (CZ_TYPE_CONNECT_VIEW);
  g_type_ensure (CZ_TYPE_CHAT_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Client/cz-client-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CzClientWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, CzClientWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, CzClientWindow, details_button);
  gtk_widget_class_bind_template_child (widget_class, CzClientWindow, details_icon);
  gtk_widget_class_bind_template_child (widget_class, CzClientWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, CzClientWindow, connect_view);
  gtk_widget_class_bind_template_child (widget_class, CzClientWindow, chat_view);
  gtk_widget_class_bind_template_callback (widget_class, connect_login_cb);
  gtk_widget_class_bind_template_callback (widget_class, connect_cancel_cb);
  gtk_widget_class_bind_template_callback (widget_class, connect_server_picked_cb);
  gtk_widget_class_bind_template_callback (widget_class, chat_send_cb);
  gtk_widget_class_bind_template_callback (widget_class, chat_load_older_cb);
  gtk_widget_class_bind_template_callback (widget_class, chat_shown_cb);
  gtk_widget_class_bind_template_callback (widget_class, chat_reconnect_cb);
  gtk_widget_class_bind_template_callback (widget_class, chat_retry_cb);
  gtk_widget_class_bind_template_callback (widget_class, chat_discard_cb);
}

static void
prefill_from_settings (CzClientWindow *self)
{
  g_auto(GStrv) recent = g_settings_get_strv (self->settings, "recent-servers");
  g_autofree char *user = g_settings_get_string (self->settings, "user-name");
  g_autofree char *trust = g_settings_get_string (self->settings, "trust-mode");
  g_autofree char *ca_file = g_settings_get_string (self->settings, "ca-file");
  g_autofree char *cert_file = g_settings_get_string (self->settings, "client-cert-file");
  g_autofree char *key_file = g_settings_get_string (self->settings, "client-key-file");
  CzConnectView *form = CZ_CONNECT_VIEW (self->connect_view);

  cz_connect_view_set_recent (form, (const char *const *) recent);
  if (recent[0])
    {
      const char *colon = strrchr (recent[0], ':');
      g_autofree char *host = colon ? g_strndup (recent[0], colon - recent[0]) : g_strdup (recent[0]);
      if (host[0] == '[')
        {
          char *inner = g_strndup (host + 1, strlen (host) - 2);
          g_free (host);
          host = inner;
        }
      cz_connect_view_set_server (form, host, colon ? (guint16) g_ascii_strtoull (colon + 1, NULL, 10)
                                                    : 0);
    }
  cz_connect_view_set_trust (form, g_str_equal (trust, "first-use") ? CZ_TRUST_TOFU : CZ_TRUST_CA,
                             *ca_file ? ca_file : NULL);
  cz_connect_view_set_client_cert (form, cert_file, key_file);
  cz_connect_view_set_user (form, *user ? user : NULL);
  /* What was used with that server, if it is known. */
  if (recent[0])
    apply_server_profile (self, recent[0]);
}

static void
cz_client_window_init (CzClientWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* Installed, or compiled in the build tree (a window run from _build/);
   * the window keeps its form and size there, so it cannot go without. */
  self->settings = cz_settings_new ("org.causerie.Client");
  if (self->settings == NULL)
    g_error ("cannot start without the org.causerie.Client settings schema");
  self->model = cz_chat_model_new ();
  self->session = cz_client_session_new (self->model);
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries, G_N_ELEMENTS (win_entries),
                                   self);
  cz_chat_view_set_model (CZ_CHAT_VIEW (self->chat_view), self->model);

  g_signal_connect (self->session, "notify::state", G_CALLBACK (session_state_cb), self);
  g_signal_connect (self->session, "notify::retry-seconds", G_CALLBACK (session_retry_cb), self);
  g_signal_connect (self->session, "failed", G_CALLBACK (session_failed_cb), self);
  g_signal_connect (self->session, "trust-prompt", G_CALLBACK (session_trust_cb), self);
  g_signal_connect (self->model, "message-added", G_CALLBACK (message_added_cb), self);
  g_signal_connect (self, "notify::is-active", G_CALLBACK (active_changed_cb), NULL);
  g_signal_connect_object (self->settings, "changed::send-read-receipts",
                           G_CALLBACK (receipts_changed_cb), self, 0);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  if (self->settings)
    prefill_from_settings (self);
  update_actions (self);
  cz_connect_view_focus (CZ_CONNECT_VIEW (self->connect_view));
}

CzClientWindow *
cz_client_window_new (GtkApplication *app)
{
  return g_object_new (CZ_TYPE_CLIENT_WINDOW, "application", app, NULL);
}

void
cz_client_window_prefill (CzClientWindow *self, const char *host, guint16 port,
                          const char *ca_file)
{
  CzConnectView *form = CZ_CONNECT_VIEW (self->connect_view);

  if (cz_client_session_get_state (self->session) != CZ_SESSION_IDLE)
    return;   /* a second launch does not disturb a session */
  cz_connect_view_set_server (form, host, port);
  if (ca_file)
    cz_connect_view_set_trust (form, CZ_TRUST_CA, ca_file);
  cz_connect_view_focus (form);
}

void
cz_client_window_prefill_client_cert (CzClientWindow *self, const char *cert_file,
                                      const char *key_file)
{
  if (cz_client_session_get_state (self->session) != CZ_SESSION_IDLE)
    return;
  cz_connect_view_set_client_cert (CZ_CONNECT_VIEW (self->connect_view), cert_file, key_file);
}

void
cz_client_window_show_conversation (CzClientWindow *self, const char *key)
{
  if (chat_visible (self))
    cz_chat_view_select (CZ_CHAT_VIEW (self->chat_view), key);
  gtk_window_present (GTK_WINDOW (self));
}

CzClientSession *cz_client_window_get_session (CzClientWindow *self) { return self->session; }
CzChatModel *cz_client_window_get_model (CzClientWindow *self) { return self->model; }
CzConnectView *cz_client_window_get_connect_view (CzClientWindow *self) { return CZ_CONNECT_VIEW (self->connect_view); }
CzChatView *cz_client_window_get_chat_view (CzClientWindow *self) { return CZ_CHAT_VIEW (self->chat_view); }
guint cz_client_window_get_notification_count (CzClientWindow *self) { return self->notifications; }
