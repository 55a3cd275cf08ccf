/* cz-server-form.h: the server settings form in one column: Network
 * (where to listen, port), Server identity (certificate, key, DH group),
 * Client certificates (on/off, CA, required), Storage (database);
 * remembered in GSettings. */
#pragma once

#include <gtk/gtk.h>
#include "cz-server.h"
#include "cz-server-options.h"

G_BEGIN_DECLS

#define CZ_TYPE_SERVER_FORM (cz_server_form_get_type ())
G_DECLARE_FINAL_TYPE (CzServerForm, cz_server_form, CZ, SERVER_FORM, GtkGrid)

/* Properties:
 *   "dh-group" (CzDhGroup): the application Diffie-Hellman group.
 *   "client-cert-mode" (CzClientCertMode, read-only): none unless client
 *     certificates are switched on with a CA; then request or require as
 *     the form says.
 *   "certificate" (string, read-only): the server certificate's file. */

GtkWidget *cz_server_form_new (void);

/* Fills the form from @settings (NULL: leaves the defaults). */
void cz_server_form_load (CzServerForm *self, GSettings *settings);
/* Remembers the form in @settings (NULL: nothing). */
void cz_server_form_save (CzServerForm *self, GSettings *settings);
/* Overrides the fields the command line gave. */
void cz_server_form_apply_options (CzServerForm *self, const CzServerOptions *options);

/* The engine configuration the form describes; strings are borrowed from
 * the form (valid until it changes).  FALSE with an error naming the field
 * that is missing or wrong. */
gboolean cz_server_form_get_config (CzServerForm *self, CzServerConfig *config, GError **error);

void cz_server_form_set_certificate (CzServerForm *self, const char *cert_file, const char *key_file);
const char *cz_server_form_get_certificate (CzServerForm *self);
/* Asks clients for a certificate signed by @ca_file (NULL or "": no). */
void cz_server_form_set_client_ca (CzServerForm *self, const char *ca_file);
void cz_server_form_set_address (CzServerForm *self, const char *address, int port);

G_END_DECLS
