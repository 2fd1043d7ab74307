# tests/synth.mk: tests of vmind-synth and of the metrics (included by
# tests/local.mk). tests/reference/metrics_ref.py wrote the golden file.
TESTS += tests/t0201-synth-determinism.sh tests/t0202-synth-format.sh tests/t0203-synth-oracle.sh
EXTRA_DIST += tests/t0201-synth-determinism.sh tests/t0202-synth-format.sh tests/t0203-synth-oracle.sh
EXTRA_DIST += tests/reference/metrics_ref.py tests/data/metrics/random.tsv
check_PROGRAMS += tests/unit/test-metrics
tests_unit_test_metrics_SOURCES = tests/unit/test-metrics.c
tests_unit_test_metrics_LDADD = $(VMIND_LIBS)
TESTS += tests/unit/test-metrics
# vmind-synth's word lists (included by vmind/synth.c; not in its _SOURCES)
