#include "config.h"
#include "cz-server.h"
