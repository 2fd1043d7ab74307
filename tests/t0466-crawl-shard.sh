#!/bin/sh
# t0466-crawl-shard.sh: vmind-crawl --shard I/N. On a simulated web with dead
# and archived pages, 4 shard crawls (--shard 0/4 .. 3/4, each registering
# only its own items, all given the same news files) merged with
# vmind-merge hold the same items, states, chosen images and provenance rows
# (times and ids ignored) as one crawl of everything; every item is in
# exactly one shard; --shards N with JOB_COMPLETION_INDEX picks the shard
# from the environment; a bad --shard is a usage error.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

vmind-synth -q --preset tiny --url-base http://assets.msn.com/labs/mind/ --out "$T/mind" ||
	{ echo "Bail out! vmind-synth failed"; exit 1; }
rm -rf "$W"
vmind-web render -q --mind "$T/mind" --out "$W" --dead-share 0.6 --archive-share 0.7 --fault-share 0 --threads 1 ||
	{ echo "Bail out! vmind-web render failed"; exit 1; }
web_start
NEWS="$T/mind/train/news.tsv $T/mind/dev/news.tsv"
run() { # DB OUT OPTIONS...
	_db=$1 _out=$2; shift 2
	vmind-crawl -q --db "$_db" --out "$_out" --connect-to "::127.0.0.1:$PORT" --allow-private \
		--archive http://web.archive.org "$@" $NEWS 2>>"$T/crawl.err"
}
run "$T/single.db" "$T/single"
rc=$?
ok $([ $rc -le 1 ]; echo $?) "one crawl of everything (exit $rc: redirect loops fail)"
for i in 0 1 2 3; do
	run "$T/shard$i.db" "$T/out$i" --shard $i/4
	rc=$?
	ok $([ $rc -le 1 ]; echo $?) "shard $i/4 (exit $rc)"
done
total=$(sqlite3 "$T/single.db" "SELECT count(*) FROM news")
sum=0
for i in 0 1 2 3; do sum=$((sum + $(sqlite3 "$T/shard$i.db" "SELECT count(*) FROM news"))); done
is "$sum" "$total" "the shards register $total items between them"
is "$(for i in 0 1 2 3; do sqlite3 "$T/shard$i.db" "SELECT id FROM news"; done | sort | uniq -d | wc -l | tr -d ' ')" 0 "no item in two shards"
exits 0 "vmind-merge of the 4 shards" vmind-merge "$T/merged.db" "$T/shard0.db" "$T/shard1.db" "$T/shard2.db" "$T/shard3.db"
content() {
	sqlite3 "$1" <<'EOS'
SELECT 'news', id, splits, title, url, state, outcome FROM news ORDER BY num;
SELECT 'image', news_num, tier, page_url, image_url, final_url, http_status, mime, bytes, sha256, width, height,
  raw_path, capture_timestamp, capture_url, image_capture_timestamp FROM image ORDER BY news_num;
EOS
}
content "$T/single.db" >"$T/single.txt"
content "$T/merged.db" >"$T/merged.txt"
n=$(grep -c '^image.*|archive|' "$T/single.txt")
ok $([ "$n" -gt 20 ]; echo $?) "the single crawl found $n images in the archive"
check "4 merged shards = one crawl (items, states, images, provenance)" cmp "$T/single.txt" "$T/merged.txt"
diff "$T/single.txt" "$T/merged.txt" | head -10 | sed 's/^/#   /'
for i in 0 1 2 3; do (cd "$T/out$i/raw" && sha256sum *); done | sort >"$T/shard-raw"
(cd "$T/single/raw" && sha256sum *) | sort >"$T/single-raw"
check "the same raw files" cmp "$T/single-raw" "$T/shard-raw"
# the shard from the environment (Kubernetes Indexed Job)
JOB_COMPLETION_INDEX=2 run "$T/env.db" "$T/env" --shards 4
is "$(sqlite3 "$T/env.db" "SELECT id FROM news ORDER BY num" | tr '\n' ' ')" \
   "$(sqlite3 "$T/shard2.db" "SELECT id FROM news ORDER BY num" | tr '\n' ' ')" "JOB_COMPLETION_INDEX=2 --shards 4 = --shard 2/4"
run "$T/bad.db" "$T/bad" --shard 4/4
is "$?" 2 "--shard 4/4: usage error"
done_testing
