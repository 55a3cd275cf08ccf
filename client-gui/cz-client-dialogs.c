/* cz-client-dialogs.c: trust on first use, connection details, preferences. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "cz-client-dialogs.h"
#include "cz-util.h"

/* ---- Trust on first use ------------------------------------------------------- */

struct _CzTrustDialog {
  GtkDialog parent_instance;

  GtkWidget *heading;
  GtkWidget *fingerprint_label;
  GtkWidget *refuse_button;
  GtkWidget *trust_button;
};

G_DEFINE_FINAL_TYPE (CzTrustDialog, cz_trust_dialog, GTK_TYPE_DIALOG)

static void
cz_trust_dialog_class_init (CzTrustDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Client/cz-trust-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CzTrustDialog, heading);
  gtk_widget_class_bind_template_child (widget_class, CzTrustDialog, fingerprint_label);
  gtk_widget_class_bind_template_child (widget_class, CzTrustDialog, refuse_button);
  gtk_widget_class_bind_template_child (widget_class, CzTrustDialog, trust_button);
}

static void
cz_trust_dialog_init (CzTrustDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cz_trust_dialog_new (GtkWindow *parent, const char *server, const char *fingerprint)
{
  CzTrustDialog *self = g_object_new (CZ_TYPE_TRUST_DIALOG, "transient-for", parent, NULL);
  g_autofree char *heading = g_strdup_printf (_("Do you trust %s?"), server);
  g_autofree char *grouped = cz_format_fingerprint (fingerprint);

  gtk_label_set_text (GTK_LABEL (self->heading), heading);
  gtk_label_set_text (GTK_LABEL (self->fingerprint_label), grouped);
  atk_object_set_name (gtk_widget_get_accessible (self->fingerprint_label), _("Key fingerprint"));
  atk_object_set_description (gtk_widget_get_accessible (self->fingerprint_label), fingerprint);
  gtk_widget_grab_focus (self->refuse_button);
  return GTK_WIDGET (self);
}

/* ---- Connection details ------------------------------------------------------------ */

struct _CzDetailsDialog {
  GtkDialog parent_instance;

  GtkWidget *code_label;
  GtkWidget *tls_grid;
  GtkWidget *dh_grid;
  int tls_rows;
  int dh_rows;
};

G_DEFINE_FINAL_TYPE (CzDetailsDialog, cz_details_dialog, GTK_TYPE_DIALOG)

static void
cz_details_dialog_class_init (CzDetailsDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Client/cz-details-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CzDetailsDialog, code_label);
  gtk_widget_class_bind_template_child (widget_class, CzDetailsDialog, tls_grid);
  gtk_widget_class_bind_template_child (widget_class, CzDetailsDialog, dh_grid);
}

static void
cz_details_dialog_init (CzDetailsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* One "name  value" row; long hex values wrap anywhere and use a fixed font. */
static GtkWidget *
add_row (GtkWidget *grid, int *row, const char *name, const char *value, gboolean mono)
{
  GtkWidget *key = gtk_label_new (name);
  GtkWidget *val = gtk_label_new (value && *value ? value : _("none"));

  gtk_label_set_xalign (GTK_LABEL (key), 1);
  gtk_label_set_yalign (GTK_LABEL (key), 0);
  gtk_style_context_add_class (gtk_widget_get_style_context (key), "dim-label");
  gtk_label_set_xalign (GTK_LABEL (val), 0);
  gtk_label_set_selectable (GTK_LABEL (val), TRUE);
  gtk_label_set_line_wrap (GTK_LABEL (val), TRUE);
  gtk_label_set_line_wrap_mode (GTK_LABEL (val), mono ? PANGO_WRAP_CHAR : PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (val), 64);
  gtk_widget_set_hexpand (val, TRUE);
  gtk_widget_set_can_focus (val, FALSE);
  if (mono)
    gtk_style_context_add_class (gtk_widget_get_style_context (val), "cz-mono");
  atk_object_set_name (gtk_widget_get_accessible (val), name);
  gtk_label_set_mnemonic_widget (GTK_LABEL (key), val);
  gtk_grid_attach (GTK_GRID (grid), key, 0, *row, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), val, 1, *row, 1, 1);
  gtk_widget_show (key);
  gtk_widget_show (val);
  (*row)++;
  return val;
}

