# tests/reader.mk: tests of the reader part (included by tests/local.mk):
# the MIND readers, .npy, and vmind-stats (Table 1).
check_PROGRAMS += tests/unit/test-mind tests/unit/test-npy
tests_unit_test_mind_SOURCES = tests/unit/test-mind.c
tests_unit_test_mind_LDADD = $(VMIND_LIBS)
tests_unit_test_npy_SOURCES = tests/unit/test-npy.c
tests_unit_test_npy_LDADD = $(VMIND_LIBS)
TESTS += tests/unit/test-mind tests/unit/test-npy
READER_TESTS = \
	tests/t0101-stats-counts.sh \
	tests/t0102-malformed.sh \
	tests/t0103-lenient.sh \
	tests/t0104-line-ends.sh \
	tests/t0105-im-mind.sh \
	tests/t0106-vmind-db.sh \
	tests/t0107-formats.sh
TESTS += $(READER_TESTS)
EXTRA_DIST += $(READER_TESTS) \
	tests/data/reader/make-npy.py \
	tests/data/reader/ids-u7.npy \
	tests/data/reader/ids-v2.npy \
	tests/data/reader/f32-3x4.npy \
	tests/data/reader/f32-fortran.npy \
	tests/data/reader/f64-2x2.npy \
	tests/data/reader/imlist-u7.npy \
	tests/data/reader/imlist.txt
