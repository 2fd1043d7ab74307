/* test-db.c: unit tests of the provenance database (vmind/lib/db.c): creating,
 * reopening and refusing files (newer schema, not SQLite, not vmind's,
 * missing, read-only cases), forward migrations with the test's own step
 * lists including a failing step that must leave nothing behind, the news
 * registration upsert and its splits set, transactions, integrity and
 * foreign-key checks, CHECK constraints, WAL mode, vm_split_from_path, and
 * the statement helpers, whose errors (run in a child process) are fatal and
 * name the database file.
 * Set VMIND_DB_BENCH_NEWS=N to time N registrations (default 20000; the
 * figure printed is a TAP comment, never a pass condition). */
#include "config.h"
#include "vmind/lib/db.h"
#include "vmind/lib/util.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* first column of the first row as text ("" when no row, "ERR" on error) */
static const char *q_text(sqlite3 *db, const char *sql)
{
	static char buf[4096];
	sqlite3_stmt *st = NULL;
	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(buf, sizeof buf, "ERR %s", sqlite3_errmsg(db));
		return buf;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		snprintf(buf, sizeof buf, "%s", t ? t : "NULL");
	} else if (rc != SQLITE_DONE) {
		snprintf(buf, sizeof buf, "ERR %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return buf;
}

static long long q_int(sqlite3 *db, const char *sql)
{
	return atoll(q_text(db, sql));
}

/* run SQL; 1 when it succeeded */
static int run(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* A raw SQLite connection, bypassing vm_db_open */
static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return NULL;
	return db;
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	if (!fp)
		vm_die_errno("%s", path);
	fputs(text, fp);
	fclose(fp);
}

static vm_news mk_news(const char *id, uint32_t num, const char *title)
{
	vm_news n;
	memset(&n, 0, sizeof n);
	n.id = id;
	n.num = num;
	n.category = "news";
	n.subcategory = "newsus";
	n.title = title;
	n.abstract = "";
	n.url = "https://assets.msn.com/labs/mind/AAGH0ET.html";
	n.title_entities = "";
	n.abstract_entities = "";
	return n;
}

static void test_create_reopen(void)
{
	char err[512];
	char *p = path_in("a.db");
	sqlite3 *db = vm_db_open(p, VM_DB_CREATE, err, sizeof err);
	ok(db != NULL, "create a new database");
	if (!db) {
		printf("# %s\n", err);
		exit(1);
	}
	ok(vm_db_version(db) == 2 && VM_DB_SCHEMA_VERSION == 2, "new database has schema version 2");
	is_str(q_text(db, "PRAGMA journal_mode"), "wal", "journal mode is WAL");
	is_str(q_text(db, "PRAGMA foreign_keys"), "1", "foreign keys are on");
	is_str(q_text(db, "PRAGMA synchronous"), "1", "synchronous is NORMAL");
	is_str(q_text(db, "PRAGMA application_id"), "1447906884", "application_id is 'VMND' (0x564D4E44)");
	is_str(q_text(db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master"
	              " WHERE type = 'table' ORDER BY name)"),
	       "image meta news rejected request resize_error resized robots",
	       "the schema's tables exist");
	ok(vm_db_integrity(db, err, sizeof err) == 0, "integrity ok on a new database");
	ok(run(db, "INSERT INTO meta VALUES ('k', 'v')"), "write works");
	{
		char *wal = xasprintf("%s-wal", p);
		ok(access(wal, F_OK) == 0, "a -wal file exists after a write");
		free(wal);
	}
	vm_db_close(db);

	db = vm_db_open(p, 0, err, sizeof err);
	ok(db != NULL && vm_db_version(db) == 2, "reopen without VM_DB_CREATE");
	if (db)
		is_str(q_text(db, "SELECT value FROM meta WHERE key = 'k'"), "v", "data kept on reopen");
	vm_db_close(db);

	db = vm_db_open(p, VM_DB_READONLY, err, sizeof err);
	ok(db != NULL, "open read-only");
	if (db) {
		is_str(q_text(db, "SELECT value FROM meta WHERE key = 'k'"), "v", "read-only reads");
		ok(!run(db, "INSERT INTO meta VALUES ('k2', 'v2')"), "read-only refuses a write");
		ok(vm_db_integrity(db, err, sizeof err) == 0, "integrity ok read-only");
	}
	vm_db_close(db);

	/* an empty file (SQLite's view: an empty database) gets the schema */
	free(p);
	p = path_in("empty.db");
	write_text(p, "");
	db = vm_db_open(p, VM_DB_READONLY, err, sizeof err);
	ok(db == NULL, "read-only refuses an empty (version 0) database");
	{
		char *want = xasprintf("%s: not a vmind database (no schema; a writing tool such as vmind-crawl creates it)", p);
		is_str(err, want, "... with a message telling to use a writing tool");
		free(want);
	}
	db = vm_db_open(p, 0, err, sizeof err);
	ok(db != NULL && vm_db_version(db) == 2, "read-write open of an empty file creates the schema");
	vm_db_close(db);
	free(p);
}

static void test_refusals(void)
{
	char err[512], *want;
	char *p = path_in("missing.db");
	sqlite3 *db;

	db = vm_db_open(p, 0, err, sizeof err);
	want = xasprintf("%s: No such file or directory", p);
	ok(db == NULL, "missing file without VM_DB_CREATE refused");
	is_str(err, want, "... naming the file");
	db = vm_db_open(p, VM_DB_READONLY, err, sizeof err);
	ok(db == NULL, "missing file read-only refused");
	is_str(err, want, "... naming the file");
	db = vm_db_open(p, VM_DB_READONLY | VM_DB_CREATE, err, sizeof err);
	ok(db == NULL && access(p, F_OK) != 0, "read-only with VM_DB_CREATE creates nothing");
	free(want);
	free(p);

	/* newer schema */
	p = path_in("newer.db");
	db = raw_open(p);
	run(db, "CREATE TABLE future (x); PRAGMA user_version = 7;");
	sqlite3_close(db);
	want = xasprintf("%s: database schema version 7 is newer than this vmind supports (2)", p);
	db = vm_db_open(p, 0, err, sizeof err);
	ok(db == NULL, "a newer schema version is refused");
	is_str(err, want, "... with the exact message");
	db = vm_db_open(p, VM_DB_READONLY, err, sizeof err);
	ok(db == NULL, "a newer schema version is refused read-only too");
	is_str(err, want, "... with the exact message");
	db = raw_open(p);
	is_str(q_text(db, "PRAGMA journal_mode"), "delete", "the refused file was not switched to WAL");
	is_str(q_text(db, "PRAGMA user_version"), "7", "... nor migrated");
	sqlite3_close(db);
	free(want);
	free(p);

	/* not SQLite at all */
	p = path_in("text.db");
	write_text(p, "news_id\tcategory\nN1\tnews\n"
	           "this is a text file and not a database, long enough to have a header\n");
	db = vm_db_open(p, 0, err, sizeof err);
	want = xasprintf("%s: not an SQLite database (file is not a database)", p);
	ok(db == NULL, "a text file is refused");
	is_str(err, want, "... naming it");
	db = vm_db_open(p, VM_DB_READONLY, err, sizeof err);
	ok(db == NULL, "a text file is refused read-only");
	is_str(err, want, "... naming it");
	db = vm_db_open(p, VM_DB_CREATE, err, sizeof err);
	ok(db == NULL, "a text file is refused with VM_DB_CREATE (not overwritten)");
	free(want);
	free(p);

	/* a directory */
	p = path_in("adir");
	mkdir(p, 0700);
	db = vm_db_open(p, 0, err, sizeof err);
	want = xasprintf("%s: Is a directory", p);
	ok(db == NULL, "a directory is refused");
	is_str(err, want, "... naming it");
	free(want);
	free(p);

	/* another application's SQLite file */
	p = path_in("other.db");
	db = raw_open(p);
	run(db, "CREATE TABLE contacts (name TEXT);");
	sqlite3_close(db);
	db = vm_db_open(p, 0, err, sizeof err);
	want = xasprintf("%s: not a vmind database (schema version 0 but it holds 1 schema objects)", p);
	ok(db == NULL, "an SQLite file with tables but no version is refused");
	is_str(err, want, "... with the exact message");
	db = raw_open(p);
	is_str(q_text(db, "SELECT group_concat(name) FROM sqlite_master"), "contacts", "... and left as it was");
	run(db, "PRAGMA application_id = 42");
	sqlite3_close(db);
	free(want);
	db = vm_db_open(p, 0, err, sizeof err);
	want = xasprintf("%s: not a vmind database (application_id 0x0000002a)", p);
	ok(db == NULL, "another application_id is refused");
	is_str(err, want, "... with the exact message");
	free(want);
	free(p);
}

/* the test's own schema history: 1 -> 2 adds a column, 2 -> 3 a table */
static const vm_db_migration steps_ok[] = {
	{ 2, "CREATE TABLE extra (news_num INTEGER REFERENCES news (num), note TEXT);" },
	{ 1, "ALTER TABLE news ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';"
	     "INSERT INTO meta VALUES ('migrated_1_2', 'yes');" },
};
static const vm_db_migration steps_bad[] = {
	{ 1, "ALTER TABLE news ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';" },
	{ 2, "CREATE TABLE extra (x); CREATE TABLE broken (;" },
};
static const vm_db_migration steps_fk[] = {
	{ 1, "INSERT INTO image (news_num, tier, fetched_at) VALUES (99, 'origin', 0);" },
};

static int has_column(sqlite3 *db, const char *table, const char *col)
{
	char *sql = xasprintf("SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", table, col);
	int n = (int)q_int(db, sql);
	free(sql);
	return n == 1;
}

static void test_migrate(void)
{
	char err[512];
	char *p = path_in("mig.db");
	sqlite3 *db = raw_open(p);

	ok(vm_db_version(db) == 0, "a fresh raw file has version 0");
	ok(vm_db_migrate(db, steps_ok, 2, 3, err, sizeof err) == 0, "migrate 0 -> 1 -> 2 -> 3 in one call");
	ok(vm_db_version(db) == 3, "... version is 3");
	ok(has_column(db, "news", "lang"), "... step 1->2 ran (news.lang)");
	is_str(q_text(db, "SELECT value FROM meta WHERE key = 'migrated_1_2'"), "yes", "... step 1->2's insert is there");
	is_str(q_text(db, "SELECT count(*) FROM sqlite_master WHERE name = 'extra'"), "1", "... step 2->3 ran (table extra)");
	ok(vm_db_migrate(db, steps_ok, 2, 3, err, sizeof err) == 0 && vm_db_version(db) == 3,
	   "migrating to the current version is a no-op");
	ok(vm_db_migrate(db, steps_ok, 2, 2, err, sizeof err) < 0, "migrating backwards is refused");
	is_str(err, "database schema version 3 is newer than the target version 2", "... with a message");
	is_str(q_text(db, "PRAGMA foreign_keys"), "0", "foreign_keys state restored (was off)");
	sqlite3_close(db);
	free(p);

	/* step by step: 0 -> 1, then 1 -> 2, then 2 -> 3 */
	p = path_in("mig2.db");
	db = raw_open(p);
	run(db, "PRAGMA foreign_keys = ON");
	ok(vm_db_migrate(db, steps_ok, 2, 1, err, sizeof err) == 0 && vm_db_version(db) == 1, "migrate 0 -> 1 (base schema)");
	ok(!has_column(db, "news", "lang"), "... and no further");
	ok(vm_db_migrate(db, steps_ok, 2, 2, err, sizeof err) == 0 && vm_db_version(db) == 2, "migrate 1 -> 2");
	ok(vm_db_migrate(db, steps_ok, 2, 3, err, sizeof err) == 0 && vm_db_version(db) == 3, "migrate 2 -> 3");
	is_str(q_text(db, "PRAGMA foreign_keys"), "1", "foreign_keys state restored (was on)");
	sqlite3_close(db);
	free(p);

	/* a failing step leaves everything as it was: from 0 */
	p = path_in("mig3.db");
	db = raw_open(p);
	ok(vm_db_migrate(db, steps_bad, 2, 3, err, sizeof err) < 0, "a failing step 2->3 fails the migration");
	ok(strncmp(err, "migration from schema version 2 to 3: ", 38) == 0, "... the message names the step: %s", err);
	ok(vm_db_version(db) == 0, "... user_version unchanged (0)");
	is_str(q_text(db, "SELECT count(*) FROM sqlite_master"), "0", "... and no table of the base schema or step 1 left");
	ok(sqlite3_get_autocommit(db), "... and no transaction left open");
	/* from 1 */
	ok(vm_db_migrate(db, steps_bad, 2, 1, err, sizeof err) == 0, "migrate to 1");
	run(db, "INSERT INTO news (num, id, category, subcategory, title, url) VALUES (5, 'N5', 'c', 's', 't', 'u')");
	ok(vm_db_migrate(db, steps_bad, 2, 3, err, sizeof err) < 0, "failing 1 -> 2 -> 3");
	ok(vm_db_version(db) == 1, "... user_version unchanged (1)");
	ok(!has_column(db, "news", "lang"), "... step 1->2 rolled back");
	is_str(q_text(db, "SELECT id FROM news"), "N5", "... data kept");
	/* a gap in the list */
	ok(vm_db_migrate(db, steps_ok + 1, 1, 3, err, sizeof err) < 0, "a missing step fails");
	is_str(err, "no migration from schema version 2 to 3", "... naming the gap");
	ok(vm_db_version(db) == 1 && !has_column(db, "news", "lang"), "... nothing changed");
	/* a step that breaks a foreign key */
	ok(vm_db_migrate(db, steps_fk, 1, 2, err, sizeof err) < 0, "a step leaving a foreign key violation fails");
	is_str(err, "after migration: foreign key violation: image row 99 refers to a missing news row",
	       "... with the exact message");
	is_str(q_text(db, "SELECT count(*) FROM image"), "0", "... rolled back");
	/* inside an open transaction */
	run(db, "BEGIN");
	ok(vm_db_migrate(db, steps_ok, 2, 3, err, sizeof err) < 0, "migrating inside a transaction is refused");
	run(db, "ROLLBACK");
	sqlite3_close(db);
	free(p);

	/* read-only on a version the build knows but that isn't current can
	 * only be tested with a version 0 file here (VM_DB_SCHEMA_VERSION is
	 * 1); see test_create_reopen */
}

static void test_constraints(void)
{
	char err[512];
	char *p = path_in("c.db");
	sqlite3 *db = vm_db_open(p, VM_DB_CREATE, err, sizeof err);
	vm_news n = mk_news("N10", 10, "A title");

	ok(vm_db_add_news(db, &n, "train", err, sizeof err) == 0, "add N10");
	ok(run(db, "INSERT INTO image (news_num, tier, fetched_at) VALUES (10, 'origin', 1)"), "image for N10 accepted");
	ok(!run(db, "INSERT INTO image (news_num, tier, fetched_at) VALUES (11, 'origin', 1)"), "foreign key: image for a missing news refused");
	ok(strstr(sqlite3_errmsg(db), "FOREIGN KEY") != NULL, "... as a FOREIGN KEY failure (%s)", sqlite3_errmsg(db));
	ok(!run(db, "INSERT INTO request (news_num, time, url) VALUES (11, 1, 'http://x/')"), "foreign key: request for a missing news refused");
	ok(run(db, "INSERT INTO request (news_num, time, url) VALUES (NULL, 1, 'http://x/robots.txt')"), "a request for no item (NULL) accepted");
	ok(!run(db, "UPDATE image SET tier = 'bogus' WHERE news_num = 10"), "CHECK: bad tier refused");
	ok(strstr(sqlite3_errmsg(db), "CHECK") != NULL, "... as a CHECK failure (%s)", sqlite3_errmsg(db));
	ok(run(db, "UPDATE image SET tier = 'placeholder' WHERE news_num = 10"), "tier placeholder accepted");
	ok(!run(db, "UPDATE news SET state = 'running' WHERE num = 10"), "CHECK: bad state refused");
	ok(run(db, "UPDATE news SET state = 'done' WHERE num = 10") &&
	   run(db, "UPDATE news SET state = 'failed' WHERE num = 10"), "states done and failed accepted");
	ok(!run(db, "INSERT INTO news (num, id, category, subcategory, title, url) VALUES (12, 'N13', 'c', 's', 't', 'u')"),
	   "CHECK: id must be 'N' || num");
	ok(!run(db, "UPDATE news SET attempts = -1 WHERE num = 10"), "CHECK: attempts >= 0");
	ok(!run(db, "UPDATE image SET similarity = 1.5 WHERE news_num = 10"), "CHECK: similarity in 0..1");
	ok(!run(db, "INSERT INTO resized (news_num, path, sha256, source_sha256, size, mode, format, phash, created_at)"
	        " VALUES (10, 'N10.jpg', 'a', 'b', 224, 'squash', 'jpg', 0, 1)"), "CHECK: bad resize mode refused");
	ok(run(db, "INSERT INTO resized (news_num, path, sha256, source_sha256, size, mode, format, phash, created_at)"
	       " VALUES (10, 'N10.jpg', 'a', 'b', 224, 'crop', 'jpg', -9223372036854775808, 1)"), "a 64-bit phash fits");
	ok(!run(db, "INSERT INTO rejected (news_num, tier, rejected_at) VALUES (99, 'search', 1)"), "foreign key: rejected for a missing news refused");
	ok(vm_db_integrity(db, err, sizeof err) == 0, "integrity ok");

	/* integrity also reports foreign-key damage done with the keys off */
	run(db, "PRAGMA foreign_keys = OFF");
	run(db, "INSERT INTO image (news_num, tier, fetched_at) VALUES (77, 'origin', 1)");
	run(db, "PRAGMA foreign_keys = ON");
	ok(vm_db_integrity(db, err, sizeof err) < 0, "integrity check finds a dangling image row");
	is_str(err, "foreign key violation: image row 77 refers to a missing news row", "... with the exact message");
	vm_db_close(db);
	free(p);
}

static void test_add_news(void)
{
	char err[512];
	char *p = path_in("n.db");
	sqlite3 *db = vm_db_open(p, VM_DB_CREATE, err, sizeof err);
	vm_news a = mk_news("N1", 1, "First title");
	vm_news b = mk_news("N1", 1, "Changed title");

	ok(vm_db_add_news(db, &a, "train", err, sizeof err) == 0, "add N1 train");
	is_str(q_text(db, "SELECT splits || '|' || state || '|' || attempts || '|' || title || '|' || category"
	              " || '|' || subcategory || '|' || url || '|' || (updated_at > 1.7e9) FROM news WHERE num = 1"),
	       "train|pending|0|First title|news|newsus|https://assets.msn.com/labs/mind/AAGH0ET.html|1",
	       "new row: pending, 0 attempts, metadata, updated_at set");
	ok(vm_db_add_news(db, &b, "dev", err, sizeof err) == 0, "add N1 dev");
	is_str(q_text(db, "SELECT splits || '|' || title FROM news WHERE num = 1"), "dev,train|First title",
	       "splits merged sorted, metadata kept");
	ok(vm_db_add_news(db, &b, "train", err, sizeof err) == 0, "add N1 train again");
	is_str(q_text(db, "SELECT splits FROM news WHERE num = 1"), "dev,train", "no duplicate split");
	vm_db_add_news(db, &a, "a", err, sizeof err);
	vm_db_add_news(db, &a, "test", err, sizeof err);
	vm_db_add_news(db, &a, "tr", err, sizeof err);
	vm_db_add_news(db, &a, "train_x", err, sizeof err);
	vm_db_add_news(db, &a, "zz", err, sizeof err);
	vm_db_add_news(db, &a, "dev", err, sizeof err);
	is_str(q_text(db, "SELECT splits FROM news WHERE num = 1"), "a,dev,test,tr,train,train_x,zz",
	       "first, middle, prefix and last positions kept sorted");
	run(db, "UPDATE news SET state = 'done', attempts = 2 WHERE num = 1");
	vm_db_add_news(db, &a, "MINDlarge_dev", err, sizeof err);
	is_str(q_text(db, "SELECT splits || '|' || state || '|' || attempts FROM news WHERE num = 1"),
	       "MINDlarge_dev,a,dev,test,tr,train,train_x,zz|done|2",
	       "re-adding keeps the state and attempts (byte order: upper case first)");

	ok(vm_db_add_news(db, &a, "a,b", err, sizeof err) < 0, "a split with a comma is refused");
	is_str(err, "N1: bad split name 'a,b' (empty, or holds a comma or control character)", "... with the message");
	ok(vm_db_add_news(db, &a, "", err, sizeof err) < 0, "an empty split is refused");
	{
		vm_news bad = mk_news("N3", 4, "mismatch");
		ok(vm_db_add_news(db, &bad, "train", err, sizeof err) < 0, "an id that doesn't match its number is refused");
		ok(strncmp(err, "N3: CHECK constraint failed", 27) == 0, "... naming the item: %s", err);
	}

	/* transactions */
	vm_news c = mk_news("N2", 2, "Second");
	vm_db_begin(db);
	ok(!sqlite3_get_autocommit(db), "vm_db_begin opens a transaction");
	vm_db_add_news(db, &c, "train", err, sizeof err);
	vm_db_rollback(db);
	is_str(q_text(db, "SELECT count(*) FROM news WHERE num = 2"), "0", "rolled back add is gone");
	vm_db_begin(db);
	vm_db_add_news(db, &c, "train", err, sizeof err);
	vm_db_commit(db);
	is_str(q_text(db, "SELECT count(*) FROM news WHERE num = 2"), "1", "committed add is there");
	vm_db_rollback(db);
	ok(1, "vm_db_rollback outside a transaction is harmless");

	/* a second reader sees committed rows while a writer holds a transaction */
	{
		sqlite3 *r = vm_db_open(p, VM_DB_READONLY, err, sizeof err);
		vm_news d = mk_news("N3", 3, "Third");
		vm_db_begin(db);
		vm_db_add_news(db, &d, "dev", err, sizeof err);
		is_str(q_text(r, "SELECT count(*) FROM news"), "2", "a reader is not blocked by the writer and sees committed rows only");
		vm_db_commit(db);
		is_str(q_text(r, "SELECT count(*) FROM news"), "3", "... then the commit");
		vm_db_close(r);
	}
	{
		/* a caller's statement still open at close: finalized afterwards */
		sqlite3_stmt *st = NULL;
		sqlite3_prepare_v2(db, "SELECT count(*) FROM news", -1, &st, NULL);
		vm_db_close(db);
		ok(sqlite3_finalize(st) == SQLITE_OK, "a caller's statement can be finalized after vm_db_close");
	}
	free(p);
}

static void bench_add_news(void)
{
	char err[512];
	char *p = path_in("bench.db");
	sqlite3 *db = vm_db_open(p, VM_DB_CREATE, err, sizeof err);
	const char *env = getenv("VMIND_DB_BENCH_NEWS");
	long n = env ? atol(env) : 20000, bad = 0;
	char id[32], title[96];
	double t0, t1, t2;

	if (n < 1)
		n = 1;
	t0 = vm_now();
	vm_db_begin(db);
	for (long i = 1; i <= n; i++) {
		snprintf(id, sizeof id, "N%ld", i);
		snprintf(title, sizeof title, "Synthetic headline number %ld about something that happened", i);
		vm_news row = mk_news(id, (uint32_t)i, title);
		if (vm_db_add_news(db, &row, "train", err, sizeof err) < 0)
			bad++;
	}
	vm_db_commit(db);
	t1 = vm_now();
	/* a second split over the same items: the merge path */
	vm_db_begin(db);
	for (long i = 1; i <= n; i++) {
		snprintf(id, sizeof id, "N%ld", i);
		vm_news row = mk_news(id, (uint32_t)i, "x");
		if (vm_db_add_news(db, &row, "dev", err, sizeof err) < 0)
			bad++;
	}
	vm_db_commit(db);
	t2 = vm_now();
	ok(bad == 0, "%ld registrations in two transactions without error", 2 * n);
	ok(q_int(db, "SELECT count(*) FROM news") == n &&
	   q_int(db, "SELECT count(*) FROM news WHERE splits = 'dev,train'") == n,
	   "all %ld items present with splits dev,train", n);
	printf("# add_news: %ld new rows in one transaction: %.3f s, %.0f rows/s\n", n, t1 - t0, n / (t1 - t0));
	printf("# add_news: %ld merges (second split) in one transaction: %.3f s, %.0f rows/s\n", n, t2 - t1, n / (t2 - t1));
	ok(vm_db_integrity(db, err, sizeof err) == 0, "integrity ok after the bulk load");
	vm_db_close(db);
	free(p);
}

static void test_split_from_path(void)
{
	static const char *cases[][2] = {
		{ "MINDlarge_train/news.tsv", "MINDlarge_train" },
		{ "/data/mind/MINDsmall_dev/news.tsv", "MINDsmall_dev" },
		{ "mind/train/news.tsv", "train" },
		{ "mind//dev//news.tsv", "dev" },
		{ "news.tsv", "news" },
		{ "./news.tsv", "news" },
		{ "../news.tsv", "news" },
		{ "/news.tsv", "news" },
		{ "archive.tar.tsv", "archive.tar" },
		{ ".hidden", ".hidden" },
		{ "-", "-" },
		{ "a,b/news.tsv", "a_b" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = vm_split_from_path(cases[i][0]);
		is_str(s, cases[i][1], "vm_split_from_path(\"%s\")", cases[i][0]);
		free(s);
	}
}

/* ":memory:" databases (handy for tools' scratch work and tests) open with
 * the full schema, though they cannot be in WAL mode. */
static void test_memory(void)
{
	char err[512] = "";
	sqlite3 *db = vm_db_open(":memory:", VM_DB_CREATE, err, sizeof err);
	if (!ok(db != NULL, "an in-memory database opens")) {
		printf("#   %s\n", err);
		return;
	}
	ok(vm_db_version(db) == VM_DB_SCHEMA_VERSION, "in-memory database has the current schema");
	ok(vm_db_integrity(db, err, sizeof err) == 0, "in-memory database passes integrity_check");
	vm_db_close(db);
}

/* The statement helpers of db.h on a scratch table: prepare, step, bind,
 * column copies and the one-integer query. */
static void test_statement_helpers(void)
{
	char err[512];
	char *p = path_in("stmt.db");
	sqlite3 *db = vm_db_open(p, VM_DB_CREATE, err, sizeof err);
	sqlite3_stmt *ins, *sel;
	char *text;
	if (!ok(db != NULL, "open a database for the statement helpers")) {
		printf("#   %s\n", err);
		free(p);
		return;
	}
	ok(vm_db_exec(db, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)", err, sizeof err) == 0,
	   "a scratch table");
	ins = vm_db_prepare(db, "INSERT INTO t (k, v) VALUES (?1, ?2)");
	ok(ins != NULL, "vm_db_prepare gives a statement");
	sqlite3_bind_int(ins, 1, 1);
	vm_db_bind_text(ins, 2, "one");
	vm_db_step_done(db, ins);
	sqlite3_bind_int(ins, 1, 2);
	vm_db_step_done(db, ins);
	{
		char *gone = xstrdup("transient");
		sqlite3_bind_int(ins, 1, 3);
		vm_db_bind_text(ins, 2, gone);
		memset(gone, 'x', strlen(gone));   /* SQLITE_TRANSIENT: SQLite kept its own copy */
		free(gone);
		vm_db_step_done(db, ins);
	}
	sqlite3_bind_int(ins, 1, 4);
	vm_db_bind_text(ins, 2, NULL);
	vm_db_step_done(db, ins);
	sqlite3_finalize(ins);
	ok(vm_db_query_int(db, "SELECT count(*) FROM t") == 4, "vm_db_step_done resets: one statement, four rows");
	is_str(q_text(db, "SELECT v FROM t WHERE k = 1"), "one", "vm_db_bind_text binds the text");
	is_str(q_text(db, "SELECT v FROM t WHERE k = 2"), "NULL",
	       "vm_db_step_done clears the bindings: a value not bound again is NULL");
	is_str(q_text(db, "SELECT v FROM t WHERE k = 3"), "transient", "a bound text may be freed right after");
	is_str(q_text(db, "SELECT v FROM t WHERE k = 4"), "NULL", "vm_db_bind_text(NULL) binds NULL");
	ok(vm_db_query_int(db, "SELECT k * 10 FROM t WHERE v = 'one'") == 10, "vm_db_query_int: the first column");
	ok(vm_db_query_int(db, "SELECT k FROM t WHERE v = 'nothing'") == 0, "vm_db_query_int: 0 when no row");
	ok(vm_db_query_int(db, "SELECT 4294967296 * 3") == 12884901888LL, "vm_db_query_int: 64-bit values");

	sel = vm_db_prepare(db, "SELECT v FROM t WHERE k IN (1, 4) ORDER BY k");
	ok(vm_db_step_row(db, sel) == 1, "vm_db_step_row: 1 with a row");
	text = vm_db_column_dup(sel, 0);
	is_str(vm_db_column_text(sel, 0), "one", "vm_db_column_text: the text as SQLite holds it");
	ok(vm_db_step_row(db, sel) == 1, "a second row");
	is_str(text, "one", "vm_db_column_dup: the copy outlives the step");
	ok(vm_db_column_dup(sel, 0) == NULL && vm_db_column_text(sel, 0) == NULL,
	   "vm_db_column_dup and vm_db_column_text of NULL are NULL");
	ok(vm_db_step_row(db, sel) == 0, "vm_db_step_row: 0 when there are no more rows");
	free(text);
	sqlite3_finalize(sel);
	vm_db_close(db);
	free(p);
}

/* Run one helper that must die in a child process; its exit status and what
 * it wrote on stderr. */
static int die_in_child(const char *dbpath, int which, char *msg, size_t msglen)
{
	int fds[2], status = -1;
	pid_t pid;
	ssize_t n;
	size_t got = 0;
	fflush(stdout);
	if (pipe(fds) != 0 || (pid = fork()) < 0)
		vm_die_errno("fork");
	if (pid == 0) {
		char err[512];
		sqlite3 *db;
		dup2(fds[1], 2);
		close(fds[0]);
		db = vm_db_open(dbpath, 0, err, sizeof err);
		if (!db)
			_exit(99);
		if (which == 0) {
			vm_db_prepare(db, "SELECT * FROM no_such_table");
		} else if (which == 1) {
			sqlite3_stmt *st = vm_db_prepare(db, "INSERT INTO t (k, v) VALUES (1, 'again')");
			vm_db_step_done(db, st);
		} else if (which == 2) {
			vm_db_query_int(db, "SELECT abs(-9223372036854775807 - 1)");
		} else if (which == 3) {
			sqlite3_stmt *st = vm_db_prepare(db, "SELECT abs(k - 9223372036854775807 - 2) FROM t");
			while (vm_db_step_row(db, st))
				;
		} else {
			vm_db_begin(db);
			vm_db_begin(db);
		}
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < msglen && (n = read(fds[0], msg + got, msglen - 1 - got)) > 0)
		got += (size_t)n;
	msg[got] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A database error in a statement helper is fatal: exit 2, and the message
 * names the database file, the statement and SQLite's reason. */
static void test_statement_errors(void)
{
	char *p = path_in("stmt.db"), *full = realpath(p, NULL), msg[2048], *want;
	static const char *const cases[][2] = {
		{ "vm_db_prepare of a bad statement", ": SELECT * FROM no_such_table: no such table: no_such_table" },
		{ "vm_db_step_done of a failing insert",
		  ": INSERT INTO t (k, v) VALUES (1, 'again'): UNIQUE constraint failed: t.k" },
		{ "vm_db_query_int of a failing query", ": SELECT abs(-9223372036854775807 - 1): integer overflow" },
		{ "vm_db_step_row of a failing query",
		  ": SELECT abs(k - 9223372036854775807 - 2) FROM t: integer overflow" },
		{ "vm_db_begin inside a transaction",
		  ": BEGIN IMMEDIATE: cannot start a transaction within a transaction" },
	};
	if (!ok(full != NULL, "the statement test database exists")) {
		free(p);
		return;
	}
	for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
		int rc = die_in_child(p, i, msg, sizeof msg);
		want = xasprintf("test-db: %s%s\n", full, cases[i][1]);
		ok(rc == VM_EXIT_USAGE, "%s dies with exit status 2 (got %d)", cases[i][0], rc);
		is_str(msg, want, "... naming the database file, the statement and the reason");
		free(want);
	}
	free(full);
	free(p);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/test-db.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		vm_die_errno("mkdtemp");
	vm_set_progname("test-db");

	test_create_reopen();
	test_refusals();
	test_migrate();
	test_constraints();
	test_add_news();
	test_split_from_path();
	test_memory();
	test_statement_helpers();
	test_statement_errors();
	bench_add_news();

	if (!getenv("KEEP_TEST_DIR")) {
		char *cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		free(cmd);
	}
	return tap_done();
}
