/* test-message-log.c: the server window's message log, in process: bounded,
 * filtered, fed in many small batches, and by the engine's event sink from
 * another thread at 2,000 events a second without stalling the main loop.
 * Skipped without a display. */
#include "config.h"

#include <string.h>
#include <gtk/gtk.h>

#include "cz-event-sink.h"
#include "testutil.h"
#include "cz-message-log.h"

static gboolean have_display;

static gboolean
need_display (void)
{
  if (!have_display)
    g_test_skip ("no display (run under xvfb-run)");
  return have_display;
}

static CzServerEvent *
message_event (gint64 id, const char *from, const char *to, const char *text)
{
  CzServerEvent e = { .kind = CZ_SERVER_EVENT_MESSAGE, .message_id = id,
                      .ts = g_get_real_time () / 1000, .from = (char *) from,
                      .to = (char *) to, .text = (char *) text };
  return cz_server_event_copy (&e);
}

/* Walks @root for the widget built with id @name. */
static GtkWidget *
find_named (GtkWidget *root, const char *name)
{
  GtkWidget *found = NULL;
  GList *children;

  if (GTK_IS_BUILDABLE (root) && g_strcmp0 (gtk_buildable_get_name (GTK_BUILDABLE (root)), name) == 0)
    return root;
  if (!GTK_IS_CONTAINER (root))
    return NULL;
  children = gtk_container_get_children (GTK_CONTAINER (root));
  for (GList *l = children; l && found == NULL; l = l->next)
    found = find_named (l->data, name);
  g_list_free (children);
  return found;
}

static int
row_height (GtkTreeView *view, int n)
{
  g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (n, -1);
  GdkRectangle rect;

  gtk_tree_view_get_background_area (view, path, NULL, &rect);
  return rect.height;
}

/* A multi-line message takes one line in its row, like every other row
 * (the first row sets every row's height), and the pane below shows it
 * whole once it is selected, from the keyboard too. */
static void
test_multiline (void)
{
  GtkWidget *window, *log;
  GtkTreeView *view;
  GtkTreeModel *model;
  GtkTreeIter iter;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_server_event_free);
  g_autofree char *line = NULL, *text = NULL;
  const char *four = "first line\nsecond line\r\nthird line\rfourth line";
  GtkWidget *details;

  if (!need_display ())
    return;
  /* Known answers for the one-line form. */
  line = cz_message_log_one_line (four, 300);
  g_assert_cmpstr (line, ==, "first line \u23CE second line \u23CE third line \u23CE fourth line");
  g_clear_pointer (&line, g_free);
  line = cz_message_log_one_line ("h\u00e9llo w\u00f6rld", 5);
  g_assert_cmpstr (line, ==, "h\u00e9llo");
  g_clear_pointer (&line, g_free);

  window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 500);
  log = cz_message_log_new ();
  gtk_container_add (GTK_CONTAINER (window), log);
  g_ptr_array_add (batch, message_event (1, "alice", NULL, four));
  g_ptr_array_add (batch, message_event (2, "bob", "alice", "one line"));
  cz_message_log_append_events (CZ_MESSAGE_LOG (log), batch);
  gtk_widget_show_all (window);
  cz_test_spin (200);

  view = GTK_TREE_VIEW (find_named (log, "view"));
  model = gtk_tree_view_get_model (view);
  g_assert_true (gtk_tree_model_get_iter_first (model, &iter));
  gtk_tree_model_get (model, &iter, CZ_MESSAGE_LOG_COL_LINE, &line, CZ_MESSAGE_LOG_COL_TEXT, &text, -1);
  g_assert_null (strchr (line, '\n'));
  g_assert_nonnull (strstr (line, "\u23CE"));
  g_assert_cmpstr (text, ==, four);
  /* Equal rows, one line high: a four-line row would be about four times
   * the height of the text. */
  g_assert_cmpint (row_height (view, 0), ==, row_height (view, 1));
  {
    PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (view), "Xg");
    int w, h;
    pango_layout_get_pixel_size (layout, &w, &h);
    g_assert_cmpint (row_height (view, 0), <, 2 * h);
    g_object_unref (layout);
  }

  /* The whole message, below, for the selected row; reached with the
   * keyboard: the row by the cursor, the text by focus. */
  details = find_named (log, "details_text");
  g_assert_true (gtk_widget_get_can_focus (details));
  g_assert_null (strstr (cz_message_log_get_details (CZ_MESSAGE_LOG (log)), "second line"));
  gtk_widget_grab_focus (GTK_WIDGET (view));
  {
    g_autoptr(GtkTreePath) path = gtk_tree_path_new_first ();
    gtk_tree_view_set_cursor (view, path, NULL, FALSE);
  }
  g_assert_cmpstr (cz_message_log_get_details (CZ_MESSAGE_LOG (log)), ==, four);
  {
    g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (1, -1);
    gtk_tree_view_set_cursor (view, path, NULL, FALSE);
  }
  g_assert_cmpstr (cz_message_log_get_details (CZ_MESSAGE_LOG (log)), ==, "one line");
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (find_named (log, "details_heading"))),
                            "bob"));
  gtk_widget_destroy (window);
}

