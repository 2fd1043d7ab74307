#!/bin/sh
# t0602-embed-shard.sh: vlsnr-embed news --shard I/N and vlsnr-embed merge,
# with the committed tiny CLIP model on the tiny synthetic MIND (covers for
# 40 items, one of them undecodable). The 4 shards' ids are disjoint and
# together the single run's; the shard from SLURM_ARRAY_TASK_ID/COUNT and
# from JOB_COMPLETION_INDEX with --shards is the one --shard gives; merged
# with the --news files the shards are byte for byte the single run (with
# --batch 1, so that no row is computed in a batch of another shape); merged
# without --news they equal the single run merged alone (ascending news
# number); the hash encoder merges byte for byte at any batch size; an item
# in two shards, a missing shard, other models and usage errors exit 2 and
# write nothing.
. "$top_srcdir/tests/lib.sh"
# a job array around make check must not shard the runs that should not be
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN JOB_COMPLETION_INDEX

M="$top_srcdir/tests/data/embed/tiny-clip"
IMG="$top_srcdir/tests/data/embed/img"
vmind-synth -q --preset tiny --out "$T/mind" || { echo "Bail out! vmind-synth failed"; exit 1; }
NEWS="--news $T/mind/train/news.tsv --news $T/mind/dev/news.tsv"
mkdir -p "$T/img"
k=0
for id in $(cut -f1 "$T/mind/train/news.tsv" | head -40); do
	k=$((k + 1))
	f=$(ls "$IMG" | grep -v cmyk | sed -n "$((k % 7 + 1))p")
	cp "$IMG/$f" "$T/img/$id.${f##*.}"
done
bad=$(cut -f1 "$T/mind/train/news.tsv" | sed -n 41p)
printf 'not an image' >"$T/img/$bad.jpg"
FILES="ids.txt missing.txt white.npy image.npy title.npy category.npy subcategory.npy"

# same_dir A B DESC: every output file identical
same_dir() {
	_r=0
	for f in $FILES; do cmp -s "$1/$f" "$2/$f" || { echo "#   $f differs"; _r=1; }; done
	ok $_r "$3"
}

emb() { vlsnr-embed news --clip "$M" $NEWS --images "$T/img" -j 2 --batch 1 --chunk 50 "$@"; }
exits 1 "single run (one undecodable image: exit 1)" emb --out "$T/single"
n=$(wc -l <"$T/single/ids.txt" | tr -d ' ')
want=$(cat "$T/mind/train/news.tsv" "$T/mind/dev/news.tsv" | cut -f1 | sort -u | wc -l | tr -d ' ')
is "$n" "$want" "the single run embedded every item once"
for i in 0 1 2 3; do
	emb --out "$T/s$i" --shard $i/4 >/dev/null 2>&1
	rc=$?
	[ $rc -le 1 ]
	ok $? "shard $i/4 ran (exit $rc)"
done
cat "$T"/s?/ids.txt | sort >"$T/union"
sort "$T/single/ids.txt" >"$T/all"
check "the union of the shards' ids is the single run's" cmp "$T/union" "$T/all"
is "$(sort -u "$T/union" | wc -l | tr -d ' ')" "$n" "no item in two shards"
small=$(wc -l "$T"/s?/ids.txt | awk '$2 != "total" && $1 < 30' | wc -l | tr -d ' ')
is "$small" 0 "every shard has at least 30 of the $n items"
is "$(cat "$T"/s?/missing.txt | sort)" "$(sort "$T/single/missing.txt")" "the shards' missing.txt together are the single run's"
# each shard's ids are in the single run's order
r=0
for i in 0 1 2 3; do
	grep -Fxf "$T/s$i/ids.txt" "$T/single/ids.txt" | cmp -s - "$T/s$i/ids.txt" || r=1
done
ok $r "each shard keeps the single run's order"

exits 0 "merge with the --news files" vlsnr-embed merge --out "$T/merged" $NEWS "$T/s0" "$T/s1" "$T/s2" "$T/s3"
same_dir "$T/single" "$T/merged" "4 merged shards = the single run, byte for byte"
exits 0 "merge of the single run alone (ascending news number)" vlsnr-embed merge --out "$T/m1" "$T/single"
exits 0 "merge of the shards in another order, without --news" vlsnr-embed merge --out "$T/m4" "$T/s2" "$T/s0" "$T/s3" "$T/s1"
same_dir "$T/m1" "$T/m4" "without --news: the same files, whatever the order of the shards"
sed 's/^N//' "$T/m1/ids.txt" | sort -n -c 2>/dev/null
ok $? "without --news the order is ascending news number"
sed 's/^N//' "$T/all" | sort -n | sed 's/^/N/' >"$T/alln"
check "... and holds every item" cmp "$T/m1/ids.txt" "$T/alln"

