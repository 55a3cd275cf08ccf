/* cz-message-log.c: the bounded, filterable log of received messages, one
 * line a row, and the selected message whole in a pane below. */
#include "config.h"

#include <inttypes.h>

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-message-log.h"
#include "cz-ui-util.h"

struct _CzMessageLog {
  GtkBox parent_instance;

  GtkSearchEntry *filter_entry;
  GtkLabel *count_label;
  GtkScrolledWindow *scroller;
  GtkTreeView *view;
  GtkTreeSelection *selection;
  GtkLabel *details_heading;
  GtkLabel *details_text;

  GtkListStore *store;
  GtkTreeModel *filter;
  char *filter_text;          /* casefolded, NULL = everything */
  guint64 total;
  gboolean follow;            /* keep the newest row in view */
  guint follow_source;        /* follow_idle_cb pending: rows were added and
                                 the scroll position is ours until it runs */
};

G_DEFINE_TYPE (CzMessageLog, cz_message_log, GTK_TYPE_BOX)

/* A row shows at most this much of a message (it is ellipsized well before). */
#define LINE_MAX_CHARS 300

char *
cz_message_log_one_line (const char *text, gsize max_chars)
{
  GString *out = g_string_new (NULL);
  gsize chars = 0;

  for (const char *p = text ? text : ""; *p && chars < max_chars; p = g_utf8_next_char (p))
    {
      if (*p == '\r' || *p == '\n')
        {
          if (*p == '\r' && p[1] == '\n')
            p++;
          g_string_append (out, " \u23CE ");
          chars += 3;
          continue;
        }
      g_string_append_unichar (out, g_utf8_get_char (p));
      chars++;
    }
  return g_string_free (out, FALSE);
}

static gboolean
contains (const char *haystack, const char *needle)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;
  folded = g_utf8_casefold (haystack, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
visible_func (GtkTreeModel *model, GtkTreeIter *iter, gpointer data)
{
  CzMessageLog *self = data;
  g_autofree char *from = NULL, *to = NULL;

  if (self->filter_text == NULL)
    return TRUE;
  gtk_tree_model_get (model, iter, CZ_MESSAGE_LOG_COL_FROM, &from, CZ_MESSAGE_LOG_COL_TO, &to, -1);
  return contains (from, self->filter_text) || contains (to, self->filter_text);
}

static void show_model (CzMessageLog *self);

static void
filter_changed_cb (GtkSearchEntry *entry, CzMessageLog *self)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (entry));

  g_clear_pointer (&self->filter_text, g_free);
  if (text && *text)
    self->filter_text = g_utf8_casefold (text, -1);
  self->follow = TRUE;
  show_model (self);
}

/* The view shows the store itself, or a filter over it while a filter text
 * is set.  A GtkTreeModelFilter walks every row after one that is removed
 * or inserted at the front, so it only sits in between when it is needed. */
static void
show_model (CzMessageLog *self)
{
  if (self->filter_text == NULL)
    {
      gtk_tree_view_set_model (self->view, GTK_TREE_MODEL (self->store));
      g_clear_object (&self->filter);
      return;
    }
  if (self->filter == NULL)
    {
      self->filter = gtk_tree_model_filter_new (GTK_TREE_MODEL (self->store), NULL);
      gtk_tree_model_filter_set_visible_func (GTK_TREE_MODEL_FILTER (self->filter),
                                              visible_func, self, NULL);
      gtk_tree_view_set_model (self->view, self->filter);
    }
  else
    gtk_tree_model_filter_refilter (GTK_TREE_MODEL_FILTER (self->filter));
}

/* After a batch, once the view is laid out (GTK's layout runs at a higher
 * priority than idle): back to the newest row. */
static gboolean
follow_idle_cb (gpointer data)
{
  CzMessageLog *self = data;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);

  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  self->follow_source = 0;
  return G_SOURCE_REMOVE;
}

static void
vadjustment_value_changed_cb (GtkAdjustment *adj, CzMessageLog *self)
{
  if (self->follow_source != 0)
    return;
  double bottom = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);
  self->follow = gtk_adjustment_get_value (adj) >= bottom - 1.0;
}

static void
vadjustment_changed_cb (GtkAdjustment *adj, CzMessageLog *self)
{
  if (self->follow)
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
}

/* The details pane follows the selection: the whole message, wrapped, in
 * a selectable label that Tab reaches. */
