/* cz-server-window.c: the server window: start and stop (the controls
 * follow its "running" property, stopping asks first while people are
 * connected), the server's identity (its key fingerprint, as clients see
 * it), the clients list with its empty page, the details panes and the
 * message log, all fed by the engine's events.
 *
 * The engine runs on its own thread; its events are copied into a
 * CzEventSink and arrive here in batches about once a frame.  Starting
 * happens on the main thread (loading the certificate and opening the
 * database are quick); stopping, which says goodbye to every client and
 * commits what is pending, runs in a GTask thread. */
#include "config.h"

#include <inttypes.h>
#include <string.h>
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

enum { COL_ID, COL_ADDRESS, COL_USER, COL_SINCE, COL_PROTOCOL };

/* One connected client; a client that disconnects leaves the list. */
typedef struct {
  guint64 id;
  GtkTreeIter iter;
  char *address;
  char *user;
  CzSessionInfo *info;
} ClientRow;

struct _CzServerWindow {
  GtkApplicationWindow parent_instance;

  GtkHeaderBar *header_bar;
  GtkWidget *start_button;
  GtkWidget *stop_button;
  GtkInfoBar *info_bar;
  GtkLabel *info_label;
  GtkInfoBar *demo_bar;
  GtkWidget *identity_button;
  GtkLabel *identity_summary;
  GtkLabel *identity_fingerprint;
  GtkGrid *identity_details;
  GtkStack *main_stack;
  GtkStack *clients_stack;
  GtkWidget *empty_icon;
  GtkLabel *empty_title;
  GtkLabel *empty_body;
  GtkTreeViewColumn *user_column;
  GtkCellRenderer *user_renderer;
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
  guint connected;
  GtkWidget *stop_dialog;       /* the "Stop the server?" question, while asked */
  CzCertInfo *identity;         /* the form's certificate, NULL if none or unreadable */
  char *client_ca_hint;         /* the CA file clients use, if found next to the certificate */
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

static void update_empty_page (CzServerWindow *self);

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
  g_signal_connect_swapped (self, "notify::running", G_CALLBACK (update_empty_page), self);
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
  cz_tls_view_set_client (self->tls_view, row->address, row->info, row->user, TRUE);
  cz_dh_view_set_client (self->dh_view, row->address, row->info, TRUE);
}

static void
clients_selection_changed_cb (GtkTreeSelection *selection, CzServerWindow *self)
{
  show_details (self);
}

static void
clear_clients (CzServerWindow *self)
{
  gtk_list_store_clear (self->clients_store);
  g_hash_table_remove_all (self->clients);
  self->connected = 0;
  show_details (self);
  update_empty_page (self);
}

/* A client that leaves leaves the list: what it showed is gone with it. */
static void
remove_client (CzServerWindow *self, ClientRow *row)
{
  gtk_list_store_remove (self->clients_store, &row->iter);
  g_hash_table_remove (self->clients, &row->id);
  self->connected--;
}

/* "not logged in yet", dimmed, for a client still in its handshake or login. */
static void
user_cell_cb (GtkTreeViewColumn *column, GtkCellRenderer *cell, GtkTreeModel *model,
              GtkTreeIter *iter, gpointer data)
{
  g_autofree char *user = NULL;

  gtk_tree_model_get (model, iter, COL_USER, &user, -1);
  if (user && *user)
    g_object_set (cell, "text", user, "style", PANGO_STYLE_NORMAL, "weight", 600, NULL);
  else
    g_object_set (cell, "text", _("not logged in yet"), "style", PANGO_STYLE_ITALIC,
                  "weight", 400, NULL);
}

/* ---- The empty page and the server's identity ---------------------------------- */

