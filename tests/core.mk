# tests/core.mk: tests of the build, the docs, util, cli and the database.
TESTS += tests/t0001-docs.sh
EXTRA_DIST += tests/t0001-docs.sh
TESTS += tests/t0002-get-mind.sh
EXTRA_DIST += tests/t0002-get-mind.sh
check_PROGRAMS += tests/unit/test-shard
tests_unit_test_shard_SOURCES = tests/unit/test-shard.c
tests_unit_test_shard_LDADD = $(VMIND_LIBS)
TESTS += tests/unit/test-shard
TESTS += tests/t0910-demo.sh
EXTRA_DIST += tests/t0910-demo.sh
