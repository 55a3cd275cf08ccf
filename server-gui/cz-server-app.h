/* cz-server-app.h: the server window's GtkApplication (org.causerie.Server,
 * several instances allowed since several servers may run on different
 * ports).  It parses the server options itself; run it with
 * g_application_run () and the program's arguments. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CZ_TYPE_SERVER_APP (cz_server_app_get_type ())
G_DECLARE_FINAL_TYPE (CzServerApp, cz_server_app, CZ, SERVER_APP, GtkApplication)

/* The options on the command line say what the first window starts with. */
CzServerApp *cz_server_app_new (void);

G_END_DECLS
