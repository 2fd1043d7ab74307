# crawler/crawl.mk: vmind-crawl (included by crawler/local.mk): the core and
# its tiers (crawl*.c), the page extractor (extract.c), the HTTP engine
# (fetch.c) and the network safety rules (net.c).
bin_PROGRAMS += crawler/vmind-crawl
crawler_vmind_crawl_SOURCES = \
	crawler/crawl.c crawler/crawl.h \
	crawler/crawl-origin.c crawler/crawl-archive.c crawler/crawl-search.c crawler/crawl-similarity.c \
	crawler/crawl-image.c crawler/crawl-image.h \
	crawler/crawl-robots.c crawler/crawl-robots.h \
	crawler/extract.c crawler/extract.h \
	crawler/fetch.c crawler/fetch.h \
	crawler/net.c crawler/net.h
crawler_vmind_crawl_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(XML_CFLAGS) $(VIPS_CFLAGS) $(CJSON_CFLAGS) $(SQLITE_CFLAGS)
crawler_vmind_crawl_LDADD = $(VMIND_LIBS) $(CURL_LIBS) $(XML_LIBS) $(VIPS_LIBS) $(CJSON_LIBS)
dist_man_MANS += man/vmind-crawl.1
EXTRA_DIST += bench/crawl.sh bench/tiers.sh
