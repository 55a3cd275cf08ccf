/* test-client-retry.c: a message the server refused, in the real window
 * against a real server: the row says why and offers Retry and Discard
 * (named for AT-SPI, reachable with Tab); Discard removes it for good;
 * once the recipient exists, Retry sends it and it is stored, once.
 * The connection lost: the server stops, the header's lock says "Not
 * connected" at once, the countdown only goes down, and the window is
 * back online soon after the server returns on the same port; the retry
 * schedule itself as a function.  Skips without DISPLAY.
 *
 * CZ_TEST_SCREENSHOT=FILE.png saves the window with the two failed
 * messages (for looking at the rows). */
#include "config.h"

#ifdef __SANITIZE_ADDRESS__
/* As in test-client-window.c: GLib's quark block needs full stacks. */
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
#include "cz-client-window.h"
#include "testutil.h"
#include "client-gui-testutil.h"

#define WAIT_MS 15000

/* TRUE if a visible label under @root shows text containing @part. */
static gboolean
shows_text (GtkWidget *root, const char *part)
{
  g_autoptr(GList) children = NULL;

  if (!gtk_widget_is_visible (root))
    return FALSE;
  if (GTK_IS_LABEL (root))
    return strstr (gtk_label_get_text (GTK_LABEL (root)), part) != NULL;
  if (!GTK_IS_CONTAINER (root))
    return FALSE;
  children = gtk_container_get_children (GTK_CONTAINER (root));
  for (GList *l = children; l; l = l->next)
    if (shows_text (l->data, part))
      return TRUE;
  return FALSE;
}

/* Waits (bounded) until @msg is FAILED, or at least STORED (@stored). */
static gboolean
wait_for_message (CzChatMessage *msg, gboolean stored)
{
  gint64 end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;

#define DONE() (stored ? (cz_chat_message_get_state (msg) >= CZ_MESSAGE_STATE_STORED         \
                          && cz_chat_message_get_state (msg) != CZ_MESSAGE_STATE_FAILED)      \
                       : cz_chat_message_get_state (msg) == CZ_MESSAGE_STATE_FAILED)
  while (!DONE () && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  return DONE ();
#undef DONE
}

/* Presents @win and waits (bounded) until it has the keyboard focus. */
static gboolean
wait_for_active (GtkWindow *win)
{
  gint64 end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;

  gtk_window_present (win);
  while (!gtk_window_is_active (win) && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  return gtk_window_is_active (win);
}

/* The row showing @msg in the chat view. */
static GtkWidget *
row_of (CzClientWindow *win, CzChatMessage *msg)
{
  GtkWidget *list = cz_chat_view_get_message_list (cz_client_window_get_chat_view (win));

  for (int i = 0;; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), i);
      if (row == NULL)
        return NULL;
      if (cz_message_row_get_message (CZ_MESSAGE_ROW (row)) == msg)
        return GTK_WIDGET (row);
    }
}

static void
save_screenshot (CzClientWindow *win, const char *path)
{
  GdkWindow *window = gtk_widget_get_window (GTK_WIDGET (win));
  g_autoptr(GdkPixbuf) shot = NULL;
  g_autoptr(GError) error = NULL;

  cz_test_spin (500);
  shot = gdk_pixbuf_get_from_window (window, 0, 0, gdk_window_get_width (window),
                                     gdk_window_get_height (window));
  g_assert_nonnull (shot);
  gdk_pixbuf_save (shot, path, "png", &error, NULL);
  g_assert_no_error (error);
}

static void
log_in (CzClientWindow *win, CzTestServer *server, const char *ca)
{
  CzConnectView *form = cz_client_window_get_connect_view (win);

  cz_client_window_prefill (win, "127.0.0.1", server->port, ca);
  cz_connect_view_set_user (form, "alice");
  gtk_entry_set_text (GTK_ENTRY (cz_test_find_named (GTK_WIDGET (form), "Password")), "pw-alice");
  gtk_button_clicked (GTK_BUTTON (cz_test_find_named (GTK_WIDGET (form), "Create Account")));
  g_assert_true (cz_test_wait_for_session (win, CZ_SESSION_ONLINE, WAIT_MS));
}

