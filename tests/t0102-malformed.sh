#!/bin/sh
# t0102-malformed.sh: every kind of bad line in news.tsv and behaviors.tsv
# stops vmind-stats with exit status 2 and the exact message
# "vmind-stats: FILE:LINE: what was wrong" (strict mode, the default), also
# when the file is read in chunks by two threads (the line number is the
# line's number in the whole file).
. "$top_srcdir/tests/lib.sh"

TIME='11/11/2019 9:05:58 AM'
GOODN='N1\tnews\tsports\tA title\tAn abstract\thttps://assets.msn.com/labs/mind/AAGH0ET.html\t[]\t[]'
GOODB="1\\tU1\\t$TIME\\tN1 N2\\tN3-0 N4-1"
printf '%b\n' "$GOODN" >"$T/news.tsv"
printf '%b\n' "$GOODB" >"$T/beh.tsv"

# bad_beh DESCRIPTION LINE MESSAGE: LINE (printf %b escapes) as line 2 of a
# behaviors file
bad_beh() {
	printf '%b\n%b\n%b\n' "$GOODB" "$2" "$GOODB" >"$T/b.tsv"
	exits 2 "behaviors: $1: exit 2" vmind-stats --news "$T/news.tsv" --behaviors "$T/b.tsv"
	is "$(cat "$T/err")" "vmind-stats: $T/b.tsv:2: $3" "behaviors: $1: message"
}
bad_news() {
	printf '%b\n%b\n' "$GOODN" "$2" >"$T/n.tsv"
	exits 2 "news: $1: exit 2" vmind-stats --news "$T/n.tsv" --behaviors "$T/beh.tsv"
	is "$(cat "$T/err")" "vmind-stats: $T/n.tsv:2: $3" "news: $1: message"
}

for level in 0 1 2; do
	# the fast checking path with AVX-512, AVX2, SSE2 (as far as the CPU has them)
	printf '%b\n%b\n' "$GOODB" "1\\tU1\\t$TIME\\tN1 N2\\tN3-0 N4-1 N5" >"$T/lv.tsv"
	exits 2 "mixed labels, VMIND_NO_AVX=$level: exit 2" env VMIND_NO_AVX=$level vmind-stats --news "$T/news.tsv" --behaviors "$T/lv.tsv"
	is "$(cat "$T/err")" "vmind-stats: $T/lv.tsv:2: column 5: labelled and unlabelled impressions mixed" "VMIND_NO_AVX=$level: message"
done
bad_beh "empty line" "" "empty line"
bad_beh "4 columns" "1\\tU1\\t$TIME\\tN1" "expected 5 tab-separated columns, found 4"
bad_beh "1 column" "1 U1 N1" "expected 5 tab-separated columns, found 1"
bad_beh "6 columns" "1\\tU1\\t$TIME\\tN1\\tN2-1\\tN3-0" "expected 5 tab-separated columns, found 6"
bad_beh "impression id" "-1\\tU1\\t$TIME\\tN1\\tN2-1" "column 1: bad impression id '-1'"
bad_beh "impression id too big" "18446744073709551616\\tU1\\t$TIME\\tN1\\tN2-1" "column 1: bad impression id '18446744073709551616'"
bad_beh "user id" "1\\tUser1\\t$TIME\\tN1\\tN2-1" "column 2: bad user id 'User1'"
bad_beh "user id with sign" "1\\tU+1\\t$TIME\\tN1\\tN2-1" "column 2: bad user id 'U+1'"
bad_beh "user id too big" "1\\tU4294967296\\t$TIME\\tN1\\tN2-1" "column 2: bad user id 'U4294967296'"
bad_beh "time" "1\\tU1\\t2019-11-11T09:05:58\\tN1\\tN2-1" "column 3: bad time '2019-11-11T09:05:58' (want M/D/YYYY H:MM:SS AM|PM)"
bad_beh "day 31 of November" "1\\tU1\\t11/31/2019 9:05:58 AM\\tN1\\tN2-1" "column 3: bad time '11/31/2019 9:05:58 AM' (want M/D/YYYY H:MM:SS AM|PM)"
bad_beh "hour 13" "1\\tU1\\t11/11/2019 13:05:58 PM\\tN1\\tN2-1" "column 3: bad time '11/11/2019 13:05:58 PM' (want M/D/YYYY H:MM:SS AM|PM)"
bad_beh "history id" "1\\tU1\\t$TIME\\tN1 M2\\tN2-1" "column 4: bad news id 'M2'"
bad_beh "history leading zero" "1\\tU1\\t$TIME\\tN007\\tN2-1" "column 4: bad news id 'N007'"
bad_beh "history double space" "1\\tU1\\t$TIME\\tN1  N2\\tN2-1" "column 4: stray space in history"
bad_beh "labelled history" "1\\tU1\\t$TIME\\tN1-1\\tN2-1" "column 4: bad news id 'N1-1'"
bad_beh "no impressions" "1\\tU1\\t$TIME\\tN1\\t" "column 5: no impressions"
bad_beh "label 2" "1\\tU1\\t$TIME\\tN1\\tN2-2" "column 5: bad impression 'N2-2'"
bad_beh "candidate id" "1\\tU1\\t$TIME\\tN1\\tN2-1 X3-0" "column 5: bad impression 'X3-0'"
bad_beh "mixed labels" "1\\tU1\\t$TIME\\tN1\\tN2-1 N3" "column 5: labelled and unlabelled impressions mixed"
bad_beh "trailing space" "1\\tU1\\t$TIME\\tN1\\tN2-1 " "column 5: stray space in impressions"
bad_beh "control byte shown escaped" "1\\tU1\\t$TIME\\tN1\\tN2-1 N3\\001-0" "column 5: bad impression 'N3\\x01-0'"

