#!/bin/sh
# t0450-crawl-layouts.sh: vmind-crawl on one article page per layout (MSN
# 2019 with thumbnails of other stories before the article, og:image,
# twitter:image, link rel=image_src, JSON-LD string/object/array, lazy
# data-src and srcset, relative, protocol-relative and <base href> URLs,
# broken HTML, entities, a wrong charset, no image), each served by
# vmind-web serve; and decoys before the cover (1x1 gif, a too small image,
# HTML served as image/jpeg, a truncated JPEG), which must be skipped for the
# next candidate. Checks each item's image row against the served file.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

A=news.test
I=img.test
fixture c/jpg.jpg cover.jpg
fixture c/png.png cover.png
fixture c/webp.webp cover.webp
fixture c/pixel.gif pixel.gif
fixture c/small.png small.png
head -c 3000 "$D/cover.jpg" >"$W/files/c/trunc.jpg"
image $I /cover.jpg c/jpg.jpg image/jpeg
image $I /cover.png c/png.png image/png
image $I /cover.webp c/webp.webp image/webp
image $I /pixel.gif c/pixel.gif image/gif
image $I /small.png c/small.png image/png
image $I /trunc.jpg c/trunc.jpg image/jpeg
image $I "/tenant/amp/entityid/AAcover.img?h=630&w=1200&m=6" c/jpg.jpg image/jpeg
image $I "/tenant/amp/entityid/AAthumb1.img?h=76&w=138" c/png.png image/png
route $I "/notimage.jpg" 200 image/jpeg pages/html-as-jpeg.html
image $A /rel/img/cover.webp c/webp.webp image/webp
image $A /assets/cover.png c/png.png image/png
image $A /lazy-1200.jpg c/jpg.jpg image/jpeg
image $A /lazy-480.jpg c/png.png image/png
route $A /robots.txt 404 text/plain ""
route $I /robots.txt 200 text/plain robots.txt
printf 'User-agent: *\nDisallow: /private/\n' | file robots.txt

