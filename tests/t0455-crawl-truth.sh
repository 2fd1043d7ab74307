#!/bin/sh
# t0455-crawl-truth.sh: on a simulated web with no dead, moved, faulty or
# disallowed pages (decoys kept), every news item whose truth says it has a
# cover gets exactly that image (SHA-256 equal to the truth's), and every
# item without one is done with no image.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

vmind-synth -q --preset tiny --url-base http://assets.msn.com/labs/mind/ --out "$T/mind" ||
	{ echo "Bail out! vmind-synth failed"; exit 1; }
rm -rf "$W"
vmind-web render -q --mind "$T/mind" --out "$W" --dead-share 0 --moved-share 0 --fault-share 0 \
	--robots-share 0 --threads 1 || { echo "Bail out! vmind-web render failed"; exit 1; }
web_start
vmind-crawl -q --db "$T/c.db" --out "$T/out" --connect-to "::127.0.0.1:$PORT" --no-archive \
	"$T/mind/train/news.tsv" "$T/mind/dev/news.tsv" 2>"$T/crawl.err"
is "$?" 0 "crawl exits 0"

# truth.tsv columns by name
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ print $c["id"], $c["outcome"], ($c["cover_sha256"] == "" ? "-" : $c["cover_sha256"]) }' \
	"$W/truth.tsv" | sort >"$T/truth"
q "SELECT n.id, coalesce(i.sha256, '-') FROM news n LEFT JOIN image i ON i.news_num = n.num" | sort >"$T/got"
is "$(wc -l <"$T/truth" | tr -d ' ')" 300 "truth has 300 items"
ok $([ "$(awk '$2 == "cover"' "$T/truth" | wc -l)" -gt 200 ]; echo $?) "most items have a cover"
join "$T/truth" "$T/got" | awk '$2 == "cover" && $3 != $4' >"$T/wrong"
is "$(wc -l <"$T/wrong" | tr -d ' ')" 0 "every item with a cover got exactly the true image"
head -5 "$T/wrong" | sed 's/^/#   /'
join "$T/truth" "$T/got" | awk '$2 != "cover" && $4 != "-"' >"$T/extra"
is "$(wc -l <"$T/extra" | tr -d ' ')" 0 "no item without a cover got an image"
is "$(q "SELECT count(*) FROM news WHERE state != 'done'")" 0 "every item done"
is "$(q "SELECT count(*) FROM image i WHERE NOT EXISTS (SELECT 1 FROM request r WHERE r.news_num = i.news_num AND r.url = i.image_url AND r.status = 200)")" 0 "every image row has its request"
is "$(ls "$T/out/raw" | wc -l | tr -d ' ')" "$(q "SELECT count(*) FROM image")" "one raw file per image row"
is "$(cd "$T/out" && sha256sum raw/* | awk '{ print $2, $1 }' | sort | tr '\n' ' ')" \
   "$(q "SELECT raw_path, sha256 FROM image ORDER BY raw_path" | tr '\n' ' ')" "raw files hold the recorded bytes"
done_testing
