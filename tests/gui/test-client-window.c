/* test-client-window.c: the client window's widgets in-process: every
 * control has an accessible name, the chat view shows the model (rows, day
 * separators, states, unread badges), Enter sends and Shift+Enter does not,
 * the connect form checks its fields, notifications are decided, and a real
 * login reaches the chat view and the connection details; the client
 * certificate section (mutual TLS) against a server that requires one.
 * Skips without DISPLAY. */
#include "config.h"

#ifdef __SANITIZE_ADDRESS__
/* GLib drops its first block of quarks on purpose once GTK has made more
 * than 2,048 (g_quark_init's, in a library constructor); LeakSanitizer
 * can only match the suppression with full stacks. */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}
#endif

#include <string.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "cz-cert.h"
#include "cz-cert-generate.h"
#include "cz-chat-model-private.h"
#include "cz-chat-rows.h"
#include "cz-chat-view.h"
#include "cz-client-dialogs.h"
#include "cz-client-window.h"
#include "cz-util.h"
#include "testutil.h"
#include "client-gui-testutil.h"

static GVariant *
fields (gint64 id, const char *from, const char *to, const char *text)
{
  GVariantDict d;

  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "id", "x", id);
  g_variant_dict_insert (&d, "ts", "x", g_get_real_time () / 1000);
  g_variant_dict_insert (&d, "from", "s", from);
  g_variant_dict_insert (&d, "text", "s", text);
  g_variant_dict_insert (&d, "offline", "b", FALSE);
  if (to)
    g_variant_dict_insert (&d, "to", "s", to);
  else
    g_variant_dict_insert (&d, "room", "s", "lobby");
  return g_variant_ref_sink (g_variant_dict_end (&d));
}

static void
add (CzChatModel *model, GVariant *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzClientMessage) message = cz_client_message_new_from_fields (f, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cz_chat_model_add_message (model, message));
  g_variant_unref (f);
}

/* ---- Accessible names ------------------------------------------------------------ */

static gboolean
is_control (GtkWidget *w)
{
  return GTK_IS_BUTTON (w) || GTK_IS_ENTRY (w) || GTK_IS_TEXT_VIEW (w) || GTK_IS_COMBO_BOX (w)
         || GTK_IS_SWITCH (w) || GTK_IS_LIST_BOX (w) || GTK_IS_LIST_BOX_ROW (w)
         || GTK_IS_FILE_CHOOSER_BUTTON (w);
}

static void
check_names (GtkWidget *w, gpointer data)
{
  guint *checked = data;

  if (!gtk_widget_get_visible (w))
    return;
  if (is_control (w))
    {
      const char *name = atk_object_get_name (gtk_widget_get_accessible (w));
      if (name == NULL || *name == '\0')
        g_error ("%s (%s) has no accessible name", G_OBJECT_TYPE_NAME (w),
                 gtk_widget_get_name (w));
      (*checked)++;
    }
  /* Composite controls are named as a whole. */
  if (GTK_IS_CONTAINER (w) && !GTK_IS_COMBO_BOX (w) && !GTK_IS_FILE_CHOOSER_BUTTON (w)
      && !GTK_IS_BUTTON (w) && !GTK_IS_SPIN_BUTTON (w))
    gtk_container_forall (GTK_CONTAINER (w), check_names, data);
}

