#!/bin/sh
# t0002-get-mind.sh: datasets/get-mind.sh, in its only offline mode
# (--dry-run): the archives it would fetch for each size, where each would be
# unpacked, the mirror override, and usage errors. The download itself needs
# the internet and is never run by the tests.
. "$top_srcdir/tests/lib.sh"
g="$top_srcdir/datasets/get-mind.sh"

exits 0 "dry run for large" sh "$g" --dry-run large "$T/m"
is "$(cat "$T/out")" "https://recodatasets.z20.web.core.windows.net/newsrec/MINDlarge_train.zip -> $T/m/MINDlarge_train/
https://recodatasets.z20.web.core.windows.net/newsrec/MINDlarge_dev.zip -> $T/m/MINDlarge_dev/
https://recodatasets.z20.web.core.windows.net/newsrec/MINDlarge_test.zip -> $T/m/MINDlarge_test/
https://recodatasets.z20.web.core.windows.net/newsrec/MINDlarge_utils.zip -> $T/m/MINDlarge_utils/" "large: train, dev, test, utils"

exits 0 "dry run for small" sh "$g" --dry-run small "$T/m"
is "$(sed 's/ .*//' "$T/out" | tr '\n' ' ')" "https://recodatasets.z20.web.core.windows.net/newsrec/MINDsmall_train.zip https://recodatasets.z20.web.core.windows.net/newsrec/MINDsmall_dev.zip https://recodatasets.z20.web.core.windows.net/newsrec/MINDsmall_utils.zip " "small: train, dev, utils (MIND-small has no test split)"

MIND_MIRROR=http://mirror.example/mind exits 0 "MIND_MIRROR overrides the mirror" sh "$g" --dry-run demo "$T/m"
is "$(head -1 "$T/out")" "http://mirror.example/mind/MINDdemo_train.zip -> $T/m/MINDdemo_train/" "mirror used"

exits 2 "unknown size is a usage error" sh "$g" --dry-run huge "$T/m"
is "$(cat "$T/err")" "$g: size must be small, large or demo, not 'huge'" "message names the bad size"
exits 2 "missing directory is a usage error" sh "$g" large
test ! -e "$T/m"; ok $? "--dry-run writes nothing (no folder made)"
exits 0 "--help exits 0" sh "$g" --help
grep -q "^usage: .*get-mind.sh \[--dry-run\] small|large|demo DIR" "$T/out"; ok $? "--help prints the usage on stdout"
done_testing
