#!/bin/sh
# t0203-synth-oracle.sh: the planted click model is learnable and has the
# properties later issues rely on. On the small preset's dev split: the true
# probabilities give an oracle AUC well above 0.5; marginalising the cover
# out (text-only oracle) loses AUC, so images carry information text does
# not; the data itself shows the visual taste (a user's preferred shape and
# hue are clicked more) and the short-term drift (a candidate whose
# subcategory is in the last 5 history items is clicked more than one whose
# subcategory is only in the first 5). Thresholds have margin over the
# measured values written beside them (small preset, seeds 1-3: oracle AUC
# 0.832-0.839, text-only 0.795-0.808, gap 0.031-0.037, recent/old 1.6-2.3x,
# shape 1.9-2.0x, hue about 3.1x). Also --oracle's output formats and its
# input errors.
. "$top_srcdir/tests/lib.sh"

d="$T/s"
exits 0 "small preset" vmind-synth --preset small --seed 2 --out "$d" -q
exits 0 "--oracle json" vmind-synth --oracle "$d" --split dev --format json
cp "$T/out" "$T/oracle.json"
echo "# $(cat "$T/oracle.json")"
json_get() {  # BLOCK KEY
	sed -n "s/.*\"$1\":{[^}]*\"$2\":\([0-9.]*\).*/\1/p" "$T/oracle.json"
}
auc=$(json_get oracle auc)
text=$(json_get text_only auc)
n=$(sed -n 's/.*"impressions":\([0-9]*\).*/\1/p' "$T/oracle.json")
is "$n" "$(wc -l <"$d/dev/behaviors.tsv")" "oracle scored every dev impression"
for k in auc mrr ndcg5 ndcg10; do
	v=$(json_get oracle $k)
	awk -v v="$v" 'BEGIN { exit !(v > 0 && v <= 1) }'; ok $? "oracle $k = $v is in (0, 1]"
done
awk -v a="$auc" 'BEGIN { exit !(a >= 0.78) }'; ok $? "oracle AUC $auc >= 0.78"
awk -v a="$text" 'BEGIN { exit !(a >= 0.70) }'; ok $? "text-only AUC $text >= 0.70: text is informative"
awk -v a="$auc" -v t="$text" 'BEGIN { exit !(a - t >= 0.02) }'; ok $? "full - text-only AUC = $auc - $text >= 0.02: the cover matters"

exits 0 "--oracle text, train split" vmind-synth --oracle "$d" --split train
grep -q '^oracle  *0\.[0-9]' "$T/out"; ok $? "text output has an oracle row"
grep -q '^text_only  *0\.[0-9]' "$T/out"; ok $? "text output has a text_only row"

