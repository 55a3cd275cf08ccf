/* test-client-states.c: what a person sees in the client window's quieter
 * states and dialogs (issue #21), in process:
 *  - empty conversations: a page that says so ("No messages yet — say
 *    hello to bob"), never "Loading earlier messages…" once the history
 *    answered, and the line above the messages follows the conversation's
 *    history-loading / history-complete properties;
 *  - the composer: its placeholder, the lobby's "the server can read it"
 *    line, the bundled Send icon, a growing field that keeps its first line
 *    in view;
 *  - the words of the trust prompt and of Connection Details (a plain
 *    sentence first, localized dates, "TLS 1.3", hex in groups without
 *    hyphens, one Reveal control, the verification code once);
 *  - the connect form remembering each server (issue #19);
 *  - every shortcut the shortcuts window lists, typed with the focus in
 *    the message field, through GTK's own key handling.
 * Skips without DISPLAY.  CZ_TEST_SCREENSHOT_DIR=DIR saves the states as
 * PNG files there (for looking at them). */
#include "config.h"

#ifdef __SANITIZE_ADDRESS__
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}
#endif

#include <string.h>
#include <gtk/gtk.h>

#include "cz-chat-rows.h"
#include "cz-chat-view.h"
#include "cz-client-app.h"
#include "cz-client-dialogs.h"
#include "cz-client-window.h"
#include "cz-protocol.h"
#include "cz-util.h"
#include "testutil.h"
#include "client-gui-testutil.h"

#define WAIT_MS 15000

/* ---- Helpers ------------------------------------------------------------------------ */

static void
shoot (GtkWidget *widget, const char *name)
{
  const char *dir = g_getenv ("CZ_TEST_SCREENSHOT_DIR");
  GdkWindow *window;
  g_autoptr(GdkPixbuf) shot = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (dir == NULL)
    return;
  cz_test_spin (400);
  window = gtk_widget_get_window (gtk_widget_get_toplevel (widget));
  shot = gdk_pixbuf_get_from_window (window, 0, 0, gdk_window_get_width (window),
                                     gdk_window_get_height (window));
  g_assert_nonnull (shot);
  path = g_build_filename (dir, name, NULL);
  gdk_pixbuf_save (shot, path, "png", &error, NULL);
  g_assert_no_error (error);
}

static void
collect_labels_cb (GtkWidget *w, gpointer data)
{
  if (!gtk_widget_get_visible (w))
    return;
  if (GTK_IS_LABEL (w))
    {
      g_string_append (data, gtk_label_get_text (GTK_LABEL (w)));
      g_string_append_c (data, '\n');
    }
  else if (GTK_IS_EXPANDER (w) && !gtk_expander_get_expanded (GTK_EXPANDER (w)))
    collect_labels_cb (gtk_expander_get_label_widget (GTK_EXPANDER (w)), data);   /* folded */
  else if (GTK_IS_CONTAINER (w))
    gtk_container_forall (GTK_CONTAINER (w), collect_labels_cb, data);
}

/* Every visible label's text under @root, one a line (with a leading
 * newline, so "\nTEXT\n" finds a whole label). */
