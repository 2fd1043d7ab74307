#!/bin/sh
# t0901-report.sh: vmind-report on a database made by hand
# (tests/data/report/fixture.sh): Table 1 and the per-class counts equal what
# sqlite3 counts on its own; one gallery item per tier (search picks first,
# least similar first); a hostile title and a javascript: URL are escaped,
# not live; thumbnails are linked relatively and exist inside the report
# folder, byte-equal to the resized files; rejected picks, duplicate groups,
# failures by reason and the training curves are shown; pagination writes
# tier pages and a smaller rerun removes stale ones; a missing resized file
# gives exit 1 naming the item; usage errors give exit 2.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/report/fixture.sh"

fixture_make
ok $? "fixture database and images made"
R=$T/report
exits 0 "vmind-report exits 0" vmind-report --db "$T/db" --images "$T/images" --out "$R" \
	--train-log "$T/train.csv" --title 'Curation <test>'
H=$R/index.html
check "index.html and report.css written" test -s "$H" -a -s "$R/report.css"

# Table 1, expectations from sqlite3
q() { sqlite3 "$T/db" "$1"; }
news=$(q "SELECT count(*) FROM news")
images=$(q "SELECT count(*) FROM image WHERE tier IN ('origin','archive','search')")
origin=$(q "SELECT count(*) FROM image WHERE tier IN ('origin','archive')")
cell() { sed -n "s/.*data-k=\"$1\">\([^<]*\)<.*/\1/p" "$H" | head -1; }
is "$(cell news)" "$news" "Table 1 news = rows of news ($news)"
is "$(cell images)" "$images" "Table 1 images = origin + archive + search ($images)"
is "$(cell image_rate)" "$(awk -v a="$images" -v n="$news" 'BEGIN { printf "%.2f%%", 100 * a / n }')" "image rate"
is "$(cell origin_rate)" "$(awk -v a="$origin" -v n="$news" 'BEGIN { printf "%.2f%%", 100 * a / n }')" "origin rate"
for tier in origin archive search placeholder; do
	is "$(cell $tier)" "$(q "SELECT count(*) FROM image WHERE tier = '$tier'")" "count of tier $tier"
done
is "$(cell 'no image')" "$(q "SELECT count(*) FROM news WHERE state = 'done' AND num NOT IN (SELECT news_num FROM image)")" "count of done without image"
is "$(cell failed)" "$(q "SELECT count(*) FROM news WHERE state = 'failed'")" "count of failed"
is "$(cell pending)" "$(q "SELECT count(*) FROM news WHERE state = 'pending'")" "count of pending"
grep -q '<title>Curation &lt;test&gt;</title>' "$H"
ok $? "--title escaped"

# galleries: on pages of their own (the main page links them), search first
# and least similar first; no gallery of placeholders
is "$(grep -c '<figure class="item tier-' "$H")" 0 "the main page holds no gallery"
for tier in search archive origin; do
	grep -q "href=\"tier-$tier-1.html\"" "$H"; ok $? "the main page links the $tier gallery"
done
G=$T/galleries.html
cat "$R"/tier-search-*.html "$R"/tier-archive-*.html "$R"/tier-origin-*.html >"$G"
for tier in search archive origin; do
	n=$(grep -c "<figure class=\"item tier-$tier\"" "$G")
	is "$n" "$(q "SELECT count(*) FROM image WHERE tier = '$tier'")" "gallery of tier $tier holds its items"
done
test ! -e "$R/tier-placeholder-1.html"; ok $? "no gallery of blank placeholders"
grep -q 'Placeholders are one white image: no gallery' "$H"; ok $? "the main page says why"
order=$(grep -o 'id="\(search\|archive\|origin\|placeholder\)-N[0-9]*"' "$G" | sed 's/id="//; s/"//' | tr '\n' ' ')
is "$order" "search-N4 search-N3 archive-N2 origin-N1 origin-N10 " "search tier first, ascending similarity"
grep -q 'captured 2019-11-10' "$G"
ok $? "archive capture date shown"
grep -q 'assets.msn.com via <a rel="noopener noreferrer" href="https://web.archive.org/' "$G"
ok $? "archive item: original site via the archive"
grep -q '<input type="checkbox" class="reject" value="N4">' "$R/tier-search-1.html"; ok $? "a gallery item can be ticked as a wrong pick"
grep -q 'id="reject-download" download="reject.txt"' "$R/tier-search-1.html"; ok $? "each gallery page has the download link"
H0=$H H=$G

