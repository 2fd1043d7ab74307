/* db.c: being written. */
#include "config.h"
#include "db.h"
