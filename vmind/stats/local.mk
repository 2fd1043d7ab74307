# vmind/stats/local.mk: vmind-stats, Table 1 from MIND's files and the
# provenance database.
bin_PROGRAMS += vmind/stats/vmind-stats
vmind_stats_vmind_stats_SOURCES = vmind/stats/vmind-stats.c
vmind_stats_vmind_stats_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(CJSON_CFLAGS)
vmind_stats_vmind_stats_LDADD = $(VMIND_LIBS)
dist_man_MANS += man/vmind-stats.1
