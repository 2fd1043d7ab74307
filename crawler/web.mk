# crawler/web.mk: the simulated web: rendering and serving (included by crawler/local.mk).
bin_PROGRAMS += crawler/vmind-web
crawler_vmind_web_SOURCES = \
	crawler/web-main.c crawler/web.h crawler/web-util.c \
	crawler/web-serve.c crawler/web-archive.c crawler/web-archive.h \
	crawler/web-render.c crawler/render.h crawler/render-img.c crawler/render-page.c
crawler_vmind_web_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(MHD_CFLAGS) $(CJSON_CFLAGS)
crawler_vmind_web_LDADD = $(VMIND_LIBS) $(VIPS_LIBS) $(MHD_LIBS) $(CJSON_LIBS)
dist_man_MANS += man/vmind-web.1
