/* cz-connect-view.c: the connect form.  It checks what was typed and emits
 * "login" (create_account FALSE or TRUE) or "cancel"; the window does the
 * rest. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "cz-protocol.h"
#include "cz-connect-view.h"
#include "cz-util.h"

struct _CzConnectView {
  GtkScrolledWindow parent_instance;

  GtkWidget *form;
  GtkWidget *grid;
  GtkWidget *button_box;
  GtkWidget *error_bar;
  GtkWidget *error_title;
  GtkWidget *error_detail;
  GtkWidget *host_combo;
  GtkWidget *host_entry;
  GtkWidget *port_spin;
  GtkWidget *ca_radio;
  GtkWidget *ca_chooser;
  GtkWidget *tofu_radio;
  GtkWidget *cert_expander;
  GtkWidget *cert_chooser;
  GtkWidget *key_chooser;
  GtkWidget *user_entry;
  GtkWidget *password_entry;
  GtkWidget *create_button;
  GtkWidget *login_button;
  GtkWidget *progress_box;
  GtkWidget *spinner;
  GtkWidget *status_label;
  GtkWidget *cancel_button;
};

G_DEFINE_FINAL_TYPE (CzConnectView, cz_connect_view, GTK_TYPE_SCROLLED_WINDOW)

enum { SIGNAL_LOGIN, SIGNAL_CANCEL, SIGNAL_SERVER_PICKED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- Checking the form ------------------------------------------------------- */

/* File chooser buttons take the focus through their mnemonic (their inner
 * button), not gtk_widget_grab_focus(). */
static void
focus_field (GtkWidget *widget)
{
  if (GTK_IS_FILE_CHOOSER_BUTTON (widget))
    gtk_widget_mnemonic_activate (widget, FALSE);
  else
    gtk_widget_grab_focus (widget);
}

static gboolean
check_form (CzConnectView *self)
{
  g_autofree char *host = cz_connect_view_get_host (self);
  const char *user = cz_connect_view_get_user (self);
  g_autofree char *ca = cz_connect_view_get_ca_file (self);
  g_autofree char *cert = cz_connect_view_get_cert_file (self);
  g_autofree char *key = cz_connect_view_get_key_file (self);
  GtkWidget *focus = NULL;
  const char *title = NULL, *detail = NULL;

  if (host == NULL)
    {
      title = _("Enter the server’s address");
      detail = _("A host name or an IP address, for example chat.example.org.");
      focus = self->host_entry;
    }
  else if (cz_connect_view_get_trust (self) == CZ_TRUST_CA && ca == NULL)
    {
      title = _("Choose a CA certificate");
      detail = _("It is the file that signed the server’s certificate. Without one, choose "
                 "“Check the server’s identity myself” and compare the key fingerprint "
                 "with the one the server window shows.");
      focus = self->ca_chooser;
    }
  else if ((cert == NULL) != (key == NULL))
    {
      title = cert ? _("Choose the private key of your certificate")
                   : _("Choose the certificate that goes with your key");
      detail = _("A client certificate takes two files: the certificate and its private key. "
                 "To connect without one, collapse “Use a client certificate”.");
      focus = cert ? self->key_chooser : self->cert_chooser;
    }
  else if (user == NULL || !cz_user_name_valid (user))
    {
      title = _("Enter a valid user name");
      detail = _("1 to 32 characters: lower-case letters, digits, “_”, “.” and “-”.");
      focus = self->user_entry;
    }
  else if (cz_connect_view_get_password (self) == NULL)
    {
      title = _("Enter your password");
      focus = self->password_entry;
    }
  if (title == NULL)
    return TRUE;
  cz_connect_view_show_error (self, title, detail ? detail : "");
  focus_field (focus);
  return FALSE;
}

static void
login_clicked_cb (GtkButton *button, CzConnectView *self)
{
  if (check_form (self))
    {
      cz_connect_view_clear_error (self);
      g_signal_emit (self, signals[SIGNAL_LOGIN], 0, FALSE);
    }
}

static void
create_clicked_cb (GtkButton *button, CzConnectView *self)
{
  if (check_form (self))
    {
      cz_connect_view_clear_error (self);
      g_signal_emit (self, signals[SIGNAL_LOGIN], 0, TRUE);
    }
}

static void
cancel_clicked_cb (GtkButton *button, CzConnectView *self)
{
  g_signal_emit (self, signals[SIGNAL_CANCEL], 0);
}

static void
error_bar_response_cb (GtkInfoBar *bar, int response, CzConnectView *self)
{
  cz_connect_view_clear_error (self);
}

static void
trust_toggled_cb (GtkToggleButton *button, CzConnectView *self)
{
  gtk_widget_set_sensitive (self->ca_chooser,
                            gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->ca_radio)));
}

/* The key usually sits next to its certificate: open its chooser there. */
static void
cert_file_set_cb (GtkFileChooserButton *button, CzConnectView *self)
{
  g_autofree char *key = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (self->key_chooser));
  g_autofree char *folder = gtk_file_chooser_get_current_folder (GTK_FILE_CHOOSER (button));

  if (key == NULL && folder != NULL)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->key_chooser), folder);
}

