#!/bin/sh
# t0461-crawl-search.sh: vmind-crawl's search tier against the simulated
# web's searx-compatible JSON API (searx.test/search): the best result by
# headline similarity is taken when it passes --min-similarity and the
# runner-up does not (site prefixes and word order handled: a shuffled
# title loses); an image URL on more than 3 result pages (a stock photo) is
# not taken; its img_src first, else the covers of its page (searx
# json_engine results have no image), trying the accepted results in turn;
# an ambiguous or weak result set gives nothing; provenance columns;
# --search-hint category; --placeholder white for the items left without
# an image; --tiers origin,search skips the archive; bad --search values.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

fixture c/jpg.jpg cover.jpg
fixture c/png.png cover.png
fixture c/webp.webp cover.webp
fixture c/stock.png small.png
printf 'gone\n' | file pages/gone.txt
og() { printf '<html><head><meta property="og:image" content="%s"></head><body>x</body></html>' "$1" | file "$2"; }
image img.test /a.jpg c/jpg.jpg image/jpeg
image img.test /b.png c/png.png image/png
image img.test /c.webp c/webp.webp image/webp
image img.test /stock.jpg c/jpg.jpg image/jpeg
og http://img.test/b.png pages/b.html
og http://img.test/c.webp pages/c.html
og http://img.test/stock.jpg pages/stock.html
page pages.test /b.html pages/b.html
page pages.test /c.html pages/c.html
page pages.test /stock.html pages/stock.html
printf 'url\ttitle\tcontent\timg_src\tthumbnail_src\tengine\n' >"$W/search.tsv"
res() { printf '%s\t%s\t%s\t%s\t\tsim\n' "$1" "$2" "$3" "$4" >>"$W/search.tsv"; }
for i in 1 2 3 4 5; do route news.test /n$i.html 404 text/html pages/gone.txt; done
# N1: a site prefix, punctuation, and a shuffled distractor with another image
news N1 http://news.test/n1.html "Storm hits the coast, thousands without power"
res http://pages.test/x1.html "Power without the coast hits thousands storm" "storm" http://img.test/stock.jpg
res http://pages.test/a1.html "Yahoo News - Storm hits the coast thousands without power" "storm" http://img.test/a.jpg
# N2: no img_src: the page's cover
news N2 http://news.test/n2.html "Senate passes the farm bill after long debate"
res http://pages.test/b.html "Senate passes the farm bill after long debate | Daily Planet" "farm" ""
# N3: img_src dead: the page's cover
news N3 http://news.test/n3.html "Local bakery wins national bread award"
res http://pages.test/c.html "Local bakery wins national bread award" "bread" http://img.test/dead.webp
# N4: only a weak match
news N4 http://news.test/n4.html "Quarterback injured in season opener loss"
res http://pages.test/stock.html "Season tickets on sale for opener" "tickets" http://img.test/stock.jpg
# N5: two different stories, both close: ambiguous
news N5 http://news.test/n5.html "City council approves new park budget plan"
res http://pages.test/p1.html "City council approves new park budget plan" "park" http://img.test/a.jpg
res http://pages.test/p2.html "City council approves new park budget" "park" http://img.test/b.png

# N6: the matching result's image is on four other pages too: a stock photo
news N6 http://news.test/n6.html "Harbor festival draws record crowds downtown"
route news.test /n6.html 404 text/html pages/gone.txt
image img.test /shared.jpg c/jpg.jpg image/jpeg
res http://pages.test/h.html "Harbor festival draws record crowds downtown" "harbor" http://img.test/shared.jpg
for i in 1 2 3 4; do res http://pages.test/s$i.html "Harbor news roundup $i" "harbor" http://img.test/shared.jpg; done

web_start
S="--search searx:http://searx.test"
crawl --allow-private --tiers origin,search $S
is "$rc" 0 "exits 0"
is "$(q "SELECT n.id, i.sha256 FROM news n JOIN image i ON i.news_num = n.num ORDER BY n.num" | tr '\n' ' ')" \
   "N1 $(sha "$D/cover.jpg") N2 $(sha "$D/cover.png") N3 $(sha "$D/cover.webp") " \
   "N1 the prefixed copy, N2 and N3 the result page's cover; N4 (weak) and N5 (ambiguous) nothing"
is "$(q "SELECT tier, search_backend, search_query, search_rank, matched_title, page_url, image_url, similarity > 0.9, runner_up_similarity < 0.75 FROM image WHERE news_num = 1")" \
   "search searx storm hits the coast thousands without power 2 Yahoo News - Storm hits the coast thousands without power http://pages.test/a1.html http://img.test/a.jpg 1 1" \
   "N1 provenance: backend, normalised query, rank 2, matched title, similarity, runner-up"
