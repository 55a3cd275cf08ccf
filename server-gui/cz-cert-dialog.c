/* cz-cert-dialog.c: the Create Certificate dialog: Server | Client first
 * (it changes the form), the form, then the result on a page of its own
 * (the files, Show in Files, the key fingerprint, Use for This Server). */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>

#include "cz-cert-dialog.h"
#include "cz-cert-generate.h"
#include "cz-cert-info.h"
#include "cz-cert-host.h"
#include "cz-error.h"
#include "cz-ui-util.h"
#include "cz-util.h"

struct _CzCertDialog {
  GtkDialog parent_instance;

  GtkWidget *generate_button;
  GtkInfoBar *error_bar;
  GtkLabel *error_label;
  GtkWidget *form_grid;
  GtkToggleButton *new_ca_radio;
  GtkEntry *new_ca_name_entry, *new_ca_cert_entry, *new_ca_key_entry;
  GtkWidget *new_ca_name_label, *new_ca_cert_label, *new_ca_key_label;
  GtkWidget *new_ca_cert_button, *new_ca_key_button;
  GtkEntry *ca_cert_entry, *ca_key_entry;
  GtkWidget *ca_cert_label, *ca_key_label, *ca_cert_button, *ca_key_button;
  GtkEntry *cn_entry;
  GtkTextView *sans_view;
  GtkComboBoxText *key_type_combo;
  GtkSpinButton *days_spin;
  GtkToggleButton *server_radio, *client_radio;
  GtkLabel *cn_label;
  GtkWidget *sans_label, *sans_frame, *sans_hint;
  GtkEntry *cert_out_entry, *key_out_entry;
  GtkWidget *progress_box;
  GtkSpinner *spinner;
  GtkStack *pages;
  GtkWidget *close_button, *done_button, *use_button;
  GtkLabel *result_title, *result_summary, *result_cert_file, *result_key_file, *result_ca_file,
           *result_folder, *fingerprint_label, *result_valid, *result_hint;
  GtkWidget *ca_file_caption;

  CzKeyType key_type;
  GCancellable *cancellable;
  gboolean busy;
  char *result_cert, *result_key;
  gboolean result_client;
};

/* The response of "Use for This Server". */
#define RESPONSE_USE 1

enum { SIGNAL_USE_CERTIFICATE, SIGNAL_GENERATED, N_SIGNALS };
static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_KEY_TYPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE (CzCertDialog, cz_cert_dialog, GTK_TYPE_DIALOG)

/* ---- The generation, in a thread ------------------------------------------- */

typedef struct {
  gboolean new_ca;
  char *ca_name, *ca_cert, *ca_key;
  char *common_name;
  GStrv sans;
  CzKeyType key_type;
  guint days;
  gboolean client;
  char *cert_out, *key_out;
} Job;

static void
job_free (Job *job)
{
  g_free (job->ca_name);
  g_free (job->ca_cert);
  g_free (job->ca_key);
  g_free (job->common_name);
  g_strfreev (job->sans);
  g_free (job->cert_out);
  g_free (job->key_out);
  g_free (job);
}

static gboolean
check_output (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO,
                   _("%s already exists: choose another file name, nothing was overwritten"), path);
      return FALSE;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO, _("cannot create the folder %s: %s"),
                   dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static void
