#!/bin/sh
# bench/crawl.sh: vmind-crawl against its peers on the simulated web, served
# by `vmind-web serve` on 127.0.0.1. For N news items (default 20000) it
# renders a clean web (every live page has a cover), then measures
#  1. vmind-crawl: news/s, requests/s, peak RSS (GNU time), with robots.txt,
#     validation and the database included;
#  2. the naive fan-out baseline: `xargs -P 64 curl` (one URL per curl,
#     XARGS_N=20 gives each curl 20 URLs on kept-alive connections) over the same page URLs
#     and the true image URLs (so it does less work: no parsing, no
#     validation, no database), URLs/s;
#  3. the server's own capacity: wrk with 64 connections over the same URLs,
#     requests/s;
# and, for flat memory, vmind-crawl's peak RSS on RSS_NEWS items (default
# "20000 200000") where only the first items have pages (the others answer
# 404), so the window, not the item count, decides the memory.
# Usage: bench/crawl.sh [N]   with the built tools on PATH (or BUILD=dir).
# Environment: PARALLEL (64), RSS_NEWS, KEEP=1 keeps the work directory.
# Prints a Markdown table for bench/RESULTS.md.
set -eu
N=${1:-20000}
PARALLEL=${PARALLEL:-64}
RSS_NEWS=${RSS_NEWS-"20000 200000"}
if [ -n "${BUILD:-}" ]; then
	PATH="$BUILD/vmind/synth:$BUILD/vmind/stats:$BUILD/vmind/report:$BUILD/vmind/merge:$BUILD/crawler/crawl:$BUILD/crawler/web:$BUILD/resize:$BUILD/model/clip:$BUILD/model/vlsnr:$PATH"
fi
for t in vmind-synth vmind-web vmind-crawl curl wrk; do
	command -v $t >/dev/null 2>&1 || { echo "bench/crawl.sh: $t not found (wrk: apt-get install wrk)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench/crawl.sh: GNU time needed (apt-get install time)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/vmind-bench-crawl.XXXXXX")
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM

serve() {   # serve DIR: sets PORT, SPID
	vmind-web serve -q --root "$1" --listen 127.0.0.1:0 --port-file "$W/port" --pid-file "$W/pid" --background
	SPID=$(cat "$W/pid")
	PORT=$(cat "$W/port")
}
stop() { kill "$SPID"; while kill -0 "$SPID" 2>/dev/null; do sleep 0.05; done; SPID=; }
now() { date +%s.%N; }
rss_kb() { awk '/Maximum resident set size/ { print $NF }' "$1"; }
json() { tr -d ' \t\n' <"$1" | sed -n "s/.*\"$2\":\\([0-9.]*\\).*/\\1/p"; }

echo "bench/crawl.sh: rendering $N news items..." >&2
vmind-synth -q --news "$N" --users 1000 --impressions 2000 --url-base http://assets.msn.com/labs/mind/ --out "$W/mind"
vmind-web render -q --mind "$W/mind" --out "$W/web" --clean
serve "$W/web"

# 1. vmind-crawl
echo "bench/crawl.sh: vmind-crawl..." >&2
/usr/bin/time -v -o "$W/time1" vmind-crawl -q --no-archive --db "$W/c.db" --out "$W/out" --parallel "$PARALLEL" \
	--connect-to "::127.0.0.1:$PORT" --stats-json "$W/stats.json" \
	"$W/mind/train/news.tsv" "$W/mind/dev/news.tsv" || true
c_secs=$(json "$W/stats.json" seconds)
c_news=$(json "$W/stats.json" news_per_second)
c_reqs=$(json "$W/stats.json" requests_per_second)
c_n=$(json "$W/stats.json" requests)
c_img=$(json "$W/stats.json" image)
c_rss=$(rss_kb "$W/time1")
c_urls=$(awk -v n="$c_n" -v s="$c_secs" 'BEGIN { printf "%.0f", n / s }')

# the same page URLs and the true image URLs
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ print $c["page_url"]; if ($c["cover_url"] != "") print $c["cover_url"] }' "$W/web/truth.tsv" >"$W/urls"
nurls=$(wc -l <"$W/urls")

# 2. naive fan-out
echo "bench/crawl.sh: xargs -P 64 curl over $nurls URLs..." >&2
mkdir -p "$W/xo"
t0=$(now)
xargs -P 64 -n "${XARGS_N:-1}" curl -s --connect-to "::127.0.0.1:$PORT" <"$W/urls" >/dev/null || true
t1=$(now)
x_urls=$(awk -v n="$nurls" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')

# 3. the server's capacity
awk '{ sub("^https?://", ""); h = $0; sub("/.*", "", h); p = substr($0, length(h) + 1); print h " " p }' "$W/urls" >"$W/paths"
cat >"$W/paths.lua" <<EOF
local reqs = {}
for line in io.lines("$W/paths") do
  local h, p = line:match("^(%S+) (%S+)$")
  reqs[#reqs + 1] = wrk.format("GET", p, { Host = h })
end
local i = 0
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
EOF
echo "bench/crawl.sh: wrk..." >&2
wrk -t 2 -c 64 -d 10s -s "$W/paths.lua" "http://127.0.0.1:$PORT/" >"$W/wrk.out" 2>&1 || true
w_rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$W/wrk.out")
stop

# 4. memory against the number of items
rss_rows=""
for M in $RSS_NEWS; do
	echo "bench/crawl.sh: RSS with $M items..." >&2
	rm -rf "$W/m2" "$W/w2" "$W/o2" "$W/c2.db"*
	vmind-synth -q --news "$M" --users 1000 --impressions 2000 --url-base http://assets.msn.com/labs/mind/ --out "$W/m2"
	vmind-web render -q --mind "$W/m2" --out "$W/w2" --clean --limit 500
	serve "$W/w2"
	/usr/bin/time -v -o "$W/time2" vmind-crawl -q --no-archive --db "$W/c2.db" --out "$W/o2" --parallel "$PARALLEL" \
		--connect-to "::127.0.0.1:$PORT" --stats-json "$W/s2.json" "$W/m2/train/news.tsv" "$W/m2/dev/news.tsv" || true
	stop
	rss_rows="$rss_rows| vmind-crawl peak RSS, $M items (500 with pages) | $(rss_kb "$W/time2") KiB | $(json "$W/s2.json" news_per_second) news/s |
"
done

cat <<EOF
| measure ($N news, $(nproc) cores, parallel $PARALLEL) | value | note |
|---|---|---|
| vmind-crawl | $c_news news/s | $c_reqs requests/s, $c_img images, ${c_secs}s, peak RSS $c_rss KiB |
| vmind-crawl URLs/s | $c_urls | pages + images + robots.txt, parsed, validated, recorded |
| xargs -P 64 curl, same page + true image URLs | $x_urls URLs/s | $nurls URLs, nothing parsed or kept |
| ratio vmind-crawl / curl fan-out (URLs/s) | $(awk -v a="$c_urls" -v b="$x_urls" 'BEGIN { printf "%.2f", a / b }') | target >= 3 |
| server capacity (wrk -c 64, same URLs) | $w_rps requests/s | |
$rss_rows
EOF
