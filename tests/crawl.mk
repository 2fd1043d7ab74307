# tests/crawl.mk: tests of vmind-crawl (included by tests/local.mk): unit
# tests of the extractor (layouts, URL resolution, a mutation fuzz run) and of
# the network rules and robots.txt; shell tests against `vmind-web serve`
# with declarative fixtures (tests/data/crawl/lib.sh): page layouts, fault
# classes, politeness, safety, kill -9 and resume, truth equality, the CLI.
check_PROGRAMS += tests/unit/test-extract tests/unit/test-crawl-net
tests_unit_test_extract_SOURCES = tests/unit/test-extract.c crawler/extract.c crawler/extract.h
tests_unit_test_extract_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/crawler $(CURL_CFLAGS) $(XML_CFLAGS) $(CJSON_CFLAGS)
tests_unit_test_extract_LDADD = $(VMIND_LIBS) $(CURL_LIBS) $(XML_LIBS) $(CJSON_LIBS)
tests_unit_test_crawl_net_SOURCES = tests/unit/test-crawl-net.c crawler/net.c crawler/net.h \
	crawler/crawl-robots.c crawler/crawl-robots.h
tests_unit_test_crawl_net_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/crawler
tests_unit_test_crawl_net_LDADD = $(VMIND_LIBS)
TESTS += tests/unit/test-extract tests/unit/test-crawl-net

CRAWL_SHELL_TESTS = \
	tests/t0450-crawl-layouts.sh \
	tests/t0451-crawl-faults.sh \
	tests/t0452-crawl-politeness.sh \
	tests/t0453-crawl-safety.sh \
	tests/t0454-crawl-kill.sh \
	tests/t0455-crawl-truth.sh \
	tests/t0456-crawl-cli.sh
TESTS += $(CRAWL_SHELL_TESTS)
EXTRA_DIST += $(CRAWL_SHELL_TESTS) \
	tests/data/crawl/lib.sh tests/data/crawl/cover.jpg tests/data/crawl/cover.png \
	tests/data/crawl/cover.webp tests/data/crawl/small.png tests/data/crawl/pixel.gif

# archive and search tiers, --reject, --shard (tiers engineer)
TIERS_SHELL_TESTS = \
	tests/t0460-crawl-archive.sh \
	tests/t0461-crawl-search.sh \
	tests/t0462-crawl-search-apis.sh \
	tests/t0463-crawl-searx.sh \
	tests/t0464-crawl-precision.sh \
	tests/t0465-crawl-reject.sh \
	tests/t0466-crawl-shard.sh \
	tests/t0467-crawl-archive-parallel.sh
TESTS += $(TIERS_SHELL_TESTS)
EXTRA_DIST += $(TIERS_SHELL_TESTS)
check_PROGRAMS += tests/unit/test-similarity
tests_unit_test_similarity_SOURCES = tests/unit/test-similarity.c crawler/crawl-similarity.c
tests_unit_test_similarity_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/crawler $(CURL_CFLAGS)
tests_unit_test_similarity_LDADD = $(VMIND_LIBS)
TESTS += tests/unit/test-similarity
