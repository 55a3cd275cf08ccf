/* cz-server-form.c: the server settings form: its fields, their enum
 * properties, GSettings and the command line. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-server-form.h"
#include "cz-error.h"
#include "cz-ui-util.h"

struct _CzServerForm {
  GtkGrid parent_instance;

  GtkComboBoxText *address_combo;
  GtkSpinButton *port_spin;
  GtkButton *cert_button, *key_button, *ca_button, *db_button;
  GtkLabel *cert_button_label, *key_button_label, *ca_button_label, *db_button_label;
  GtkComboBoxText *dh_combo;
  GtkSwitch *client_cert_switch;
  GtkToggleButton *require_check;

  /* The files the buttons name; "" for none. */
  char *cert_file, *key_file, *ca_file, *db_file;
  CzDhGroup dh_group;
};

G_DEFINE_TYPE (CzServerForm, cz_server_form, GTK_TYPE_GRID)

enum {
  PROP_0,
  PROP_DH_GROUP,
  PROP_CLIENT_CERT_MODE,
  PROP_CERTIFICATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static CzClientCertMode
client_cert_mode (CzServerForm *self)
{
  if (!gtk_switch_get_active (self->client_cert_switch) || *self->ca_file == '\0')
    return CZ_CLIENT_CERT_NONE;
  return gtk_toggle_button_get_active (self->require_check) ? CZ_CLIENT_CERT_REQUIRE
                                                            : CZ_CLIENT_CERT_REQUEST;
}

static void
set_dh_group (CzServerForm *self, CzDhGroup group)
{
  if (self->dh_group == group)
    return;
  self->dh_group = group;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DH_GROUP]);
}

/* A file button shows the file's name; the whole path is its tooltip and
 * its accessible description. */
static void
show_file (GtkButton *button, GtkLabel *label, const char *path, const char *none)
{
  GtkWidget *widget = GTK_WIDGET (button);

  if (path == NULL || *path == '\0')
    {
      gtk_label_set_text (label, none);
      gtk_widget_set_tooltip_text (widget, NULL);
      atk_object_set_description (gtk_widget_get_accessible (widget), none);
      gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (label)), "dim-label");
      return;
    }
  {
    g_autofree char *base = g_path_get_basename (path);
    gtk_label_set_text (label, base);
    gtk_widget_set_tooltip_text (widget, path);
    atk_object_set_description (gtk_widget_get_accessible (widget), path);
    gtk_style_context_remove_class (gtk_widget_get_style_context (GTK_WIDGET (label)), "dim-label");
  }
}

static void client_cert_changed_cb (CzServerForm *self);

static void
set_cert_file (CzServerForm *self, const char *path)
{
  if (g_strcmp0 (self->cert_file, path ? path : "") == 0)
    return;
  g_free (self->cert_file);
  self->cert_file = g_strdup (path ? path : "");
  show_file (self->cert_button, self->cert_button_label, self->cert_file, _("(None)"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CERTIFICATE]);
}

static void
set_key_file (CzServerForm *self, const char *path)
{
  g_free (self->key_file);
  self->key_file = g_strdup (path ? path : "");
  show_file (self->key_button, self->key_button_label, self->key_file, _("(None)"));
}

static void
set_ca_file (CzServerForm *self, const char *path)
{
  g_free (self->ca_file);
  self->ca_file = g_strdup (path ? path : "");
  show_file (self->ca_button, self->ca_button_label, self->ca_file, _("(None)"));
  client_cert_changed_cb (self);
}

static void
set_db_file (CzServerForm *self, const char *path)
{
  g_free (self->db_file);
  self->db_file = g_strdup (path ? path : "");
  show_file (self->db_button, self->db_button_label, self->db_file,
             _("Default (server.db in the data folder)"));
}

/* The address combo: "All networks", "This computer only", or the one the
 * settings or the command line gave, as it is. */
static void
set_address (CzServerForm *self, const char *address)
{
  if (address == NULL || *address == '\0')
    address = "0.0.0.0";
  if (!gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->address_combo), address))
    {
      gtk_combo_box_text_append (self->address_combo, address, address);
      gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->address_combo), address);
    }
}

