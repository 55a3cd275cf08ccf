#include "config.h"
#include "cz-cert.h"
