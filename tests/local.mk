# tests/local.mk: the test suite. Shell tests are tests/tNNNN-*.sh (TAP,
# through tap-driver); C unit tests are tests/unit/test-*.c and print TAP too.
# Each part of the tree keeps its list in its own fragment, included here.
EXTRA_DIST += tests/lib.sh tests/unit/tap.h

include tests/core.mk
include tests/reader.mk
include tests/synth.mk
include tests/db.mk
include tests/web.mk
include tests/crawl.mk
include tests/resize.mk
include tests/embed.mk
include tests/train.mk
include tests/report.mk
