#!/bin/sh
# bench/dupes.sh: precision and recall of duplicate-image detection
# (vmind/lib/dupes.h, as vmind-stats --duplicates and vmind-report use it) on
# the simulated web, where the truth knows which covers are one picture.
# A synthetic MIND (preset small) is crawled with every tier and a white
# placeholder, and resized; then a quarter of the items with a picture get
# a near copy (scaled to 80% and saved as JPEG quality 60, as a site
# republishing a cover would) registered as a news item of its own, and the
# copies are resized too. Truth: two items are one picture when their raw
# images have the same sha256 or one is a copy of the other; placeholders
# are no picture. Precision and recall are over pairs of items, for each
# --max-distance in DISTANCES.
#
#   bench/dupes.sh [WORKDIR] [BUILDDIR]      (DISTANCES="0 2 4 6 8")
set -eu
W=${1:-/tmp/bench-dupes}
BUILD=${2:-$(pwd)}
[ -x "$BUILD/vmind/stats/vmind-stats" ] &&
	PATH="$BUILD/vmind/synth:$BUILD/vmind/stats:$BUILD/crawler/crawl:$BUILD/crawler/web:$BUILD/resize:$PATH"
for t in vmind-synth vmind-web vmind-crawl vmind-resize vmind-stats sqlite3 vips; do
	command -v $t >/dev/null || { echo "bench/dupes.sh: $t not found" >&2; exit 2; }
done
rm -rf "$W" && mkdir -p "$W"
cd "$W"
vmind-synth -q --preset small --url-base http://assets.msn.com/labs/mind/ --out mind
vmind-web render -q --mind mind --out web
vmind-web serve -q --root web --listen 127.0.0.1:0 --port-file port --pid-file pid --background
trap 'kill "$(cat pid)" 2>/dev/null' EXIT
vmind-crawl -q --db c.db --out crawl --connect-to "::127.0.0.1:$(cat port)" --allow-private \
	--archive http://web.archive.org --search searx:http://searx.test --placeholder white \
	mind/train/news.tsv mind/dev/news.tsv || true
vmind-resize -q --db c.db --raw crawl --out images || true

# near copies of every 4th item with a picture
sqlite3 -separator ' ' c.db "SELECT i.news_num, i.raw_path FROM image i WHERE i.tier <> 'placeholder'
	AND i.raw_path IS NOT NULL ORDER BY i.news_num" | awk 'NR % 4 == 1' >picked
: >copies.sql
while read -r num raw; do
	c=$((num + 1000000))
	if vips resize "crawl/$raw" "crawl/raw/N$c.v" 0.8 2>/dev/null &&
		vips jpegsave "crawl/raw/N$c.v" "crawl/raw/N$c.jpg" --Q 60 2>/dev/null; then
		sha=$(sha256sum "crawl/raw/N$c.jpg" | cut -d' ' -f1)
		echo "INSERT INTO news (num, id, category, subcategory, title, url, state, outcome)
			VALUES ($c, 'N$c', 'copy', 'copy', 'copy of N$num', 'http://copy.test/$num', 'done', 'image');
			INSERT INTO image (news_num, tier, raw_path, sha256, fetched_at) VALUES ($c, 'search', 'raw/N$c.jpg', '$sha', 0);
			INSERT INTO meta (key, value) VALUES ('copy-of-$c', '$num');" >>copies.sql
	fi
	rm -f "crawl/raw/N$c.v"
done <picked
{ echo "BEGIN;"; cat copies.sql; echo "COMMIT;"; } | sqlite3 c.db
vmind-resize -q --db c.db --raw crawl --out images || true

# truth: id key (key = the raw sha256 of the picture, a copy's = its original's)
sqlite3 -separator ' ' c.db "SELECT n.id, COALESCE((SELECT o.sha256 FROM image o WHERE o.news_num =
	(SELECT CAST(m.value AS INTEGER) FROM meta m WHERE m.key = 'copy-of-' || n.num)), i.sha256)
	FROM news n JOIN image i ON i.news_num = n.num JOIN resized r ON r.news_num = n.num
	WHERE i.tier <> 'placeholder'" >truth
ncopies=$(grep -c INSERT copies.sql | awk '{ print $1 / 3 }')
echo "| --max-distance | predicted pairs | true pairs | found | precision | recall | groups |"
echo "|---|---|---|---|---|---|---|"
for d in ${DISTANCES:-0 2 4 6 8}; do
	vmind-stats --db c.db --news mind/train/news.tsv --behaviors mind/train/behaviors.tsv \
		--duplicates --max-distance "$d" --format csv |
		awk -F, '$1 ~ /^[0-9]+$/ && NF == 7 { print $1, $3 }' >groups
	awk -v d="$d" 'FILENAME == "truth" { key[$1] = $2; next }
		{ g[$1] = g[$1] " " $2; groups[$1] = 1 }
		END {
			for (id in key) byk[key[id]] = byk[key[id]] " " id
			for (k in byk) { n = split(byk[k], a, " "); tp_all += n * (n - 1) / 2 }
			for (x in g) {
				n = split(g[x], a, " ")
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
					pred++
					if ((a[i] in key) && (a[j] in key) && key[a[i]] == key[a[j]]) hit++
				}
			}
			ng = 0; for (x in groups) ng++
			printf "| %d | %d | %d | %d | %.3f | %.3f | %d |\n", d, pred, tp_all, hit,
				pred ? hit / pred : 1, tp_all ? hit / tp_all : 1, ng
		}' truth groups
done
echo
echo "$(wc -l <truth | tr -d ' ') items with a resized picture ($ncopies near copies added);" \
	"$(sqlite3 c.db "SELECT count(*) FROM image WHERE tier = 'placeholder'") placeholders (never grouped)."
