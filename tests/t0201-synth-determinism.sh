#!/bin/sh
# t0201-synth-determinism.sh: vmind-synth gives byte-identical files for the
# same seed and options, different files for another seed, and a run killed
# midway leaves no file under a final name (only temporaries).
. "$top_srcdir/tests/lib.sh"

# sha256 of every file under a directory, by relative path
digest() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

exits 0 "tiny, seed 7" vmind-synth --preset tiny --seed 7 --out "$T/a"
exits 0 "tiny, seed 7 again" vmind-synth --preset tiny --seed 7 --out "$T/b"
exits 0 "tiny, seed 8" vmind-synth --preset tiny --seed 8 --out "$T/c"
digest "$T/a" >"$T/a.sum"
digest "$T/b" >"$T/b.sum"
digest "$T/c" >"$T/c.sum"
is "$(wc -l <"$T/a.sum")" "9" "nine files written"
check "same seed: byte-identical files" cmp "$T/a.sum" "$T/b.sum"
for f in train/news.tsv train/behaviors.tsv dev/news.tsv dev/behaviors.tsv \
	truth/news.tsv truth/train/clicks.tsv truth/dev/clicks.tsv; do
	a=$(grep " ./$f\$" "$T/a.sum" | cut -d' ' -f1)
	c=$(grep " ./$f\$" "$T/c.sum" | cut -d' ' -f1)
	[ -n "$a" ] && [ "$a" != "$c" ]
	ok $? "another seed: $f differs"
done

# explicit sizes, and a second run over an existing directory
exits 0 "explicit sizes" vmind-synth --seed 3 --news 400 --users 300 --impressions 1500 --out "$T/d"
exits 0 "explicit sizes again, same directory" vmind-synth --seed 3 --news 400 --users 300 --impressions 1500 --out "$T/d"
exits 0 "explicit sizes, other directory" vmind-synth --seed 3 --news 400 --users 300 --impressions 1500 --out "$T/e"
digest "$T/d" >"$T/d.sum"
digest "$T/e" >"$T/e.sum"
check "explicit sizes: byte-identical" cmp "$T/d.sum" "$T/e.sum"

# --url-base changes the URLs and nothing else
exits 0 "--url-base" vmind-synth --preset tiny --seed 7 --url-base http://news.test/a/ --out "$T/u"
check "--url-base: behaviors unchanged" cmp "$T/a/train/behaviors.tsv" "$T/u/train/behaviors.tsv"
n=$(cut -f6 "$T/u/train/news.tsv" | grep -c '^http://news\.test/a/[A-Za-z0-9]\{7\}\.html$')
is "$n" "$(wc -l <"$T/u/train/news.tsv")" "--url-base: every URL uses it"
cut -f6 "$T/a/train/news.tsv" | sed 's|.*/||' >"$T/a.ids"
cut -f6 "$T/u/train/news.tsv" | sed 's|.*/||' >"$T/u.ids"
check "--url-base: same MSN ids" cmp "$T/a.ids" "$T/u.ids"

# killed midway: nothing under a final name, whatever the instant
vmind-synth --preset medium --seed 5 --out "$T/k" -q &
pid=$!
track_pid $pid
sleep 0.4
if kill -9 $pid 2>/dev/null; then
	wait $pid 2>/dev/null
	finals=$(find "$T/k" -type f ! -name '*.tmp.*' | wc -l)
	is "$finals" "0" "killed midway: no file under a final name"
	tmps=$(find "$T/k" -type f -name '*.tmp.*' | wc -l)
	[ "$tmps" -gt 0 ]
	ok $? "killed midway: only temporaries ($tmps)"
else
	wait $pid
	skip "the run finished before the kill"
	skip "the run finished before the kill"
fi

exits 2 "no --out is a usage error" vmind-synth --preset tiny
exits 2 "unknown preset" vmind-synth --preset huge --out "$T/x"
exits 2 "fewer impressions than users" vmind-synth --news 100 --users 50 --impressions 10 --out "$T/x"
done_testing
