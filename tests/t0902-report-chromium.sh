#!/bin/sh
# t0902-report-chromium.sh: the report opened in a real browser. Headless
# Chromium (Debian's chromium package) is driven over the DevTools protocol
# on a pipe (tests/unit/chromium-shot; no port, no network) and loads
# a COPY of the report folder by a file:// URL, the originals removed, so the
# folder really stands alone. Checked: no console errors, Table 1 in the DOM,
# at least one thumbnail per tier decoded (naturalWidth > 0), no broken
# image, no script, and a screenshot of the whole page (kept beside the
# test's log) in which the first thumbnail of each tier shows the colour
# the fixture drew (vips getpoint at the position the DOM gives). Then the checker is shown to
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
"$browser" "$CHROMIUM" "$T/chrome" "file://$T/elsewhere/r/index.html" "$T/shot.png" $W $H \
	>"$T/probe" 2>"$T/chrome.err"
rc=$?
ok $rc "Chromium loaded the report (chromium-shot exit $rc)"
[ $rc -eq 0 ] || tail -5 "$T/chrome.err" | sed 's/^/#   /'
sed 's/^/# /' "$T/probe"

is "$(sed -n 's/^console_errors //p' "$T/probe")" "0" "no console errors"
is "$(sed -n 's/^table1 //p' "$T/probe")" "2" "Table 1 rendered with its two rows"
for tier in search archive origin placeholder; do
	loaded=$(sed -n "s/^tier $tier items [0-9]* loaded \([0-9]*\) .*/\1/p" "$T/probe")
	[ "${loaded:-0}" -ge 1 ]
	ok $? "at least one $tier thumbnail decoded (loaded ${loaded:-none})"
done
is "$(sed -n 's/^images [0-9]* broken //p' "$T/probe")" "0" "no broken image"
is "$(sed -n 's/^scripts //p' "$T/probe")" "0" "no script element"
sw=$(vipsheader -f width "$T/shot.png" 2>/dev/null)
sh=$(vipsheader -f height "$T/shot.png" 2>/dev/null)
[ "$sw" = "$W" ] && [ "${sh:-0}" -ge "$H" ]
ok $? "screenshot of the whole page is a PNG ${W} wide and at least $H high (${sw:-?}x${sh:-?})"
# the first thumbnail of each tier, seen in the screenshot: the centre pixel
# has the flat colour the fixture drew (search: N4, least similar first)
for pair in "search:230 150 20" "archive:30 160 60" "origin:220 30 30" "placeholder:250 235 190"; do
	tier=${pair%%:*} want=${pair#*:}
	xy=$(sed -n "s/^tier $tier items [0-9]* loaded [0-9]* at //p" "$T/probe")
	got=$(vips getpoint "$T/shot.png" $xy 2>/dev/null)
	echo "$got $want" | awk '{ for (i = 1; i <= 3; i++) { d = $i - $(i + 3); if (d < -10 || d > 10) exit 1 } exit NF != 6 }'
	ok $? "$tier thumbnail rendered in the screenshot at ${xy:-?}: colour ${got:-none}, drawn $want"
done
is "$(head -c 8 "$T/shot.png" | od -An -c | tr -d ' ')" '211PNG\r\n032\n' "screenshot has the PNG signature"
# keep the screenshot beside the test's log, where it can be looked at
cp "$T/shot.png" "$top_builddir/tests/t0902-report-chromium.png" &&
	echo "# screenshot: $top_builddir/tests/t0902-report-chromium.png"

# the checker can fail: a missing thumbnail is seen
rm "$T/elsewhere/r/thumbs/N2.jpg"
"$browser" "$CHROMIUM" "$T/chrome" "file://$T/elsewhere/r/index.html" "$T/shot2.png" $W $H \
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
