# vmind/local.mk: libvmind (lib/) and the small tools built on it alone,
# one folder each.
include vmind/lib/local.mk
include vmind/synth/local.mk
include vmind/stats/local.mk
include vmind/report/local.mk
include vmind/merge/local.mk
