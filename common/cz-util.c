#include "config.h"
#include "cz-util.h"
