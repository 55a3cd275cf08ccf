/* cz-tls-view.c: the "TLS session" pane: one plain sentence first (how the
 * connection is encrypted and whether the client was verified), the facts
 * a person reads in plain words (protocol "TLS 1.3", group "P-256", dates
 * the locale's way, the server's key fingerprint grouped as the client's
 * trust prompt shows it), and what GnuTLS calls things behind a
 * "Technical details" expander. */
#include "config.h"

#include <inttypes.h>

#include <glib/gi18n-lib.h>

#include "cz-tls-view.h"
#include "cz-ui-util.h"
#include "cz-util.h"

typedef struct {
  GtkGrid *grid;
  int first_row;
  GtkLabel *subject, *issuer, *not_after, *key_fingerprint;
} CertRows;

typedef struct {
  GtkGrid *grid;
  int first_row;
  GtkLabel *hash, *not_before, *key_type, *sans;
} CertDetails;

struct _CzTlsView {
  GtkStack parent_instance;

  GtkLabel *placeholder;
  GtkLabel *summary;
  GtkGrid *grid;
  GtkGrid *details_grid;
  GtkExpander *details_expander;

  GtkLabel *user, *address, *since, *protocol, *cipher, *group;
  GtkLabel *raw_protocol, *raw_cipher, *raw_mac, *raw_group, *signature, *alpn, *trust,
           *verification;
  CertRows server, client;
  CertDetails server_details, client_details;
};

G_DEFINE_TYPE (CzTlsView, cz_tls_view, GTK_TYPE_STACK)

static int
add_cert_rows (GtkGrid *grid, int row, CertRows *rows)
{
  rows->grid = grid;
  rows->first_row = row;
  rows->subject = cz_ui_grid_add_row (grid, row++, _("Subject"), FALSE);
  rows->issuer = cz_ui_grid_add_row (grid, row++, _("Issued by"), FALSE);
  rows->not_after = cz_ui_grid_add_row (grid, row++, _("Valid until"), FALSE);
  rows->key_fingerprint = cz_ui_grid_add_row (grid, row++, _("Key fingerprint (SHA-256)"), TRUE);
  return row;
}

static int
add_cert_details (GtkGrid *grid, int row, CertDetails *rows)
{
  rows->grid = grid;
  rows->first_row = row;
  rows->hash = cz_ui_grid_add_row (grid, row++, _("Certificate hash (SHA-256)"), TRUE);
  rows->not_before = cz_ui_grid_add_row (grid, row++, _("Valid from"), FALSE);
  rows->key_type = cz_ui_grid_add_row (grid, row++, _("Public key"), FALSE);
  rows->sans = cz_ui_grid_add_row (grid, row++, _("Alternative names"), FALSE);
  return row;
}

static void
cz_tls_view_init (CzTlsView *self)
{
  GtkGrid *g, *d;
  int row = 0;

  gtk_widget_init_template (GTK_WIDGET (self));
  g = self->grid;
  d = self->details_grid;

  cz_ui_grid_add_heading (g, row++, _("Connection"));
  self->user = cz_ui_grid_add_row (g, row++, _("User"), FALSE);
  self->address = cz_ui_grid_add_row (g, row++, _("Client address"), FALSE);
  self->since = cz_ui_grid_add_row (g, row++, _("Connected since"), FALSE);
  self->protocol = cz_ui_grid_add_row (g, row++, _("Protocol"), FALSE);
  self->cipher = cz_ui_grid_add_row (g, row++, _("Cipher"), FALSE);
  self->group = cz_ui_grid_add_row (g, row++, _("Key exchange"), FALSE);
  cz_ui_grid_add_heading (g, row++, _("Server certificate"));
  row = add_cert_rows (g, row, &self->server);
  cz_ui_grid_add_heading (g, row++, _("Client certificate"));
  add_cert_rows (g, row, &self->client);

  row = 0;
  cz_ui_grid_add_heading (d, row++, _("TLS, as GnuTLS names it"));
  self->raw_protocol = cz_ui_grid_add_row (d, row++, _("Protocol"), TRUE);
  self->raw_cipher = cz_ui_grid_add_row (d, row++, _("Cipher"), TRUE);
  self->raw_mac = cz_ui_grid_add_row (d, row++, _("MAC"), TRUE);
  self->raw_group = cz_ui_grid_add_row (d, row++, _("Key exchange group"), TRUE);
  self->signature = cz_ui_grid_add_row (d, row++, _("Signature algorithm"), TRUE);
  self->alpn = cz_ui_grid_add_row (d, row++, _("ALPN"), TRUE);
  self->trust = cz_ui_grid_add_row (d, row++, _("Client authentication"), TRUE);
  self->verification = cz_ui_grid_add_row (d, row++, _("Verification"), FALSE);
  cz_ui_grid_add_heading (d, row++, _("Server certificate"));
  row = add_cert_details (d, row, &self->server_details);
  cz_ui_grid_add_heading (d, row++, _("Client certificate"));
  add_cert_details (d, row, &self->client_details);
}

static void
cz_tls_view_class_init (CzTlsViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  cz_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Server/cz-tls-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CzTlsView, placeholder);
  gtk_widget_class_bind_template_child (widget_class, CzTlsView, summary);
  gtk_widget_class_bind_template_child (widget_class, CzTlsView, grid);
  gtk_widget_class_bind_template_child (widget_class, CzTlsView, details_grid);
  gtk_widget_class_bind_template_child (widget_class, CzTlsView, details_expander);
}

