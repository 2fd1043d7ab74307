#!/bin/sh
# t0911-build-vmind.sh: datasets/build-vmind.sh, the documented real-data
# path, end to end on a tiny synthetic MIND laid out as get-mind.sh unpacks
# MIND-large (MINDlarge_{train,dev,test}/, the test split without labels)
# and every endpoint pointed at the simulated web (origin pages, the archive,
# a searx endpoint): V-MIND, Table 1, features, a model, dev metrics, the
# leaderboard's submission.zip (prediction.txt: one line per test
# impression, in order, ranks 1..n of its candidates) and the report. A
# second run finds every step done and redoes nothing.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"
B="$top_srcdir/datasets/build-vmind.sh"

sh -n "$B"; ok $? "sh -n datasets/build-vmind.sh"
exits 0 "--help" sh "$B" --help
grep -q "MINDDIR OUTDIR" "$T/out"; ok $? "--help shows the usage"
exits 2 "no MIND layout: exit 2" sh "$B" "$T/nothing" "$T/o0"
grep -q "get-mind.sh's layout" "$T/err"; ok $? "the error names the layout it wants"

vmind-synth -q --preset tiny --url-base http://assets.msn.com/labs/mind/ --out "$T/synth" ||
	{ echo "Bail out! vmind-synth failed"; exit 1; }
M="$T/MIND"
mkdir -p "$M/MINDlarge_train" "$M/MINDlarge_dev" "$M/MINDlarge_test"
cp "$T/synth/train/news.tsv" "$T/synth/train/behaviors.tsv" "$M/MINDlarge_train/"
cp "$T/synth/dev/news.tsv" "$T/synth/dev/behaviors.tsv" "$M/MINDlarge_dev/"
cp "$T/synth/dev/news.tsv" "$M/MINDlarge_test/"
# the test split as MIND's: the same shape, candidates without labels
awk -F'\t' -v OFS='\t' '{ $1 = $1 + 500000; gsub(/-[01]/, "", $5); print }' "$T/synth/dev/behaviors.tsv" \
	>"$M/MINDlarge_test/behaviors.tsv"
rm -rf "$W"
vmind-web render -q --mind "$T/synth" --out "$W" --threads 1 || { echo "Bail out! vmind-web render failed"; exit 1; }
web_start

O="$T/out-vmind"
run() {
	VMIND_CRAWL_OPTS="--connect-to ::127.0.0.1:$PORT --allow-private --timeout 10 --retries 1" \
		sh "$B" --archive http://web.archive.org --search searx:http://searx.test --epochs 1 \
		--train-opts "--batch 64 --dim 32 --heads 4 --att-dim 32 --history 20" "$M" "$O" >"$T/run.out" 2>"$T/run.err"
}
run
rc=$?
[ $rc -le 1 ]; ok $? "build-vmind.sh runs to the end (exit $rc)"
[ $rc -le 1 ] || tail -20 "$T/run.err" | sed 's/^/#   /'
is "$(cut -d' ' -f1 "$O/times.txt" | tr '\n' ' ')" "crawl resize table1 embed train dev test report " "every step ran, in order"

# the crawl used every tier, against the simulated web
is "$(sqlite3 "$O/vmind.db" "SELECT count(*) FROM news WHERE state = 'pending'")" 0 "no item left pending"
is "$(sqlite3 "$O/vmind.db" "SELECT group_concat(tier) FROM (SELECT DISTINCT tier FROM image ORDER BY tier)")" \
	"archive,origin,search" "images from the origin, the archive and the search tiers"
n_res=$(sqlite3 "$O/vmind.db" "SELECT count(*) FROM resized")
is "$(ls "$O/images" | grep -c '\.jpg$')" "$n_res" "a 224x224 cover for every resized row ($n_res)"
grep -q '^V-MIND ' "$O/table1.txt"; ok $? "Table 1 has the V-MIND row"
cut -f1 "$M"/MINDlarge_*/news.tsv | sort -u >"$T/ids.news"
sort "$O/features/ids.txt" >"$T/ids.feat"
cmp -s "$T/ids.news" "$T/ids.feat"; ok $? "features for every news item of train, dev and test"
test -s "$O/model.safetensors"; ok $? "a model"
grep -q '^AUC ' "$O/dev-metrics.txt"; ok $? "dev metrics"

# the submission: prediction.txt in a zip, one line per test impression
mkdir "$T/unz"
(cd "$T/unz" && unzip -q "$O/submission.zip")
is "$(ls "$T/unz")" "prediction.txt" "submission.zip holds prediction.txt alone, at its top"
is "$(cut -d' ' -f1 "$T/unz/prediction.txt" | tr '\n' ' ')" "$(cut -f1 "$M/MINDlarge_test/behaviors.tsv" | tr '\n' ' ')" \
	"one line per test impression, in the file's order"
bad=$(paste -d'\t' "$M/MINDlarge_test/behaviors.tsv" "$T/unz/prediction.txt" | awk -F'\t' '{
	n = split($5, c, " "); p = $6; sub(/^[0-9]+ \[/, "", p); sub(/\]$/, "", p)
	m = split(p, r, ","); if (m != n) { bad++; next }
	delete seen; for (i = 1; i <= m; i++) { if (r[i] < 1 || r[i] > n || seen[r[i]]++) { bad++; next } } }
	END { print bad + 0 }')
is "$bad" 0 "each line ranks its impression's candidates 1..n, in candidate order"
test -s "$O/report/index.html"; ok $? "the report"

# a second run: everything is done, nothing redone
cp "$O/model.safetensors" "$T/model.before"
run
rc=$?
[ $rc -le 1 ]; ok $? "a second run exits $rc"
grep -q "vmind-crawl: 0 items worked" "$T/run.err"; ok $? "the crawl has nothing left to do"
grep -q "resuming .* after epoch 1 of 1" "$T/run.err"; ok $? "the model is not trained again"
cmp -s "$O/model.safetensors" "$T/model.before"; ok $? "the model is unchanged"
done_testing
