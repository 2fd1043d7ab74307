/* vmind-merge.c: vmind-merge, which merges the provenance databases of a sharded
 * crawl (vmind-crawl --shard I/N, one database per shard) into one. Every
 * shard is checked to be a vmind database of this schema version, attached
 * (ATTACH DATABASE) and copied with INSERT ... SELECT, all shards in one
 * transaction: either everything is merged or nothing is (beyond SQLite's
 * 10 attached databases, groups of 10 are merged into temporary databases
 * first, and those into the output in one transaction). Each table has an
 * identity key, so merging a shard again changes nothing:
 *   news      num; splits are merged as sets; the state of a worked item
 *             (done or failed) wins over pending, done over failed, and of
 *             two failures the later one; metadata must agree;
 *   image     news_num; follows the news row that won;
 *   request   (news_num, time, url, purpose), ids renumbered in shard order;
 *   resized   news_num, taken when its source_sha256 is the chosen image's;
 *   resize_error news_num, unless the item has a resized row;
 *   rejected  (news_num, rejected_at, sha256, image_url), ids renumbered;
 *   robots    host, the later fetch wins; meta key, the first one wins.
 * A conflict - one item with different metadata, or done in two places with
 * different outcomes or different images (sha256) - is an error naming the
 * items, and nothing is merged (exit 2). */
#include "config.h"
#include "vmind/lib/buf.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/db.h"
#include "vmind/lib/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OPT_QUIET = 256 };

static const vm_option options[] = {
	{ "quiet", 'q', no_argument, NULL, "do not print what each shard added" },
	{ NULL, 0, 0, NULL, NULL }
};

/* SQLite attaches at most this many databases at once (Debian builds it
 * with the default, 10); more shards are merged in groups (merge_many). */
#define MAX_SHARDS 10
#define MAX_CONFLICTS_SHOWN 20

