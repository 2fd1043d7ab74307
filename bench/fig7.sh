#!/bin/sh
# bench/fig7.sh: the paper's Fig. 7 on vmind-synth data (bench/quality.md):
# VLSNR's dev AUC, full model and image field alone, with the image features
# of
#   (a) hash      the non-learned hash encoder (every field);
#   (b) small     small-clip.json trained from scratch on the training
#                 split's (cover, title) pairs, as demo.sh does (images by it,
#                 texts by the hash encoder, rows of length 1);
#   (c) synth     the exact cover attributes (vlsnr-train --synth-features):
#                 the ceiling of any image encoder;
#   (d) ft-L      (b) fine-tuned further on the training split's pairs with
#                 vlsnr-embed finetune --layers L, for each L of FT_LAYERS;
# and the held-out title->cover retrieval of (b) and (d) from their log.csv.
# Each feature set is one bench/train.sh --quality call (SETS "full image",
# SEEDS for full, SEEDS1 for image), so its settings apply (EPOCHS, QDIM,
# QLR, QSCHED, QJOBS, ...; QBOUND=0 is set here).
#
#   bench/fig7.sh [BUILDDIR]
#
# Environment: PRESET (medium), DEMO (DIR: a demo.sh --out folder of that
# preset: mind/, images/, vmind.db; made with VMIND_DEMO_ENCODER=hash when
# missing), OUT (runs and features are kept there: a rerun skips finished
# work; default fig7-PRESET), SEEDS ("1 2 3"), SEEDS1 (1), SEPOCHS (20, of
# (b)), FT_LAYERS ("0 1 2 all"), FEPOCHS (5, of (d)), FLR (1e-4, of (d)),
# JOBS (2, threads of vlsnr-embed).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-.}" && pwd)
PATH="$build/vmind/synth:$build/vmind/stats:$build/vmind/report:$build/vmind/merge:$build/crawler/crawl:$build/crawler/web:$build/resize:$build/model/clip:$build/model/vlsnr:$PATH"
export PATH
PRESET=${PRESET:-medium}
OUT=${OUT:-fig7-$PRESET}
SEPOCHS=${SEPOCHS:-20} FT_LAYERS=${FT_LAYERS:-0 1 2 all} FEPOCHS=${FEPOCHS:-5} FLR=${FLR:-1e-4} JOBS=${JOBS:-2}
export SEEDS=${SEEDS:-1 2 3} SEEDS1=${SEEDS1:-1} QBOUND=0
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DEMO=${DEMO:-$OUT/demo}
if [ ! -f "$DEMO/vmind.db" ] || [ ! -d "$DEMO/images" ]; then
	echo "== $DEMO: the $PRESET dataset crawled and resized (demo.sh, hash encoder)" >&2
	VMIND_DEMO_ENCODER=hash sh "$here/demo.sh" --preset "$PRESET" --epochs 1 --out "$DEMO" >"$OUT/demo.log" 2>&1
fi
DEMO=$(cd "$DEMO" && pwd)
m=$DEMO/mind
pairs="--news $m/train/news.tsv --images $DEMO/images --db $DEMO/vmind.db -j $JOBS"

# news features of a checkpoint folder: images by it, texts by the hash encoder
embed_mixed() {
	[ -f "$OUT/feat-$2/ids.txt" ] ||
		vlsnr-embed news --clip "$1" --text-encoder hash --normalize --news "$m/train/news.tsv" \
			--news "$m/dev/news.tsv" --images "$DEMO/images" --out "$OUT/feat-$2" -j "$JOBS" || [ $? -eq 1 ]
}
echo "== (a) hash features" >&2
[ -f "$OUT/feat-hash/ids.txt" ] || vlsnr-embed news --encoder hash --news "$m/train/news.tsv" \
	--news "$m/dev/news.tsv" --images "$DEMO/images" --out "$OUT/feat-hash" -j "$JOBS" || [ $? -eq 1 ]
echo "== (b) small CLIP trained on the training split's pairs ($SEPOCHS epochs)" >&2
# shellcheck disable=SC2086
vlsnr-embed train --config "$here/model/clip/small-clip.json" $pairs --out "$OUT/clip-small" --epochs "$SEPOCHS" \
	2>"$OUT/clip-small.err"
embed_mixed "$OUT/clip-small" small
echo "== (c) exact cover attributes" >&2
[ -f "$OUT/feat-synth/ids.txt" ] || vlsnr-train --synth-features "$m" --features "$OUT/feat-synth"
sets="hash small synth"
for l in $FT_LAYERS; do
	echo "== (d) (b) fine-tuned with --layers $l ($FEPOCHS epochs, lr $FLR)" >&2
	# shellcheck disable=SC2086
	vlsnr-embed finetune --clip "$OUT/clip-small" $pairs --out "$OUT/clip-ft-$l" --layers "$l" \
		--epochs "$FEPOCHS" --lr "$FLR" 2>"$OUT/clip-ft-$l.err"
	embed_mixed "$OUT/clip-ft-$l" "ft-$l"
	sets="$sets ft-$l"
done

for s in $sets; do
	echo "== VLSNR on features $s" >&2
	QMIND=$m QFEATURES=$OUT/feat-$s QOUT=$OUT/runs-$s SETS="full image" \
		sh "$here/bench/train.sh" --quality "$build" >"$OUT/table-$s.md"
done

echo "Fig. 7 on vmind-synth $PRESET ($DEMO); small CLIP: $SEPOCHS epochs; fine-tuning: $FEPOCHS epochs at lr $FLR; VLSNR: bench/train.sh --quality, seeds $SEEDS (image alone: $SEEDS1)."
echo
sed -n 's/^oracle (true click probabilities): /oracle: /p' "$OUT/table-hash.md"
echo
echo "| image features | full model: dev AUC | share | per seed | image field alone: dev AUC | held-out title->cover recall@1 | recall@10 |"
echo "|---|---|---|---|---|---|---|"
for s in $sets; do
	full=$(grep '^| full (vlsnr' "$OUT/table-$s.md" | cut -d'|' -f3-5)
	img=$(grep '^| fields: image ' "$OUT/table-$s.md" | cut -d'|' -f3)
	case $s in
	hash|synth) r1=- r10=- ;;
	small) r1=$(tail -1 "$OUT/clip-small/log.csv" | cut -d, -f6) r10=$(tail -1 "$OUT/clip-small/log.csv" | cut -d, -f7) ;;
	*) r1=$(tail -1 "$OUT/clip-$s/log.csv" | cut -d, -f6) r10=$(tail -1 "$OUT/clip-$s/log.csv" | cut -d, -f7) ;;
	esac
	echo "| $s |$full |$img | $r1 | $r10 |"
done