generate_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  CzCertRequest req = { .common_name = job->common_name,
                        .sans = (const char *const *) job->sans,
                        .key_type = job->key_type, .days = job->days, .client = job->client };
  CzCertInfo *info;

  if (job->new_ca)
    {
      CzCertRequest ca_req = { .common_name = job->ca_name, .key_type = job->key_type };
      g_autoptr(CzCertInfo) ca_info = NULL;

      if (!check_output (job->ca_cert, &error) || !check_output (job->ca_key, &error) ||
          !check_output (job->cert_out, &error) || !check_output (job->key_out, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      ca_info = cz_cert_generate_ca (&ca_req, job->ca_cert, job->ca_key, &error);
      if (ca_info == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  else if (!check_output (job->cert_out, &error) || !check_output (job->key_out, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  info = cz_cert_generate_signed (&req, job->ca_cert, job->ca_key, job->cert_out, job->key_out,
                                  &error);
  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify) cz_cert_info_free);
}

static void
set_busy (CzCertDialog *self, gboolean busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->form_grid, !busy);
  gtk_widget_set_sensitive (self->generate_button, !busy);
  gtk_widget_set_visible (self->progress_box, busy);
  if (busy)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
}

static void
show_error (CzCertDialog *self, const char *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_show (GTK_WIDGET (self->error_bar));
}

static void show_result_page (CzCertDialog *self, gboolean result);

static void
generated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CzCertDialog) self = user_data;
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(CzCertInfo) info = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *summary = NULL, *fingerprint = NULL, *until = NULL, *folder = NULL;
  g_autofree char *cert_base = NULL, *key_base = NULL, *ca_base = NULL;

  if (info == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (info == NULL)
    {
      show_error (self, error->message);
      return;
    }
  g_free (self->result_cert);
  g_free (self->result_key);
  self->result_cert = g_strdup (job->cert_out);
  self->result_key = g_strdup (job->key_out);

  self->result_client = job->client;

  /* The result, on its own page: plain words, file names, the key
   * fingerprint as clients see it, a localized date. */
  summary = g_strdup_printf (job->client ? _("A client certificate for %s, signed by %s.")
                                         : _("A server certificate for %s, signed by %s."),
                             info->subject_name, info->issuer_name);
  fingerprint = cz_format_fingerprint (info->spki_sha256);
  until = cz_ui_format_date (info->not_after_unix);
  folder = g_path_get_dirname (job->cert_out);
  cert_base = g_path_get_basename (job->cert_out);
  key_base = g_path_get_basename (job->key_out);
  ca_base = g_path_get_basename (job->ca_cert);
  gtk_label_set_text (self->result_title, job->client ? _("Client certificate created")
                                                      : _("Server certificate created"));
  gtk_label_set_text (self->result_summary, summary);
  gtk_label_set_text (self->result_cert_file, cert_base);
  gtk_label_set_text (self->result_key_file, key_base);
  gtk_label_set_text (self->result_ca_file, ca_base);
  gtk_widget_set_visible (GTK_WIDGET (self->result_ca_file), job->new_ca);
  gtk_widget_set_visible (self->ca_file_caption, job->new_ca);
  gtk_label_set_text (self->result_folder, folder);
  gtk_label_set_text (self->fingerprint_label, fingerprint);
  atk_object_set_description (gtk_widget_get_accessible (GTK_WIDGET (self->fingerprint_label)),
                              info->spki_sha256);
  gtk_label_set_text (self->result_valid, until);
  if (job->client)
    gtk_label_set_text (self->result_hint, _("Give the certificate and its key to the person "
                                             "who connects with it; the server needs the CA "
                                             "certificate as its client CA."));
  else if (job->new_ca)
    gtk_label_set_text (self->result_hint, _("Give the CA certificate to the people who connect; "
                                             "clients that trust it check this server by itself."));
  else
    gtk_label_set_text (self->result_hint, _("Clients that trust this CA accept the certificate."));
  show_result_page (self, TRUE);
  g_signal_emit (self, signals[SIGNAL_GENERATED], 0, job->cert_out);
}

static char *
entry_path (GtkEntry *entry)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_entry_get_text (entry)));
  if (*text == '\0')
    return NULL;
  if (text[0] == '~' && (text[1] == '/' || text[1] == '\0'))
    return g_build_filename (g_get_home_dir (), text + 1, NULL);
  return g_steal_pointer (&text);
}

static char **
sans_from_view (CzCertDialog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->sans_view);
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *sans = g_ptr_array_new ();

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  lines = g_strsplit_set (text, "\n,", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *line = g_strstrip (lines[i]);
      if (*line)
        g_ptr_array_add (sans, g_strdup (line));
    }
  g_ptr_array_add (sans, NULL);
  return (char **) g_ptr_array_free (sans, FALSE);
}

/* Fills a job from the fields; FALSE (and @error naming the field) when one
 * is missing.  The grab moves to that field. */
