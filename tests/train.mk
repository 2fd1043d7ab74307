# tests/train.mk: tests of the train part (included by tests/local.mk).
check_PROGRAMS += tests/unit/test-layers
tests_unit_test_layers_SOURCES = tests/unit/test-layers.c
tests_unit_test_layers_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
tests_unit_test_layers_LDADD = $(VLSNR_LIBS)
TESTS += tests/unit/test-layers

check_PROGRAMS += tests/unit/test-vlsnr
tests_unit_test_vlsnr_SOURCES = tests/unit/test-vlsnr.c
tests_unit_test_vlsnr_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
tests_unit_test_vlsnr_LDADD = $(VLSNR_LIBS)
TESTS += tests/unit/test-vlsnr
EXTRA_DIST += tests/reference/vlsnr_ref.py \
	tests/data/train/tiny-vlsnr.safetensors tests/data/train/tiny-selfattn.safetensors \
	tests/data/train/tiny-gru.safetensors tests/data/train/tiny-mean.safetensors \
	tests/data/train/tiny-none.safetensors

TESTS += tests/t0701-train.sh tests/t0702-eval.sh
EXTRA_DIST += tests/t0701-train.sh tests/t0702-eval.sh \
	tests/reference/train_metrics_ref.py tests/data/train/metrics-truth.txt \
	tests/data/train/metrics-prediction.txt tests/data/train/metrics-expected.txt

TESTS += tests/t0703-quality.sh
EXTRA_DIST += tests/t0703-quality.sh