static void
test_accessible_names (void)
{
  CzClientWindow *win = cz_client_window_new (NULL);
  CzChatModel *model = cz_client_window_get_model (win);
  CzChatView *chat = cz_client_window_get_chat_view (win);
  guint checked = 0;
  GtkWidget *dialog;

  gtk_widget_show (GTK_WIDGET (win));
  check_names (GTK_WIDGET (win), &checked);
  g_assert_cmpuint (checked, >=, 8);   /* the connect form's controls at least */

  /* The chat view, with rows in both lists. */
  cz_chat_model_set_me (model, "alice");
  add (model, fields (1, "bob", NULL, "hello"));
  add (model, fields (2, "bob", "alice", "psst"));
  /* A message not sent, with its Retry and Discard buttons. */
  cz_chat_model_set_ref (model, cz_chat_model_add_outgoing (model, CZ_LOBBY, "refused"), 1);
  g_assert_nonnull (cz_chat_model_fail (model, 1, "there is no such user"));
  gtk_widget_show_all (GTK_WIDGET (chat));
  checked = 0;
  check_names (GTK_WIDGET (chat), &checked);
  g_assert_cmpuint (checked, >=, 8);

  dialog = cz_trust_dialog_new (GTK_WINDOW (win), "127.0.0.1:7443",
                                "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  gtk_widget_show (dialog);
  checked = 0;
  check_names (dialog, &checked);
  g_assert_cmpuint (checked, >=, 2);
  gtk_widget_destroy (dialog);
  gtk_widget_destroy (GTK_WIDGET (win));
}

static void
test_fingerprint_format (void)
{
  g_autofree char *f = cz_format_fingerprint ("0011223344556677889900aabbccddeeff0011223344556677889900aabbccdd");

  g_assert_cmpstr (f, ==, "0011 2233 4455 6677 8899 00aa bbcc ddee\n"
                          "ff00 1122 3344 5566 7788 9900 aabb ccdd");
}

/* ---- Chat view ---------------------------------------------------------------------- */

typedef struct {
  char *key;
  char *text;
  guint count;
} Sent;

static void
send_cb (CzChatView *view, const char *key, const char *text, Sent *sent)
{
  g_free (sent->key);
  g_free (sent->text);
  sent->key = g_strdup (key);
  sent->text = g_strdup (text);
  sent->count++;
}

/* What the window does: the shown conversation is the model's active one. */
static void
shown_cb (CzChatView *view, CzConversation *conv, CzChatModel *model)
{
  cz_chat_model_set_active (model, conv);
}

static void
press (GtkWidget *widget, guint keyval, GdkModifierType state)
{
  GdkEvent *event = gdk_event_new (GDK_KEY_PRESS);
  GdkKeymapKey *keys = NULL;
  gint n_keys = 0;
  gboolean handled;

  event->key.window = g_object_ref (gtk_widget_get_window (widget));
  event->key.keyval = keyval;
  event->key.state = state;
  event->key.time = GDK_CURRENT_TIME;
  if (gdk_keymap_get_entries_for_keyval (gdk_keymap_get_for_display (gtk_widget_get_display (widget)),
                                         keyval, &keys, &n_keys) && n_keys > 0)
    event->key.hardware_keycode = keys[0].keycode;
  g_free (keys);
  gdk_event_set_device (event, gdk_seat_get_keyboard (gdk_display_get_default_seat (
                                 gtk_widget_get_display (widget))));
  handled = gtk_widget_event (widget, event);
  (void) handled;
  gdk_event_free (event);
}

static GtkWidget *
row_at (GtkWidget *list, int i)
{
  return GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), i));
}

