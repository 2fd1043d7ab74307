#!/bin/sh
# t0804-resize-raw.sh: vmind-resize finds the crawl's raw files without
# --raw, when the crawl's --out is not the database's folder (as vmind.7's
# outline lays them out: --db vmind.db --out crawl): the crawl records its
# --out in the database (meta.crawl_out) and vmind-resize reads it. When the
# raw folder is gone, vmind-resize says so once, up front, with a hint, and
# exits 2 instead of failing every item.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

fixture c.jpg cover.jpg
fixture c.png cover.png
image img.test /cover.jpg c.jpg image/jpeg
image img.test /cover.png c.png image/png
printf '<meta property="og:image" content="http://img.test/cover.jpg">' | file a.html
printf '<meta property="og:image" content="http://img.test/cover.png">' | file b.html
page news.test /1.html a.html
page news.test /2.html b.html
news N1 http://news.test/1.html
news N2 http://news.test/2.html
web_start

mkdir "$T/w"
cd "$T/w" || exit 1
vmind-crawl -q --db vmind.db --out crawl --connect-to "::127.0.0.1:$PORT" --ignore-robots --no-archive "$T/news/news.tsv"
is "$?" 0 "crawl --db vmind.db --out crawl"
is "$(sqlite3 vmind.db "SELECT value FROM meta WHERE key = 'crawl_out'")" "$T/w/crawl" \
	"the crawl records the absolute path of its --out"
exits 0 "vmind-resize --db vmind.db --out images finds the raw files without --raw" \
	vmind-resize -q --db vmind.db --out images
is "$(ls images | tr '\n' ' ')" "N1.jpg N2.jpg " "both covers resized"

# run from elsewhere: the recorded path is absolute
cd "$T" || exit 1
exits 0 "from another folder too (nothing to redo)" vmind-resize --db w/vmind.db --out w/images
grep -q '2 unchanged' "$T/err"; ok $? "both unchanged"

# the raw folder moved away: one error up front, with the hint
mv "$T/w/crawl" "$T/w/crawl-moved"
exits 2 "raw folder gone: exit 2" vmind-resize --db w/vmind.db --out w/images2 --force
is "$(cat "$T/err")" "vmind-resize: w/raw: no such folder, where the crawl's raw files (image.raw_path 'raw/N1.jpg') should be: give the crawl's --out folder with --raw DIR" \
	"the error names the folder and the option that fixes it"
test ! -e w/images2; ok $? "nothing written"
exits 0 "--raw names the moved folder" vmind-resize -q --db w/vmind.db --raw w/crawl-moved --out w/images2
is "$(ls w/images2 | tr '\n' ' ')" "N1.jpg N2.jpg " "both covers resized from --raw"
done_testing
