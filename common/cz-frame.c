#include "config.h"
#include "cz-frame.h"
