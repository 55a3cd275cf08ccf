#include "config.h"
#include "cz-certgen-cli.h"
