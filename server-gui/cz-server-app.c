/* cz-server-app.c: the server window's application (placeholder until the
 * window lands: it explains how to run headless). */
#include "config.h"

#include <glib/gi18n.h>
#include "cz-headless.h"

int
cz_server_window_main (const CzServerOptions *options, int argc, char **argv)
{
  g_printerr ("causerie-server: %s\n",
              _("the window is not available in this build; use --headless"));
  return 2;
}