static void
selection_changed_cb (GtkTreeSelection *selection, CzMessageLog *self)
{
  GtkTreeModel *model;
  GtkTreeIter iter;
  g_autofree char *time = NULL, *from = NULL, *to = NULL, *text = NULL, *heading = NULL;
  g_autofree char *sealed = NULL;
  gboolean e2e = FALSE;

  if (!gtk_tree_selection_get_selected (selection, &model, &iter))
    {
      gtk_label_set_text (self->details_heading, "");
      gtk_label_set_text (self->details_text, _("Select a message to read it whole."));
      gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (self->details_text)),
                                   "dim-label");
      return;
    }
  gtk_tree_model_get (model, &iter, CZ_MESSAGE_LOG_COL_TIME, &time, CZ_MESSAGE_LOG_COL_FROM, &from,
                      CZ_MESSAGE_LOG_COL_TO, &to, CZ_MESSAGE_LOG_COL_TEXT, &text,
                      CZ_MESSAGE_LOG_COL_E2E, &e2e, -1);
  /* Translators: the details pane's heading: sender, recipient, time. */
  heading = g_strdup_printf (_("From %s to %s at %s"), from, to, time);
  gtk_label_set_text (self->details_heading, heading);
  if (e2e)
    {
      /* Said by the window, not by the message: a plain message cannot
       * pass for an encrypted one (its text is never shown this way). */
      /* Translators: %s is "N bytes, end-to-end encrypted". */
      sealed = g_strdup_printf (_("Encrypted end to end (%s): the server cannot read it."), text);
      gtk_label_set_text (self->details_text, sealed);
      gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (self->details_text)),
                                   "dim-label");
      return;
    }
  gtk_label_set_text (self->details_text, text ? text : "");
  gtk_style_context_remove_class (gtk_widget_get_style_context (GTK_WIDGET (self->details_text)),
                                  "dim-label");
}

static void
cz_message_log_init (CzMessageLog *self)
{
  GtkAdjustment *vadj;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->follow = TRUE;
  self->store = gtk_list_store_new (CZ_MESSAGE_LOG_N_COLUMNS, G_TYPE_INT64, G_TYPE_STRING,
                                    G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                                    G_TYPE_BOOLEAN);
  show_model (self);
  selection_changed_cb (self->selection, self);

  vadj = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_object (vadj, "value-changed", G_CALLBACK (vadjustment_value_changed_cb), self, 0);
  g_signal_connect_object (vadj, "changed", G_CALLBACK (vadjustment_changed_cb), self, 0);
}

static void
cz_message_log_dispose (GObject *object)
{
  CzMessageLog *self = CZ_MESSAGE_LOG (object);

  g_clear_handle_id (&self->follow_source, g_source_remove);
  if (self->view)
    gtk_tree_view_set_model (self->view, NULL);
  g_clear_object (&self->filter);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (cz_message_log_parent_class)->dispose (object);
}

static void
cz_message_log_finalize (GObject *object)
{
  CzMessageLog *self = CZ_MESSAGE_LOG (object);

  g_free (self->filter_text);
  G_OBJECT_CLASS (cz_message_log_parent_class)->finalize (object);
}

static void
cz_message_log_class_init (CzMessageLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cz_message_log_dispose;
  object_class->finalize = cz_message_log_finalize;
  cz_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Server/cz-message-log.ui");
  gtk_widget_class_bind_template_child (widget_class, CzMessageLog, filter_entry);
  gtk_widget_class_bind_template_child (widget_class, CzMessageLog, count_label);
  gtk_widget_class_bind_template_child (widget_class, CzMessageLog, scroller);
  gtk_widget_class_bind_template_child (widget_class, CzMessageLog, view);
  gtk_widget_class_bind_template_child (widget_class, CzMessageLog, selection);
  gtk_widget_class_bind_template_child (widget_class, CzMessageLog, details_heading);
  gtk_widget_class_bind_template_child (widget_class, CzMessageLog, details_text);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed_cb);
}

GtkWidget *
cz_message_log_new (void)
{
  return g_object_new (CZ_TYPE_MESSAGE_LOG, NULL);
}

static void
update_count (CzMessageLog *self)
{
  g_autofree char *text = NULL;
  int rows = gtk_tree_model_iter_n_children (GTK_TREE_MODEL (self->store), NULL);

  if (self->total == 0)
    text = g_strdup (_("No messages yet"));
  else if (self->total > (guint64) rows)
    text = g_strdup_printf (_("%'" PRIu64 " messages received; the last %'d are kept"),
                            self->total, rows);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'" PRIu64 " message received",
                                         "%'" PRIu64 " messages received",
                                         (gulong) self->total), self->total);
  gtk_label_set_text (self->count_label, text);
}

