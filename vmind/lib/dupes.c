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

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct ditem {
	long long num;
	char *id, *path, *sha, *src;
	uint64_t phash;
} ditem;

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

static int cmp_str_idx(const void *a, const void *b, void *arg)
{
	const ditem *it = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(it[x].sha, it[y].sha);
	return c ? c : (x > y) - (x < y);
}

typedef struct group {
	size_t root, count, first;   /* first: offset in the member list */
} group;

static int cmp_group(const void *a, const void *b)
{
	const group *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->root > y->root) - (x->root < y->root);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t ? strlen((const char *)t) : 0;
	char *p = malloc(n + 1);
	if (p) {
		if (n)
			memcpy(p, t, n);
		p[n] = '\0';
	}
	return p;
}

/* A JSON string body: quotes, backslashes and control characters escaped. */
static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* A CSV field, quoted when it needs to be. */
static void csv_str(FILE *out, const char *s)
{
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

int vm_dupes_print(sqlite3 *db, int max_distance, const char *format, FILE *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	ditem *it = NULL;
	size_t n = 0, cap = 0, *parent = NULL, *order = NULL, *members = NULL, ngroups = 0, nmembers = 0;
	keyed *keys = NULL, *uniq = NULL;
	group *groups = NULL;
	size_t nuniq = 0;
	int rc = -1, fmt;

	if (!format || strcmp(format, "text") == 0)
		fmt = 0;
	else if (strcmp(format, "json") == 0)
		fmt = 1;
	else if (strcmp(format, "csv") == 0)
		fmt = 2;
	else {
		snprintf(err, errlen, "unknown duplicates format '%s' (text, json or csv)", format);
		return -1;
	}
	if (max_distance < 0 || max_distance > 64) {
		snprintf(err, errlen, "max distance %d is out of range [0, 64]", max_distance);
		return -1;
	}
	if (sqlite3_prepare_v2(db,
	        "SELECT r.news_num, COALESCE(n.id, 'N' || r.news_num), r.path, r.sha256,"
	        " r.source_sha256, r.phash FROM resized r LEFT JOIN news n ON n.num = r.news_num"
	        " ORDER BY r.news_num", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading resized: %s", sqlite3_errmsg(db));
		goto out;
	}
	for (;;) {
		int s = sqlite3_step(st);
		if (s == SQLITE_DONE)
			break;
		if (s != SQLITE_ROW) {
			snprintf(err, errlen, "reading resized: %s", sqlite3_errmsg(db));
			goto out;
		}
		if (n == cap) {
			ditem *p = realloc(it, (cap = cap ? 2 * cap : 1024) * sizeof *it);
			if (!p)
				goto oom;
			it = p;
		}
		it[n].num = sqlite3_column_int64(st, 0);
		it[n].id = dup_col(st, 1);
		it[n].path = dup_col(st, 2);
		it[n].sha = dup_col(st, 3);
		it[n].src = dup_col(st, 4);
		it[n].phash = (uint64_t)sqlite3_column_int64(st, 5);
		n++;
		if (!it[n - 1].id || !it[n - 1].path || !it[n - 1].sha || !it[n - 1].src)
			goto oom;
	}
	parent = malloc((n + 1) * sizeof *parent);
	order = malloc((n + 1) * sizeof *order);
	keys = malloc((n + 1) * sizeof *keys);
	uniq = malloc((n + 1) * sizeof *uniq);
	if (!parent || !order || !keys || !uniq)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		parent[i] = i;
		order[i] = i;
	}
	/* identical outputs */
	qsort_r(order, n, sizeof *order, cmp_str_idx, it);
	for (size_t i = 1; i < n; i++)
		if (strcmp(it[order[i]].sha, it[order[i - 1]].sha) == 0)
			uf_union(parent, order[i], order[i - 1]);
	/* identical hashes, and the list of distinct ones */
	for (size_t i = 0; i < n; i++) {
		keys[i].key = it[i].phash;
		keys[i].idx = i;
	}
	qsort(keys, n, sizeof *keys, cmp_keyed);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && keys[i].key == keys[i - 1].key)
			uf_union(parent, keys[i].idx, keys[i - 1].idx);
		else
			uniq[nuniq++] = keys[i];
	}
	/* near hashes among the distinct ones */
	if (max_distance > 0 && nuniq > 1) {
		int bands = max_distance + 1;
		if (bands > 16) {
			for (size_t a = 0; a < nuniq; a++)
				for (size_t b = a + 1; b < nuniq; b++)
					if (__builtin_popcountll(uniq[a].key ^ uniq[b].key) <= max_distance)
						uf_union(parent, uniq[a].idx, uniq[b].idx);
		} else {
			for (int band = 0; band < bands; band++) {
				int lo = 64 * band / bands, hi = 64 * (band + 1) / bands;
				uint64_t mask = (hi - lo >= 64) ? ~(uint64_t)0 : (((uint64_t)1 << (hi - lo)) - 1);
				for (size_t i = 0; i < nuniq; i++) {
					keys[i].key = (uniq[i].key >> lo) & mask;
					keys[i].idx = i;
				}
				qsort(keys, nuniq, sizeof *keys, cmp_keyed);
				for (size_t s = 0, e; s < nuniq; s = e) {
					for (e = s + 1; e < nuniq && keys[e].key == keys[s].key; e++)
						;
					for (size_t a = s; a < e; a++)
						for (size_t b = a + 1; b < e; b++) {
							const keyed *x = &uniq[keys[a].idx], *y = &uniq[keys[b].idx];
							if (__builtin_popcountll(x->key ^ y->key) <= max_distance)
								uf_union(parent, x->idx, y->idx);
						}
				}
			}
		}
	}
	/* components of two or more, members in news order */
	for (size_t i = 0; i < n; i++) {
		keys[i].key = uf_find(parent, i);
		keys[i].idx = i;
	}
	qsort(keys, n, sizeof *keys, cmp_keyed);
	groups = malloc((n / 2 + 1) * sizeof *groups);
	members = malloc((n + 1) * sizeof *members);
	if (!groups || !members)
		goto oom;
	for (size_t s = 0, e; s < n; s = e) {
		for (e = s + 1; e < n && keys[e].key == keys[s].key; e++)
			;
		if (e - s < 2)
			continue;
		groups[ngroups].root = keys[s].key;
		groups[ngroups].count = e - s;
		groups[ngroups].first = nmembers;
		ngroups++;
		for (size_t k = s; k < e; k++)
			members[nmembers++] = keys[k].idx;
	}
	qsort(groups, ngroups, sizeof *groups, cmp_group);

	if (fmt == 0) {
		fprintf(out, "%zu group%s of identical or near-identical images (max distance %d), %zu items\n",
		        ngroups, ngroups == 1 ? "" : "s", max_distance, nmembers);
	} else if (fmt == 1) {
		fprintf(out, "{\"max_distance\":%d,\"groups\":[", max_distance);
	} else {
		fputs("group,size,news_id,phash,sha256,source_sha256,path\n", out);
	}
	for (size_t g = 0; g < ngroups; g++) {
		const group *gr = &groups[g];
		if (fmt == 0)
			fprintf(out, "group %zu: %zu items\n", g + 1, gr->count);
		else if (fmt == 1)
			fprintf(out, "%s{\"group\":%zu,\"size\":%zu,\"items\":[", g ? "," : "", g + 1, gr->count);
		for (size_t k = 0; k < gr->count; k++) {
			const ditem *d = &it[members[gr->first + k]];
			if (fmt == 0) {
				fprintf(out, "  %-10s %016llx %s %s\n", d->id, (unsigned long long)d->phash, d->src, d->path);
			} else if (fmt == 1) {
				fprintf(out, "%s{\"id\":", k ? "," : "");
				json_str(out, d->id);
				fprintf(out, ",\"phash\":\"%016llx\",\"sha256\":", (unsigned long long)d->phash);
				json_str(out, d->sha);
				fputs(",\"source_sha256\":", out);
				json_str(out, d->src);
				fputs(",\"path\":", out);
				json_str(out, d->path);
				fputc('}', out);
			} else {
				fprintf(out, "%zu,%zu,", g + 1, gr->count);
				csv_str(out, d->id);
				fprintf(out, ",%016llx,", (unsigned long long)d->phash);
				csv_str(out, d->sha);
				fputc(',', out);
				csv_str(out, d->src);
				fputc(',', out);
				csv_str(out, d->path);
				fputc('\n', out);
			}
		}
		if (fmt == 1)
			fputs("]}", out);
	}
	if (fmt == 1)
		fputs("]}\n", out);
	if (ferror(out)) {
		snprintf(err, errlen, "write error");
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (st)
		sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		free(it[i].id);
		free(it[i].path);
		free(it[i].sha);
		free(it[i].src);
	}
	free(it);
	free(parent);
	free(order);
	free(keys);
	free(uniq);
	free(groups);
	free(members);
	return rc;
}
