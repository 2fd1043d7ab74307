# crawler/crawl/local.mk: vmind-crawl, the tool over libcrawl.
bin_PROGRAMS += crawler/crawl/vmind-crawl
crawler_crawl_vmind_crawl_SOURCES = crawler/crawl/vmind-crawl.c
crawler_crawl_vmind_crawl_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(XML_CFLAGS) $(VIPS_CFLAGS) $(CJSON_CFLAGS) $(SQLITE_CFLAGS)
crawler_crawl_vmind_crawl_LDADD = $(CRAWL_LIBS)
dist_man_MANS += man/vmind-crawl.1
