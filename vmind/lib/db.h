/* db.h: the provenance database (SQLite, WAL). vm_db_open() creates a new
 * database from the schema compiled in from vmind/lib/schema.sql, or brings an
 * older one forward through the migrations, in one transaction; a database
 * from a newer vmind is refused. Helpers for the statements every tool runs:
 * registering news items, transactions, integrity checks. */
#ifndef VMIND_DB_H
#define VMIND_DB_H

#include <stddef.h>
#include <sqlite3.h>
#include "mind.h"
#include "util.h"

/* The schema version this build writes (PRAGMA user_version). */
#define VM_DB_SCHEMA_VERSION 2

/* The text of vmind/lib/schema.sql (generated vmind/lib/schema.c). */
extern const char vm_schema_sql[];

enum {
	VM_DB_CREATE = 1 << 0,    /* create the file when missing */
	VM_DB_READONLY = 1 << 1   /* open read-only; no migration is run */
};

/* One forward migration: the SQL that takes version `from` to `from + 1`. */
typedef struct vm_db_migration {
	int from;
	const char *sql;
} vm_db_migration;

/* Open (and create or migrate) a database. Sets foreign_keys and a busy
 * timeout; a database opened for writing is also switched to WAL with
 * synchronous=NORMAL (a read-only one is left as it is). NULL with
 * "FILE: message" in err. */
sqlite3 *vm_db_open(const char *path, int flags, char *err, size_t errlen);
void vm_db_close(sqlite3 *db);

/* The URI a finished database is read through (by vm_db_open's
 * VM_DB_READONLY and by ATTACH): "file:PATH?mode=ro", or, in a folder this
 * process cannot write and with no unfinished -wal file beside it,
 * "file:PATH?immutable=1" (SQLite's WAL mode would otherwise need to create
 * the -shm file there and fail with "attempt to write a readonly
 * database"), so that a V-MIND shared read-only can be read. */
char *vm_db_uri_readonly(const char *path);

/* The schema version of an open database; -1 when it can't be read. */
int vm_db_version(sqlite3 *db);

/* Apply migrations so that the database reaches version `target`, all in one
 * transaction. A version 0 database (empty) gets the base schema first.
 * 0, or -1 with a message. Exposed so tests can run their own lists. */
int vm_db_migrate(sqlite3 *db, const vm_db_migration *steps, size_t nsteps,
                  int target, char *err, size_t errlen);

/* Run SQL with no result rows. 0, or -1 with the message in err. */
int vm_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* PRAGMA integrity_check and PRAGMA foreign_key_check: 0 when the first
 * says "ok" and the second finds nothing, else -1 with the first problem. */
int vm_db_integrity(sqlite3 *db, char *err, size_t errlen);

/* Transactions (BEGIN IMMEDIATE / COMMIT / ROLLBACK); die on error. */
void vm_db_begin(sqlite3 *db);
void vm_db_commit(sqlite3 *db);
void vm_db_rollback(sqlite3 *db);

/* Statement helpers for tools to which any database error is fatal: each
 * dies with "DBFILE: what: SQLite's message" (exit 2), where DBFILE is the
 * database's full path (sqlite3_db_filename) and what the statement's SQL. */
void vm_db_die(sqlite3 *db, const char *what) VM_NORETURN;
sqlite3_stmt *vm_db_prepare(sqlite3 *db, const char *sql);
/* Step a statement that returns no rows, then reset it and clear its
 * bindings for the next use. */
void vm_db_step_done(sqlite3 *db, sqlite3_stmt *st);
/* Step a statement that returns rows: 1 with a row, 0 when there are no
 * more. */
int vm_db_step_row(sqlite3 *db, sqlite3_stmt *st);
/* The first column of the first row of sql as an integer (0 when no row). */
long long vm_db_query_int(sqlite3 *db, const char *sql);
/* Bind text, or NULL when s is NULL (SQLITE_TRANSIENT: s may go away). */
void vm_db_bind_text(sqlite3_stmt *st, int i, const char *s);
/* A text column copied with xstrdup; NULL for NULL. */
char *vm_db_column_dup(sqlite3_stmt *st, int i);
/* A text column as SQLite holds it, valid until the next step, reset or
 * finalize; NULL for NULL. */
static inline const char *vm_db_column_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Record a news row seen in split `split` ("train", "dev", "test", ...):
 * inserted as pending when new; when present, the split is added to its
 * splits set and metadata are kept. 0, or -1 with a message. */
int vm_db_add_news(sqlite3 *db, const vm_news *row, const char *split, char *err, size_t errlen);

/* Derive a split name from a MIND file path: the name of the directory
 * holding it ("MINDlarge_train/news.tsv" -> "MINDlarge_train"), or the file's
 * base name without extension when it has no directory. */
char *vm_split_from_path(const char *path);

#endif
