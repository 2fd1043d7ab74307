#!/bin/sh
# t0402-web-render.sh: `vmind-web render` is deterministic for a seed (and
# whatever the number of threads), covers every layout, cover format, decoy,
# fault and outcome, and its truth.tsv agrees with what `vmind-web serve`
# then serves: the bytes at each live cover URL hash to cover_sha256, the
# alive pages end at final_url and name their cover, the dead ones are dead,
# robots.txt disallows the robots items; --clean makes a web with no dead,
# moved or faulty pages.
. "$top_srcdir/tests/lib.sh"

MIND="$top_srcdir/tests/data/web/mind"
tree_sum() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-64); }

# --- determinism on the small hand-written dataset ---
exits 0 "render seed 1" vmind-web render --mind "$MIND" --out "$T/w1" --seed 1 -q
exits 0 "render seed 1 again, one thread" vmind-web render --mind "$MIND" --out "$T/w2" --seed 1 --threads 1 -q
is "$(tree_sum "$T/w2")" "$(tree_sum "$T/w1")" "same seed: the same routes, truth and files byte for byte"
exits 0 "render seed 2" vmind-web render --mind "$MIND" --out "$T/w3" --seed 2 -q
ok $([ "$(sha256sum <"$T/w3/routes.tsv")" != "$(sha256sum <"$T/w1/routes.tsv")" ]; echo $?) "another seed: other routes"
is "$(head -1 "$T/w1/truth.tsv")" "id	msn_id	page_url	page_alive	final_url	layout	cover_url	cover_sha256	cover_format	cover_variant	cover_width	cover_height	cover_content_type	cover_alive	decoy	fault	fault_target	outcome	archived	archive_url	archive_cover	search_url	search_img	search_img_alive" \
	"truth.tsv header"
# 45 train + 21 dev rows, 6 of them in both: 60 news
is "$(tail -n +2 "$T/w1/truth.tsv" | cut -f1 | sort -u | wc -l | tr -d ' ')" 60 "one truth row per distinct news id"
is "$(head -1 "$T/w1/routes.tsv")" "host	path	status	content_type	body	fault	headers" "routes.tsv header"
is "$(tail -n +2 "$T/w1/routes.tsv" | cut -f1,2 | sort | uniq -d | wc -l | tr -d ' ')" 0 "no route twice"

# --- a larger synthetic dataset, written here ---
D="$T/mind"
mkdir -p "$D/train" "$D/truth"
awk 'BEGIN {
	srand(11); split("circle square triangle stripes ring cross", sh, " ");
	split("news sports finance lifestyle weather health", cat, " ");
	print "id\tmsn_id\tvis_hue\tvis_sat\tvis_light\tvis_shape\tvis_count\tvis_bg_hue" > "'"$D"'/truth/news.tsv";
	for (i = 1; i <= 400; i++) {
		id = sprintf("AB%05d", i);
		c = cat[1 + i % 6];
		printf "N%d\t%s\t%ssub\tMade-up headline number %d about %s\tAn invented abstract %d.\thttp://assets.msn.com/labs/mind/%s.html\t[]\t[]\n", i, c, c, i, c, i, id > "'"$D"'/train/news.tsv";
		printf "N%d\t%s\t%d\t%.2f\t%.2f\t%s\t%d\t%d\n", i, id, int(rand() * 360), 0.3 + rand() * 0.7, 0.2 + rand() * 0.6, sh[1 + int(rand() * 6)], 1 + int(rand() * 4), int(rand() * 360) >> "'"$D"'/truth/news.tsv";
	}
}'
exits 0 "render 400 items" vmind-web render --mind "$D" --out "$T/web" --seed 3 --decoy-share 0.5 --fault-share 0.2 -q
TR="$T/web/truth.tsv"
col() { tail -n +2 "$TR" | cut -f"$1" | sort -u | grep -v '^$' | tr '\n' ' '; }
is "$(col 6)" "base-href broken image-src jsonld-array jsonld-object jsonld-string lazy-srcset msn2019 noimage og og-protocol-relative relative twitter " \
	"every layout appears"
is "$(tail -n +2 "$TR" | awk -F'\t' '$9 != "" { print $9 "/" $10 }' | sort -u | tr '\n' ' ')" \
	"gif/animated jpeg/baseline jpeg/cmyk jpeg/exif-rotated jpeg/progressive png/alpha png/palette png/rgb webp/lossy " \
	"every cover format appears"
is "$(col 15)" "corrupt html logo pixel truncated " "every decoy appears"
is "$(col 16)" "badlength delay drip huge private-redirect redirect-loop reset retry-after-429 retry-after-503 truncate " \
	"every fault appears"
is "$(col 18)" "cover dead fail none robots " "every outcome appears"
is "$(tail -n +2 "$TR" | awk -F'\t' '$8 != ""' | cut -f8 | sort | uniq -d | wc -l | tr -d ' ')" 0 "no two covers alike"
is "$(tail -n +2 "$TR" | awk -F'\t' '$11 != "" && ($11 < 100 || $11 > 2000 || $12 < 100 || $12 > 2000)' | wc -l | tr -d ' ')" 0 \
	"cover sizes within 100..2000 px"

command -v curl >/dev/null 2>&1 || { skip "curl is not installed"; done_testing; }
vmind-web serve --root "$T/web" --listen 127.0.0.1:0 --port-file "$T/port" --log "$T/log" -q &
SP=$!
track_pid $SP
i=0
while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
P=$(cat "$T/port")

