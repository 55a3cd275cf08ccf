#include "config.h"
#include "cz-cli-runner.h"
