/* cz-server-window.c: the server window: start and stop (the controls
 * follow its "running" property), the clients list, the details panes and
 * the message log, all fed by the engine's events.
 *
 * The engine runs on its own thread; its events are copied into a
 * CzEventSink and arrive here in batches about once a frame.  Starting
 * happens on the main thread (loading the certificate and opening the
 * database are quick); stopping, which says goodbye to every client and
 * commits what is pending, runs in a GTask thread. */
#include "config.h"

#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "cz-server-window.h"
#include "cz-cert-info.h"
#include "cz-cert-host.h"
#include "cz-cert-dialog.h"
#include "cz-dh-view.h"
#include "cz-event-sink.h"
#include "cz-message-log.h"
#include "cz-server-form.h"
#include "cz-tls-view.h"
#include "cz-ui-util.h"
#include "cz-util.h"

/* Disconnected clients stay listed (greyed) until this many are. */
#define GONE_KEPT 100

enum { COL_ID, COL_ADDRESS, COL_USER, COL_SINCE, COL_PROTOCOL, COL_CONNECTED };

typedef struct {
  guint64 id;
  GtkTreeIter iter;
  char *address;
  char *user;
  CzSessionInfo *info;
  gboolean connected;
} ClientRow;

struct _CzServerWindow {
  GtkApplicationWindow parent_instance;

  GtkHeaderBar *header_bar;
  GtkWidget *start_button;
  GtkWidget *stop_button;
  GtkInfoBar *info_bar;
  GtkLabel *info_label;
  GtkRevealer *form_revealer;
  CzServerForm *form;
  GtkListStore *clients_store;
  GtkTreeView *clients_view;
  GtkTreeSelection *clients_selection;
  GtkStack *details_stack;
  CzTlsView *tls_view;
  CzDhView *dh_view;
  CzMessageLog *message_log;
  GtkLabel *status_label;
  GtkLabel *counts_label;

  GSettings *settings;          /* NULL when the schema is not installed */
  CzServer *server;
  CzEventSink *sink;
  char *address;
  guint stopping;
  GHashTable *clients;          /* &ClientRow.id → ClientRow */
  GQueue gone;                  /* ids (as pointers to ClientRow.id) of disconnected rows, oldest first */
  guint connected;
  guint scram_iterations;
  guint max_clients;
  gboolean no_registration;
  GCancellable *cancellable;
};

G_DEFINE_TYPE (CzServerWindow, cz_server_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_STOPPING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
client_row_free (ClientRow *row)
{
  g_free (row->address);
  g_free (row->user);
  g_clear_pointer (&row->info, cz_session_info_unref);
  g_free (row);
}

/* ---- Status ------------------------------------------------------------------- */

/* The controls that follow "running" are bound to it (see init); starting
 * also waits for an earlier engine to finish stopping, so the start action
 * follows both properties. */
static void
state_changed_cb (CzServerWindow *self, GParamSpec *pspec, gpointer user_data)
{
  GAction *start = g_action_map_lookup_action (G_ACTION_MAP (self), "start");
  gboolean running = self->server != NULL;

  g_simple_action_set_enabled (G_SIMPLE_ACTION (start), !running && self->stopping == 0);
  if (!running)
    gtk_widget_grab_default (self->start_button);
}

static void
bind_controls (CzServerWindow *self)
{
  GAction *stop = g_action_map_lookup_action (G_ACTION_MAP (self), "stop");

  g_object_bind_property (self, "running", stop, "enabled", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "running", self->stop_button, "visible", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "running", self->start_button, "visible",
                          G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
  g_object_bind_property (self, "running", self->form_revealer, "reveal-child",
                          G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
  g_object_bind_property (self, "running", self->form, "sensitive",
                          G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
  g_signal_connect (self, "notify::running", G_CALLBACK (state_changed_cb), NULL);
  g_signal_connect (self, "notify::stopping", G_CALLBACK (state_changed_cb), NULL);
  state_changed_cb (self, NULL, NULL);
}

static void
update_counts (CzServerWindow *self)
{
  guint64 total = cz_message_log_get_total (self->message_log);
  g_autofree char *clients = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u client connected",
                                                           "%u clients connected", self->connected),
                                              self->connected);
  g_autofree char *messages = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" PRIu64 " message",
                                                            "%" PRIu64 " messages",
                                                            (gulong) total), total);
  g_autofree char *text = g_strdup_printf ("%s · %s", clients, messages);

  gtk_label_set_text (self->counts_label, text);
}