# every live cover without a fault of its own: the served bytes hash to the truth
tail -n +2 "$TR" | awk -F'\t' '$14 == 1 && $17 != "cover" { print $1 "\t" $7 "\t" $8 }' >"$T/covers"
mkdir -p "$T/got"
awk -F'\t' -v d="$T/got" '{ printf "url = \"%s\"\noutput = \"%s/%s\"\n", $2, d, $1 }' "$T/covers" >"$T/curl.cfg"
curl -s --connect-to "::127.0.0.1:$P" -K "$T/curl.cfg"
bad=0
while IFS='	' read -r id url sha; do
	got=$(sha256sum <"$T/got/$id" 2>/dev/null | cut -c1-64)
	[ "$got" = "$sha" ] || { bad=$((bad + 1)); echo "# $id $url: $got != $sha"; }
done <"$T/covers"
is "$bad" 0 "every live cover ($(wc -l <"$T/covers" | tr -d ' ')) hashes to cover_sha256"
ok $([ "$(wc -l <"$T/covers")" -gt 200 ]; echo $?) "most covers were checked"

# alive pages with no fault: 200 at final_url, and the page names its cover file
tail -n +2 "$TR" | awk -F'\t' '$4 == 1 && $16 == "" && $18 != "robots" { print $1 "\t" $3 "\t" $5 "\t" $7 }' >"$T/pages"
awk -F'\t' -v d="$T/got" '{ printf "url = \"%s\"\noutput = \"%s/%s.html\"\n", $2, d, $1 }' "$T/pages" >"$T/curl.cfg"
curl -s -L --max-redirs 5 --connect-to "::127.0.0.1:$P" -w '%{http_code} %{url_effective}\n' -K "$T/curl.cfg" >"$T/pages.out"
awk -F'\t' '{ print "200 " $3 }' "$T/pages" >"$T/pages.want"
check "alive pages: 200 at final_url after the redirects" diff "$T/pages.want" "$T/pages.out"
bad=0
while IFS='	' read -r id url final cover; do
	[ -n "$cover" ] || continue
	f=$(printf '%s' "$cover" | sed 's/?.*//; s#.*/##')
	grep -q -F "$f" "$T/got/$id.html" || { bad=$((bad + 1)); echo "# $id: page does not name $f"; }
done <"$T/pages"
is "$bad" 0 "every page with a cover names its file"

# dead pages: 404/410, or a redirect loop
tail -n +2 "$TR" | awk -F'\t' '$18 == "dead" { print $3 }' >"$T/dead"
bad=0
while read -r url; do
	code=$(curl -s -L --max-redirs 5 --connect-to "::127.0.0.1:$P" -o /dev/null -w '%{http_code}' "$url")
	rc=$?
	case "$rc:$code" in 0:404|0:410|47:*) ;; *) bad=$((bad + 1)); echo "# $url: exit $rc status $code";; esac
done <"$T/dead"
is "$bad" 0 "every dead page ($(wc -l <"$T/dead" | tr -d ' ')) answers 404/410 or loops"

# robots: each robots item's path is disallowed on its host
curl -s --connect-to "::127.0.0.1:$P" -o "$T/robots" http://assets.msn.com/robots.txt
bad=0
for p in $(tail -n +2 "$TR" | awk -F'\t' '$18 == "robots" { sub("^http://[^/]*", "", $3); print $3 }'); do
	grep -qx "Disallow: $p" "$T/robots" || bad=$((bad + 1))
done
is "$bad" 0 "robots items are disallowed in robots.txt"
kill $SP; wait $SP

# --clean
exits 0 "render --clean" vmind-web render --mind "$D" --out "$T/clean" --seed 3 --clean -q
is "$(tail -n +2 "$T/clean/truth.tsv" | cut -f18 | sort -u | tr '\n' ' ')" "cover none " "--clean: every outcome is cover or none"
is "$(tail -n +2 "$T/clean/truth.tsv" | awk -F'\t' '$4 != 1 || $15 != "" || $16 != "" || $5 != $3' | wc -l | tr -d ' ')" 0 \
	"--clean: every page alive where news.tsv says, no decoy, no fault"

# a bad item: reported, skipped, exit 1; the others rendered
mkdir -p "$T/badmind/train" "$T/badmind/truth"
head -5 "$D/train/news.tsv" >"$T/badmind/train/news.tsv"
printf 'N999\tnews\tnewsus\tA headline\t\tftp://example.test/x\t[]\t[]\n' >>"$T/badmind/train/news.tsv"
cp "$D/truth/news.tsv" "$T/badmind/truth/news.tsv"
exits 1 "bad items: exit 1" vmind-web render --mind "$T/badmind" --out "$T/badweb" -q
check "the bad URL is named" grep -q "N999: URL 'ftp://example.test/x' is not http(s)" "$T/err"
is "$(tail -n +2 "$T/badweb/truth.tsv" | cut -f1 | tr '\n' ' ')" "N1 N2 N3 N4 N5 " "the good items are rendered"
# a line that is no MIND news row: an input error, nothing written
printf 'not a news row\n' >>"$T/badmind/train/news.tsv"
exits 2 "a malformed news.tsv line: exit 2" vmind-web render --mind "$T/badmind" --out "$T/badweb2" -q
check "the bad line is named as FILE:LINE" grep -q "train/news.tsv:7: " "$T/err"
test ! -e "$T/badweb2"; ok $? "nothing written"

# input errors
exits 2 "no dataset: exit 2" vmind-web render --mind "$T/nothing" --out "$T/x" -q
exits 2 "render without --out: usage" vmind-web render --mind "$D"
done_testing
