/* client-gui-testutil.h: what the client window's test programs share. */
#pragma once

#include <gtk/gtk.h>

#include "cz-client-window.h"

G_BEGIN_DECLS

/* The first control under @root whose accessible name is @name (what
 * AT-SPI and dogtail find); labels, named after their text, are skipped. */
GtkWidget *cz_test_find_named (GtkWidget *root, const char *name);
/* Runs the main loop until @win's session is in @state, at most
 * @timeout_ms; whether it got there. */
gboolean cz_test_wait_for_session (CzClientWindow *win, CzSessionState state, guint timeout_ms);

G_END_DECLS
