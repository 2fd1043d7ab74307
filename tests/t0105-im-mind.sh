#!/bin/sh
# t0105-im-mind.sh: the IM-MIND row. Its images are the listed ids that are
# among the news (each once), its image and origin rates images / news. The
# list comes as a NumPy '<U7' array (tests/data/reader/imlist-u7.npy, written
# by NumPy) or as text, one id a line; MSN-style ids in a list are matched
# against the ids in the news URLs. A bad list is an error before the pass.
. "$top_srcdir/tests/lib.sh"

D="$top_srcdir/tests/data/reader"
TIME='11/11/2019 9:05:58 AM'
awk 'BEGIN { for (i = 1; i <= 100; i++)
	printf "N%d\tnews\tsports\tTitle %d\t\thttps://assets.msn.com/labs/mind/AB%05d.html\t[]\t[]\n", 7 * i, i, i }' >"$T/news.tsv"
printf '1\tU1\t%s\tN7\tN14-1\n' "$TIME" >"$T/beh.tsv"
# awk: distinct listed ids among the news
want=$(awk -F'\t' 'NR == FNR { news[$1] = 1; next } ($1 in news) && !seen[$1]++ { n++ } END { print n + 0 }' \
	"$T/news.tsv" "$D/imlist.txt")
is "$want" 28 "awk: 28 listed ids among the news"
rate=$(awk -v a="$want" 'BEGIN { printf "%.6f", a / 100 }')

exits 0 "--im-mind with a .npy list: exit 0" vmind-stats --format csv --news "$T/news.tsv" --behaviors "$T/beh.tsv" --im-mind "$D/imlist-u7.npy"
is "$(sed -n 3p "$T/out")" "IM-MIND,100,1,$want,$rate,$rate" "IM-MIND row from the .npy list"
exits 0 "--im-mind with a text list: exit 0" vmind-stats --format csv --news "$T/news.tsv" --behaviors "$T/beh.tsv" --im-mind "$D/imlist.txt"
is "$(sed -n 3p "$T/out")" "IM-MIND,100,1,$want,$rate,$rate" "IM-MIND row from the text list"
exits 0 "text output" vmind-stats --news "$T/news.tsv" --behaviors "$T/beh.tsv" --im-mind "$D/imlist.txt"
is "$(grep '^IM-MIND ' "$T/out" | tr -s ' ')" "IM-MIND 100 1 28 28.00% 28.00%" "text row"
is "$(grep '^IM-MIND:' "$T/out")" "IM-MIND: 201 distinct ids listed, 28 of them among the news" "text note on the list"

# CRLF text list with blank lines and MSN-style ids (from the URLs)
printf 'N7\r\n\r\nAB00002\r\nAB00002\r\n  N21  \r\nZZ99999\r\n' >"$T/list.txt"
exits 0 "text list with CRLF, blanks, MSN ids" vmind-stats --format csv --news "$T/news.tsv" --behaviors "$T/beh.tsv" --im-mind "$T/list.txt"
is "$(sed -n 3p "$T/out")" "IM-MIND,100,1,3,0.030000,0.030000" "N7, N21 and AB00002 (= N14) found"

# bad lists
printf 'N7\nN 8\n' >"$T/bad.txt"
exits 2 "bad id in a text list: exit 2" vmind-stats --news "$T/news.tsv" --behaviors "$T/beh.tsv" --im-mind "$T/bad.txt"
is "$(cat "$T/err")" "vmind-stats: $T/bad.txt:2: bad news id 'N 8'" "its message"
exits 2 "missing list: exit 2" vmind-stats --news "$T/news.tsv" --behaviors "$T/beh.tsv" --im-mind "$T/none.npy"
is "$(cat "$T/err")" "vmind-stats: $T/none.npy: No such file or directory" "its message"
exits 2 "float .npy as a list: exit 2" vmind-stats --news "$T/news.tsv" --behaviors "$T/beh.tsv" --im-mind "$D/f32-3x4.npy"
is "$(cat "$T/err")" "vmind-stats: $D/f32-3x4.npy: dtype '<f4' is not supported; want a unicode array like '<U7'" "its message"
head -c 200 "$D/imlist-u7.npy" >"$T/cut.npy"
exits 2 "truncated .npy: exit 2" vmind-stats --news "$T/news.tsv" --behaviors "$T/beh.tsv" --im-mind "$T/cut.npy"
is "$(cat "$T/err")" "vmind-stats: $T/cut.npy: truncated data (expected 5656 bytes, found 72)" "its message"
done_testing