/* ---- splits as sets: the SQL function vm_splits_union(a, b) ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted, duplicate-free union of two comma-separated sets. */
static char *splits_union(const char *a, const char *b)
{
	char *all = xasprintf("%s,%s", a ? a : "", b ? b : "");
	char **parts = NULL, *save = NULL, *tok, *out;
	size_t n = 0, len = 0, o = 0;
	for (tok = strtok_r(all, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		parts = xrealloc(parts, (n + 1) * sizeof *parts);
		parts[n++] = tok;
		len += strlen(tok) + 1;
	}
	if (n)
		qsort(parts, n, sizeof *parts, cmp_str);
	out = xmalloc(len + 1);
	for (size_t i = 0; i < n; i++) {
		size_t l;
		if (i > 0 && strcmp(parts[i], parts[i - 1]) == 0)
			continue;
		if (o)
			out[o++] = ',';
		l = strlen(parts[i]);
		memcpy(out + o, parts[i], l);
		o += l;
	}
	out[o] = '\0';
	free(parts);
	free(all);
	return out;
}

static void sql_splits_union(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char *u;
	(void)argc;
	u = splits_union((const char *)sqlite3_value_text(argv[0]), (const char *)sqlite3_value_text(argv[1]));
	sqlite3_result_text(ctx, u, -1, free);
}

/* ---- one shard ---- */

typedef struct merge {
	sqlite3 *db;
	const char *out_path;
	int quiet;
	vm_buf said;    /* each shard's counts, printed once the transaction commits */
} merge;

/* The SQL fmt with the shard's schema name for every "@" (no printf: the
 * SQL has '%'). */
static char *with_schema(const char *fmt, const char *schema)
{
	vm_buf sql = { 0 };
	for (const char *p = fmt; *p; p++) {
		if (*p == '@')
			vm_buf_add(&sql, schema);
		else
			vm_buf_addc(&sql, *p);
	}
	return vm_buf_steal(&sql);
}

/* Run one statement made from fmt (see with_schema); returns the rows
 * changed, or -1 with the message printed. */
static long long run(merge *m, const char *shard, const char *schema, const char *fmt)
{
	char *sql = with_schema(fmt, schema), err[1024];
	long long changed;
	if (vm_db_exec(m->db, sql, err, sizeof err) != 0) {
		vm_warn("%s: merging: %s", shard, err);
		free(sql);
		return -1;
	}
	changed = sqlite3_changes64(m->db);
	free(sql);
	return changed;
}

/* Conflicts between the shard and what is merged so far. */
static const char conflict_sql[] =
	"SELECT sn.id,"
	" CASE WHEN sn.id IS NOT mn.id OR sn.category IS NOT mn.category OR sn.subcategory IS NOT mn.subcategory"
	"   OR sn.title IS NOT mn.title OR sn.url IS NOT mn.url THEN 'metadata'"
	"  WHEN sn.outcome IS NOT mn.outcome THEN 'outcome' ELSE 'image' END,"
	" mn.outcome, sn.outcome, mi.sha256, si.sha256"
	" FROM @.news sn JOIN main.news mn ON mn.num = sn.num"
	" LEFT JOIN main.image mi ON mi.news_num = sn.num LEFT JOIN @.image si ON si.news_num = sn.num"
	" WHERE sn.id IS NOT mn.id OR sn.category IS NOT mn.category OR sn.subcategory IS NOT mn.subcategory"
	"   OR sn.title IS NOT mn.title OR sn.url IS NOT mn.url"
	"   OR (sn.state = 'done' AND mn.state = 'done'"
	"       AND (sn.outcome IS NOT mn.outcome OR mi.sha256 IS NOT si.sha256))"
	" ORDER BY sn.num";

static const char *short_sha(const char *s, char *buf)
{
	if (!s)
		return "none";
	snprintf(buf, 13, "%s", s);
	return buf;
}

/* Print the conflicts; returns their number (-1 on a database error). */
static long long conflicts(merge *m, const char *shard, const char *schema)
{
	sqlite3_stmt *st = NULL;
	char *sql = with_schema(conflict_sql, schema);
	long long n = 0;
	int rc;

	if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK) {
		vm_warn("%s: %s", shard, sqlite3_errmsg(m->db));
		free(sql);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const char *mo = (const char *)sqlite3_column_text(st, 2), *so = (const char *)sqlite3_column_text(st, 3);
		char a[16], b[16];
		n++;
		if (n > MAX_CONFLICTS_SHOWN)
			continue;
		if (strcmp(kind, "metadata") == 0)
			vm_warn("conflict: %s: %s and %s (or a shard merged before it) differ in its news metadata",
			        id, shard, m->out_path);
		else if (strcmp(kind, "outcome") == 0)
			vm_warn("conflict: %s: done with outcome '%s' in %s but '%s' in %s (or a shard merged before it)",
			        id, so ? so : "", shard, mo ? mo : "", m->out_path);
		else
			vm_warn("conflict: %s: done with different images: sha256 %s... in %s, %s... in %s (or a shard merged before it)",
			        id, short_sha((const char *)sqlite3_column_text(st, 5), b), shard,
			        short_sha((const char *)sqlite3_column_text(st, 4), a), m->out_path);
	}
	if (rc != SQLITE_DONE) {
		vm_warn("%s: %s", shard, sqlite3_errmsg(m->db));
		n = -1;
	} else if (n > MAX_CONFLICTS_SHOWN) {
		vm_warn("%s: and %lld more conflicts", shard, n - MAX_CONFLICTS_SHOWN);
	}
	sqlite3_finalize(st);
	free(sql);
	return n;
}

