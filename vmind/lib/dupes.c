/* dupes.c: groups of news items whose resized images are identical or nearly
 * so (see dupes.h), for curation: a picture shared by many unrelated items is
 * a logo or a placeholder, not a cover. Two items are linked when their
 * outputs have the same sha256 or their 64-bit perceptual hashes
 * (resized.phash, written by vmind-resize) differ in at most max_distance
 * bits; a group is a connected component of those links (single linkage, so a
 * chain a~b~c is one group even when a and c are further apart), found with
 * union-find. Near pairs are found without comparing all pairs: identical
 * hashes are merged first, then, by the pigeonhole principle, two hashes
 * within d bits agree exactly on at least one of d + 1 disjoint bit bands, so
 * only hashes sharing a band value are compared (multi-index hashing; for
 * 130,379 items and d = 4 that is a few million popcounts). Beyond d = 15 the
 * bands get too narrow to help and all distinct pairs are compared. */
#include "config.h"
#include "dupes.h"
#include "db.h"
#include "json.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

typedef struct keyed {
	uint64_t key;
	size_t idx;
} keyed;

static size_t uf_find(size_t *parent, size_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a == b)
		return;
	/* the smaller index becomes the root: deterministic groups */
	if (a < b)
		parent[b] = a;
	else
		parent[a] = b;
}

static int cmp_keyed(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_sha_idx(const void *a, const void *b, void *arg)
{
	const vm_dupe_item *it = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(it[x].sha256, it[y].sha256);
	return c ? c : (x > y) - (x < y);
}

static int cmp_group(const void *a, const void *b)
{
	const struct vm_dupe_group *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->members[0]->num > y->members[0]->num) - (x->members[0]->num < y->members[0]->num);
}

/* Every row of `resized`, by news number. */
static void load_items(sqlite3 *db, vm_dupes *d)
{
	sqlite3_stmt *st = vm_db_prepare(db,
	        "SELECT r.news_num, COALESCE(n.id, 'N' || r.news_num), r.path, r.sha256,"
	        " r.source_sha256, r.phash, r.colour FROM resized r LEFT JOIN news n ON n.num = r.news_num"
	        " LEFT JOIN image i ON i.news_num = r.news_num"
	        " WHERE i.tier IS NOT 'placeholder'"   /* a placeholder is no picture: never a duplicate */
	        " ORDER BY r.news_num");
	size_t cap = 0;
	while (vm_db_step_row(db, st)) {
		vm_dupe_item *it;
		if (d->nitems == cap)
			d->items = xrealloc(d->items, (cap = cap ? 2 * cap : 1024) * sizeof *d->items);
		it = &d->items[d->nitems++];
		it->num = sqlite3_column_int64(st, 0);
		it->id = vm_db_column_dup(st, 1);
		it->path = vm_db_column_dup(st, 2);
		it->sha256 = vm_db_column_dup(st, 3);
		it->source_sha256 = vm_db_column_dup(st, 4);
		it->phash = (uint64_t)sqlite3_column_int64(st, 5);
		it->has_colour = sqlite3_column_type(st, 6) != SQLITE_NULL;
		it->colour = (uint64_t)sqlite3_column_int64(st, 6);
		if (!it->path)
			it->path = xstrdup("");
		if (!it->sha256)
			it->sha256 = xstrdup("");
		if (!it->source_sha256)
			it->source_sha256 = xstrdup("");
	}
	sqlite3_finalize(st);
}

/* Items whose outputs have the same sha256. */
static void link_same_sha(const vm_dupes *d, size_t *parent)
{
	size_t n = d->nitems, *order = xmalloc((n + 1) * sizeof *order);
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof *order, cmp_sha_idx, d->items);
	for (size_t i = 1; i < n; i++)
		if (strcmp(d->items[order[i]].sha256, d->items[order[i - 1]].sha256) == 0)
			uf_union(parent, order[i], order[i - 1]);
	free(order);
}

/* Are two items the same picture as far as the hashes tell: pHashes within
 * max_distance bits, and colours close (see vm_dupes_colour_close; a row
 * without a colour, from an older vmind-resize, is not checked)? */
static int near(const vm_dupe_item *x, const vm_dupe_item *y, int max_distance)
{
	if (__builtin_popcountll(x->phash ^ y->phash) > max_distance)
		return 0;
	return !x->has_colour || !y->has_colour || vm_dupes_colour_close(x->colour, y->colour);
}

