#include "config.h"
#include "cz-headless.h"
