/* dupes.h: groups of news items that share an identical or near-identical
 * resized image (resized.sha256 equal, or resized.phash within a Hamming
 * distance), largest group first, for curation: an image shared by many
 * unrelated items is a logo or a placeholder, not a cover. vmind-stats
 * --duplicates prints them; vmind-resize writes the hashes. */
#ifndef VMIND_DUPES_H
#define VMIND_DUPES_H
#include <stddef.h>
#include <stdio.h>
#include <sqlite3.h>

/* The distance vmind-stats should use when none is given: 64-bit pHashes of
 * re-encoded or slightly edited copies of one picture differ in a few bits,
 * unrelated pictures in about 32. */
#define VM_DUPES_DEFAULT_DISTANCE 4

/* Print the groups (two or more items linked by equal output sha256 or
 * phash distance <= max_distance, single linkage; 0 = identical only) of the
 * database's `resized` table to out, largest first, ties by smallest news
 * number; members in news order. format:
 *   "text": a summary line, then "group K: N items" and one indented line
 *           per member: id, phash (16 hex digits), source sha256, path;
 *   "csv":  header group,size,news_id,phash,sha256,source_sha256,path;
 *   "json": {"max_distance":D,"groups":[{"group":K,"size":N,"items":[{"id",
 *           "phash","sha256","source_sha256","path"}...]}...]}.
 * 0, or -1 with a message in err (bad format, distance outside 0..64,
 * database error). */
int vm_dupes_print(sqlite3 *db, int max_distance, const char *format, FILE *out, char *err, size_t errlen);
#endif