static char *
all_labels (GtkWidget *root)
{
  GString *all = g_string_new ("\n");

  collect_labels_cb (root, all);
  return g_string_free (all, FALSE);
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

static GtkWidget *
find_type (GtkWidget *root, GType type)
{
  g_autoptr(GList) children = NULL;
  GtkWidget *found = NULL;

  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  if (!GTK_IS_CONTAINER (root))
    return NULL;
  children = gtk_container_get_children (GTK_CONTAINER (root));
  for (GList *l = children; l && found == NULL; l = l->next)
    found = find_type (l->data, type);
  return found;
}

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
shown_cb (CzChatView *view, CzConversation *conv, CzChatModel *model)
{
  cz_chat_model_set_active (model, conv);
}

/* Types @accel at the window as the X server would deliver it: GTK's own
 * key handling (gtk_main_do_event → the window → its accelerators, the
 * application's, mnemonics, then the focus widget) decides. */
static void
type_accel (GtkWidget *win, const char *accel)
{
  guint keyval;
  GdkModifierType mods;
  GdkKeymapKey *keys = NULL;
  gint n_keys = 0;
  GdkDisplay *display = gtk_widget_get_display (win);
  GdkEvent *event;

  gtk_accelerator_parse (accel, &keyval, &mods);
  g_assert_cmpuint (keyval, !=, 0);
  if (keyval == GDK_KEY_question)
    mods |= GDK_SHIFT_MASK;   /* as a US keyboard types it */
  for (int type = GDK_KEY_PRESS; type <= GDK_KEY_RELEASE; type++)
    {
      event = gdk_event_new (type);
      event->key.window = g_object_ref (gtk_widget_get_window (win));
      event->key.send_event = FALSE;
      event->key.keyval = keyval;
      event->key.state = mods;
      event->key.time = GDK_CURRENT_TIME;
      if (gdk_keymap_get_entries_for_keyval (gdk_keymap_get_for_display (display), keyval,
                                             &keys, &n_keys) && n_keys > 0)
        {
          event->key.hardware_keycode = keys[0].keycode;
          event->key.group = keys[0].group;
        }
      g_clear_pointer (&keys, g_free);
      gdk_event_set_device (event, gdk_seat_get_keyboard (gdk_display_get_default_seat (display)));
      gtk_main_do_event (event);
      gdk_event_free (event);
    }
  cz_test_spin (50);
}

/* ---- Empty states and the composer ------------------------------------------------------ */

static void
test_empty_states (void)
{
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_client_message_free);
  g_autoptr(GError) error = NULL;
  GtkWidget *window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  CzChatView *view = CZ_CHAT_VIEW (cz_chat_view_new ());
  GtkWidget *entry = cz_chat_view_get_entry (view);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (entry));
  CzConversation *bob;
  const char *title = NULL, *detail = NULL;
  g_autofree char *labels = NULL;
  GtkWidget *image;
  const char *icon = NULL;

  cz_chat_model_set_me (model, "alice");
  g_signal_connect (view, "conversation-shown", G_CALLBACK (shown_cb), model);
  gtk_container_add (GTK_CONTAINER (window), GTK_WIDGET (view));
  gtk_window_set_default_size (GTK_WINDOW (window), 760, 520);
  cz_chat_view_set_model (view, model);
  gtk_widget_show (window);
  cz_test_spin (50);

  /* An empty lobby: a page that says so, and who reads the lobby. */
  g_assert_true (cz_conversation_is_lobby (cz_chat_view_get_conversation (view)));
  g_assert_true (cz_chat_view_get_empty_text (view, &title, &detail));
  g_assert_cmpstr (title, ==, "No messages in the lobby yet");
  g_assert_nonnull (strstr (detail, "Say hello"));
  g_assert_cmpstr (cz_chat_view_get_placeholder (view), ==, "Message the lobby…");
  labels = all_labels (GTK_WIDGET (view));
  g_assert_nonnull (strstr (labels, "so can the server itself"));
  g_assert_nonnull (strstr (atk_object_get_description (gtk_widget_get_accessible (entry)),
                            "server can read"));
  /* The Send icon is the bundled paper plane, and it is found. */
  image = find_type (cz_chat_view_get_send_button (view), GTK_TYPE_IMAGE);
  gtk_image_get_icon_name (GTK_IMAGE (image), &icon, NULL);
  g_assert_cmpstr (icon, ==, "cz-send-symbolic");
  {
    g_autoptr(GtkIconInfo) found = gtk_icon_theme_lookup_icon (gtk_icon_theme_get_default (),
                                                               "cz-send-symbolic", 16, 0);
    g_assert_nonnull (found);
    g_assert_nonnull (strstr (gtk_icon_info_get_filename (found), "/org/causerie/Client/icons"));
  }
  shoot (window, "client-empty-lobby.png");
  g_clear_pointer (&labels, g_free);

  /* A direct conversation opened before its history came: loading... */
  bob = cz_chat_model_ensure (model, "bob");
  g_assert_true (cz_chat_view_select (view, "bob"));
  g_assert_true (cz_chat_view_get_conversation (view) == bob);
  g_assert_cmpstr (cz_chat_view_get_placeholder (view), ==, "Message bob…");
  labels = all_labels (GTK_WIDGET (view));
  g_assert_null (strstr (labels, "so can the server itself"));   /* a lobby matter */
  g_clear_pointer (&labels, g_free);
  cz_conversation_set_history_loading (bob, TRUE);
  g_assert_cmpstr (cz_chat_view_get_history_text (view), ==, "Loading earlier messages…");
  g_assert_false (cz_chat_view_get_empty_text (view, NULL, NULL));
  /* ...then the server answers: no message at all.  This is the page of
   * an empty conversation, not "Loading…" forever. */
  g_assert_cmpuint (cz_chat_model_add_history (model, "bob", none, 50), ==, 0);
  g_assert_false (cz_conversation_get_history_loading (bob));
  g_assert_true (cz_conversation_get_history_complete (bob));
  g_assert_null (cz_chat_view_get_history_text (view));
  g_assert_true (cz_chat_view_get_empty_text (view, &title, &detail));
  g_assert_cmpstr (title, ==, "No messages yet");
  g_assert_cmpstr (detail, ==, "Say hello to bob.");
  shoot (window, "client-empty-direct.png");

  /* The first message: the messages, under "the start of the conversation". */
  {
    g_autoptr(GVariant) f = fields (7, "bob", "alice", "hi alice");
    g_ptr_array_add (one, cz_client_message_new_from_fields (f, &error));
    g_assert_no_error (error);
  }
  cz_chat_model_add_history (model, "bob", one, 50);
  g_assert_false (cz_chat_view_get_empty_text (view, NULL, NULL));
  g_assert_cmpstr (cz_chat_view_get_history_text (view), ==,
                   "This is the start of the conversation.");

  /* Typing hides the placeholder; emptying the field shows it again. */
  gtk_text_buffer_set_text (buffer, "h", -1);
  g_assert_cmpstr (cz_chat_view_get_placeholder (view), ==, "");
  gtk_text_buffer_set_text (buffer, "", -1);
  g_assert_cmpstr (cz_chat_view_get_placeholder (view), ==, "Message bob…");

  /* The field grows with its text and keeps the first line in view
   * until it reaches its largest height. */
  {
    GtkWidget *scroller = gtk_widget_get_parent (entry);
    GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (entry));
    int h1, h3;

    gtk_widget_grab_focus (entry);
    gtk_text_buffer_set_text (buffer, "one", -1);
    cz_test_spin (200);
    h1 = gtk_widget_get_allocated_height (scroller);
    /* Typed as a person does: Shift+Enter, then the words. */
    for (int i = 0; i < 3; i++)
      {
        type_accel (window, "<Shift>Return");
        gtk_text_buffer_insert_interactive_at_cursor (buffer, i == 0 ? "two" : i == 1 ? "three"
                                                                               : "four", -1, TRUE);
        cz_test_spin (200);
      }
    h3 = gtk_widget_get_allocated_height (scroller);
    shoot (window, "client-composer-four-lines.png");
    g_assert_cmpint (h3, >, h1);                                 /* it grew */
    g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 0);   /* line one in view */
  }
  gtk_widget_destroy (window);
}

