#include "config.h"
#include "cz-crypto.h"