/* A recent "host:port" chosen from the drop-down fills both fields. */
static void
host_changed_cb (GtkComboBox *combo, CzConnectView *self)
{
  const char *id = gtk_combo_box_get_active_id (combo);
  g_autofree char *host = NULL;
  guint16 port = 0;
  const char *colon;

  if (id == NULL || (colon = strrchr (id, ':')) == NULL)
    return;
  port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
  host = g_strndup (id, colon - id);
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);
      g_free (host);
      host = inner;
    }
  cz_connect_view_set_server (self, host, port);
  g_signal_emit (self, signals[SIGNAL_SERVER_PICKED], 0, id);
}

/* A recent server picked from the completion as it is typed: the same as
 * from the drop-down. */
static gboolean
completion_match_cb (GtkEntryCompletion *completion, GtkTreeModel *model, GtkTreeIter *iter,
                     CzConnectView *self)
{
  g_autofree char *id = NULL;

  gtk_tree_model_get (model, iter, 1, &id, -1);
  if (id == NULL)
    return FALSE;
  if (g_strcmp0 (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->host_combo)), id) == 0)
    host_changed_cb (GTK_COMBO_BOX (self->host_combo), self);
  else
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->host_combo), id);
  return TRUE;
}

/* ---- Object ------------------------------------------------------------------ */

static void
cz_connect_view_class_init (CzConnectViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /**
   * CzConnectView::login:
   * @create_account: Create Account was pressed
   */
  signals[SIGNAL_LOGIN] = g_signal_new ("login", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[SIGNAL_CANCEL] = g_signal_new ("cancel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * CzConnectView::server-picked:
   * @server: "host:port", as given to cz_connect_view_set_recent()
   *
   * A recent server was chosen from the list (or its completion): the
   * window fills in what was used with it.
   */
  signals[SIGNAL_SERVER_PICKED] = g_signal_new ("server-picked", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Client/cz-connect-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, form);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, grid);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, button_box);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, error_bar);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, error_title);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, error_detail);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, host_combo);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, host_entry);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, port_spin);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, ca_radio);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, ca_chooser);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, tofu_radio);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, cert_expander);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, cert_chooser);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, key_chooser);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, user_entry);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, password_entry);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, create_button);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, login_button);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, progress_box);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, spinner);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, status_label);
  gtk_widget_class_bind_template_child (widget_class, CzConnectView, cancel_button);
  gtk_widget_class_bind_template_callback (widget_class, login_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, create_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, error_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, trust_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, host_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, cert_file_set_cb);
}

static void
cz_connect_view_init (CzConnectView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The Log In button answers Enter in any field. */
  g_signal_connect_object (self, "realize", G_CALLBACK (gtk_widget_grab_default),
                           self->login_button, G_CONNECT_SWAPPED);
  atk_object_set_name (gtk_widget_get_accessible (self->error_bar), _("Error"));
  atk_object_set_name (gtk_widget_get_accessible (self->spinner), _("Working"));
  {
    /* The recent servers also complete what is typed. */
    g_autoptr(GtkEntryCompletion) completion = gtk_entry_completion_new ();
    gtk_entry_completion_set_model (completion,
                                    gtk_combo_box_get_model (GTK_COMBO_BOX (self->host_combo)));
    gtk_entry_completion_set_text_column (completion, 0);
    gtk_entry_completion_set_inline_completion (completion, FALSE);
    gtk_entry_completion_set_popup_single_match (completion, TRUE);
    g_signal_connect_object (completion, "match-selected", G_CALLBACK (completion_match_cb),
                             self, 0);
    gtk_entry_set_completion (GTK_ENTRY (self->host_entry), completion);
  }
}

GtkWidget *
cz_connect_view_new (void)
{
  return g_object_new (CZ_TYPE_CONNECT_VIEW, NULL);
}

/* ---- Fields ------------------------------------------------------------------ */

void
cz_connect_view_set_server (CzConnectView *self, const char *host, guint16 port)
{
  if (host)
    gtk_entry_set_text (GTK_ENTRY (self->host_entry), host);
  if (port)
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->port_spin), port);
}

void
cz_connect_view_set_trust (CzConnectView *self, CzTrustMode trust, const char *ca_file)
{
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (trust == CZ_TRUST_TOFU ? self->tofu_radio
                                                                         : self->ca_radio),
                                TRUE);
  if (ca_file && *ca_file)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (self->ca_chooser), ca_file);
  trust_toggled_cb (NULL, self);
}

void
cz_connect_view_set_client_cert (CzConnectView *self, const char *cert_file,
                                 const char *key_file)
{
  gboolean cert = cert_file && *cert_file, key = key_file && *key_file;

  if (cert)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (self->cert_chooser), cert_file);
  else
    gtk_file_chooser_unselect_all (GTK_FILE_CHOOSER (self->cert_chooser));
  if (key)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (self->key_chooser), key_file);
  else
    gtk_file_chooser_unselect_all (GTK_FILE_CHOOSER (self->key_chooser));
  gtk_expander_set_expanded (GTK_EXPANDER (self->cert_expander), cert || key);
}

