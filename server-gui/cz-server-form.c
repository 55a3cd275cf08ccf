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

  GtkEntry *address_entry;
  GtkSpinButton *port_spin;
  GtkEntry *cert_entry;
  GtkEntry *key_entry;
  GtkComboBoxText *dh_combo;
  GtkEntry *db_entry;
  GtkEntry *ca_entry;
  GtkToggleButton *require_check;

  CzDhGroup dh_group;
};

G_DEFINE_TYPE (CzServerForm, cz_server_form, GTK_TYPE_GRID)

enum {
  PROP_0,
  PROP_DH_GROUP,
  PROP_CLIENT_CERT_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static CzClientCertMode
client_cert_mode (CzServerForm *self)
{
  const char *ca = gtk_entry_get_text (self->ca_entry);

  if (ca == NULL || *ca == '\0')
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

static void
cert_browse_cb (GtkButton *button, CzServerForm *self)
{
  cz_ui_choose_file (GTK_WIDGET (self), self->cert_entry, _("Server Certificate"),
                     GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
key_browse_cb (GtkButton *button, CzServerForm *self)
{
  cz_ui_choose_file (GTK_WIDGET (self), self->key_entry, _("Server Private Key"),
                     GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
ca_browse_cb (GtkButton *button, CzServerForm *self)
{
  cz_ui_choose_file (GTK_WIDGET (self), self->ca_entry, _("Client CA Certificate"),
                     GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
db_browse_cb (GtkButton *button, CzServerForm *self)
{
  cz_ui_choose_file (GTK_WIDGET (self), self->db_entry, _("Database File"),
                     GTK_FILE_CHOOSER_ACTION_SAVE);
}

/* The client CA or the Require check changed: so may the mode. */
static void
client_cert_changed_cb (CzServerForm *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->require_check),
                            client_cert_mode (self) != CZ_CLIENT_CERT_NONE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT_CERT_MODE]);
}

static void
cz_server_form_init (CzServerForm *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* GtkComboBoxText cannot take an accessible child in GtkBuilder. */
  cz_ui_set_accessible_name (GTK_WIDGET (self->dh_combo), _("Diffie-Hellman group"));
  cz_ui_bind_enum_to_combo (self, "dh-group", GTK_COMBO_BOX (self->dh_combo));
  g_signal_connect_object (self->ca_entry, "changed", G_CALLBACK (client_cert_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->require_check, "toggled", G_CALLBACK (client_cert_changed_cb),
                           self, G_CONNECT_SWAPPED);
  client_cert_changed_cb (self);
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

  /* The application Diffie-Hellman group, as the combo box shows it. */
  properties[PROP_DH_GROUP] =
    g_param_spec_enum ("dh-group", NULL, NULL, CZ_TYPE_DH_GROUP, CZ_DH_X25519,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* None without a client CA; with one, request or require as the check says. */
  properties[PROP_CLIENT_CERT_MODE] =
    g_param_spec_enum ("client-cert-mode", NULL, NULL, CZ_TYPE_CLIENT_CERT_MODE,
                       CZ_CLIENT_CERT_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  cz_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Server/cz-server-form.ui");
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, address_entry);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, port_spin);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, cert_entry);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, key_entry);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, dh_combo);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, db_entry);
  gtk_widget_class_bind_template_child (widget_class, CzServerForm, ca_entry);
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

static void
set_text (GtkEntry *entry, GSettings *settings, const char *key)
{
  g_autofree char *value = g_settings_get_string (settings, key);
  gtk_entry_set_text (entry, value);
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
  set_text (self->address_entry, settings, "bind-address");
  gtk_spin_button_set_value (self->port_spin, g_settings_get_int (settings, "port"));
  set_text (self->cert_entry, settings, "certificate");
  set_text (self->key_entry, settings, "key");
  set_text (self->ca_entry, settings, "client-ca");
  set_text (self->db_entry, settings, "database");
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
  g_settings_set_string (settings, "bind-address", gtk_entry_get_text (self->address_entry));
  g_settings_set_int (settings, "port", gtk_spin_button_get_value_as_int (self->port_spin));
  g_settings_set_string (settings, "certificate", gtk_entry_get_text (self->cert_entry));
  g_settings_set_string (settings, "key", gtk_entry_get_text (self->key_entry));
  g_settings_set_string (settings, "client-ca", gtk_entry_get_text (self->ca_entry));
  g_settings_set_string (settings, "database", gtk_entry_get_text (self->db_entry));
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
    gtk_entry_set_text (self->address_entry, o->bind);
  if (o->port >= 0 && o->port <= 65535)
    gtk_spin_button_set_value (self->port_spin, o->port);
  if (o->cert)
    gtk_entry_set_text (self->cert_entry, o->cert);
  if (o->key)
    gtk_entry_set_text (self->key_entry, o->key);
  if (o->db)
    gtk_entry_set_text (self->db_entry, o->db);
  if (o->client_ca)
    gtk_entry_set_text (self->ca_entry, o->client_ca);
  if (o->require_client_cert)
    gtk_toggle_button_set_active (self->require_check, TRUE);
  if (o->dh_group)
    set_dh_group_name (self, o->dh_group);
}

static const char *
entry_value (GtkEntry *entry)
{
  const char *text = gtk_entry_get_text (entry);
  return text && *text ? text : NULL;
}

static gboolean
missing (GtkEntry *entry, const char *message, GError **error)
{
  g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID, message);
  gtk_widget_grab_focus (GTK_WIDGET (entry));
  return FALSE;
}

gboolean
cz_server_form_get_config (CzServerForm *self, CzServerConfig *config, GError **error)
{
  g_return_val_if_fail (CZ_IS_SERVER_FORM (self), FALSE);

  memset (config, 0, sizeof *config);
  /* A value typed but not yet committed by the spin button counts. */
  gtk_spin_button_update (self->port_spin);
  config->bind_address = entry_value (self->address_entry);
  config->port = (guint16) gtk_spin_button_get_value_as_int (self->port_spin);
  config->cert_file = entry_value (self->cert_entry);
  config->key_file = entry_value (self->key_entry);
  config->client_ca_file = entry_value (self->ca_entry);
  config->db_path = entry_value (self->db_entry);
  if (config->cert_file == NULL)
    return missing (self->cert_entry, _("Choose the server certificate (a PEM file)."), error);
  if (config->key_file == NULL)
    return missing (self->key_entry, _("Choose the server private key (a PEM file)."), error);
  config->client_cert_mode = client_cert_mode (self);
  config->dh_group = self->dh_group;
  return TRUE;
}

void
cz_server_form_set_certificate (CzServerForm *self, const char *cert_file, const char *key_file)
{
  g_return_if_fail (CZ_IS_SERVER_FORM (self));
  gtk_entry_set_text (self->cert_entry, cert_file ? cert_file : "");
  gtk_entry_set_text (self->key_entry, key_file ? key_file : "");
}

const char *
cz_server_form_get_certificate (CzServerForm *self)
{
  g_return_val_if_fail (CZ_IS_SERVER_FORM (self), NULL);
  return gtk_entry_get_text (self->cert_entry);
}

void
cz_server_form_set_address (CzServerForm *self, const char *address, int port)
{
  g_return_if_fail (CZ_IS_SERVER_FORM (self));
  if (address)
    gtk_entry_set_text (self->address_entry, address);
  if (port >= 0)
    gtk_spin_button_set_value (self->port_spin, port);
}