/* ---- The words of the dialogs ------------------------------------------------------------ */

static CzSessionInfo *
fake_info (const char *trust)
{
  CzSessionInfo *info = cz_session_info_new ();
  g_autoptr(GDateTime) until = g_date_time_new_utc (2027, 12, 7, 12, 0, 0);

  info->protocol = g_strdup ("TLS1.3");
  info->cipher = g_strdup ("AES-256-GCM");
  info->mac = g_strdup ("AEAD");
  info->group = g_strdup ("SECP256R1");
  info->signature = g_strdup ("ECDSA-SECP256R1-SHA256");
  info->alpn = g_strdup ("causerie/1");
  info->trust = g_strdup (trust);
  info->verification = g_strdup ("The certificate chain was verified.");
  info->dh_group = g_strdup ("x25519");
  info->dh_prime_formula = "2^255 - 19";
  info->dh_generator = "09";
  info->dh_server_public = g_strdup ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  info->dh_client_public = g_strdup ("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
  info->code = g_strdup ("1a2b-3c4d-5e6f-7081");
  info->peer_address = g_strdup ("127.0.0.1:7443");
  info->since = g_get_real_time () / 1000;
  info->server_cert = g_new0 (CzCertInfo, 1);
  info->server_cert->subject = g_strdup ("CN=chat.example,O=Causerie");
  info->server_cert->issuer = g_strdup ("CN=Causerie demo CA,O=Causerie");
  info->server_cert->not_before = g_strdup ("2026-12-07T12:00:00Z");
  info->server_cert->not_after = g_strdup ("2027-12-07T12:00:00Z");
  info->server_cert->not_after_unix = g_date_time_to_unix (until);
  info->server_cert->fingerprint = g_strdup ("5A:76:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:"
                                             "45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23");
  info->server_cert->spki_sha256 = g_strdup ("101676b4aaaabbbbccccddddeeeeffff0000111122223333444455556666777f");
  info->server_cert->key_type = g_strdup ("ECDSA P-256");
  info->server_cert->sans = g_strdup ("DNS:chat.example");
  return info;
}

/* TRUE if every label under @root with a hex-looking value in groups
 * carries insert-hyphens=false. */
static void
check_hyphens_cb (GtkWidget *w, gpointer data)
{
  if (GTK_IS_LABEL (w) && gtk_style_context_has_class (gtk_widget_get_style_context (w), "cz-mono"))
    {
      PangoAttrList *attrs = gtk_label_get_attributes (GTK_LABEL (w));
      PangoAttrIterator *it;
      PangoAttribute *a;

      g_assert_nonnull (attrs);
      it = pango_attr_list_get_iterator (attrs);
      a = pango_attr_iterator_get (it, PANGO_ATTR_INSERT_HYPHENS);
      g_assert_nonnull (a);
      g_assert_false (((PangoAttrInt *) a)->value);
      pango_attr_iterator_destroy (it);
      g_assert_false (gtk_label_get_line_wrap_mode (GTK_LABEL (w)) == PANGO_WRAP_WORD);
      (*(guint *) data)++;
    }
  else if (GTK_IS_CONTAINER (w))
    gtk_container_forall (GTK_CONTAINER (w), check_hyphens_cb, data);
}

static void
test_dialog_words (void)
{
  g_autoptr(CzSessionInfo) ca = fake_info ("ca");
  g_autoptr(CzSessionInfo) tofu = fake_info ("first-use");
  g_autofree char *s = NULL;
  g_autofree char *labels = NULL;
  g_autofree char *date = NULL;
  GtkWidget *win = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  GtkWidget *dialog, *expander;
  guint hex_labels = 0;
  const char *fp = "101676b4aaaabbbbccccddddeeeeffff0000111122223333444455556666777f";

  /* The formatting functions, known answers. */
  s = cz_format_hex_groups ("5A:76:89:AB:CD");
  g_assert_cmpstr (s, ==, "5a76 89ab cd");
  g_free (s);
  s = cz_format_hex_groups ("00112233");
  g_assert_cmpstr (s, ==, "0011 2233");
  g_free (s);
  s = cz_format_protocol ("TLS1.3");
  g_assert_cmpstr (s, ==, "TLS 1.3");
  g_free (s);
  s = cz_format_group ("SECP256R1");
  g_assert_cmpstr (s, ==, "P-256");
  g_free (s);
  s = cz_format_group ("x25519");
  g_assert_cmpstr (s, ==, "X25519");
  g_free (s);
  s = cz_format_group ("ffdhe3072");
  g_assert_cmpstr (s, ==, "FFDHE 3072");
  g_free (s);
  {
    g_autoptr(GDateTime) dt = g_date_time_new_local (2027, 12, 7, 12, 0, 0);
    date = cz_format_date (dt);
    g_assert_cmpstr (date, ==, "7 December 2027");   /* LC_ALL=C: English month names */
  }

  /* The sentence Connection Details leads with. */
  s = cz_details_summary (ca);
  g_assert_cmpstr (s, ==, "Encrypted · server verified by Causerie demo CA · "
                          "certificate valid until 7 December 2027");
  g_free (s);
  s = cz_details_summary (tofu);
  g_assert_cmpstr (s, ==, "Encrypted · server identity checked by you (key fingerprint)");
  g_clear_pointer (&s, g_free);

  /* The dialog: plain words first, raw names behind "Technical details". */
  gtk_widget_show (win);
  dialog = cz_details_dialog_new (GTK_WINDOW (win), "127.0.0.1:7443", ca, fp, FALSE);
  gtk_widget_show (dialog);
  labels = all_labels (dialog);
  g_assert_nonnull (strstr (labels, "\nEncrypted · server verified by Causerie demo CA"));
  g_assert_nonnull (strstr (labels, "\nTLS 1.3\n"));
  g_assert_nonnull (strstr (labels, "\nP-256\n"));
  g_assert_nonnull (strstr (labels, "\nNo client certificate\n"));
  g_assert_nonnull (strstr (labels, "\nKey fingerprint (SHA-256)\n"));
  g_assert_nonnull (strstr (labels, "\n1016 76b4 aaaa bbbb cccc dddd eeee ffff\n"
                                    "0000 1111 2222 3333 4444 5555 6666 777f\n"));
  g_assert_nonnull (strstr (labels, "\n7 December 2027\n"));
  g_assert_null (strstr (labels, "2027-12-07"));                   /* no ISO date */
  g_assert_null (strstr (labels, "SECP256R1"));                    /* folded away */
  g_assert_null (strstr (labels, "Certificate hash"));
  g_assert_cmpuint (count (labels, "\n1a2b-3c4d-5e6f-7081\n"), ==, 1);   /* the code, once */
  g_clear_pointer (&labels, g_free);
  expander = find_type (dialog, GTK_TYPE_EXPANDER);
  g_assert_nonnull (expander);
  g_assert_cmpstr (gtk_expander_get_label (GTK_EXPANDER (expander)), ==, "_Technical details");
  gtk_expander_set_expanded (GTK_EXPANDER (expander), TRUE);
  labels = all_labels (dialog);
  g_assert_nonnull (strstr (labels, "\nSECP256R1\n"));
  g_assert_nonnull (strstr (labels, "\nTLS1.3\n"));
  g_assert_nonnull (strstr (labels, "\nCertificate hash (SHA-256)\n"));
  g_assert_nonnull (strstr (labels, "\n5a76 89ab cdef 0123"));
  g_assert_cmpuint (count (labels, "\nKey fingerprint (SHA-256)\n"), ==, 1);
  g_assert_cmpuint (count (labels, "\n1a2b-3c4d-5e6f-7081\n"), ==, 1);
  g_clear_pointer (&labels, g_free);
  /* Hex wraps between groups, never with an added hyphen. */
  check_hyphens_cb (dialog, &hex_labels);
  g_assert_cmpuint (hex_labels, >=, 5);
  /* One Reveal control for the private value. */
  g_assert_true (GTK_IS_TOGGLE_BUTTON (cz_test_find_named (dialog, "Reveal")));
  labels = all_labels (dialog);
  g_assert_nonnull (strstr (labels, "\nPrivate value\n"));
  g_clear_pointer (&labels, g_free);
  gtk_window_resize (GTK_WINDOW (dialog), 640, 720);
  shoot (dialog, "client-details.png");
  gtk_stack_set_visible_child_name (GTK_STACK (find_type (dialog, GTK_TYPE_STACK)), "dh");
  shoot (dialog, "client-details-dh.png");
  gtk_widget_destroy (dialog);

  /* Checked by the person: the sentence says so. */
  dialog = cz_details_dialog_new (GTK_WINDOW (win), "127.0.0.1:7443", tofu, fp, TRUE);
  gtk_widget_show (dialog);
  labels = all_labels (dialog);
  g_assert_nonnull (strstr (labels, "\nEncrypted · server identity checked by you (key fingerprint)\n"));
  g_assert_nonnull (strstr (labels, "\nNo client certificate\n"));
  g_clear_pointer (&labels, g_free);
  gtk_widget_destroy (dialog);

  /* The trust prompt: the same label and grouping; Cancel, not Refuse. */
  dialog = cz_trust_dialog_new (GTK_WINDOW (win), "127.0.0.1:7443", fp);
  gtk_widget_show (dialog);
  labels = all_labels (dialog);
  g_assert_nonnull (strstr (labels, "\nKey fingerprint (SHA-256)\n"));
  g_assert_nonnull (strstr (labels, "\n1016 76b4 aaaa bbbb cccc dddd eeee ffff\n"
                                    "0000 1111 2222 3333 4444 5555 6666 777f\n"));
  g_assert_null (strstr (labels, "Refuse"));
  g_assert_nonnull (strstr (labels, "\nCancel\n"));
  g_clear_pointer (&labels, g_free);
  shoot (dialog, "client-trust.png");
  gtk_widget_destroy (dialog);
  gtk_widget_destroy (win);
}

/* ---- The connect form remembers each server ------------------------------------------------ */

static void
fill_and_connect (CzClientWindow *win, const char *host, guint16 port, gboolean tofu,
                  const char *ca, const char *user)
{
  CzConnectView *form = cz_client_window_get_connect_view (win);

  cz_connect_view_set_server (form, host, port);
  cz_connect_view_set_trust (form, tofu ? CZ_TRUST_TOFU : CZ_TRUST_CA, ca);
  cz_connect_view_set_user (form, user);
  gtk_entry_set_text (GTK_ENTRY (cz_test_find_named (GTK_WIDGET (form), "Password")), "pw");
  gtk_button_clicked (GTK_BUTTON (cz_test_find_named (GTK_WIDGET (form), "Log In")));
  /* Nothing listens there: back to the form with an error. */
  g_assert_true (cz_test_wait_for_session (win, CZ_SESSION_IDLE, WAIT_MS));
  cz_test_spin (20);
}

static void
test_recent_servers (void)
{
  g_autofree char *dir = cz_test_make_pki ();
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autoptr(GSettings) settings = g_settings_new ("org.causerie.Client");
  g_auto(GStrv) recent = NULL;
  CzClientWindow *win = cz_client_window_new (NULL);
  CzConnectView *form;
  GtkWidget *combo;
  g_autofree char *host = NULL;
  g_autofree char *file = NULL;

  g_settings_reset (settings, "recent-servers");
  g_settings_reset (settings, "servers");
  gtk_widget_show (GTK_WIDGET (win));
  /* Two servers (ports nothing listens on), each its own way. */
  fill_and_connect (win, "127.0.0.1", 9, TRUE, NULL, "alice");
  fill_and_connect (win, "localhost", 19, FALSE, ca, "bob");
  gtk_widget_destroy (GTK_WIDGET (win));

  recent = g_settings_get_strv (settings, "recent-servers");
  g_assert_cmpstr (recent[0], ==, "localhost:19");
  g_assert_cmpstr (recent[1], ==, "127.0.0.1:9");
  g_assert_null (recent[2]);

  /* A new window: the last server, as it was used. */
  win = cz_client_window_new (NULL);
  form = cz_client_window_get_connect_view (win);
  gtk_widget_show (GTK_WIDGET (win));
  host = cz_connect_view_get_host (form);
  g_assert_cmpstr (host, ==, "localhost");
  g_assert_cmpuint (cz_connect_view_get_port (form), ==, 19);
  g_assert_cmpint (cz_connect_view_get_trust (form), ==, CZ_TRUST_CA);
  file = cz_connect_view_get_ca_file (form);
  g_assert_cmpstr (file, ==, ca);
  g_assert_cmpstr (cz_connect_view_get_user (form), ==, "bob");
  shoot (GTK_WIDGET (win), "client-connect.png");

  /* The other one, picked from the recent list: its own trust and user. */
  combo = cz_test_find_named (GTK_WIDGET (form), "Recent servers");
  g_assert_true (GTK_IS_COMBO_BOX (combo));
  g_assert_true (gtk_combo_box_set_active_id (GTK_COMBO_BOX (combo), "127.0.0.1:9"));
  g_clear_pointer (&host, g_free);
  host = cz_connect_view_get_host (form);
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_cmpuint (cz_connect_view_get_port (form), ==, 9);
  g_assert_cmpint (cz_connect_view_get_trust (form), ==, CZ_TRUST_TOFU);
  g_assert_cmpstr (cz_connect_view_get_user (form), ==, "alice");
  /* And back. */
  g_assert_true (gtk_combo_box_set_active_id (GTK_COMBO_BOX (combo), "localhost:19"));
  g_assert_cmpint (cz_connect_view_get_trust (form), ==, CZ_TRUST_CA);
  g_assert_cmpstr (cz_connect_view_get_user (form), ==, "bob");
  /* The list also completes what is typed. */
  g_assert_nonnull (gtk_entry_get_completion (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (combo)))));

  gtk_widget_destroy (GTK_WIDGET (win));
  g_settings_reset (settings, "recent-servers");
  g_settings_reset (settings, "servers");
  g_settings_reset (settings, "user-name");
  g_settings_reset (settings, "trust-mode");
  g_settings_reset (settings, "ca-file");
  cz_test_rmdir (dir);
}

