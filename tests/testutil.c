#include "config.h"
#include "testutil.h"
