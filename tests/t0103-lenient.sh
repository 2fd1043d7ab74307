#!/bin/sh
# t0103-lenient.sh: with --lenient, vmind-stats skips bad lines, counts only
# the good ones, reports the first 20 messages in file order and the count
# per file on standard error, prints the table, and exits 1 (some items
# failed, the rest were done). Also when the files are read in chunks.
. "$top_srcdir/tests/lib.sh"

TIME='11/11/2019 9:05:58 AM'
printf 'N1\tnews\tsports\tT\t\t\t\t\nN2\tnews\tsports\tT\t\t\t\t\nN3\t\tsports\tT\t\t\t\t\nN4 news\n' >"$T/news.tsv"
{
	printf '1\tU1\t%s\tN1\tN2-1\n' "$TIME"
	printf '2\tU2\t%s\tN1\n' "$TIME"
	printf '\n'
	printf '4\tU4\t%s\t\tN2-0 N1-1\n' "$TIME"
	printf '5\tU5\t%s\t\tN2-0 N1\n' "$TIME"
	printf '6\tU1\t%s\tN2\tN2 N1' "$TIME"
} >"$T/beh.tsv"

exits 1 "bad lines skipped: exit 1" vmind-stats --lenient --format csv --news "$T/news.tsv" --behaviors "$T/beh.tsv"
is "$(sed -n 2p "$T/out")" "MIND,2,2,0,0.000000,0.000000" "only good lines counted (N1 N2; U1 U4)"
cat >"$T/want" <<EOW
vmind-stats: $T/news.tsv:3: column 2: empty category
vmind-stats: $T/news.tsv:4: expected 8 tab-separated columns, found 1
vmind-stats: $T/beh.tsv:2: expected 5 tab-separated columns, found 4
vmind-stats: $T/beh.tsv:3: empty line
vmind-stats: $T/beh.tsv:5: column 5: labelled and unlabelled impressions mixed
vmind-stats: $T/news.tsv: 2 bad lines skipped
vmind-stats: $T/beh.tsv: 3 bad lines skipped
EOW
is "$(cat "$T/err")" "$(cat "$T/want")" "the report: messages in order, then counts per file"

# without --lenient the same files stop at the first bad line
exits 2 "strict: exit 2" vmind-stats --news "$T/news.tsv" --behaviors "$T/beh.tsv"

# 75 bad lines among 3000, read in chunks: 20 messages, all counted
awk -v t="$TIME" 'BEGIN { for (i = 1; i <= 3000; i++)
	if (i % 40 == 0) printf "%d\tU%d\t%s\tN1\tN2-1 N%d\n", i, i, t, i
	else printf "%d\tU%d\t%s\tN1 N5\tN2-0 N3-1\n", i, i, t }' >"$T/big.tsv"
want_users=$(awk -F'\t' '$1 % 40 != 0 && !s[$2]++ { n++ } END { print n }' "$T/big.tsv")
printf 'N1\tnews\tsports\tT\t\t\t\t\n' >"$T/news1.tsv"
exits 1 "75 bad lines in 700-byte chunks: exit 1" env VMIND_STATS_CHUNK=700 vmind-stats --lenient --format csv --news "$T/news1.tsv" --behaviors "$T/big.tsv"
is "$(sed -n 2p "$T/out" | cut -d, -f3)" "$want_users" "users of the good lines ($want_users)"
is "$(grep -c 'labelled and unlabelled' "$T/err")" 20 "20 messages shown"
is "$(grep -o 'big.tsv:[0-9][0-9]*' "$T/err" | cut -d: -f2 | tr '\n' ' ')" \
   "$(seq 40 40 800 | tr '\n' ' ')" "the first 20 bad lines, numbered in the whole file"
is "$(grep -c "^vmind-stats: $T/big.tsv: 75 bad lines skipped\$" "$T/err")" 1 "75 counted"
is "$(tail -1 "$T/err")" "vmind-stats: only the first 20 messages are shown" "the cut is said"
done_testing
