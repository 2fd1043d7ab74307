/* dupes.h: groups of news items that share an identical or near-identical
 * resized image (being written by the resize part). */
#ifndef VMIND_DUPES_H
#define VMIND_DUPES_H
#include <stddef.h>
#include <stdio.h>
#include <sqlite3.h>
int vm_dupes_print(sqlite3 *db, int max_distance, const char *format, FILE *out, char *err, size_t errlen);
#endif
