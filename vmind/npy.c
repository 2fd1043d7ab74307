/* npy.c: being written. */
#include "config.h"
#include "npy.h"