static void
add_heading (GtkWidget *grid, int *row, const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_style_context_add_class (gtk_widget_get_style_context (label), "cz-section");
  gtk_widget_set_margin_top (label, *row ? 12 : 0);
  gtk_grid_attach (GTK_GRID (grid), label, 0, (*row)++, 2, 1);
  gtk_widget_show (label);
}

static void
add_cert (CzDetailsDialog *self, const char *title, const CzCertInfo *cert, const char *none)
{
  int *r = &self->tls_rows;

  add_heading (self->tls_grid, r, title);
  if (cert == NULL)
    {
      add_row (self->tls_grid, r, _("Certificate"), none, FALSE);
      return;
    }
  add_row (self->tls_grid, r, _("Subject"), cert->subject, FALSE);
  add_row (self->tls_grid, r, _("Issuer"), cert->issuer, FALSE);
  add_row (self->tls_grid, r, _("Valid from"), cert->not_before, FALSE);
  add_row (self->tls_grid, r, _("Valid until"), cert->not_after, FALSE);
  add_row (self->tls_grid, r, _("Key type"), cert->key_type, FALSE);
  add_row (self->tls_grid, r, _("Alternative names"), cert->sans, FALSE);
  add_row (self->tls_grid, r, _("Fingerprint (SHA-256)"), cert->fingerprint, TRUE);
  add_row (self->tls_grid, r, _("Public key (SHA-256)"), cert->spki_sha256, TRUE);
}

/* The private value is fetched from the session only while Reveal is on
 * (cz_session_info_reveal_private), and this side's copy is wiped once it
 * is in the label; hiding replaces it. */
static void
reveal_toggled_cb (GtkToggleButton *button, GtkWidget *label)
{
  gboolean shown = gtk_toggle_button_get_active (button);
  CzSessionInfo *info = g_object_get_data (G_OBJECT (label), "session");
  g_auto(CzPrivateHex) secret = { { 0 } };

  if (!shown)
    gtk_label_set_text (GTK_LABEL (label), "••••••••••••••••");
  else if (info && cz_session_info_reveal_private (info, &secret))
    gtk_label_set_text (GTK_LABEL (label), secret.hex);
  else
    gtk_label_set_text (GTK_LABEL (label), _("no longer kept: the connection is closed"));
  gtk_button_set_label (GTK_BUTTON (button), shown ? _("_Hide") : _("_Reveal"));
}

static void
reveal_unmap_cb (GtkWidget *button, gpointer user_data)
{
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (button), FALSE);
}

