/* cz-client-dialogs.h: the client window's dialogs: trust on first use,
 * connection details, preferences. */
#pragma once

#include <gtk/gtk.h>
#include "cz-session-info.h"

G_BEGIN_DECLS

#define CZ_TYPE_TRUST_DIALOG (cz_trust_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CzTrustDialog, cz_trust_dialog, CZ, TRUST_DIALOG, GtkDialog)

/* Answers GTK_RESPONSE_ACCEPT (trust) or anything else (refuse). */
GtkWidget *cz_trust_dialog_new (GtkWindow *parent, const char *server, const char *fingerprint);

#define CZ_TYPE_DETAILS_DIALOG (cz_details_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CzDetailsDialog, cz_details_dialog, CZ, DETAILS_DIALOG, GtkDialog)

/* @client_cert_chosen: a client certificate was configured (when the
 * server did not ask for it, the dialog says so). */
GtkWidget *cz_details_dialog_new (GtkWindow *parent, const char *server, CzSessionInfo *info,
                                  const char *fingerprint, gboolean client_cert_chosen);

/* The words the dialog uses.  The plain sentence it leads with:
 * "Encrypted · server verified by Causerie demo CA · certificate valid
 * until 7 December 2027". */
char *cz_details_summary (const CzSessionInfo *info);
/* Hex in lower-case groups of four ("ab:cd:ef:01:…" too): "abcd ef01 …". */
char *cz_format_hex_groups (const char *hex);
/* "TLS1.3" → "TLS 1.3"; "SECP256R1" → "P-256" (others unchanged). */
char *cz_format_protocol (const char *protocol);
char *cz_format_group (const char *group);
/* A localized date without the time: "7 December 2027". */
char *cz_format_date (GDateTime *dt);

#define CZ_TYPE_PREFS_DIALOG (cz_prefs_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CzPrefsDialog, cz_prefs_dialog, CZ, PREFS_DIALOG, GtkDialog)

GtkWidget *cz_prefs_dialog_new (GtkWindow *parent, GSettings *settings);

G_END_DECLS
