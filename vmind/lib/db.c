/* db.c: the provenance database declared in db.h. Opening a file sets the
 * connection up the way every tool needs it (WAL, foreign keys, synchronous
 * NORMAL, a busy timeout), refuses files that are not SQLite or not vmind's,
 * or that a newer vmind wrote, and brings an empty or older database to the
 * schema version of this build in one transaction: the base schema compiled
 * in from schema.sql gives version 1, the list `migrations` below takes it
 * further. It also holds the statements every tool runs: transactions,
 * integrity checks and the registration of news items, whose prepared
 * statements are kept on the connection itself (found again with
 * sqlite3_next_stmt) so that 130k calls do not prepare 130k statements. */
#include "config.h"
#include "db.h"
#include "buf.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* PRAGMA application_id of a vmind database: 'VMND'. A file that carries
 * another application's id is refused. */
#define VM_DB_APPLICATION_ID 0x564D4E44

/* The forward migrations of the real schema: entry {N, sql} takes version N
 * to N + 1. Version 0 -> 1 is the base schema itself (vm_schema_sql). To
 * change the schema, append {1, "ALTER TABLE ...;"} here, bump
 * VM_DB_SCHEMA_VERSION in db.h and document the change in man/vmind.7; never
 * edit schema.sql's version-1 statements in place once a database exists.
 * A step that rebuilds a table (SQLite's 12-step ALTER) runs with foreign
 * keys off; vm_db_migrate() checks them before committing. */
static const vm_db_migration migrations[] = {
	/* 1 -> 2: the colour signature of a resized image, which duplicate
	 * detection checks beside the pHash (NULL: made by an older
	 * vmind-resize, redone by the next run) */
	{ 1, "ALTER TABLE resized ADD COLUMN colour INTEGER;" },
	{ 0, NULL }   /* sentinel */
};
static const size_t n_migrations = sizeof migrations / sizeof migrations[0] - 1;

static void set_err(char *err, size_t errlen, const char *fmt, ...) VM_PRINTF(3, 4);
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* "FILE: " + the message already in err */
static void prefix_err(char *err, size_t errlen, const char *path)
{
	char *msg;
	if (!err || errlen == 0)
		return;
	msg = xstrdup(err);
	snprintf(err, errlen, "%s: %s", path, msg);
	free(msg);
}

