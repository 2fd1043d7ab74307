#!/bin/sh
# t0604-finetune.sh: vlsnr-embed finetune and train as tools, on nine
# (cover, title) pairs made of the test images, with the committed tiny
# CLIP: the checkpoint folder written loads with --clip and embeds other
# than the model it started from; log.csv has a row an epoch; --layers 0,
# 1 and all cache what the trained blocks start from; --db keeps the real
# covers only; a run killed at any point and started again ends with the
# weights of an uninterrupted run; train learns a vocabulary and writes a
# model of the config's shape; --text-encoder hash and --normalize; usage
# and set-up errors exit 2.
. "$top_srcdir/tests/lib.sh"

D="$top_srcdir/tests/data/embed"
M="$D/tiny-clip"
mkdir -p "$T/covers"
n=0
for f in "$D"/img/*.png "$D"/img/*.jpg; do
	n=$((n + 1))
	cp "$f" "$T/covers/N$n.${f##*.}"
done
words="red green blue yellow orange purple circle square stripes"
n=0
for w in $words; do
	n=$((n + 1))
	printf 'N%s\tnews\tnewsus\tA %s cover, number %s\t\t\t[]\t[]\n' $n "$w" $n
done >"$T/news.tsv"
printf 'N10\tnews\tnewsus\tNo cover at all\t\t\t[]\t[]\n' >>"$T/news.tsv"

ft() { vlsnr-embed finetune --clip "$M" --news "$T/news.tsv" --images "$T/covers" -j 1 "$@"; }
# floats of an .npy after its 128-byte header
floats() { od -An -v -tf4 -j 128 "$1" | tr -s ' ' '\n' | grep .; }

exits 0 "finetune --layers 1: exit 0" ft --out "$T/ft1" --epochs 2 --batch 4
is "$(cut -d, -f1,2,3 "$T/ft1/log.csv" | tr '\n' ' ')" "epoch,steps,pairs 0,0,8 1,2,8 2,4,8 " \
	"log.csv: a row before training and one an epoch (8 pairs trained on, 2 steps an epoch)"
is "$(sed -n 2p "$T/ft1/log.csv" | cut -d, -f5)" 1 "one pair held out (N10 has no cover)"
grep -q "epoch 2/2: loss" "$T/err"
ok $? "an epoch line on standard error"
for f in config.json vocab.json merges.txt; do cmp -s "$M/$f" "$T/ft1/$f"; ok $? "$f is the model's"; done
printf 'a red cover\n' >"$T/line"
vlsnr-embed text --clip "$T/ft1" --out "$T/t1.npy" <"$T/line" && vlsnr-embed text --clip "$M" --out "$T/t0.npy" <"$T/line"
ok $? "the fine-tuned folder loads with --clip"
cmp -s "$T/t1.npy" "$T/t0.npy"
ok $((1 - $?)) "and embeds other than the model it started from"
is "$(wc -c <"$T/ft1/cache/vision.bin" | tr -d ' ')" $((9 * 50 * 48 * 4)) \
	"--layers 1: the image tower's input of its last block is cached (9 x 50 x 48 floats)"

exits 0 "--layers 0 (the projections alone)" ft --out "$T/ft0" --epochs 1 --layers 0
is "$(wc -c <"$T/ft0/cache/vision.bin" | tr -d ' ')" $((9 * 48 * 4)) "--layers 0: the pooled rows are cached"
exits 0 "--layers all" ft --out "$T/fta" --epochs 1 --layers all
is "$(wc -c <"$T/fta/cache/vision.bin" | tr -d ' ')" $((9 * 224 * 224 * 3)) "--layers all: the crops are cached"
is "$(wc -c <"$T/fta/cache/text.bin" | tr -d ' ')" 0 "... and nothing of the texts"

# --db: a placeholder is not a real cover
"$top_builddir/tests/unit/dbtool" create "$T/v.db" >/dev/null
for i in 1 2 3 4 5 6 7 8 9; do
	tier=origin
	[ $i = 9 ] && tier=placeholder
	echo "INSERT INTO news (num, id, category, subcategory, title, url) VALUES ($i, 'N$i', 'news', 'newsus', 't', 'u');"
	echo "INSERT INTO image (news_num, tier, fetched_at) VALUES ($i, '$tier', 0);"
done | sqlite3 "$T/v.db"
exits 0 "--db" ft --out "$T/ftdb" --epochs 1 --db "$T/v.db"
is "$(sed -n 2p "$T/ftdb/log.csv" | cut -d, -f3,5)" "7,1" "--db: 8 real covers (N9 is a placeholder), one held out"

# killed at any point and started again: the weights of an uninterrupted run
ft --out "$T/whole" --epochs 40 --batch 2 2>/dev/null
ft --out "$T/killed" --epochs 40 --batch 2 --save-every 0 2>/dev/null &
pid=$!
track_pid $pid
sleep 1
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
exits 0 "a killed run started again finishes" ft --out "$T/killed" --epochs 40 --batch 2 --save-every 0
grep -q "resuming" "$T/err" || echo "# (the first run had finished before the kill)"
check "its weights are an uninterrupted run's" cmp "$T/whole/model.safetensors" "$T/killed/model.safetensors"
is "$(cut -d, -f1-8 "$T/killed/log.csv" | md5sum)" "$(cut -d, -f1-8 "$T/whole/log.csv" | md5sum)" "and so is its log"
exits 0 "more epochs go on from a finished run" ft --out "$T/ft1" --epochs 3 --batch 4
grep -q "resuming .* after epoch 2, step 0" "$T/err"
ok $? "... from its state"
is "$(tail -1 "$T/ft1/log.csv" | cut -d, -f1,2)" "3,6" "... and log it as epoch 3"

# train: from scratch, a learned vocabulary
exits 0 "train --config small-clip.json" vlsnr-embed train --config "$top_srcdir/model/clip/small-clip.json" \
	--news "$T/news.tsv" --images "$T/covers" --out "$T/small" --epochs 2 -j 2
tr -d ' \t' <"$T/small/config.json" | grep -q '"vocab_size":5[0-9][0-9],'
ok $? "config.json: the learned vocabulary's size"
is "$(head -1 "$T/small/merges.txt")" "#version: 0.2" "merges.txt has CLIP's version line"
vlsnr-embed text --clip "$T/small" --out "$T/s.npy" <"$T/line"
ok $? "the trained folder embeds"
is "$(floats "$T/s.npy" | wc -l | tr -d ' ')" 512 "with small-clip.json's 512-d projection"

# the mixed features of demo.sh, and --normalize
exits 0 "news --text-encoder hash with the small CLIP" vlsnr-embed news --clip "$T/small" --text-encoder hash \
	--normalize --news "$T/news.tsv" --images "$T/covers" --out "$T/mixed"
vlsnr-embed news --encoder hash --news "$T/news.tsv" --images "$T/covers" --out "$T/hash" 2>/dev/null
floats "$T/mixed/title.npy" >"$T/a"
floats "$T/hash/title.npy" >"$T/b"
paste "$T/a" "$T/b" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-6) bad++ } END { exit bad || NR != 10 * 512 }'
ok $? "its titles are the hash encoder's (within 1e-6: normalised again)"
floats "$T/mixed/image.npy" | awk '{ s += $1 * $1 } NR % 512 == 0 { d = s - 1; if (d < 0) d = -d; if (d > 1e-5) bad++; s = 0 }
	END { exit bad }'
ok $? "--normalize: every image row has length 1"
exits 2 "--text-encoder hash needs a 512-d projection" vlsnr-embed news --clip "$M" --text-encoder hash \
	--news "$T/news.tsv" --out "$T/x"

# errors
exits 2 "finetune without --clip" vlsnr-embed finetune --news "$T/news.tsv" --images "$T/covers" --out "$T/x"
exits 2 "train with --layers 1" vlsnr-embed train --config "$M/config.json" --layers 1 --news "$T/news.tsv" \
	--images "$T/covers" --out "$T/x"
exits 2 "--out the same folder as --clip" ft --out "$M"
exits 2 "a training option for news" vlsnr-embed news --encoder hash --epochs 2 --news "$T/news.tsv" --out "$T/x"
exits 2 "--layers beyond the model" ft --out "$T/x" --layers 3
exits 2 "the state of another run (--seed)" ft --out "$T/ft1" --epochs 3 --batch 4 --seed 2
grep -q "$T/ft1/train-state.safetensors: the state of a run with other inputs" "$T/err"
ok $? "... names the state file"
mkdir -p "$T/one"
cp "$T/covers/N1.png" "$T/one/"
exits 2 "fewer than 2 pairs" ft --out "$T/x" --images "$T/one"
printf 'not an image' >"$T/covers/N10.jpg"
exits 1 "an undecodable cover: exit 1" ft --out "$T/bad" --epochs 1
grep -q "N10.jpg" "$T/err"
ok $? "... naming the file"
done_testing
