# tests/db.mk: tests of the provenance database (included by tests/local.mk):
# the C unit test of vmind/db.c, and shell checks with the sqlite3 CLI that a
# database made by the C code matches what man/vmind.7 documents. dbtool is a
# small test-only CLI over vmind/db.h (create, add-news, version, integrity).
check_PROGRAMS += tests/unit/test-db tests/unit/dbtool
tests_unit_test_db_SOURCES = tests/unit/test-db.c
tests_unit_test_db_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_db_LDADD = $(VMIND_LIBS)
tests_unit_dbtool_SOURCES = tests/unit/dbtool.c
tests_unit_dbtool_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_dbtool_LDADD = $(VMIND_LIBS)
TESTS += tests/unit/test-db
TESTS += tests/t0301-db-schema.sh
EXTRA_DIST += tests/t0301-db-schema.sh