static const char *
get_address (CzServerForm *self)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->address_combo));
  return id ? id : "0.0.0.0";
}

typedef void (*SetPathFunc) (CzServerForm *self, const char *path);

typedef struct {
  CzServerForm *self;
  SetPathFunc set;
  GtkWidget *button;
} Choice;

static void
chosen_cb (const char *path, gpointer user_data)
{
  Choice *choice = user_data;

  if (path)
    choice->set (choice->self, path);
  gtk_widget_grab_focus (choice->button);
  g_object_unref (choice->self);
  g_free (choice);
}

static void
choose (CzServerForm *self, GtkButton *button, const char *current, SetPathFunc set,
        const char *title, GtkFileChooserAction action)
{
  Choice *choice = g_new0 (Choice, 1);

  choice->self = g_object_ref (self);
  choice->set = set;
  choice->button = GTK_WIDGET (button);
  cz_ui_choose_path (GTK_WIDGET (self), current, title, action, chosen_cb, choice);
}

static void
cert_browse_cb (GtkButton *button, CzServerForm *self)
{
  choose (self, button, self->cert_file, set_cert_file, _("Server Certificate"),
          GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
key_browse_cb (GtkButton *button, CzServerForm *self)
{
  choose (self, button, self->key_file, set_key_file, _("Server Private Key"),
          GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
ca_browse_cb (GtkButton *button, CzServerForm *self)
{
  choose (self, button, self->ca_file, set_ca_file, _("Client CA Certificate"),
          GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
db_browse_cb (GtkButton *button, CzServerForm *self)
{
  choose (self, button, self->db_file, set_db_file, _("Database File"),
          GTK_FILE_CHOOSER_ACTION_SAVE);
}

/* The switch, the client CA or the Require check changed: so may the mode. */
static void
client_cert_changed_cb (CzServerForm *self)
{
  gboolean on = gtk_switch_get_active (self->client_cert_switch);

  gtk_widget_set_sensitive (GTK_WIDGET (self->ca_button), on);
  gtk_widget_set_sensitive (GTK_WIDGET (self->require_check), on && *self->ca_file != '\0');
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT_CERT_MODE]);
}

static void
cz_server_form_init (CzServerForm *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cert_file = g_strdup ("");
  self->key_file = g_strdup ("");
  self->ca_file = g_strdup ("");
  self->db_file = g_strdup ("");
  show_file (self->cert_button, self->cert_button_label, "", _("(None)"));
  show_file (self->key_button, self->key_button_label, "", _("(None)"));
  show_file (self->ca_button, self->ca_button_label, "", _("(None)"));
  set_db_file (self, "");
  set_address (self, "0.0.0.0");
  /* GtkComboBoxText cannot take an accessible child in GtkBuilder. */
  cz_ui_set_accessible_name (GTK_WIDGET (self->dh_combo), _("Diffie-Hellman group"));
  cz_ui_set_accessible_name (GTK_WIDGET (self->address_combo), _("Listen on"));
  cz_ui_bind_enum_to_combo (self, "dh-group", GTK_COMBO_BOX (self->dh_combo));
  g_signal_connect_object (self->client_cert_switch, "notify::active",
                           G_CALLBACK (client_cert_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->require_check, "toggled", G_CALLBACK (client_cert_changed_cb),
                           self, G_CONNECT_SWAPPED);
  client_cert_changed_cb (self);
}

static void
cz_server_form_finalize (GObject *object)
{
  CzServerForm *self = CZ_SERVER_FORM (object);

  g_free (self->cert_file);
  g_free (self->key_file);
  g_free (self->ca_file);
  g_free (self->db_file);
  G_OBJECT_CLASS (cz_server_form_parent_class)->finalize (object);
}

static void
cz_server_form_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CzServerForm *self = CZ_SERVER_FORM (object);

  switch (prop_id)
    {
    case PROP_DH_GROUP:
      g_value_set_enum (value, self->dh_group);
      break;
    case PROP_CLIENT_CERT_MODE:
      g_value_set_enum (value, client_cert_mode (self));
      break;
    case PROP_CERTIFICATE:
      g_value_set_string (value, self->cert_file);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cz_server_form_set_property (GObject *object, guint prop_id, const GValue *value,
                             GParamSpec *pspec)
{
  CzServerForm *self = CZ_SERVER_FORM (object);

  switch (prop_id)
    {
    case PROP_DH_GROUP:
      set_dh_group (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cz_server_form_class_init (CzServerFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = cz_server_form_get_property;
  object_class->set_property = cz_server_form_set_property;
  object_class->finalize = cz_server_form_finalize;

  /* The application Diffie-Hellman group, as the combo box shows it. */
  properties[PROP_DH_GROUP] =
    g_param_spec_enum ("dh-group", NULL, NULL, CZ_TYPE_DH_GROUP, CZ_DH_X25519,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* None without a client CA; with one, request or require as the check says. */
  properties[PROP_CLIENT_CERT_MODE] =
    g_param_spec_enum ("client-cert-mode", NULL, NULL, CZ_TYPE_CLIENT_CERT_MODE,
                       CZ_CLIENT_CERT_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The server certificate's file, "" for none. */
  properties[PROP_CERTIFICATE] =
    g_param_spec_string ("certificate", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  cz_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Server/cz-server-form.ui");
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, address_combo);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, port_spin);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, cert_button);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, key_button);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, ca_button);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, db_button);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, cert_button_label);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, key_button_label);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, ca_button_label);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, db_button_label);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, dh_combo);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, client_cert_switch);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, require_check);
  gtk_widget_class_bind_template_callback (widget_class, cert_browse_cb);
  gtk_widget_class_bind_template_callback (widget_class, key_browse_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_browse_cb);
  gtk_widget_class_bind_template_callback (widget_class, db_browse_cb);
}

