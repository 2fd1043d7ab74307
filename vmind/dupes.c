/* dupes.c: being written. */
#include "config.h"
#include "dupes.h"
