#include "config.h"
#include "cz-cli.h"