static Job *
job_from_fields (CzCertDialog *self, GError **error)
{
  Job *job = g_new0 (Job, 1);
  GtkEntry *missing = NULL;

  job->new_ca = gtk_toggle_button_get_active (self->new_ca_radio);
  if (job->new_ca)
    {
      job->ca_name = g_strstrip (g_strdup (gtk_entry_get_text (self->new_ca_name_entry)));
      job->ca_cert = entry_path (self->new_ca_cert_entry);
      job->ca_key = entry_path (self->new_ca_key_entry);
      if (*job->ca_name == '\0')
        missing = self->new_ca_name_entry;
      else if (job->ca_cert == NULL)
        missing = self->new_ca_cert_entry;
      else if (job->ca_key == NULL)
        missing = self->new_ca_key_entry;
    }
  else
    {
      job->ca_cert = entry_path (self->ca_cert_entry);
      job->ca_key = entry_path (self->ca_key_entry);
      if (job->ca_cert == NULL)
        missing = self->ca_cert_entry;
      else if (job->ca_key == NULL)
        missing = self->ca_key_entry;
    }
  job->common_name = g_strstrip (g_strdup (gtk_entry_get_text (self->cn_entry)));
  job->cert_out = entry_path (self->cert_out_entry);
  job->key_out = entry_path (self->key_out_entry);
  if (missing == NULL && *job->common_name == '\0')
    missing = self->cn_entry;
  if (missing == NULL && job->cert_out == NULL)
    missing = self->cert_out_entry;
  if (missing == NULL && job->key_out == NULL)
    missing = self->key_out_entry;
  if (missing)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID, _("Fill in “%s”."),
                   atk_object_get_name (gtk_widget_get_accessible (GTK_WIDGET (missing))));
      gtk_widget_grab_focus (GTK_WIDGET (missing));
      job_free (job);
      return NULL;
    }
  if (g_strcmp0 (job->cert_out, job->key_out) == 0)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("The certificate and the private key need two different files."));
      gtk_widget_grab_focus (GTK_WIDGET (self->key_out_entry));
      job_free (job);
      return NULL;
    }
  job->sans = sans_from_view (self);
  job->days = (guint) gtk_spin_button_get_value_as_int (self->days_spin);
  job->client = gtk_toggle_button_get_active (self->client_radio);
  job->key_type = self->key_type;
  return job;
}

void
cz_cert_dialog_generate (CzCertDialog *self)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Job *job;

  g_return_if_fail (CZ_IS_CERT_DIALOG (self));
  if (self->busy)
    return;
  gtk_widget_hide (GTK_WIDGET (self->error_bar));
  show_result_page (self, FALSE);
  gtk_spin_button_update (self->days_spin);
  job = job_from_fields (self, &error);
  if (job == NULL)
    {
      show_error (self, error->message);
      return;
    }
  set_busy (self, TRUE);
  task = g_task_new (NULL, self->cancellable, generated_cb, g_object_ref (self));
  g_task_set_source_tag (task, cz_cert_dialog_generate);
  g_task_set_check_cancellable (task, TRUE);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, generate_thread);
}

gboolean
cz_cert_dialog_is_busy (CzCertDialog *self)
{
  g_return_val_if_fail (CZ_IS_CERT_DIALOG (self), FALSE);
  return self->busy;
}

/* ---- Signals from the template --------------------------------------------------- */

