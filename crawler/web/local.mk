# crawler/web/local.mk: vmind-web, the simulated web (a test double of the
# internet; it shares no code with the crawler): rendering a synthetic MIND
# into pages and covers, and serving them with an archive and search engines.
bin_PROGRAMS += crawler/web/vmind-web
crawler_web_vmind_web_SOURCES = \
	crawler/web/vmind-web.c crawler/web/web.h crawler/web/web-util.c \
	crawler/web/web-serve.c crawler/web/web-archive.c crawler/web/web-archive.h \
	crawler/web/web-render.c crawler/web/render.h crawler/web/render-img.c crawler/web/render-page.c
crawler_web_vmind_web_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(MHD_CFLAGS) $(CJSON_CFLAGS)
crawler_web_vmind_web_LDADD = $(VMIND_LIBS) $(VIPS_LIBS) $(MHD_LIBS) $(CJSON_LIBS)
dist_man_MANS += man/vmind-web.1