static void
set_status (CzServerWindow *self, const char *subtitle, const char *status)
{
  gtk_header_bar_set_subtitle (self->header_bar, subtitle);
  gtk_label_set_text (self->status_label, status);
}

void
cz_server_window_show_message (CzServerWindow *self, GtkMessageType type, const char *message)
{
  g_return_if_fail (CZ_IS_SERVER_WINDOW (self));
  gtk_info_bar_set_message_type (self->info_bar, type);
  gtk_label_set_text (self->info_label, message);
  gtk_widget_show (GTK_WIDGET (self->info_bar));
}

static void
info_bar_response_cb (GtkInfoBar *bar, int response, CzServerWindow *self)
{
  gtk_widget_hide (GTK_WIDGET (bar));
}

/* ---- The clients list and the details ----------------------------------------- */

static ClientRow *
selected_row (CzServerWindow *self)
{
  GtkTreeModel *model;
  GtkTreeIter iter;
  guint64 id;

  if (!gtk_tree_selection_get_selected (self->clients_selection, &model, &iter))
    return NULL;
  gtk_tree_model_get (model, &iter, COL_ID, &id, -1);
  return g_hash_table_lookup (self->clients, &id);
}

static void
show_details (CzServerWindow *self)
{
  ClientRow *row = selected_row (self);

  if (row == NULL)
    {
      cz_tls_view_set_client (self->tls_view, NULL, NULL, NULL, FALSE);
      cz_dh_view_set_client (self->dh_view, NULL, NULL, FALSE);
      return;
    }
  cz_tls_view_set_client (self->tls_view, row->address, row->info, row->user, row->connected);
  cz_dh_view_set_client (self->dh_view, row->address, row->info, row->connected);
}

static void
clients_selection_changed_cb (GtkTreeSelection *selection, CzServerWindow *self)
{
  show_details (self);
}

static void
forget_gone (CzServerWindow *self, guint keep)
{
  while (g_queue_get_length (&self->gone) > keep)
    {
      guint64 *id = g_queue_pop_head (&self->gone);
      ClientRow *row = g_hash_table_lookup (self->clients, id);

      if (row == NULL)
        continue;
      gtk_list_store_remove (self->clients_store, &row->iter);
      g_hash_table_remove (self->clients, &row->id);
    }
}

static void
clear_clients (CzServerWindow *self)
{
  g_queue_clear (&self->gone);
  gtk_list_store_clear (self->clients_store);
  g_hash_table_remove_all (self->clients);
  self->connected = 0;
  show_details (self);
}

static void
mark_disconnected (CzServerWindow *self, ClientRow *row)
{
  if (!row->connected)
    return;
  row->connected = FALSE;
  self->connected--;
  gtk_list_store_set (self->clients_store, &row->iter, COL_CONNECTED, FALSE, -1);
  g_queue_push_tail (&self->gone, &row->id);
}

/* Applies one engine event to the clients list.  Returns TRUE if it
 * concerned the selected client. */
