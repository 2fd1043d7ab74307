#!/bin/sh
# t0460-crawl-archive.sh: vmind-crawl's archive tier against the simulated
# web's Wayback API (CDX and raw id_ captures on web.archive.org): the
# newest 200 capture is used (older ones and non-200 captures are not), the
# cover of the capture is fetched live, or when dead from its own capture;
# a page listed under its www.msn.com ar-ID form is found under the derived
# assets.msn.com/labs/mind/ID.html form; a page alive without a cover is
# looked up too; an item without captures ends without an image; the
# provenance columns; --tiers origin leaves the archive alone; and the
# archive's 429 + Retry-After (vmind-web --archive-rate) is waited out.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

A=web.archive.org
fixture c/jpg.jpg cover.jpg
fixture c/png.png cover.png
fixture c/webp.webp cover.webp
printf '<html><head><meta property="og:image" content="http://img.test/%s"></head><body>x</body></html>' new.jpg | file pages/new.html
printf '<html><head><meta property="og:image" content="http://img.test/%s"></head><body>x</body></html>' old.png | file pages/old.html
printf '<html><head><meta property="og:image" content="http://img.test/%s"></head><body>x</body></html>' gone.webp | file pages/gone.html
printf '<html><head><meta property="og:image" content="http://img.test/%s"></head><body>x</body></html>' live.png | file pages/live.html
printf '<html><head><meta property="og:image" content="http://img.test/%s"></head><body>x</body></html>' gone2.webp | file pages/gone2.html
printf '<html><head><title>no image</title></head><body>nothing</body></html>' | file pages/noimg.html
printf 'gone\n' | file pages/gone.txt
image img.test /new.jpg c/jpg.jpg image/jpeg
image img.test /old.png c/png.png image/png
image img.test /live.png c/png.png image/png
# /gone.webp is not served (404): its capture is
cap() {   # cap URL TS STATUS BODY [MIME]
	printf '%s\t%s\t%s\t%s\t%s\t-\t0\t\n' "$1" "$2" "$3" "${5:-text/html}" "$4" >>"$W/captures.tsv"
}
printf 'url\ttimestamp\tstatus\tmimetype\tbody\tdigest\tlength\theaders\n' >"$W/captures.tsv"

# N1: dead; captures 2019 (old cover), 2020 (new cover) and a 2023 404
route news.test /n1.html 404 text/html pages/gone.txt
cap http://news.test/n1.html 20191111000000 200 pages/old.html
cap http://news.test/n1.html 20200505000000 200 pages/new.html
cap http://news.test/n1.html 20230505000000 404 pages/gone.txt
news N1 http://news.test/n1.html
# N2: dead; its capture's cover is dead live but archived a second later
route news.test /n2.html 410 text/html pages/gone.txt
cap http://news.test/n2.html 20200101000000 200 pages/gone.html
cap http://img.test/gone.webp 20200101000001 200 c/webp.webp image/webp
news N2 http://news.test/n2.html
# N3: listed as www.msn.com/.../ar-AAxyz12, archived as assets.msn.com/labs/mind/AAxyz12.html
route www.msn.com /en-us/news/world/some-title/ar-AAxyz12 404 text/html pages/gone.txt
cap http://assets.msn.com/labs/mind/AAxyz12.html 20210303000000 200 pages/live.html
news N3 http://www.msn.com/en-us/news/world/some-title/ar-AAxyz12
# N4: alive but without a cover; its capture has one
page news.test /n4.html pages/noimg.html
cap http://news.test/n4.html 20200202000000 200 pages/new.html
news N4 http://news.test/n4.html
# N5: dead, never archived
route news.test /n5.html 404 text/html pages/gone.txt
news N5 http://news.test/n5.html
# N6: dead; the only capture's cover is dead live and not archived
route news.test /n6.html 404 text/html pages/gone.txt
cap http://news.test/n6.html 20200101000000 200 pages/gone2.html
news N6 http://news.test/n6.html

