/* mind.c: being written. */
#include "config.h"
#include "mind.h"
