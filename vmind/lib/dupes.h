/* dupes.h: groups of news items that share an identical or near-identical
 * resized image (resized.sha256 equal, or resized.phash within a Hamming
 * distance and resized.colour close), largest group first, for curation: an
 * image shared by many unrelated items is a logo or a stock photo, not a
 * cover. Placeholders are no picture and never form groups. vmind-stats
 * --duplicates prints them, vmind-report shows them; vmind-resize writes the
 * hashes. bench/dupes.sh measures precision and recall on the simulated
 * web. */
#ifndef VMIND_DUPES_H
#define VMIND_DUPES_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>

/* The distance vmind-stats should use when none is given: 64-bit pHashes of
 * re-encoded or slightly edited copies of one picture differ in a few bits,
 * unrelated pictures in about 32. */
#define VM_DUPES_DEFAULT_DISTANCE 4

/* Two pictures are near only when their colour signatures (resized.colour:
 * the mean red, green and blue of each quarter of the image, 5 bits each)
 * differ by at most this many levels (of 32) in every value: the pHash
 * sees grey only, so two covers of one pattern in other colours would
 * otherwise be one picture. */
#define VM_DUPES_COLOUR_LEVELS 2
int vm_dupes_colour_close(uint64_t a, uint64_t b);

/* One row of the `resized` table. */
typedef struct vm_dupe_item {
	long long num;          /* news number */
	char *id;               /* news.id, or "N<num>" when the news row is missing */
	char *path, *sha256, *source_sha256;
	uint64_t phash;
	uint64_t colour;        /* resized.colour, when has_colour */
	int has_colour;
} vm_dupe_item;

/* The groups: two or more items linked by equal output sha256, or phash
 * distance <= max_distance with close colours (single linkage), largest
 * first, ties by smallest news number; members in news order. */
typedef struct vm_dupes {
	int max_distance;
	vm_dupe_item *items;    /* [nitems] every row of resized, by news number */
	size_t nitems;
	const vm_dupe_item **members;   /* [nmembers] group after group */
	size_t nmembers;
	struct vm_dupe_group {
		const vm_dupe_item **members;   /* [count], into the array above */
		size_t count;
	} *groups;              /* [ngroups] */
	size_t ngroups;
} vm_dupes;

/* Read the `resized` table and find the groups. 0, or -1 with a message in
 * err when max_distance is outside 0..64; a database error is fatal
 * (vm_db_die). */
int vm_dupes_find(sqlite3 *db, int max_distance, vm_dupes *d, char *err, size_t errlen);
void vm_dupes_free(vm_dupes *d);

/* The groups as {"max_distance":D,"groups":[{"group":K,"size":N,"items":[
 * {"id","phash","sha256","source_sha256","path"}...]}...]}, phash as 16 hex
 * digits. */
cJSON *vm_dupes_json(const vm_dupes *d);

/* Find the groups and print them to out. format:
 *   "text": a summary line, then "group K: N items" and one indented line
 *           per member: id, phash (16 hex digits), source sha256, path;
 *   "csv":  header group,size,news_id,phash,sha256,source_sha256,path;
 *   "json": vm_dupes_json's object on one line.
 * 0, or -1 with a message in err (bad format, distance outside 0..64, write
 * error). */
int vm_dupes_print(sqlite3 *db, int max_distance, const char *format, FILE *out, char *err, size_t errlen);
#endif
