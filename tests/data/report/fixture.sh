# tests/data/report/fixture.sh: sourced (not run) by t0901 and t0902. Builds
# a small provenance database by hand in $T/db (dbtool + the sqlite3 CLI),
# its resized images in $T/images (vips, one flat colour per item), and a
# training log $T/train.csv. Ten items cover every class of the report:
#   N1 origin, N10 origin (resize failed), N2 archive (hostile title),
#   N3 search sim 0.81 (replaced a rejected pick), N4 search sim 0.55
#   (same picture as N3; its page_url is a javascript: URL),
#   N5 placeholder, N6 done without image, N7 and N8 failed, N9 pending.
# Needs: tests/lib.sh sourced, sqlite3 and vips on PATH (the test is
# skipped without them, as the crawler's tests do).
for _tool in sqlite3 vips; do
	command -v $_tool >/dev/null 2>&1 || { echo "1..0 # SKIP $_tool not installed"; exit 0; }
done

fixture_make() {
	mkdir -p "$T/mind/train" "$T/mind/dev" "$T/images"
	tab=$(printf '\t')
	u=https://assets.msn.com/labs/mind
	{
		printf 'N1\tnews\tnewsus\tMayor opens the new bridge\tabs\t%s/AA00001.html\t[]\t[]\n' "$u"
		printf 'N2\tnews\tnewsworld\t<script>alert(1)</script> & "quoted" title\tabs\t%s/AA00002.html\t[]\t[]\n' "$u"
		printf 'N3\tsports\tfootball\tLocal team wins the cup\tabs\t%s/AA00003.html\t[]\t[]\n' "$u"
		printf 'N4\tsports\tbaseball\tPitcher signs a record deal\tabs\t%s/AA00004.html\t[]\t[]\n' "$u"
		printf 'N5\tlifestyle\tfood\tTen soups for winter\tabs\t%s/AA00005.html\t[]\t[]\n' "$u"
		printf 'N6\tlifestyle\tfood\tA recipe without a picture\tabs\t%s/AA00006.html\t[]\t[]\n' "$u"
		printf 'N7\tnews\tnewsus\tServer was down\tabs\t%s/AA00007.html\t[]\t[]\n' "$u"
		printf 'N8\tsports\tgolf\tGolf story that timed out\tabs\t%s/AA00008.html\t[]\t[]\n' "$u"
		printf 'N9\tnews\tnewsus\tNot crawled yet\tabs\t%s/AA00009.html\t[]\t[]\n' "$u"
		printf 'N10\tnews\tnewsus\tBroken image file\tabs\t%s/AA00010.html\t[]\t[]\n' "$u"
	} >"$T/mind/train/news.tsv"
	grep '^N3	' "$T/mind/train/news.tsv" >"$T/mind/dev/news.tsv"
	"$top_builddir/tests/unit/dbtool" add-news "$T/db" "$T/mind/train/news.tsv" "$T/mind/dev/news.tsv" >/dev/null || return 1

	# one flat colour per resized image, 224x224
	i=0
	for c in "220 30 30" "30 160 60" "30 80 220" "230 150 20" "250 235 190"; do
		i=$((i + 1))
		vips black "$T/black.v" 224 224 --bands 3 &&
			vips linear "$T/black.v" "$T/images/N$i.jpg" "1 1 1" "$c" --uchar || return 1
	done
	rm -f "$T/black.v"

	sqlite3 "$T/db" <<'EOF' || return 1
PRAGMA foreign_keys = ON;
BEGIN;
UPDATE news SET state = 'done', outcome = 'image', attempts = 1, updated_at = 1700000100 WHERE num IN (1, 2, 3, 4, 5, 10);
UPDATE news SET state = 'done', outcome = 'no-image', attempts = 1, last_error = 'no image on page', updated_at = 1700000100 WHERE num = 6;
UPDATE news SET state = 'failed', outcome = 'http-5xx', attempts = 3, last_error = 'HTTP 503 from origin', updated_at = 1700000100 WHERE num = 7;
UPDATE news SET state = 'failed', outcome = 'timeout', attempts = 2, last_error = 'operation timed out', updated_at = 1700000100 WHERE num = 8;
INSERT INTO image (news_num, tier, page_url, image_url, sha256, width, height, raw_path, fetched_at)
  VALUES (1, 'origin', 'https://assets.msn.com/labs/mind/AA00001.html', 'https://img.example/1.jpg', 'aa01', 640, 480, 'raw/N1.jpg', 1700000000);
INSERT INTO image (news_num, tier, page_url, image_url, sha256, capture_timestamp, capture_url, fetched_at)
  VALUES (2, 'archive', 'https://web.archive.org/web/20191110081500id_/https://assets.msn.com/labs/mind/AA00002.html', 'https://img.example/2.jpg', 'aa02', '20191110081500', 'https://web.archive.org/web/20191110081500id_/https://assets.msn.com/labs/mind/AA00002.html', 1700000000);
INSERT INTO image (news_num, tier, page_url, image_url, sha256, search_backend, search_query, search_rank, matched_title, similarity, runner_up_similarity, fetched_at)
  VALUES (3, 'search', 'https://sports.example.org/cup', 'https://sports.example.org/cup.jpg', 'aa03', 'searx', 'Local team wins the cup', 1, 'Local team wins the cup final', 0.81, 0.2, 1700000000);
INSERT INTO image (news_num, tier, page_url, image_url, sha256, search_backend, search_query, search_rank, matched_title, similarity, fetched_at)
  VALUES (4, 'search', 'javascript:alert(2)', 'https://b.example/deal.jpg', 'aa04', 'searx', 'Pitcher signs a record deal', 2, 'Pitcher <b>signs</b> deal', 0.55, 1700000000);
INSERT INTO image (news_num, tier, sha256, fetched_at) VALUES (5, 'placeholder', 'ffff', 1700000000);
INSERT INTO image (news_num, tier, page_url, image_url, sha256, fetched_at)
  VALUES (10, 'origin', 'https://assets.msn.com/labs/mind/AA00010.html', 'https://img.example/10.jpg', 'aa10', 1700000000);
INSERT INTO resized (news_num, path, sha256, source_sha256, size, mode, format, quality, phash, created_at) VALUES
  (1, 'N1.jpg', 'r01', 'aa01', 224, 'crop', 'jpg', 90, 1, 1700000200),
  (2, 'N2.jpg', 'r02', 'aa02', 224, 'crop', 'jpg', 90, 255, 1700000200),
  (3, 'N3.jpg', 'r03', 'aa03', 224, 'crop', 'jpg', 90, -1, 1700000200),
  (4, 'N4.jpg', 'r04', 'aa04', 224, 'crop', 'jpg', 90, -1, 1700000200),
  (5, 'N5.jpg', 'r05', 'ffff', 224, 'crop', 'jpg', 90, 65280, 1700000200);
INSERT INTO resize_error (news_num, source_sha256, error, at) VALUES (10, 'aa10', 'not a known image format', 1700000200);
INSERT INTO rejected (news_num, tier, page_url, image_url, sha256, similarity, reason, rejected_at)
  VALUES (3, 'search', 'https://wrong.example/logo', 'https://wrong.example/logo.png', 'bad3', 0.74, 'site logo, not a <photo>', 1700000300);
INSERT INTO request (news_num, time, tier, purpose, url, status, error, bytes, ms) VALUES
  (1, 1700000000, 'origin', 'page', 'https://assets.msn.com/labs/mind/AA00001.html', 200, NULL, 1000, 5),
  (7, 1700000001, 'origin', 'page', 'https://assets.msn.com/labs/mind/AA00007.html', 503, 'HTTP 503', 0, 5),
  (7, 1700000002, 'archive', 'cdx', 'https://web.archive.org/cdx/search/cdx?url=x', 503, 'HTTP 503', 0, 5),
  (NULL, 1699999999, 'origin', 'robots', 'https://assets.msn.com/robots.txt', 404, NULL, 0, 2);
INSERT INTO robots (host, status, body, fetched_at) VALUES ('assets.msn.com', 404, NULL, 1699999999);
COMMIT;
EOF
	cat >"$T/train.csv" <<'EOF'
kind,epoch,step,loss,auc,mrr,ndcg5,ndcg10,seconds
step,1,10,0.900000,,,,,1.0
step,1,20,0.800000,,,,,2.0
epoch,1,20,0.850000,0.610000,0.300000,0.310000,0.370000,2.1
step,2,30,0.700000,,,,,3.0
step,2,40,0.650000,,,,,4.0
epoch,2,40,0.675000,0.640000,0.320000,0.330000,0.390000,4.1
EOF
}
