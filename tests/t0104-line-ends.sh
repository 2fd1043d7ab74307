#!/bin/sh
# t0104-line-ends.sh: what real files look like at their edges: CRLF line
# ends, no newline after the last line, a 5 MB history on one line (the
# reader's buffer grows), invalid UTF-8 in a title (an error naming the byte),
# and files whose size is not a multiple of anything.
. "$top_srcdir/tests/lib.sh"

TIME='11/11/2019 9:05:58 AM'
csv_row() { vmind-stats --format csv "$@" | sed -n 2p; }

printf 'N1\tnews\tsports\tT\t\t\t\t\r\nN2\tnews\tsports\tT\t\t\t\t\r\n' >"$T/crlf-news.tsv"
printf '1\tU1\t%s\tN1\tN2-1\r\n2\tU2\t%s\t\tN1 N2\r\n' "$TIME" "$TIME" >"$T/crlf-beh.tsv"
exits 0 "CRLF files: exit 0" vmind-stats --news "$T/crlf-news.tsv" --behaviors "$T/crlf-beh.tsv"
is "$(csv_row --news "$T/crlf-news.tsv" --behaviors "$T/crlf-beh.tsv")" "MIND,2,2,0,0.000000,0.000000" "CRLF files counted"

printf 'N1\tnews\tsports\tT\t\t\t\t\nN2\tnews\tsports\tT\t\t\t\t' >"$T/nonl-news.tsv"
printf '1\tU1\t%s\tN1\tN2-1\n2\tU2\t%s\t\tN1 N2' "$TIME" "$TIME" >"$T/nonl-beh.tsv"
is "$(csv_row --news "$T/nonl-news.tsv" --behaviors "$T/nonl-beh.tsv")" "MIND,2,2,0,0.000000,0.000000" "no final newline: last line counted"
printf '1\tU1\t%s\tN1\tN2-1\n2\tU2\t%s\t\tN1 N2-x' "$TIME" "$TIME" >"$T/nonl-bad.tsv"
exits 2 "bad last line without newline: exit 2" vmind-stats --news "$T/nonl-news.tsv" --behaviors "$T/nonl-bad.tsv"
is "$(cat "$T/err")" "vmind-stats: $T/nonl-bad.tsv:2: column 5: bad impression 'N2-x'" "its message"
printf '1\tU1\t%s\tN1\tN2-1\r\n\r\n' "$TIME" >"$T/crlf-empty.tsv"
exits 2 "empty CRLF line: exit 2" vmind-stats --news "$T/nonl-news.tsv" --behaviors "$T/crlf-empty.tsv"
is "$(cat "$T/err")" "vmind-stats: $T/crlf-empty.tsv:2: empty line" "its message"

# a 5 MB history line between two ordinary ones
awk -v t="$TIME" 'BEGIN {
	printf "1\tU1\t%s\tN1\tN2-1\n", t
	printf "2\tU2\t%s\t", t
	for (i = 1; i <= 700000; i++) printf "%sN%d", (i > 1 ? " " : ""), 100000 + i
	printf "\tN3-0 N4-1\n"
	printf "3\tU3\t%s\tN1\tN2-1\n", t }' >"$T/long.tsv"
size=$(wc -c <"$T/long.tsv" | tr -d ' ')
ok $([ "$size" -gt 5000000 ] && echo 0 || echo 1) "the long line is over 5 MB ($size bytes)"
is "$(csv_row --news "$T/nonl-news.tsv" --behaviors "$T/long.tsv")" "MIND,2,3,0,0.000000,0.000000" "5 MB line read"
is "$(VMIND_STATS_CHUNK=100000 csv_row --news "$T/nonl-news.tsv" --behaviors "$T/long.tsv")" "MIND,2,3,0,0.000000,0.000000" "5 MB line read in 100 KB chunks"
awk -v t="$TIME" 'BEGIN { printf "1\tU1\t%s\t", t
	for (i = 1; i <= 700000; i++) printf "N%d ", i
	printf "\tN3-0 N4-1\n" }' >"$T/long-bad.tsv"
exits 2 "bad 5 MB line: exit 2" vmind-stats --news "$T/nonl-news.tsv" --behaviors "$T/long-bad.tsv"
is "$(cat "$T/err")" "vmind-stats: $T/long-bad.tsv:1: column 4: stray space in history" "its message"

# invalid UTF-8
printf 'N1\tnews\tsports\tGood \303\251\t\t\t\t\nN2\tnews\tsports\tBad \351t\351\t\t\t\t\n' >"$T/latin1.tsv"
exits 2 "Latin-1 title: exit 2" vmind-stats --news "$T/latin1.tsv" --behaviors "$T/nonl-beh.tsv"
is "$(cat "$T/err")" "vmind-stats: $T/latin1.tsv:2: column 4 (title): invalid UTF-8 at byte 20" "invalid UTF-8: column and byte named"
exits 1 "Latin-1 title, --lenient: exit 1" vmind-stats --lenient --format csv --news "$T/latin1.tsv" --behaviors "$T/nonl-beh.tsv"
is "$(sed -n 2p "$T/out")" "MIND,1,2,0,0.000000,0.000000" "lenient: the good news line counted"
done_testing
