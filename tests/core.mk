# tests/core.mk: tests of the build, the docs, util, cli and the database.
TESTS += tests/t0001-docs.sh
EXTRA_DIST += tests/t0001-docs.sh
