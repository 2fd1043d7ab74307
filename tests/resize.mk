# tests/resize.mk: tests of the resize part (included by tests/local.mk).
# The shell tests make their input images with the vips CLI; nothing binary
# is stored in the tree.
check_PROGRAMS += tests/unit/test-resize tests/unit/test-resize-dupes
tests_unit_test_resize_SOURCES = tests/unit/test-resize.c resize/image.c resize/image.h
tests_unit_test_resize_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS)
tests_unit_test_resize_LDADD = $(VMIND_LIBS) $(VIPS_LIBS)
tests_unit_test_resize_dupes_SOURCES = tests/unit/test-resize-dupes.c
tests_unit_test_resize_dupes_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_resize_dupes_LDADD = $(VMIND_LIBS)
TESTS += tests/unit/test-resize tests/unit/test-resize-dupes
TESTS += tests/t0801-resize.sh tests/t0802-resize-kill.sh
EXTRA_DIST += tests/t0801-resize.sh tests/t0802-resize-kill.sh tests/data/resize/lib.sh
TESTS += tests/t0803-resize-shard.sh
EXTRA_DIST += tests/t0803-resize-shard.sh
