# vmind/lib/local.mk: libvmind, the code every tool shares: allocation,
# diagnostics, files and hashes (util), the string buffer (buf), JSON output
# (json), option tables (cli), the MIND readers (mind), .npy,
# the provenance database (db + schema.sql), the official metrics, duplicate
# groups, sharding and the safetensors reader.
noinst_LIBRARIES += vmind/lib/libvmind.a
vmind_lib_libvmind_a_SOURCES = \
	vmind/lib/util.c vmind/lib/util.h \
	vmind/lib/buf.c vmind/lib/buf.h \
	vmind/lib/json.c vmind/lib/json.h \
	vmind/lib/mind.c vmind/lib/mind.h \
	vmind/lib/npy.c vmind/lib/npy.h \
	vmind/lib/db.c vmind/lib/db.h \
	vmind/lib/metrics.c vmind/lib/metrics.h \
	vmind/lib/cli.c vmind/lib/cli.h \
	vmind/lib/dupes.c vmind/lib/dupes.h \
	vmind/lib/shard.c vmind/lib/shard.h \
	vmind/lib/safetensors.c vmind/lib/safetensors.h \
	vmind/lib/progress.c vmind/lib/progress.h
nodist_vmind_lib_libvmind_a_SOURCES = vmind/lib/schema.c
vmind_lib_libvmind_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(CRYPTO_CFLAGS) $(CJSON_CFLAGS)

# Every program links the library and its always-needed dependencies.
VMIND_LIBS = vmind/lib/libvmind.a $(SQLITE_LIBS) $(CRYPTO_LIBS) $(CJSON_LIBS) -lm

# The schema is compiled in: each line of schema.sql becomes a C string line.
BUILT_SOURCES += vmind/lib/schema.c
CLEANFILES += vmind/lib/schema.c
EXTRA_DIST += vmind/lib/schema.sql
vmind/lib/schema.c: $(top_srcdir)/vmind/lib/schema.sql
	$(AM_V_GEN)$(MKDIR_P) vmind/lib && { \
	  echo '/* generated from vmind/lib/schema.sql by the build; do not edit */'; \
	  echo 'const char vm_schema_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $(top_srcdir)/vmind/lib/schema.sql; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@
