#!/bin/sh
# t0465-crawl-reject.sh: vmind-crawl --reject FILE, the curation loop. A line
# "N12345 [reason]" rejects that item's current pick, "sha256:HEX" that image
# for every item: the pick moves to the rejected table (with the reason),
# the image is barred from every item, the item is worked again and gets the
# next candidate or nothing, never the same image; a malformed line is a
# usage error naming FILE:LINE.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

fixture c/jpg.jpg cover.jpg
fixture c/png.png cover.png
fixture c/webp.webp cover.webp
image img.test /stock.webp c/webp.webp image/webp
image img.test /n1.png c/png.png image/png
image img.test /n3.jpg c/jpg.jpg image/jpeg
# N1: og:image a stock photo, the body image its cover
printf '<html><head><meta property="og:image" content="http://img.test/stock.webp"></head><body><article><img src="http://img.test/n1.png"></article></body></html>' | file pages/n1.html
# N2: the stock photo only
printf '<html><head><meta property="og:image" content="http://img.test/stock.webp"></head><body>x</body></html>' | file pages/n2.html
# N3: one candidate
printf '<html><head><meta property="og:image" content="http://img.test/n3.jpg"></head><body>x</body></html>' | file pages/n3.html
for i in 1 2 3; do page news.test /n$i.html pages/n$i.html; news N$i http://news.test/n$i.html; done
STOCK=$(sha "$D/cover.webp")
web_start
crawl --allow-private --tiers origin
is "$rc" 0 "first crawl exits 0"
is "$(q "SELECT news_num, sha256 FROM image ORDER BY news_num" | tr '\n' ' ')" "1 $STOCK 2 $STOCK 3 $(sha "$D/cover.jpg") " \
   "first crawl: N1 and N2 the stock photo, N3 its cover"

printf '# curator, round 1\nN1 stock photo, not the story\n' >"$T/r1"
crawl --allow-private --tiers origin --reject "$T/r1"
is "$rc" 0 "reject N1: exits 0"
is "$(q "SELECT sha256 FROM image WHERE news_num = 1")" "$(sha "$D/cover.png")" "N1 gets the next candidate, never the stock photo again"
is "$(q "SELECT news_num, tier, image_url, sha256, reason FROM rejected")" "1 origin http://img.test/stock.webp $STOCK stock photo, not the story" \
   "the rejected pick is kept, with its reason"
is "$(q "SELECT sha256 FROM image WHERE news_num = 2")" "$STOCK" "an N line leaves other items' picks alone"
is "$(q "SELECT attempts FROM news WHERE num = 1")" 2 "N1 worked twice"

printf 'sha256:%s\n' "$(echo "$STOCK" | tr a-f A-F)" >"$T/r2"
crawl --allow-private --tiers origin --reject "$T/r2"
is "$rc" 0 "reject the stock photo everywhere: exits 0"
is "$(q "SELECT count(*) FROM image WHERE sha256 = '$STOCK'")" 0 "no item has the stock photo"
is "$(q "SELECT state || ' ' || outcome FROM news WHERE num = 2")" "done no-image" "N2, with no other candidate, ends without an image"
is "$(q "SELECT news_num FROM rejected ORDER BY id" | tr '\n' ' ')" "1 2 " "N2's pick is rejected too (hex compared in lower case)"

printf 'N3\n' >"$T/r3"
crawl --allow-private --tiers origin --reject "$T/r3"
is "$(q "SELECT count(*) FROM image WHERE news_num = 3")" 0 "N3: its only image rejected: nothing, not the same image"
is "$(ls "$T/out/raw" | sort | tr '\n' ' ')" "N1.png " "raw files of rejected picks are removed"

# a later crawl without --reject keeps the images barred
q "UPDATE news SET state = 'pending' WHERE num = 3"
crawl --allow-private --tiers origin
is "$(q "SELECT count(*) FROM image WHERE news_num = 3")" 0 "rejected images stay barred in later runs"

printf 'N1\nN0x\n' >"$T/bad"
crawl --allow-private --tiers origin --reject "$T/bad"
is "$rc" 2 "a malformed line: exit 2"
ok $(grep -q "bad:2: 'N0x'" "$T/crawl.err"; echo $?) "the error names FILE:LINE"
is "$(q "SELECT count(*) FROM rejected")" 3 "nothing applied from a malformed file"
done_testing
