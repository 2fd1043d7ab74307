#!/bin/sh
# t0904-merge-crawl.sh: the shard test on real crawls. The tiny synthetic
# MIND's news files are cut into 4 shards by news number (num % 4, each
# shard holding its items' rows of both splits), each shard is crawled into
# a database of its own on the simulated web, and vmind-merge joins them.
# The merged database must hold the same items, states and splits, the same
# chosen images with all their provenance, the same requests per item and the
# same robots.txt rows as one crawl of everything, ignoring times and ids
# (the robots.txt requests are made once per shard, so compared as a set).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

vmind-synth -q --preset tiny --url-base http://assets.msn.com/labs/mind/ --out "$T/mind" ||
	{ echo "Bail out! vmind-synth failed"; exit 1; }
rm -rf "$W"
vmind-web render -q --mind "$T/mind" --out "$W" --fault-share 0 --threads 1 ||
	{ echo "Bail out! vmind-web render failed"; exit 1; }
web_start

run_crawl() { # DB OUT NEWS...
	_db=$1 _out=$2; shift 2
	vmind-crawl -q --db "$_db" --out "$_out" --connect-to "::127.0.0.1:$PORT" --archive http://web.archive.org "$@" 2>>"$T/crawl.err"
}
run_crawl "$T/single.db" "$T/single" "$T/mind/train/news.tsv" "$T/mind/dev/news.tsv"
rc=$?
[ $rc -le 1 ]
ok $? "single crawl ran (exit $rc)"
for i in 0 1 2 3; do
	for s in train dev; do
		mkdir -p "$T/s$i/$s"
		awk -F'\t' -v i=$i 'substr($1, 2) % 4 == i' "$T/mind/$s/news.tsv" >"$T/s$i/$s/news.tsv"
	done
	run_crawl "$T/shard$i.db" "$T/out$i" "$T/s$i/train/news.tsv" "$T/s$i/dev/news.tsv"
	rc=$?
	[ $rc -le 1 ]
	ok $? "shard $i crawled (exit $rc)"
done
exits 0 "vmind-merge of the 4 shards" vmind-merge "$T/merged.db" "$T/shard0.db" "$T/shard1.db" "$T/shard2.db" "$T/shard3.db"

content() {
	sqlite3 "$1" <<'EOS'
SELECT 'news', id, splits, category, subcategory, title, url, state, outcome, last_error FROM news ORDER BY num;
SELECT 'image', news_num, tier, page_url, image_url, final_url, http_status, mime, bytes, sha256, width, height,
  raw_path, capture_timestamp, capture_url, image_capture_timestamp, search_backend, search_query, search_rank,
  matched_title, similarity, runner_up_similarity FROM image ORDER BY news_num;
SELECT 'request', news_num, tier, purpose, url, status, error, bytes FROM request WHERE news_num IS NOT NULL ORDER BY 2, 3, 4, 5, 6, 7, 8;
SELECT DISTINCT 'request-robots', tier, purpose, url, status, error FROM request WHERE news_num IS NULL ORDER BY 2, 3, 4, 5, 6;
SELECT 'robots', host, status, body FROM robots ORDER BY host;
SELECT 'rejected', news_num, tier, page_url, image_url, sha256, similarity, reason FROM rejected ORDER BY 2, 3, 4, 5, 6;
EOS
}
content "$T/single.db" >"$T/single.txt"
content "$T/merged.db" >"$T/merged.txt"
n=$(grep -c '^image' "$T/single.txt")
[ "$n" -gt 100 ]
ok $? "the single crawl chose $n images"
if cmp -s "$T/single.txt" "$T/merged.txt"; then ok 0 "4 merged shards = one crawl (items, images, provenance, requests, robots)"
else ok 1 "4 merged shards = one crawl (items, images, provenance, requests, robots)"
	diff "$T/single.txt" "$T/merged.txt" | head -20 | sed 's/^/#   /'; fi
is "$(sqlite3 "$T/merged.db" "SELECT count(*) FROM news")" "$(sqlite3 "$T/single.db" "SELECT count(*) FROM news")" "same number of items"
is "$(sqlite3 "$T/merged.db" "SELECT count(*) FROM news WHERE splits = 'dev,train'")" \
	"$(sqlite3 "$T/single.db" "SELECT count(*) FROM news WHERE splits = 'dev,train'")" "items of both splits kept both"
sqlite3 "$T/merged.db" .dump >"$T/dump1"
exits 0 "merging again" vmind-merge "$T/merged.db" "$T/shard3.db" "$T/shard1.db" "$T/shard0.db" "$T/shard2.db"
sqlite3 "$T/merged.db" .dump >"$T/dump2"
cmp -s "$T/dump1" "$T/dump2"
ok $? "merging again changes nothing"
done_testing