/* Drops the oldest rows beyond the bound.  Unfiltered, one at a time (a
 * removal at the front costs the store and the view a tree walk).  While a
 * filter is shown, removing a row costs the filter a walk over every row
 * after it, so the log lets a quarter more pile up, then trims with the
 * filter and the view detached. */
static void
trim (CzMessageLog *self)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  int rows = gtk_tree_model_iter_n_children (model, NULL);
  GtkTreeIter iter;

  if (rows <= CZ_MESSAGE_LOG_LIMIT
      || (self->filter != NULL && rows <= CZ_MESSAGE_LOG_LIMIT + CZ_MESSAGE_LOG_LIMIT / 4))
    return;
  if (self->filter != NULL)
    {
      gtk_tree_view_set_model (self->view, NULL);
      g_clear_object (&self->filter);
    }
  while (rows-- > CZ_MESSAGE_LOG_LIMIT && gtk_tree_model_get_iter_first (model, &iter))
    gtk_list_store_remove (self->store, &iter);
  if (gtk_tree_view_get_model (self->view) == NULL)
    show_model (self);
}

void
cz_message_log_append_events (CzMessageLog *self, GPtrArray *events)
{
  guint added = 0, messages = 0, skip;
  gint64 last_second = G_MININT64;
  g_autofree char *time = NULL;

  g_return_if_fail (CZ_IS_MESSAGE_LOG (self));

  for (guint i = 0; i < events->len; i++)
    if (((const CzServerEvent *) g_ptr_array_index (events, i))->kind == CZ_SERVER_EVENT_MESSAGE)
      messages++;
  if (messages == 0)
    return;
  /* Rows that would be dropped before anyone sees them are only counted. */
  skip = messages > CZ_MESSAGE_LOG_LIMIT ? messages - CZ_MESSAGE_LOG_LIMIT : 0;

  for (guint i = 0; i < events->len; i++)
    {
      const CzServerEvent *e = g_ptr_array_index (events, i);

      if (e->kind != CZ_SERVER_EVENT_MESSAGE || added++ < skip)
        continue;
      if (e->ts / 1000 != last_second)
        {
          /* A batch's messages mostly share their second. */
          last_second = e->ts / 1000;
          g_free (time);
          time = cz_ui_format_time (e->ts);
        }
      {
        g_autofree char *line = cz_message_log_one_line (e->text, LINE_MAX_CHARS);
        gtk_list_store_insert_with_values (self->store, NULL, -1,
                                           CZ_MESSAGE_LOG_COL_ID, e->message_id,
                                           CZ_MESSAGE_LOG_COL_TIME, time,
                                           CZ_MESSAGE_LOG_COL_FROM, e->from,
                                           CZ_MESSAGE_LOG_COL_TO, e->to ? e->to : "#lobby",
                                           CZ_MESSAGE_LOG_COL_TEXT, e->text,
                                           CZ_MESSAGE_LOG_COL_LINE, line,
                                           CZ_MESSAGE_LOG_COL_E2E, e->e2e,
                                           -1);
      }
    }
  self->total += messages;
  trim (self);
  update_count (self);
  /* Rows removed above the view move it up to keep its rows in place, and
   * the adjustment would then say the log no longer follows: until the
   * view has laid itself out, the scroll position is ours, and then the
   * newest row goes back in view. */
  if (self->follow && self->follow_source == 0)
    self->follow_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, follow_idle_cb, self, NULL);
}

void
cz_message_log_set_filter (CzMessageLog *self, const char *text)
{
  g_return_if_fail (CZ_IS_MESSAGE_LOG (self));
  gtk_entry_set_text (GTK_ENTRY (self->filter_entry), text ? text : "");
  /* GtkSearchEntry delays search-changed; apply now. */
  filter_changed_cb (self->filter_entry, self);
}

GtkTreeModel *
cz_message_log_get_model (CzMessageLog *self)
{
  g_return_val_if_fail (CZ_IS_MESSAGE_LOG (self), NULL);
  return gtk_tree_view_get_model (self->view);
}

guint64
cz_message_log_get_total (CzMessageLog *self)
{
  g_return_val_if_fail (CZ_IS_MESSAGE_LOG (self), 0);
  return self->total;
}

void
cz_message_log_clear (CzMessageLog *self)
{
  g_return_if_fail (CZ_IS_MESSAGE_LOG (self));
  gtk_list_store_clear (self->store);
  self->total = 0;
  selection_changed_cb (self->selection, self);
  update_count (self);
}

const char *
cz_message_log_get_details (CzMessageLog *self)
{
  g_return_val_if_fail (CZ_IS_MESSAGE_LOG (self), NULL);
  return gtk_label_get_text (self->details_text);
}
