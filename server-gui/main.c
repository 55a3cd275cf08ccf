/* main.c: causerie-server's main ().  The program itself is in the
 * convenience library (cz-server-main.c), which the tests link too. */
#include "config.h"
#include "cz-server-main.h"

int
main (int argc, char **argv)
{
  return cz_server_main (argc, argv);
}
