#!/bin/sh
# t0701-train.sh: vlsnr-train on a tiny vmind-synth dataset with the
# --synth-features scaffolding: it learns (dev AUC above chance), the CSV
# log has one line per step and per epoch (steps counted independently with
# awk), the checkpoint is valid safetensors of the expected size, runs are
# reproducible, --resume after a finished epoch gives the same bits as an
# uninterrupted run, --lr-schedule linear lowers the rate after the first step, a NaN loss stops with exit 1 and the checkpoint kept,
# the ablation flags work, and bad input is reported.
. "$top_srcdir/tests/lib.sh"

cd "$T" || exit 1
vmind-synth --preset tiny --out mind -q || exit 1

exits 0 "--synth-features writes a features directory" vlsnr-train --synth-features mind --features feats
is "$(wc -l <feats/ids.txt | tr -d ' ')" "$(($(wc -l <mind/truth/news.tsv) - 1))" "ids.txt lists every news item of the truth"
for f in image title category subcategory white; do
	test -s feats/$f.npy; ok $? "feats/$f.npy written"
done
size=$(wc -c <feats/title.npy)
test "$size" -ge $((300 * 512 * 4)) -a "$size" -lt $((300 * 512 * 4 + 256)); ok $? "title.npy holds 300 x 512 float32"

O="--train mind/train --features feats --dim 32 --heads 4 --att-dim 32 --batch 64 --lr 1e-3 --history 20"
exits 0 "trains 2 epochs with --dev" vlsnr-train $O --dev mind/dev --epochs 2 --out m.st
test -s m.st && test -s m.st.opt; ok $? "model and optimizer state written"
# samples: clicks of impressions that also have a non-click
ns=$(awk -F '\t' '{ c = 0; z = 0; n = split($5, a, " ");
	for (i = 1; i <= n; i++) { if (a[i] ~ /-1$/) c++; else z++ }
	if (z) s += c } END { print s }' mind/train/behaviors.tsv)
steps=$(( (ns + 63) / 64 ))
is "$(grep -c '^step,' m.st.csv)" "$((2 * steps))" "CSV: one line per step ($ns samples, $steps steps an epoch)"
is "$(grep -c '^epoch,' m.st.csv)" 2 "CSV: one line per epoch"
is "$(head -1 m.st.csv)" "kind,epoch,step,loss,auc,mrr,ndcg5,ndcg10,seconds" "CSV header"
is "$(awk -F , '$1 == "epoch" { n += ($5 > 0 && $5 < 1 && $8 > 0) } END { print n }' m.st.csv)" 2 "CSV: dev metrics on each epoch line"

# it learns, on 4000 impressions (the tiny preset's 1000 are too noisy)
vmind-synth --preset tiny --impressions 4000 --out mind4 -q || exit 1
vlsnr-train --synth-features mind4 --features feats4 || exit 1
exits 0 "trains 3 epochs on 4000 impressions" vlsnr-train --train mind4/train --dev mind4/dev --features feats4 \
	--out l.st --dim 32 --heads 4 --att-dim 32 --batch 64 --lr 3e-3 --epochs 3 --history 20 --dropout 0.2 -q
auc=$(awk -F , '$1 == "epoch" && $2 == 3 { print $5 }' l.st.csv)
awk -v a="$auc" 'BEGIN { exit !(a > 0.6) }'; ok $? "it learns: dev AUC after 3 epochs $auc > 0.6 (chance 0.5)"
l1=$(awk -F , '$1 == "epoch" && $2 == 1 { print $4 }' l.st.csv)
l3=$(awk -F , '$1 == "epoch" && $2 == 3 { print $4 }' l.st.csv)
awk -v a="$l1" -v b="$l3" 'BEGIN { exit !(b < a && a < 1.3863) }'; ok $? "training loss falls ($l1 -> $l3, log 4 = 1.386 at chance)"

# safetensors layout: 8-byte header length, JSON, then the float32 data
hlen=$(od -An -tu8 -N8 m.st | tr -d ' ')
test $((hlen % 8)) -eq 0; ok $? "header length $hlen is a multiple of 8"
head -c $((8 + hlen)) m.st | tail -c "$hlen" >header.json
grep -q '"user_encoder":"vlsnr"' header.json && grep -q '"news.Wqkv":{"dtype":"F32","shape":\[512,96\]' header.json
ok $? "header names the encoder and news.Wqkv [512,96]"
# parameter count for D=512, E=M=32, A=32
np=$(awk 'BEGIN { D = 512; M = 32; A = 32;
	news = D * 3 * M + M * A + 2 * A + M * M + M + M * M + M;
	print news + 3 * M * M + 2 * 3 * M * M + 6 * M + 3 * M * M + M * A + 2 * A + 1 + M }')
is "$(wc -c <m.st | tr -d ' ')" "$((8 + hlen + 4 * np))" "file size = 8 + header + 4 x $np parameters"

# reproducible, and --resume continues bit for bit
O2="$O --epochs 2 -q"
vlsnr-train $O2 --out a.st && vlsnr-train $O2 --out a2.st
cmp -s a.st a2.st; ok $? "two runs with the same seed write the same model"
vlsnr-train $O --epochs 1 -q --out b.st
cp b.st b1.st
exits 0 "--resume after epoch 1" vlsnr-train $O2 --out b.st --resume
cmp -s a.st b.st && cmp -s a.st.opt b.st.opt; ok $? "resumed run equals the uninterrupted one (model and optimizer)"
vlsnr-train $O2 --seed 2 --out c.st
cmp -s a.st c.st; test $? -ne 0; ok $? "another seed gives another model"
exits 0 "--resume of a finished run does nothing" vlsnr-train $O2 --out b.st --resume
cmp -s a.st b.st; ok $? "finished run unchanged"