static gboolean
apply_event (CzServerWindow *self, const CzServerEvent *e, guint64 selected_id)
{
  ClientRow *row = g_hash_table_lookup (self->clients, &e->client_id);

  switch (e->kind)
    {
    case CZ_SERVER_EVENT_CONNECTED:
      {
        g_autofree char *since = cz_ui_format_time (cz_now_ms ());
        if (row != NULL)
          return FALSE;
        row = g_new0 (ClientRow, 1);
        row->id = e->client_id;
        row->address = g_strdup (e->address);
        row->connected = TRUE;
        self->connected++;
        g_hash_table_insert (self->clients, &row->id, row);
        gtk_list_store_insert_with_values (self->clients_store, &row->iter, -1,
                                           COL_ID, row->id, COL_ADDRESS, row->address,
                                           COL_USER, "", COL_SINCE, since,
                                           COL_PROTOCOL, _("handshake…"), COL_CONNECTED, TRUE, -1);
        return FALSE;
      }
    case CZ_SERVER_EVENT_READY:
      if (row == NULL || e->info == NULL)
        return FALSE;
      g_clear_pointer (&row->info, cz_session_info_unref);
      row->info = cz_session_info_ref (e->info);
      {
        g_autofree char *since = cz_ui_format_time (e->info->since);
        gtk_list_store_set (self->clients_store, &row->iter, COL_PROTOCOL, e->info->protocol,
                            COL_SINCE, since, -1);
      }
      break;
    case CZ_SERVER_EVENT_LOGGED_IN:
      if (row == NULL)
        return FALSE;
      g_free (row->user);
      row->user = g_strdup (e->user);
      gtk_list_store_set (self->clients_store, &row->iter, COL_USER, row->user, -1);
      break;
    case CZ_SERVER_EVENT_DISCONNECTED:
      if (row == NULL)
        return FALSE;
      mark_disconnected (self, row);
      break;
    case CZ_SERVER_EVENT_LOG:
      if (e->level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
        g_printerr ("causerie-server: %s\n", e->text);
      return FALSE;
    case CZ_SERVER_EVENT_MESSAGE:
      return FALSE;
    }
  return row->id == selected_id;
}

static void
events_cb (GPtrArray *events, gpointer user_data)
{
  CzServerWindow *self = user_data;
  ClientRow *selected = selected_row (self);
  guint64 selected_id = selected ? selected->id : 0;
  gboolean refresh = FALSE;

  for (guint i = 0; i < events->len; i++)
    refresh |= apply_event (self, g_ptr_array_index (events, i), selected_id);
  /* With nothing selected, show the first client: the panes are the point. */
  if (selected == NULL)
    {
      GtkTreeIter iter;
      if (gtk_tree_model_get_iter_first (GTK_TREE_MODEL (self->clients_store), &iter))
        gtk_tree_selection_select_iter (self->clients_selection, &iter);
    }
  cz_message_log_append_events (self->message_log, events);
  /* Rows removed here are never the selected one while it is connected. */
  forget_gone (self, GONE_KEPT);
  if (refresh)
    show_details (self);
  update_counts (self);
}

/* ---- Start and stop --------------------------------------------------------------- */

gboolean
cz_server_window_start (CzServerWindow *self, gboolean remember, GError **error)
{
  CzServerConfig config;
  CzServer *server;
  g_autoptr(CzCertInfo) cert = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *status = NULL;

  g_return_val_if_fail (CZ_IS_SERVER_WINDOW (self), FALSE);
  if (self->server != NULL)
    return TRUE;
  if (self->stopping > 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("The server is still stopping."));
      return FALSE;
    }
  if (!cz_server_form_get_config (self->form, &config, error))
    return FALSE;
  config.scram_iterations = self->scram_iterations;
  config.max_clients = self->max_clients;
  config.no_registration = self->no_registration;

  server = cz_server_new (&config, error);
  if (server == NULL)
    return FALSE;
  self->sink = cz_event_sink_new (NULL, events_cb, self);
  cz_server_set_event_func (server, cz_event_sink_push, self->sink);
  if (!cz_server_start (server, error))
    {
      cz_server_free (server);
      cz_event_sink_detach (self->sink);
      g_clear_pointer (&self->sink, cz_event_sink_unref);
      return FALSE;
    }
  self->server = server;
  self->address = g_strdup (cz_server_get_address (server));

  if (remember)
    cz_server_form_save (self->form, self->settings);
  clear_clients (self);
  gtk_widget_hide (GTK_WIDGET (self->info_bar));
  cert = cz_cert_info_new_from_file (config.cert_file, NULL);
  subtitle = g_strdup_printf (_("Listening on %s"), self->address);
  status = g_strdup_printf (_("Listening on %s · TLS 1.3 · application DH %s · certificate %s"),
                            self->address, cz_dh_group_name (config.dh_group),
                            cert ? cert->subject : config.cert_file);
  set_status (self, subtitle, status);
  update_counts (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

typedef struct {
  CzServer *server;
  CzEventSink *sink;
  GWeakRef window;
  GApplication *app;
} StopData;

static void
stop_data_free (StopData *data)
{
  g_weak_ref_clear (&data->window);
  g_clear_object (&data->app);
  g_free (data);
}

static void
stop_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  StopData *data = task_data;

  /* Says bye to every client and commits what is pending: may take a while. */
  cz_server_free (g_steal_pointer (&data->server));
  g_clear_pointer (&data->sink, cz_event_sink_unref);
  g_task_return_boolean (task, TRUE);
}

static void
stopped_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StopData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(CzServerWindow) self = g_weak_ref_get (&data->window);

  if (data->app)
    g_application_release (data->app);
  if (self == NULL)
    return;
  if (--self->stopping > 0)
    return;
  if (self->server == NULL)
    set_status (self, _("Stopped"), _("Stopped. Choose the settings and start the server."));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOPPING]);
}

