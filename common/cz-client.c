#include "config.h"
#include "cz-client.h"
