/* cz-server-form.c: the server settings form. */
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
};

G_DEFINE_TYPE (CzServerForm, cz_server_form, GTK_TYPE_GRID)

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

static void
ca_changed_cb (GtkEditable *editable, CzServerForm *self)
{
  const char *ca = gtk_entry_get_text (self->ca_entry);
  gtk_widget_set_sensitive (GTK_WIDGET (self->require_check), ca && *ca);
}

static void
cz_server_form_init (CzServerForm *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* GtkComboBoxText cannot take an accessible child in GtkBuilder. */
  cz_ui_set_accessible_name (GTK_WIDGET (self->dh_combo), _("Diffie-Hellman group"));
  g_signal_connect_object (self->ca_entry, "changed", G_CALLBACK (ca_changed_cb), self, 0);
  ca_changed_cb (NULL, self);
}

static void
cz_server_form_class_init (CzServerFormClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

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
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->dh_combo), group);
}

void
cz_server_form_save (CzServerForm *self, GSettings *settings)
{
  const char *group;

  g_return_if_fail (CZ_IS_SERVER_FORM (self));
  if (settings == NULL)
    return;
  group = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->dh_combo));
  g_settings_delay (settings);
  g_settings_set_string (settings, "bind-address", gtk_entry_get_text (self->address_entry));
  g_settings_set_int (settings, "port", gtk_spin_button_get_value_as_int (self->port_spin));
  g_settings_set_string (settings, "certificate", gtk_entry_get_text (self->cert_entry));
  g_settings_set_string (settings, "key", gtk_entry_get_text (self->key_entry));
  g_settings_set_string (settings, "client-ca", gtk_entry_get_text (self->ca_entry));
  g_settings_set_string (settings, "database", gtk_entry_get_text (self->db_entry));
  g_settings_set_boolean (settings, "require-client-cert",
                          gtk_toggle_button_get_active (self->require_check));
  if (group)
    g_settings_set_string (settings, "dh-group", group);
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
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->dh_combo), o->dh_group);
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
  const char *group;

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
  if (config->client_ca_file)
    config->client_cert_mode = gtk_toggle_button_get_active (self->require_check)
                               ? CZ_CLIENT_CERT_REQUIRE : CZ_CLIENT_CERT_REQUEST;
  group = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->dh_combo));
  if (group && !cz_dh_group_from_name (group, &config->dh_group, error))
    return FALSE;
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