/* An encrypted message's row is told apart by the window (a lock icon,
 * and its details say the server cannot read it), so a plain message that
 * reads "N bytes, end-to-end encrypted" cannot pass for one. */
static void
test_e2e_rows (void)
{
  GtkWidget *window, *log;
  GtkTreeView *view;
  GtkTreeModel *model;
  GtkTreeIter iter;
  GtkTreeViewColumn *text_column;
  GtkCellRenderer *lock;
  g_autoptr(GList) cells = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_server_event_free);
  const char *size = "200 bytes, end-to-end encrypted";
  CzServerEvent *sealed;
  gboolean e2e;

  if (!need_display ())
    return;
  window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 500);
  log = cz_message_log_new ();
  gtk_container_add (GTK_CONTAINER (window), log);
  sealed = message_event (1, "alice", "bob", size);
  sealed->e2e = TRUE;
  g_ptr_array_add (batch, sealed);
  g_ptr_array_add (batch, message_event (2, "mallory", "bob", size));
  cz_message_log_append_events (CZ_MESSAGE_LOG (log), batch);
  gtk_widget_show_all (window);
  cz_test_spin (100);

  view = GTK_TREE_VIEW (find_named (log, "view"));
  model = gtk_tree_view_get_model (view);
  text_column = gtk_tree_view_get_column (view, gtk_tree_view_get_n_columns (view) - 1);
  cells = gtk_cell_layout_get_cells (GTK_CELL_LAYOUT (text_column));
  g_assert_cmpuint (g_list_length (cells), ==, 2);
  lock = cells->data;
  for (int row = 0; row < 2; row++)
    {
      g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (row, -1);

      g_assert_true (gtk_tree_model_get_iter (model, &iter, path));
      gtk_tree_model_get (model, &iter, CZ_MESSAGE_LOG_COL_E2E, &e2e, -1);
      g_assert_true (e2e == (row == 0));
      gtk_tree_view_column_cell_set_cell_data (text_column, model, &iter, FALSE, FALSE);
      /* The lock icon, which no text can draw. */
      g_assert_true (gtk_cell_renderer_get_visible (lock) == (row == 0));
      gtk_tree_view_set_cursor (view, path, NULL, FALSE);
      if (row == 0)
        g_assert_nonnull (strstr (cz_message_log_get_details (CZ_MESSAGE_LOG (log)),
                                  "the server cannot read it"));
      else
        g_assert_cmpstr (cz_message_log_get_details (CZ_MESSAGE_LOG (log)), ==, size);
    }
  gtk_widget_destroy (window);
}

