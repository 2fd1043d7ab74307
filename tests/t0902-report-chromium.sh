#!/bin/sh
# t0902-report-chromium.sh: the report opened in a real browser. Headless
# Chromium (Debian's chromium package) is driven over the DevTools protocol
# on a pipe (tests/unit/chromium-shot; no port, no network) and loads
# a COPY of the report folder by a file:// URL, the originals removed, so the
# folder really stands alone. Checked: no console errors, Table 1 in the DOM,
# no broken image, one script (report.js), a screenshot of the whole page
# (kept beside the test's log); on each gallery page a thumbnail decoded
# (naturalWidth > 0) that shows in the screenshot the colour the fixture
# drew (vips getpoint at the position the DOM gives). A curator's ticks on
# the search gallery are downloaded as the --reject file (no network, under
# the page's CSP) and vmind-crawl takes it. Then the checker is shown to
# fail: a thumbnail deleted from the copy is a console error and a broken
# image. SKIPS (never passes) when /usr/bin/chromium is missing.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/report/fixture.sh"

CHROMIUM=${VMIND_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	skip "$CHROMIUM not installed (apt-get install chromium)"
	done_testing
fi
browser="$top_builddir/tests/unit/chromium-shot"

fixture_make
ok $? "fixture database and images made"
vmind-report --db "$T/db" --images "$T/images" --out "$T/report" --train-log "$T/train.csv" 2>"$T/report.err"
ok $? "vmind-report exits 0"

# the folder moved elsewhere; its sources gone
mkdir -p "$T/elsewhere"
cp -R "$T/report" "$T/elsewhere/r"
rm -rf "$T/report" "$T/images"

W=1200 H=900
# the main page: Table 1, no broken image, no error, no inline script
"$browser" "$CHROMIUM" "$T/chrome" "file://$T/elsewhere/r/index.html" "$T/shot.png" $W $H \
	>"$T/probe" 2>"$T/chrome.err"
rc=$?
ok $rc "Chromium loaded the report (chromium-shot exit $rc)"
[ $rc -eq 0 ] || tail -5 "$T/chrome.err" | sed 's/^/#   /'
sed 's/^/# /' "$T/probe"
is "$(sed -n 's/^console_errors //p' "$T/probe")" "0" "no console errors"
is "$(sed -n 's/^table1 //p' "$T/probe")" "2" "Table 1 rendered with its two rows"
is "$(sed -n 's/^images [0-9]* broken //p' "$T/probe")" "0" "no broken image"
is "$(sed -n 's/^scripts //p' "$T/probe")" "1" "one script element (report.js, allowed by the page's CSP)"
sw=$(vipsheader -f width "$T/shot.png" 2>/dev/null)
sh=$(vipsheader -f height "$T/shot.png" 2>/dev/null)
[ "$sw" = "$W" ] && [ "${sh:-0}" -ge "$H" ]
ok $? "screenshot of the whole page is a PNG ${W} wide and at least $H high (${sw:-?}x${sh:-?})"
is "$(head -c 8 "$T/shot.png" | od -An -c | tr -d ' ')" '211PNG\r\n032\n' "screenshot has the PNG signature"
cp "$T/shot.png" "$top_builddir/tests/t0902-report-chromium.png" &&
	echo "# screenshot: $top_builddir/tests/t0902-report-chromium.png"

# each gallery page: its first thumbnail decoded and, in the screenshot, the
# flat colour the fixture drew (search: N4, least similar first)
for pair in "search:230 150 20" "archive:30 160 60" "origin:220 30 30"; do
	tier=${pair%%:*} want=${pair#*:}
	"$browser" "$CHROMIUM" "$T/chrome" "file://$T/elsewhere/r/tier-$tier-1.html" "$T/$tier.png" $W $H \
		>"$T/probe-$tier" 2>>"$T/chrome.err"
	ok $? "Chromium loaded the $tier gallery"
	is "$(sed -n 's/^console_errors //p' "$T/probe-$tier")" "0" "$tier gallery: no console errors"
	loaded=$(sed -n "s/^tier $tier items [0-9]* loaded \([0-9]*\) .*/\1/p" "$T/probe-$tier")
	[ "${loaded:-0}" -ge 1 ]
	ok $? "at least one $tier thumbnail decoded (loaded ${loaded:-none})"
	xy=$(sed -n "s/^tier $tier items [0-9]* loaded [0-9]* at //p" "$T/probe-$tier")
	got=$(vips getpoint "$T/$tier.png" $xy 2>/dev/null)
	echo "$got $want" | awk '{ for (i = 1; i <= 3; i++) { d = $i - $(i + 3); if (d < -10 || d > 10) exit 1 } exit NF != 6 }'
	ok $? "$tier thumbnail rendered in the screenshot at ${xy:-?}: colour ${got:-none}, drawn $want"
done

# a curator ticks two wrong picks and downloads the reject file, offline,
# under the page's CSP; vmind-crawl's reject reader takes it
mkdir -p "$T/dl"
"$browser" "$CHROMIUM" "$T/chrome" "file://$T/elsewhere/r/tier-search-1.html" "$T/dlshot.png" $W $H \
	"$T/dl" "document.querySelector('input.reject[value=N4]').click();
		document.querySelector('input.reject[value=N3]').click();
		document.getElementById('reject-download').click(); 1" >"$T/probe-dl" 2>>"$T/chrome.err"
ok $? "Chromium ticked two picks and clicked the download link"
is "$(sed -n 's/^console_errors //p' "$T/probe-dl")" "0" "no console error (no CSP violation)"
is "$(sed -n 's/^download \([^ ]*\) .*/\1/p' "$T/probe-dl")" "reject.txt" "reject.txt downloaded"
is "$(cat "$T/dl/reject.txt" 2>/dev/null)" "N4	ticked in the vmind report
N3	ticked in the vmind report" "it lists the ticked picks, one news id a line with the reason"
printf 'N3\tnews\tnewsus\tt\t\thttp://x.test/3\t[]\t[]\nN4\tnews\tnewsus\tt\t\thttp://x.test/4\t[]\t[]\n' >"$T/news.tsv"
cp "$T/db" "$T/rej.db"
vmind-crawl -q --db "$T/rej.db" --out "$T/rejout" --reject "$T/dl/reject.txt" --tiers origin --no-archive \
	--connect-to "::127.0.0.1:1" --retries 0 --timeout 1 "$T/news.tsv" 2>/dev/null
is "$(sqlite3 "$T/rej.db" "SELECT group_concat(news_num) FROM (SELECT news_num FROM rejected WHERE reason = 'ticked in the vmind report' ORDER BY 1)")" \
	"3,4" "vmind-crawl --reject takes the downloaded file"

# the checker can fail: a missing thumbnail is seen
rm "$T/elsewhere/r/thumbs/N2.jpg"
"$browser" "$CHROMIUM" "$T/chrome" "file://$T/elsewhere/r/tier-archive-1.html" "$T/shot2.png" $W $H \
	>"$T/probe2" 2>>"$T/chrome.err"
ok $? "Chromium loaded the damaged copy"
is "$(sed -n 's/^console_errors //p' "$T/probe2")" "1" "a deleted thumbnail is a console error"
is "$(sed -n 's/^tier archive items 1 loaded \([0-9]*\) .*/\1/p' "$T/probe2")" "0" "and the archive thumbnail is not decoded"
xy=$(sed -n "s/^tier archive items [0-9]* loaded [0-9]* at //p" "$T/probe2")
got=$(vips getpoint "$T/shot2.png" $xy 2>/dev/null)
echo "$got 30 160 60" | awk '{ for (i = 1; i <= 3; i++) { d = $i - $(i + 3); if (d < -10 || d > 10) exit 1 } exit NF != 6 }'
ok $((! $?)) "nor seen in the screenshot (colour at ${xy:-?}: ${got:-none})"
grep -q '^console: .*thumbs/N2.jpg' "$T/probe2"
ok $? "the console error names the file"
done_testing
