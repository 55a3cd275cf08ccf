#include "config.h"
#include "cz-error.h"