/* "chat.example:7443", or for a wildcard address this host's name. */
static char *
reachable_address (CzServerWindow *self)
{
  const char *colon = self->address ? strrchr (self->address, ':') : NULL;
  g_autofree char *host = NULL;

  if (colon == NULL)
    return g_strdup (self->address ? self->address : "");
  host = g_strndup (self->address, colon - self->address);
  if (g_str_equal (host, "0.0.0.0") || g_str_equal (host, "[::]") || g_str_equal (host, "::"))
    return g_strdup_printf ("%s:%s", g_get_host_name (), colon + 1);
  return g_strdup (self->address);
}

static void
update_empty_page (CzServerWindow *self)
{
  gboolean any = g_hash_table_size (self->clients) > 0;

  if (self->server == NULL)
    {
      gtk_label_set_text (self->empty_title, _("The server is stopped"));
      gtk_label_set_text (self->empty_body,
                          _("Choose the settings above, then start the server."));
    }
  else
    {
      g_autofree char *where = reachable_address (self);
      g_autofree char *body = NULL;

      if (self->client_ca_hint)
        body = g_strdup_printf (_("Clients connect to %s with CA %s\n"
                                  "or check the key fingerprint under Server identity."),
                                where, self->client_ca_hint);
      else if (self->identity)
        body = g_strdup_printf (_("Clients connect to %s with the CA that issued the "
                                  "certificate (%s)\nor check the key fingerprint under "
                                  "Server identity."), where, self->identity->issuer_name);
      else
        body = g_strdup_printf (_("Clients connect to %s."), where);
      gtk_label_set_text (self->empty_title, _("No one connected yet"));
      gtk_label_set_text (self->empty_body, body);
    }
  /* Stopped, the settings come first: the page makes room for them. */
  gtk_widget_set_visible (self->empty_icon, self->server != NULL);
  gtk_stack_set_visible_child_name (self->clients_stack, any ? "list" : "empty");
}

/* The CA file a client needs: a "ca.pem" beside the certificate whose
 * subject is the certificate's issuer (the demo and the dialog's
 * layout), or the certificate itself when it is self-signed. */
static char *
find_client_ca (const char *cert_file, const CzCertInfo *cert)
{
  g_autofree char *dir = g_path_get_dirname (cert_file);
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autoptr(CzCertInfo) info = NULL;

  if (g_strcmp0 (cert->subject, cert->issuer) == 0)
    return g_strdup (cert_file);
  info = cz_cert_info_new_from_file (ca, NULL);
  if (info && g_strcmp0 (info->subject, cert->issuer) == 0)
    return g_steal_pointer (&ca);
  return NULL;
}

static void
add_identity_row (CzServerWindow *self, int row, const char *caption, const char *value,
                  gboolean monospace)
{
  GtkLabel *label = cz_ui_grid_add_row (self->identity_details, row, caption, monospace);
  gtk_label_set_max_width_chars (label, 48);
  cz_ui_set_value (label, value);
}

/* The certificate the form names: its key fingerprint in the header's
 * Server identity popover, grouped as the client's trust prompt shows it. */
