/* test-resize-dupes.c: vm_dupes_print (vmind/lib/dupes.c) on crafted perceptual
 * hashes: exact text, CSV and JSON for a small set whose groups are known by
 * construction (identical sha256, distance 1-4 neighbours, a chain joined by
 * single linkage, a pair 5 bits apart that joins only at distance 5), then
 * the groups of 3,000 random hashes with planted near copies against a
 * brute-force all-pairs union-find, at distances 0, 3, 6 and 20 (the last
 * takes dupes.c's all-pairs path, the others its multi-index path). */
#include "config.h"
#include "tap.h"
#include "vmind/lib/db.h"
#include "vmind/lib/dupes.h"
#include "vmind/lib/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void add(sqlite3 *db, int num, uint64_t phash, const char *sha)
{
	char *sql = xasprintf(
		"INSERT INTO news (num, id, category, subcategory, title, url) VALUES (%d, 'N%d', 'c', 's', 't', 'u');"
		"INSERT INTO resized (news_num, path, sha256, source_sha256, size, mode, format, quality, phash, created_at)"
		" VALUES (%d, 'N%d.jpg', '%s', 'src%d', 224, 'crop', 'jpg', 90, %lld, 0);",
		num, num, num, num, sha, num, (long long)phash);
	char err[256];
	if (vm_db_exec(db, sql, err, sizeof err) != 0)
		printf("# %s\n", err);
	free(sql);
}

static char *print(sqlite3 *db, int d, const char *fmt, int *rc)
{
	char *buf = NULL, err[256] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*rc = vm_dupes_print(db, d, fmt, f, err, sizeof err);
	fclose(f);
	if (*rc)
		printf("# error: %s\n", err);
	return buf;
}

static size_t find(size_t *p, size_t x)
{
	while (p[x] != x)
		x = p[x] = p[p[x]];
	return x;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A fresh database file in a private temporary directory. */
static char tmpdir[256];
static sqlite3 *fresh_db(const char *name, char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	sqlite3 *db = vm_db_open(path, VM_DB_CREATE, err, errlen);
	free(path);
	return db;
}

static void rm_tmpdir(void)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
}

