/* cz-cert-dialog.h: the Create Certificate dialog: Server | Client first,
 * then an existing or a new CA, the name, alternative names for a server
 * (prefilled with this host's names and addresses), key type, validity
 * and output files.  Keys are generated in a thread; errors are shown in
 * the dialog; the result gets a page of its own. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CZ_TYPE_CERT_DIALOG (cz_cert_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CzCertDialog, cz_cert_dialog, CZ, CERT_DIALOG, GtkDialog)

/* Properties:
 *   "key-type" (CzKeyType): the type of the keys to generate.
 * Signals:
 *   "use-certificate" (const char *cert_file, const char *key_file): the
 *     person chose to use the new server certificate.
 *   "generated" (const char *cert_file): a certificate was written (tests). */
GtkWidget *cz_cert_dialog_new (GtkWindow *parent);

/* Starts generating with the current fields (what the Generate button does). */
void cz_cert_dialog_generate (CzCertDialog *self);
gboolean cz_cert_dialog_is_busy (CzCertDialog *self);
/* Back from the result page to the form (to make another). */
void cz_cert_dialog_show_form (CzCertDialog *self);

G_END_DECLS