/* ---- Every listed shortcut, with the focus in the message field ------------------------- */

static GtkWidget *
find_toplevel (GType type)
{
  g_autoptr(GList) all = gtk_window_list_toplevels ();

  for (GList *l = all; l; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

static char *
entry_text (GtkWidget *entry)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (entry));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
collect_accels (GtkWidget *w, gpointer data)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (w))
    {
      g_autofree char *accel = NULL;
      g_object_get (w, "accelerator", &accel, NULL);
      g_ptr_array_add (data, g_steal_pointer (&accel));
    }
  else if (GTK_IS_CONTAINER (w))
    gtk_container_forall (GTK_CONTAINER (w), collect_accels, data);
}

static void
test_shortcuts (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *ca = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CzClientApp) app = NULL;
  g_autoptr(GtkBuilder) builder = NULL;
  g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) tested = g_hash_table_new (g_str_hash, g_str_equal);
  CzTestServer *server;
  CzClientWindow *win;
  CzConnectView *form;
  CzChatView *view;
  CzChatModel *model;
  GtkWidget *entry, *w, *menu;
  GtkTextBuffer *buffer;
  char *text;

  if (cz_test_server_bin () == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN not set");
      return;
    }
  /* What the shortcuts window lists. */
  builder = gtk_builder_new_from_resource ("/org/causerie/Client/gtk/help-overlay.ui");
  collect_accels (GTK_WIDGET (gtk_builder_get_object (builder, "help_overlay")), listed);
  g_assert_cmpuint (listed->len, >=, 8);
  gtk_widget_destroy (GTK_WIDGET (gtk_builder_get_object (builder, "help_overlay")));

  dir = cz_test_make_pki ();
  ca = g_build_filename (dir, "ca.pem", NULL);
  server = cz_test_server_start (dir, NULL, &error);
  g_assert_no_error (error);

  /* The real application: its accelerators and the window's help overlay. */
  app = cz_client_app_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE
                                                | G_APPLICATION_HANDLES_COMMAND_LINE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  win = cz_client_window_new (GTK_APPLICATION (app));
  g_object_add_weak_pointer (G_OBJECT (win), (gpointer *) &win);
  form = cz_client_window_get_connect_view (win);
  view = cz_client_window_get_chat_view (win);
  model = cz_client_window_get_model (win);
  entry = cz_chat_view_get_entry (view);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (entry));
  gtk_window_set_default_size (GTK_WINDOW (win), 760, 520);
  gtk_widget_show (GTK_WIDGET (win));
  cz_client_window_prefill (win, "127.0.0.1", server->port, ca);
  cz_connect_view_set_user (form, "alice");
  gtk_entry_set_text (GTK_ENTRY (cz_test_find_named (GTK_WIDGET (form), "Password")), "pw-alice");
  gtk_button_clicked (GTK_BUTTON (cz_test_find_named (GTK_WIDGET (form), "Create Account")));
  g_assert_true (cz_test_wait_for_session (win, CZ_SESSION_ONLINE, WAIT_MS));
  cz_chat_model_ensure (model, "bob");   /* a second conversation to move to */
  cz_test_spin (100);
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (win)) == entry);   /* the default */

