/* dbtool.c: a test-only command line over vmind/lib/db.h, so that shell tests
 * can make and inspect provenance databases before the real tools exist:
 *   dbtool create FILE              create (or migrate) FILE
 *   dbtool version FILE             open read-only, print the schema version
 *   dbtool integrity FILE           print "ok" or the first problem (exit 1)
 *   dbtool add-news FILE NEWS.tsv.. register every news row, one transaction,
 *                                   split = vm_split_from_path(NEWS.tsv)
 * Errors print "dbtool: message" and exit 2 (1 for a failed integrity check). */
#include "config.h"
#include "vmind/lib/db.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/util.h"

#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: dbtool create|version|integrity FILE\n"
	                "       dbtool add-news FILE NEWS.tsv...\n");
	return VM_EXIT_USAGE;
}

static int add_news(sqlite3 *db, int nfiles, char **files)
{
	char err[1024];
	unsigned long long rows = 0;
	int ret = VM_EXIT_USAGE;

	vm_db_begin(db);
	for (int i = 0; i < nfiles; i++) {
		vm_mind_reader *r = vm_mind_open(files[i], 0);
		char *split;
		vm_news row;
		int rc;
		if (!r)
			goto fail;
		split = vm_split_from_path(files[i]);
		while ((rc = vm_news_next(r, &row)) == VM_MIND_ROW) {
			if (vm_db_add_news(db, &row, split, err, sizeof err) < 0) {
				vm_warn("%s", err);
				free(split);
				vm_mind_close(r);
				goto fail;
			}
			rows++;
		}
		free(split);
		if (rc == VM_MIND_ERROR) {
			vm_warn("%s", vm_mind_error(r));
			vm_mind_close(r);
			goto fail;
		}
		vm_mind_close(r);
	}
	vm_db_commit(db);
	printf("%llu rows\n", rows);
	return VM_EXIT_OK;
fail:
	vm_db_rollback(db);
	return ret;
}

int main(int argc, char **argv)
{
	char err[1024];
	sqlite3 *db;
	int ret = VM_EXIT_OK;
	const char *cmd, *file;

	vm_set_progname(argv[0]);
	if (argc < 3)
		return usage();
	cmd = argv[1];
	file = argv[2];
	if (strcmp(cmd, "create") == 0 || strcmp(cmd, "add-news") == 0) {
		db = vm_db_open(file, VM_DB_CREATE, err, sizeof err);
		if (!db)
			vm_die("%s", err);
		if (strcmp(cmd, "add-news") == 0)
			ret = add_news(db, argc - 3, argv + 3);
		else if (argc != 3)
			ret = usage();
	} else if (strcmp(cmd, "version") == 0 || strcmp(cmd, "integrity") == 0) {
		if (argc != 3)
			return usage();
		db = vm_db_open(file, VM_DB_READONLY, err, sizeof err);
		if (!db)
			vm_die("%s", err);
		if (strcmp(cmd, "version") == 0) {
			printf("%d\n", vm_db_version(db));
		} else if (vm_db_integrity(db, err, sizeof err) == 0) {
			printf("ok\n");
		} else {
			printf("%s\n", err);
			ret = VM_EXIT_ITEMS;
		}
	} else {
		return usage();
	}
	vm_db_close(db);
	return ret;
}
