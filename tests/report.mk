# tests/report.mk: tests of vmind-report and vmind-merge. t0900-report-fixture.sh
# is sourced by t0901/t0902 (it builds a small database by hand);
# test-report-browser drives headless Chromium for t0902 over the DevTools
# pipe (a helper, not a test of its own).
check_PROGRAMS += tests/unit/test-report tests/unit/test-report-browser
tests_unit_test_report_SOURCES = tests/unit/test-report.c vmind/report-html.c vmind/report-html.h
tests_unit_test_report_LDADD = $(VMIND_LIBS)
tests_unit_test_report_browser_SOURCES = tests/unit/test-report-browser.c
tests_unit_test_report_browser_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_unit_test_report_browser_LDADD = $(CJSON_LIBS)
TESTS += tests/unit/test-report
TESTS += tests/t0901-report.sh tests/t0902-report-chromium.sh tests/t0903-merge.sh tests/t0904-merge-crawl.sh
EXTRA_DIST += tests/t0900-report-fixture.sh tests/t0901-report.sh tests/t0902-report-chromium.sh tests/t0903-merge.sh \
	tests/t0904-merge-crawl.sh
CLEANFILES += tests/t0902-report-chromium.png
TESTS += tests/t0905-slurm-example.sh
EXTRA_DIST += tests/t0905-slurm-example.sh
