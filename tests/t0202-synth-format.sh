#!/bin/sh
# t0202-synth-format.sh: vmind-synth writes MIND's exact format, checked
# here independently with awk: column counts, id syntax, the time format of
# each split, labels, a click in every impression, distinct news = --news
# (exactly N1..N<news>) and users = --users over the splits, each split's
# news.tsv = the news its behaviors use, the truth files' shape.
. "$top_srcdir/tests/lib.sh"

cats='news sports finance foodanddrink lifestyle travel video weather health autos tv music movies entertainment kids middleeast northamerica'

check_dataset() {  # DIR NEWS USERS IMPRESSIONS LABEL
	d=$1; want_news=$2; want_users=$3; want_imps=$4; L=$5
	for s in train dev; do
		if [ $s = train ]; then days='(9|1[0-4])'; else days='15'; fi
		bad=$(awk -F'\t' -v days="$days" '
			NF != 5 { print FILENAME ":" NR ": " NF " columns"; next }
			$1 != NR { print NR ": impression id " $1 }
			$2 !~ /^U[1-9][0-9]*$/ { print NR ": user " $2 }
			$3 !~ ("^11/" days "/2019 ([1-9]|1[0-2]):[0-5][0-9]:[0-5][0-9] (AM|PM)$") { print NR ": time " $3 }
			$4 != "" && $4 !~ /^N[1-9][0-9]*( N[1-9][0-9]*)*$/ { print NR ": history" }
			$5 !~ /^N[1-9][0-9]*-[01]( N[1-9][0-9]*-[01])*$/ { print NR ": impressions" }
			$5 !~ /-1( |$)/ { print NR ": no click" }
			{ n = split($5, c, " "); if (n < 2) print NR ": " n " candidates" }
		' "$d/$s/behaviors.tsv" | head -5)
		is "$bad" "" "$L $s/behaviors.tsv: columns, ids, time, history, labels, a click each"
		bad=$(awk -F'\t' -v cats="$cats" '
			BEGIN { split(cats, a, " "); for (i in a) ok[a[i]] = 1 }
			NF != 8 { print NR ": " NF " columns"; next }
			$1 !~ /^N[1-9][0-9]*$/ { print NR ": id " $1 }
			{ num = substr($1, 2) + 0; if (num <= last) print NR ": not sorted"; last = num }
			!($2 in ok) { print NR ": category " $2 }
			$3 !~ /^[a-z][a-z_-]*$/ { print NR ": subcategory " $3 }
			$4 == "" { print NR ": empty title" }
			$6 !~ /^https:\/\/assets\.msn\.com\/labs\/mind\/(AA|BB)[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]\.html$/ { print NR ": url " $6 }
			$7 != "[]" && $7 !~ /^\[\{"Label": ".*"SurfaceForms": \[.*\]\}\]$/ { print NR ": title entities" }
			$8 != "[]" && $8 !~ /^\[\{"Label": ".*"SurfaceForms": \[.*\]\}\]$/ { print NR ": abstract entities" }
		' "$d/$s/news.tsv" | head -5)
		is "$bad" "" "$L $s/news.tsv: columns, ids sorted, categories, URLs, entities"
		# the news a split uses = its news.tsv
		awk -F'\t' '{ n = split($4 " " $5, a, " "); for (i = 1; i <= n; i++) { sub(/-[01]$/, "", a[i]); print a[i] } }' \
			"$d/$s/behaviors.tsv" | sort -u >"$T/used.$s"
		cut -f1 "$d/$s/news.tsv" | sort -u >"$T/listed.$s"
		check "$L $s: news.tsv lists exactly the news its behaviors use" cmp "$T/used.$s" "$T/listed.$s"
		# truth clicks: same impressions, one p and one q per candidate
		bad=$(awk -F'\t' '
			FNR == NR { n[FNR] = split($5, c, " "); id[FNR] = $1; next }
			NF != 3 { print FNR ": " NF " columns"; next }
			$1 != id[FNR] { print FNR ": id " $1 }
			{ np = split($2, p, " "); nq = split($3, q, " ")
			  if (np != n[FNR] || nq != n[FNR]) print FNR ": " np "/" nq " of " n[FNR]
			  for (i = 1; i <= np; i++) if (p[i] !~ /^0\.[0-9][0-9][0-9][0-9][0-9][0-9]$/) { print FNR ": p " p[i]; break }
			  for (i = 1; i <= nq; i++) if (q[i] !~ /^0\.[0-9][0-9][0-9][0-9][0-9][0-9]$/) { print FNR ": q " q[i]; break } }
			END { if (FNR != NR - FNR) print "line counts differ" }
		' "$d/$s/behaviors.tsv" "$d/truth/$s/clicks.tsv" | head -5)
		is "$bad" "" "$L truth/$s/clicks.tsv: one p and one q per candidate"
	done
	n=$(cat "$T/used.train" "$T/used.dev" | sort -u | wc -l)
	is "$n" "$want_news" "$L: distinct news over the splits = $want_news"
	n=$(cat "$T/used.train" "$T/used.dev" | sort -u | sed 's/^N//' | sort -n | tail -1)
	is "$n" "$want_news" "$L: the highest news id is N$want_news"
	n=$(cut -f2 "$d/train/behaviors.tsv" "$d/dev/behaviors.tsv" | sort -u | wc -l)
	is "$n" "$want_users" "$L: distinct users = $want_users"
	n=$(cat "$d/train/behaviors.tsv" "$d/dev/behaviors.tsv" | wc -l)
	is "$n" "$want_imps" "$L: impressions = $want_imps"
	bad=$(awk -F'\t' -v cats="$cats" '
		BEGIN { split(cats, a, " "); for (i in a) ok[a[i]] = 1 }
		NR == 1 { if ($0 != "id\tmsn_id\tcategory\tsubcategory\tvis_hue\tvis_sat\tvis_light\tvis_shape\tvis_count\tvis_bg_hue\ttheme\tpool\tpublished\ttext_bias\ttext_vector") print "header"; next }
		$1 != "N" (NR - 1) { print NR ": id " $1 }
		$2 !~ /^(AA|BB)[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]$/ { print NR ": msn_id " $2 }
		!($3 in ok) { print NR ": category" }
		$5 !~ /^[0-9]+$/ || $5 > 359 { print NR ": vis_hue " $5 }
		$6 !~ /^[01]\.[0-9][0-9]$/ || $6 > 1 { print NR ": vis_sat " $6 }
		$7 !~ /^[01]\.[0-9][0-9]$/ || $7 > 1 { print NR ": vis_light " $7 }
		$8 !~ /^(circle|square|triangle|stripes|ring|cross)$/ { print NR ": vis_shape " $8 }
		$9 !~ /^[1-4]$/ { print NR ": vis_count " $9 }
		$10 !~ /^[0-9]+$/ || $10 > 359 { print NR ": vis_bg_hue " $10 }
		$14 !~ /^-?[0-9]\.[0-9][0-9][0-9][0-9]$/ || $14 < -1.5 || $14 > 4 { print NR ": text_bias " $14 }
		NF != 15 || split($15, x, ",") != 16 { print NR ": text_vector: not 16 values" }
		{ for (k = 1; k <= 16; k++) if (x[k] !~ /^-?[01]\.[0-9][0-9]$/) print NR ": text_vector " x[k] }
		END { if (NR - 1 != want) print "rows " NR - 1 }
	' want="$want_news" "$d/truth/news.tsv" | head -5)
	is "$bad" "" "$L truth/news.tsv: header, N1..N$want_news, visual attributes in range"
	# text vectors are the mean of the title words' vectors: items of one
	# subcategory point the same way (cosine about 0.6), others do not
	cos=$(awk -F'\t' 'NR > 1 {
		split($15, x, ","); n = 0
		for (k = 1; k <= 16; k++) n += x[k] * x[k]
		if (n == 0) next
		if (($4 in last) && !(($4, "done") in last)) {
			split(last[$4], y, ","); c = 0; m = 0
			for (k = 1; k <= 16; k++) { c += x[k] * y[k]; m += y[k] * y[k] }
			if (m > 0) { same += c / sqrt(n * m); ns++ }
		}
		if (prev != "" && $3 != prevcat) {
			split(prev, y, ","); c = 0; m = 0
			for (k = 1; k <= 16; k++) { c += x[k] * y[k]; m += y[k] * y[k] }
			if (m > 0) { other += c / sqrt(n * m); no++ }
		}
		last[$4] = $15; prev = $15; prevcat = $3
	} END { printf "%d %d\n", ns ? 100 * same / ns : -99, no ? 100 * other / no : 99 }' "$d/truth/news.tsv")
	set -- $cos
	ok "$([ "$1" -ge 40 ] && [ "$2" -le 20 ]; echo $?)" "$L truth/news.tsv: text vectors agree within a subcategory (cos $1%), not across categories ($2%)"
	n=$(cut -f2 "$d/truth/news.tsv" | sort -u | wc -l)
	is "$n" "$((want_news + 1))" "$L truth/news.tsv: MSN ids are unique"
	# every news row of a split agrees with truth on category and subcategory
	bad=$(awk -F'\t' 'FNR == NR { c[$1] = $3 "/" $4; next } c[$1] != $2 "/" $3 { print $1 }' \
		"$d/truth/news.tsv" "$d/train/news.tsv" "$d/dev/news.tsv" | head -3)
	is "$bad" "" "$L: news.tsv categories agree with truth/news.tsv"
	n=$(awk -F'\t' 'NR > 1' "$d/truth/users.tsv" | wc -l)
	is "$n" "$want_users" "$L truth/users.tsv: one row per user"
}

exits 0 "tiny" vmind-synth --preset tiny --seed 11 --out "$T/t" -q
check_dataset "$T/t" 300 200 1000 tiny
exits 0 "explicit sizes" vmind-synth --seed 4 --news 1200 --users 700 --impressions 2500 --out "$T/x" -q
check_dataset "$T/x" 1200 700 2500 custom

# shape of the data: title length, candidates, history, click rate
stats=$(awk -F'\t' 'FNR == NR { w += split($4, a, " "); t++; next }
	{ c += split($5, x, " "); k += gsub(/-1/, "", $5); h += split($4, y, " "); e += ($4 == ""); n++ }
	END { printf "%.2f %.2f %.2f %.4f %.4f", w / t, c / n, h / n, k / c, e / n }' \
	"$T/x/train/news.tsv" "$T/x/train/behaviors.tsv")
echo "# title words, candidates, history, click rate, empty histories: $stats"
echo "$stats" | awk '{ exit !($1 >= 10 && $1 <= 13) }'; ok $? "titles average 10-13 words"
echo "$stats" | awk '{ exit !($2 >= 28 && $2 <= 46) }'; ok $? "impressions average 28-46 candidates"
echo "$stats" | awk '{ exit !($3 >= 24 && $3 <= 42) }'; ok $? "histories average 24-42 items"
echo "$stats" | awk '{ exit !($4 >= 0.025 && $4 <= 0.07) }'; ok $? "click rate 2.5-7%"
echo "$stats" | awk '{ exit !($5 > 0 && $5 <= 0.1) }'; ok $? "some empty histories, not many"
n=$(cut -f4,5 "$T/x/train/news.tsv" | LC_ALL=C grep -c '[^ -~	]')
[ "$n" -gt 0 ]; ok $? "some titles or abstracts are non-ASCII UTF-8 ($n)"
check "all text is valid UTF-8" iconv -f UTF-8 -t UTF-8 -o /dev/null "$T/x/train/news.tsv"
# entity offsets point at the label in the title; they count characters
# (code points), awk counts bytes: convert by skipping UTF-8 continuation bytes
bad=$(LC_ALL=C awk -F'\t' '
	function bytepos(s, chars,   i, n, c) {
		n = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (!(c >= "\200" && c <= "\277")) { if (n == chars) return i; n++ }
		}
		return length(s) + 1
	}
	$7 != "[]" {
	s = $7; sub(/^\[\{"Label": "/, "", s); label = s; sub(/".*/, "", label)
	off = s; sub(/.*"OccurrenceOffsets": \[/, "", off); sub(/\].*/, "", off)
	if (substr($4, bytepos($4, off + 0), length(label)) != label) print $1; n++ }
	END { if (n < 10) print "only " n " titles with entities" }' "$T/x/train/news.tsv" | head -3)
is "$bad" "" "title entity offsets point at their label"
done_testing