static void
test_chat_view (void)
{
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  GtkWidget *window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  CzChatView *view = CZ_CHAT_VIEW (cz_chat_view_new ());
  GtkWidget *list = cz_chat_view_get_message_list (view);
  GtkWidget *convs = cz_chat_view_get_conversation_list (view);
  GtkWidget *entry = cz_chat_view_get_entry (view);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (entry));
  CzChatMessage *mine;
  GtkWidget *header;
  Sent sent = { 0 };
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  cz_chat_model_set_me (model, "alice");
  cz_chat_model_set_focused (model, TRUE);
  g_signal_connect (view, "conversation-shown", G_CALLBACK (shown_cb), model);
  gtk_container_add (GTK_CONTAINER (window), GTK_WIDGET (view));
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 500);
  cz_chat_view_set_model (view, model);
  g_signal_connect (view, "send", G_CALLBACK (send_cb), &sent);
  gtk_widget_show (window);
  cz_test_spin (50);

  /* The lobby is selected; its messages are rows, with a day separator on top. */
  g_assert_nonnull (cz_chat_view_get_conversation (view));
  g_assert_true (cz_conversation_is_lobby (cz_chat_view_get_conversation (view)));
  add (model, fields (1, "bob", NULL, "one"));
  add (model, fields (2, "carol", NULL, "two"));
  mine = cz_chat_model_add_outgoing (model, CZ_LOBBY, "mine");
  cz_chat_model_set_ref (model, mine, 5);
  cz_test_spin (20);
  g_assert_nonnull (row_at (list, 2));
  g_assert_null (row_at (list, 3));
  header = gtk_list_box_row_get_header (GTK_LIST_BOX_ROW (row_at (list, 0)));
  g_assert_nonnull (header);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (header)), ==, "Today");
  g_assert_null (gtk_list_box_row_get_header (GTK_LIST_BOX_ROW (row_at (list, 1))));

  /* The own message's state follows the model. */
  g_assert_cmpstr (cz_message_row_get_state_text (CZ_MESSAGE_ROW (row_at (list, 2))), ==,
                   "Sending…");
  g_assert_cmpstr (cz_message_row_get_state_text (CZ_MESSAGE_ROW (row_at (list, 0))), ==, "");
  cz_chat_model_ack (model, 5, 3, 0);
  g_assert_cmpstr (cz_message_row_get_state_text (CZ_MESSAGE_ROW (row_at (list, 2))), ==,
                   "Sent");

  /* A direct message elsewhere: a new sidebar row with an unread badge. */
  add (model, fields (4, "bob", "alice", "psst"));
  add (model, fields (5, "bob", "alice", "psst again"));
  g_assert_nonnull (row_at (convs, 1));
  g_assert_cmpstr (cz_conversation_row_get_badge (CZ_CONVERSATION_ROW (row_at (convs, 1))), ==,
                   "2");
  g_assert_cmpstr (cz_conversation_row_get_badge (CZ_CONVERSATION_ROW (row_at (convs, 0))), ==,
                   "");
  g_assert_true (cz_chat_view_select (view, "bob"));
  g_assert_cmpstr (cz_conversation_get_key (cz_chat_view_get_conversation (view)), ==, "bob");
  cz_chat_model_mark_seen (model, cz_chat_view_get_conversation (view));
  g_assert_cmpstr (cz_conversation_row_get_badge (CZ_CONVERSATION_ROW (row_at (convs, 1))), ==,
                   "");
  /* bob's messages, own state after a read receipt. */
  mine = cz_chat_model_add_outgoing (model, "bob", "to bob");
  cz_chat_model_set_ref (model, mine, 6);
  cz_chat_model_ack (model, 6, 7, 0);
  cz_chat_model_receipt (model, 7, CZ_RECEIPT_READ);
  g_assert_cmpstr (cz_message_row_get_state_text (CZ_MESSAGE_ROW (row_at (list, 2))), ==, "Read");
  cz_chat_view_select_relative (view, -1);
  g_assert_true (cz_conversation_is_lobby (cz_chat_view_get_conversation (view)));

  /* Enter sends; Shift+Enter makes a new line. */
  gtk_widget_grab_focus (entry);
  gtk_text_buffer_set_text (buffer, "  hello there ", -1);
  press (entry, GDK_KEY_Return, 0);
  g_assert_cmpuint (sent.count, ==, 1);
  g_assert_cmpstr (sent.key, ==, CZ_LOBBY);
  g_assert_cmpstr (sent.text, ==, "hello there");
  g_assert_cmpint (gtk_text_buffer_get_char_count (buffer), ==, 0);
  gtk_text_buffer_set_text (buffer, "line one", -1);
  press (entry, GDK_KEY_Return, GDK_SHIFT_MASK);
  g_assert_cmpuint (sent.count, ==, 1);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "line one\n");
  /* Blank text is not sent. */
  gtk_text_buffer_set_text (buffer, "  \n ", -1);
  press (entry, GDK_KEY_KP_Enter, 0);
  g_assert_cmpuint (sent.count, ==, 1);

  gtk_widget_destroy (window);
  g_free (sent.key);
  g_free (sent.text);
}

/* ---- The window --------------------------------------------------------------------- */