# N1: MSN 2019 layout, og:image first; thumbnails of other stories in <nav>
cat <<'EOF' | file pages/msn.html
<!DOCTYPE html><html><head><meta charset="utf-8"><title>Steelers</title>
<meta property="og:image" content="http://img.test/tenant/amp/entityid/AAcover.img?h=630&amp;w=1200&amp;m=6">
</head><body><header><img src="//c.msn.test/c.gif?rid=1"></header>
<nav class="megamenu"><img alt="" data-src="{&quot;default&quot;:&quot;//img.test/tenant/amp/entityid/AAthumb1.img?h=76&amp;w=138&quot;}" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></nav>
<main><article><section class="articlebody" itemprop="articleBody"><p>Text</p>
<span class="storyimage"><img alt="a player" data-src="{&quot;default&quot;:{&quot;src&quot;:&quot;//img.test/tenant/amp/entityid/AAcover.img?h=450&amp;w=799&amp;m=6&quot;}}" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></span>
</section></article></main></body></html>
EOF
page $A /n1.html pages/msn.html
news N1 http://$A/n1.html
# N2: the same layout without og:image: the article image, never a thumbnail
sed 's/og:image/og:nothing/' "$W/files/pages/msn.html" | file pages/msn-noog.html
image $I "/tenant/amp/entityid/AAcover.img?h=450&w=799&m=6" c/webp.webp image/webp
page $A /n2.html pages/msn-noog.html
news N2 http://$A/n2.html
# N3: twitter:image only, root-relative
printf '<html><head><meta name="twitter:image" content="/assets/cover.png"></head><body>x</body></html>' | file pages/tw.html
page $A /n3.html pages/tw.html
news N3 http://$A/n3.html
# N4: link rel=image_src, protocol-relative
printf '<html><head><link rel="image_src" href="//img.test/cover.webp"></head></html>' | file pages/link.html
page $A /n4.html pages/link.html
news N4 http://$A/n4.html
# N5-N7: JSON-LD string, object, array (first item a 1x1 decoy)
printf '<script type="application/ld+json">{"@type":"NewsArticle","image":"http://img.test/cover.png"}</script>' | file pages/ld1.html
printf '<script type="application/ld+json">{"@type":"NewsArticle","image":{"@type":"ImageObject","url":"http://img.test/cover.jpg"}}</script>' | file pages/ld2.html
printf '<script type="application/ld+json">{"image":["http://img.test/pixel.gif",{"url":"http://img.test/cover.webp"}]}</script>' | file pages/ld3.html
page $A /n5.html pages/ld1.html; news N5 http://$A/n5.html
page $A /n6.html pages/ld2.html; news N6 http://$A/n6.html
page $A /n7.html pages/ld3.html; news N7 http://$A/n7.html
# N8: lazy body images with srcset: the widest entry
printf '<html><body><article><img src="data:image/gif;base64,R0lG" srcset="/lazy-480.jpg 480w, /lazy-1200.jpg 1200w"></article></body></html>' | file pages/lazy.html
page $A /a/n8.html pages/lazy.html; news N8 http://$A/a/n8.html
# N9: relative URL against <base href>
printf '<html><head><base href="/rel/"><meta property="og:image" content="img/cover.webp"></head></html>' | file pages/base.html
page $A /x/n9.html pages/base.html; news N9 http://$A/x/n9.html
# N10: broken HTML, unquoted attributes, entities, a wrong charset declaration
printf '<html><head><meta charset="utf-16"><meta property=og:image content=http://img.test/cover&#46;png><title>a < b</head><body><div><p><article><img src=' | file pages/broken.html
page $A /n10.html pages/broken.html; news N10 http://$A/n10.html
# N11: no image at all
printf '<html><head><title>t</title></head><body><p>no picture</p><img src="/logo.png" width="40" height="40"></body></html>' | file pages/none.html
page $A /n11.html pages/none.html; news N11 http://$A/n11.html
# N12: decoys first: 1x1 gif, a too small png, HTML as image/jpeg, truncated jpeg, then the cover
printf '<html><body>not an image</body></html>' | file pages/html-as-jpeg.html
cat <<'EOF' | file pages/decoys.html
<html><head>
<meta property="og:image" content="http://img.test/pixel.gif">
<meta property="og:image" content="http://img.test/small.png">
<link rel="image_src" href="http://img.test/notimage.jpg">
<meta name="twitter:image" content="http://img.test/trunc.jpg">
<meta name="twitter:image" content="http://img.test/missing.jpg">
</head><body><article><img src="http://img.test/cover.jpg"></article></body></html>
EOF
page $A /n12.html pages/decoys.html; news N12 http://$A/n12.html
# N13: only decoys: no image, done
printf '<meta property="og:image" content="http://img.test/pixel.gif"><meta property="og:image" content="http://img.test/notimage.jpg">' | file pages/onlydecoys.html
page $A /n13.html pages/onlydecoys.html; news N13 http://$A/n13.html

web_start
crawl
is "$rc" 0 "crawl exits 0 (every item worked)"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/crawl.err"