int vm_dupes_colour_close(uint64_t a, uint64_t b)
{
	for (int k = 0; k < 12; k++) {
		int x = (int)(a >> (5 * k) & 31), y = (int)(b >> (5 * k) & 31);
		if (x - y > VM_DUPES_COLOUR_LEVELS || y - x > VM_DUPES_COLOUR_LEVELS)
			return 0;
	}
	return 1;
}

/* Near items, comparing every pair. */
static void link_all_pairs(const vm_dupes *d, size_t *parent)
{
	for (size_t a = 0; a < d->nitems; a++)
		for (size_t b = a + 1; b < d->nitems; b++)
			if (near(&d->items[a], &d->items[b], d->max_distance))
				uf_union(parent, a, b);
}

/* Near items by multi-index hashing: max_distance + 1 disjoint bands of the
 * pHash (two hashes within max_distance bits agree on one band at least),
 * and within each band only the items that agree on it are compared. */
static void link_by_bands(const vm_dupes *d, size_t *parent)
{
	int bands = d->max_distance + 1;
	size_t n = d->nitems;
	keyed *keys = xmalloc((n + 1) * sizeof *keys);
	for (int band = 0; band < bands; band++) {
		int lo = 64 * band / bands, hi = 64 * (band + 1) / bands;
		uint64_t mask = (hi - lo >= 64) ? ~(uint64_t)0 : (((uint64_t)1 << (hi - lo)) - 1);
		for (size_t i = 0; i < n; i++) {
			keys[i].key = (d->items[i].phash >> lo) & mask;
			keys[i].idx = i;
		}
		qsort(keys, n, sizeof *keys, cmp_keyed);
		for (size_t s = 0, e; s < n; s = e) {
			for (e = s + 1; e < n && keys[e].key == keys[s].key; e++)
				;
			for (size_t a = s; a < e; a++)
				for (size_t b = a + 1; b < e; b++)
					if (uf_find(parent, keys[a].idx) != uf_find(parent, keys[b].idx) &&
					    near(&d->items[keys[a].idx], &d->items[keys[b].idx], d->max_distance))
						uf_union(parent, keys[a].idx, keys[b].idx);
		}
	}
	free(keys);
}

/* The components of two or more items, members in news order, largest
 * first. */
static void collect_groups(vm_dupes *d, size_t *parent)
{
	size_t n = d->nitems;
	keyed *keys = xmalloc((n + 1) * sizeof *keys);
	for (size_t i = 0; i < n; i++) {
		keys[i].key = uf_find(parent, i);
		keys[i].idx = i;
	}
	qsort(keys, n, sizeof *keys, cmp_keyed);
	d->groups = xmalloc((n / 2 + 1) * sizeof *d->groups);
	d->members = xmalloc((n + 1) * sizeof *d->members);
	for (size_t s = 0, e; s < n; s = e) {
		for (e = s + 1; e < n && keys[e].key == keys[s].key; e++)
			;
		if (e - s < 2)
			continue;
		d->groups[d->ngroups].members = d->members + d->nmembers;
		d->groups[d->ngroups].count = e - s;
		d->ngroups++;
		for (size_t k = s; k < e; k++)
			d->members[d->nmembers++] = &d->items[keys[k].idx];
	}
	qsort(d->groups, d->ngroups, sizeof *d->groups, cmp_group);
	free(keys);
}

int vm_dupes_find(sqlite3 *db, int max_distance, vm_dupes *d, char *err, size_t errlen)
{
	size_t *parent;
	memset(d, 0, sizeof *d);
	if (max_distance < 0 || max_distance > 64) {
		snprintf(err, errlen, "max distance %d is out of range [0, 64]", max_distance);
		return -1;
	}
	d->max_distance = max_distance;
	load_items(db, d);
	parent = xmalloc((d->nitems + 1) * sizeof *parent);
	for (size_t i = 0; i < d->nitems; i++)
		parent[i] = i;
	link_same_sha(d, parent);
	if (max_distance + 1 > 16)   /* bands too narrow to help */
		link_all_pairs(d, parent);
	else
		link_by_bands(d, parent);
	collect_groups(d, parent);
	free(parent);
	return 0;
}