static void
test_connect_form (void)
{
  CzClientWindow *win = cz_client_window_new (NULL);
  CzConnectView *form = cz_client_window_get_connect_view (win);
  CzClientSession *session = cz_client_window_get_session (win);
  g_autofree char *host = NULL;
  g_autofree char *ca = NULL;
  GtkWidget *login = NULL;

  gtk_widget_show (GTK_WIDGET (win));
  cz_client_window_prefill (win, "chat.example.org", 7555, "/tmp/ca.pem");
  host = cz_connect_view_get_host (form);
  ca = cz_connect_view_get_ca_file (form);
  g_assert_cmpstr (host, ==, "chat.example.org");
  g_assert_cmpuint (cz_connect_view_get_port (form), ==, 7555);
  g_assert_cmpint (cz_connect_view_get_trust (form), ==, CZ_TRUST_CA);
  g_assert_cmpstr (ca, ==, "/tmp/ca.pem");

  /* An empty user name is refused before anything is sent. */
  login = gtk_window_get_default_widget (GTK_WINDOW (win));
  g_assert_nonnull (login);
  gtk_button_clicked (GTK_BUTTON (login));
  g_assert_cmpint (cz_client_session_get_state (session), ==, CZ_SESSION_IDLE);
  g_assert_null (cz_connect_view_get_user (form));

  /* Notifications: a message in a conversation not shown counts. */
  {
    CzChatModel *model = cz_client_window_get_model (win);
    cz_chat_model_set_me (model, "alice");
    add (model, fields (1, "bob", "alice", "hey"));
    g_assert_cmpuint (cz_client_window_get_notification_count (win), ==, 1);
    g_assert_nonnull (cz_chat_model_add_outgoing (model, "bob", "mine"));
    g_assert_cmpuint (cz_client_window_get_notification_count (win), ==, 1);
  }
  gtk_widget_destroy (GTK_WIDGET (win));
}

static void
find_code_cb (GtkWidget *w, gpointer data)
{
  const char **code = data;

  if (GTK_IS_LABEL (w) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (w)), *code) == 0)
    *code = NULL;
  else if (GTK_IS_CONTAINER (w))
    gtk_container_forall (GTK_CONTAINER (w), find_code_cb, data);
}

static void
find_toggle_cb (GtkWidget *w, gpointer data)
{
  GtkWidget **toggle = data;

  if (GTK_IS_TOGGLE_BUTTON (w))
    *toggle = w;
  else if (GTK_IS_CONTAINER (w))
    gtk_container_forall (GTK_CONTAINER (w), find_toggle_cb, data);
}

/* Issue #15 item 10: the details dialog fetches the private value only
 * when Reveal is pressed, and shows the right one; hiding removes it. */
static void
check_reveal (GtkWidget *dialog, CzSessionInfo *info)
{
  g_auto(CzPrivateHex) secret = { { 0 } };
  g_autofree char *grouped = NULL;
  GtkWidget *toggle = NULL;
  const char *want;

  g_assert_true (cz_session_info_reveal_private (info, &secret));
  /* Shown in groups of four, as every hex value of the dialog. */
  grouped = cz_format_hex_groups (secret.hex);
  find_toggle_cb (dialog, &toggle);
  g_assert_nonnull (toggle);
  /* One control, with the words the server window uses too. */
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (toggle)), ==, "_Reveal");
  want = grouped;
  find_code_cb (dialog, &want);
  g_assert_nonnull (want);                       /* hidden at first */
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), TRUE);
  want = grouped;
  find_code_cb (dialog, &want);
  g_assert_null (want);                          /* shown */
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (toggle)), ==, "_Reveal");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), FALSE);
  want = grouped;
  find_code_cb (dialog, &want);
  g_assert_nonnull (want);                       /* hidden again */
}

