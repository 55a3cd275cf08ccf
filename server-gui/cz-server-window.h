/* cz-server-window.h: the server window: start/stop, the connected
 * clients, the selected client's TLS session and Diffie-Hellman values,
 * and the log of received messages (DESIGN §5). */
#pragma once

#include <gtk/gtk.h>
#include "cz-server.h"
#include "cz-server-options.h"

G_BEGIN_DECLS

#define CZ_TYPE_SERVER_WINDOW (cz_server_window_get_type ())
G_DECLARE_FINAL_TYPE (CzServerWindow, cz_server_window, CZ, SERVER_WINDOW, GtkApplicationWindow)

/* Properties (read-only, notified when they change):
 *   "running" (gboolean): the engine is listening; the start and stop
 *     controls and the settings form follow it.
 *   "stopping" (gboolean): an earlier engine is still stopping; the
 *     window cannot start again until it has. */

/* @app may be NULL (tests). */
CzServerWindow *cz_server_window_new (GtkApplication *app);

/* Takes the command line: fills the form with the options given and keeps
 * the engine settings the form does not show (SCRAM iterations,
 * registration, client cap). */
void cz_server_window_apply_options (CzServerWindow *self, const CzServerOptions *options);

/* Starts the engine with the form's settings, from the main thread; on
 * success "running" turns TRUE.  When @remember, the settings are saved
 * for the next run. */
gboolean cz_server_window_start (CzServerWindow *self, gboolean remember, GError **error);
/* Stops the engine off the main thread; the window can start again once
 * it has stopped. */
void cz_server_window_stop (CzServerWindow *self);
gboolean cz_server_window_is_running (CzServerWindow *self);
/* "127.0.0.1:7443" while running, else NULL. */
const char *cz_server_window_get_address (CzServerWindow *self);

/* Makes sure the demo CA and certificate exist (off the main thread), puts
 * them in the form with 127.0.0.1 and @port (-1: 7443) and starts. */
void cz_server_window_start_demo (CzServerWindow *self, int port);
/* What the first-run bar's "Make Demo Certificate" does: the demo CA and
 * server certificate (made once, as --demo does) go into the form. */
void cz_server_window_make_demo_certificate (CzServerWindow *self);
/* The "Stop the server?" question while it is asked (stopping with people
 * connected), else NULL. */
GtkWidget *cz_server_window_get_stop_dialog (CzServerWindow *self);

/* Shows @message in the window's information bar. */
void cz_server_window_show_message (CzServerWindow *self, GtkMessageType type,
                                    const char *message);

G_END_DECLS
