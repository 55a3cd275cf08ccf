/* cz-client-dialogs.c: the server identity prompt (trust on first use),
 * connection details (and the words they use for security facts),
 * preferences. */
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
  GtkWidget *cancel_button;
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
  gtk_widget_class_bind_template_child (widget_class, CzTrustDialog, cancel_button);
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
  atk_object_set_name (gtk_widget_get_accessible (self->fingerprint_label), _("Key fingerprint (SHA-256)"));
  atk_object_set_description (gtk_widget_get_accessible (self->fingerprint_label), fingerprint);
  gtk_widget_grab_focus (self->cancel_button);
  return GTK_WIDGET (self);
}

/* ---- Connection details ------------------------------------------------------------ */

struct _CzDetailsDialog {
  GtkDialog parent_instance;

  GtkWidget *summary_label;
  GtkWidget *code_label;
  GtkWidget *tls_grid;
  GtkWidget *tech_grid;
  GtkWidget *dh_grid;
  int tls_rows;
  int tech_rows;
  int dh_rows;
};

G_DEFINE_FINAL_TYPE (CzDetailsDialog, cz_details_dialog, GTK_TYPE_DIALOG)

static void
cz_details_dialog_class_init (CzDetailsDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Client/cz-details-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CzDetailsDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, CzDetailsDialog, code_label);
  gtk_widget_class_bind_template_child (widget_class, CzDetailsDialog, tls_grid);
  gtk_widget_class_bind_template_child (widget_class, CzDetailsDialog, tech_grid);
  gtk_widget_class_bind_template_child (widget_class, CzDetailsDialog, dh_grid);
}

static void
cz_details_dialog_init (CzDetailsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* ---- Words for the facts ---- */

char *
cz_format_hex_groups (const char *hex)
{
  GString *out = g_string_new (NULL);

  for (const char *p = hex ? hex : ""; *p; p++)
    {
      if (*p == ':' || *p == ' ' || *p == '\n')
        continue;   /* "AB:CD:…" certificate hashes come with colons */
      if (out->len > 0 && out->len % 5 == 4)
        g_string_append_c (out, ' ');
      g_string_append_c (out, g_ascii_tolower (*p));
    }
  return g_string_free (out, FALSE);
}

char *
cz_format_protocol (const char *protocol)
{
  /* GnuTLS says "TLS1.3"; people write "TLS 1.3". */
  if (protocol && g_str_has_prefix (protocol, "TLS") && g_ascii_isdigit (protocol[3]))
    return g_strdup_printf ("TLS %s", protocol + 3);
  return g_strdup (protocol);
}

char *
cz_format_group (const char *group)
{
  static const struct { const char *raw, *human; } names[] = {
    { "SECP256R1", "P-256" }, { "SECP384R1", "P-384" }, { "SECP521R1", "P-521" },
    { "X25519", "X25519" }, { "X448", "X448" },
    { "FFDHE2048", "FFDHE 2048" }, { "FFDHE3072", "FFDHE 3072" },
    { "FFDHE4096", "FFDHE 4096" }, { "FFDHE6144", "FFDHE 6144" },
    { "FFDHE8192", "FFDHE 8192" },
  };

  for (gsize i = 0; group && i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (group, names[i].raw) == 0)
      return g_strdup (names[i].human);
  return g_strdup (group);
}

char *
cz_format_date (GDateTime *dt)
{
  g_autoptr(GDateTime) local = dt ? g_date_time_to_local (dt) : NULL;
  /* TRANSLATORS: a date as g_date_time_format() writes it: "7 December 2027" */
  return local ? g_date_time_format (local, _("%-e %B %Y")) : NULL;
}

/* "7 December 2027" for an ISO 8601 date as CzCertInfo gives it. */
static char *
format_iso_date (const char *iso)
{
  g_autoptr(GDateTime) dt = iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;

  return dt ? cz_format_date (dt) : g_strdup (iso);
}

/* The CN of an RFC 4514 name ("CN=Causerie demo CA,O=…"), or the whole
 * name when it has none.  Escaped characters ("\,") are kept as such. */
static char *
common_name (const char *dn)
{
  g_autoptr(GString) cn = NULL;

  if (dn == NULL)
    return NULL;
  for (const char *p = dn; *p; p++)
    {
      if ((p == dn || p[-1] == ',' || p[-1] == '+') && g_ascii_strncasecmp (p, "CN=", 3) == 0)
        {
          cn = g_string_new (NULL);
          for (p += 3; *p && *p != ',' && *p != '+'; p++)
            {
              if (*p == '\\' && p[1])
                p++;
              g_string_append_c (cn, *p);
            }
          break;
        }
      if (*p == '\\' && p[1])
        p++;
    }
  return cn && cn->len ? g_string_free (g_steal_pointer (&cn), FALSE) : g_strdup (dn);
}

char *
cz_details_summary (const CzSessionInfo *info)
{
  g_autofree char *until = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *who = NULL;

  if (info->server_cert && info->server_cert->not_after_unix > 0)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (info->server_cert->not_after_unix);
      until = cz_format_date (dt);
    }
  if (g_strcmp0 (info->trust, "first-use") == 0)
    who = g_strdup (_("server identity checked by you (key fingerprint)"));
  else if (g_strcmp0 (info->trust, "pin") == 0)
    who = g_strdup (_("server key the same as when you checked it"));
  else
    {
      issuer = common_name (info->server_cert ? info->server_cert->issuer : NULL);
      /* TRANSLATORS: part of "Encrypted · server verified by Causerie demo CA · …";
       * %s is the name of the certificate authority */
      who = issuer ? g_strdup_printf (_("server verified by %s"), issuer)
                   : g_strdup (_("server verified by its certificate authority"));
    }
  if (until && g_strcmp0 (info->trust, "ca") == 0)
    /* TRANSLATORS: the first line of Connection Details: "Encrypted · server
     * verified by Causerie demo CA · certificate valid until 7 December 2027" */
    return g_strdup_printf (_("Encrypted · %s · certificate valid until %s"), who, until);
  /* TRANSLATORS: "Encrypted · server identity checked by you (key fingerprint)" */
  return g_strdup_printf (_("Encrypted · %s"), who);
}

