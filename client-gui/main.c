/* causerie-client: see cz-client-main.c. */
#include "config.h"
#include "cz-client-main.h"

int
main (int argc, char **argv)
{
  return cz_client_main (argc, argv);
}
