/* cz-client-app.c: the client window's application (placeholder until the
 * window lands). */
#include "config.h"

#include <glib/gi18n.h>
#include "cz-client-main.h"

int
cz_client_window_main (int argc, char **argv)
{
  g_printerr ("causerie-client: %s\n",
              _("the window is not available in this build; use --cli"));
  return 2;
}
