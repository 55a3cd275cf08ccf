#include "config.h"
#include "cz-scram.h"
