#!/bin/sh
# t0462-crawl-search-apis.sh: the Google Custom Search and Brave image search
# backends of vmind-crawl's search tier, on canned JSON answers served by
# vmind-web (their endpoints moved there with --search-url-google and
# --search-url-brave): the request (key, engine id, query, image search;
# Brave's key in its X-Subscription-Token header, via --log-header),
# the parsing of each answer (Google items[].link / image.contextLink;
# Brave results[].properties.url / url / thumbnail.src), backends tried in
# priority order (an empty or broken answer passes to the next), and the
# provenance's backend name.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

fixture c/jpg.jpg cover.jpg
fixture c/png.png cover.png
fixture c/webp.webp cover.webp
printf 'gone\n' | file pages/gone.txt
image img.test /g.jpg c/jpg.jpg image/jpeg
image img.test /b.png c/png.png image/png
image img.test /t.webp c/webp.webp image/webp
for i in 1 2 3 4; do route news.test /n$i.html 404 text/html pages/gone.txt; done
news N1 http://news.test/n1.html "Storm hits the coast, thousands without power"
news N2 http://news.test/n2.html "Senate passes the farm bill after long debate"
news N3 http://news.test/n3.html "Local bakery wins national bread award"
news N4 http://news.test/n4.html "Quarterback injured in season opener loss"
GQ='/customsearch/v1?key=k%2By&cx=c%3A1&q=QUERY&searchType=image&num=10'
BQ='/res/v1/images/search?q=QUERY&count=20'
api() {   # api HOST PATHTEMPLATE QUERY FILE
	route "$1" "$(echo "$2" | sed "s/QUERY/$3/")" 200 application/json "$4"
}
q1=storm+hits+the+coast+thousands+without+power
q2=senate+passes+the+farm+bill+after+long+debate
q3=local+bakery+wins+national+bread+award
q4=quarterback+injured+in+season+opener+loss
# Google: N1 found (second item); N2 has no items (Brave has it); N3 broken JSON (Brave has it)
file g1.json <<'EOF'
{"kind": "customsearch#search", "items": [
 {"kind": "customsearch#result", "title": "Weather roundup", "link": "http://img.test/t.webp",
  "image": {"contextLink": "http://pages.test/w.html", "height": 100, "width": 100}},
 {"kind": "customsearch#result", "title": "Storm hits the coast, thousands without power - Example News",
  "link": "http://img.test/g.jpg", "mime": "image/jpeg",
  "image": {"contextLink": "http://pages.test/g1.html", "height": 300, "width": 400}}]}
EOF
printf '{"kind": "customsearch#search", "searchInformation": {"totalResults": "0"}}' | file g2.json
printf '{"items": [' | file g3.json
printf '{"items": []}' | file g4.json
api google.test "$GQ" $q1 g1.json
api google.test "$GQ" $q2 g2.json
api google.test "$GQ" $q3 g3.json
api google.test "$GQ" $q4 g4.json
file b2.json <<'EOF'
{"type": "images", "query": {"original": "senate passes the farm bill after long debate"}, "results": [
 {"type": "image_result", "title": "Senate passes the farm bill after long debate | Capitol Daily",
  "url": "http://pages.test/b2.html", "source": "pages.test",
  "thumbnail": {"src": "http://imgs.search.test/thumb.jpg"}, "properties": {"url": "http://img.test/b.png"}}]}
EOF
file b3.json <<'EOF'
{"type": "images", "results": [
 {"type": "image_result", "title": "Local bakery wins national bread award", "url": "http://pages.test/b3.html",
  "thumbnail": {"src": "http://img.test/t.webp"}}]}
EOF
printf '{"type": "images", "results": []}' | file b4.json
api brave.test "$BQ" $q2 b2.json
api brave.test "$BQ" $q3 b3.json
api brave.test "$BQ" $q4 b4.json

WEB_ARGS="--log-header X-Subscription-Token" web_start
export VMIND_GOOGLE_CSE_KEY=k+y VMIND_GOOGLE_CSE_CX=c:1 VMIND_BRAVE_KEY=secret
crawl --allow-private --tiers search --search google-cse --search brave \
	--search-url-google http://google.test/customsearch/v1 --search-url-brave http://brave.test/res/v1/images/search
is "$rc" 0 "exits 0"
is "$(q "SELECT last_error FROM news WHERE num = 3")" "search google-cse: not a google-cse JSON answer" "N3: Google's broken answer noted, Brave asked"
is "$(q "SELECT n.id, i.search_backend, i.search_rank, i.page_url, i.image_url FROM news n JOIN image i ON i.news_num = n.num ORDER BY n.num" | tr '\n' ' ')" \
   "N1 google-cse 2 http://pages.test/g1.html http://img.test/g.jpg N2 brave 1 http://pages.test/b2.html http://img.test/b.png N3 brave 1 http://pages.test/b3.html http://img.test/t.webp " \
   "Google's link/contextLink, Brave's properties.url (else thumbnail.src), in priority order"
is "$(q "SELECT sha256 FROM image ORDER BY news_num" | tr '\n' ' ')" "$(sha "$D/cover.jpg") $(sha "$D/cover.png") $(sha "$D/cover.webp") " "the right bytes"
is "$(q "SELECT matched_title FROM image WHERE news_num = 1")" "Storm hits the coast, thousands without power - Example News" "matched title as the API gave it"
is "$(asked google.test "$(echo "$GQ" | sed "s/QUERY/$q1/")")" 1 "Google asked with key, cx, q and searchType=image"
is "$(asked brave.test "$(echo "$BQ" | sed "s/QUERY/$q1/")")" 0 "Brave not asked when Google found it"
is "$(asked brave.test "$(echo "$BQ" | sed "s/QUERY/$q4/")")" 1 "Brave asked when Google had nothing"
is "$(q "SELECT last_error FROM news WHERE num = 4")" "search brave: no result similar enough (0 results)" "N4: nothing anywhere"
# the key travels in Brave's header, and only to Brave
is "$(awk -F'\t' '$3 == "brave.test" { print $7 }' "$T/req.log" | sort -u)" "secret" "Brave requests carry X-Subscription-Token: the key"
is "$(awk -F'\t' '$3 != "brave.test" && $7 != "" { n++ } END { print n + 0 }' "$T/req.log")" 0 "no other request carries that header"
is "$(q "SELECT count(*) FROM request WHERE purpose = 'search' AND error IS NOT NULL")" 0 "API requests succeeded"
done_testing