is "$(q "SELECT page_url, image_url FROM image WHERE news_num = 2")" "http://pages.test/b.html http://img.test/b.png" "N2: image from the page"
is "$(q "SELECT image_url FROM image WHERE news_num = 3")" "http://img.test/c.webp" "N3: the dead img_src, then the page"
is "$(asked img.test /dead.webp)" 1 "N3's img_src was tried first"
is "$(q "SELECT count(*) FROM request WHERE tier = 'search' AND purpose = 'search'")" 6 "one search request per item"
is "$(q "SELECT count(*) FROM image WHERE news_num = 6")" 0 "N6: an image on five result pages is not taken"
is "$(asked img.test /shared.jpg)" 0 "  ... nor fetched"
is "$(awk -F'\t' '$3 == "searx.test" && $4 == "/robots.txt"' "$T/req.log" | wc -l | tr -d ' ')" 0 "no robots.txt asked of the search API"
is "$(asked searx.test '/search?q=storm+hits+the+coast+thousands+without+power&format=json')" 1 "the query is the normalised headline"
is "$(awk -F'\t' '$3 == "web.archive.org"' "$T/req.log" | wc -l | tr -d ' ')" 0 "--tiers origin,search: no archive request"
is "$(q "SELECT state || ' ' || outcome FROM news WHERE num IN (4, 5, 6)" | tr '\n' ' ')" "done no-image done no-image done no-image " "N4 N5 N6 done without an image"
is "$(q "SELECT last_error FROM news WHERE num = 5")" "search searx: no result similar enough (2 results)" "N5's reason"

# --search-hint category adds the category; --placeholder white
rm -rf "$T/c.db" "$T/out"
crawl --allow-private --tiers origin,search $S --search-hint category --placeholder white
is "$rc" 0 "with --placeholder white: exits 0"
is "$(asked searx.test '/search?q=storm+hits+the+coast+thousands+without+power+news&format=json')" 1 "--search-hint category adds it"
is "$(q "SELECT n.id, i.tier, i.width, i.height, i.mime FROM news n JOIN image i ON i.news_num = n.num WHERE i.tier = 'placeholder' ORDER BY n.num" | tr '\n' ' ')" \
   "N4 placeholder 224 224 image/jpeg N5 placeholder 224 224 image/jpeg N6 placeholder 224 224 image/jpeg " "N4, N5 and N6 get the placeholder"
is "$(q "SELECT count(DISTINCT sha256) FROM image WHERE tier = 'placeholder'")" 1 "one placeholder image"
# placeholders are not images, in the summary and --stats-json as in vmind-stats
vmind-crawl --db "$T/ph.db" --out "$T/ph" --connect-to "::127.0.0.1:$PORT" --allow-private --tiers origin,search $S \
	--search-hint category --placeholder white --stats-json "$T/ph.json" "$T/news/news.tsv" 2>"$T/ph.err"
nimg=$(sqlite3 "$T/ph.db" "SELECT count(*) FROM image WHERE tier <> 'placeholder'")
grep -q "[0-9] items worked in .*: $nimg image (origin [0-9]*, archive 0, search [0-9]*), 3 placeholder, " "$T/ph.err"
ok $? "the summary counts $nimg images and 3 placeholders apart"
[ $? -eq 0 ] || sed 's/^/#   /' "$T/ph.err"
tr -d ' \t\n' <"$T/ph.json" | grep -q "\"image\":$nimg,\"placeholder\":3,"; ok $? "--stats-json: image $nimg, placeholder 3"
f=$(q "SELECT raw_path FROM image WHERE news_num = 4")
is "$(sha "$T/out/$f")" "$(q "SELECT sha256 FROM image WHERE news_num = 4")" "the placeholder file is in raw/"
if command -v vipsheader >/dev/null 2>&1; then
	is "$(vipsheader "$T/out/$f" | grep -o '224x224 uchar, 3 bands')" "224x224 uchar, 3 bands" "a 224x224 RGB image"
	is "$(vips min "$T/out/$f")" 255.000000 "all white (its darkest pixel is 255)"
else
	skip "vipsheader not installed"
fi

# usage errors
rm -rf "$T/c.db" "$T/out"
crawl --search bing
is "$rc" 2 "--search bing: usage error"
VMIND_BRAVE_KEY= crawl --search brave
is "$rc" 2 "--search brave without VMIND_BRAVE_KEY: usage error"
crawl --tiers origin,ftp
is "$rc" 2 "--tiers with an unknown tier: usage error"
crawl --tiers search
is "$rc" 2 "--tiers search without --search: usage error"
done_testing
