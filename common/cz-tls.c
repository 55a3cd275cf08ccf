#include "config.h"
#include "cz-tls.h"
