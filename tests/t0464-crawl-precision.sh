#!/bin/sh
# t0464-crawl-precision.sh: the three tiers on a simulated web where 60% of
# the pages are dead and 70% of those archived (vmind-web render
# --dead-share 0.6 --archive-share 0.7), with its archive and searx-style
# search, compared with truth.tsv. Asserts: every origin and archive image is
# the true cover; at the default --min-similarity the search tier's
# precision (share of its images whose SHA-256 is the true cover) is at
# least 0.99; a lower threshold finds at least as many, a higher one at
# most as many; the archive gives an image to most archived dead pages whose
# cover was captured. Prints coverage, precision and recall per threshold
# (bench/tiers.sh does the same on a larger web).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

vmind-synth -q --news 600 --seed 3 --url-base http://assets.msn.com/labs/mind/ --out "$T/mind" ||
	{ echo "Bail out! vmind-synth failed"; exit 1; }
rm -rf "$W"
vmind-web render -q --mind "$T/mind" --out "$W" --seed 3 --dead-share 0.6 --archive-share 0.7 --threads 1 ||
	{ echo "Bail out! vmind-web render failed"; exit 1; }
web_start
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ print $c["id"], ($c["cover_sha256"] == "" ? "-" : $c["cover_sha256"]),
	        ($c["search_url"] != "" && $c["search_img_alive"] == 1), ($c["archived"] > 0 && $c["archive_cover"] == 1) }' \
	"$W/truth.tsv" | sort >"$T/truth"

measure() { # THRESHOLD: crawl, then print "coverage origin archive search correct eligible found wrong_other"
	rm -rf "$T/c.db" "$T/out"
	vmind-crawl -q --db "$T/c.db" --out "$T/out" --connect-to "::127.0.0.1:$PORT" --allow-private \
		--archive http://web.archive.org --search searx:http://searx.test --min-similarity "$1" \
		"$T/mind/train/news.tsv" "$T/mind/dev/news.tsv" 2>>"$T/crawl.err"
	[ $? -le 1 ] || echo "# crawl at $1 failed" >&2
	q "SELECT n.id, coalesce(i.tier, '-'), coalesce(i.sha256, '-') FROM news n LEFT JOIN image i ON i.news_num = n.num" |
		sort >"$T/got"
	join "$T/truth" "$T/got" | awk '
		{ n++; if ($5 != "-") img++; t[$5]++
		  if ($5 == "search") { s++; if ($6 == $2) ok++ }
		  if (($5 == "origin" || $5 == "archive") && $6 != $2) bad++
		  if ($5 == "archive") arch++
		  if ($4 == 1) { ac++; if ($5 == "archive") ag++ }
		  if (($5 == "-" || $5 == "search") && $3 == 1) { elig++; if ($5 == "search" && $6 == $2) rec++ } }
		END { printf "%.3f %d %d %d %d %d %d %d %d %d\n", img / n, t["origin"], arch, s, ok, elig, rec, bad, ac, ag }'
}
k=0
for th in 0.6 0.7 0.9; do
	k=$((k + 1))
	set -- $(measure $th)
	eval "org$k=$2 arch$k=$3 s$k=$4 ok$k=$5 elig$k=$6 rec$k=$7 bad$k=$8 ac=$9 ag=${10}"
	echo "# min-similarity $th: coverage $1, origin $2, archive $3, search $4 ($5 right: precision $(awk "BEGIN { print $4 ? $5 / $4 : 0 }"), recall $7/$6)"
done
# k = 2 is the default threshold (0.7)
ok $([ "$org2" -gt 50 ] && [ "$arch2" -gt 50 ] && [ "$s2" -gt 30 ]; echo $?) \
   "every tier finds images (origin $org2, archive $arch2, search $s2)"
is "$bad1 $bad2 $bad3" "0 0 0" "every origin and archive image is the true cover"
ok $(awk "BEGIN { exit !($ok2 / $s2 >= 0.99) }"; echo $?) "default threshold: search precision >= 0.99 ($ok2/$s2)"
ok $(awk "BEGIN { exit !($ok3 / ($s3 ? $s3 : 1) >= 0.99) }"; echo $?) "threshold 0.9: search precision >= 0.99 ($ok3/$s3)"
ok $([ "$s1" -ge "$s2" ] && [ "$s2" -ge "$s3" ]; echo $?) "a lower threshold accepts at least as many ($s1 >= $s2 >= $s3)"
ok $([ "$rec2" -ge "$rec3" ] && [ $((rec2 * 10)) -ge $((elig2 * 8)) ]; echo $?) \
   "default threshold: recall >= 0.8 ($rec2/$elig2) and >= that of 0.9 ($rec3)"
ok $([ $((ag * 10)) -ge $((ac * 9)) ]; echo $?) "the archive gives an image to >= 90% of the dead pages whose cover it holds ($ag/$ac)"
done_testing