/* The statements of one shard, in order; "@" is the shard's schema. */
static const char *const steps[] = {
	/* the items whose row the shard's replaces (or that are new) */
	"DELETE FROM temp.take",
	"INSERT INTO temp.take SELECT sn.num FROM @.news sn LEFT JOIN main.news mn ON mn.num = sn.num"
	" WHERE mn.num IS NULL"
	"  OR (mn.state = 'pending' AND sn.state <> 'pending')"
	"  OR (mn.state = 'failed' AND sn.state = 'done')"
	"  OR (mn.state = 'failed' AND sn.state = 'failed' AND sn.updated_at > mn.updated_at)",
	/* 2: news, new */
	"INSERT INTO main.news SELECT * FROM @.news WHERE num IN (SELECT num FROM temp.take)"
	" AND num NOT IN (SELECT num FROM main.news)",
	/* 3: news, state taken from the shard */
	"UPDATE main.news SET (state, attempts, outcome, last_error, updated_at) ="
	" (SELECT sn.state, sn.attempts, sn.outcome, sn.last_error, sn.updated_at FROM @.news sn WHERE sn.num = news.num)"
	" WHERE num IN (SELECT num FROM temp.take)"
	" AND (state, attempts, outcome, last_error, updated_at) IS NOT"
	" (SELECT sn.state, sn.attempts, sn.outcome, sn.last_error, sn.updated_at FROM @.news sn WHERE sn.num = news.num)",
	/* 4: splits as sets */
	"UPDATE main.news SET splits = x.u FROM"
	" (SELECT sn.num AS num, vm_splits_union(mn.splits, sn.splits) AS u FROM @.news sn JOIN main.news mn ON mn.num = sn.num) AS x"
	" WHERE x.num = news.num AND x.u <> news.splits",
	/* 5, 6: the image follows the news row */
	"DELETE FROM main.image WHERE news_num IN (SELECT num FROM temp.take)",
	"INSERT OR IGNORE INTO main.image SELECT * FROM @.image WHERE news_num IN (SELECT num FROM temp.take)",
	/* 7, 8: resized outputs of the chosen image */
	"DELETE FROM main.resized WHERE source_sha256 IS NOT (SELECT mi.sha256 FROM main.image mi WHERE mi.news_num = resized.news_num)"
	" AND news_num IN (SELECT sr.news_num FROM @.resized sr JOIN main.image mi ON mi.news_num = sr.news_num"
	"   WHERE sr.source_sha256 = mi.sha256)",
	"INSERT OR IGNORE INTO main.resized SELECT sr.* FROM @.resized sr JOIN main.image mi ON mi.news_num = sr.news_num"
	" WHERE sr.source_sha256 = mi.sha256",
	/* 9, 10: resize errors, unless resized */
	"DELETE FROM main.resize_error WHERE news_num IN (SELECT news_num FROM @.resized)"
	" AND news_num IN (SELECT news_num FROM main.resized)",
	"INSERT OR IGNORE INTO main.resize_error SELECT * FROM @.resize_error"
	" WHERE news_num NOT IN (SELECT news_num FROM main.resized)",
	/* 11: requests, renumbered */
	"INSERT INTO main.request (news_num, time, tier, purpose, url, status, error, bytes, ms)"
	" SELECT sq.news_num, sq.time, sq.tier, sq.purpose, sq.url, sq.status, sq.error, sq.bytes, sq.ms"
	" FROM @.request sq WHERE NOT EXISTS (SELECT 1 FROM main.request mq WHERE mq.news_num IS sq.news_num"
	"   AND mq.time = sq.time AND mq.url = sq.url AND mq.purpose IS sq.purpose)"
	" ORDER BY sq.id",
	/* 12: rejected picks, renumbered */
	"INSERT INTO main.rejected (news_num, tier, page_url, image_url, sha256, similarity, reason, rejected_at)"
	" SELECT sr.news_num, sr.tier, sr.page_url, sr.image_url, sr.sha256, sr.similarity, sr.reason, sr.rejected_at"
	" FROM @.rejected sr WHERE NOT EXISTS (SELECT 1 FROM main.rejected mr WHERE mr.news_num = sr.news_num"
	"   AND mr.rejected_at = sr.rejected_at AND mr.sha256 IS sr.sha256 AND mr.image_url IS sr.image_url)"
	" ORDER BY sr.id",
	/* 13: robots.txt, the later fetch wins */
	"INSERT INTO main.robots SELECT * FROM @.robots WHERE true"
	" ON CONFLICT (host) DO UPDATE SET status = excluded.status, body = excluded.body,"
	" fetched_at = excluded.fetched_at WHERE excluded.fetched_at > robots.fetched_at",
	/* 14: meta, the first value wins; not a shard's crawl_out (its own raw
	 * folder: the merged database's raw files are beside it) */
	"INSERT OR IGNORE INTO main.meta SELECT * FROM @.meta WHERE key <> 'crawl_out'",
};
#define NSTEPS (sizeof steps / sizeof steps[0])

