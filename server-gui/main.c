/* causerie-server: see cz-server-main.c. */
#include "config.h"
#include "cz-server-main.h"

int
main (int argc, char **argv)
{
  return cz_server_main (argc, argv);
}
