# vmind/local.mk: libvmind (the shared code of every tool) and the small tools
# that live beside it: vmind-synth and vmind-stats.
noinst_LIBRARIES += vmind/libvmind.a
vmind_libvmind_a_SOURCES = \
	vmind/util.c vmind/util.h \
	vmind/mind.c vmind/mind.h \
	vmind/npy.c vmind/npy.h \
	vmind/db.c vmind/db.h \
	vmind/metrics.c vmind/metrics.h \
	vmind/cli.c vmind/cli.h \
	vmind/dupes.c vmind/dupes.h \
	vmind/shard.c vmind/shard.h
nodist_vmind_libvmind_a_SOURCES = vmind/schema.c
vmind_libvmind_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(CRYPTO_CFLAGS)

# Every program links the library and its two always-needed dependencies.
VMIND_LIBS = vmind/libvmind.a $(SQLITE_LIBS) $(CRYPTO_LIBS) -lm

# The schema is compiled in: each line of schema.sql becomes a C string line.
BUILT_SOURCES += vmind/schema.c
CLEANFILES += vmind/schema.c
EXTRA_DIST += vmind/schema.sql
vmind/schema.c: $(top_srcdir)/vmind/schema.sql
	$(AM_V_GEN)$(MKDIR_P) vmind && { \
	  echo '/* generated from vmind/schema.sql by the build; do not edit */'; \
	  echo 'const char vm_schema_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $(top_srcdir)/vmind/schema.sql; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@

dist_man_MANS += man/vmind-synth.1 man/vmind-stats.1
bin_PROGRAMS += vmind/vmind-synth vmind/vmind-stats
vmind_vmind_synth_SOURCES = vmind/synth.c vmind/synth-vocab.h
vmind_vmind_synth_LDADD = $(VMIND_LIBS)
vmind_vmind_stats_SOURCES = vmind/stats.c
vmind_vmind_stats_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
vmind_vmind_stats_LDADD = $(VMIND_LIBS)

# vmind-report and vmind-merge keep their rules in their own fragment.
include vmind/report.mk
