#!/bin/sh
# t0702-eval.sh: vlsnr-eval. --score: hand-computed cases (ties, a single
# candidate, all clicked, empty label lists, missing prediction lines),
# errors (mismatched ids, rank counts, bad lines), and a 300-impression random
# case against tests/reference/train-metrics-ref.py (sklearn's AUC). --model:
# the prediction file's format and order, the truth file against an awk
# reading of behaviors.tsv, JSON keys, an unlabelled split.
. "$top_srcdir/tests/lib.sh"

D="$top_srcdir/tests/data/train"
cd "$T" || exit 1

# field VALUE of KEY from JSON on stdin (flat object of numbers)
jget() { sed -n "s/.*\"$1\": \([-0-9.e]*\).*/\1/p"; }
# near A B TOL: |A - B| <= TOL
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# 1: click first; 2: click second of three
printf '1 [1,0,0]\n2 [0,1,0]\n' >truth.txt
printf '1 [1,2,3]\n2 [1,2,3]\n' >pred.txt
exits 0 "--score: hand case runs" vlsnr-eval --score truth.txt pred.txt --format json
out=$(cat "$T/out")
near "$(echo "$out" | jget auc)" 0.75 1e-9; ok $? "hand case: AUC (1 + 1/2) / 2 = 0.75"
near "$(echo "$out" | jget mrr)" 0.75 1e-9; ok $? "hand case: MRR (1 + 1/2) / 2"
# nDCG of a click at position 2 is 1/log2(3)
want=$(awk 'BEGIN { printf "%.10f", (1 + log(2) / log(3)) / 2 }')
near "$(echo "$out" | jget ndcg5)" "$want" 1e-9; ok $? "hand case: nDCG@5 (1 + 1/log2 3) / 2"
near "$(echo "$out" | jget ndcg10)" "$want" 1e-9; ok $? "hand case: nDCG@10"
is "$(echo "$out" | jget impressions)" 2 "hand case: 2 impressions"

# ties: all ranks 1; reversed stable order puts the last candidate first
printf '7 [0,1,0]\n' >truth.txt
printf '7 [1,1,1]\n' >pred.txt
out=$(vlsnr-eval --score truth.txt pred.txt --format json)
near "$(echo "$out" | jget auc)" 0.5 1e-9; ok $? "ties: AUC counts ties one half"
near "$(echo "$out" | jget mrr)" 0.5 1e-9; ok $? "ties: reversed stable order, click at position 2"
printf '7 [1,0,0]\n' >truth.txt
out=$(vlsnr-eval --score truth.txt pred.txt --format json)
near "$(echo "$out" | jget mrr)" 0.3333333333 1e-9; ok $? "ties: the first candidate comes last (MRR 1/3)"
near "$(echo "$out" | jget ndcg5)" 0.5 1e-9; ok $? "ties: nDCG@5 = 1/log2(4)"

# a single candidate and an all-clicked impression: AUC undefined, skipped
printf '1 [1]\n2 [1,1]\n3 [0,1]\n' >truth.txt
printf '1 [1]\n2 [2,1]\n3 [2,1]\n' >pred.txt
out=$(vlsnr-eval --score truth.txt pred.txt --format json)
near "$(echo "$out" | jget auc)" 1 1e-9; ok $? "single-candidate and all-clicked impressions are left out of AUC"
near "$(echo "$out" | jget mrr)" "$(awk 'BEGIN { printf "%.10f", (1 + 0.75 + 1) / 3 }')" 1e-9
ok $? "MRR: all-clicked impression averages 1 and 1/2"
is "$(echo "$out" | jget impressions)" 3 "three impressions scored"

# empty label list: skipped, its prediction line consumed; a missing last line = all ranks 1
printf '1 []\n2 [0,1]\n3 [1,0]\n' >truth.txt
printf '1 []\n2 [2,1]\n' >pred.txt
out=$(vlsnr-eval --score truth.txt pred.txt --format json)
is "$(echo "$out" | jget impressions)" 2 "empty label list skipped"
near "$(echo "$out" | jget mrr)" 0.75 1e-9; ok $? "missing prediction line scores as all ranks 1 (MRR 1/2 there)"
printf '1 []\n\n3 [1,2]\n' >pred.txt
out=$(vlsnr-eval --score truth.txt pred.txt --format json)
near "$(echo "$out" | jget mrr)" 1 1e-9; ok $? "empty prediction line scores as all ranks 1 (the tie puts the click first)"

# missing lines keep that meaning but are counted; empty files are errors
printf '%s [0,1]\n' 1 2 3 4 5 >truth.txt
printf '%s [2,1]\n' 1 2 >pred.txt
exits 0 "a prediction file of 2 lines for 5 impressions: exit 0" vlsnr-eval --score truth.txt pred.txt
is "$(cat "$T/err")" "vlsnr-eval: pred.txt: 3 of the 5 impressions scored have no prediction (missing or blank line): scored as every rank 1, as the official scorer does" \
	"the missing lines are counted in a warning"
grep -q '^AUC ' "$T/out"; ok $? "and the metrics are printed"
: >pred.txt
exits 2 "an empty prediction file is an error" vlsnr-eval --score truth.txt pred.txt
is "$(cat "$T/err")" "vlsnr-eval: pred.txt: empty: no prediction to score" "the error names the empty file"
test ! -s "$T/out"; ok $? "no metrics printed"
: >truth.txt
printf '1 [2,1]\n' >pred.txt
exits 2 "an empty truth file is an error (not AUC 0)" vlsnr-eval --score truth.txt pred.txt
is "$(cat "$T/err")" "vlsnr-eval: truth.txt: empty: no labelled impression to score" "the error names the empty truth file"
printf '1 []\n' >truth.txt
exits 2 "a truth file of empty label lists is an error" vlsnr-eval --score truth.txt pred.txt

