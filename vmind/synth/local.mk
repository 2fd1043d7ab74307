# vmind/synth/local.mk: vmind-synth, the offline MIND with a planted click
# model (synth-vocab.h holds its word lists).
bin_PROGRAMS += vmind/synth/vmind-synth
vmind_synth_vmind_synth_SOURCES = vmind/synth/vmind-synth.c vmind/synth/synth-vocab.h
vmind_synth_vmind_synth_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
vmind_synth_vmind_synth_LDADD = $(VMIND_LIBS)
dist_man_MANS += man/vmind-synth.1