static void
test_login (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *ca = NULL;
  g_autoptr(GError) error = NULL;
  CzTestServer *server;
  CzClientWindow *win;
  CzConnectView *form;
  GtkWidget *stack;
  CzSessionInfo *info;
  GList *before, *after;
  const char *code;

  if (cz_test_server_bin () == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN not set");
      return;
    }
  dir = cz_test_make_pki ();
  ca = g_build_filename (dir, "ca.pem", NULL);
  server = cz_test_server_start (dir, NULL, &error);
  g_assert_no_error (error);

  win = cz_client_window_new (NULL);
  form = cz_client_window_get_connect_view (win);
  gtk_widget_show (GTK_WIDGET (win));
  cz_client_window_prefill (win, "127.0.0.1", server->port, ca);
  cz_connect_view_set_user (form, "dana");
  {
    /* the password entry: find it through the form's focus chain */
    GtkWidget *entry = NULL;
    cz_connect_view_focus (form);
    entry = gtk_window_get_focus (GTK_WINDOW (win));
    g_assert_true (GTK_IS_ENTRY (entry));
    gtk_entry_set_text (GTK_ENTRY (entry), "pw-dana");
  }
  /* Create Account: the second button of the form's button row. */
  g_signal_emit_by_name (form, "login", TRUE);
  g_assert_true (cz_test_wait_for_session (win, CZ_SESSION_ONLINE, 15000));
  stack = gtk_widget_get_parent (GTK_WIDGET (cz_client_window_get_chat_view (win)));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (stack)), ==, "chat");
  g_assert_null (cz_connect_view_get_password (form));   /* not kept in the form */

  /* Connection details show the verification code. */
  info = cz_client_session_get_info (cz_client_window_get_session (win));
  g_assert_nonnull (info);
  before = gtk_window_list_toplevels ();
  g_action_group_activate_action (G_ACTION_GROUP (win), "details", NULL);
  after = gtk_window_list_toplevels ();
  code = info->code;
  for (GList *l = after; l; l = l->next)
    if (CZ_IS_DETAILS_DIALOG (l->data))
      {
        find_code_cb (l->data, &code);
        check_reveal (l->data, info);
        gtk_widget_destroy (l->data);
      }
  g_assert_null (code);
  g_list_free (before);
  g_list_free (after);

  /* Log out: back to the form. */
  g_action_group_activate_action (G_ACTION_GROUP (win), "logout", NULL);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (stack)), ==, "connect");
  g_assert_cmpint (cz_client_session_get_state (cz_client_window_get_session (win)), ==,
                   CZ_SESSION_IDLE);

  gtk_widget_destroy (GTK_WIDGET (win));
  cz_test_spin (50);
  cz_test_server_stop (server);
  cz_test_server_free (server);
  cz_test_rmdir (dir);
}

/* ---- Client certificate (mutual TLS) ---------------------------------------------- */

static GtkWidget *
find_expander (GtkWidget *root)
{
  g_autoptr(GList) children = NULL;
  GtkWidget *found = NULL;

  if (GTK_IS_EXPANDER (root))
    return root;
  if (!GTK_IS_CONTAINER (root))
    return NULL;
  children = gtk_container_get_children (GTK_CONTAINER (root));
  for (GList *l = children; l && found == NULL; l = l->next)
    found = find_expander (l->data);
  return found;
}

static void
collect_labels_cb (GtkWidget *w, gpointer data)
{
  if (GTK_IS_LABEL (w) && gtk_widget_get_visible (w))
    {
      g_string_append (data, gtk_label_get_text (GTK_LABEL (w)));
      g_string_append_c (data, '\n');
    }
  else if (GTK_IS_CONTAINER (w))
    gtk_container_forall (GTK_CONTAINER (w), collect_labels_cb, data);
}

/* The text of the connect form's error bar, or NULL when it is hidden. */
static char *
form_error (CzConnectView *form)
{
  GtkWidget *bar = cz_test_find_named (GTK_WIDGET (form), "Error");
  GString *text;

  g_assert_true (GTK_IS_INFO_BAR (bar));
  if (!gtk_widget_get_visible (bar))
    return NULL;
  text = g_string_new (NULL);
  collect_labels_cb (bar, text);
  return g_string_free (text, FALSE);
}

static gboolean
has_label (GtkWidget *root, const char *text)
{
  g_autoptr(GString) all = g_string_new ("\n");
  g_autofree char *line = g_strdup_printf ("\n%s\n", text);

  collect_labels_cb (root, all);
  return strstr (all->str, line) != NULL;
}

static void
count_login_cb (CzConnectView *form, gboolean create, guint *count)
{
  (*count)++;
}

