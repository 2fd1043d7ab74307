#!/bin/sh
# bench/tiers.sh: coverage of vmind-crawl's tiers and the precision and
# recall of its search tier at several --min-similarity thresholds, on a
# simulated web where 60% of the pages are dead and 70% of those archived
# (vmind-web render --dead-share 0.6 --archive-share 0.7), served by
# `vmind-web serve` on 127.0.0.1 with its archive and searx-compatible search
# endpoint. For each threshold it runs a full crawl (origin, archive, search)
# and compares the chosen images with the web's truth.tsv:
#   coverage   items with an image (placeholders excluded) / all items
#   origin, archive, search   images per tier
#   precision  search-tier images whose SHA-256 is the true cover / search-tier images
#   recall     search-tier images that are the true cover / items that reached
#              the search tier (no origin or archive image) and whose story is
#              republished with a live copy of the cover (truth search_url set,
#              search_img_alive = 1)
# Usage: bench/tiers.sh [N]   (N news items, default 2000) with the built
# tools on PATH (or BUILD=dir). Environment: THRESHOLDS ("0.5 0.6 0.7 0.75
# 0.8 0.9"), MARGIN (0.1), SEED (1), DEFAULT_TH (0.7: the threshold whose
# crawl's Table 1 is printed), KEEP=1 keeps the work directory.
# Prints a Markdown table for bench/RESULTS.md.
set -eu
N=${1:-2000}
THRESHOLDS=${THRESHOLDS:-"0.5 0.6 0.7 0.75 0.8 0.9"}
MARGIN=${MARGIN:-0.1}
SEED=${SEED:-1}
if [ -n "${BUILD:-}" ]; then
	PATH="$BUILD/vmind/synth:$BUILD/vmind/stats:$BUILD/vmind/report:$BUILD/vmind/merge:$BUILD/crawler/crawl:$BUILD/crawler/web:$BUILD/resize:$BUILD/model/clip:$BUILD/model/vlsnr:$PATH"
fi
for t in vmind-synth vmind-web vmind-crawl sqlite3; do
	command -v $t >/dev/null 2>&1 || { echo "bench/tiers.sh: $t not found" >&2; exit 2; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/vmind-bench-tiers.XXXXXX")
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM

vmind-synth -q --news "$N" --seed "$SEED" --url-base http://assets.msn.com/labs/mind/ --out "$W/mind"
vmind-web render -q --mind "$W/mind" --out "$W/web" --seed "$SEED" --dead-share 0.6 --archive-share 0.7
vmind-web serve -q --root "$W/web" --listen 127.0.0.1:0 --port-file "$W/port" --pid-file "$W/pid" --background
SPID=$(cat "$W/pid")
PORT=$(cat "$W/port")
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ print $c["id"], ($c["cover_sha256"] == "" ? "-" : $c["cover_sha256"]),
	        ($c["search_url"] != "" && $c["search_img_alive"] == 1) }' "$W/web/truth.tsv" | sort >"$W/truth"

echo "| min-similarity | coverage | origin | archive | search | precision | recall | seconds |"
echo "|---|---|---|---|---|---|---|---|"
for th in $THRESHOLDS; do
	rm -rf "$W/c.db" "$W/out"
	t0=$(date +%s.%N)
	vmind-crawl -q --db "$W/c.db" --out "$W/out" --connect-to "::127.0.0.1:$PORT" --allow-private \
		--archive http://web.archive.org --search searx:http://searx.test \
		--min-similarity "$th" --min-margin "$MARGIN" "$W/mind/train/news.tsv" "$W/mind/dev/news.tsv" || true
	t1=$(date +%s.%N)
	sqlite3 -separator ' ' "$W/c.db" "SELECT n.id, coalesce(i.tier, '-'), coalesce(i.sha256, '-')
		FROM news n LEFT JOIN image i ON i.news_num = n.num" | sort >"$W/got"
	join "$W/truth" "$W/got" | awk -v th="$th" -v secs="$(echo "$t1 - $t0" | bc)" '
		{ n++; if ($4 != "-" && $4 != "placeholder") img++; t[$4]++
		  if ($4 == "search") { s++; if ($5 == $2) ok++ }
		  if (($4 == "-" || $4 == "search") && $3 == 1) { elig++; if ($4 == "search" && $5 == $2) rec++ } }
		END { printf "| %s | %.3f | %d | %d | %d | %.3f | %.3f | %.0f |\n", th, img / n, t["origin"], t["archive"],
		      s, s ? ok / s : 0, elig ? rec / elig : 0, secs }'
	# Table 1 of the run at the default threshold
	if [ "$th" = "${DEFAULT_TH:-0.7}" ]; then
		vmind-stats --format md --db "$W/c.db" --news "$W/mind/train/news.tsv" --news "$W/mind/dev/news.tsv" \
			--behaviors "$W/mind/train/behaviors.tsv" --behaviors "$W/mind/dev/behaviors.tsv" >"$W/table1" || true
	fi
done
if [ -s "$W/table1" ]; then
	echo
	echo "Table 1 of the crawl at --min-similarity ${DEFAULT_TH:-0.7}:"
	echo
	cat "$W/table1"
fi