static int merge_shard(merge *m, const char *shard, const char *schema)
{
	long long ch[NSTEPS], nconf;
	nconf = conflicts(m, shard, schema);
	if (nconf != 0) {
		if (nconf > 0)
			vm_warn("%s: %lld conflicting item%s", shard, nconf, nconf == 1 ? "" : "s");
		return -1;
	}
	for (size_t i = 0; i < NSTEPS; i++)
		if ((ch[i] = run(m, shard, schema, steps[i])) < 0)
			return -1;
	if (!m->quiet)
		vm_buf_addf(&m->said, "%s: %lld news added, %lld updated, %lld splits merged; %lld images, %lld resized, "
		       "%lld resize errors, %lld requests, %lld rejected, %lld robots\n",
		       shard, ch[2], ch[3], ch[4], ch[6], ch[8], ch[10], ch[11], ch[12], ch[13]);
	return 0;
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Merge n (at most MAX_SHARDS) databases into out, in one transaction.
 * labels name them in messages. 0, or -1 with the reasons printed. */
static int merge_into(const char *out, char **shards, char **labels, int n, int quiet)
{
	merge m = { 0 };
	char err[1024];
	int ret = -1, in_txn = 0;

	m.out_path = out;
	m.quiet = quiet;
	m.db = vm_db_open(out, VM_DB_CREATE, err, sizeof err);
	if (!m.db) {
		vm_warn("%s", err);
		return -1;
	}
	if (sqlite3_create_function(m.db, "vm_splits_union", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	                            sql_splits_union, NULL, NULL) != SQLITE_OK ||
	    vm_db_exec(m.db, "CREATE TEMP TABLE take (num INTEGER PRIMARY KEY)", err, sizeof err) != 0) {
		vm_warn("%s: %s", out, sqlite3_errmsg(m.db));
		goto out;
	}
	/* ATTACH can't run inside a transaction: attach all, then one
	 * transaction for all of them */
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *st = NULL;
		char name[16];
		int rc;
		snprintf(name, sizeof name, "shard%d", i);
		if (sqlite3_prepare_v2(m.db, "ATTACH DATABASE ?1 AS ?2", -1, &st, NULL) != SQLITE_OK) {
			vm_warn("%s: %s", labels[i], sqlite3_errmsg(m.db));
			goto out;
		}
		char *uri = vm_db_uri_readonly(shards[i]);   /* shards are only read */
		sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		free(uri);
		if (rc != SQLITE_DONE) {
			vm_warn("%s: cannot attach: %s", labels[i], sqlite3_errmsg(m.db));
			goto out;
		}
	}
	/* BEGIN IMMEDIATE would take the write lock of every attached shard
	 * too (blocking a crawl still writing one, and failing on a shard
	 * given twice): begin deferred and write to main at once, so only
	 * OUT's lock is taken, waiting for it as long as the busy timeout. */
	if (vm_db_exec(m.db, "BEGIN", err, sizeof err) != 0 ||
	    (in_txn = 1, vm_db_exec(m.db, "UPDATE main.meta SET value = value WHERE 0", err, sizeof err)) != 0) {
		vm_warn("%s: %s", out, err);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof name, "shard%d", i);
		if (merge_shard(&m, labels[i], name) != 0)
			goto out;
	}
	vm_db_commit(m.db);
	in_txn = 0;
	ret = 0;
	if (m.said.len)
		fputs(m.said.p, stdout);