/* A small set whose groups are known by construction. */
static void test_small(sqlite3 *db)
{
	const uint64_t A = 0x0123456789abcdefULL, B = 0xfedcba9876543210ULL, C = 0x0f0f0f0f0f0f0f0fULL,
	               D = 0x5555aaaa5555aaaaULL;
	char *out;
	int rc;
	add(db, 1, A, "s1");
	add(db, 2, A ^ 1, "s2");
	add(db, 3, A ^ (3ULL << 20), "s3");
	add(db, 4, A ^ 0xf000000000000000ULL, "s4");
	add(db, 5, 0x1111111111111111ULL, "same");
	add(db, 6, 0xeeeeeeeeeeeeeeeeULL, "same");
	add(db, 7, B, "s7");
	add(db, 8, B ^ 0x1f, "s8");
	add(db, 9, 0x123456789ULL, "s9");
	add(db, 10, C, "s10");
	add(db, 11, C ^ 0xf, "s11");
	add(db, 12, C ^ 0xff, "s12");
	for (int i = 20; i < 25; i++)
		add(db, i, D, i == 20 ? "s20" : "s2x");

	out = print(db, 4, "text", &rc);
	is_str(out,
	       "4 groups of identical or near-identical images (max distance 4), 14 items\n"
	       "group 1: 5 items\n"
	       "  N20        5555aaaa5555aaaa src20 N20.jpg\n"
	       "  N21        5555aaaa5555aaaa src21 N21.jpg\n"
	       "  N22        5555aaaa5555aaaa src22 N22.jpg\n"
	       "  N23        5555aaaa5555aaaa src23 N23.jpg\n"
	       "  N24        5555aaaa5555aaaa src24 N24.jpg\n"
	       "group 2: 4 items\n"
	       "  N1         0123456789abcdef src1 N1.jpg\n"
	       "  N2         0123456789abcdee src2 N2.jpg\n"
	       "  N3         01234567899bcdef src3 N3.jpg\n"
	       "  N4         f123456789abcdef src4 N4.jpg\n"
	       "group 3: 3 items\n"
	       "  N10        0f0f0f0f0f0f0f0f src10 N10.jpg\n"
	       "  N11        0f0f0f0f0f0f0f00 src11 N11.jpg\n"
	       "  N12        0f0f0f0f0f0f0ff0 src12 N12.jpg\n"
	       "group 4: 2 items\n"
	       "  N5         1111111111111111 src5 N5.jpg\n"
	       "  N6         eeeeeeeeeeeeeeee src6 N6.jpg\n",
	       "distance 4, text: groups largest first, chain joined, sha256 pair joined");
	free(out);

	out = print(db, 0, "csv", &rc);
	is_str(out,
	       "group,size,news_id,phash,sha256,source_sha256,path\n"
	       "1,5,N20,5555aaaa5555aaaa,s20,src20,N20.jpg\n"
	       "1,5,N21,5555aaaa5555aaaa,s2x,src21,N21.jpg\n"
	       "1,5,N22,5555aaaa5555aaaa,s2x,src22,N22.jpg\n"
	       "1,5,N23,5555aaaa5555aaaa,s2x,src23,N23.jpg\n"
	       "1,5,N24,5555aaaa5555aaaa,s2x,src24,N24.jpg\n"
	       "2,2,N5,1111111111111111,same,src5,N5.jpg\n"
	       "2,2,N6,eeeeeeeeeeeeeeee,same,src6,N6.jpg\n",
	       "distance 0, csv: identical hash or sha256 only");
	free(out);

	out = print(db, 5, "text", &rc);
	ok(rc == 0 && strstr(out, "5 groups") && strstr(out, "group 5: 2 items\n  N7 ") && strstr(out, "  N8 "),
	   "distance 5: the 5-bit pair N7, N8 joins as the last group");
	free(out);

	/* ties by size: the group holding the smaller news number first */
	out = print(db, 3, "json", &rc);
	is_str(out,
	       "{\"max_distance\":3,\"groups\":["
	       "{\"group\":1,\"size\":5,\"items\":["
	       "{\"id\":\"N20\",\"phash\":\"5555aaaa5555aaaa\",\"sha256\":\"s20\",\"source_sha256\":\"src20\",\"path\":\"N20.jpg\"},"
	       "{\"id\":\"N21\",\"phash\":\"5555aaaa5555aaaa\",\"sha256\":\"s2x\",\"source_sha256\":\"src21\",\"path\":\"N21.jpg\"},"
	       "{\"id\":\"N22\",\"phash\":\"5555aaaa5555aaaa\",\"sha256\":\"s2x\",\"source_sha256\":\"src22\",\"path\":\"N22.jpg\"},"
	       "{\"id\":\"N23\",\"phash\":\"5555aaaa5555aaaa\",\"sha256\":\"s2x\",\"source_sha256\":\"src23\",\"path\":\"N23.jpg\"},"
	       "{\"id\":\"N24\",\"phash\":\"5555aaaa5555aaaa\",\"sha256\":\"s2x\",\"source_sha256\":\"src24\",\"path\":\"N24.jpg\"}]},"
	       "{\"group\":2,\"size\":3,\"items\":["
	       "{\"id\":\"N1\",\"phash\":\"0123456789abcdef\",\"sha256\":\"s1\",\"source_sha256\":\"src1\",\"path\":\"N1.jpg\"},"
	       "{\"id\":\"N2\",\"phash\":\"0123456789abcdee\",\"sha256\":\"s2\",\"source_sha256\":\"src2\",\"path\":\"N2.jpg\"},"
	       "{\"id\":\"N3\",\"phash\":\"01234567899bcdef\",\"sha256\":\"s3\",\"source_sha256\":\"src3\",\"path\":\"N3.jpg\"}]},"
	       "{\"group\":3,\"size\":2,\"items\":["
	       "{\"id\":\"N5\",\"phash\":\"1111111111111111\",\"sha256\":\"same\",\"source_sha256\":\"src5\",\"path\":\"N5.jpg\"},"
	       "{\"id\":\"N6\",\"phash\":\"eeeeeeeeeeeeeeee\",\"sha256\":\"same\",\"source_sha256\":\"src6\",\"path\":\"N6.jpg\"}]}"
	       "]}\n",
	       "distance 3, json: N4 (4 bits) and N12 (4 bits from N11) stay out");
	free(out);

	out = print(db, 4, "xml", &rc);
	ok(rc == -1, "an unknown format is an error");
	free(out);
	out = print(db, 65, "text", &rc);
	ok(rc == -1, "distance 65 is an error");
	free(out);
}

