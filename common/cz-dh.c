#include "config.h"
#include "cz-dh.h"