static void
test_message_log (void)
{
  GtkWidget *log;
  GtkTreeModel *model;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_server_event_free);
  GtkTreeIter iter;
  g_autofree char *text = NULL, *to = NULL;
  CzServerEvent other = { .kind = CZ_SERVER_EVENT_LOG, .text = (char *) "ignored" };
  int n;

  if (!need_display ())
    return;
  log = g_object_ref_sink (cz_message_log_new ());
  model = cz_message_log_get_model (CZ_MESSAGE_LOG (log));

  g_ptr_array_add (batch, cz_server_event_copy (&other));
  for (int i = 0; i < CZ_MESSAGE_LOG_LIMIT + 1000; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %d", i);
      g_ptr_array_add (batch, message_event (i + 1, i % 10 == 0 ? "bob" : "alice",
                                             i % 10 == 0 ? NULL : "carol", body));
    }
  cz_message_log_append_events (CZ_MESSAGE_LOG (log), batch);
  /* Bounded: the oldest are dropped, the newest is last. */
  g_assert_cmpint (gtk_tree_model_iter_n_children (model, NULL), ==, CZ_MESSAGE_LOG_LIMIT);
  g_assert_cmpuint (cz_message_log_get_total (CZ_MESSAGE_LOG (log)), ==, CZ_MESSAGE_LOG_LIMIT + 1000);
  g_assert_true (gtk_tree_model_iter_nth_child (model, &iter, NULL, CZ_MESSAGE_LOG_LIMIT - 1));
  gtk_tree_model_get (model, &iter, CZ_MESSAGE_LOG_COL_TEXT, &text, -1);
  g_assert_cmpstr (text, ==, "message 5999");
  g_clear_pointer (&text, g_free);
  g_assert_true (gtk_tree_model_get_iter_first (model, &iter));
  gtk_tree_model_get (model, &iter, CZ_MESSAGE_LOG_COL_TEXT, &text, -1);
  g_assert_cmpstr (text, ==, "message 1000");

  /* Filtered by user: bob's lobby messages only. */
  cz_message_log_set_filter (CZ_MESSAGE_LOG (log), "BoB");
  model = cz_message_log_get_model (CZ_MESSAGE_LOG (log));
  n = gtk_tree_model_iter_n_children (model, NULL);
  g_assert_cmpint (n, ==, CZ_MESSAGE_LOG_LIMIT / 10);
  g_assert_true (gtk_tree_model_get_iter_first (model, &iter));
  gtk_tree_model_get (model, &iter, CZ_MESSAGE_LOG_COL_TO, &to, -1);
  g_assert_cmpstr (to, ==, "#lobby");
  /* Recipients match too. */
  cz_message_log_set_filter (CZ_MESSAGE_LOG (log), "carol");
  g_assert_cmpint (gtk_tree_model_iter_n_children (model, NULL), ==, CZ_MESSAGE_LOG_LIMIT * 9 / 10);
  cz_message_log_set_filter (CZ_MESSAGE_LOG (log), NULL);
  model = cz_message_log_get_model (CZ_MESSAGE_LOG (log));
  g_assert_cmpint (gtk_tree_model_iter_n_children (model, NULL), ==, CZ_MESSAGE_LOG_LIMIT);

  /* Many small batches while filtered, as the event sink delivers them
   * under load: the log stays within its bound (plus the quarter it trims
   * by), the newest last, and the filter still applies after a trim. */
  cz_message_log_set_filter (CZ_MESSAGE_LOG (log), "bob");
  for (int b = 0; b < 100; b++)
    {
      g_ptr_array_set_size (batch, 0);
      for (int i = 0; i < 100; i++)
        {
          int k = 6000 + b * 100 + i;
          g_autofree char *body = g_strdup_printf ("message %d", k);
          g_ptr_array_add (batch, message_event (k + 1, k % 10 == 0 ? "bob" : "alice",
                                                 "carol", body));
        }
      cz_message_log_append_events (CZ_MESSAGE_LOG (log), batch);
      model = cz_message_log_get_model (CZ_MESSAGE_LOG (log));
      n = gtk_tree_model_iter_n_children (model, NULL);
      g_assert_cmpint (n, >=, CZ_MESSAGE_LOG_LIMIT / 10);
      g_assert_cmpint (n, <=, (CZ_MESSAGE_LOG_LIMIT + CZ_MESSAGE_LOG_LIMIT / 4) / 10);
    }
  g_assert_cmpuint (cz_message_log_get_total (CZ_MESSAGE_LOG (log)), ==, CZ_MESSAGE_LOG_LIMIT + 11000);
  g_assert_true (gtk_tree_model_iter_nth_child (model, &iter, NULL, n - 1));
  g_clear_pointer (&text, g_free);
  gtk_tree_model_get (model, &iter, CZ_MESSAGE_LOG_COL_TEXT, &text, -1);
  g_assert_cmpstr (text, ==, "message 15990");
  cz_message_log_set_filter (CZ_MESSAGE_LOG (log), NULL);
  model = cz_message_log_get_model (CZ_MESSAGE_LOG (log));
  n = gtk_tree_model_iter_n_children (model, NULL);
  g_assert_cmpint (n, >=, CZ_MESSAGE_LOG_LIMIT);
  g_assert_cmpint (n, <=, CZ_MESSAGE_LOG_LIMIT + CZ_MESSAGE_LOG_LIMIT / 4);
  /* Unfiltered, the bound is exact again from the next message on. */
  g_ptr_array_set_size (batch, 0);
  g_ptr_array_add (batch, message_event (16001, "alice", "carol", "message 16000"));
  cz_message_log_append_events (CZ_MESSAGE_LOG (log), batch);
  g_assert_cmpint (gtk_tree_model_iter_n_children (model, NULL), ==, CZ_MESSAGE_LOG_LIMIT);

  gtk_widget_destroy (log);
  g_object_unref (log);
}

