#!/bin/sh
# t0452-crawl-politeness.sh: robots.txt asked once per host (also across a
# resumed run) and honoured as RFC 9309 says (own group over "*", longest
# match, allow on a tie; 404 allows all, 5xx disallows all); --ignore-robots;
# 429 and 503 with Retry-After waited for, on the whole host (read from the
# server's log timestamps); a Retry-After too long is an error; the
# User-Agent sent; robots.txt kept per scheme, host and port; a host that
# does not resolve fails with outcome dns.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

fixture c.jpg cover.jpg
printf '<meta property="og:image" content="/cover.jpg">' | file ok.html
cat <<'EOF' | file robots-a.txt
User-agent: *
Disallow: /private/

User-agent: vmind-crawl
Disallow: /blocked/
Allow: /blocked/ok
EOF
for h in a.test b.test c.test d.test e.test; do image $h /cover.jpg c.jpg image/jpeg; done
route a.test /robots.txt 200 text/plain robots-a.txt
route b.test /robots.txt 500 text/plain ""
route c.test /robots.txt 404 text/plain ""
route d.test /robots.txt 404 text/plain ""
route e.test /robots.txt 404 text/plain ""
for i in 1 2 3; do page a.test /p$i.html ok.html; news N$i http://a.test/p$i.html; done
page a.test /blocked/x.html ok.html;   news N4 http://a.test/blocked/x.html
page a.test /blocked/ok.html ok.html;  news N5 http://a.test/blocked/ok.html
page a.test /private/y.html ok.html;   news N6 http://a.test/private/y.html
page b.test /p.html ok.html;           news N7 http://b.test/p.html
page c.test /p1.html ok.html;          news N8 http://c.test/p1.html
page c.test /p2.html ok.html;          news N9 http://c.test/p2.html
route d.test /slow.html 429 text/html ok.html retry-after:2:1
news N10 http://d.test/slow.html
page a.test /p7.html ok.html  # for the resumed run
page d.test /other.html ok.html;       news N11 http://d.test/other.html
route e.test /busy.html 503 text/html ok.html retry-after:1:2
news N12 http://e.test/busy.html
route e.test /never.html 429 text/html ok.html retry-after:1000:0
news N13 http://e.test/never.html
# --per-host 2: six slow pages of one host, never more than two at once
route f.test /robots.txt 404 text/plain ""
for i in 1 2 3 4 5 6; do route f.test /s$i.html 200 text/html ok.html delay:600; news N$((20 + i)) http://f.test/s$i.html; done
# robots.txt per scheme, host and port (RFC 9309): g.test on two ports
image g.test /cover.jpg c.jpg image/jpeg
route g.test /robots.txt 404 text/plain ""
page g.test /p.html ok.html
news N31 http://g.test/p.html
news N32 http://g.test:8080/p.html

web_start
crawl --retries 3 --per-host 2
is "$rc" 1 "exit 1: some items failed"
is "$(asked a.test /robots.txt)" 1 "robots.txt of a.test asked once"
is "$(asked c.test /robots.txt)" 1 "robots.txt of c.test asked once"
ok $([ "$(asked b.test /robots.txt)" -ge 1 ]; echo $?) "robots.txt of b.test asked"
first_a=$(awk -F'\t' '$3 == "a.test" { print $4; exit }' "$T/req.log")
is "$first_a" /robots.txt "the first request to a host is its robots.txt"
st() { q "SELECT state || ' ' || outcome FROM news WHERE id = '$1'"; }
is "$(st N1) $(st N2) $(st N3)" "done image done image done image" "allowed pages crawled"
is "$(st N4)" "failed robots" "Disallow: /blocked/ honoured"
is "$(asked a.test /blocked/x.html)" 0 "disallowed page never requested"
is "$(st N5)" "done image" "Allow: /blocked/ok (longer match) honoured"
is "$(st N6)" "done image" "own group replaces the * group"
is "$(st N7)" "failed robots" "robots.txt 500: all disallowed"
is "$(q "SELECT last_error FROM news WHERE id = 'N7'")" "page: robots.txt unavailable (HTTP 500): all disallowed" "  ... and the error says why"
is "$(asked b.test /p.html)" 0 "robots.txt 500: nothing else requested"
is "$(st N8) $(st N9)" "done image done image" "robots.txt 404: all allowed"
is "$(q "SELECT group_concat(host) FROM (SELECT host FROM robots ORDER BY host)")" "http://a.test,http://c.test,http://d.test,http://e.test,http://f.test,http://g.test,http://g.test:8080" "robots rows kept for all hosts but the 5xx one, by scheme, host and port"
is "$(asked g.test /robots.txt)" 2 "robots.txt asked once per port of g.test (RFC 9309: per scheme, host and port)"