web_start
crawl --allow-private --tiers origin
is "$rc" 0 "--tiers origin: exits 0"
is "$(q "SELECT count(*) FROM image")" 0 "--tiers origin: no image"
is "$(grep -c "	$A	" "$T/req.log")" 0 "--tiers origin: the archive is not asked"
rm -rf "$T/c.db" "$T/out"

crawl --allow-private --archive http://$A
is "$rc" 0 "exits 0"
is "$(q "SELECT id FROM news n WHERE NOT EXISTS (SELECT 1 FROM image WHERE news_num = n.num) ORDER BY num" | tr '\n' ' ')" \
   "N5 N6 " "N5 (no capture) and N6 (dead cover, not archived) get no image"
is "$(q "SELECT tier, sha256, page_url, image_url, capture_timestamp, capture_url, coalesce(image_capture_timestamp, '-') FROM image WHERE news_num = 1")" \
   "archive $(sha "$D/cover.jpg") http://news.test/n1.html http://img.test/new.jpg 20200505000000 http://$A/web/20200505000000id_/http://news.test/n1.html -" \
   "N1: the newest 200 capture, its cover fetched live"
is "$(q "SELECT tier, sha256, image_url, final_url, capture_timestamp, image_capture_timestamp FROM image WHERE news_num = 2")" \
   "archive $(sha "$D/cover.webp") http://img.test/gone.webp http://$A/web/20200101000001id_/http://img.test/gone.webp 20200101000000 20200101000001" \
   "N2: the dead cover from its own capture (nearest, by redirect)"
is "$(q "SELECT tier, sha256, page_url, capture_timestamp FROM image WHERE news_num = 3")" \
   "archive $(sha "$D/cover.png") http://assets.msn.com/labs/mind/AAxyz12.html 20210303000000" \
   "N3: found under the assets.msn.com/labs/mind/ID.html form"
is "$(q "SELECT tier, sha256, capture_timestamp FROM image WHERE news_num = 4")" \
   "archive $(sha "$D/cover.jpg") 20200202000000" "N4: alive without a cover: the capture's"
is "$(asked $A /web/20191111000000id_/http://news.test/n1.html)" 0 "the older capture is not fetched once the newest gives an image"
is "$(awk -F'\t' '$3 == "'$A'" && $4 ~ /^\/cdx\// && $4 !~ /filter=statuscode:200/' "$T/req.log" | wc -l | tr -d ' ')" 0 \
   "every CDX query filters statuscode:200"
is "$(q "SELECT count(*) FROM request WHERE tier = 'archive' AND purpose = 'cdx'")" \
   "$(awk -F'\t' '$3 == "'$A'" && $4 ~ /^\/cdx\//' "$T/req.log" | wc -l | tr -d ' ')" "CDX requests are logged with purpose cdx"
is "$(q "SELECT count(*) FROM request WHERE tier = 'archive' AND purpose = 'capture' AND status = 200")" 5 "five captures fetched (N1 N2 N3 N4 N6)"
is "$(q "SELECT state FROM news WHERE num = 5")" done "N5 done (no capture is not an error)"
is "$(ls "$T/out/raw" | wc -l | tr -d ' ')" 4 "four raw files"

# 429: the archive allows 2 requests a second; with --archive-parallel 1 the
# crawler waits as told and every item still gets its image
web_stop
rm -rf "$T/c.db" "$T/out"
: >"$T/req.log"
WEB_ARGS="--archive-rate 2" web_start
crawl --allow-private --archive http://$A --archive-parallel 1 --retries 5
is "$rc" 0 "rate-limited archive: exits 0"
n429=$(awk -F'\t' '$3 == "'$A'" && $6 == 429' "$T/req.log" | wc -l | tr -d ' ')
ok $([ "$n429" -gt 0 ]; echo $?) "the archive answered 429 ($n429 times)"
is "$(q "SELECT count(*) FROM image WHERE tier = 'archive'")" 4 "every archived item still gets its image"
is "$(q "SELECT count(*) FROM request WHERE status = 429")" "$n429" "the 429s are logged"
done_testing
