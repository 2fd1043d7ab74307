#!/bin/sh
# t0101-stats-counts.sh: vmind-stats counts distinct news and users exactly
# as an independent awk computation does, on vmind-synth output and on small
# hand-made files (ids repeated across files and splits), whether the files
# are read whole, in many small chunks on two threads, or from a pipe.
. "$top_srcdir/tests/lib.sh"

# awk's answer: distinct ids of column $col over the files
distinct() { col=$1; shift; cat "$@" | tr -d '\r' | awk -F'\t' -v c="$col" 'NF && !seen[$c]++ { n++ } END { print n + 0 }'; }
# vmind-stats' answer in CSV: field f of the MIND row
stat_field() { f=$1; shift; vmind-stats --format csv "$@" | awk -F, -v f="$f" 'NR == 2 { print $f }'; }

# --- hand-made files: synthetic ids, repeated across files ---
awk 'BEGIN { for (i = 1; i <= 500; i++)
	printf "N%d\tnews\tsports\tTitle %d\t\thttps://assets.msn.com/labs/mind/A%06d.html\t[]\t[]\n", i * 7, i, i }' >"$T/n1.tsv"
awk 'BEGIN { for (i = 400; i <= 900; i++)
	printf "N%d\tlifestyle\tfood\tTitle %d\tAn abstract\t\t\t\n", i * 7, i }' >"$T/n2.tsv"
awk 'BEGIN { srand(3); for (i = 1; i <= 3000; i++) {
	h = ""; for (k = 0; k < i % 9; k++) h = h (k ? " " : "") "N" (1 + int(rand() * 900) * 7)
	printf "%d\tU%d\t11/%d/2019 %d:%02d:%02d %s\t%s\tN%d-0 N%d-1\n", i, 1 + int(rand() * 1700),
	       9 + i % 6, 1 + i % 12, i % 60, (i * 7) % 60, (i % 2 ? "AM" : "PM"), h, i, i + 1 } }' >"$T/b1.tsv"
awk 'BEGIN { srand(5); for (i = 1; i <= 1000; i++)
	printf "%d\tU%d\t11/15/2019 %d:00:00 PM\t\tN%d N%d\n", i, 1500 + int(rand() * 900), 1 + i % 12, i, i + 3 }' >"$T/b2.tsv"

want_news=$(distinct 1 "$T/n1.tsv" "$T/n2.tsv")
want_users=$(distinct 2 "$T/b1.tsv" "$T/b2.tsv")
is "$want_news" 900 "awk: 900 distinct news in the hand-made files"
args="--news $T/n1.tsv --news $T/n2.tsv --behaviors $T/b1.tsv --behaviors $T/b2.tsv"
is "$(stat_field 2 $args)" "$want_news" "news = awk's distinct news ids"
is "$(stat_field 3 $args)" "$want_users" "users = awk's distinct user ids ($want_users)"
is "$(stat_field 4 $args)" 0 "MIND row: 0 images"
# many small chunks, two threads: the same answer
is "$(VMIND_STATS_CHUNK=1000 stat_field 3 $args)" "$want_users" "users, read in 1000-byte chunks"
is "$(VMIND_STATS_CHUNK=1000 stat_field 2 $args)" "$want_news" "news, read in 1000-byte chunks"
is "$(VMIND_STATS_THREADS=1 VMIND_STATS_CHUNK=777 stat_field 3 $args)" "$want_users" "users, one thread, 777-byte chunks"
# the checking path without AVX-512 and without AVX2 (where the CPU has them)
is "$(VMIND_NO_AVX=1 stat_field 3 $args)" "$want_users" "users, without AVX-512"
is "$(VMIND_NO_AVX=2 stat_field 3 $args)" "$want_users" "users, without AVX"
# from a pipe
is "$(cat "$T/b1.tsv" "$T/b2.tsv" | stat_field 3 --news "$T/n1.tsv" --behaviors -)" "$want_users" "behaviors from standard input"
# an empty behaviors file
: >"$T/empty.tsv"
is "$(stat_field 3 --news "$T/n1.tsv" --behaviors "$T/empty.tsv")" 0 "empty behaviors file: 0 users"

# --- vmind-synth output ---
if vmind-synth --preset tiny --out "$T/mind" >"$T/synth.log" 2>&1; then
	ok 0 "vmind-synth --preset tiny"
	set -- --news "$T/mind/train/news.tsv" --news "$T/mind/dev/news.tsv" \
		--behaviors "$T/mind/train/behaviors.tsv" --behaviors "$T/mind/dev/behaviors.tsv"
	want_news=$(distinct 1 "$T/mind/train/news.tsv" "$T/mind/dev/news.tsv")
	want_users=$(distinct 2 "$T/mind/train/behaviors.tsv" "$T/mind/dev/behaviors.tsv")
	is "$(stat_field 2 "$@")" "$want_news" "synth: news = awk ($want_news)"
	is "$(stat_field 3 "$@")" "$want_users" "synth: users = awk ($want_users)"
	is "$(VMIND_STATS_CHUNK=4096 stat_field 3 "$@")" "$want_users" "synth: users in 4 KB chunks"
	exits 0 "synth: exit 0" vmind-stats "$@"
else
	ok 1 "vmind-synth --preset tiny"; sed 's/^/#   /' "$T/synth.log"
fi

# --- usage errors ---
exits 2 "no --behaviors: usage error" vmind-stats --news "$T/n1.tsv"
exits 2 "bad --format" vmind-stats $args --format xml
is "$(head -1 "$T/err")" "vmind-stats: --format: 'xml' is not one of text, md, csv, json" "bad --format message"
exits 2 "missing file" vmind-stats --news "$T/n1.tsv" --behaviors "$T/nope.tsv"
is "$(cat "$T/err")" "vmind-stats: $T/nope.tsv: No such file or directory" "missing file message"
exits 2 "--duplicates without --db" vmind-stats $args --duplicates
exits 0 "--version" vmind-stats --version
is "$(cat "$T/out")" "vmind-stats $(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")" "--version prints the package version"
done_testing