static void
update_identity (CzServerWindow *self)
{
  const char *file = cz_server_form_get_certificate (self->form);
  g_autoptr(GError) error = NULL;
  GList *children;

  g_clear_pointer (&self->identity, cz_cert_info_free);
  g_clear_pointer (&self->client_ca_hint, g_free);
  children = gtk_container_get_children (GTK_CONTAINER (self->identity_details));
  g_list_free_full (children, (GDestroyNotify) gtk_widget_destroy);

  if (file && *file)
    self->identity = cz_cert_info_new_from_file (file, &error);
  if (self->identity == NULL)
    {
      gtk_label_set_text (self->identity_summary,
                          error ? error->message : _("No certificate chosen yet."));
      cz_ui_set_value (self->identity_fingerprint, NULL);
      atk_object_set_description (gtk_widget_get_accessible (GTK_WIDGET (self->identity_fingerprint)), "");
    }
  else
    {
      g_autofree char *grouped = cz_format_fingerprint (self->identity->spki_sha256);
      g_autofree char *until = cz_ui_format_date (self->identity->not_after_unix);
      g_autofree char *summary = g_strdup_printf (_("%s · valid until %s"),
                                                  self->identity->subject_name, until);
      g_autofree char *from = cz_ui_format_iso_date (self->identity->not_before);
      int row = 0;

      gtk_label_set_text (self->identity_summary, summary);
      gtk_label_set_text (self->identity_fingerprint, grouped);
      atk_object_set_description (gtk_widget_get_accessible (GTK_WIDGET (self->identity_fingerprint)),
                                  self->identity->spki_sha256);
      self->client_ca_hint = find_client_ca (file, self->identity);
      add_identity_row (self, row++, _("Certificate hash (SHA-256)"), self->identity->fingerprint, TRUE);
      add_identity_row (self, row++, _("Subject"), self->identity->subject, FALSE);
      add_identity_row (self, row++, _("Issuer"), self->identity->issuer, FALSE);
      add_identity_row (self, row++, _("Valid from"), from, FALSE);
      add_identity_row (self, row++, _("Public key"), self->identity->key_type, FALSE);
      add_identity_row (self, row++, _("Alternative names"), self->identity->sans, FALSE);
      add_identity_row (self, row++, _("Certificate file"), file, FALSE);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->demo_bar),
                          (file == NULL || *file == '\0') && self->server == NULL);
  update_empty_page (self);
}

