# crawler/lib/local.mk: libcrawl, everything of the crawler but its command
# line: the run (crawl.c, crawl-db.c; crawl.h), the tiers (crawl-origin.c,
# crawl-archive.c, crawl-search.c over the interface in crawl.h), the page
# extractor (extract.c), the HTTP engine (fetch.c), the network safety rules
# (net.c), robots.txt, image validation and headline similarity.
noinst_LIBRARIES += crawler/lib/libcrawl.a
crawler_lib_libcrawl_a_SOURCES = \
	crawler/lib/crawl.h crawler/lib/crawl.c crawler/lib/crawl-db.c crawler/lib/crawl-ctx.h \
	crawler/lib/crawl-origin.c crawler/lib/crawl-archive.c crawler/lib/crawl-search.c \
	crawler/lib/crawl-similarity.c \
	crawler/lib/crawl-image.c crawler/lib/crawl-image.h \
	crawler/lib/crawl-robots.c crawler/lib/crawl-robots.h \
	crawler/lib/extract.c crawler/lib/extract.h \
	crawler/lib/fetch.c crawler/lib/fetch.h \
	crawler/lib/net.c crawler/lib/net.h
crawler_lib_libcrawl_a_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(XML_CFLAGS) $(VIPS_CFLAGS) $(CJSON_CFLAGS) $(SQLITE_CFLAGS)
CRAWL_LIBS = crawler/lib/libcrawl.a $(VMIND_LIBS) $(CURL_LIBS) $(XML_LIBS) $(VIPS_LIBS) $(CJSON_LIBS)
