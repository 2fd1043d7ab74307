# vmind/merge/local.mk: vmind-merge, which merges the databases of a sharded
# run.
bin_PROGRAMS += vmind/merge/vmind-merge
vmind_merge_vmind_merge_SOURCES = vmind/merge/vmind-merge.c
vmind_merge_vmind_merge_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
vmind_merge_vmind_merge_LDADD = $(VMIND_LIBS)
dist_man_MANS += man/vmind-merge.1