/* Group number per item (0 = in no group) from the CSV print at distance d. */
static void csv_groups(sqlite3 *db, int d, size_t *got, size_t n, int *rc)
{
	char *out = print(db, d, "csv", rc), *line, *save = NULL;
	memset(got, 0, n * sizeof *got);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned g, sz, num;
		if (sscanf(line, "%u,%u,N%u,", &g, &sz, &num) == 3 && num >= 1 && num <= n)
			got[num - 1] = g;
	}
	free(out);
}

/* Items share a brute-force root iff they share a group, and no two roots
 * share one group number. */
static int same_partition(size_t *parent, const size_t *got, size_t n)
{
	long *grp_of_root = malloc(n * sizeof *grp_of_root);
	int same = 1;
	for (size_t i = 0; i < n; i++)
		grp_of_root[i] = -1;
	for (size_t i = 0; i < n && same; i++) {
		size_t r = find(parent, i);
		long want_in = 0;
		for (size_t j = 0; j < n; j++)
			if (j != i && find(parent, j) == r) {
				want_in = 1;
				break;
			}
		if (!want_in)
			same = got[i] == 0;
		else if (got[i] == 0)
			same = 0;
		else if (grp_of_root[r] < 0)
			grp_of_root[r] = (long)got[i];
		else if (grp_of_root[r] != (long)got[i])
			same = 0;
	}
	for (size_t a = 0; a < n && same; a++)
		for (size_t b = a + 1; b < n && same; b++)
			if (grp_of_root[a] >= 0 && grp_of_root[a] == grp_of_root[b])
				same = 0;
	free(grp_of_root);
	return same;
}

/* random hashes with planted copies against brute force */
static void test_random(void)
{
	enum { N = 3000 };
	static uint64_t h[N];
	static size_t parent[N], got[N + 1];
	const int dists[] = { 0, 3, 6, 20 };
	char err[256];
	sqlite3 *db = fresh_db("random.db", err, sizeof err);
	vm_db_exec(db, "BEGIN", err, sizeof err);
	for (int i = 0; i < N; i++) {
		char sha[32];
		if (i > 0 && next() % 3 == 0) {
			/* a copy of an earlier one with 0-7 bits flipped */
			uint64_t x = h[next() % i];
			int flips = (int)(next() % 8);
			for (int k = 0; k < flips; k++)
				x ^= 1ULL << (next() % 64);
			h[i] = x;
		} else {
			h[i] = next();
		}
		snprintf(sha, sizeof sha, "x%d", i);
		add(db, i + 1, h[i], sha);
	}
	vm_db_exec(db, "COMMIT", err, sizeof err);
	for (size_t di = 0; di < sizeof dists / sizeof *dists; di++) {
		int d = dists[di], rc;
		for (size_t i = 0; i < N; i++)
			parent[i] = i;
		for (size_t a = 0; a < N; a++)
			for (size_t b = a + 1; b < N; b++)
				if (__builtin_popcountll(h[a] ^ h[b]) <= d) {
					size_t x = find(parent, a), y = find(parent, b);
					if (x != y)
						parent[x > y ? x : y] = x < y ? x : y;
				}
		csv_groups(db, d, got, N, &rc);
		ok(rc == 0 && same_partition(parent, got, N), "3000 random hashes, distance %d: same groups as all-pairs", d);
	}
	vm_db_close(db);
}

int main(void)
{
	char err[256];
	sqlite3 *db;
	const char *tmp = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/test-resize-dupes.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror(tmpdir);
		return 1;
	}
	atexit(rm_tmpdir);
	db = fresh_db("small.db", err, sizeof err);
	if (!ok(db != NULL, "create a database")) {
		printf("# %s\n", err);
		return tap_done();
	}
	test_small(db);
	vm_db_close(db);
	test_random();
	return tap_done();
}