static void
response_cb (GtkDialog *dialog, int response, CzCertDialog *self)
{
  gboolean result = g_strcmp0 (gtk_stack_get_visible_child_name (self->pages), "result") == 0;

  if (response == GTK_RESPONSE_OK)
    {
      g_signal_stop_emission_by_name (dialog, "response");
      /* Enter on the result page does not generate again. */
      if (!result)
        cz_cert_dialog_generate (self);
      return;
    }
  if (response == RESPONSE_USE)
    {
      if (self->result_cert == NULL || self->result_client)
        {
          g_signal_stop_emission_by_name (dialog, "response");
          return;
        }
      g_signal_emit (self, signals[SIGNAL_USE_CERTIFICATE], 0, self->result_cert, self->result_key);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

/* Opens the folder of the new files in the file manager. */
static void
show_files_cb (GtkButton *button, CzCertDialog *self)
{
  g_autofree char *dir = NULL, *uri = NULL;
  g_autoptr(GError) error = NULL;

  if (self->result_cert == NULL)
    return;
  dir = g_path_get_dirname (self->result_cert);
  uri = g_filename_to_uri (dir, NULL, &error);
  if (uri == NULL || !gtk_show_uri_on_window (GTK_WINDOW (self), uri, GDK_CURRENT_TIME, &error))
    show_error (self, error->message);
}

/* Server | Client changes the form: a client certificate names a user and
 * needs no host names, and goes to other files. */
static void
kind_toggled_cb (GtkToggleButton *button, CzCertDialog *self)
{
  gboolean client = gtk_toggle_button_get_active (self->client_radio);
  g_autofree char *cert = g_strdup (gtk_entry_get_text (self->cert_out_entry));
  g_autofree char *key = g_strdup (gtk_entry_get_text (self->key_out_entry));
  g_autofree char *dir = g_path_get_dirname (cert);
  const char *from = client ? "server" : "client", *to = client ? "client" : "server";
  g_autofree char *from_cert = g_strconcat (from, ".pem", NULL);
  g_autofree char *from_key = g_strconcat (from, "-key.pem", NULL);
  g_autofree char *cert_base = g_path_get_basename (cert);
  g_autofree char *key_base = g_path_get_basename (key);

  if (!gtk_toggle_button_get_active (button))
    return;
  gtk_label_set_text_with_mnemonic (self->cn_label, client ? _("_User name") : _("Server _name"));
  gtk_widget_set_visible (self->sans_label, !client);
  gtk_widget_set_visible (self->sans_frame, !client);
  gtk_widget_set_visible (self->sans_hint, !client);
  /* The prefilled file names follow, unless someone chose others. */
  if (g_str_equal (cert_base, from_cert) && g_str_equal (key_base, from_key))
    {
      g_autofree char *to_cert = g_strconcat (to, ".pem", NULL);
      g_autofree char *to_key = g_strconcat (to, "-key.pem", NULL);
      g_autofree char *new_cert = g_build_filename (dir, to_cert, NULL);
      g_autofree char *new_key = g_build_filename (dir, to_key, NULL);
      gtk_entry_set_text (self->cert_out_entry, new_cert);
      gtk_entry_set_text (self->key_out_entry, new_key);
    }
  if (client)
    gtk_entry_set_text (self->cn_entry, g_get_user_name ());
  else
    gtk_entry_set_text (self->cn_entry, g_get_host_name ());
}

/* The form or the result: the buttons and the default follow.  On the
 * result page Generate is gone; Use for This Server (a server
 * certificate) or Done is the default. */
static void
show_result_page (CzCertDialog *self, gboolean result)
{
  gtk_stack_set_visible_child_name (self->pages, result ? "result" : "form");
  gtk_widget_set_visible (self->generate_button, !result);
  gtk_widget_set_visible (self->close_button, !result);
  gtk_widget_set_visible (GTK_WIDGET (gtk_widget_get_parent (GTK_WIDGET (self->server_radio))),
                          !result);
  gtk_widget_set_visible (self->done_button, result);
  gtk_widget_set_visible (self->use_button, result && !self->result_client);
  if (!result)
    {
      gtk_dialog_set_default_response (GTK_DIALOG (self), GTK_RESPONSE_OK);
      return;
    }
  if (self->result_client)
    {
      gtk_widget_grab_default (self->done_button);
      gtk_widget_grab_focus (self->done_button);
    }
  else
    {
      gtk_widget_grab_default (self->use_button);
      gtk_widget_grab_focus (self->use_button);
    }
}

void
cz_cert_dialog_show_form (CzCertDialog *self)
{
  g_return_if_fail (CZ_IS_CERT_DIALOG (self));
  show_result_page (self, FALSE);
}

static void
ca_mode_toggled_cb (GtkToggleButton *button, CzCertDialog *self)
{
  gboolean new_ca = gtk_toggle_button_get_active (self->new_ca_radio);
  GtkWidget *new_widgets[] = { GTK_WIDGET (self->new_ca_name_entry), GTK_WIDGET (self->new_ca_cert_entry),
                               GTK_WIDGET (self->new_ca_key_entry), self->new_ca_name_label,
                               self->new_ca_cert_label, self->new_ca_key_label,
                               self->new_ca_cert_button, self->new_ca_key_button };
  GtkWidget *old_widgets[] = { GTK_WIDGET (self->ca_cert_entry), GTK_WIDGET (self->ca_key_entry),
                               self->ca_cert_label, self->ca_key_label, self->ca_cert_button,
                               self->ca_key_button };

  for (guint i = 0; i < G_N_ELEMENTS (new_widgets); i++)
    gtk_widget_set_sensitive (new_widgets[i], new_ca);
  for (guint i = 0; i < G_N_ELEMENTS (old_widgets); i++)
    gtk_widget_set_sensitive (old_widgets[i], !new_ca);
}

#define BROWSE(name, entry, title, action) \
  static void name (GtkButton *b, CzCertDialog *self) \
  { cz_ui_choose_file (GTK_WIDGET (self), self->entry, title, action); }

BROWSE (new_ca_cert_browse_cb, new_ca_cert_entry, _("Save the CA Certificate"), GTK_FILE_CHOOSER_ACTION_SAVE)
BROWSE (new_ca_key_browse_cb, new_ca_key_entry, _("Save the CA Private Key"), GTK_FILE_CHOOSER_ACTION_SAVE)
BROWSE (ca_cert_browse_cb, ca_cert_entry, _("CA Certificate"), GTK_FILE_CHOOSER_ACTION_OPEN)
BROWSE (ca_key_browse_cb, ca_key_entry, _("CA Private Key"), GTK_FILE_CHOOSER_ACTION_OPEN)
BROWSE (cert_out_browse_cb, cert_out_entry, _("Save the Certificate"), GTK_FILE_CHOOSER_ACTION_SAVE)
BROWSE (key_out_browse_cb, key_out_entry, _("Save the Private Key"), GTK_FILE_CHOOSER_ACTION_SAVE)

/* ---- Set-up ---------------------------------------------------------------------- */

/* First free "NAME.pem" / "NAME-N.pem" in @dir for all of @names at once. */
static void
free_names (const char *dir, const char *const *names, char **out)
{
  for (guint n = 0; n < 1000; n++)
    {
      gboolean taken = FALSE;
      for (guint i = 0; names[i]; i++)
        {
          g_autofree char *base = n ? g_strdup_printf ("%s-%u.pem", names[i], n)
                                    : g_strdup_printf ("%s.pem", names[i]);
          g_free (out[i]);
          out[i] = g_build_filename (dir, base, NULL);
          taken |= g_file_test (out[i], G_FILE_TEST_EXISTS);
        }
      if (!taken)
        return;
    }
}

static void
prefill (CzCertDialog *self)
{
  g_autofree char *data_dir = cz_data_dir ();
  g_autofree char *dir = g_build_filename (data_dir, "certs", NULL);
  const char *names[] = { "ca", "ca-key", "server", "server-key", NULL };
  char *paths[4] = { NULL, NULL, NULL, NULL };
  g_auto(GStrv) sans = cz_cert_default_sans ();
  g_autofree char *sans_text = g_strjoinv ("\n", sans);
  g_autofree char *ca_name = g_strdup_printf (_("Causerie CA on %s"), g_get_host_name ());

  free_names (dir, names, paths);
  gtk_entry_set_text (self->new_ca_cert_entry, paths[0]);
  gtk_entry_set_text (self->new_ca_key_entry, paths[1]);
  gtk_entry_set_text (self->cert_out_entry, paths[2]);
  gtk_entry_set_text (self->key_out_entry, paths[3]);
  for (guint i = 0; i < 4; i++)
    g_free (paths[i]);
  gtk_entry_set_text (self->new_ca_name_entry, ca_name);
  gtk_entry_set_text (self->cn_entry, g_get_host_name ());
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->sans_view), sans_text, -1);
}

