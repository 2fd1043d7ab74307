# tests/crawl.mk: tests of the crawl part (included by tests/local.mk).