static void
test_client_cert_fields (void)
{
  CzClientWindow *win = cz_client_window_new (NULL);
  CzConnectView *form = cz_client_window_get_connect_view (win);
  CzClientSession *session = cz_client_window_get_session (win);
  GtkWidget *cert_chooser, *key_chooser, *expander, *login;
  g_autofree char *dir = g_dir_make_tmp ("causerie-test-XXXXXX", NULL);
  g_autofree char *cert = g_build_filename (dir, "me.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "me-key.pem", NULL);
  g_autofree char *got = NULL;
  guint logins = 0;

  g_assert_nonnull (dir);
  g_assert_true (g_file_set_contents (cert, "x", -1, NULL));
  g_assert_true (g_file_set_contents (key, "x", -1, NULL));
  gtk_widget_show (GTK_WIDGET (win));
  g_signal_connect (form, "login", G_CALLBACK (count_login_cb), &logins);

  /* Two named file choosers inside a folded "Use a client certificate". */
  cert_chooser = cz_test_find_named (GTK_WIDGET (form), "Client certificate file");
  key_chooser = cz_test_find_named (GTK_WIDGET (form), "Client private key file");
  g_assert_true (GTK_IS_FILE_CHOOSER_BUTTON (cert_chooser));
  g_assert_true (GTK_IS_FILE_CHOOSER_BUTTON (key_chooser));
  expander = find_expander (GTK_WIDGET (form));
  g_assert_true (GTK_IS_EXPANDER (expander));
  g_assert_true (gtk_widget_is_ancestor (cert_chooser, expander));
  g_assert_true (gtk_widget_is_ancestor (key_chooser, expander));
  g_assert_true (gtk_expander_get_use_underline (GTK_EXPANDER (expander)));
  g_assert_false (gtk_expander_get_expanded (GTK_EXPANDER (expander)));
  g_assert_null (cz_connect_view_get_cert_file (form));
  g_assert_null (cz_connect_view_get_key_file (form));

  /* Setting both (--cert/--key prefill it so) unfolds the section;
   * folding it means "none". */
  cz_client_window_prefill_client_cert (win, cert, key);
  g_assert_true (gtk_expander_get_expanded (GTK_EXPANDER (expander)));
  got = cz_connect_view_get_cert_file (form);
  g_assert_cmpstr (got, ==, cert);
  g_clear_pointer (&got, g_free);
  got = cz_connect_view_get_key_file (form);
  g_assert_cmpstr (got, ==, key);
  g_clear_pointer (&got, g_free);
  gtk_expander_set_expanded (GTK_EXPANDER (expander), FALSE);
  g_assert_null (cz_connect_view_get_cert_file (form));

  /* A complete form but only one of the two files: an inline error, no
   * login, no connection attempt. */
  cz_client_window_prefill (win, "127.0.0.1", 7555, "/tmp/ca.pem");
  cz_connect_view_set_user (form, "erin");
  gtk_entry_set_text (GTK_ENTRY (cz_test_find_named (GTK_WIDGET (form), "Password")), "pw");
  login = gtk_window_get_default_widget (GTK_WINDOW (win));
  g_assert_nonnull (login);

  cz_connect_view_set_client_cert (form, cert, NULL);
  gtk_button_clicked (GTK_BUTTON (login));
  got = form_error (form);
  g_assert_nonnull (got);
  g_assert_nonnull (strstr (got, "Choose the private key of your certificate"));
  g_assert_nonnull (strstr (got, "Use a client certificate"));
  g_clear_pointer (&got, g_free);
  g_assert_cmpuint (logins, ==, 0);
  g_assert_cmpint (cz_client_session_get_state (session), ==, CZ_SESSION_IDLE);
  g_assert_null (cz_client_session_get_server (session));   /* never started */

  cz_connect_view_set_client_cert (form, NULL, key);
  gtk_button_clicked (GTK_BUTTON (login));
  got = form_error (form);
  g_assert_nonnull (got);
  g_assert_nonnull (strstr (got, "Choose the certificate that goes with your key"));
  g_clear_pointer (&got, g_free);
  g_assert_cmpuint (logins, ==, 0);
  g_assert_null (cz_client_session_get_server (session));

  /* Unfolded but both empty is "no client certificate": the form passes
   * (the login signal goes out; the connection then fails, port closed). */
  cz_connect_view_set_client_cert (form, NULL, NULL);
  gtk_expander_set_expanded (GTK_EXPANDER (expander), TRUE);
  g_signal_handlers_block_matched (form, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, win);
  gtk_button_clicked (GTK_BUTTON (login));
  g_signal_handlers_unblock_matched (form, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, win);
  g_assert_cmpuint (logins, ==, 1);
  g_assert_null (form_error (form));

  gtk_widget_destroy (GTK_WIDGET (win));
  g_unlink (cert);
  g_unlink (key);
  g_rmdir (dir);
}

/* Fills the form for @server and presses Create Account or Log In. */
static void
mtls_login (CzClientWindow *win, CzTestServer *server, const char *ca, const char *cert,
            const char *key, gboolean create)
{
  CzConnectView *form = cz_client_window_get_connect_view (win);

  cz_client_window_prefill (win, "127.0.0.1", server->port, ca);
  cz_connect_view_set_client_cert (form, cert, key);
  cz_connect_view_set_user (form, "frank");
  gtk_entry_set_text (GTK_ENTRY (cz_test_find_named (GTK_WIDGET (form), "Password")), "pw-frank");
  gtk_button_clicked (GTK_BUTTON (cz_test_find_named (GTK_WIDGET (form),
                                              create ? "Create Account" : "Log In")));
}

/* Waits (bounded) for the form's error after a failed connection. */
static char *
wait_for_error (CzClientWindow *win, guint timeout_ms)
{
  CzConnectView *form = cz_client_window_get_connect_view (win);
  CzClientSession *session = cz_client_window_get_session (win);
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  char *text = NULL;

  while ((text = form_error (form)) == NULL && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_cmpint (cz_client_session_get_state (session), ==, CZ_SESSION_IDLE);
  return text;
}

static void
test_client_cert_login (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *ca = NULL, *ca_key = NULL, *cert = NULL, *key = NULL, *server_key = NULL;
  g_autofree char *other_ca = NULL, *other_ca_key = NULL, *other = NULL, *other_key = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  CzCertRequest ca_req = { .common_name = "Elsewhere CA" };
  CzCertRequest req = { .common_name = "frank-laptop", .client = TRUE };
  const char *args[] = { "--client-ca", NULL, "--require-client-cert", NULL };
  CzTestServer *server;
  CzClientWindow *win;
  CzClientSession *session;
  CzSessionInfo *info;
  GList *windows;
  gboolean shown = FALSE;

  if (cz_test_server_bin () == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN not set");
      return;
    }
  dir = cz_test_make_pki ();
  ca = g_build_filename (dir, "ca.pem", NULL);
  ca_key = g_build_filename (dir, "ca-key.pem", NULL);
  server_key = g_build_filename (dir, "server-key.pem", NULL);
  cert = g_build_filename (dir, "frank.pem", NULL);
  key = g_build_filename (dir, "frank-key.pem", NULL);
  other_ca = g_build_filename (dir, "other-ca.pem", NULL);
  other_ca_key = g_build_filename (dir, "other-ca-key.pem", NULL);
  other = g_build_filename (dir, "other.pem", NULL);
  other_key = g_build_filename (dir, "other-key.pem", NULL);
  cz_cert_info_free (cz_cert_generate_signed (&req, ca, ca_key, cert, key, &error));
  g_assert_no_error (error);
  cz_cert_info_free (cz_cert_generate_ca (&ca_req, other_ca, other_ca_key, &error));
  g_assert_no_error (error);
  cz_cert_info_free (cz_cert_generate_signed (&req, other_ca, other_ca_key, other, other_key,
                                              &error));
  g_assert_no_error (error);
  args[1] = ca;
  server = cz_test_server_start (dir, args, &error);
  g_assert_no_error (error);

  win = cz_client_window_new (NULL);
  session = cz_client_window_get_session (win);
  gtk_widget_show (GTK_WIDGET (win));

  {
    /* Each refusal said as such: none (the server's), a key that is not
     * the certificate's (the library's reason, nothing sent), another CA's. */
    const struct {
      const char *cert, *key;
      guint timeout_ms;
      const char *says[2];
    } refused[] = {
      { NULL, NULL, 15000, { "This server requires a client certificate", NULL } },
      { cert, server_key, 5000,
        { "Your client certificate cannot be used", "does not belong to the certificate" } },
      { other, other_key, 15000,
        { "The server did not accept your client certificate", "other.pem" } },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        mtls_login (win, server, ca, refused[i].cert, refused[i].key, TRUE);
        text = wait_for_error (win, refused[i].timeout_ms);
        g_assert_nonnull (text);
        for (gsize j = 0; j < G_N_ELEMENTS (refused[i].says) && refused[i].says[j]; j++)
          g_assert_nonnull (strstr (text, refused[i].says[j]));
        g_clear_pointer (&text, g_free);
      }
  }

  /* The right one: the window is still usable and logs in. */
  mtls_login (win, server, ca, cert, key, TRUE);
  g_assert_true (cz_test_wait_for_session (win, CZ_SESSION_ONLINE, 15000));
  g_assert_null (form_error (cz_client_window_get_connect_view (win)));
  info = cz_client_session_get_info (session);
  g_assert_nonnull (info);
  g_assert_nonnull (info->client_cert);
  g_assert_cmpstr (info->client_cert->subject, ==, "CN=frank-laptop");
  g_assert_cmpstr (cz_client_session_get_cert_file (session), ==, cert);

  /* Connection details: presented, with its subject. */
  g_action_group_activate_action (G_ACTION_GROUP (win), "details", NULL);
  windows = gtk_window_list_toplevels ();
  for (GList *l = windows; l; l = l->next)
    if (CZ_IS_DETAILS_DIALOG (l->data))
      {
        g_assert_true (has_label (l->data, "Client certificate"));
        g_assert_true (has_label (l->data, "Presented: frank-laptop"));
        g_assert_true (has_label (l->data, "CN=frank-laptop"));   /* technical details */
        g_assert_false (has_label (l->data, "No client certificate"));
        shown = TRUE;
        gtk_widget_destroy (l->data);
      }
  g_list_free (windows);
  g_assert_true (shown);

  /* Both paths are remembered, and a new window offers them again. */
  settings = g_settings_new ("org.causerie.Client");
  text = g_settings_get_string (settings, "client-cert-file");
  g_assert_cmpstr (text, ==, cert);
  g_clear_pointer (&text, g_free);
  text = g_settings_get_string (settings, "client-key-file");
  g_assert_cmpstr (text, ==, key);
  g_clear_pointer (&text, g_free);
  {
    CzClientWindow *again = cz_client_window_new (NULL);
    g_autofree char *c = cz_connect_view_get_cert_file (cz_client_window_get_connect_view (again));
    g_autofree char *k = cz_connect_view_get_key_file (cz_client_window_get_connect_view (again));
    g_assert_cmpstr (c, ==, cert);
    g_assert_cmpstr (k, ==, key);
    gtk_widget_destroy (GTK_WIDGET (again));
  }

  g_action_group_activate_action (G_ACTION_GROUP (win), "logout", NULL);
  gtk_widget_destroy (GTK_WIDGET (win));
  g_settings_reset (settings, "client-cert-file");
  g_settings_reset (settings, "client-key-file");
  cz_test_spin (50);
  cz_test_server_stop (server);
  cz_test_server_free (server);
  cz_test_rmdir (dir);
}

/* A row destroyed while something still holds it (an accessible, a
 * pending emission) hears nothing more from its message or conversation,
 * such as an ack arriving after the person switched conversations: its
 * handlers go with its widgets, at destroy. */
static void
test_destroyed_rows (void)
{
  g_autoptr(CzChatMessage) msg = cz_chat_message_new (0, 0, "alice", "hi", FALSE, TRUE,
                                                       CZ_MESSAGE_STATE_SENDING);
  g_autoptr(CzConversation) conv = cz_conversation_new ("bob");
  GtkWidget *row = g_object_ref_sink (cz_message_row_new (msg));
  GtkWidget *conv_row = g_object_ref_sink (cz_conversation_row_new (conv));

  gtk_widget_destroy (row);
  gtk_widget_destroy (conv_row);
  cz_chat_message_set_stored (msg, 7, 1000);
  cz_chat_message_set_state (msg, CZ_MESSAGE_STATE_DELIVERED);
  cz_conversation_set_unread (conv, 3);
  cz_conversation_set_online (conv, TRUE);
  g_object_unref (row);
  g_object_unref (conv_row);
}

int
main (int argc, char **argv)
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  g_type_ensure (CZ_TYPE_CLIENT_WINDOW);   /* registers the resources */

  g_test_add_func ("/client-window/accessible-names", test_accessible_names);
  g_test_add_func ("/client-window/fingerprint-format", test_fingerprint_format);
  g_test_add_func ("/client-window/chat-view", test_chat_view);
  g_test_add_func ("/client-window/connect-form", test_connect_form);
  g_test_add_func ("/client-window/login", test_login);
  g_test_add_func ("/client-window/destroyed-rows", test_destroyed_rows);
  g_test_add_func ("/client-window/client-cert-fields", test_client_cert_fields);
  g_test_add_func ("/client-window/client-cert-login", test_client_cert_login);
  return g_test_run ();
}
