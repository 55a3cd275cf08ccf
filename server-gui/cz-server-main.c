#include "config.h"
#include "cz-server-main.h"