/* One integer from a pragma or query; -1 with a message on error. */
static int query_int(sqlite3 *db, const char *sql, long long *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		set_err(err, errlen, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int vm_db_version(sqlite3 *db)
{
	long long v;
	if (query_int(db, "PRAGMA user_version", &v, NULL, 0) < 0)
		return -1;
	return (int)v;
}

int vm_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		set_err(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* The first foreign-key violation as text, or 0 when there is none. */
static int foreign_key_problem(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK) {
		set_err(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(st, 0);
		const char *parent = (const char *)sqlite3_column_text(st, 2);
		set_err(err, errlen, "foreign key violation: %s row %lld refers to a missing %s row",
		        table ? table : "?", (long long)sqlite3_column_int64(st, 1),
		        parent ? parent : "?");
		ret = -1;
	} else if (rc != SQLITE_DONE) {
		set_err(err, errlen, "%s", sqlite3_errmsg(db));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

int vm_db_integrity(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *res;
	int ret = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		set_err(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		set_err(err, errlen, "%s", sqlite3_errmsg(db));
		goto out;
	}
	res = (const char *)sqlite3_column_text(st, 0);
	if (!res || strcmp(res, "ok") != 0) {
		set_err(err, errlen, "integrity check: %s", res ? res : "(no answer)");
		goto out;
	}
	ret = foreign_key_problem(db, err, errlen);
out:
	sqlite3_finalize(st);
	return ret;
}

/* Foreign keys can only be switched outside a transaction. */
static void set_foreign_keys(sqlite3 *db, int on)
{
	sqlite3_exec(db, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF",
	             NULL, NULL, NULL);
}

/* Version 0 -> 1: an empty file gets the base schema and vmind's
 * application id; anything else at version 0 is not vmind's. */
static int apply_base_schema(sqlite3 *db, char *err, size_t errlen)
{
	long long nobj, app;
	char sql[96];
	if (query_int(db, "SELECT count(*) FROM sqlite_master", &nobj, err, errlen) < 0 ||
	    query_int(db, "PRAGMA application_id", &app, err, errlen) < 0)
		return -1;
	if (nobj > 0 || (app != 0 && app != VM_DB_APPLICATION_ID)) {
		set_err(err, errlen, "not a vmind database (schema version 0 but it holds %lld schema objects)", nobj);
		return -1;
	}
	if (vm_db_exec(db, vm_schema_sql, err, errlen) < 0) {
		prefix_err(err, errlen, "base schema (version 1)");
		return -1;
	}
	snprintf(sql, sizeof sql, "PRAGMA application_id = %d", VM_DB_APPLICATION_ID);
	return vm_db_exec(db, sql, err, errlen);
}

/* The steps from version *v up to target, *v following. */
static int apply_steps(sqlite3 *db, const vm_db_migration *steps, size_t nsteps, long long *v, int target,
                       char *err, size_t errlen)
{
	while (*v < target) {
		const vm_db_migration *m = NULL;
		for (size_t i = 0; i < nsteps && !m; i++)
			if (steps[i].from == *v && steps[i].sql)
				m = &steps[i];
		if (!m) {
			set_err(err, errlen, "no migration from schema version %lld to %lld", *v, *v + 1);
			return -1;
		}
		if (vm_db_exec(db, m->sql, err, errlen) < 0) {
			char what[64];
			snprintf(what, sizeof what, "migration from schema version %lld to %lld", *v, *v + 1);
			prefix_err(err, errlen, what);
			return -1;
		}
		(*v)++;
	}
	return 0;
}

/* Inside the migration's transaction: from the version found to target. */
static int migrate_in_txn(sqlite3 *db, const vm_db_migration *steps, size_t nsteps, int target,
                          char *err, size_t errlen)
{
	long long v;
	char sql[96];
	if (query_int(db, "PRAGMA user_version", &v, err, errlen) < 0)
		return -1;
	if (v > target) {
		set_err(err, errlen, "database schema version %lld is newer than the target version %d", v, target);
		return -1;
	}
	if (v == target)
		return 0;
	if (v == 0) {
		if (apply_base_schema(db, err, errlen) < 0)
			return -1;
		v = 1;
	}
	if (apply_steps(db, steps, nsteps, &v, target, err, errlen) < 0)
		return -1;
	if (foreign_key_problem(db, err, errlen) < 0) {
		prefix_err(err, errlen, "after migration");
		return -1;
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", v);
	return vm_db_exec(db, sql, err, errlen);
}

int vm_db_migrate(sqlite3 *db, const vm_db_migration *steps, size_t nsteps,
                  int target, char *err, size_t errlen)
{
	long long fk = 0;
	int ret;

	if (target < 1) {
		set_err(err, errlen, "bad target schema version %d", target);
		return -1;
	}
	if (!sqlite3_get_autocommit(db)) {
		set_err(err, errlen, "cannot migrate inside an open transaction");
		return -1;
	}
	/* A table rebuild must not cascade deletes: keys are off during the
	 * steps and checked as a whole before the commit. */
	if (query_int(db, "PRAGMA foreign_keys", &fk, err, errlen) < 0)
		return -1;
	if (fk)
		set_foreign_keys(db, 0);
	/* IMMEDIATE: a second process migrating at the same time waits here
	 * and then finds the work done. */
	ret = vm_db_exec(db, "BEGIN IMMEDIATE", err, errlen);
	if (ret == 0) {
		ret = migrate_in_txn(db, steps, nsteps, target, err, errlen);
		if (ret == 0)
			ret = vm_db_exec(db, "COMMIT", err, errlen);
		if (ret < 0 && !sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (fk)
		set_foreign_keys(db, 1);
	return ret;
}

/* Explain why an existing path can't be opened, or 0 when it exists. */
static int check_exists(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(path, &sb) < 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		set_err(err, errlen, "%s: %s", path, strerror(EISDIR));
		return -1;
	}
	return 0;
}

/* The connection, set up the way every tool needs it. NULL with a message
 * when the file can't be opened as asked. */
char *vm_db_uri_readonly(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	char *wal = xasprintf("%s-wal", path);
	struct stat sb;
	int writable = access(dir, W_OK) == 0, pending = stat(wal, &sb) == 0 && sb.st_size > 0;
	free(dir);
	free(wal);
	vm_buf b = { 0 };
	vm_buf_add(&b, "file:");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if (isalnum(*c) || strchr("/-._~", *c))
			vm_buf_addf(&b, "%c", *c);
		else
			vm_buf_addf(&b, "%%%02X", *c);
	}
	vm_buf_add(&b, writable || pending ? "?mode=ro" : "?immutable=1");
	return vm_buf_steal(&b);
}

static sqlite3 *open_connection(const char *path, int flags, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int readonly = (flags & VM_DB_READONLY) != 0, oflags, rc;
	if (strcmp(path, ":memory:") != 0) {
		/* SQLite says only "unable to open database file"; say why. */
		if ((readonly || !(flags & VM_DB_CREATE)) && check_exists(path, err, errlen) < 0)
			return NULL;
	}
	char *uri = readonly && strcmp(path, ":memory:") != 0 ? vm_db_uri_readonly(path) : NULL;
	/* with SQLITE_OPEN_URI a name not starting with "file:" is a plain
	 * path; the flag lets ATTACH take vm_db_uri_readonly's URIs */
	if (readonly)
		oflags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
	else
		oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | ((flags & VM_DB_CREATE) ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(uri ? uri : path, &db, oflags, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		set_err(err, errlen, "%s: cannot open database: %s", path,
		        db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 10000);
	if (!readonly && sqlite3_db_readonly(db, "main") == 1) {
		/* SQLite falls back to read-only on a write-protected file */
		set_err(err, errlen, "%s: %s", path, strerror(EACCES));
		goto fail;
	}
	return db;
fail:
	vm_db_close(db);
	return NULL;
}

/* Is this an SQLite file, vmind's, of a schema this build can use? Its
 * schema version in *v. 0, or -1 with a message. */
static int check_identity(sqlite3 *db, const char *path, long long *v, char *err, size_t errlen)
{
	long long app;
	char msg[512];
	/* the first read finds out whether this is an SQLite file at all */
	if (query_int(db, "PRAGMA user_version", v, msg, sizeof msg) < 0) {
		if ((sqlite3_errcode(db) & 0xff) == SQLITE_NOTADB)
			set_err(err, errlen, "%s: not an SQLite database (%s)", path, msg);
		else
			set_err(err, errlen, "%s: %s", path, msg);
		return -1;
	}
	if (query_int(db, "PRAGMA application_id", &app, msg, sizeof msg) < 0) {
		set_err(err, errlen, "%s: %s", path, msg);
		return -1;
	}
	if (app != 0 && app != VM_DB_APPLICATION_ID) {
		set_err(err, errlen, "%s: not a vmind database (application_id 0x%08llx)", path,
		        (unsigned long long)app & 0xffffffffULL);
		return -1;
	}
	if (*v > VM_DB_SCHEMA_VERSION) {
		set_err(err, errlen, "%s: database schema version %lld is newer than this vmind supports (%d)",
		        path, *v, VM_DB_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

/* A reader can't migrate: the schema must be there and current. */
static int check_readable_version(const char *path, long long v, char *err, size_t errlen)
{
	if (v == 0) {
		set_err(err, errlen, "%s: not a vmind database (no schema; a writing tool such as vmind-crawl creates it)",
		        path);
		return -1;
	}
	if (v < VM_DB_SCHEMA_VERSION) {
		set_err(err, errlen, "%s: database schema version %lld is older than this vmind's (%d); "
		        "open it once with a writing tool (e.g. vmind-crawl) to migrate it",
		        path, v, VM_DB_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

/* WAL: readers never block the one writer, nor it them. Switching needs
 * the file to itself and SQLite does not wait for that (two tools creating
 * one database at once), so retry for the busy timeout. An in-memory
 * database keeps its "memory" journal. */
static int set_wal(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *mode = NULL;
	double until = vm_now() + 10.0;
	int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL), ret = 0;
	while (rc == SQLITE_OK) {
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			mode = (const char *)sqlite3_column_text(st, 0);
			break;
		}
		sqlite3_reset(st);
		if (((step & 0xff) != SQLITE_BUSY && (step & 0xff) != SQLITE_LOCKED) || vm_now() > until)
			break;
		nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
	}
	if (!mode || (strcmp(mode, "wal") != 0 &&
	              !(strcmp(path, ":memory:") == 0 && strcmp(mode, "memory") == 0))) {
		set_err(err, errlen, "%s: cannot switch to WAL mode: %s", path, mode ? mode : sqlite3_errmsg(db));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

/* SQL that must succeed, its error prefixed with the file name. */
static int exec_named(sqlite3 *db, const char *path, const char *sql, char *err, size_t errlen)
{
	char msg[512];
	if (vm_db_exec(db, sql, msg, sizeof msg) < 0) {
		set_err(err, errlen, "%s: %s", path, msg);
		return -1;
	}
	return 0;
}

sqlite3 *vm_db_open(const char *path, int flags, char *err, size_t errlen)
{
	sqlite3 *db;
	long long v;
	char msg[512];

	if (err && errlen)
		err[0] = '\0';
	if (!(db = open_connection(path, flags, err, errlen)))
		return NULL;
	if (check_identity(db, path, &v, err, errlen) < 0 ||
	    exec_named(db, path, "PRAGMA foreign_keys = ON", err, errlen) < 0)
		goto fail;
	if (flags & VM_DB_READONLY) {
		if (check_readable_version(path, v, err, errlen) < 0)
			goto fail;
		return db;
	}
	if (set_wal(db, path, err, errlen) < 0 ||
	    exec_named(db, path, "PRAGMA synchronous = NORMAL", err, errlen) < 0)
		goto fail;
	if (v < VM_DB_SCHEMA_VERSION &&
	    vm_db_migrate(db, migrations, n_migrations, VM_DB_SCHEMA_VERSION, msg, sizeof msg) < 0) {
		set_err(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	return db;
fail:
	vm_db_close(db);
	return NULL;
}

/* The marker that starts the text of every statement db.c caches on a
 * connection. */
#define CACHED_MARK "/* vm_db cached */ "

void vm_db_close(sqlite3 *db)
{
	sqlite3_stmt *st, *next;
	if (!db)
		return;
	/* finalize the statements cached by vm_db_add_news; a caller's own
	 * statements are the caller's: close_v2 keeps the connection alive
	 * until they are finalized too, in whichever order that happens */
	for (st = sqlite3_next_stmt(db, NULL); st; st = next) {
		const char *text = sqlite3_sql(st);
		next = sqlite3_next_stmt(db, st);
		if (text && strncmp(text, CACHED_MARK, sizeof CACHED_MARK - 1) == 0)
			sqlite3_finalize(st);
	}
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(db);
}

static void txn(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		vm_db_die(db, sql);
}

void vm_db_begin(sqlite3 *db)
{
	txn(db, "BEGIN IMMEDIATE");
}

void vm_db_commit(sqlite3 *db)
{
	txn(db, "COMMIT");
}

void vm_db_rollback(sqlite3 *db)
{
	/* after some errors SQLite has rolled back already */
	if (!sqlite3_get_autocommit(db))
		txn(db, "ROLLBACK");
}

/* The statements of vm_db_add_news. Their text is unique to this file (the
 * leading comment CACHED_MARK), so a statement found on the connection with
 * this text is ours; it is reset after every use. Callers should wrap many
 * calls in one transaction (vm_db_begin/vm_db_commit): each call on its own
 * is a transaction of its own, many times slower. */
static const char sql_insert[] =
	CACHED_MARK "INSERT INTO news (num, id, splits, category, subcategory, title, url, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (num) DO NOTHING";
static const char sql_splits[] =
	CACHED_MARK "SELECT splits FROM news WHERE num = ?1";
static const char sql_update[] =
	CACHED_MARK "UPDATE news SET splits = ?2 WHERE num = ?1";

/* The connection's prepared statement for sql, preparing it on first use. */
static sqlite3_stmt *cached_stmt(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	while ((st = sqlite3_next_stmt(db, st)) != NULL) {
		const char *text = sqlite3_sql(st);
		if (text && strcmp(text, sql) == 0 && !sqlite3_stmt_busy(st))
			return st;
	}
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		set_err(err, errlen, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static int valid_split(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (*s == ',' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* Add split to the sorted comma-separated set old. NULL when it is already
 * there; else a new string. */
static char *splits_add(const char *old, const char *split)
{
	size_t sl = strlen(split), ol = strlen(old);
	const char *p = old, *insert_at = NULL;
	char *out;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		size_t n = len < sl ? len : sl;
		int c = memcmp(p, split, n);
		if (c == 0 && len == sl)
			return NULL;                        /* present */
		if (c > 0 || (c == 0 && len > sl)) {    /* p sorts after split */
			insert_at = p;
			break;
		}
		p = end ? end + 1 : p + len;
	}
	out = xmalloc(ol + sl + 2);
	if (ol == 0) {
		memcpy(out, split, sl + 1);
	} else if (!insert_at) {
		memcpy(out, old, ol);
		out[ol] = ',';
		memcpy(out + ol + 1, split, sl + 1);
	} else {
		size_t head = (size_t)(insert_at - old);
		memcpy(out, old, head);
		memcpy(out + head, split, sl);
		out[head + sl] = ',';
		memcpy(out + head + sl + 1, insert_at, ol - head + 1);
	}
	return out;
}

static double unix_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int vm_db_add_news(sqlite3 *db, const vm_news *row, const char *split, char *err, size_t errlen)
{
	sqlite3_stmt *ins, *sel, *upd;
	const char *id = row->id ? row->id : "?";
	char *merged = NULL;
	int rc, ret = -1;

	if (!valid_split(split)) {
		set_err(err, errlen, "%s: bad split name '%s' (empty, or holds a comma or control character)",
		        id, split ? split : "");
		return -1;
	}
	if (!(ins = cached_stmt(db, sql_insert, err, errlen)))
		goto prefix;
	sqlite3_bind_int64(ins, 1, row->num);
	sqlite3_bind_text(ins, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, split, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 4, row->category ? row->category : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, row->subcategory ? row->subcategory : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 6, row->title ? row->title : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 7, row->url ? row->url : "", -1, SQLITE_STATIC);
	sqlite3_bind_double(ins, 8, unix_now());
	rc = sqlite3_step(ins);
	if (rc != SQLITE_DONE) {
		set_err(err, errlen, "%s", sqlite3_errmsg(db));
		sqlite3_reset(ins);
		sqlite3_clear_bindings(ins);
		goto prefix;
	}
	sqlite3_reset(ins);
	sqlite3_clear_bindings(ins);
	if (sqlite3_changes(db) == 1)
		return 0;                      /* new item */

	/* present: merge the split into its set, keep the rest */
	if (!(sel = cached_stmt(db, sql_splits, err, errlen)))
		goto prefix;
	sqlite3_bind_int64(sel, 1, row->num);
	rc = sqlite3_step(sel);
	if (rc != SQLITE_ROW) {
		set_err(err, errlen, "%s", rc == SQLITE_DONE ? "row vanished" : sqlite3_errmsg(db));
		sqlite3_reset(sel);
		goto prefix;
	}
	{
		const char *old = (const char *)sqlite3_column_text(sel, 0);
		merged = splits_add(old ? old : "", split);
	}
	sqlite3_reset(sel);
	if (!merged)
		return 0;                      /* split already recorded */
	if (!(upd = cached_stmt(db, sql_update, err, errlen)))
		goto prefix;
	sqlite3_bind_int64(upd, 1, row->num);
	sqlite3_bind_text(upd, 2, merged, -1, SQLITE_STATIC);
	rc = sqlite3_step(upd);
	if (rc != SQLITE_DONE)
		set_err(err, errlen, "%s", sqlite3_errmsg(db));
	else
		ret = 0;
	sqlite3_reset(upd);
	sqlite3_clear_bindings(upd);
	free(merged);
	if (ret == 0)
		return 0;
prefix:
	prefix_err(err, errlen, id);
	return -1;
}

char *vm_split_from_path(const char *path)
{
	const char *end, *slash, *start, *base, *dot;
	char *out;
	size_t len;

	/* the file's base name, trailing slashes ignored */
	end = path + strlen(path);
	while (end > path + 1 && end[-1] == '/')
		end--;
	base = end;
	while (base > path && base[-1] != '/')
		base--;
	/* the directory holding it, unless there is none or it is . or .. */
	slash = base;
	while (slash > path && slash[-1] == '/')
		slash--;
	start = slash;
	while (start > path && start[-1] != '/')
		start--;
	len = (size_t)(slash - start);
	if (len == 0 || (len == 1 && start[0] == '.') ||
	    (len == 2 && start[0] == '.' && start[1] == '.')) {
		/* no directory: base name without its extension */
		dot = NULL;
		for (const char *p = base + 1; p < end; p++)
			if (*p == '.')
				dot = p;
		start = base;
		len = (size_t)((dot ? dot : end) - base);
	}
	out = xstrndup(start, len);
	/* a comma would split the name in news.splits */
	for (char *p = out; *p; p++)
		if (*p == ',' || (unsigned char)*p < 0x20)
			*p = '_';
	return out;
}

void vm_db_die(sqlite3 *db, const char *what)
{
	const char *file = sqlite3_db_filename(db, "main");
	vm_die("%s: %s: %s", file && *file ? file : "database", what, sqlite3_errmsg(db));
}

sqlite3_stmt *vm_db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		vm_db_die(db, sql);
	return st;
}

void vm_db_step_done(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		vm_db_die(db, sqlite3_sql(st));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int vm_db_step_row(sqlite3 *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		vm_db_die(db, sqlite3_sql(st));
	return 0;
}

long long vm_db_query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = vm_db_prepare(db, sql);
	long long v = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		vm_db_die(db, sql);
	sqlite3_finalize(st);
	return v;
}

void vm_db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

char *vm_db_column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}
