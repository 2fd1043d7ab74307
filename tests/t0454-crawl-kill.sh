#!/bin/sh
# t0454-crawl-kill.sh: crash safety. One crawl of 2,000 news items of a
# rendered simulated web (dead, moved, disallowed pages and decoys included)
# is killed with SIGKILL at least 5 times at random instants, then resumed to
# the end. Afterwards every news item is in the database exactly once and
# none is left pending, the raw files are exactly the image rows (no
# temporary or orphan file) and hold the recorded bytes, no item was fetched
# after it was done, each item whose truth has a cover got exactly it, and
# PRAGMA integrity_check says ok.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

vmind-synth -q --news 2000 --users 200 --impressions 400 --url-base http://assets.msn.com/labs/mind/ \
	--out "$T/mind" || { echo "Bail out! vmind-synth failed"; exit 1; }
rm -rf "$W"
vmind-web render -q --mind "$T/mind" --out "$W" --fault-share 0 --threads 2 ||
	{ echo "Bail out! vmind-web render failed"; exit 1; }
web_start

crawl_bg() {
	vmind-crawl -q --db "$T/c.db" --out "$T/out" --connect-to "::127.0.0.1:$PORT" --no-archive --parallel 1 \
		--threads 1 --batch 50 --timeout 5 "$T/mind/train/news.tsv" "$T/mind/dev/news.tsv" 2>>"$T/crawl.err" &
	CPID=$!
}

kills=0
tries=0
while [ $kills -lt 5 ] && [ $tries -lt 40 ]; do
	tries=$((tries + 1))
	crawl_bg
	# a random instant between 0.1 and 0.5 s (the crawl is slowed down to
	# 1 transfer; on an idle machine it still works ~600 items/s, so five
	# kills must come early enough to fall inside the 2,000 items)
	s=$(od -An -N2 -tu2 /dev/urandom | awk '{ printf "%.2f", 0.1 + $1 / 65535 * 0.4 }')
	sleep "$s"
	if kill -0 $CPID 2>/dev/null; then
		kill -9 $CPID 2>/dev/null && kills=$((kills + 1))
		echo "# killed after ${s}s: $(q "SELECT count(*) FROM news WHERE state != 'pending'") items worked"
	fi
	wait $CPID 2>/dev/null
done
ok $([ $kills -ge 5 ]; echo $?) "the crawl was killed $kills times ($tries runs)"
vmind-crawl -q --db "$T/c.db" --out "$T/out" --connect-to "::127.0.0.1:$PORT" --no-archive --timeout 5 \
	"$T/mind/train/news.tsv" "$T/mind/dev/news.tsv" 2>>"$T/crawl.err"
rc=$?
ok $([ $rc -eq 0 ] || [ $rc -eq 1 ]; echo $?) "resumed crawl finishes (exit $rc)"

cut -f1 "$T/mind/train/news.tsv" "$T/mind/dev/news.tsv" | sort -u >"$T/ids"
is "$(q "SELECT count(*), count(DISTINCT id) FROM news")" "$(wc -l <"$T/ids" | tr -d ' ') $(wc -l <"$T/ids" | tr -d ' ')" "every news item once"
is "$(q "SELECT id FROM news ORDER BY id" | sort | cmp - "$T/ids" >/dev/null; echo $?)" 0 "the same ids as news.tsv"
is "$(q "SELECT count(*) FROM news WHERE state = 'pending'")" 0 "no item left pending"
is "$(find "$T/out" -name '*.tmp.*' | wc -l | tr -d ' ')" 0 "no temporary file left"
(cd "$T/out" && find raw -type f | sort) >"$T/files"
q "SELECT raw_path FROM image ORDER BY raw_path" >"$T/rows"
is "$(cmp "$T/files" "$T/rows" >/dev/null; echo $?)" 0 "raw files = image rows ($(wc -l <"$T/rows") images)"
(cd "$T/out" && sha256sum $(cat "$T/files") | awk '{ print $2, $1 }') >"$T/filesha"
q "SELECT raw_path, sha256 FROM image ORDER BY raw_path" >"$T/rowsha"
is "$(cmp "$T/filesha" "$T/rowsha" >/dev/null; echo $?)" 0 "each raw file holds its recorded bytes"
is "$(q "SELECT count(*) FROM news n JOIN request r ON r.news_num = n.num WHERE n.state = 'done' AND r.time > n.updated_at")" 0 \
   "no item fetched after it was done"
is "$(q "PRAGMA integrity_check")" ok "integrity_check ok"
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["outcome"] == "cover" { print $c["id"], $c["cover_sha256"] }' "$W/truth.tsv" | sort >"$T/truth"
q "SELECT n.id, coalesce(i.sha256, '-') FROM news n LEFT JOIN image i ON i.news_num = n.num" | sort >"$T/got"
is "$(join "$T/truth" "$T/got" | awk '$2 != $3' | wc -l | tr -d ' ')" 0 \
   "each of the $(wc -l <"$T/truth" | tr -d ' ') items with a live cover got exactly it"
is "$(q "SELECT count(*) FROM news WHERE state = 'failed' AND outcome NOT IN ('robots', 'redirects')")" 0 \
   "the only failures are robots.txt refusals and redirect loops"
done_testing
