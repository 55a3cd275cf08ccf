/* cz-client-app.h: the client's GtkApplication (org.causerie.Client). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CZ_TYPE_CLIENT_APP (cz_client_app_get_type ())
G_DECLARE_FINAL_TYPE (CzClientApp, cz_client_app, CZ, CLIENT_APP, GtkApplication)

CzClientApp *cz_client_app_new (void);

G_END_DECLS
