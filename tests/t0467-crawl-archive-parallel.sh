#!/bin/sh
# t0467-crawl-archive-parallel.sh: --archive-parallel caps the requests the
# crawler has open at the web archive at once. The simulated archive answers
# every request 400 ms late (vmind-web --archive-delay), so requests that
# were open together overlap in time; the overlap is read back from the
# server's request log (each line is written when its reply starts, so a
# request was open during the 400 ms before its time). A run with a higher
# cap shows that the measure sees concurrency where there is some.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

A=web.archive.org
printf 'gone\n' | file gone.txt
printf 'url\ttimestamp\tstatus\tmimetype\tbody\tdigest\tlength\theaders\n' >"$W/captures.tsv"
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
	route news.test "/n$k.html" 404 text/html gone.txt
	news "N$k" "http://news.test/n$k.html"
done
WEB_ARGS="--archive-delay 400"
web_start

# most archive requests open at once, from the log: each was open in
# (time - 0.4 s, time), shrunk by 20 ms at both ends against timer jitter
max_open() {
	awk -F'\t' -v h=$A '$3 == h && ($4 ~ /^\/cdx\// || $4 ~ /^\/web\//) {
		printf "%.3f 1\n%.3f -1\n", $1 - 0.38, $1 - 0.02 }' "$T/req.log" |
		sort -n -k1,1 -k2,2n | awk '{ n += $2; if (n > m) m = n } END { print m + 0 }'
}

crawl --allow-private --archive http://$A --archive-parallel 2
is "$rc" 0 "--archive-parallel 2: exits 0"
n=$(awk -F'\t' -v h=$A '$3 == h && $4 ~ /^\/cdx\//' "$T/req.log" | wc -l | tr -d ' ')
ok "$([ "$n" -ge 12 ]; echo $?)" "--archive-parallel 2: every item was looked up ($n CDX requests)"
m=$(max_open)
ok "$([ "$m" -le 2 ]; echo $?)" "--archive-parallel 2: at most 2 archive requests open at once ($m)"
ok "$([ "$m" -ge 2 ]; echo $?)" "--archive-parallel 2: the 2 are used ($m)"

rm -rf "$T/c.db" "$T/out"
: >"$T/req.log"
crawl --allow-private --archive http://$A --archive-parallel 6
is "$rc" 0 "--archive-parallel 6: exits 0"
m=$(max_open)
ok "$([ "$m" -le 6 ] && [ "$m" -ge 3 ]; echo $?)" "--archive-parallel 6: between 3 and 6 open at once ($m)"
done_testing