void
cz_connect_view_set_user (CzConnectView *self, const char *user)
{
  if (user)
    gtk_entry_set_text (GTK_ENTRY (self->user_entry), user);
}

void
cz_connect_view_set_recent (CzConnectView *self, const char *const *servers)
{
  g_autofree char *text = g_strdup (gtk_entry_get_text (GTK_ENTRY (self->host_entry)));

  gtk_combo_box_text_remove_all (GTK_COMBO_BOX_TEXT (self->host_combo));
  for (guint i = 0; servers && servers[i]; i++)
    gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (self->host_combo), servers[i], servers[i]);
  gtk_entry_set_text (GTK_ENTRY (self->host_entry), text);
}

char *
cz_connect_view_get_host (CzConnectView *self)
{
  g_autofree char *host = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (self->host_entry))));
  const char *colon = strrchr (host, ':');

  /* "host:port" typed or picked whole: keep the host part. */
  if (colon && strchr (host, ':') == colon && colon[1] != '\0')
    {
      char *h = g_strndup (host, colon - host);
      g_free (host);
      host = h;
    }
  return *host ? g_steal_pointer (&host) : NULL;
}

guint16
cz_connect_view_get_port (CzConnectView *self)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (self->host_entry));
  const char *colon = strrchr (text, ':');

  gtk_spin_button_update (GTK_SPIN_BUTTON (self->port_spin));
  if (colon && strchr (text, ':') == colon && colon[1] != '\0')
    {
      guint64 port = g_ascii_strtoull (colon + 1, NULL, 10);
      if (port > 0 && port <= 65535)
        return (guint16) port;
    }
  return (guint16) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->port_spin));
}

CzTrustMode
cz_connect_view_get_trust (CzConnectView *self)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->tofu_radio)) ? CZ_TRUST_TOFU
                                                                             : CZ_TRUST_CA;
}

char *
cz_connect_view_get_ca_file (CzConnectView *self)
{
  return gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (self->ca_chooser));
}

/* NULL while "Use a client certificate" is folded away. */
static char *
client_cert_path (CzConnectView *self, GtkWidget *chooser)
{
  if (!gtk_expander_get_expanded (GTK_EXPANDER (self->cert_expander)))
    return NULL;
  return gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
}

char *
cz_connect_view_get_cert_file (CzConnectView *self)
{
  return client_cert_path (self, self->cert_chooser);
}

char *
cz_connect_view_get_key_file (CzConnectView *self)
{
  return client_cert_path (self, self->key_chooser);
}

const char *
cz_connect_view_get_user (CzConnectView *self)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (self->user_entry));
  return *text ? text : NULL;
}

const char *
cz_connect_view_get_password (CzConnectView *self)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (self->password_entry));
  return *text ? text : NULL;
}

void
cz_connect_view_clear_password (CzConnectView *self)
{
  gtk_entry_set_text (GTK_ENTRY (self->password_entry), "");
}

/* ---- States --------------------------------------------------------------------- */

void
cz_connect_view_set_busy (CzConnectView *self, gboolean busy, const char *status)
{
  gtk_widget_set_sensitive (self->grid, !busy);
  gtk_widget_set_sensitive (self->button_box, !busy);
  gtk_widget_set_visible (self->progress_box, busy);
  gtk_label_set_text (GTK_LABEL (self->status_label), status ? status : "");
  if (busy)
    {
      gtk_spinner_start (GTK_SPINNER (self->spinner));
      cz_connect_view_clear_error (self);
      gtk_widget_grab_focus (self->cancel_button);
    }
  else
    gtk_spinner_stop (GTK_SPINNER (self->spinner));
}

void
cz_connect_view_show_error (CzConnectView *self, const char *title, const char *detail)
{
  AtkObject *acc = gtk_widget_get_accessible (self->error_bar);

  gtk_label_set_text (GTK_LABEL (self->error_title), title);
  gtk_label_set_text (GTK_LABEL (self->error_detail), detail ? detail : "");
  gtk_widget_set_visible (self->error_detail, detail && *detail);
  gtk_widget_show (self->error_bar);
  atk_object_set_description (acc, title);
}

void
cz_connect_view_clear_error (CzConnectView *self)
{
  gtk_widget_hide (self->error_bar);
}

void
cz_connect_view_focus (CzConnectView *self)
{
  GtkWidget *target = self->password_entry;

  if (gtk_entry_get_text_length (GTK_ENTRY (self->host_entry)) == 0)
    target = self->host_entry;
  else if (gtk_entry_get_text_length (GTK_ENTRY (self->user_entry)) == 0)
    target = self->user_entry;
  gtk_widget_grab_focus (target);
  if (gtk_widget_get_realized (self->login_button))
    gtk_widget_grab_default (self->login_button);
}