void vm_dupes_free(vm_dupes *d)
{
	for (size_t i = 0; i < d->nitems; i++) {
		free(d->items[i].id);
		free(d->items[i].path);
		free(d->items[i].sha256);
		free(d->items[i].source_sha256);
	}
	free(d->items);
	free(d->members);
	free(d->groups);
	memset(d, 0, sizeof *d);
}

static void phash_hex(uint64_t phash, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)phash);
}

static cJSON *item_json(const vm_dupe_item *it)
{
	cJSON *o = cJSON_CreateObject();
	char hex[17];
	if (!o)
		vm_die("out of memory (JSON)");
	phash_hex(it->phash, hex);
	vm_json_add_str(o, "id", it->id);
	vm_json_add_str(o, "phash", hex);
	vm_json_add_str(o, "sha256", it->sha256);
	vm_json_add_str(o, "source_sha256", it->source_sha256);
	vm_json_add_str(o, "path", it->path);
	return o;
}

cJSON *vm_dupes_json(const vm_dupes *d)
{
	cJSON *root = cJSON_CreateObject(), *groups = cJSON_CreateArray();
	if (!root || !groups)
		vm_die("out of memory (JSON)");
	vm_json_add_int(root, "max_distance", d->max_distance);
	cJSON_AddItemToObject(root, "groups", groups);
	for (size_t g = 0; g < d->ngroups; g++) {
		cJSON *grp = cJSON_CreateObject(), *items = cJSON_CreateArray();
		if (!grp || !items)
			vm_die("out of memory (JSON)");
		vm_json_add_int(grp, "group", (long long)g + 1);
		vm_json_add_int(grp, "size", (long long)d->groups[g].count);
		cJSON_AddItemToObject(grp, "items", items);
		for (size_t k = 0; k < d->groups[g].count; k++)
			cJSON_AddItemToArray(items, item_json(d->groups[g].members[k]));
		cJSON_AddItemToArray(groups, grp);
	}
	return root;
}

static void print_text(const vm_dupes *d, FILE *out)
{
	char hex[17];
	fprintf(out, "%zu group%s of identical or near-identical images (max distance %d), %zu items\n",
	        d->ngroups, d->ngroups == 1 ? "" : "s", d->max_distance, d->nmembers);
	for (size_t g = 0; g < d->ngroups; g++) {
		fprintf(out, "group %zu: %zu items\n", g + 1, d->groups[g].count);
		for (size_t k = 0; k < d->groups[g].count; k++) {
			const vm_dupe_item *it = d->groups[g].members[k];
			phash_hex(it->phash, hex);
			fprintf(out, "  %-10s %s %s %s\n", it->id, hex, it->source_sha256, it->path);
		}
	}
}

/* A CSV field, quoted when it needs to be, after a comma unless first. */
static void csv_field(FILE *out, const char *s, int first)
{
	if (!first)
		fputc(',', out);
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void print_csv(const vm_dupes *d, FILE *out)
{
	char hex[17];
	fputs("group,size,news_id,phash,sha256,source_sha256,path\n", out);
	for (size_t g = 0; g < d->ngroups; g++)
		for (size_t k = 0; k < d->groups[g].count; k++) {
			const vm_dupe_item *it = d->groups[g].members[k];
			phash_hex(it->phash, hex);
			fprintf(out, "%zu,%zu,", g + 1, d->groups[g].count);
			csv_field(out, it->id, 1);
			csv_field(out, hex, 0);
			csv_field(out, it->sha256, 0);
			csv_field(out, it->source_sha256, 0);
			csv_field(out, it->path, 0);
			fputc('\n', out);
		}
}

int vm_dupes_print(sqlite3 *db, int max_distance, const char *format, FILE *out, char *err, size_t errlen)
{
	vm_dupes d;
	int rc = 0;
	if (format && strcmp(format, "text") != 0 && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		snprintf(err, errlen, "unknown duplicates format '%s' (text, json or csv)", format);
		return -1;
	}
	if (vm_dupes_find(db, max_distance, &d, err, errlen) < 0)
		return -1;
	if (!format || strcmp(format, "text") == 0) {
		print_text(&d, out);
	} else if (strcmp(format, "csv") == 0) {
		print_csv(&d, out);
	} else {
		cJSON *root = vm_dupes_json(&d);
		vm_json_print(out, root, 0);
		cJSON_Delete(root);
	}
	if (ferror(out)) {
		snprintf(err, errlen, "write error");
		rc = -1;
	}
	vm_dupes_free(&d);
	return rc;
}
