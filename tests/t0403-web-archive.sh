#!/bin/sh
# t0403-web-archive.sh: the archive and search tiers of the simulated web.
# `vmind-web render` archives dead pages (captures.tsv, truth's archived and
# archive_cover columns) and writes a search corpus (search.tsv, truth's
# search_url and search_img); `vmind-web serve` answers the Wayback CDX API,
# raw id_ captures (nearest capture by 302), the availability API, a
# request-rate limit with 429 + Retry-After, and a searx-style JSON search.
. "$top_srcdir/tests/lib.sh"

command -v curl >/dev/null 2>&1 || { skip "curl is not installed"; done_testing; }
MIND="$top_srcdir/tests/data/web/mind"
W="$T/web"
exits 0 "render with many dead pages, all archived" \
	vmind-web render --mind "$MIND" --out "$W" --seed 5 --dead-share 0.5 --moved-share 0 \
	--fault-share 0 --robots-share 0 --archive-share 1 --search-share 0.8 -q
TR="$W/truth.tsv"
is "$(head -1 "$W/captures.tsv")" "url	timestamp	status	mimetype	body	digest	length	headers" "captures.tsv header"
is "$(head -1 "$W/search.tsv")" "url	title	content	img_src	thumbnail_src	engine" "search.tsv header"
is "$(head -1 "$TR" | cut -f19-)" "archived	archive_url	archive_cover	search_url	search_img	search_img_alive" "truth's archive and search columns"
# archived = number of 200 captures of page_url, and only dead pages have them
awk -F'\t' 'NR > 1 && $3 == 200 && $4 == "text/html" { n[$1]++ } END { for (u in n) print u "\t" n[u] }' "$W/captures.tsv" | sort >"$T/got"
tail -n +2 "$TR" | awk -F'\t' '$19 > 0 { print $20 "\t" $19 }' | sort >"$T/want"
check "archived counts the 200 captures of each page" diff "$T/want" "$T/got"
is "$(tail -n +2 "$TR" | awk -F'\t' '($18 == "dead") != ($19 > 0)' | wc -l | tr -d ' ')" 0 "every dead page, and only those, archived"
is "$(tail -n +2 "$TR" | awk -F'\t' '$19 > 0 && $20 != $3 && $20 != "http://assets.msn.com/labs/mind/" $2 ".html"' | wc -l | tr -d ' ')" 0 \
	"archive_url: the page URL or its assets.msn.com/labs/mind/ID.html form"

vmind-web serve --root "$W" --listen 127.0.0.1:0 --port-file "$T/port" --log "$T/log" -q &
SP=$!
track_pid $SP
i=0
while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
P=$(cat "$T/port")
c() { curl -s --connect-to "::127.0.0.1:$P" "$@"; }
A=http://web.archive.org

# CDX
row=$(tail -n +2 "$TR" | awk -F'\t' '$19 >= 2 { print; exit }')
[ -n "$row" ] || row=$(tail -n +2 "$TR" | awk -F'\t' '$19 >= 1 { print; exit }')
id=$(echo "$row" | cut -f1); url=$(echo "$row" | cut -f20); n200=$(echo "$row" | cut -f19)
ncap=$(awk -F'\t' -v u="$url" '$1 == u' "$W/captures.tsv" | wc -l | tr -d ' ')
c -o "$T/cdx" "$A/cdx/search/cdx?url=$url&output=json"
is "$(grep -o '^\[\["urlkey","timestamp","original","mimetype","statuscode","digest","length"\]' "$T/cdx")" \
	'[["urlkey","timestamp","original","mimetype","statuscode","digest","length"]' "CDX json: the header row first"
is "$(grep -o '\],\[' "$T/cdx" | wc -l | tr -d ' ')" "$ncap" "CDX json: one row per capture ($ncap)"
is "$(c "$A/cdx/search/cdx?url=$url&output=json&filter=statuscode:200" | grep -o '"200"' | wc -l | tr -d ' ')" "$n200" \
	"CDX filter=statuscode:200"
is "$(c "$A/cdx/search/cdx?url=$url&filter=!statuscode:200" | wc -l | tr -d ' ')" "$((ncap - n200))" "CDX filter=!statuscode:200, text output"
first=$(awk -F'\t' -v u="$url" '$1 == u && $3 == 200 { print $2 }' "$W/captures.tsv" | sort | head -1)
last=$(awk -F'\t' -v u="$url" '$1 == u && $3 == 200 { print $2 }' "$W/captures.tsv" | sort | tail -1)
is "$(c "$A/cdx/search/cdx?url=$url&output=json&filter=statuscode:200&limit=1&fl=timestamp")" "[[\"timestamp\"],[\"$first\"]]" \
	"CDX limit=1 fl=timestamp: the oldest"
is "$(c "$A/cdx/search/cdx?url=$url&filter=statuscode:200&limit=-1&fl=timestamp")" "$last" "CDX limit=-1: the newest"
is "$(c "$A/cdx/search/cdx?url=$url&filter=statuscode:200&sort=reverse&limit=1&fl=timestamp")" "$last" "CDX sort=reverse"
is "$(c "$A/cdx/search/cdx?url=$(echo "$url" | sed 's#^http://#https://#')&filter=statuscode:200&limit=-1&fl=timestamp")" "$last" \
	"CDX: the scheme does not matter"
is "$(c "$A/cdx/search/cdx?url=http://nowhere.test/x&output=json")" "[]" "CDX: no captures: []"
is "$(c -o /dev/null -w '%{http_code}' "$A/cdx/search/cdx?output=json")" 400 "CDX without url: 400"