# hostile input; the one script is report.js, no inline script
is "$(grep -ho '<script[^>]*>' "$R"/*.html | sort -u)" '<script src="report.js" defer>' "no script but report.js"
test -s "$R/report.js"; ok $? "report.js written"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; title' "$H"
ok $? "hostile title escaped"
grep -qi 'href="javascript' "$H"
ok $((! $?)) "javascript: page URL not linked"
grep -q 'Pitcher &lt;b&gt;signs&lt;/b&gt; deal' "$H"
ok $? "matched title escaped"
H=$H0

# thumbnails: relative, inside the folder, equal to the resized files
srcs=$(grep -o '<img src="[^"]*"' "$R"/*.html | sed 's/.*src="//; s/"$//' | sort -u)
nbad=0 nsrc=0
for s in $srcs; do
	nsrc=$((nsrc + 1))
	case $s in /*|*:*|*..*) nbad=$((nbad + 1)); echo "# not relative: $s"; continue ;; esac
	[ -f "$R/$s" ] || { nbad=$((nbad + 1)); echo "# missing: $s"; continue; }
	id=$(basename "$s" .jpg)
	cmp -s "$R/$s" "$T/images/$id.jpg" || { nbad=$((nbad + 1)); echo "# differs: $s"; }
done
is "$nsrc" "4" "four distinct thumbnails linked (N1-N4; no placeholder gallery)"
is "$nbad" "0" "every thumbnail link is relative, exists in the folder and equals its resized file"
grep -q '<div class="noimg">not resized</div>' "$G"
ok $? "an item without a resized file says so"

# rejected, duplicates, failures, training
sed -n '/id="rejected-table"/,/<\/table>/p' "$H" >"$T/rej"
grep -q '<td>N3</td>' "$T/rej" && grep -q 'site logo, not a &lt;photo&gt;' "$T/rej" &&
	grep -q 'https://wrong.example/logo.png' "$T/rej"
ok $? "rejected pick shown apart with its reason"
grep -q 'thumbs/N3.jpg" alt="N3 now"' "$T/rej"
ok $? "rejected row shows the current pick"
grep 'id="search-N3"' "$G" | grep -q 'href="index.html#rejected">replaces 1 rejected pick</a>'
ok $? "the gallery item of N3 points to its rejected pick"
is "$(grep -c 'replaces [0-9]* rejected' "$G")" "1" "no other item claims a rejected pick"
sed -n '/id="dupe-1"/p' "$H" >"$T/dupe"
grep -q '<b>N3</b>' "$T/dupe" && grep -q '<b>N4</b>' "$T/dupe"
ok $? "N3 and N4 form a duplicate group"
is "$(grep -c 'class="group"' "$H")" "1" "one duplicate group"
sed -n '/id="failed-crawl"/,/<\/table>/p' "$H" >"$T/fail"
grep -q '<code>http-5xx</code></td><td class="num">1</td><td>N7</td>' "$T/fail" &&
	grep -q '<code>timeout</code></td><td class="num">1</td><td>N8</td>' "$T/fail"
ok $? "crawl failures grouped by class with examples"
grep -q '<code>not a known image format</code></td><td class="num">1</td><td>N10</td>' "$H"
ok $? "resize errors grouped"
grep -q '<code>no image on page</code></td><td class="num">1</td><td>N6</td>' "$H"
ok $? "done without image grouped by last error"
for m in loss auc mrr ndcg5 ndcg10; do
	grep -q "<h3>$m</h3>" "$H"
	ok $? "training chart $m"
done
grep -q '<title>seconds' "$H"
ok $((! $?)) "no chart for the seconds column"
is "$(grep -c '<polyline' "$H")" "6" "six training lines (loss per step and per epoch, 4 metrics)"

# pagination, and stale pages removed by a smaller rerun
exits 0 "paginated run" vmind-report --db "$T/db" --images "$T/images" --out "$R" --per-page 1
check "tier-search-2.html written" test -f "$R/tier-search-2.html"
check "tier-origin-2.html written" test -f "$R/tier-origin-2.html"
is "$(grep -c '<figure class="item tier-search"' "$R/tier-search-1.html")" "1" "one search item per page"
grep -q 'id="search-N3"' "$R/tier-search-2.html"
ok $? "second search page holds N3"
exits 0 "unpaginated rerun" vmind-report --db "$T/db" --images "$T/images" --out "$R"
check "stale tier pages removed" test ! -e "$R/tier-search-2.html" -a ! -e "$R/tier-origin-2.html"
exits 0 "--max-items 1" vmind-report --db "$T/db" --images "$T/images" --out "$T/r1" --max-items 1
is "$(cat "$T"/r1/tier-origin-*.html | grep -c '<figure class="item tier-origin"')" "1" "--max-items limits a gallery"

# --behaviors adds users
printf '1\tU7\t11/11/2019 9:05:58 AM\tN1\tN2-1 N3-0\n2\tU9\t11/11/2019 9:06:00 AM\t\tN1-0\n3\tU7\t11/11/2019 9:07:00 AM\t\tN4-1\n' >"$T/behaviors.tsv"
exits 0 "--behaviors" vmind-report --db "$T/db" --images "$T/images" --out "$T/r2" --behaviors "$T/behaviors.tsv"
H=$T/r2/index.html
is "$(cell users)" "2" "users counted from behaviors"

# --runs: the paper's Table 3, Fig. 5 and Fig. 6 from a folder of runs.
# model RUNS/NAME USER FIELDS RATIO SEED AUC: a metadata-only safetensors
# file as vlsnr-train writes its metadata, and vlsnr-eval's JSON beside it
model() {
	h=$(printf '{"__metadata__":{"user_encoder":"%s","fields":"%s","image_ratio":"%s","seed":"%s"}}' "$2" "$3" "$4" "$5")
	while [ $(( ${#h} % 8 )) -ne 0 ]; do h="$h "; done
	printf "$(printf '\\%03o' "${#h}")\\0\\0\\0\\0\\0\\0\\0%s" "$h" >"$1.st"
	printf '{"auc": %s, "mrr": 0.3, "ndcg5": 0.35, "ndcg10": 0.42, "impressions": 10}\n' "$6" >"$1.json"
}
mkdir -p "$T/runs"
all=image,title,category,subcategory
for seed in 1 2 3; do
	model "$T/runs/full.$seed" vlsnr $all 1 $seed "0.74$seed"
	model "$T/runs/text.$seed" vlsnr title,category,subcategory 1 $seed "0.73$seed"
	model "$T/runs/gru.$seed" gru $all 1 $seed 0.72
	model "$T/runs/none.$seed" none $all 1 $seed 0.60
	model "$T/runs/ratio0.$seed" vlsnr $all 0 $seed 0.73
	model "$T/runs/ratio0.5.$seed" vlsnr $all 0.5 $seed 0.735
done
printf '{"auc": 0.9}\n' >"$T/runs/orphan.json"   # no model beside it: skipped
exits 0 "--runs" vmind-report --db "$T/db" --images "$T/images" --out "$T/r5" --runs "$T/runs"
H=$T/r5/index.html
grep -q '<td>image,title,category,subcategory</td><td>3</td><td>0.7420 &#177; 0.0006</td>' "$H"
ok $? "Table 3: the full model's mean AUC over its three seeds, with its standard error"
grep -q '<td>title,category,subcategory</td><td>3</td><td>0.7320 &#177; 0.0006</td>' "$H"
ok $? "Table 3: the text fields' row"
grep -q '0.6000 &#177; 0.0000 (3)' "$H"
ok $? "Fig. 5: a bar for the none encoder"
[ "$(grep -c '&#177; 0.0000 (3)</text>' "$H")" -eq 2 ] && grep -q '0.7420 &#177; 0.0006 (3)</text>' "$H"
ok $? "Fig. 5: bars for none, gru and the full model"
grep -q '<tr><td>0.00</td><td>3</td><td>0.7300' "$H" && grep -q '<tr><td>0.50</td><td>3</td><td>0.7350' "$H" &&
	grep -q '<tr><td>1.00</td><td>3</td><td>0.7420' "$H"
ok $? "Fig. 6: the curve's points by image ratio"
grep -q 'polyline' "$H"
ok $? "Fig. 6 drawn"
printf 'not json' >"$T/runs/bad.json"; cp "$T/runs/full.1.st" "$T/runs/bad.st"
exits 2 "a run whose metrics are not JSON: exit 2" vmind-report --db "$T/db" --images "$T/images" --out "$T/r6" --runs "$T/runs"
grep -q 'bad.json' "$T/err"
ok $? "the message names the file"

# a missing resized file: report written, exit 1, the item named
rm "$T/images/N2.jpg"
exits 1 "missing resized file: exit 1" vmind-report --db "$T/db" --images "$T/images" --out "$T/r3"
grep -q 'N2' "$T/err"
ok $? "the warning names N2"
cat "$T"/r3/tier-*.html | grep -q '<div class="noimg">missing file</div>'
ok $? "the item says its file is missing"

exits 2 "no --db: exit 2" vmind-report --images "$T/images" --out "$T/r4"
exits 2 "missing database: exit 2" vmind-report --db "$T/nope.db" --images "$T/images" --out "$T/r4"
exits 2 "missing train log: exit 2" vmind-report --db "$T/db" --images "$T/images" --out "$T/r4" --train-log "$T/nope.csv"
grep -q 'nope.csv' "$T/err"
ok $? "the message names the log"
# similarity coloured by risk: N4 (0.55) red, N3 (0.81, runner-up 0.2) amber
grep -o 'id="search-N[0-9]*".*' "$R/tier-search-1.html" | grep '^id="search-N4"' | grep -q 'class="sim sim-risk"'; ok $? "N4 at similarity 0.55: red (high risk)"
grep -o 'id="search-N[0-9]*".*' "$R/tier-search-1.html" | grep '^id="search-N3"' | grep -q 'class="sim sim-check"'; ok $? "N3 at 0.81: amber"

# failure messages that differ only in numbers are one row
cp "$T/db" "$T/db2"
sqlite3 "$T/db2" "UPDATE news SET state = 'done', outcome = 'no-image', last_error = 'page: transfer closed with ' || (num * 1000 + 7) || ' bytes remaining to read' WHERE num IN (7, 8, 9)"
vmind-report --db "$T/db2" --images "$T/images" --out "$T/r2" 2>/dev/null
grep -o '<table id="no-image">.*' "$T/r2/index.html" >/dev/null
n=$(grep -c 'transfer closed with N bytes remaining to read</code></td><td class="num">3<' "$T/r2/index.html")
is "$n" 1 "three 'transfer closed with K bytes' errors are one row of 3"
# the training charts show the final dev score and, with --oracle, the oracle's
printf '{"split":"dev","impressions":3,"oracle":{"auc":0.83,"mrr":0.48,"ndcg5":0.55,"ndcg10":0.6},"text_only":{"auc":0.8,"mrr":0.4,"ndcg5":0.5,"ndcg10":0.5}}\n' >"$T/oracle.json"
vmind-report --db "$T/db" --images "$T/images" --out "$T/r6" --train-log "$T/train.csv" --oracle "$T/oracle.json" 2>/dev/null; [ $? -le 1 ]; ok $? "--oracle (exit 1: N2's file was removed above)"
sed -n '/<h3>auc<\/h3>/,/<\/svg>/p' "$T/r6/index.html" >"$T/auc.svg"
grep -q 'class="ref".*>oracle 0.83<' "$T/auc.svg"; ok $? "the auc chart shows the oracle's 0.83"
grep -q 'class="ref".*>final dev 0.64<' "$T/auc.svg"; ok $? "and the final dev AUC (0.64, the last epoch's)"
is "$(sed -n '/<h3>loss<\/h3>/,/<\/svg>/p' "$T/r6/index.html" | grep -c 'class="ref"')" 0 "the loss chart has no reference line"
echo '{"auc": 0.7}' >"$T/notoracle.json"
exits 2 "--oracle with another JSON: exit 2" vmind-report --db "$T/db" --images "$T/images" --out "$T/r7" --oracle "$T/notoracle.json"
test ! -e "$T/r7"; ok $? "nothing written"
# an input error (an empty --train-log) is found before anything is written
: >"$T/empty.csv"
exits 2 "an empty --train-log: exit 2" vmind-report --db "$T/db" --images "$T/images" --out "$T/nothing" --train-log "$T/empty.csv"
grep -q "empty.csv: no header line" "$T/err"; ok $? "the error names the log"
test ! -e "$T/nothing"; ok $? "no report folder, page nor temporary left behind"
done_testing
