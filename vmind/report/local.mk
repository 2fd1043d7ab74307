# vmind/report/local.mk: vmind-report, the HTML curation report. Its
# database-free HTML helpers (report-html.c) are a small library of their own
# that the unit tests link.
noinst_LIBRARIES += vmind/report/libreport.a
vmind_report_libreport_a_SOURCES = vmind/report/report-html.c vmind/report/report-html.h
bin_PROGRAMS += vmind/report/vmind-report
vmind_report_vmind_report_SOURCES = vmind/report/vmind-report.c
vmind_report_vmind_report_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(CJSON_CFLAGS)
vmind_report_vmind_report_LDADD = vmind/report/libreport.a $(VMIND_LIBS)
dist_man_MANS += man/vmind-report.1