# raw captures
c -o "$T/cap" -w '%{http_code}' "$A/web/${first}id_/$url" >"$T/code"
is "$(cat "$T/code")" 200 "id_ capture: 200"
check "id_ capture: the page's bytes" cmp "$T/cap" "$W/files/pages/$id.html"
c -D "$T/h" -o /dev/null "$A/web/2019id_/$url"
is "$(tr -d '\r' <"$T/h" | sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p;s/^Location: //p' | tr '\n' ' ')" \
	"302 /web/${first}id_/$url " "another moment: 302 to the nearest capture"
is "$(c -o /dev/null -w '%{http_code}' "$A/web/2020id_/http://nowhere.test/x")" 404 "capture of an unknown URL: 404"
c "$A/wayback/available?url=$url" >"$T/av"
check "availability API: the newest 200 capture" grep -q "\"timestamp\":\"$last\"" "$T/av"

# archived covers hash to the truth
bad=0; n=0
for id in $(tail -n +2 "$TR" | awk -F'\t' '$21 == 1 { print $1 }'); do
	cu=$(awk -F'\t' -v i="$id" '$1 == i { print $7 }' "$TR"); sha=$(awk -F'\t' -v i="$id" '$1 == i { print $8 }' "$TR")
	ts=$(c "$A/cdx/search/cdx?url=$(printf '%s' "$cu" | sed 's/?/%3F/; s/&/%26/g')&filter=statuscode:200&limit=1&fl=timestamp")
	got=$(c "$A/web/${ts}id_/$cu" | sha256sum | cut -c1-64)
	n=$((n + 1)); [ "$got" = "$sha" ] || { bad=$((bad + 1)); echo "# $id: $cu at $ts: $got"; }
done
ok $([ $n -gt 0 ] && [ $bad -eq 0 ]; echo $?) "archived covers ($n) hash to cover_sha256"

# search
S=http://searx.test
bad=0; n=0
tail -n +2 "$TR" | awk -F'\t' '$22 != "" { print $1 "\t" $22 "\t" $23 "\t" $24 "\t" $8 }' >"$T/s"
while IFS='	' read -r id surl simg salive sha; do
	title=$(awk -F'\t' -v i="$id" '$1 == i { print $4; exit }' "$MIND/train/news.tsv" "$MIND/dev/news.tsv")
	c -G "$S/search" --data-urlencode "q=$title" --data-urlencode format=json >"$T/r"
	n=$((n + 1))
	grep -q "\"url\":\"$surl\"" "$T/r" || { bad=$((bad + 1)); echo "# $id: $surl not found"; }
done <"$T/s"
ok $([ $n -gt 10 ] && [ $bad -eq 0 ]; echo $?) "each republished story ($n) is found by its headline"
id=$(head -1 "$T/s" | cut -f1); surl=$(head -1 "$T/s" | cut -f2); simg=$(head -1 "$T/s" | cut -f3)
title=$(awk -F'\t' -v i="$id" '$1 == i { print $4; exit }' "$MIND/train/news.tsv" "$MIND/dev/news.tsv")
c -G "$S/search" --data-urlencode "q=$title" --data-urlencode format=json >"$T/r"
for k in '"query":' '"number_of_results":' '"results":\[{"url":' '"title":' '"content":' '"engine":"simweb"' '"answers":\[\]' '"unresponsive_engines":\[\]'; do
	grep -q "$k" "$T/r" || { echo "# no $k"; bad=1; }
done
is "$bad" 0 "searx JSON fields"
# the same query encoded twice (searx 1.1.0's xpath engine)
q1=$(printf '%s' "$title" | sed 's/ /%20/g; s/:/%3A/g; s/?/%3F/g')
q2=$(printf '%s' "$q1" | sed 's/%/%25/g')
c "$S/search?q=$q2&format=json" >"$T/r2"
check "a twice-encoded query finds the story too" grep -q "\"url\":\"$surl\"" "$T/r2"
is "$(c -o /dev/null -w '%{http_code}' "$S/search?q=x&format=html")" 403 "format other than json: 403"
is "$(c -o /dev/null -w '%{http_code}' "$S/search?format=json")" 400 "no query: 400"
c -o "$T/page" "$surl"
check "the republished page names its image" grep -q "og:image\" content=\"$simg\"" "$T/page"
bad=0; n=0
while IFS='	' read -r id surl simg salive sha; do
	[ "$salive" = 1 ] || continue
	n=$((n + 1))
	[ "$(c "$simg" | sha256sum | cut -c1-64)" = "$sha" ] || bad=$((bad + 1))
done <"$T/s"
ok $([ $n -gt 0 ] && [ $bad -eq 0 ]; echo $?) "live republished images ($n) are the true covers"
kill $SP; wait $SP

# the rate limit
vmind-web serve --root "$W" --listen 127.0.0.1:0 --port-file "$T/port2" --archive-rate 2 -q &
SP=$!
track_pid $SP
i=0
while [ ! -s "$T/port2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
P=$(cat "$T/port2")
codes=$(for i in 1 2 3 4 5 6; do c -o /dev/null -w '%{http_code} ' "$A/cdx/search/cdx?url=$url"; done)
case "$codes" in *429*) ok 0 "--archive-rate 2: a burst of 6 gets 429 ($codes)";; *) ok 1 "--archive-rate 2: a burst of 6 gets 429 ($codes)";; esac
c -D "$T/h" -o /dev/null "$A/cdx/search/cdx?url=$url"
is "$(tr -d '\r' <"$T/h" | sed -n 's/^Retry-After: //p')" 1 "429 with Retry-After: 1"
sleep 1.2
is "$(c -o /dev/null -w '%{http_code}' "$A/cdx/search/cdx?url=$url")" 200 "after waiting: 200"
is "$(c -o /dev/null -w '%{http_code}' "$S/search?q=x&format=json")" 200 "the limit is the archive's only"
kill $SP; wait $SP
done_testing