out:
	if (in_txn)
		vm_db_rollback(m.db);
	vm_db_close(m.db);
	vm_buf_free(&m.said);
	return ret;
}

static void remove_db(const char *path)
{
	char *p;
	unlink(path);
	p = xasprintf("%s-wal", path);
	unlink(p);
	free(p);
	p = xasprintf("%s-shm", path);
	unlink(p);
	free(p);
}

/* Any number of shards: groups of MAX_SHARDS are merged into temporary
 * databases beside out (each group in order), and those into out in one
 * transaction, so out is still changed all at once or not at all. Merging
 * is associative and keeps the order of the shards, so the result is the
 * one of merging them one by one. */
static int merge_many(const char *out, char **shards, char **labels, int n, int quiet, int depth)
{
	int ngroups, ret = -1, made = 0;
	char **parts, **plabels;

	if (n <= MAX_SHARDS)
		return merge_into(out, shards, labels, n, quiet);
	ngroups = (n + MAX_SHARDS - 1) / MAX_SHARDS;
	parts = xcalloc((size_t)ngroups, sizeof *parts);
	plabels = xcalloc((size_t)ngroups, sizeof *plabels);
	for (int g = 0; g < ngroups; g++) {
		int first = g * MAX_SHARDS, k = n - first < MAX_SHARDS ? n - first : MAX_SHARDS;
		parts[g] = xasprintf("%s.merge%d-%d.%ld.tmp", out, depth, g, (long)getpid());
		plabels[g] = xasprintf("%s ... %s", labels[first], labels[first + k - 1]);
		remove_db(parts[g]);
		made = g + 1;
		if (merge_into(parts[g], shards + first, labels + first, k, quiet) != 0)
			goto out;
	}
	ret = merge_many(out, parts, plabels, ngroups, 1, depth + 1);
out:
	for (int g = 0; g < ngroups; g++) {
		if (g < made)
			remove_db(parts[g]);
		free(parts[g]);
		free(plabels[g]);
	}
	free(parts);
	free(plabels);
	return ret;
}

int main(int argc, char **argv)
{
	vm_cli cli = {
		.synopsis = "vmind-merge [options] OUT.db SHARD.db...",
		.summary = "Merge the provenance databases of a sharded crawl into OUT.db, in one transaction.",
		.options = options,
		.footer = "Exit status: 0 merged; 2 usage or input error, or conflicting items (nothing merged).\n",
	};
	char err[1024], **shards;
	const char *out;
	int c, nshards, quiet = 0;

	vm_set_progname(argv[0]);
	while ((c = vm_cli_next(&cli, argc, argv)) != -1) {
		if (c == 'q')
			quiet = 1;
	}
	if (argc - optind < 2)
		vm_cli_usage_error(&cli, "give OUT.db and at least one SHARD.db");
	vm_cli_free(&cli);
	out = argv[optind];
	shards = argv + optind + 1;
	nshards = argc - optind - 1;

	/* every shard: a vmind database of this schema version, not OUT */
	for (int i = 0; i < nshards; i++) {
		sqlite3 *sdb;
		if (same_file(shards[i], out))
			vm_die("%s: is the output database itself", shards[i]);
		sdb = vm_db_open(shards[i], VM_DB_READONLY, err, sizeof err);
		if (!sdb)
			vm_die("%s", err);
		vm_db_close(sdb);
	}
	int existed = vm_file_exists(out);
	if (merge_many(out, shards, shards, nshards, quiet, 1) != 0) {
		if (!existed)
			remove_db(out);   /* made by this run: nothing is left of it */
		vm_warn("%s: nothing merged", out);
		return VM_EXIT_USAGE;
	}
	return VM_EXIT_OK;
}
