/* cz-tls-view.c: the "TLS session" pane. */
#include "config.h"

#include <inttypes.h>

#include <glib/gi18n-lib.h>

#include "cz-tls-view.h"
#include "cz-ui-util.h"

typedef struct {
  int first_row;
  GtkLabel *subject, *issuer, *not_before, *not_after, *fingerprint, *key_type, *sans;
} CertRows;

struct _CzTlsView {
  GtkStack parent_instance;

  GtkLabel *placeholder;
  GtkGrid *grid;

  GtkLabel *address, *since, *state, *user, *protocol, *cipher, *group, *signature, *alpn,
           *client_certs, *verification;
  CertRows server, client;
};

G_DEFINE_TYPE (CzTlsView, cz_tls_view, GTK_TYPE_STACK)

static int
add_cert_rows (CzTlsView *self, int row, CertRows *rows)
{
  GtkGrid *g = self->grid;

  rows->first_row = row;
  rows->subject = cz_ui_grid_add_row (g, row++, _("Subject"), FALSE);
  rows->issuer = cz_ui_grid_add_row (g, row++, _("Issuer"), FALSE);
  rows->not_before = cz_ui_grid_add_row (g, row++, _("Valid from"), FALSE);
  rows->not_after = cz_ui_grid_add_row (g, row++, _("Valid until"), FALSE);
  rows->fingerprint = cz_ui_grid_add_row (g, row++, _("SHA-256 fingerprint"), TRUE);
  rows->key_type = cz_ui_grid_add_row (g, row++, _("Public key"), FALSE);
  rows->sans = cz_ui_grid_add_row (g, row++, _("Alternative names"), FALSE);
  return row;
}

static void
cz_tls_view_init (CzTlsView *self)
{
  GtkGrid *g;
  int row = 0;

  gtk_widget_init_template (GTK_WIDGET (self));
  g = self->grid;

  cz_ui_grid_add_heading (g, row++, _("Connection"));
  self->address = cz_ui_grid_add_row (g, row++, _("Client address"), FALSE);
  self->since = cz_ui_grid_add_row (g, row++, _("Connected since"), FALSE);
  self->state = cz_ui_grid_add_row (g, row++, _("State"), FALSE);
  self->user = cz_ui_grid_add_row (g, row++, _("User"), FALSE);
  cz_ui_grid_add_heading (g, row++, _("TLS"));
  self->protocol = cz_ui_grid_add_row (g, row++, _("Protocol"), FALSE);
  self->cipher = cz_ui_grid_add_row (g, row++, _("Cipher"), FALSE);
  self->group = cz_ui_grid_add_row (g, row++, _("Key exchange group"), FALSE);
  self->signature = cz_ui_grid_add_row (g, row++, _("Signature algorithm"), FALSE);
  self->alpn = cz_ui_grid_add_row (g, row++, _("ALPN"), FALSE);
  self->client_certs = cz_ui_grid_add_row (g, row++, _("Client authentication"), FALSE);
  self->verification = cz_ui_grid_add_row (g, row++, _("Verification"), FALSE);
  cz_ui_grid_add_heading (g, row++, _("Server certificate"));
  row = add_cert_rows (self, row, &self->server);
  cz_ui_grid_add_heading (g, row++, _("Client certificate"));
  add_cert_rows (self, row, &self->client);
}

static void
cz_tls_view_class_init (CzTlsViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  cz_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Server/cz-tls-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CzTlsView, placeholder);
  gtk_widget_class_bind_template_child (widget_class, CzTlsView, grid);
}

GtkWidget *
cz_tls_view_new (void)
{
  return g_object_new (CZ_TYPE_TLS_VIEW, NULL);
}

static char *
expiry_text (const CzCertInfo *cert)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 days = (cert->not_after_unix - now) / 86400;

  if (cert->not_after_unix < now)
    return g_strdup_printf (_("%s (expired)"), cert->not_after);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s (in %" PRId64 " day)",
                                       "%s (in %" PRId64 " days)", (gulong) days),
                          cert->not_after, days);
}

static void
show_cert_rows (CzTlsView *self, const CertRows *rows, const CzCertInfo *cert,
                const char *none_text)
{
  GtkLabel *labels[] = { rows->issuer, rows->not_before, rows->not_after, rows->fingerprint,
                         rows->key_type, rows->sans };

  /* Without a certificate only the first row stays, saying so. */
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      GtkWidget *caption = gtk_grid_get_child_at (self->grid, 0, rows->first_row + 1 + (int) i);
      gtk_widget_set_visible (GTK_WIDGET (labels[i]), cert != NULL);
      gtk_widget_set_visible (caption, cert != NULL);
    }
  if (cert == NULL)
    {
      cz_ui_set_value (rows->subject, none_text);
      return;
    }
  {
    g_autofree char *expiry = expiry_text (cert);
    g_autofree char *key_type = cert->is_ca ? g_strdup_printf (_("%s (a CA)"), cert->key_type)
                                            : g_strdup (cert->key_type);
    cz_ui_set_value (rows->subject, cert->subject);
    cz_ui_set_value (rows->issuer, cert->issuer);
    cz_ui_set_value (rows->not_before, cert->not_before);
    cz_ui_set_value (rows->not_after, expiry);
    cz_ui_set_value (rows->fingerprint, cert->fingerprint);
    cz_ui_set_value (rows->key_type, key_type);
    cz_ui_set_value (rows->sans, cert->sans);
  }
}

static const char *
client_cert_mode_text (const char *trust)
{
  if (g_strcmp0 (trust, "client-certificate") == 0)
    return _("presented and verified");
  if (g_strcmp0 (trust, "none") == 0)
    return _("none presented");
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
    cz_ui_set_value (self->address, address ? address : info->peer_address);
    cz_ui_set_value (self->since, since);
    cz_ui_set_value (self->state, connected ? _("connected") : _("disconnected"));
    cz_ui_set_value (self->user, user ? user : _("not logged in"));
  }
  cz_ui_set_value (self->protocol, info->protocol);
  cz_ui_set_value (self->cipher, info->cipher);
  cz_ui_set_value (self->group, info->group);
  cz_ui_set_value (self->signature, info->signature);
  cz_ui_set_value (self->alpn, info->alpn);
  cz_ui_set_value (self->client_certs, client_cert_mode_text (info->trust));
  cz_ui_set_value (self->verification, info->verification);
  show_cert_rows (self, &self->server, info->server_cert, _("none"));
  show_cert_rows (self, &self->client, info->client_cert,
                  _("none: the client did not present a certificate"));
  gtk_stack_set_visible_child_name (GTK_STACK (self), "info");
}
