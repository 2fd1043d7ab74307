#!/bin/sh
# t0456-crawl-cli.sh: vmind-crawl's command line: usage errors exit 2, a bad
# news.tsv row exits 2 naming FILE:LINE with nothing registered, --stats-json
# counts, the summary line, no progress line when stderr is no terminal, -q
# silence, and start-up clean-up of temporary and orphan raw files.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

exits 2 "no --db: usage error" vmind-crawl --out "$T/out" "$T/news/news.tsv"
exits 2 "no --out: usage error" vmind-crawl --db "$T/x.db" "$T/news/news.tsv"
exits 2 "no NEWS.tsv: usage error" vmind-crawl --db "$T/x.db" --out "$T/out"
exits 2 "bad --connect-to" vmind-crawl --db "$T/x.db" --out "$T/out" --connect-to a:b "$T/news/news.tsv"
exits 2 "bad --parallel" vmind-crawl --db "$T/x.db" --out "$T/out" --parallel 0 "$T/news/news.tsv"
exits 2 "unknown option" vmind-crawl --frobnicate
exits 0 "--help" vmind-crawl --help
grep -q -- '--connect-to' "$T/out"; ok $? "--help lists --connect-to"
exits 0 "--version" vmind-crawl --version
grep -q '^vmind-crawl [0-9]' "$T/out"; ok $? "--version prints the version"
exits 2 "missing news.tsv" vmind-crawl --db "$T/x.db" --out "$T/out" "$T/nope/news.tsv"

fixture c.jpg cover.jpg
image img.test /cover.jpg c.jpg image/jpeg
route img.test /robots.txt 404 text/plain ""
route news.test /robots.txt 404 text/plain ""
printf '<meta property="og:image" content="http://img.test/cover.jpg">' | file ok.html
page news.test /1.html ok.html
page news.test /2.html ok.html
route news.test /3.html 404 text/html ""
news N1 http://news.test/1.html
news N2 http://news.test/2.html
news N3 http://news.test/3.html
news N1 http://news.test/1.html
web_start

# a bad row: exit 2, FILE:LINE, nothing registered
mkdir -p "$T/bad"
printf 'N9\tnews\tnewsus\ttitle\tabs\thttp://news.test/1.html\t[]\t[]\nX10\tbroken\n' >"$T/bad/news.tsv"
exits 2 "bad news.tsv row: exit 2" vmind-crawl -q --db "$T/bad.db" --out "$T/badout" "$T/bad/news.tsv"
grep -q "bad/news.tsv:2" "$T/err"; ok $? "the error names FILE:LINE"
is "$(sqlite3 "$T/bad.db" "SELECT count(*) FROM news" 2>/dev/null || echo 0)" 0 "nothing registered"
# a 7-column news.tsv (a column missing): exit 2, and nothing is left behind
mkdir -p "$T/seven"
printf 'N9\tnews\tnewsus\ttitle\tabs\thttp://news.test/1.html\t[]\n' >"$T/seven/news.tsv"
exits 2 "a 7-column news.tsv: exit 2" vmind-crawl -q --db "$T/seven.db" --out "$T/sevenout" "$T/seven/news.tsv"
grep -q "seven/news.tsv:1" "$T/err"; ok $? "the error names FILE:LINE"
is "$(ls "$T" | grep -c '^seven\(\.db\|out\)')" 0 "no database, -wal, -shm nor output folder left behind"

# stale files from a killed run: a temporary and an orphan raw file
mkdir -p "$T/o/raw"
echo junk >"$T/o/raw/N1.jpg.tmp.12345"
echo junk >"$T/o/raw/N3.png"
echo keep >"$T/o/raw/notes.txt"
vmind-crawl --db "$T/c.db" --out "$T/o" --connect-to "::127.0.0.1:$PORT" --no-archive --stats-json "$T/stats.json" \
	"$T/news/news.tsv" >"$T/crawl.out" 2>"$T/crawl.err"
is "$?" 0 "crawl exits 0"
is "$(ls "$T/o/raw" | sort | tr '\n' ' ')" "N1.jpg N2.jpg notes.txt " "temporary and orphan raw files removed, others kept"
is "$(q "SELECT count(*) FROM news")" 3 "duplicate rows registered once"
is "$(q "SELECT splits FROM news WHERE num = 1")" news "split from the directory name"
is "$(tr -d ' \t\n' <"$T/stats.json" | sed 's/"seconds":[0-9.]*/"seconds":S/; s/"news_per_second":[0-9.]*/"news_per_second":R/; s/"requests_per_second":[0-9.]*/"requests_per_second":R/')" \
   '{"total":3,"worked":3,"image":2,"placeholder":0,"no_image":1,"failed":0,"requests":7,"retries":0,"robots_fetched":2,"bytes":'"$(q "SELECT sum(bytes) FROM request")"',"seconds":S,"news_per_second":R,"requests_per_second":R,"failed_by_class":{}}' \
   "--stats-json counts"
grep -q '^vmind-crawl: 3 items worked in [0-9.]* s ([0-9.]*/s): 2 image, 1 no-image, 0 failed; 7 requests$' "$T/crawl.err"
ok $? "summary line on stderr"
grep -q "$(printf '\r')" "$T/crawl.err"; is "$?" 1 "no progress line when stderr is not a terminal"
vmind-crawl -q --db "$T/c.db" --out "$T/o" --no-archive "$T/news/news.tsv" >"$T/crawl.out" 2>"$T/crawl.err"
is "$?" 0 "nothing left: exit 0"
is "$(cat "$T/crawl.out" "$T/crawl.err")" "" "-q: silent"
# options that contradict each other are usage errors, not silently dropped
exits 2 "--shard 1/4 --shards 3: usage error" vmind-crawl -q --db "$T/x.db" --out "$T/x" --shard 1/4 --shards 3 "$T/news/news.tsv"
is "$(head -1 "$T/err")" "vmind-crawl: --shard 1/4 disagrees with --shards 3" "the message names both"
exits 2 "--tiers origin,search without --search: usage error" vmind-crawl -q --db "$T/x.db" --out "$T/x" --tiers origin,search "$T/news/news.tsv"
grep -q "the search tier needs a backend" "$T/err"; ok $? "the message says what search needs"
exits 2 "--no-archive with --archive: usage error" vmind-crawl -q --db "$T/x.db" --out "$T/x" --no-archive --archive http://a.test "$T/news/news.tsv"
test ! -e "$T/x.db"; ok $? "no database made by a usage error"

# the archive tier is on by default (MIND's article pages are dead): N3's dead
# page is looked up in the archive at https://web.archive.org (here mapped to
# the plain-HTTP test server, so the request fails at TLS, but it is made)
vmind-crawl -q --db "$T/d.db" --out "$T/d" --connect-to "::127.0.0.1:$PORT" "$T/news/news.tsv" 2>"$T/crawl.err"
is "$(sqlite3 "$T/d.db" "SELECT DISTINCT substr(url, 1, 24) FROM request WHERE url LIKE '%web.archive.org%'")" "https://web.archive.org/" \
	"by default the dead page is looked up at https://web.archive.org"
vmind-crawl -q --db "$T/e.db" --out "$T/e" --connect-to "::127.0.0.1:$PORT" --no-archive "$T/news/news.tsv" 2>"$T/crawl.err"
is "$(sqlite3 "$T/e.db" "SELECT count(*) FROM request WHERE tier = 'archive'")" 0 "--no-archive: no archive request"
done_testing
