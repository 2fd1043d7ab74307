#!/bin/sh
# t0910-demo.sh: the main job of ./quickstart.sh (demo.sh) end to end on the
# tiny preset: every stage's output exists and they agree with each other
# (news ids in the database = ids in the features = ids of the news files;
# impressions scored = dev impressions; a resized image for every crawled
# image), and a second run reuses the first one's work instead of redoing it.
. "$top_srcdir/tests/lib.sh"
d="$T/demo"

exits 0 "demo.sh --preset tiny runs to the end" sh "$top_srcdir/demo.sh" --preset tiny --epochs 1 --out "$d"
cp "$T/out" "$T/demo1.out"
[ -s "$T/err" ] && sed 's/^/# stderr: /' "$T/err" | head -20
for f in mind/train/news.tsv mind/dev/behaviors.tsv web/routes.tsv vmind.db features/ids.txt \
	features/image.npy model.safetensors train-log.csv prediction.txt truth.txt report/index.html; do
	test -s "$d/$f"; ok $? "stage output $f exists"
done

cut -f1 "$d/mind/train/news.tsv" "$d/mind/dev/news.tsv" | sort -u >"$T/ids.news"
sqlite3 "$d/vmind.db" 'SELECT id FROM news' | sort >"$T/ids.db"
sort "$d/features/ids.txt" >"$T/ids.feat"
cmp -s "$T/ids.news" "$T/ids.db"; ok $? "ids in the database = ids in the news files ($(wc -l <"$T/ids.db"))"
cmp -s "$T/ids.news" "$T/ids.feat"; ok $? "ids in the features = ids in the news files"
is "$(sqlite3 "$d/vmind.db" "SELECT count(*) FROM news WHERE state = 'pending'")" 0 "no item left pending"

is "$(cut -f1 "$d/prediction.txt" -d' ')" "$(cut -f1 "$d/mind/dev/behaviors.tsv")" "prediction.txt scores every dev impression, in order"
is "$(cut -f1 "$d/truth.txt" -d' ')" "$(cut -f1 "$d/mind/dev/behaviors.tsv")" "truth.txt lists every dev impression, in order"

n_img=$(sqlite3 "$d/vmind.db" "SELECT count(*) FROM image")
n_res=$(sqlite3 "$d/vmind.db" "SELECT count(*) FROM resized")
n_err=$(sqlite3 "$d/vmind.db" "SELECT count(*) FROM resize_error")
is "$((n_res + n_err))" "$n_img" "every chosen image was resized or has a recorded error ($n_img images)"
is "$(ls "$d/images" | grep -c '\.jpg$')" "$n_res" "one 224x224 file per resized row"
missing=$(wc -l <"$d/features/missing.txt")
is "$missing" "$(( $(wc -l <"$T/ids.news") - n_res ))" "items without a resized image are the features' missing.txt"

grep -q '^V-MIND ' "$T/demo1.out"; ok $? "Table 1 has the V-MIND row"
grep -q '^oracle ' "$T/demo1.out"; ok $? "the oracle metrics are printed"
grep -q '^AUC ' "$T/demo1.out"; ok $? "the model's dev AUC is printed"

# second run: reuses everything
before=$(wc -l <"$d/web-requests.log")
exits 0 "a second run succeeds" sh "$top_srcdir/demo.sh" --preset tiny --epochs 1 --out "$d"
grep -q 'synthetic MIND: reusing' "$T/out"; ok $? "second run reuses the synthetic MIND"
grep -q 'model: reusing' "$T/out"; ok $? "second run reuses the trained model"
after=$(wc -l <"$d/web-requests.log")
is "$after" "$before" "second run's crawl sends no request: everything was done"
done_testing