static void
test_retry_discard (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *txn = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  g_autoptr(CzTestClient) bob = NULL;
  CzTestServer *server;
  CzClientWindow *win;
  CzClientSession *session;
  CzChatModel *model;
  CzChatView *view;
  CzChatMessage *hello, *unwanted, *bye;
  GtkWidget *row, *retry, *discard;
  JsonObject *got;
  const char *shot = g_getenv ("CZ_TEST_SCREENSHOT");

  if (cz_test_server_bin () == NULL || cz_test_client_bin () == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN or CZ_CLIENT_BIN not set");
      return;
    }
  dir = cz_test_make_pki ();
  ca = g_build_filename (dir, "ca.pem", NULL);
  server = cz_test_server_start (dir, NULL, &error);
  g_assert_no_error (error);

  win = cz_client_window_new (NULL);
  session = cz_client_window_get_session (win);
  model = cz_client_window_get_model (win);
  view = cz_client_window_get_chat_view (win);
  gtk_window_set_default_size (GTK_WINDOW (win), 760, 520);
  gtk_widget_show (GTK_WIDGET (win));
  /* Tab moves within a row only once the window has the keyboard: until
   * then GtkListBoxRow takes the focus itself, whatever the direction.
   * Without a window manager the window is active only once presented. */
  g_assert_true (wait_for_active (GTK_WINDOW (win)));
  log_in (win, server, ca);

  /* Two direct messages to someone who has no account yet: refused. */
  hello = cz_client_session_send (session, "bob", "hello bob, are you there?");
  unwanted = cz_client_session_send (session, "bob", "never mind");
  txn = g_strdup (cz_chat_message_get_txn (hello));
  g_assert_true (cz_chat_view_select (view, "bob"));
  g_assert_true (wait_for_message (hello, FALSE));
  g_assert_true (wait_for_message (unwanted, FALSE));
  g_assert_nonnull (cz_chat_message_get_error (hello));
  /* Let every update already queued (the second refusal, receipts of the
   * rows around) reach the list first: a row rebuilt after we took it
   * would take the keyboard focus with it. */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);

  /* The row says so, and why, and offers Retry and Discard. */
  row = row_of (win, hello);
  g_assert_nonnull (row);
  g_assert_cmpstr (cz_message_row_get_state_text (CZ_MESSAGE_ROW (row)), ==, "Not sent");
  g_assert_true (shows_text (row, cz_chat_message_get_error (hello)));
  g_assert_nonnull (strstr (atk_object_get_name (gtk_widget_get_accessible (row)), "Not sent"));
  retry = cz_test_find_named (row, "Retry");
  discard = cz_test_find_named (row, "Discard");
  g_assert_true (GTK_IS_BUTTON (retry));
  g_assert_true (GTK_IS_BUTTON (discard));
  g_assert_true (gtk_widget_is_visible (retry));
  g_assert_true (gtk_widget_is_visible (discard));
  /* Keyboard: from the row, Tab reaches Retry, then Discard. */
  gtk_widget_grab_focus (row);
  g_assert_true (gtk_widget_child_focus (row, GTK_DIR_TAB_FORWARD));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (win)) == retry);
  g_assert_true (gtk_widget_child_focus (row, GTK_DIR_TAB_FORWARD));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (win)) == discard);
  if (shot)
    save_screenshot (win, shot);

  /* Discard: the row and the message go, and it is never sent; the
   * keyboard goes back to the entry. */
  discard = cz_test_find_named (row_of (win, unwanted), "Discard");
  gtk_widget_grab_focus (discard);
  gtk_button_clicked (GTK_BUTTON (discard));
  g_assert_null (row_of (win, unwanted));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (win)) == cz_chat_view_get_entry (view));
  g_assert_null (cz_chat_model_conversation_of (model, unwanted));
  g_assert_cmpuint (g_list_model_get_n_items (cz_conversation_get_messages (
                      cz_chat_model_lookup (model, "bob"))), ==, 1);
  outbox = cz_chat_model_get_outbox (model);
  g_assert_cmpuint (outbox->len, ==, 0);

  /* bob creates his account; Retry now delivers, with the same txn. */
  bob = cz_test_client_start (dir, server->port, NULL, &error);
  g_assert_no_error (error);
  cz_test_client_register_login (bob, "bob", "pw-bob");
  gtk_widget_grab_focus (retry);
  gtk_button_clicked (GTK_BUTTON (retry));
  g_assert_cmpint (cz_chat_message_get_state (hello), !=, CZ_MESSAGE_STATE_FAILED);
  g_assert_null (cz_chat_message_get_error (hello));
  g_assert_cmpstr (cz_chat_message_get_txn (hello), ==, txn);
  g_assert_false (gtk_widget_is_visible (retry));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (win)) == row);   /* not lost */
  g_assert_true (wait_for_message (hello, TRUE));
  g_assert_cmpint (cz_chat_message_get_id (hello), >, 0);
  g_assert_true (row_of (win, hello) == row);
  g_assert_false (gtk_widget_is_visible (retry));
  g_assert_false (gtk_widget_is_visible (cz_test_find_named (row, "Discard")));
  g_assert_false (shows_text (row, "Not sent"));
  got = cz_test_client_expect_with (bob, "message", "text", "hello bob, are you there?", WAIT_MS);
  g_assert_nonnull (got);
  g_assert_cmpint (json_object_get_int_member (got, "id"), ==, cz_chat_message_get_id (hello));

  /* The discarded one never went: bob's next message is the one after. */
  bye = cz_client_session_send (session, "bob", "bye");
  g_assert_true (wait_for_message (bye, TRUE));
  g_assert_nonnull (cz_test_client_expect_with (bob, "message", "text", "bye", WAIT_MS));
  g_assert_cmpuint (cz_test_client_count (bob, "message"), ==, 2);

  g_assert_cmpint (cz_test_client_finish (bob), ==, 0);
  gtk_widget_destroy (GTK_WIDGET (win));
  cz_test_spin (50);
  cz_test_server_stop (server);
  cz_test_server_free (server);
  cz_test_rmdir (dir);
}