/* ---- Rows ---- */

/* One "name  value" row.  Hex values come in groups of four, in a fixed
 * font, wrapping between groups, never with a hyphen Pango would add. */
static GtkWidget *
add_row (GtkWidget *grid, int *row, const char *name, const char *value, gboolean hex)
{
  GtkWidget *key = gtk_label_new (name);
  g_autofree char *grouped = hex && value ? cz_format_hex_groups (value) : NULL;
  GtkWidget *val = gtk_label_new (grouped ? grouped : value && *value ? value : _("None"));
  PangoAttrList *attrs = pango_attr_list_new ();

  gtk_label_set_xalign (GTK_LABEL (key), 1);
  gtk_label_set_yalign (GTK_LABEL (key), 0);
  gtk_style_context_add_class (gtk_widget_get_style_context (key), "dim-label");
  gtk_label_set_xalign (GTK_LABEL (val), 0);
  gtk_label_set_selectable (GTK_LABEL (val), TRUE);
  gtk_label_set_line_wrap (GTK_LABEL (val), TRUE);
  /* Hex breaks between its groups of four; a group longer than the line
   * (none is) would break anywhere. */
  gtk_label_set_line_wrap_mode (GTK_LABEL (val), PANGO_WRAP_WORD_CHAR);
  pango_attr_list_insert (attrs, pango_attr_insert_hyphens_new (FALSE));
  gtk_label_set_attributes (GTK_LABEL (val), attrs);
  pango_attr_list_unref (attrs);
  /* Eight groups to a line: 32 digits, as the key fingerprint is laid out. */
  gtk_label_set_max_width_chars (GTK_LABEL (val), hex ? 39 : 56);
  gtk_widget_set_hexpand (val, TRUE);
  gtk_widget_set_can_focus (val, FALSE);
  if (hex)
    {
      /* Its own width: the lines break after eight groups, not at the
       * dialog's edge. */
      gtk_widget_set_halign (val, GTK_ALIGN_START);
      gtk_style_context_add_class (gtk_widget_get_style_context (val), "cz-mono");
    }
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

/* A certificate in words; its hashes go among the technical details. */
static void
add_cert (CzDetailsDialog *self, const char *title, const CzCertInfo *cert)
{
  int *r = &self->tls_rows;
  g_autofree char *subject = common_name (cert->subject);
  g_autofree char *issuer = common_name (cert->issuer);
  g_autofree char *from = format_iso_date (cert->not_before);
  g_autofree char *until = format_iso_date (cert->not_after);

  add_heading (self->tls_grid, r, title);
  add_row (self->tls_grid, r, _("Issued to"), subject, FALSE);
  add_row (self->tls_grid, r, _("Issued by"), issuer, FALSE);
  add_row (self->tls_grid, r, _("Valid from"), from, FALSE);
  add_row (self->tls_grid, r, _("Valid until"), until, FALSE);
  add_row (self->tls_grid, r, _("Key type"), cert->key_type, FALSE);
  add_row (self->tls_grid, r, _("Alternative names"), cert->sans, FALSE);
}

static void
add_cert_technical (CzDetailsDialog *self, const char *title, const CzCertInfo *cert)
{
  int *r = &self->tech_rows;

  add_heading (self->tech_grid, r, title);
  add_row (self->tech_grid, r, _("Subject"), cert->subject, FALSE);
  add_row (self->tech_grid, r, _("Issuer"), cert->issuer, FALSE);
  add_row (self->tech_grid, r, _("Certificate hash (SHA-256)"), cert->fingerprint, TRUE);
  add_row (self->tech_grid, r, _("Public key hash (SHA-256)"), cert->spki_sha256, TRUE);
}

/* The private value is fetched from the session only while Reveal is on
 * (cz_session_info_reveal_private), and this side's copies are wiped once
 * it is in the label; hiding replaces it. */
static void
reveal_toggled_cb (GtkToggleButton *button, GtkWidget *label)
{
  gboolean shown = gtk_toggle_button_get_active (button);
  CzSessionInfo *info = g_object_get_data (G_OBJECT (label), "session");
  g_auto(CzPrivateHex) secret = { { 0 } };

  if (!shown)
    gtk_label_set_text (GTK_LABEL (label), "•••• •••• •••• ••••");
  else if (info && cz_session_info_reveal_private (info, &secret))
    {
      char *grouped = cz_format_hex_groups (secret.hex);
      gtk_label_set_text (GTK_LABEL (label), grouped);
      cz_str_wipe_free (grouped);
    }
  else
    gtk_label_set_text (GTK_LABEL (label), _("No longer kept: the connection is closed"));
  if (shown)
    gtk_style_context_remove_class (gtk_widget_get_style_context (label), "dim-label");
  else
    gtk_style_context_add_class (gtk_widget_get_style_context (label), "dim-label");
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
  g_autofree char *summary = cz_details_summary (info);
  g_autofree char *since = NULL;
  g_autofree char *protocol = cz_format_protocol (info->protocol);
  g_autofree char *group = cz_format_group (info->group);
  g_autofree char *dh_group = cz_format_group (info->dh_group);
  g_autofree char *grouped_fp = cz_format_fingerprint (fingerprint);
  g_autofree char *client_cert = NULL;
  g_autofree char *identity = NULL;
  g_autofree char *prime = NULL;
  g_autofree char *client_cn = info->client_cert ? common_name (info->client_cert->subject) : NULL;
  GtkWidget *priv, *reveal, *box;

  gtk_label_set_text (GTK_LABEL (self->summary_label), summary);
  gtk_label_set_text (GTK_LABEL (self->code_label), info->code);
  atk_object_set_name (gtk_widget_get_accessible (self->code_label), _("Verification code"));
  if (info->since > 0)
    {
      g_autoptr(GDateTime) dt = cz_local_time (info->since);
      g_autofree char *day = dt ? cz_format_date (dt) : NULL;
      g_autofree char *time = dt ? g_date_time_format (dt, "%X") : NULL;
      /* TRANSLATORS: "Connected since": a date and a time, "7 December 2026, 23:04:50" */
      since = day && time ? g_strdup_printf (_("%s, %s"), day, time) : NULL;
    }
  if (g_strcmp0 (info->trust, "ca") == 0)
    {
      g_autofree char *issuer = common_name (info->server_cert ? info->server_cert->issuer : NULL);
      identity = issuer ? g_strdup_printf (_("Verified by %s"), issuer)
                        : g_strdup (_("Verified by its certificate authority"));
    }
  else
    identity = g_strdup (_("Checked by you: its key fingerprint"));

  add_heading (self->tls_grid, r, _("Connection"));
  add_row (self->tls_grid, r, _("Server"), server, FALSE);
  add_row (self->tls_grid, r, _("Address"), info->peer_address, FALSE);
  add_row (self->tls_grid, r, _("Connected since"), since, FALSE);
  add_row (self->tls_grid, r, _("Protocol"), protocol, FALSE);
  add_row (self->tls_grid, r, _("Cipher"), info->cipher, FALSE);
  add_row (self->tls_grid, r, _("Key exchange"), group, FALSE);
  add_row (self->tls_grid, r, _("Server identity"), identity, FALSE);
  /* The same label, grouping and case as the trust prompt and the server
   * window: a person compares these. */
  add_row (self->tls_grid, r, _("Key fingerprint (SHA-256)"), grouped_fp, FALSE);
  gtk_style_context_add_class (
    gtk_widget_get_style_context (gtk_grid_get_child_at (GTK_GRID (self->tls_grid), 1, *r - 1)),
    "cz-mono");
  /* TRANSLATORS: the client certificate row; %s is its name, "alice-laptop" */
  client_cert = info->client_cert
                  ? g_strdup_printf (_("Presented: %s"),
                                     client_cn)
                  : g_strdup (_("No client certificate"));
  add_row (self->tls_grid, r, _("Client certificate"), client_cert, FALSE);
  if (info->client_cert == NULL && client_cert_chosen)
    add_row (self->tls_grid, r, "", _("The server did not ask for the one you chose."), FALSE);
  if (info->server_cert)
    add_cert (self, _("Server certificate"), info->server_cert);
  if (info->client_cert)
    add_cert (self, _("Your certificate"), info->client_cert);

  /* The raw names, for someone who checks them against a specification. */
  r = &self->tech_rows;
  add_row (self->tech_grid, r, _("Protocol"), info->protocol, FALSE);
  add_row (self->tech_grid, r, _("Cipher"), info->cipher, FALSE);
  add_row (self->tech_grid, r, _("MAC"), info->mac, FALSE);
  add_row (self->tech_grid, r, _("Key exchange group"), info->group, FALSE);
  add_row (self->tech_grid, r, _("Signature"), info->signature, FALSE);
  add_row (self->tech_grid, r, _("ALPN"), info->alpn, FALSE);
  add_row (self->tech_grid, r, _("Trust mode"), info->trust, FALSE);
  add_row (self->tech_grid, r, _("Verification"), info->verification, FALSE);
  if (info->server_cert)
    add_cert_technical (self, _("Server certificate"), info->server_cert);
  if (info->client_cert)
    add_cert_technical (self, _("Your certificate"), info->client_cert);

  r = &self->dh_rows;
  add_heading (self->dh_grid, r, _("Application Diffie-Hellman"));
  add_row (self->dh_grid, r, _("Group"), dh_group, FALSE);
  if (info->dh_prime_formula)
    add_row (self->dh_grid, r, _("Prime"), info->dh_prime_formula, FALSE);
  else
    add_row (self->dh_grid, r, _("Prime"), info->dh_prime_hex, TRUE);
  add_row (self->dh_grid, r, _("Generator"), info->dh_generator, TRUE);
  priv = add_row (self->dh_grid, r, _("Private value"), NULL, TRUE);
  g_object_set_data_full (G_OBJECT (priv), "session", cz_session_info_ref (info),
                          (GDestroyNotify) cz_session_info_unref);
  /* The one control for it, with the same words as the server window. */
  reveal = gtk_toggle_button_new_with_mnemonic (_("_Reveal"));
  gtk_widget_set_valign (reveal, GTK_ALIGN_CENTER);
  atk_object_set_name (gtk_widget_get_accessible (reveal), _("Reveal"));
  atk_object_set_description (gtk_widget_get_accessible (reveal),
                              _("Shows this side’s private value while pressed"));
  g_signal_connect_object (reveal, "toggled", G_CALLBACK (reveal_toggled_cb), priv, 0);
  /* Closing the dialog hides the value again, before the label goes. */
  g_signal_connect (reveal, "unmap", G_CALLBACK (reveal_unmap_cb), NULL);
  reveal_toggled_cb (GTK_TOGGLE_BUTTON (reveal), priv);
  g_object_ref (priv);
  gtk_container_remove (GTK_CONTAINER (self->dh_grid), priv);
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_hexpand (priv, FALSE);
  gtk_label_set_width_chars (GTK_LABEL (priv), 39);   /* Reveal stays put */
  gtk_widget_set_halign (box, GTK_ALIGN_START);
  gtk_box_pack_start (GTK_BOX (box), priv, FALSE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (box), reveal, FALSE, FALSE, 0);
  g_object_unref (priv);
  gtk_grid_attach (GTK_GRID (self->dh_grid), box, 1, *r - 1, 1, 1);
  gtk_widget_show_all (box);
  add_row (self->dh_grid, r, _("Server public value"), info->dh_server_public, TRUE);
  add_row (self->dh_grid, r, _("Your public value"), info->dh_client_public, TRUE);
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
