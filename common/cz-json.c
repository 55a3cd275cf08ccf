#include "config.h"
#include "cz-json.h"