GtkWidget *
cz_details_dialog_new (GtkWindow *parent, const char *server, CzSessionInfo *info,
                       const char *fingerprint, gboolean client_cert_chosen)
{
  CzDetailsDialog *self = g_object_new (CZ_TYPE_DETAILS_DIALOG, "transient-for", parent, NULL);
  int *r = &self->tls_rows;
  g_autofree char *since = NULL;
  g_autofree char *prime = NULL;
  g_autofree char *client_cert = NULL;
  GtkWidget *priv, *reveal;

  gtk_label_set_text (GTK_LABEL (self->code_label), info->code);
  atk_object_set_name (gtk_widget_get_accessible (self->code_label), _("Verification code"));
  if (info->since > 0)
    {
      g_autoptr(GDateTime) dt = cz_local_time (info->since);
      since = dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : NULL;
    }

  add_heading (self->tls_grid, r, _("Connection"));
  add_row (self->tls_grid, r, _("Server"), server, FALSE);
  add_row (self->tls_grid, r, _("Address"), info->peer_address, FALSE);
  add_row (self->tls_grid, r, _("Connected since"), since, FALSE);
  add_row (self->tls_grid, r, _("Protocol"), info->protocol, FALSE);
  add_row (self->tls_grid, r, _("Cipher"), info->cipher, FALSE);
  add_row (self->tls_grid, r, _("MAC"), info->mac, FALSE);
  add_row (self->tls_grid, r, _("Key exchange group"), info->group, FALSE);
  add_row (self->tls_grid, r, _("Signature"), info->signature, FALSE);
  add_row (self->tls_grid, r, _("ALPN"), info->alpn, FALSE);
  add_row (self->tls_grid, r, _("Trust"), info->trust, FALSE);
  add_row (self->tls_grid, r, _("Verification"), info->verification, FALSE);
  add_row (self->tls_grid, r, _("Server key (SHA-256)"), fingerprint, TRUE);
  /* TRANSLATORS: the client certificate row; %s is its subject, "CN=alice-laptop" */
  client_cert = info->client_cert ? g_strdup_printf (_("presented: %s"), info->client_cert->subject)
                                  : g_strdup (_("not presented"));
  add_row (self->tls_grid, r, _("Client certificate"), client_cert, FALSE);
  add_cert (self, _("Server certificate"), info->server_cert, _("none sent"));
  /* The client's own certificate goes out only when the server asks. */
  add_cert (self, _("Your certificate"), info->client_cert,
            client_cert_chosen ? _("not sent: the server did not ask for one")
                               : _("none sent"));

  r = &self->dh_rows;
  add_heading (self->dh_grid, r, _("Application Diffie-Hellman"));
  add_row (self->dh_grid, r, _("Group"), info->dh_group, FALSE);
  prime = info->dh_prime_formula
            ? g_strdup_printf ("%s\n%s", info->dh_prime_formula,
                               info->dh_prime_hex ? info->dh_prime_hex : "")
            : g_strdup (info->dh_prime_hex);
  add_row (self->dh_grid, r, _("Prime"), prime, TRUE);
  add_row (self->dh_grid, r, _("Generator"), info->dh_generator, TRUE);
  priv = add_row (self->dh_grid, r, _("Your private value"), "••••••••••••••••", TRUE);
  g_object_set_data_full (G_OBJECT (priv), "session", cz_session_info_ref (info),
                          (GDestroyNotify) cz_session_info_unref);
  reveal = gtk_toggle_button_new_with_mnemonic (_("_Reveal"));
  gtk_widget_set_halign (reveal, GTK_ALIGN_START);
  atk_object_set_name (gtk_widget_get_accessible (reveal), _("Reveal your private value"));
  g_signal_connect_object (reveal, "toggled", G_CALLBACK (reveal_toggled_cb), priv, 0);
  /* Closing the dialog hides the value again, before the label goes. */
  g_signal_connect (reveal, "unmap", G_CALLBACK (reveal_unmap_cb), NULL);
  gtk_grid_attach (GTK_GRID (self->dh_grid), reveal, 1, (*r)++, 1, 1);
  gtk_widget_show (reveal);
  add_row (self->dh_grid, r, _("Server public value"), info->dh_server_public, TRUE);
  add_row (self->dh_grid, r, _("Your public value"), info->dh_client_public, TRUE);
  add_row (self->dh_grid, r, _("Verification code"), info->code, TRUE);
  return GTK_WIDGET (self);
}

/* ---- Preferences ---------------------------------------------------------------------- */

struct _CzPrefsDialog {
  GtkDialog parent_instance;

  GtkWidget *receipts_switch;
  GtkWidget *notify_switch;
};

G_DEFINE_FINAL_TYPE (CzPrefsDialog, cz_prefs_dialog, GTK_TYPE_DIALOG)

static void
cz_prefs_dialog_class_init (CzPrefsDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Client/cz-prefs-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CzPrefsDialog, receipts_switch);
  gtk_widget_class_bind_template_child (widget_class, CzPrefsDialog, notify_switch);
}

static void
cz_prefs_dialog_init (CzPrefsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cz_prefs_dialog_new (GtkWindow *parent, GSettings *settings)
{
  CzPrefsDialog *self = g_object_new (CZ_TYPE_PREFS_DIALOG, "transient-for", parent, NULL);

  g_settings_bind (settings, "send-read-receipts", self->receipts_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "notifications", self->notify_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  return GTK_WIDGET (self);
}