/* ---- Batching: 2,000 messages a second from another thread ------------------------ */

#define FLOOD_EVENTS 6000

typedef struct {
  CzEventSink *sink;
  CzMessageLog *log;
  guint batches;
  guint received;
  gint64 last_tick;
  gint64 worst_gap;
  gboolean done;
} Flood;

static void
flood_batch_cb (GPtrArray *events, gpointer data)
{
  Flood *f = data;

  f->batches++;
  f->received += events->len;
  cz_message_log_append_events (f->log, events);
}

static gpointer
flood_thread (gpointer data)
{
  Flood *f = data;

  for (int i = 0; i < FLOOD_EVENTS; i++)
    {
      g_autofree char *text = g_strdup_printf ("flood %d", i);
      CzServerEvent e = { .kind = CZ_SERVER_EVENT_MESSAGE, .message_id = i + 1,
                          .ts = g_get_real_time () / 1000, .from = (char *) "alice",
                          .to = NULL, .text = text };
      cz_event_sink_push (&e, f->sink);
      if (i % 2 == 1)
        g_usleep (1000);          /* about 2,000 a second */
    }
  return NULL;
}

static gboolean
tick_cb (gpointer data)
{
  Flood *f = data;
  gint64 now = g_get_monotonic_time ();

  if (f->last_tick && now - f->last_tick > f->worst_gap)
    f->worst_gap = now - f->last_tick;
  f->last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
test_event_flood (void)
{
  Flood f = { 0 };
  GtkWidget *window;
  GThread *thread;
  guint tick;
  gint64 end, start, elapsed_ms;

  if (!need_display ())
    return;
  window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 500);
  f.log = CZ_MESSAGE_LOG (cz_message_log_new ());
  gtk_container_add (GTK_CONTAINER (window), GTK_WIDGET (f.log));
  gtk_widget_show_all (window);
  f.sink = cz_event_sink_new (NULL, flood_batch_cb, &f);

  tick = g_timeout_add (10, tick_cb, &f);
  start = g_get_monotonic_time ();
  thread = g_thread_new ("flood", flood_thread, &f);
  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (f.received < FLOOD_EVENTS && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_thread_join (thread);
  g_source_remove (tick);

  g_test_message ("%u events in %u batches; longest main loop gap %" G_GINT64_FORMAT " ms",
                  f.received, f.batches, f.worst_gap / 1000);
  g_assert_cmpuint (f.received, ==, FLOOD_EVENTS);
  g_assert_cmpuint (cz_message_log_get_total (f.log), ==, FLOOD_EVENTS);
  /* Batched: each hand-over waits for the sink's frame delay (16 ms) after
   * the first event it carries, so however fast or slow this machine is
   * there are at most as many hand-overs as delays fit in the flood.  How
   * long the main loop went without a tick is reported above, not
   * asserted: that is a speed, and a loaded machine would fail it. */
  g_assert_cmpint (f.batches, <=, elapsed_ms / 16 + 1);
  g_assert_cmpuint (f.batches, <, FLOOD_EVENTS);

  /* Once detached, nothing more is delivered. */
  cz_event_sink_detach (f.sink);
  {
    CzServerEvent e = { .kind = CZ_SERVER_EVENT_MESSAGE, .from = (char *) "late", .text = (char *) "x" };
    cz_event_sink_push (&e, f.sink);
    cz_test_spin (100);
  }
  g_assert_cmpuint (f.received, ==, FLOOD_EVENTS);
  cz_event_sink_unref (f.sink);
  gtk_widget_destroy (window);
}

/* A bounded sink: past its bound events are dropped and counted, the
 * consumer hears of the drops even with no event left, draining delivers
 * what is queued at once, and every event carries a time. */
typedef struct {
  guint batches;
  guint received;
  gint64 first_id, last_id;
  guint64 dropped;
  gboolean all_stamped;
} Bounded;

static void
bounded_batch_cb (GPtrArray *events, gpointer data)
{
  Bounded *b = data;

  b->batches++;
  for (guint i = 0; i < events->len; i++)
    {
      const CzServerEvent *e = events->pdata[i];

      if (b->received++ == 0)
        b->first_id = e->client_id;
      b->last_id = e->client_id;
      b->all_stamped = b->all_stamped && e->ts > 0;
    }
}

static void
test_sink_bounds (void)
{
  Bounded b = { .all_stamped = TRUE };
  g_autoptr(CzEventSink) sink = cz_event_sink_new (NULL, bounded_batch_cb, &b);

  cz_event_sink_set_bounds (sink, 10, 0);
  for (int i = 1; i <= 25; i++)
    {
      CzServerEvent e = { .kind = CZ_SERVER_EVENT_CONNECTED, .client_id = i,
                          .address = (char *) "127.0.0.1:1" };
      cz_event_sink_push (&e, sink);
    }
  cz_event_sink_drain (sink);
  g_assert_cmpuint (b.received, ==, 10);
  g_assert_cmpint (b.first_id, ==, 1);
  g_assert_cmpint (b.last_id, ==, 10);
  g_assert_true (b.all_stamped);
  g_assert_cmpuint (cz_event_sink_take_dropped (sink), ==, 15);
  g_assert_cmpuint (cz_event_sink_take_dropped (sink), ==, 0);

  /* Room again; a drop alone still reaches the consumer. */
  {
    CzServerEvent e = { .kind = CZ_SERVER_EVENT_LOG, .text = (char *) "x" };
    guint batches;

    for (int i = 0; i < 11; i++)
      cz_event_sink_push (&e, sink);
    cz_event_sink_drain (sink);
    g_assert_cmpuint (b.received, ==, 20);
    g_assert_cmpuint (cz_event_sink_take_dropped (sink), ==, 1);
    /* 10 queued, 1 dropped and not yet taken by the consumer: one batch
     * of 10, then an empty one that only announces the drop. */
    batches = b.batches;
    for (int i = 0; i < 11; i++)
      cz_event_sink_push (&e, sink);
    cz_event_sink_drain (sink);
    g_assert_cmpuint (b.received, ==, 30);
    g_assert_cmpuint (b.batches, ==, batches + 2);
    g_assert_cmpuint (cz_event_sink_take_dropped (sink), ==, 1);
  }
  cz_event_sink_detach (sink);
}

int
main (int argc, char **argv)
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  have_display = g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL;
  if (have_display)
    gtk_test_init (&argc, &argv, NULL);
  else
    g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server-window/message-log", test_message_log);
  g_test_add_func ("/server-window/message-log/multiline", test_multiline);
  g_test_add_func ("/server-window/message-log/e2e", test_e2e_rows);
  g_test_add_func ("/server-window/event-flood", test_event_flood);
  g_test_add_func ("/server-window/event-sink-bounds", test_sink_bounds);
  return g_test_run ();
}