#define TESTED(a) g_hash_table_add (tested, (gpointer) (a))

  /* Return sends; Shift+Return starts a new line. */
  gtk_text_buffer_set_text (buffer, "first", -1);
  type_accel (GTK_WIDGET (win), "<Shift>Return");
  text = entry_text (entry);
  g_assert_cmpstr (text, ==, "first\n");
  g_free (text);
  TESTED ("<shift>Return");
  gtk_text_buffer_insert_at_cursor (buffer, "second", -1);
  type_accel (GTK_WIDGET (win), "Return");
  text = entry_text (entry);
  g_assert_cmpstr (text, ==, "");
  g_free (text);
  g_assert_cmpuint (g_list_model_get_n_items (cz_conversation_get_messages (
                      cz_chat_model_lookup (model, CZ_LOBBY))), >=, 1);
  TESTED ("Return");

  /* Ctrl+, : Preferences (and not the emoji chooser of Ctrl+.). */
  gtk_widget_grab_focus (entry);
  type_accel (GTK_WIDGET (win), "<ctrl>comma");
  w = find_toplevel (CZ_TYPE_PREFS_DIALOG);
  g_assert_nonnull (w);
  gtk_widget_destroy (w);
  text = entry_text (entry);
  g_assert_cmpstr (text, ==, "");
  g_free (text);
  TESTED ("<ctrl>comma");

  /* Ctrl+I: Connection Details. */
  gtk_widget_grab_focus (entry);
  type_accel (GTK_WIDGET (win), "<ctrl>i");
  w = find_toplevel (CZ_TYPE_DETAILS_DIALOG);
  g_assert_nonnull (w);
  gtk_widget_destroy (w);
  TESTED ("<ctrl>i");

  /* Alt+Down, Alt+Up: the next and previous conversations. */
  gtk_widget_grab_focus (entry);
  g_assert_true (cz_conversation_is_lobby (cz_chat_view_get_conversation (view)));
  type_accel (GTK_WIDGET (win), "<alt>Down");
  g_assert_cmpstr (cz_conversation_get_key (cz_chat_view_get_conversation (view)), ==, "bob");
  TESTED ("<alt>Down");
  gtk_widget_grab_focus (entry);
  type_accel (GTK_WIDGET (win), "<alt>Up");
  g_assert_true (cz_conversation_is_lobby (cz_chat_view_get_conversation (view)));
  TESTED ("<alt>Up");

  /* Ctrl+L: back to the message field from anywhere. */
  gtk_widget_grab_focus (GTK_WIDGET (gtk_list_box_get_selected_row (
                           GTK_LIST_BOX (cz_chat_view_get_conversation_list (view)))));
  g_assert_false (gtk_window_get_focus (GTK_WINDOW (win)) == entry);
  type_accel (GTK_WIDGET (win), "<ctrl>l");
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (win)) == entry);
  TESTED ("<ctrl>l");

  /* F10: the main menu. */
  menu = cz_test_find_named (GTK_WIDGET (win), "Main menu");
  g_assert_true (GTK_IS_MENU_BUTTON (menu));
  type_accel (GTK_WIDGET (win), "F10");
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (menu)));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (menu), FALSE);
  TESTED ("F10");

  /* Ctrl+?: this very shortcuts window. */
  gtk_widget_grab_focus (entry);
  type_accel (GTK_WIDGET (win), "<ctrl>question");
  w = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  g_assert_nonnull (w);
  gtk_widget_hide (w);
  TESTED ("<ctrl>question");

  /* Every listed one was typed above but Ctrl+Q, typed last. */
  TESTED ("<ctrl>q");
  for (guint i = 0; i < listed->len; i++)
    if (!g_hash_table_contains (tested, listed->pdata[i]))
      g_error ("the shortcuts window lists %s, which this test does not type",
               (const char *) listed->pdata[i]);

  /* Ctrl+Q: the window closes (and says bye). */
  gtk_widget_grab_focus (entry);
  type_accel (GTK_WIDGET (win), "<ctrl>q");
  cz_test_spin (100);
  g_assert_null (win);

  cz_test_server_stop (server);
  cz_test_server_free (server);
  cz_test_rmdir (dir);
#undef TESTED
}

int
main (int argc, char **argv)
{
  g_autoptr(GtkCssProvider) css = NULL;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LC_ALL", "C", TRUE);   /* the English strings */
  gtk_test_init (&argc, &argv, NULL);
  g_type_ensure (CZ_TYPE_CLIENT_WINDOW);   /* registers the resources */
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/org/causerie/Client/cz-client.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_test_add_func ("/client-states/empty", test_empty_states);
  g_test_add_func ("/client-states/dialog-words", test_dialog_words);
  g_test_add_func ("/client-states/recent-servers", test_recent_servers);
  g_test_add_func ("/client-states/shortcuts", test_shortcuts);
  return g_test_run ();
}