# the environment gives the same shards
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=4 emb --out "$T/slurm2" >/dev/null 2>&1
same_dir "$T/s2" "$T/slurm2" "SLURM_ARRAY_TASK_ID=2 of SLURM_ARRAY_TASK_COUNT=4 = --shard 2/4"
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=4 emb --out "$T/slurm1" >/dev/null 2>&1
same_dir "$T/s1" "$T/slurm1" "SLURM_ARRAY_TASK_ID=5 with SLURM_ARRAY_TASK_MIN=4 = --shard 1/4"
JOB_COMPLETION_INDEX=3 emb --shards 4 --out "$T/k3" >/dev/null 2>&1
same_dir "$T/s3" "$T/k3" "JOB_COMPLETION_INDEX=3 with --shards 4 = --shard 3/4"

# the hash encoder: any batch size
hemb() { vlsnr-embed news --encoder hash $NEWS --images "$T/img" -j 2 "$@" >/dev/null 2>&1; }
hemb --out "$T/h"
for i in 0 1 2; do hemb --out "$T/h$i" --shard $i/3 --chunk 7; done
exits 0 "hash: merge of 3 shards" vlsnr-embed merge --out "$T/hm" $NEWS "$T/h0" "$T/h1" "$T/h2"
same_dir "$T/h" "$T/hm" "hash: 3 merged shards = the single run, byte for byte"

# refusals: nothing written
exits 2 "an item in two shards" vlsnr-embed merge --out "$T/x1" "$T/s0" "$T/s1" "$T/s0"
grep -q "is in two shards" "$T/err"; ok $? "... is named ($(head -1 "$T/err"))"
exits 2 "a shard missing with --news" vlsnr-embed merge --out "$T/x2" $NEWS "$T/s0" "$T/s1" "$T/s3"
grep -q "is in no shard" "$T/err"; ok $? "... names an item ($(head -1 "$T/err"))"
head -100 "$T/mind/train/news.tsv" >"$T/part.tsv"
exits 2 "an item not in the --news files" vlsnr-embed merge --out "$T/x3" --news "$T/part.tsv" "$T/s0" "$T/s1" "$T/s2" "$T/s3"
grep -q "in none of the --news files" "$T/err"; ok $? "... is named"
exits 2 "shards of other encoders (other widths)" vlsnr-embed merge --out "$T/x4" "$T/s0" "$T/h1"
mkdir -p "$T/fake"; for f in $FILES; do cp "$T/s1/$f" "$T/fake/$f"; done
printf 'x' | dd of="$T/fake/white.npy" bs=1 seek=130 conv=notrunc 2>/dev/null
exits 2 "a shard whose white.npy differs" vlsnr-embed merge --out "$T/x5" "$T/s0" "$T/fake"
grep -q "white.npy differs" "$T/err"; ok $? "... is named"
head -3 "$T/s1/ids.txt" >"$T/fake/ids.txt"
exits 2 "ids.txt and the .npy disagree" vlsnr-embed merge --out "$T/x6" "$T/fake"
is "$(ls -d "$T"/x? 2>/dev/null | wc -l | tr -d ' ')" 0 "the refused merges wrote nothing"

exits 2 "--shard 4/4" emb --out "$T/u" --shard 4/4
exits 2 "--shard 1/4 with --shards 3" emb --out "$T/u" --shard 1/4 --shards 3
exits 2 "JOB_COMPLETION_INDEX without --shards" env JOB_COMPLETION_INDEX=1 vlsnr-embed news --clip "$M" $NEWS --out "$T/u"
exits 2 "SLURM_ARRAY_TASK_ID without a count" env -u SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_ID=1 vlsnr-embed news --clip "$M" $NEWS --out "$T/u"
exits 2 "--shard with text" vlsnr-embed text --clip "$M" --shard 0/2 --out "$T/u.npy"
exits 2 "merge with --clip" vlsnr-embed merge --clip "$M" --out "$T/u" "$T/s0"
exits 2 "merge without a directory" vlsnr-embed merge --out "$T/u"
done_testing
