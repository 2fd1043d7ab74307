# vmind/report.mk: vmind-report (HTML curation report) and vmind-merge (shard databases), included by vmind/local.mk.
bin_PROGRAMS += vmind/vmind-report vmind/vmind-merge
dist_man_MANS += man/vmind-report.1 man/vmind-merge.1
vmind_vmind_report_SOURCES = vmind/report.c vmind/report-html.c vmind/report-html.h
vmind_vmind_report_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
vmind_vmind_report_LDADD = $(VMIND_LIBS)
vmind_vmind_merge_SOURCES = vmind/merge.c
vmind_vmind_merge_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
vmind_vmind_merge_LDADD = $(VMIND_LIBS)
