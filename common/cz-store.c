#include "config.h"
#include "cz-store.h"
