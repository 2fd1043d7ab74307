# tests/unit/local.mk: the C unit tests (tests/unit/test-*.c, TAP through
# tap.h), each linking the library it tests, and three test-only programs:
# dbtool (a small CLI over vmind/lib/db.h for the database shell tests),
# chromium-shot (drives headless Chromium over the DevTools pipe for t0902)
# and function-length (the longest C functions, for t0003).
EXTRA_DIST += tests/unit/tap.h
UNIT_TESTS = \
	tests/unit/test-util tests/unit/test-shard tests/unit/test-mind tests/unit/test-npy tests/unit/test-metrics \
	tests/unit/test-db \
	tests/unit/test-extract tests/unit/test-crawl-net tests/unit/test-similarity \
	tests/unit/test-resize tests/unit/test-resize-dupes \
	tests/unit/test-safetensors tests/unit/test-bpe tests/unit/test-clip tests/unit/test-clip-hash tests/unit/test-clip-train \
	tests/unit/test-layers tests/unit/test-vlsnr \
	tests/unit/test-report
check_PROGRAMS += $(UNIT_TESTS) tests/unit/dbtool tests/unit/chromium-shot tests/unit/function-length
TESTS += $(UNIT_TESTS)

# libvmind
tests_unit_test_util_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_unit_test_util_LDADD = $(VMIND_LIBS)
tests_unit_test_shard_LDADD = $(VMIND_LIBS)
tests_unit_test_mind_LDADD = $(VMIND_LIBS)
tests_unit_test_npy_LDADD = $(VMIND_LIBS)
tests_unit_test_metrics_LDADD = $(VMIND_LIBS)
tests_unit_test_db_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_db_LDADD = $(VMIND_LIBS)
tests_unit_dbtool_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_dbtool_LDADD = $(VMIND_LIBS)
tests_unit_test_resize_dupes_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(CJSON_CFLAGS)
tests_unit_test_resize_dupes_LDADD = $(VMIND_LIBS)
tests_unit_test_safetensors_LDADD = $(VMIND_LIBS)

# libcrawl
tests_unit_test_extract_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(XML_CFLAGS) $(CJSON_CFLAGS)
tests_unit_test_extract_LDADD = $(CRAWL_LIBS)
tests_unit_test_crawl_net_LDADD = $(CRAWL_LIBS)
tests_unit_test_similarity_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
tests_unit_test_similarity_LDADD = $(CRAWL_LIBS)

# libresize
tests_unit_test_resize_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS)
tests_unit_test_resize_LDADD = resize/libresize.a $(VMIND_LIBS) $(VIPS_LIBS)

# libclip
tests_unit_test_bpe_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS)
tests_unit_test_bpe_LDADD = $(CLIP_LIBS)
tests_unit_test_clip_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS)
tests_unit_test_clip_LDADD = $(CLIP_LIBS)
tests_unit_test_clip_hash_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS)
tests_unit_test_clip_hash_LDADD = $(CLIP_LIBS)
tests_unit_test_clip_train_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(OPENBLAS_CFLAGS)
tests_unit_test_clip_train_LDADD = $(CLIP_LIBS)

# libvlsnr
tests_unit_test_layers_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
tests_unit_test_layers_LDADD = $(VLSNR_LIBS)
tests_unit_test_vlsnr_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
tests_unit_test_vlsnr_LDADD = $(VLSNR_LIBS)

# libreport, and the Chromium driver of t0902
tests_unit_test_report_LDADD = vmind/report/libreport.a $(VMIND_LIBS)
tests_unit_chromium_shot_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_unit_chromium_shot_LDADD = $(CJSON_LIBS)
tests_unit_function_length_LDADD = $(VMIND_LIBS)
