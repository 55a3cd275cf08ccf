/* cz-client-main.c: causerie-client dispatch. */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n.h>

#include "cz-client-main.h"
#include "cz-cli-runner.h"
#include "cz-util.h"

int
cz_client_main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, cz_locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--cli"))
      return cz_cli_runner_run (argc, argv);
  return cz_client_window_main (argc, argv);
}