GtkWidget *
cz_server_form_new (void)
{
  return g_object_new (CZ_TYPE_SERVER_FORM, NULL);
}

/* A group the form does not know (an old setting) leaves it as it is. */
static void
set_dh_group_name (CzServerForm *self, const char *name)
{
  CzDhGroup group;

  if (cz_dh_group_from_name (name, &group, NULL))
    set_dh_group (self, group);
}

void
cz_server_form_load (CzServerForm *self, GSettings *settings)
{
  g_autofree char *group = NULL;

  g_return_if_fail (CZ_IS_SERVER_FORM (self));
  if (settings == NULL)
    return;
  {
    g_autofree char *address = g_settings_get_string (settings, "bind-address");
    g_autofree char *cert = g_settings_get_string (settings, "certificate");
    g_autofree char *key = g_settings_get_string (settings, "key");
    g_autofree char *ca = g_settings_get_string (settings, "client-ca");
    g_autofree char *db = g_settings_get_string (settings, "database");

    set_address (self, address);
    gtk_spin_button_set_value (self->port_spin, g_settings_get_int (settings, "port"));
    set_cert_file (self, cert);
    set_key_file (self, key);
    set_ca_file (self, ca);
    gtk_switch_set_active (self->client_cert_switch, *ca != '\0');
    set_db_file (self, db);
  }
  gtk_toggle_button_set_active (self->require_check,
                                g_settings_get_boolean (settings, "require-client-cert"));
  group = g_settings_get_string (settings, "dh-group");
  set_dh_group_name (self, group);
}

void
cz_server_form_save (CzServerForm *self, GSettings *settings)
{
  g_return_if_fail (CZ_IS_SERVER_FORM (self));
  if (settings == NULL)
    return;
  g_settings_delay (settings);
  g_settings_set_string (settings, "bind-address", get_address (self));
  g_settings_set_int (settings, "port", gtk_spin_button_get_value_as_int (self->port_spin));
  g_settings_set_string (settings, "certificate", self->cert_file);
  g_settings_set_string (settings, "key", self->key_file);
  /* Switched off, the server asks for no client certificate. */
  g_settings_set_string (settings, "client-ca",
                         gtk_switch_get_active (self->client_cert_switch) ? self->ca_file : "");
  g_settings_set_string (settings, "database", self->db_file);
  g_settings_set_boolean (settings, "require-client-cert",
                          gtk_toggle_button_get_active (self->require_check));
  g_settings_set_string (settings, "dh-group", cz_dh_group_name (self->dh_group));
  g_settings_apply (settings);
}