void
cz_server_window_stop (CzServerWindow *self)
{
  g_autoptr(GTask) task = NULL;
  StopData *data;
  GApplication *app;

  g_return_if_fail (CZ_IS_SERVER_WINDOW (self));
  if (self->server == NULL)
    return;

  cz_event_sink_detach (self->sink);
  data = g_new0 (StopData, 1);
  data->server = g_steal_pointer (&self->server);
  data->sink = g_steal_pointer (&self->sink);
  g_weak_ref_init (&data->window, self);
  app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  if (app)
    {
      /* The process must not exit before the database is closed. */
      data->app = g_object_ref (app);
      g_application_hold (app);
    }
  g_clear_pointer (&self->address, g_free);
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  if (self->stopping++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOPPING]);

  {
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init (&iter, self->clients);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      mark_disconnected (self, value);
  }
  show_details (self);
  update_counts (self);
  set_status (self, _("Stopping…"), _("Saying goodbye to the clients and closing the database…"));

  task = g_task_new (NULL, NULL, stopped_cb, NULL);
  g_task_set_source_tag (task, cz_server_window_stop);
  g_task_set_task_data (task, data, (GDestroyNotify) stop_data_free);
  g_task_run_in_thread (task, stop_thread);
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
cz_server_window_is_running (CzServerWindow *self)
{
  g_return_val_if_fail (CZ_IS_SERVER_WINDOW (self), FALSE);
  return self->server != NULL;
}

const char *
cz_server_window_get_address (CzServerWindow *self)
{
  g_return_val_if_fail (CZ_IS_SERVER_WINDOW (self), NULL);
  return self->address;
}

static void
start_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  CzServerWindow *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cz_server_window_start (self, TRUE, &error))
    cz_server_window_show_message (self, GTK_MESSAGE_ERROR, error->message);
}

static void
show_page_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  CzServerWindow *self = user_data;
  const char *page = g_variant_get_string (param, NULL);

  if (gtk_stack_get_child_by_name (self->details_stack, page))
    gtk_stack_set_visible_child_name (self->details_stack, page);
}

static void
stop_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  cz_server_window_stop (user_data);
}

/* ---- Certificates --------------------------------------------------------------- */

static void
use_certificate_cb (CzCertDialog *dialog, const char *cert, const char *key, CzServerWindow *self)
{
  cz_server_form_set_certificate (self->form, cert, key);
  if (self->server != NULL)
    cz_server_window_show_message (self, GTK_MESSAGE_INFO,
                                   _("The new certificate will be used when the server starts "
                                     "again: stop it, then start it."));
}

static void
create_certificate_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  CzServerWindow *self = user_data;
  GtkWidget *dialog = cz_cert_dialog_new (GTK_WINDOW (self));

  g_signal_connect_object (dialog, "use-certificate", G_CALLBACK (use_certificate_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct {
  gboolean start;
  int port;
  char *dir;
} DemoData;

static void
demo_data_free (DemoData *data)
{
  g_free (data->dir);
  g_free (data);
}

static void
demo_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DemoData *data = task_data;
  GError *error = NULL;

  if (cz_cert_ensure_demo (data->dir, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
demo_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CzServerWindow) self = user_data;
  DemoData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = g_build_filename (data->dir, "server.pem", NULL);
  g_autofree char *key = g_build_filename (data->dir, "server-key.pem", NULL);
  const char *current;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("causerie-server: %s\n", error->message);
          cz_server_window_show_message (self, GTK_MESSAGE_ERROR, error->message);
        }
      return;
    }
  if (data->start)
    {
      cz_server_form_set_certificate (self->form, cert, key);
      cz_server_form_set_address (self->form, "127.0.0.1", data->port >= 0 ? data->port : 7443);
      if (!cz_server_window_start (self, FALSE, &error))
        {
          g_printerr ("causerie-server: %s\n", error->message);
          cz_server_window_show_message (self, GTK_MESSAGE_ERROR, error->message);
        }
      return;
    }
  /* First run: offer the demo certificate unless something was chosen meanwhile. */
  current = cz_server_form_get_certificate (self->form);
  if (current == NULL || *current == '\0')
    cz_server_form_set_certificate (self->form, cert, key);
}

static void
use_demo (CzServerWindow *self, gboolean start, int port)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, demo_ready_cb, g_object_ref (self));
  g_autofree char *data_dir = cz_data_dir ();
  DemoData *data = g_new0 (DemoData, 1);

  data->start = start;
  data->port = port;
  data->dir = g_build_filename (data_dir, "demo", NULL);
  g_task_set_source_tag (task, use_demo);
  g_task_set_check_cancellable (task, TRUE);
  g_task_set_task_data (task, data, (GDestroyNotify) demo_data_free);
  g_task_run_in_thread (task, demo_thread);
  if (start)
    set_status (self, _("Preparing the demo certificate…"),
                _("Preparing the demo CA and server certificate…"));
}

