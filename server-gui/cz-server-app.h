/* cz-server-app.h: the server window's GtkApplication (org.causerie.Server,
 * several instances allowed since several servers may run on different
 * ports). */
#pragma once

#include <gtk/gtk.h>
#include "cz-server-main.h"

G_BEGIN_DECLS

#define CZ_TYPE_SERVER_APP (cz_server_app_get_type ())
G_DECLARE_FINAL_TYPE (CzServerApp, cz_server_app, CZ, SERVER_APP, GtkApplication)

/* @options (copied) says what the first window starts with. */
CzServerApp *cz_server_app_new (const CzServerOptions *options);

G_END_DECLS
