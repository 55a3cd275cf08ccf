#include "config.h"
#include "cz-client-main.h"