# errors
printf '1 [1,0]\n2 [0,1]\n' >truth.txt
printf '1 [1,2]\n3 [1,2]\n' >pred.txt
exits 2 "mismatched impression id is an error" vlsnr-eval --score truth.txt pred.txt
grep -q 'pred.txt:2:.*3.*truth.txt:2.*2' "$T/err"; ok $? "the message names both files and lines"
printf '1 [1,2]\n2 [1,2,3]\n' >pred.txt
exits 2 "rank count different from label count is an error" vlsnr-eval --score truth.txt pred.txt
printf '1 [1,2]\n2 [1, 2]\n' >pred.txt
exits 2 "a space inside the brackets is an error (as evaluate.py's split)" vlsnr-eval --score truth.txt pred.txt
printf '1 [1,2]\n2 [0,1]\n' >pred.txt
exits 2 "rank 0 is an error" vlsnr-eval --score truth.txt pred.txt
exits 2 "missing file is an error" vlsnr-eval --score truth.txt nosuch.txt
exits 2 "--score needs two files" vlsnr-eval --score truth.txt

# the random case against sklearn (tests/reference/train-metrics-ref.py)
exits 0 "random 300-impression case runs" vlsnr-eval --score "$D/metrics-truth.txt" "$D/metrics-prediction.txt" --format json
out=$(cat "$T/out")
for k in auc mrr ndcg5 ndcg10; do
	want=$(awk -v k=$k '$1 == k { print $2 }' "$D/metrics-expected.txt")
	near "$(echo "$out" | jget $k)" "$want" 1e-6; ok $? "random case: $k matches the reference ($want)"
done
is "$(echo "$out" | jget impressions)" "$(awk '$1 == "impressions" { print $2 }' "$D/metrics-expected.txt")" "random case: impression count"

# --model mode on a tiny synthetic set
vmind-synth --preset tiny --out mind -q || exit 1
vlsnr-train --synth-features mind --features feats || exit 1
vlsnr-train --train mind/train --features feats --out m.safetensors --epochs 1 --dim 16 --heads 2 --att-dim 16 --history 10 -q || exit 1
exits 0 "--model scores the dev split" vlsnr-eval --model m.safetensors --features feats --split mind/dev --prediction p.txt --truth t.txt --format json
for k in auc mrr ndcg5 ndcg10 impressions; do
	grep -q "\"$k\": [0-9]" "$T/out"; ok $? "JSON has $k"
done
is "$(jget impressions <"$T/out")" "$(wc -l <mind/dev/behaviors.tsv | tr -d ' ')" "every dev impression scored"
is "$(cut -d ' ' -f 1 p.txt | tr '\n' ' ')" "$(cut -f 1 mind/dev/behaviors.tsv | tr '\n' ' ')" "prediction lines follow behaviors.tsv order"
# every line's ranks are a permutation of 1..n with n the candidate count
bad=$(awk -F '\t' 'NR == FNR { n[FNR] = split($5, a, " "); next }
	{ split($0, f, " "); s = f[2]; gsub(/[][]/, "", s); m = split(s, r, ",");
	  if (m != n[FNR]) { bad++; next }
	  delete seen; for (i = 1; i <= m; i++) { if (r[i] < 1 || r[i] > m || seen[r[i]]++) { bad++; break } } }
	END { print bad + 0 }' mind/dev/behaviors.tsv p.txt)
is "$bad" 0 "each prediction line is a permutation of 1..candidates"
awk -F '\t' '{ n = split($5, a, " "); s = ""; for (i = 1; i <= n; i++) { sub(/.*-/, "", a[i]); s = s (i > 1 ? "," : "") a[i] } print $1 " [" s "]" }' mind/dev/behaviors.tsv >t.want
cmp -s t.txt t.want; ok $? "--truth writes the labels of behaviors.tsv"
exits 0 "--score on the written files" vlsnr-eval --score t.txt p.txt
grep -q '^AUC 0\.[0-9]*$' "$T/out"; ok $? "text format prints AUC"

# an unlabelled split still gets a prediction file
mkdir -p test
awk -F '\t' 'BEGIN { OFS = "\t" } { gsub(/-[01]/, "", $5); print }' mind/dev/behaviors.tsv >test/behaviors.tsv
exits 0 "unlabelled split" vlsnr-eval --model m.safetensors --features feats --split test --prediction tp.txt --format json
is "$(cat "$T/out")" "{\"impressions\": $(wc -l <test/behaviors.tsv | tr -d ' ')}" "unlabelled: only the impression count"
cmp -s tp.txt p.txt; ok $? "unlabelled: same ranks as the labelled split"
exits 2 "unlabelled split cannot give --truth" vlsnr-eval --model m.safetensors --features feats --split test --prediction tp.txt --truth x.txt

# set-up errors
exits 2 "missing model" vlsnr-eval --model nosuch --features feats --split mind/dev
grep -q 'nosuch' "$T/err"; ok $? "the message names the model file"
exits 2 "--model without --split is a usage error" vlsnr-eval --model m.safetensors --features feats
exits 2 "bad --format" vlsnr-eval --score t.txt p.txt --format xml

done_testing