void
cz_server_window_start_demo (CzServerWindow *self, int port)
{
  g_return_if_fail (CZ_IS_SERVER_WINDOW (self));
  use_demo (self, TRUE, port);
}

void
cz_server_window_apply_options (CzServerWindow *self, const CzServerOptions *options)
{
  g_return_if_fail (CZ_IS_SERVER_WINDOW (self));
  cz_server_form_apply_options (self->form, options);
  self->scram_iterations = options->scram_iterations > 0 ? (guint) options->scram_iterations : 0;
  self->max_clients = options->max_clients > 0 ? (guint) options->max_clients : 0;
  self->no_registration = options->no_registration;
}

/* ---- Life cycle --------------------------------------------------------------------- */

static const GActionEntry win_entries[] = {
  { "start", start_activated, NULL, NULL, NULL },
  { "stop", stop_activated, NULL, NULL, NULL },
  { "create-certificate", create_certificate_activated, NULL, NULL, NULL },
  { "show-page", show_page_activated, "s", NULL, NULL },
};

static GSettings *
load_settings (void)
{
  return cz_settings_new ("org.causerie.Server");
}

static void
cz_server_window_init (CzServerWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->clients = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                         (GDestroyNotify) client_row_free);
  g_queue_init (&self->gone);
  self->cancellable = g_cancellable_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries, G_N_ELEMENTS (win_entries),
                                   self);

  self->settings = load_settings ();
  if (self->settings)
    {
      g_autofree char *cert = g_settings_get_string (self->settings, "certificate");
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
      cz_server_form_load (self->form, self->settings);
      if (*cert == '\0')
        use_demo (self, FALSE, -1);
    }
  else
    use_demo (self, FALSE, -1);

  set_status (self, _("Stopped"), _("Stopped. Choose the settings and start the server."));
  bind_controls (self);
  update_counts (self);
  show_details (self);
}

static void
cz_server_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CzServerWindow *self = CZ_SERVER_WINDOW (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->server != NULL);
      break;
    case PROP_STOPPING:
      g_value_set_boolean (value, self->stopping > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cz_server_window_dispose (GObject *object)
{
  CzServerWindow *self = CZ_SERVER_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  cz_server_window_stop (self);
  if (self->settings && gtk_widget_get_realized (GTK_WIDGET (self)))
    {
      int width, height;
      gboolean maximized = gtk_window_is_maximized (GTK_WINDOW (self));
      gtk_window_get_size (GTK_WINDOW (self), &width, &height);
      g_settings_set_boolean (self->settings, "window-maximized", maximized);
      if (!maximized)
        {
          g_settings_set_int (self->settings, "window-width", width);
          g_settings_set_int (self->settings, "window-height", height);
        }
    }
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_queue_clear (&self->gone);
  g_clear_pointer (&self->clients, g_hash_table_unref);
  G_OBJECT_CLASS (cz_server_window_parent_class)->dispose (object);
}

static void
cz_server_window_finalize (GObject *object)
{
  CzServerWindow *self = CZ_SERVER_WINDOW (object);

  g_free (self->address);
  G_OBJECT_CLASS (cz_server_window_parent_class)->finalize (object);
}

static void
cz_server_window_class_init (CzServerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = cz_server_window_get_property;
  object_class->dispose = cz_server_window_dispose;
  object_class->finalize = cz_server_window_finalize;

  /* The engine is up: what the start and stop controls and the form follow. */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* An earlier engine is still saying goodbye off the main thread. */
  properties[PROP_STOPPING] =
    g_param_spec_boolean ("stopping", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CZ_TYPE_SERVER_FORM);
  g_type_ensure (CZ_TYPE_TLS_VIEW);
  g_type_ensure (CZ_TYPE_DH_VIEW);
  g_type_ensure (CZ_TYPE_MESSAGE_LOG);
  cz_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Server/cz-server-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, start_button);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, stop_button);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, info_bar);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, info_label);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, form_revealer);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, form);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, clients_store);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, clients_view);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, clients_selection);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, details_stack);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, tls_view);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, dh_view);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, message_log);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, counts_label);
  gtk_widget_class_bind_template_callback (widget_class, info_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, clients_selection_changed_cb);
}

CzServerWindow *
cz_server_window_new (GtkApplication *app)
{
  return g_object_new (CZ_TYPE_SERVER_WINDOW, "application", app, NULL);
}
