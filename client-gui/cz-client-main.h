/* cz-client-main.h: causerie-client's entry point. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Dispatches to --cli or the window; returns the exit status. */
int cz_client_main (int argc, char **argv);

/* The window (client-gui/cz-client-app.c). */
int cz_client_window_main (int argc, char **argv);

G_END_DECLS