void
cz_server_form_apply_options (CzServerForm *self, const CzServerOptions *o)
{
  g_return_if_fail (CZ_IS_SERVER_FORM (self));

  if (o->bind)
    set_address (self, o->bind);
  if (o->port >= 0 && o->port <= 65535)
    gtk_spin_button_set_value (self->port_spin, o->port);
  if (o->cert)
    set_cert_file (self, o->cert);
  if (o->key)
    set_key_file (self, o->key);
  if (o->db)
    set_db_file (self, o->db);
  if (o->client_ca)
    cz_server_form_set_client_ca (self, o->client_ca);
  if (o->require_client_cert)
    gtk_toggle_button_set_active (self->require_check, TRUE);
  if (o->dh_group)
    set_dh_group_name (self, o->dh_group);
}

static const char *
value (const char *text)
{
  return text && *text ? text : NULL;
}

static gboolean
missing (GtkButton *button, const char *message, GError **error)
{
  g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID, message);
  gtk_widget_grab_focus (GTK_WIDGET (button));
  return FALSE;
}

gboolean
cz_server_form_get_config (CzServerForm *self, CzServerConfig *config, GError **error)
{
  g_return_val_if_fail (CZ_IS_SERVER_FORM (self), FALSE);

  memset (config, 0, sizeof *config);
  /* A value typed but not yet committed by the spin button counts. */
  gtk_spin_button_update (self->port_spin);
  config->bind_address = get_address (self);
  config->port = (guint16) gtk_spin_button_get_value_as_int (self->port_spin);
  config->cert_file = value (self->cert_file);
  config->key_file = value (self->key_file);
  config->client_ca_file = client_cert_mode (self) != CZ_CLIENT_CERT_NONE ? value (self->ca_file)
                                                                           : NULL;
  config->db_path = value (self->db_file);
  if (config->cert_file == NULL)
    return missing (self->cert_button, _("Choose the server certificate (a PEM file)."), error);
  if (config->key_file == NULL)
    return missing (self->key_button, _("Choose the server private key (a PEM file)."), error);
  if (gtk_switch_get_active (self->client_cert_switch) && config->client_ca_file == NULL)
    return missing (self->ca_button,
                    _("Choose the CA that signs client certificates, or switch client "
                      "certificates off."), error);
  config->client_cert_mode = client_cert_mode (self);
  config->dh_group = self->dh_group;
  return TRUE;
}

void
cz_server_form_set_certificate (CzServerForm *self, const char *cert_file, const char *key_file)
{
  g_return_if_fail (CZ_IS_SERVER_FORM (self));
  /* The key first: whoever follows "certificate" finds the pair complete. */
  set_key_file (self, key_file);
  set_cert_file (self, cert_file);
}

const char *
cz_server_form_get_certificate (CzServerForm *self)
{
  g_return_val_if_fail (CZ_IS_SERVER_FORM (self), NULL);
  return self->cert_file;
}

void
cz_server_form_set_client_ca (CzServerForm *self, const char *ca_file)
{
  g_return_if_fail (CZ_IS_SERVER_FORM (self));
  set_ca_file (self, ca_file);
  gtk_switch_set_active (self->client_cert_switch, ca_file != NULL && *ca_file != '\0');
}

void
cz_server_form_set_address (CzServerForm *self, const char *address, int port)
{
  g_return_if_fail (CZ_IS_SERVER_FORM (self));
  if (address)
    set_address (self, address);
  if (port >= 0)
    gtk_spin_button_set_value (self->port_spin, port);
}