# --resume with an architecture other than the checkpoint's: an error, not ignored
cp b.st b.keep
exits 2 "--resume --dim 64 on a dim-32 checkpoint: exit 2" vlsnr-train $O2 --out b.st --resume --dim 64
is "$(cat "$T/err")" "vlsnr-train: b.st.opt: --resume: the checkpoint has --dim 32, not the 64 given: drop the option, or start afresh without --resume" \
	"the error names the checkpoint, its value and the option"
exits 2 "--resume --user-encoder gru on a vlsnr checkpoint: exit 2" vlsnr-train $O2 --out b.st --resume --user-encoder gru
grep -q "user encoder is vlsnr, not the --user-encoder gru given" "$T/err"; ok $? "the error names both encoders"
exits 2 "--resume --fields title on a checkpoint of four fields: exit 2" vlsnr-train $O2 --out b.st --resume --fields title
grep -q "has --fields image,title,category,subcategory" "$T/err"; ok $? "the error names the checkpoint's fields"
cmp -s b.st b.keep; ok $? "the checkpoint is untouched"

# outputs that cannot be written: found before the first step
exits 2 "--out in a missing folder: exit 2 before training" vlsnr-train $O --epochs 1 --out nodir/m.st --log early.csv
is "$(cat "$T/err")" "vlsnr-train: nodir/m.st: cannot be written: No such file or directory" "the error names the model file"
test ! -e early.csv; ok $? "nothing written (no log)"
exits 2 "--log in a missing folder: exit 2 before training" vlsnr-train $O --epochs 1 --out early.st --log nodir/log.csv
test ! -e early.st && test ! -e early.st.opt; ok $? "no model written"

# NaN stop
vlsnr-train $O --epochs 1 -q --out n.st
cp n.st n.keep
exits 1 "a NaN loss stops with exit 1" vlsnr-train $O --epochs 2 --lr 1e30 --out n.st --resume -q
grep -q 'loss is nan.*kept' "$T/err"; ok $? "clear message: $(head -1 "$T/err")"
cmp -s n.st n.keep; ok $? "the last good checkpoint is kept"

# ablations
for u in selfattn gru mean none; do
	exits 0 "--user-encoder $u" vlsnr-train $O --epochs 1 --user-encoder $u --out u$u.st -q
	grep -q "\"user_encoder\":\"$u\"" u$u.st; ok $? "$u: recorded in the model"
	exits 0 "$u: vlsnr-eval scores with it" vlsnr-eval --model u$u.st --features feats --split mind/dev --prediction p$u.txt
done
exits 0 "--fields title" vlsnr-train $O --epochs 1 --fields title --out f.st -q
grep -q '"fields":"title"' f.st && grep -q '"F":"1"' f.st; ok $? "one field recorded"
exits 0 "--image-ratio 0.3" vlsnr-train $O --epochs 1 --image-ratio 0.3 --out r.st -q
grep -q '"image_ratio":"0.29999' r.st; ok $? "image ratio recorded"
# --lr-schedule linear: the first Adam step uses the full lr, so the first two
# losses equal the constant run's; later steps use less, so losses and weights
# part; the schedule is in the metadata
exits 0 "--lr-schedule linear" vlsnr-train $O --epochs 2 --lr-schedule linear --out lin.st -q
exits 0 "--lr-schedule constant" vlsnr-train $O --epochs 2 --lr-schedule constant --out con.st -q
is "$(awk -F , '$1 == "step" && $3 <= 2 { print $4 }' lin.st.csv)" "$(awk -F , '$1 == "step" && $3 <= 2 { print $4 }' con.st.csv)" \
	"linear schedule: first two losses equal the constant run's"
test "$(awk -F , '$1 == "step" && $3 > 2 { print $4 }' lin.st.csv)" != "$(awk -F , '$1 == "step" && $3 > 2 { print $4 }' con.st.csv)"
ok $? "linear schedule: later losses differ"
grep -q '"lr_schedule":"linear"' lin.st && grep -q '"lr_schedule":"constant"' con.st; ok $? "schedule recorded in the metadata"
exits 2 "unknown --lr-schedule" vlsnr-train $O --out x.st --lr-schedule cosine

# errors
exits 2 "--train is required" vlsnr-train --features feats --out x.st
exits 2 "unknown --user-encoder" vlsnr-train $O --out x.st --user-encoder lstm
exits 2 "unknown field" vlsnr-train $O --out x.st --fields title,abstract
grep -q "abstract" "$T/err"; ok $? "the message names the field"
exits 2 "--dim not a multiple of --heads" vlsnr-train $O --out x.st --dim 30
exits 2 "missing features" vlsnr-train --train mind/train --features nosuch --out x.st
grep -q 'nosuch/ids.txt' "$T/err"; ok $? "the message names nosuch/ids.txt"
mkdir bad
sed '3s/\t[^\t]*$/\tN1-7/' mind/train/behaviors.tsv >bad/behaviors.tsv
exits 2 "a bad behaviors line is an input error" vlsnr-train --train bad --features feats --out x.st
grep -q 'behaviors.tsv:3' "$T/err"; ok $? "the message names FILE:LINE ($(head -1 "$T/err"))"
test ! -e x.st; ok $? "no model written on errors"

done_testing
