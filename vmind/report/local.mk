# vmind/report/local.mk: vmind-report, the HTML curation report. Its
# database-free parts (report-html.c: HTML helpers and charts;
# report-quality.c: the model-quality figures from a folder of runs) are a
# small library of their own that the unit tests link.
noinst_LIBRARIES += vmind/report/libreport.a
vmind_report_libreport_a_SOURCES = vmind/report/report-html.c vmind/report/report-html.h \
	vmind/report/report-quality.c vmind/report/report-quality.h
vmind_report_libreport_a_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
bin_PROGRAMS += vmind/report/vmind-report
vmind_report_vmind_report_SOURCES = vmind/report/vmind-report.c
vmind_report_vmind_report_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(CJSON_CFLAGS)
vmind_report_vmind_report_LDADD = vmind/report/libreport.a $(VMIND_LIBS)
dist_man_MANS += man/vmind-report.1
