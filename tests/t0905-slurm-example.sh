#!/bin/sh
# t0905-slurm-example.sh: datasets/slurm-array.sh, the example Slurm array
# script. It parses (sh -n); `submit` asks sbatch for the array of N tasks and
# for the merge job after it (sbatch is faked); then its steps run for real
# on the tiny synthetic MIND, laid out as get-mind.sh unpacks MIND, and its
# simulated web: the array is simulated by
# running `shard` with SLURM_ARRAY_TASK_ID=0..3 and SLURM_ARRAY_TASK_COUNT=4,
# then `merge` runs. Compared with one unsharded crawl, resize and embed
# (hash encoder): each shard database holds only its own items, none twice,
# all of them together; the merged database has the same items, chosen images
# with their provenance, requests and resized rows; the shared images folder
# the same files, byte for byte; the merged features folder is byte for byte
# the single run's; raw/ beside the merged database holds every raw file it
# names, with the recorded sha256.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN JOB_COMPLETION_INDEX
S="$top_srcdir/datasets/slurm-array.sh"

sh -n "$S"
ok $? "sh -n datasets/slurm-array.sh"

# submit, with a fake sbatch that logs its arguments
mkdir -p "$T/bin"
cat >"$T/bin/sbatch" <<EOF
#!/bin/sh
echo "\$*" >>"$T/sbatch.log"
n=\$(wc -l <"$T/sbatch.log")
echo "\$((4000 + n));cluster"
EOF
chmod +x "$T/bin/sbatch"
PATH="$T/bin:$PATH" VMIND_MIND="$T/mind" VMIND_WORK="$T/w" VMIND_SHARDS=4 sh "$S" submit >"$T/submit.out"
ok $? "submit exits 0"
is "$(cat "$T/sbatch.log")" "--parsable --array=0-3 $S shard
--parsable --dependency=afterok:4001 $S merge" "submit: the array of 4 tasks, then the merge job after it"
VMIND_MIND=x VMIND_WORK=y sh "$S" >/dev/null 2>&1
is $? 2 "no step named: exit 2"
env -u VMIND_MIND sh "$S" shard >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "no VMIND_MIND: fails"

vmind-crawl --help 2>/dev/null | grep -q -- '--shards' ||
	{ ok 1 "vmind-crawl has --shards (the script's crawl step needs it)"; done_testing; }

vmind-synth -q --preset tiny --url-base http://assets.msn.com/labs/mind/ --out "$T/mind" ||
	{ echo "Bail out! vmind-synth failed"; exit 1; }
rm -rf "$W"
vmind-web render -q --mind "$T/mind" --out "$W" --fault-share 0 --threads 1 ||
	{ echo "Bail out! vmind-web render failed"; exit 1; }
web_start
# get-mind.sh's layout, as the script reads it
mkdir -p "$T/MIND"
ln -s "$T/mind/train" "$T/MIND/MINDsmall_train"
ln -s "$T/mind/dev" "$T/MIND/MINDsmall_dev"
NEWS="$T/MIND/MINDsmall_train/news.tsv $T/MIND/MINDsmall_dev/news.tsv"

# one run of everything
O="$T/one"
mkdir -p "$O"
vmind-crawl -q --db "$O/crawl.db" --out "$O" --connect-to "::127.0.0.1:$PORT" $NEWS 2>"$T/one.err"
rc=$?; [ $rc -le 1 ]; ok $? "single crawl (exit $rc)"
vmind-resize -q --db "$O/crawl.db" --out "$O/images" 2>>"$T/one.err"
rc=$?; [ $rc -le 1 ]; ok $? "single resize (exit $rc)"
vlsnr-embed news --encoder hash --news "$T/MIND/MINDsmall_train/news.tsv" --news "$T/MIND/MINDsmall_dev/news.tsv" \
	--images "$O/images" --out "$O/features" 2>>"$T/one.err"
rc=$?; [ $rc -le 1 ]; ok $? "single embed (exit $rc)"

# the array, simulated
for i in 0 1 2 3; do
	SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=4 VMIND_MIND="$T/MIND" VMIND_WORK="$T/w" VMIND_SHARDS=4 \
		VMIND_CRAWL_OPTS="--connect-to ::127.0.0.1:$PORT" sh "$S" shard 2>"$T/shard$i.err"
	rc=$?
	ok $rc "array task $i exits 0"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$T/shard$i.err" | tail -5