bad_news "empty line" "" "empty line"
bad_news "7 columns" "N2\\tnews\\tsports\\tt\\ta\\tu\\t[]" "expected 8 tab-separated columns, found 7"
bad_news "9 columns" "N2\\tnews\\tsports\\tt\\ta\\tu\\t[]\\t[]\\t" "expected 8 tab-separated columns, found 9"
bad_news "news id" "N2x\\tnews\\tsports\\tt\\ta\\tu\\t[]\\t[]" "column 1: bad news id 'N2x'"
bad_news "news id too big" "N99999999999\\tnews\\tsports\\tt\\ta\\tu\\t[]\\t[]" "column 1: bad news id 'N99999999999'"
bad_news "empty category" "N2\\t\\tsports\\tt\\ta\\tu\\t[]\\t[]" "column 2: empty category"
bad_news "empty subcategory" "N2\\tnews\\t\\tt\\ta\\tu\\t[]\\t[]" "column 3: empty subcategory"
bad_news "invalid UTF-8 in the title" "N2\\tnews\\tsports\\tCaf\\0351\\ta\\tu\\t[]\\t[]" "column 4 (title): invalid UTF-8 at byte 19"
bad_news "cut UTF-8 in the entities" "N2\\tnews\\tsports\\tt\\ta\\tu\\t[\\0342\\0202]\\t[]" "column 7 (title entities): invalid UTF-8 at byte 23"

# the first bad line of the first bad file is the one reported
printf '%b\n' "$GOODN" "bad" >"$T/n3.tsv"
printf '%b\n' "$GOODB" "bad" >"$T/b3.tsv"
exits 2 "news and behaviors bad: exit 2" vmind-stats --news "$T/n3.tsv" --behaviors "$T/b3.tsv"
is "$(cat "$T/err")" "vmind-stats: $T/n3.tsv:2: expected 8 tab-separated columns, found 1" "news files are read first"

# in chunks: the line number in the whole file
awk -v t="$TIME" 'BEGIN { for (i = 1; i <= 2000; i++)
	if (i == 1234 || i == 1800) printf "%d\tU%d\t%s\tN1\tN2-x\n", i, i, t
	else printf "%d\tU%d\t%s\tN1 N5\tN2-0 N3-1\n", i, i, t }' >"$T/big.tsv"
exits 2 "bad line 1234 of 2000, in 512-byte chunks: exit 2" env VMIND_STATS_CHUNK=512 vmind-stats --news "$T/news.tsv" --behaviors "$T/big.tsv"
is "$(cat "$T/err")" "vmind-stats: $T/big.tsv:1234: column 5: bad impression 'N2-x'" "chunked: the first bad line, numbered in the whole file"
is "$(wc -c <"$T/out" | tr -d ' ')" 0 "no table on standard output after a bad line"
done_testing
