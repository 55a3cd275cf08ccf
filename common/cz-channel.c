#include "config.h"
#include "cz-channel.h"