GtkWidget *
cz_tls_view_new (void)
{
  return g_object_new (CZ_TYPE_TLS_VIEW, NULL);
}

/* "7 Dec 2027 (in 364 days)" or "7 Dec 2025 (expired)". */
static char *
expiry_text (const CzCertInfo *cert)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 days = (cert->not_after_unix - now) / 86400;
  g_autofree char *date = cz_ui_format_date (cert->not_after_unix);

  if (cert->not_after_unix < now)
    return g_strdup_printf (_("%s (expired)"), date);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s (in %" PRId64 " day)",
                                       "%s (in %" PRId64 " days)", (gulong) days),
                          date, days);
}

/* Shows or hides rows @first .. @first + @n - 1 of @grid (caption and value). */
static void
show_rows (GtkGrid *grid, int first, int n, gboolean visible)
{
  for (int r = first; r < first + n; r++)
    for (int c = 0; c < 2; c++)
      {
        GtkWidget *child = gtk_grid_get_child_at (grid, c, r);
        if (child)
          gtk_widget_set_visible (child, visible);
      }
}

static void
show_cert_rows (const CertRows *rows, const CertDetails *details, const CzCertInfo *cert)
{
  /* Without a certificate only the first row's value stays, saying so. */
  gtk_widget_set_visible (gtk_grid_get_child_at (rows->grid, 0, rows->first_row), cert != NULL);
  show_rows (rows->grid, rows->first_row + 1, 3, cert != NULL);
  show_rows (details->grid, details->first_row, 4, cert != NULL);
  if (cert == NULL)
    {
      cz_ui_set_value (rows->subject, _("No client certificate"));
      return;
    }
  {
    g_autofree char *expiry = expiry_text (cert);
    g_autofree char *from = cz_ui_format_iso_date (cert->not_before);
    g_autofree char *key = cz_format_fingerprint (cert->spki_sha256);
    g_autofree char *key_type = cert->is_ca ? g_strdup_printf (_("%s (a CA)"), cert->key_type)
                                            : g_strdup (cert->key_type);
    cz_ui_set_value (rows->subject, cert->subject_name);
    cz_ui_set_value (rows->issuer, cert->issuer_name);
    cz_ui_set_value (rows->not_after, expiry);
    cz_ui_set_value (rows->key_fingerprint, key);
    cz_ui_set_value (details->hash, cert->fingerprint);
    cz_ui_set_value (details->not_before, from);
    cz_ui_set_value (details->key_type, key_type);
    cz_ui_set_value (details->sans, cert->sans);
  }
}

/* The sentence the pane leads with. */
static char *
summary_text (const CzSessionInfo *info, const char *protocol)
{
  if (info->client_cert)
    {
      g_autofree char *until = cz_ui_format_date (info->client_cert->not_after_unix);
      /* Translators: "Encrypted with TLS 1.3 · client verified by Causerie demo CA ·
       * certificate valid until 7 Dec 2027". */
      return g_strdup_printf (_("Encrypted with %s · client verified by %s · certificate valid "
                                "until %s"), protocol, info->client_cert->issuer_name, until);
    }
  /* Translators: "Encrypted with TLS 1.3 · no client certificate". */
  return g_strdup_printf (_("Encrypted with %s · no client certificate"), protocol);
}

static const char *
trust_text (const char *trust)
{
  if (g_strcmp0 (trust, "client-certificate") == 0)
    return _("client certificate");
  if (g_strcmp0 (trust, "none") == 0)
    return _("No client certificate");
  return trust;
}

void
cz_tls_view_set_client (CzTlsView *self, const char *address, CzSessionInfo *info,
                        const char *user, gboolean connected)
{
  g_return_if_fail (CZ_IS_TLS_VIEW (self));

  if (info == NULL)
    {
      g_autofree char *text = NULL;
      if (address == NULL)
        text = g_strdup (_("Select a client in the list to see how its connection is secured."));
      else if (connected)
        text = g_strdup_printf (_("The TLS handshake with %s is in progress."), address);
      else
        text = g_strdup_printf (_("%s disconnected before its connection was secured."), address);
      gtk_label_set_text (self->placeholder, text);
      gtk_stack_set_visible_child_name (GTK_STACK (self), "empty");
      return;
    }

  {
    g_autofree char *since = cz_ui_format_time (info->since);
    g_autofree char *protocol = cz_ui_protocol_name (info->protocol);
    g_autofree char *group = cz_ui_group_name (info->group);
    g_autofree char *summary = summary_text (info, protocol);

    gtk_label_set_text (self->summary, summary);
    cz_ui_set_value (self->user, user ? user : _("not logged in yet"));
    cz_ui_set_value (self->address, address ? address : info->peer_address);
    cz_ui_set_value (self->since, since);
    cz_ui_set_value (self->protocol, protocol);
    cz_ui_set_value (self->group, group);
  }
  cz_ui_set_value (self->cipher, info->cipher);
  cz_ui_set_value (self->raw_protocol, info->protocol);
  cz_ui_set_value (self->raw_cipher, info->cipher);
  cz_ui_set_value (self->raw_mac, info->mac);
  cz_ui_set_value (self->raw_group, info->group);
  cz_ui_set_value (self->signature, info->signature);
  cz_ui_set_value (self->alpn, info->alpn);
  cz_ui_set_value (self->trust, trust_text (info->trust));
  cz_ui_set_value (self->verification, info->verification);
  show_cert_rows (&self->server, &self->server_details, info->server_cert);
  show_cert_rows (&self->client, &self->client_details, info->client_cert);
  gtk_stack_set_visible_child_name (GTK_STACK (self), "info");
}