# the visual taste in the data: preferred shape and hue are clicked more
r=$(awk -F'\t' '
	FILENAME ~ /users.tsv$/ { if (FNR > 1) { shape[$1] = $4; hue[$1] = $3 } next }
	FILENAME ~ /news.tsv$/ { if (FNR > 1) { s[$1] = $8; h[$1] = $5 } next }
	{ m = split($5, c, " ")
	  for (i = 1; i <= m; i++) {
		id = substr(c[i], 1, length(c[i]) - 2); l = substr(c[i], length(c[i])) + 0
		if (s[id] == shape[$2]) { a++; ac += l } else { b++; bc += l }
		dh = h[id] - hue[$2]; if (dh < 0) dh = -dh; if (dh > 180) dh = 360 - dh
		if (dh <= 45) { n1++; c1 += l } else if (dh >= 135) { n2++; c2 += l }
	  } }
	END { printf "%.3f %.3f", (ac / a) / (bc / b), (c1 / n1) / (c2 / n2) }
' "$d/truth/users.tsv" "$d/truth/news.tsv" "$d/dev/behaviors.tsv" "$d/train/behaviors.tsv")
echo "# click rate ratios: preferred/other shape, near/opposite hue: $r"
echo "$r" | awk '{ exit !($1 >= 1.4) }'; ok $? "preferred shape clicked >= 1.4x as often"
echo "$r" | awk '{ exit !($2 >= 1.3) }'; ok $? "hue near the preferred one clicked >= 1.3x as often as the opposite"

# the cover is not a function of the category: within the largest
# categories every shape occurs and hues cover most of the circle
bad=$(awk -F'\t' 'NR > 1 { n[$3]++; sh[$3 "/" $8] = 1; hs[$3 "/" int($5 / 30)] = 1 }
	END { for (c in n) if (n[c] >= 100) {
		k = 0; for (x in sh) if (index(x, c "/") == 1) k++
		j = 0; for (x in hs) if (index(x, c "/") == 1) j++
		if (k < 6 || j < 11) print c ": " k " shapes, " j " hue sectors" } }' "$d/truth/news.tsv")
is "$bad" "" "covers vary within each category (6 shapes, >= 11 of 12 hue sectors)"

# short-term drift: recent history predicts clicks better than old history
r=$(awk -F'\t' '
	FNR == NR { sub_[$1] = $3; next }
	{ n = split($4, h, " "); if (n < 20) next
	  delete rec; delete old
	  for (i = n - 4; i <= n; i++) rec[sub_[h[i]]] = 1
	  for (i = 1; i <= 5; i++) old[sub_[h[i]]] = 1
	  m = split($5, c, " ")
	  for (i = 1; i <= m; i++) {
		id = substr(c[i], 1, length(c[i]) - 2); l = substr(c[i], length(c[i])) + 0
		s = sub_[id]
		if ((s in rec) && !(s in old)) { a++; ac += l }
		if ((s in old) && !(s in rec)) { b++; bc += l }
	  } }
	END { printf "%.3f %d %d", (ac / a) / (bc / b), a, b }' "$d/dev/news.tsv" "$d/dev/behaviors.tsv")
echo "# click rate ratio, subcategory in last 5 / first 5 history items (candidates): $r"
echo "$r" | awk '{ exit !($1 >= 1.3 && $2 >= 1000 && $3 >= 1000) }'
ok $? "recent-history subcategories clicked >= 1.3x as often as old-history ones"

# input errors
head -n 5 "$d/truth/dev/clicks.tsv" >"$T/short"
mkdir -p "$T/bad/dev" "$T/bad/truth/dev"
cp "$d/dev/behaviors.tsv" "$T/bad/dev/"
cp "$T/short" "$T/bad/truth/dev/clicks.tsv"
exits 2 "truncated clicks.tsv is an input error" vmind-synth --oracle "$T/bad"
grep -q 'clicks.tsv: ends before impression 6' "$T/err"; ok $? "the message names the file and impression"
sed '3s/^3\t/7\t/' "$d/truth/dev/clicks.tsv" >"$T/bad/truth/dev/clicks.tsv"
exits 2 "mismatched impression id" vmind-synth --oracle "$T/bad"
grep -q 'clicks.tsv:3: expected impression 3' "$T/err"; ok $? "the message names FILE:LINE"
exits 2 "missing dataset" vmind-synth --oracle "$T/nothing"
exits 2 "bad --split" vmind-synth --oracle "$d" --split test
exits 2 "bad --format" vmind-synth --oracle "$d" --format xml
# CRLF line ends (a file passed through a Windows tool): read as LF
vmind-synth --oracle "$d" --split dev >"$T/lf.txt"
mkdir -p "$T/crlf/dev" "$T/crlf/truth/dev"
cp "$d/dev/behaviors.tsv" "$T/crlf/dev/"
sed 's/$/\r/' "$d/truth/dev/clicks.tsv" >"$T/crlf/truth/dev/clicks.tsv"
exits 0 "a CRLF clicks.tsv is read" vmind-synth --oracle "$T/crlf" --split dev
cmp -s "$T/out" "$T/lf.txt"; ok $? "the same metrics as with LF line ends"
sed '2s/\t0\./\tx0./' "$d/truth/dev/clicks.tsv" >"$T/bad/truth/dev/clicks.tsv"
exits 2 "a probability that is not a number" vmind-synth --oracle "$T/bad"
is "$(cat "$T/err")" "vmind-synth: $T/bad/truth/dev/clicks.tsv:2: a probability is not a number" "the message names FILE:LINE, no huge count"
done_testing