done
VMIND_MIND="$T/MIND" VMIND_WORK="$T/w" VMIND_SHARDS=4 sh "$S" merge 2>"$T/merge.err"
rc=$?
ok $rc "the merge job exits 0"
[ $rc -eq 0 ] || sed 's/^/#   /' "$T/merge.err" | tail -5

# shard databases: disjoint, together every item
for i in 0 1 2 3; do sqlite3 "$T/w/shard-$i/crawl.db" 'SELECT id FROM news'; done | sort >"$T/shard-ids"
sqlite3 "$O/crawl.db" 'SELECT id FROM news' | sort >"$T/one-ids"
is "$(sort -u "$T/shard-ids" | wc -l | tr -d ' ')" "$(wc -l <"$T/shard-ids" | tr -d ' ')" "no item in two shard databases"
check "the shard databases together hold every item" cmp "$T/shard-ids" "$T/one-ids"
empty=0; for i in 0 1 2 3; do [ -n "$(ls "$T/w/features-$i/ids.txt" 2>/dev/null)" ] &&
	[ "$(wc -l <"$T/w/features-$i/ids.txt")" -gt 30 ] || empty=1; done
ok $empty "every shard embedded more than 30 items"

content() {
	sqlite3 "$1" <<'EOS'
SELECT 'news', id, splits, category, subcategory, title, url, state, outcome, last_error FROM news ORDER BY num;
SELECT 'image', news_num, tier, page_url, image_url, final_url, http_status, mime, bytes, sha256, width, height,
  raw_path FROM image ORDER BY news_num;
SELECT 'request', news_num, tier, purpose, url, status, error, bytes FROM request WHERE news_num IS NOT NULL ORDER BY 2, 3, 4, 5, 6, 7, 8;
SELECT 'resized', news_num, path, sha256, source_sha256, size, mode, format, quality, phash FROM resized ORDER BY 2;
SELECT 'resize_error', news_num, source_sha256 FROM resize_error ORDER BY 2;
EOS
}
content "$O/crawl.db" >"$T/one.txt"
content "$T/w/vmind.db" >"$T/merged.txt"
n=$(grep -c '^resized' "$T/one.txt")
[ "$n" -gt 100 ]; ok $? "the single run resized $n images"
if cmp -s "$T/one.txt" "$T/merged.txt"; then ok 0 "merged database = the single run's (items, images, requests, resized)"
else ok 1 "merged database = the single run's (items, images, requests, resized)"
	diff "$T/one.txt" "$T/merged.txt" | head -10 | sed 's/^/#   /'; fi

(cd "$O/images" && ls) >"$T/one.ls"
(cd "$T/w/images" && ls) >"$T/w.ls"
check "the shared images folder has the single run's files" cmp "$T/one.ls" "$T/w.ls"
r=0; for f in $(cat "$T/one.ls"); do cmp -s "$O/images/$f" "$T/w/images/$f" || r=1; done
ok $r "... byte for byte"
r=0
for f in ids.txt missing.txt white.npy image.npy title.npy category.npy subcategory.npy; do
	cmp -s "$O/features/$f" "$T/w/features/$f" || { r=1; echo "#   $f differs"; }
done
ok $r "merged features = the single run's, byte for byte"
sort "$T/w/features/ids.txt" >"$T/feat-ids"
sqlite3 "$T/w/vmind.db" 'SELECT id FROM news' | sort >"$T/db-ids"
check "the merged features hold the merged database's items" cmp "$T/feat-ids" "$T/db-ids"
bad=$(sqlite3 -separator ' ' "$T/w/vmind.db" "SELECT raw_path, sha256 FROM image WHERE raw_path IS NOT NULL AND sha256 IS NOT NULL" |
	while read -r p h; do [ "$(sha "$T/w/$p")" = "$h" ] || echo "$p"; done | wc -l | tr -d ' ')
nraw=$(sqlite3 "$T/w/vmind.db" "SELECT count(*) FROM image WHERE raw_path IS NOT NULL AND sha256 IS NOT NULL")
[ "$nraw" -gt 100 ]; ok $? "the merged database names $nraw raw files"
is "$bad" 0 "raw/ beside the merged database holds every raw file it names"
done_testing