static void
form_certificate_cb (CzServerForm *form, GParamSpec *pspec, CzServerWindow *self)
{
  update_identity (self);
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
        self->connected++;
        g_hash_table_insert (self->clients, &row->id, row);
        gtk_list_store_insert_with_values (self->clients_store, &row->iter, -1,
                                           COL_ID, row->id, COL_ADDRESS, row->address,
                                           COL_USER, "", COL_SINCE, since,
                                           COL_PROTOCOL, _("handshake…"), -1);
        return FALSE;
      }
    case CZ_SERVER_EVENT_READY:
      if (row == NULL || e->info == NULL)
        return FALSE;
      g_clear_pointer (&row->info, cz_session_info_unref);
      row->info = cz_session_info_ref (e->info);
      {
        g_autofree char *since = cz_ui_format_time (e->info->since);
        g_autofree char *protocol = cz_ui_protocol_name (e->info->protocol);
        gtk_list_store_set (self->clients_store, &row->iter, COL_PROTOCOL, protocol,
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
      {
        gboolean selected = row->id == selected_id;
        remove_client (self, row);
        return selected;
      }
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
  if (refresh)
    show_details (self);
  update_counts (self);
  update_empty_page (self);
}

/* ---- Start and stop --------------------------------------------------------------- */

gboolean
cz_server_window_start (CzServerWindow *self, gboolean remember, GError **error)
{
  CzServerConfig config;
  CzServer *server;
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
  gtk_widget_hide (GTK_WIDGET (self->demo_bar));
  update_identity (self);
  subtitle = g_strdup_printf (_("Listening on %s"), self->address);
  {
    g_autofree char *group = cz_ui_group_name (cz_dh_group_name (config.dh_group));
    status = g_strdup_printf (_("Listening on %s · TLS 1.3 · application Diffie-Hellman %s · "
                                "certificate %s"),
                              self->address, group,
                              self->identity ? self->identity->subject_name : config.cert_file);
  }
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

  clear_clients (self);
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

  if (gtk_stack_get_child_by_name (self->main_stack, page))
    gtk_stack_set_visible_child_name (self->main_stack, page);
  else if (gtk_stack_get_child_by_name (self->details_stack, page))
    {
      gtk_stack_set_visible_child_name (self->main_stack, "clients");
      gtk_stack_set_visible_child_name (self->details_stack, page);
    }
}

static void
stop_response_cb (GtkDialog *dialog, int response, CzServerWindow *self)
{
  self->stop_dialog = NULL;
  gtk_widget_destroy (GTK_WIDGET (dialog));
  if (response == GTK_RESPONSE_ACCEPT)
    cz_server_window_stop (self);
}

/* Stopping disconnects everyone: with people connected, ask first. */
static void
stop_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  CzServerWindow *self = user_data;
  GtkWidget *dialog, *stop;

  if (self->connected == 0)
    {
      cz_server_window_stop (self);
      return;
    }
  if (self->stop_dialog)
    {
      gtk_window_present (GTK_WINDOW (self->stop_dialog));
      return;
    }
  dialog = gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   "%s", _("Stop the server?"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
                                            g_dngettext (GETTEXT_PACKAGE,
                                                         "%u person will be disconnected.",
                                                         "%u people will be disconnected.",
                                                         self->connected),
                                            self->connected);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  stop = gtk_dialog_add_button (GTK_DIALOG (dialog), _("S_top"), GTK_RESPONSE_ACCEPT);
  gtk_style_context_add_class (gtk_widget_get_style_context (stop), "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_signal_connect_object (dialog, "response", G_CALLBACK (stop_response_cb), self, 0);
  self->stop_dialog = dialog;
  gtk_window_present (GTK_WINDOW (dialog));
}

GtkWidget *
cz_server_window_get_stop_dialog (CzServerWindow *self)
{
  g_return_val_if_fail (CZ_IS_SERVER_WINDOW (self), NULL);
  return self->stop_dialog;
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
  /* Asked for from the first-run bar: use it unless something was chosen meanwhile. */
  current = cz_server_form_get_certificate (self->form);
  if (current == NULL || *current == '\0')
    cz_server_form_set_certificate (self->form, cert, key);
  set_status (self, _("Stopped"), _("The demo certificate is ready: start the server."));
  gtk_widget_grab_focus (self->start_button);
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
  set_status (self, _("Preparing the demo certificate…"),
              _("Preparing the demo CA and server certificate…"));
}

/* The first-run bar's main button: the same demo CA and certificate as
 * --demo, filled into the form, ready to start. */
static void
demo_bar_response_cb (GtkInfoBar *bar, int response, CzServerWindow *self)
{
  if (response != 1)
    return;
  gtk_widget_hide (GTK_WIDGET (bar));
  use_demo (self, FALSE, -1);
}

void
cz_server_window_make_demo_certificate (CzServerWindow *self)
{
  g_return_if_fail (CZ_IS_SERVER_WINDOW (self));
  gtk_info_bar_response (self->demo_bar, 1);
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
  gtk_tree_view_column_set_cell_data_func (self->user_column, self->user_renderer, user_cell_cb,
                                           NULL, NULL);
  g_signal_connect_object (self->form, "notify::certificate", G_CALLBACK (form_certificate_cb),
                           self, 0);
  self->cancellable = g_cancellable_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries, G_N_ELEMENTS (win_entries),
                                   self);

  self->settings = load_settings ();
  if (self->settings)
    {
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
      cz_server_form_load (self->form, self->settings);
    }
  /* First run (no certificate yet): the demo bar offers one. */
  update_identity (self);

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
  if (self->stop_dialog)
    gtk_widget_destroy (g_steal_pointer (&self->stop_dialog));
  g_clear_pointer (&self->clients, g_hash_table_unref);
  G_OBJECT_CLASS (cz_server_window_parent_class)->dispose (object);
}

static void
cz_server_window_finalize (GObject *object)
{
  CzServerWindow *self = CZ_SERVER_WINDOW (object);

  g_free (self->address);
  g_clear_pointer (&self->identity, cz_cert_info_free);
  g_free (self->client_ca_hint);
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
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, demo_bar);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, identity_button);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, identity_summary);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, identity_fingerprint);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, identity_details);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, clients_stack);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, empty_icon);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, empty_title);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, empty_body);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, user_column);
  gtk_widget_class_bind_template_child (widget_class, CzServerWindow, user_renderer);
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
  gtk_widget_class_bind_template_callback (widget_class, demo_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, clients_selection_changed_cb);
}

CzServerWindow *
cz_server_window_new (GtkApplication *app)
{
  return g_object_new (CZ_TYPE_SERVER_WINDOW, "application", app, NULL);
}