# id image_url sha256 mime width height raw_path
expect() {
	_got=$(q "SELECT i.image_url, i.sha256, i.mime, i.width, i.height, i.raw_path, i.tier, n.state, n.outcome
	          FROM image i JOIN news n ON n.num = i.news_num WHERE n.id = '$1'")
	is "$_got" "$2 $(sha "$W/files/$3") $4 $5 $6 raw/$1.$7 origin done image" "$1: $8"
	if [ -f "$T/out/raw/$1.$7" ]; then
		is "$(sha "$T/out/raw/$1.$7")" "$(sha "$W/files/$3")" "$1: raw file holds the served bytes"
	else
		ok 1 "$1: raw file raw/$1.$7 exists"
	fi
}
expect N1 "http://img.test/tenant/amp/entityid/AAcover.img?h=630&w=1200&m=6" c/jpg.jpg image/jpeg 160 120 jpg "MSN 2019: og:image, entities decoded"
expect N2 "http://img.test/tenant/amp/entityid/AAcover.img?h=450&w=799&m=6" c/webp.webp image/webp 96 96 webp "MSN 2019 without og:image: article image from data-src JSON, not a thumbnail"
expect N3 "http://news.test/assets/cover.png" c/png.png image/png 96 96 png "twitter:image, root-relative"
expect N4 "http://img.test/cover.webp" c/webp.webp image/webp 96 96 webp "link rel=image_src, protocol-relative"
expect N5 "http://img.test/cover.png" c/png.png image/png 96 96 png "JSON-LD string"
expect N6 "http://img.test/cover.jpg" c/jpg.jpg image/jpeg 160 120 jpg "JSON-LD object"
expect N7 "http://img.test/cover.webp" c/webp.webp image/webp 96 96 webp "JSON-LD array, 1x1 gif skipped"
expect N8 "http://news.test/lazy-1200.jpg" c/jpg.jpg image/jpeg 160 120 jpg "srcset: widest entry"
expect N9 "http://news.test/rel/img/cover.webp" c/webp.webp image/webp 96 96 webp "<base href>"
expect N10 "http://img.test/cover.png" c/png.png image/png 96 96 png "broken HTML, entity, wrong charset"
expect N12 "http://img.test/cover.jpg" c/jpg.jpg image/jpeg 160 120 jpg "decoys skipped"

is "$(q "SELECT state, outcome, last_error FROM news WHERE id = 'N11'")" "done no-image page: no cover candidate" "N11: no image is done/no-image"
is "$(q "SELECT state, outcome FROM news WHERE id = 'N13'")" "done no-image" "N13: only decoys: done/no-image"
is "$(q "SELECT count(*) FROM image WHERE news_num IN (11, 13)")" 0 "no image rows for N11, N13"
is "$(q "SELECT page_url, final_url, http_status FROM image WHERE news_num = 1")" \
   "http://news.test/n1.html http://img.test/tenant/amp/entityid/AAcover.img?h=630&w=1200&m=6 200" "page_url, final_url, http_status"
is "$(q "SELECT bytes FROM image WHERE news_num = 1")" "$(wc -c <"$D/cover.jpg" | tr -d ' ')" "bytes = file size"
is "$(q "SELECT count(*) FROM image WHERE fetched_at > 1.7e9")" 11 "fetched_at is a unix time"
# the decoy order of N12, as requests
is "$(q "SELECT url || ':' || status FROM request WHERE news_num = 12 AND purpose = 'image' ORDER BY id" | tr '\n' ' ')" \
   "http://img.test/pixel.gif:200 http://img.test/small.png:200 http://img.test/notimage.jpg:200 http://img.test/trunc.jpg:200 http://img.test/missing.jpg:404 http://img.test/cover.jpg:200 " \
   "N12: candidates fetched in order until one validated"
is "$(q "SELECT last_error FROM news WHERE id = 'N13'")" "image http://img.test/notimage.jpg: not an image" "N13: last error says why"
# thumbnails of other stories were never fetched
is "$(asked $I '/tenant/amp/entityid/AAthumb1.img?h=76&w=138')" 0 "no thumbnail of another story fetched"
# every request is in the request table, and the server saw the same number
is "$(q "SELECT count(*) FROM request")" "$(wc -l <"$T/req.log" | tr -d ' ')" "every request recorded (db = server log)"
is "$(ls "$T/out/raw" | sort | tr '\n' ' ')" "$(q "SELECT substr(raw_path, 5) FROM image ORDER BY 1" | tr '\n' ' ')" "raw files = image rows"
# a second run has nothing to do and asks nothing
n=$(wc -l <"$T/req.log")
crawl
is "$rc" 0 "second run exits 0"
is "$(wc -l <"$T/req.log")" "$n" "second run makes no request"
is "$(q "SELECT max(attempts) FROM news")" 1 "each item worked once"
done_testing