# 429 with Retry-After: 2, first request refused
t1=$(awk -F'\t' '$4 == "/slow.html" && $6 == 429 { print $1; exit }' "$T/req.log")
t2=$(awk -F'\t' '$4 == "/slow.html" && $6 == 200 { print $1; exit }' "$T/req.log")
is "$(st N10)" "done image" "429 then 200: image"
ok $(awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(a != "" && b != "" && b - a >= 2.0) }'; echo $?) "429: retried after Retry-After 2 s ($t1 -> $t2)"
# no request to d.test started (client clock, request table) between the
# 429's arrival and the end of its Retry-After
is "$(q "SELECT count(*) FROM request r, (SELECT time + ms / 1000.0 AS t FROM request
          WHERE url = 'http://d.test/slow.html' AND status = 429) a
          WHERE r.url LIKE 'http://d.test/%' AND r.time > a.t AND r.time < a.t + 1.99")" 0 \
   "no request to the host while it backs off"
is "$(asked d.test /slow.html)" 2 "429: exactly two requests"
u1=$(awk -F'\t' '$4 == "/busy.html" { print $1; exit }' "$T/req.log")
u3=$(awk -F'\t' '$4 == "/busy.html" && $6 == 200 { print $1; exit }' "$T/req.log")
is "$(st N12)" "done image" "503 twice then 200: image"
ok $(awk -v a="$u1" -v b="$u3" 'BEGIN { exit !(a != "" && b != "" && b - a >= 2.0) }'; echo $?) "503: two waits of Retry-After 1 s ($u1 -> $u3)"
is "$(asked e.test /busy.html)" 3 "503: three requests"
is "$(q "SELECT state, outcome, last_error FROM news WHERE id = 'N13'")" "failed http-429 page: HTTP 429, Retry-After 1000s is too long" "Retry-After too long: failed at once"
is "$(asked e.test /never.html)" 1 "Retry-After too long: one request"
# arrival times of the slow pages: at most 2 within any 0.5 s
awk -F'\t' '$3 == "f.test" && $4 ~ /^\/s/ { print $1 }' "$T/req.log" | sort -n >"$T/f.times"
is "$(wc -l <"$T/f.times" | tr -d ' ')" 6 "--per-host: the six slow pages were asked"
is "$(awk '{ t[NR] = $1 } END { m = 0; for (i = 1; i <= NR; i++) { c = 0; for (j = i; j <= NR; j++) if (t[j] < t[i] + 0.5) c++; if (c > m) m = c }; print m }' "$T/f.times")" 2 \
   "--per-host 2: never more than two requests to one host at once"
is "$(awk -F'\t' '$5 !~ /^vmind-crawl\/[0-9.]+ \(\+https:.*research crawler\)$/' "$T/req.log" | wc -l | tr -d ' ')" 0 "every request says User-Agent vmind-crawl/VERSION (+URL; research crawler)"

# a resumed crawl with new items on known hosts does not ask robots.txt again
news N14 http://a.test/p7.html
n=$(wc -l <"$T/req.log")
crawl --user-agent "TestBot/1.0"
is "$(st N14)" "done image" "new item crawled"
is "$(awk -F'\t' -v n="$n" 'NR > n && $4 == "/robots.txt" && $3 == "a.test"' "$T/req.log" | wc -l | tr -d ' ')" 0 "robots.txt of a.test not asked again"
is "$(awk -F'\t' -v n="$n" 'NR > n { print $5 }' "$T/req.log" | sort -u)" "TestBot/1.0" "--user-agent sent"

# --ignore-robots: the disallowed page is fetched, no robots.txt asked
n=$(wc -l <"$T/req.log")
rm -f "$T/c.db"*
printf '' >"$T/news/news.tsv"
news N4 http://a.test/blocked/x.html
crawl --ignore-robots
is "$rc" 0 "--ignore-robots: exit 0"
is "$(st N4)" "done image" "--ignore-robots: disallowed page crawled"
is "$(awk -F'\t' -v n="$n" 'NR > n && $4 == "/robots.txt"' "$T/req.log" | wc -l | tr -d ' ')" 0 "--ignore-robots: no robots.txt asked"

# a host that does not resolve (a label over 63 bytes: the resolver refuses
# it without sending a query): the item fails with outcome dns, not robots
h=$(printf 'a%.0s' $(seq 1 70)).invalid
mkdir -p "$T/dns"
printf 'N1\tnews\tnewsus\tT\tabs\thttp://%s/x.html\t[]\t[]\n' "$h" >"$T/dns/news.tsv"
vmind-crawl -q --db "$T/dns.db" --out "$T/dnsout" --no-archive --retries 0 "$T/dns/news.tsv" 2>/dev/null
is "$?" 1 "a host that does not resolve: exit 1"
is "$(sqlite3 "$T/dns.db" "SELECT state, outcome FROM news")" "failed|dns" "the outcome is dns, not robots"
done_testing
