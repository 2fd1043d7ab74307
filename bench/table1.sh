#!/bin/sh
# bench/table1.sh: how fast vmind-stats computes Table 1, as ratios against
# two peers timed in the same run on the same files: the shell pipeline
# `cut -f2 behaviors.tsv | sort -u | wc -l` (distinct users only; LC_ALL=C,
# its fastest setting) and `wc -l` (reading the files, no parsing). The
# issue's targets: vmind-stats at least 5x faster than the pipeline and at
# most 3x the time of wc -l. All runs are warm-cache, best of 3.
#
# Usage: bench/table1.sh [DIR]
#   DIR holds train/ and dev/ {news,behaviors}.tsv (real MIND or vmind-synth
#   output); when DIR has no train/behaviors.tsv, `vmind-synth --preset
#   $PRESET --out DIR` makes it first (PRESET=large by default, MIND-large
#   size). DIR defaults to ./table1-$PRESET.
# Tools are taken from PATH, or from the tool folders under $VMIND_BUILD when set.
set -eu
PRESET=${PRESET:-large}
DIR=${1:-./table1-$PRESET}
if [ -n "${VMIND_BUILD:-}" ]; then PATH="$VMIND_BUILD/vmind/synth:$VMIND_BUILD/vmind/stats:$VMIND_BUILD/vmind/report:$VMIND_BUILD/vmind/merge:$VMIND_BUILD/crawler/crawl:$VMIND_BUILD/crawler/web:$VMIND_BUILD/resize:$VMIND_BUILD/model/clip:$VMIND_BUILD/model/vlsnr:$PATH"; export PATH; fi
LC_ALL=C; export LC_ALL

if [ ! -f "$DIR/train/behaviors.tsv" ]; then
	echo "generating: vmind-synth --preset $PRESET --out $DIR" >&2
	vmind-synth --preset "$PRESET" --out "$DIR" >&2
fi
NEWS="$DIR/train/news.tsv $DIR/dev/news.tsv"
BEH="$DIR/train/behaviors.tsv $DIR/dev/behaviors.tsv"
for f in $NEWS $BEH; do [ -r "$f" ] || { echo "table1.sh: $f: missing" >&2; exit 2; }; done

now() { date +%s.%N; }
# best TIMES CMD...: the best wall time in seconds of 3 runs of CMD (sh -c)
best() {
	b=""
	for i in 1 2 3; do
		t0=$(now); sh -c "$1" >/dev/null; t1=$(now)
		b=$(awk -v a="$t0" -v z="$t1" -v b="$b" 'BEGIN { t = z - a; if (b == "" || t < b) b = t; printf "%.3f", b }')
	done
	echo "$b"
}

stats_cmd="vmind-stats --format csv"
for f in $NEWS; do stats_cmd="$stats_cmd --news $f"; done
for f in $BEH; do stats_cmd="$stats_cmd --behaviors $f"; done
pipe_cmd="cut -f2 $BEH | sort -u | wc -l"
wc_cmd="wc -l $NEWS $BEH"

cat $NEWS $BEH >/dev/null   # warm the cache
users_stats=$(sh -c "$stats_cmd" | awk -F, 'NR == 2 { print $3 }')
users_pipe=$(sh -c "$pipe_cmd" | tr -d ' ')
if [ "$users_stats" != "$users_pipe" ]; then
	echo "table1.sh: vmind-stats says $users_stats users, the pipeline $users_pipe" >&2
	exit 1
fi

t_stats=$(best "$stats_cmd")
t_pipe=$(best "$pipe_cmd")
t_wc=$(best "$wc_cmd")
bytes=$(cat $NEWS $BEH | wc -c | tr -d ' ')
beh_lines=$(cat $BEH | wc -l | tr -d ' ')
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -1)

echo "## Table 1 benchmark ($(date -u +%Y-%m-%d), $DIR)"
echo
echo "Machine: $(nproc) cores, ${cpu:-unknown CPU}; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')."
echo "Input: $bytes bytes (news + behaviors, train + dev), $beh_lines impressions, $users_stats distinct users."
echo "Warm cache, best of 3."
echo
echo "| command | seconds | vmind-stats vs it |"
echo "|---|---:|---:|"
awk -v s="$t_stats" -v p="$t_pipe" -v w="$t_wc" 'BEGIN {
	printf "| vmind-stats (2 threads) | %.3f | 1 |\n", s
	printf "| cut -f2 behaviors | sort -u | wc -l | %.3f | %.1fx faster (target >= 5x) |\n", p, (s > 0 ? p / s : 0)
	printf "| wc -l (all four files) | %.3f | %.2fx the time (target <= 3x) |\n", w, (w > 0 ? s / w : 0)
}' | sed 's/cut -f2 behaviors | sort -u | wc -l/`cut -f2 behaviors.tsv \\| sort -u \\| wc -l`/; s/| wc -l (all/| `wc -l` (all/'
