/* cz-server-main.h: the whole of causerie-server, for main.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Dispatches to the certificate generator, --add-user, --headless or the
 * window.  Returns the exit status. */
int cz_server_main (int argc, char **argv);

G_END_DECLS
