#include "config.h"
#include "cz-message.h"
