/* cz-dh-view.c: the "Diffie-Hellman" pane: fills the rows of its template
 * (cz-dh-view.ui) from a session (the group's prime and generator behind
 * "Technical details"), and keeps the private value hidden until its
 * Reveal toggle button asks for it: only then is it fetched from the
 * session, and the copies made to show it are wiped. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-dh-view.h"
#include "cz-ui-util.h"
#include "cz-util.h"

struct _CzDhView {
  GtkStack parent_instance;

  GtkLabel *placeholder;

  GtkLabel *group, *prime, *prime_hex, *generator, *private_value, *server_public,
           *client_public, *code;
  GtkToggleButton *reveal;
  CzSessionInfo *info;
};

G_DEFINE_TYPE (CzDhView, cz_dh_view, GTK_TYPE_STACK)

/* The private value is asked for only while the toggle shows it
 * (cz_session_info_reveal_private), and every copy this side makes is
 * wiped once it is in the label. */
static void
show_private (CzDhView *self)
{
  gboolean shown = gtk_toggle_button_get_active (self->reveal);

  if (self->info == NULL)
    cz_ui_set_value (self->private_value, NULL);
  else if (shown)
    {
      g_auto(CzPrivateHex) secret = { { 0 } };

      if (cz_session_info_reveal_private (self->info, &secret))
        {
          char *hex = cz_ui_group_hex (secret.hex);
          cz_ui_set_value (self->private_value, hex);
          cz_str_wipe_free (hex);
        }
      else
        cz_ui_set_value (self->private_value, _("no longer kept: the connection is closed"));
    }
  else
    cz_ui_set_value (self->private_value, _("hidden"));
  gtk_style_context_remove_class (gtk_widget_get_style_context (GTK_WIDGET (self->private_value)),
                                  "dim-label");
  if (!shown)
    gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (self->private_value)),
                                 "dim-label");
}

static void
reveal_toggled_cb (GtkToggleButton *button, CzDhView *self)
{
  show_private (self);
}

/* The pane going out of sight (another page, the window closing) hides
 * the value again. */
static void
view_unmap_cb (GtkWidget *widget, gpointer user_data)
{
  gtk_toggle_button_set_active (CZ_DH_VIEW (widget)->reveal, FALSE);
}

static void
cz_dh_view_init (CzDhView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Long hex wraps between groups, never with a hyphen that is not in it. */
  cz_ui_label_no_hyphens (self->prime_hex);
  cz_ui_label_no_hyphens (self->private_value);
  cz_ui_label_no_hyphens (self->server_public);
  cz_ui_label_no_hyphens (self->client_public);
  cz_ui_label_no_hyphens (self->code);
  g_signal_connect (self, "unmap", G_CALLBACK (view_unmap_cb), NULL);
  show_private (self);
}

static void
cz_dh_view_finalize (GObject *object)
{
  CzDhView *self = CZ_DH_VIEW (object);

  g_clear_pointer (&self->info, cz_session_info_unref);
  G_OBJECT_CLASS (cz_dh_view_parent_class)->finalize (object);
}

static void
cz_dh_view_class_init (CzDhViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = cz_dh_view_finalize;
  cz_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/causerie/Server/cz-dh-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CzDhView, placeholder);
  gtk_widget_class_bind_template_child (widget_class, CzDhView, group);
  gtk_widget_class_bind_template_child (widget_class, CzDhView, prime);
  gtk_widget_class_bind_template_child (widget_class, CzDhView, prime_hex);
  gtk_widget_class_bind_template_child (widget_class, CzDhView, generator);
  gtk_widget_class_bind_template_child (widget_class, CzDhView, private_value);
  gtk_widget_class_bind_template_child (widget_class, CzDhView, reveal);
  gtk_widget_class_bind_template_child (widget_class, CzDhView, server_public);
  gtk_widget_class_bind_template_child (widget_class, CzDhView, client_public);
  gtk_widget_class_bind_template_child (widget_class, CzDhView, code);
  gtk_widget_class_bind_template_callback (widget_class, reveal_toggled_cb);
}

GtkWidget *
cz_dh_view_new (void)
{
  return g_object_new (CZ_TYPE_DH_VIEW, NULL);
}

/* "2^255 - 19" → "2^255 − 19" (a real minus sign). */
static char *
pretty_formula (const char *formula)
{
  g_auto(GStrv) parts = g_strsplit (formula, " - ", -1);
  return g_strjoinv (" − ", parts);
}

static char *
prime_text (const CzSessionInfo *info)
{
  gsize bits = info->dh_prime_hex ? strlen (info->dh_prime_hex) * 4 : 0;

  if (info->dh_prime_formula)
    return pretty_formula (info->dh_prime_formula);
  /* ffdhe primes are named in RFC 7919. */
  return g_strdup_printf (_("the %zu-bit safe prime of RFC 7919 (%s)"),
                          bits, info->dh_group);
}

static char *
group_text (const CzSessionInfo *info)
{
  g_autofree char *name = cz_ui_group_name (info->dh_group);

  if (g_strcmp0 (info->dh_group, "x25519") == 0)
    return g_strdup_printf (_("%s (Curve25519, RFC 7748)"), name);
  return g_strdup_printf (_("%s (finite field, RFC 7919)"), name);
}

void
cz_dh_view_set_client (CzDhView *self, const char *address, CzSessionInfo *info,
                       gboolean connected)
{
  g_return_if_fail (CZ_IS_DH_VIEW (self));

  if (info != self->info)
    {
      /* Another client: hide its secret again. */
      gtk_toggle_button_set_active (self->reveal, FALSE);
      g_clear_pointer (&self->info, cz_session_info_unref);
      self->info = info ? cz_session_info_ref (info) : NULL;
    }

  if (info == NULL)
    {
      g_autofree char *text = NULL;
      if (address == NULL)
        text = g_strdup (_("Select a client in the list to see its Diffie-Hellman exchange."));
      else if (connected)
        text = g_strdup_printf (_("The key exchange with %s is in progress."), address);
      else
        text = g_strdup_printf (_("%s disconnected before the key exchange finished."), address);
      gtk_label_set_text (self->placeholder, text);
      gtk_stack_set_visible_child_name (GTK_STACK (self), "empty");
      return;
    }

  {
    g_autofree char *group = group_text (info);
    g_autofree char *prime = prime_text (info);
    g_autofree char *prime_hex = cz_ui_group_hex (info->dh_prime_hex);
    g_autofree char *server_public = cz_ui_group_hex (info->dh_server_public);
    g_autofree char *client_public = cz_ui_group_hex (info->dh_client_public);

    cz_ui_set_value (self->group, group);
    cz_ui_set_value (self->prime, prime);
    cz_ui_set_value (self->prime_hex, prime_hex);
    cz_ui_set_value (self->generator, info->dh_generator);
    cz_ui_set_value (self->server_public, server_public);
    cz_ui_set_value (self->client_public, client_public);
    cz_ui_set_value (self->code, info->code);
  }
  show_private (self);
  gtk_stack_set_visible_child_name (GTK_STACK (self), "info");
}

void
cz_dh_view_set_reveal (CzDhView *self, gboolean reveal)
{
  g_return_if_fail (CZ_IS_DH_VIEW (self));
  gtk_toggle_button_set_active (self->reveal, reveal);
}

gboolean
cz_dh_view_get_reveal (CzDhView *self)
{
  g_return_val_if_fail (CZ_IS_DH_VIEW (self), FALSE);
  return gtk_toggle_button_get_active (self->reveal);
}
