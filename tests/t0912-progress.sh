#!/bin/sh
# t0912-progress.sh: the one progress line of vmind-crawl, vmind-resize,
# vlsnr-embed and vlsnr-train, each run on an 80-column terminal (a pty from
# script(1)): every drawing has the shared format "TOOL: DONE/TOTAL UNIT,
# RATE/s, ETA M:SS[, detail]", none is wider than the terminal less one
# column (so none wraps into a new line per refresh; the crawl's is also run
# on a 64-column one), and the line is cleared when the work ends.
# Then SIGTERM and SIGINT in the middle of a crawl: the tool says how much is
# done and that a rerun resumes, and the rerun finishes the work.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"
command -v script >/dev/null 2>&1 || { echo "1..0 # SKIP script(1) (bsdutils) not installed"; exit 0; }

# on_tty OUT CMD...: run CMD on a pty of $COLS columns; what the terminal
# got in OUT
COLS=80
on_tty() {
	_o=$1; shift
	printf '%s\n' "$*" >"$T/tty.cmd"
	script -qec "stty cols $COLS rows 24; . '$T/tty.cmd'" /dev/null >"$_o" 2>&1 </dev/null
}

# drawings TOOL OUT: the progress drawings of TOOL on that terminal, one a line
drawings() {
	tr '\r' '\n' <"$2" | sed "s/$(printf '\033')\[K//g" | grep "^$1: [0-9]*/[0-9]* [a-z]*, " || true
}

# check_progress TOOL UNIT OUT
check_progress() {
	drawings "$1" "$3" >"$T/draw"
	n=$(wc -l <"$T/draw")
	[ "$n" -gt 0 ]; ok $? "$1 draws a progress line on a terminal ($n drawings)"
	is "$(grep -cv "^$1: [0-9]*/[0-9]* $2, [0-9.]*/s, ETA [0-9?:]*\(, .*\)\{0,1\}$" "$T/draw")" 0 \
		"$1: every drawing is 'TOOL: DONE/TOTAL $2, RATE/s, ETA M:SS, ...'"
	is "$(awk '{ if (length($0) > m) m = length($0) } END { print (m + 0 > c ? "wider: " m : "fits") }' c=$((COLS - 1)) "$T/draw")" fits \
		"$1: no drawing is wider than $((COLS - 1)) columns"
	# the last drawing is followed by the clearing sequence, not left on screen
	last=$(tail -1 "$T/draw")
	grep -aqF "$last$(printf '\033[K\r\033[K')" "$3"; ok $? "$1: the line is cleared at the end"
}

# ---- crawl: 30 items, slow pages, on a terminal
fixture c.jpg cover.jpg
image img.test /cover.jpg c.jpg image/jpeg
route img.test /robots.txt 404 text/plain ""
route news.test /robots.txt 404 text/plain ""
printf '<meta property="og:image" content="http://img.test/cover.jpg">' | file ok.html
i=1
while [ $i -le 30 ]; do
	route news.test "/$i.html" 200 "text/html" ok.html delay:150
	news "N$i" "http://news.test/$i.html" "A rather long headline number $i about the weather and the markets today"
	i=$((i + 1))
done
web_start
on_tty "$T/crawl.tty" vmind-crawl --db "$T/c.db" --out "$T/out" --connect-to "::127.0.0.1:$PORT" -j 2 \
	--tiers origin --placeholder white "$T/news/news.tsv"
check_progress vmind-crawl items "$T/crawl.tty"
grep -aq 'image [0-9]*, no-image [0-9]*, failed [0-9]*' "$T/crawl.tty"; ok $? "the crawl's drawing counts images, no-image and failures"
COLS=64
rm -rf "$T/c.db" "$T/c.db-wal" "$T/c.db-shm" "$T/out"
on_tty "$T/crawl.tty" vmind-crawl --db "$T/c.db" --out "$T/out" --connect-to "::127.0.0.1:$PORT" -j 2 \
	--tiers origin --placeholder white "$T/news/news.tsv"
check_progress vmind-crawl items "$T/crawl.tty"
COLS=80

# ---- resize, embed and train on a tiny synthetic MIND
vmind-synth -q --preset tiny --url-base http://news.test/n/ --out "$T/m"
vmind-crawl -q --db "$T/r.db" --out "$T/rout" --tiers origin --placeholder white --ignore-robots \
	--connect-to "::127.0.0.1:$PORT" "$T/m/train/news.tsv" "$T/m/dev/news.tsv" 2>/dev/null
on_tty "$T/resize.tty" vmind-resize --db "$T/r.db" --out "$T/img" -j 1
check_progress vmind-resize images "$T/resize.tty"
on_tty "$T/embed.tty" vlsnr-embed news --encoder hash --news "$T/m/train/news.tsv" --news "$T/m/dev/news.tsv" \
	--images "$T/img" --out "$T/feat" --chunk 64
check_progress vlsnr-embed items "$T/embed.tty"
on_tty "$T/train.tty" vlsnr-train --train "$T/m/train" --features "$T/feat" --out "$T/model.safetensors" \
	--epochs 2 --batch 16 --dim 16 --heads 2 --att-dim 16
check_progress vlsnr-train steps "$T/train.tty"

# ---- a signal in the middle of a crawl (env --default-signal: a background
# job of a script starts with SIGINT ignored, which the tools respect)
: >"$T/news/news.tsv"
i=1
while [ $i -le 40 ]; do
	route news.test "/s$i.html" 200 "text/html" ok.html delay:400
	news "N$((100 + i))" "http://news.test/s$i.html"
	i=$((i + 1))
done
web_stop
web_start
for sig in TERM INT; do
	rm -rf "$T/s.db" "$T/s.db-wal" "$T/s.db-shm" "$T/sout"
	env --default-signal=INT vmind-crawl --db "$T/s.db" --out "$T/sout" --connect-to "::127.0.0.1:$PORT" \
		-j 1 --tiers origin "$T/news/news.tsv" 2>"$T/sig.err" &
	pid=$!
	track_pid $pid
	n=0
	while [ "$(sqlite3 "$T/s.db" "SELECT count(*) FROM news WHERE state = 'done'" 2>/dev/null || echo 0)" -lt 3 ] && [ $n -lt 300 ]; do
		sleep 0.1; n=$((n + 1))
	done
	kill -$sig $pid
	wait $pid
	rc=$?
	[ $rc -gt 128 ]; ok $? "SIG$sig ends the crawl as the signal does (exit $rc)"
	word=terminated; [ $sig = INT ] && word=interrupted
	grep -q "^vmind-crawl: $word: [0-9]*/40 items done; run the same command again to resume$" "$T/sig.err"
	ok $? "SIG$sig: the crawl says how much is done and that a rerun resumes"
	[ $? -eq 0 ] || sed 's/^/#   /' "$T/sig.err"
done
vmind-crawl -q --db "$T/s.db" --out "$T/sout" --connect-to "::127.0.0.1:$PORT" -j 8 --tiers origin "$T/news/news.tsv"
is "$?" 0 "the rerun finishes"
is "$(sqlite3 "$T/s.db" "SELECT state, count(*) FROM news GROUP BY state")" "done|40" "every item done after the rerun"
done_testing