/* ---- The connection lost ------------------------------------------------------------ */

static void
test_retry_schedule (void)
{
  guint prev = 0, d;

  /* Local: 250 ms doubling to 1.5 s; no jitter. */
  g_assert_cmpuint (cz_reconnect_delay_ms (1, TRUE, 0, 0), ==, 250);
  g_assert_cmpuint (cz_reconnect_delay_ms (2, TRUE, 0, 250), ==, 500);
  g_assert_cmpuint (cz_reconnect_delay_ms (3, TRUE, 0, 500), ==, 1000);
  g_assert_cmpuint (cz_reconnect_delay_ms (4, TRUE, 0, 1000), ==, 1500);
  g_assert_cmpuint (cz_reconnect_delay_ms (40, TRUE, 0, 0), ==, 1500);
  /* Elsewhere: 500 ms doubling to 30 s. */
  g_assert_cmpuint (cz_reconnect_delay_ms (1, FALSE, 0, 0), ==, 500);
  g_assert_cmpuint (cz_reconnect_delay_ms (5, FALSE, 0, 0), ==, 8000);
  g_assert_cmpuint (cz_reconnect_delay_ms (7, FALSE, 0, 0), ==, 30000);
  g_assert_cmpuint (cz_reconnect_delay_ms (G_MAXUINT, FALSE, 0, 0), ==, 30000);
  /* Jitter adds at most a tenth, never takes away. */
  g_assert_cmpuint (cz_reconnect_delay_ms (4, TRUE, 1, 0), ==, 1650);
  g_assert_cmpuint (cz_reconnect_delay_ms (1, FALSE, 0.5, 0), ==, 525);
  g_assert_cmpuint (cz_reconnect_delay_ms (1, FALSE, -3, 0), ==, 500);
  g_assert_cmpuint (cz_reconnect_delay_ms (1, FALSE, 7, 0), ==, 550);
  /* Monotonic: at the cap, a smaller jitter than last time does not
   * shorten the wait; and the local schedule stays under 2 s. */
  g_assert_cmpuint (cz_reconnect_delay_ms (9, TRUE, 0, 1640), ==, 1640);
  for (guint i = 1; i < 50; i++)
    {
      d = cz_reconnect_delay_ms (i, TRUE, g_test_rand_double (), prev);
      g_assert_cmpuint (d, >=, prev);
      g_assert_cmpuint (d, <=, 1650);
      prev = d;
    }
}

typedef struct {
  guint last;
  gboolean went_up;
  guint shown;
} Countdown;

/* Within one wait, the seconds shown only go down. */
static void
retry_seconds_cb (CzClientSession *session, GParamSpec *pspec, Countdown *c)
{
  guint now = cz_client_session_get_retry_seconds (session);

  if (now > 0 && c->last > 0 && now > c->last)
    c->went_up = TRUE;
  if (now > 0)
    c->shown++;
  c->last = now;
}

