# resize/local.mk: vmind-resize (resize.c: the batch and the database;
# image.c: one image with libvips, shared with the unit tests), its man page,
# and the benchmark script against vipsthumbnail, ImageMagick and Pillow.
bin_PROGRAMS += resize/vmind-resize
resize_vmind_resize_SOURCES = resize/resize.c resize/image.c resize/image.h
resize_vmind_resize_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(SQLITE_CFLAGS)
resize_vmind_resize_LDADD = $(VMIND_LIBS) $(VIPS_LIBS)
dist_man_MANS += man/vmind-resize.1
EXTRA_DIST += bench/resize.sh bench/resize-pillow.py