static void
cz_cert_dialog_init (CzCertDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* GtkComboBoxText cannot take an accessible child in GtkBuilder. */
  cz_ui_set_accessible_name (GTK_WIDGET (self->key_type_combo), _("Key type"));
  cz_ui_bind_enum_to_combo (self, "key-type", GTK_COMBO_BOX (self->key_type_combo));
  self->cancellable = g_cancellable_new ();
  prefill (self);
  ca_mode_toggled_cb (NULL, self);
  kind_toggled_cb (self->server_radio, self);
  show_result_page (self, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->cn_entry));
}

static void
cz_cert_dialog_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CzCertDialog *self = CZ_CERT_DIALOG (object);

  switch (prop_id)
    {
    case PROP_KEY_TYPE:
      g_value_set_enum (value, self->key_type);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cz_cert_dialog_set_property (GObject *object, guint prop_id, const GValue *value,
                             GParamSpec *pspec)
{
  CzCertDialog *self = CZ_CERT_DIALOG (object);

  switch (prop_id)
    {
    case PROP_KEY_TYPE:
      if (self->key_type != (CzKeyType) g_value_get_enum (value))
        {
          self->key_type = g_value_get_enum (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cz_cert_dialog_dispose (GObject *object)
{
  CzCertDialog *self = CZ_CERT_DIALOG (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (cz_cert_dialog_parent_class)->dispose (object);
}

static void
cz_cert_dialog_finalize (GObject *object)
{
  CzCertDialog *self = CZ_CERT_DIALOG (object);

  g_free (self->result_cert);
  g_free (self->result_key);
  G_OBJECT_CLASS (cz_cert_dialog_parent_class)->finalize (object);
}

static void
cz_cert_dialog_class_init (CzCertDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = cz_cert_dialog_get_property;
  object_class->set_property = cz_cert_dialog_set_property;
  object_class->dispose = cz_cert_dialog_dispose;
  object_class->finalize = cz_cert_dialog_finalize;

  /* The type of the keys generated (and of the new CA's). */
  properties[PROP_KEY_TYPE] =
    g_param_spec_enum ("key-type", NULL, NULL, CZ_TYPE_KEY_TYPE, CZ_KEY_ECDSA_P256,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_USE_CERTIFICATE] =
    g_signal_new ("use-certificate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_GENERATED] =
    g_signal_new ("generated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  cz_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Server/cz-cert-dialog.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, CzCertDialog, name)
  CHILD (generate_button);
  CHILD (error_bar);
  CHILD (error_label);
  CHILD (form_grid);
  CHILD (new_ca_radio);
  CHILD (new_ca_name_entry);
  CHILD (new_ca_cert_entry);
  CHILD (new_ca_key_entry);
  CHILD (new_ca_name_label);
  CHILD (new_ca_cert_label);
  CHILD (new_ca_key_label);
  CHILD (new_ca_cert_button);
  CHILD (new_ca_key_button);
  CHILD (ca_cert_entry);
  CHILD (ca_key_entry);
  CHILD (ca_cert_label);
  CHILD (ca_key_label);
  CHILD (ca_cert_button);
  CHILD (ca_key_button);
  CHILD (cn_entry);
  CHILD (sans_view);
  CHILD (key_type_combo);
  CHILD (days_spin);
  CHILD (server_radio);
  CHILD (client_radio);
  CHILD (cn_label);
  CHILD (sans_label);
  CHILD (sans_frame);
  CHILD (sans_hint);
  CHILD (cert_out_entry);
  CHILD (key_out_entry);
  CHILD (progress_box);
  CHILD (spinner);
  CHILD (pages);
  CHILD (close_button);
  CHILD (done_button);
  CHILD (use_button);
  CHILD (result_title);
  CHILD (result_summary);
  CHILD (result_cert_file);
  CHILD (result_key_file);
  CHILD (result_ca_file);
  CHILD (ca_file_caption);
  CHILD (result_folder);
  CHILD (fingerprint_label);
  CHILD (result_valid);
  CHILD (result_hint);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, response_cb);
  gtk_widget_class_bind_template_callback (widget_class, kind_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, show_files_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_mode_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, new_ca_cert_browse_cb);
  gtk_widget_class_bind_template_callback (widget_class, new_ca_key_browse_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_cert_browse_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_key_browse_cb);
  gtk_widget_class_bind_template_callback (widget_class, cert_out_browse_cb);
  gtk_widget_class_bind_template_callback (widget_class, key_out_browse_cb);
}

GtkWidget *
cz_cert_dialog_new (GtkWindow *parent)
{
  return g_object_new (CZ_TYPE_CERT_DIALOG, "use-header-bar", TRUE, "transient-for", parent,
                       NULL);
}