static void
test_reconnect (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *port_arg = NULL;
  g_autoptr(GError) error = NULL;
  CzTestServer *server;
  CzClientWindow *win;
  CzClientSession *session;
  GtkWidget *lock;
  Countdown countdown = { 0 };
  gint64 t0, detected, back, online;
  const char *shot = g_getenv ("CZ_TEST_SCREENSHOT_OFFLINE");

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
  session = cz_client_window_get_session (win);
  gtk_window_set_default_size (GTK_WINDOW (win), 760, 520);
  gtk_widget_show (GTK_WIDGET (win));
  log_in (win, server, ca);
  lock = cz_test_find_named (GTK_WIDGET (win), "Connection details");
  g_assert_true (GTK_IS_BUTTON (lock));
  g_assert_true (gtk_widget_is_visible (lock));

  /* The server stops: the window notices at once (the server says bye,
   * or the socket ends) and the lock says so. */
  g_signal_connect (session, "notify::retry-seconds", G_CALLBACK (retry_seconds_cb), &countdown);
  t0 = g_get_monotonic_time ();
  cz_test_server_stop (server);
  g_assert_true (cz_test_wait_for_session (win, CZ_SESSION_RECONNECTING, WAIT_MS));
  detected = g_get_monotonic_time ();
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (lock)), ==, "Not connected");
  g_assert_true (cz_test_find_named (GTK_WIDGET (win), "Not connected") == lock);
  g_assert_true (gtk_widget_is_visible (lock));
  g_assert_true (shows_text (GTK_WIDGET (win), "was lost"));
  g_test_message ("connection loss noticed %" G_GINT64_FORMAT " ms after the server was told "
                  "to stop (and had stopped)", (detected - t0) / 1000);
  if (shot)
    save_screenshot (win, shot);

  /* Several attempts fail while it is away (each a refused connection). */
  cz_test_spin (3000);
  g_assert_cmpint (cz_client_session_get_state (session), ==, CZ_SESSION_RECONNECTING);
  g_assert_false (countdown.went_up);

  /* Back on the same port, with the same database: online again, the
   * lock closed, without anyone pressing anything. */
  port_arg = g_strdup_printf ("%u", server->port);
  {
    const char *args[] = { "--port", port_arg, NULL };
    guint16 port = server->port;
    cz_test_server_free (server);
    server = cz_test_server_start (dir, args, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (server->port, ==, port);
  }
  back = g_get_monotonic_time ();
  g_assert_true (cz_test_wait_for_session (win, CZ_SESSION_ONLINE, WAIT_MS));
  online = g_get_monotonic_time ();
  g_test_message ("online again %" G_GINT64_FORMAT " ms after the server was back",
                  (online - back) / 1000);
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (lock)), ==,
                   "Connection details");
  g_assert_false (countdown.went_up);
  g_assert_false (shows_text (GTK_WIDGET (win), "was lost"));

  /* A crash this time: no bye, only the end of the socket. */
  t0 = g_get_monotonic_time ();
  cz_test_server_kill (server);
  g_assert_true (cz_test_wait_for_session (win, CZ_SESSION_RECONNECTING, WAIT_MS));
  g_test_message ("crash noticed %" G_GINT64_FORMAT " ms after SIGKILL",
                  (g_get_monotonic_time () - t0) / 1000);
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (lock)), ==, "Not connected");
  {
    const char *args[] = { "--port", port_arg, NULL };
    cz_test_server_free (server);
    server = cz_test_server_start (dir, args, &error);
    g_assert_no_error (error);
  }
  g_assert_true (cz_test_wait_for_session (win, CZ_SESSION_ONLINE, WAIT_MS));
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (lock)), ==,
                   "Connection details");

  g_signal_handlers_disconnect_by_data (session, &countdown);
  gtk_widget_destroy (GTK_WIDGET (win));
  cz_test_spin (50);
  cz_test_server_stop (server);
  cz_test_server_free (server);
  cz_test_rmdir (dir);
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
  /* The application's style, as the real window has it. */
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/org/causerie/Client/cz-client.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_test_add_func ("/client-window/retry-schedule", test_retry_schedule);
  g_test_add_func ("/client-window/retry-discard", test_retry_discard);
  g_test_add_func ("/client-window/reconnect", test_reconnect);
  return g_test_run ();
}
