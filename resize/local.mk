# resize/local.mk: vmind-resize (vmind-resize.c: the batch and the database)
# over libresize (image.c: one image with libvips, which the unit tests link).
noinst_LIBRARIES += resize/libresize.a
resize_libresize_a_SOURCES = resize/image.c resize/image.h
resize_libresize_a_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS)
bin_PROGRAMS += resize/vmind-resize
resize_vmind_resize_SOURCES = resize/vmind-resize.c
resize_vmind_resize_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(SQLITE_CFLAGS)
resize_vmind_resize_LDADD = resize/libresize.a $(VMIND_LIBS) $(VIPS_LIBS)
dist_man_MANS += man/vmind-resize.1
