#!/bin/sh
# bench/finetune.sh: CLIP's training in vlsnr-embed (finetune, train)
# against a PyTorch loop of the same blocks (tests/reference/clip-train-ref.py
# bench: float32, the same shapes, Adam, the same number of threads):
#  1. exactness: the tiny test model fine-tuned (--layers 1) and a
#     small-clip.json model trained from scratch, on the test images, are
#     loaded by the PyTorch reference (tests/reference/clip-ref.py), whose
#     embeddings of the test images and texts must equal vlsnr-embed's
#     (cosine >= 0.9999, the forward test's tolerance);
#  2. speed: training pairs/s for --layers 0, 1, 2 and all on a ViT-B/32-shaped
#     model with random weights (written by the reference into $WORK, not
#     committed), C against PyTorch, at batch BATCH with THREADS threads;
#     and what one epoch over COVERS covers (MIND-large's news, an upper
#     bound of its covers) would take here, with the one-time pass of the
#     frozen blocks that vlsnr-embed caches (at most one forward pass of
#     both towers, timed by embed-bench).
# Prints a Markdown table for bench/RESULTS.md.
# Usage: bench/finetune.sh [BUILDDIR]   (run from the source tree; needs
# /usr/bin/python3 with python3-torch, -numpy, -pil, -regex)
# Environment: THREADS (2), BATCH (32), N pairs timed per row (2 BATCH),
# LAYERS ("0 1 2 all"), COVERS (130379), MODEL (a checkpoint folder instead
# of the ViT-B/32-shaped one, e.g. tests/data/embed/tiny-clip to check the
# script), WORK (/tmp/vmind-finetune-bench).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here}" && pwd)
THREADS=${THREADS:-2}
BATCH=${BATCH:-32}
N=${N:-$((2 * BATCH))}
LAYERS=${LAYERS:-0 1 2 all}
COVERS=${COVERS:-130379}
WORK=${WORK:-/tmp/vmind-finetune-bench}
PY=/usr/bin/python3
REF="$here/tests/reference/clip-ref.py"
TREF="$here/tests/reference/clip-train-ref.py"
DATA="$here/tests/data/embed"
EMBED="$build/model/clip/vlsnr-embed"
BENCH="$build/model/clip/embed-bench"
for f in "$EMBED" "$BENCH"; do
	[ -x "$f" ] || { echo "bench/finetune.sh: $f not built (make in $build)" >&2; exit 2; }
done
mkdir -p "$WORK"

echo "== exactness: checkpoints written by vlsnr-embed, embedded by PyTorch" >&2
rm -rf "$WORK/covers" "$WORK/tuned" "$WORK/small"
mkdir -p "$WORK/covers"
n=0
for f in "$DATA"/img/*.png "$DATA"/img/*.jpg; do
	n=$((n + 1))
	cp "$f" "$WORK/covers/N$n.${f##*.}"
	printf 'N%s\tnews\tnewsus\t%s\t\t\t[]\t[]\n' $n "$(sed -n "$(( (n - 1) % 6 + 1 ))p" "$DATA/texts.txt")"
done >"$WORK/pairs.tsv"
"$EMBED" finetune --clip "$DATA/tiny-clip" --news "$WORK/pairs.tsv" --images "$WORK/covers" --out "$WORK/tuned" \
	--layers 1 --epochs 3 --batch 4 --lr 1e-3 -j "$THREADS" 2>/dev/null
"$EMBED" train --config "$here/model/clip/small-clip.json" --news "$WORK/pairs.tsv" --images "$WORK/covers" \
	--out "$WORK/small" --epochs 3 --batch 4 -j "$THREADS" 2>/dev/null
exact=""
for m in tuned small; do
	"$EMBED" image --clip "$WORK/$m" --out "$WORK/c-img.npy" "$DATA"/img/*.png
	$PY "$REF" embed-image "$WORK/$m" "$WORK/py-img.npy" "$DATA"/img/*.png
	"$EMBED" text --clip "$WORK/$m" --out "$WORK/c-txt.npy" <"$DATA/texts.txt"
	$PY "$REF" embed-text "$WORK/$m" "$WORK/py-txt.npy" <"$DATA/texts.txt"
	exact="$exact $m: images $($PY "$REF" compare "$WORK/c-img.npy" "$WORK/py-img.npy" || true);"
	exact="$exact texts $($PY "$REF" compare "$WORK/c-txt.npy" "$WORK/py-txt.npy" || true);"
done
echo "$exact" >&2

if [ -n "${MODEL:-}" ]; then M=$MODEL; else
	M="$WORK/clip-vit-b32-random"
	if [ ! -f "$M/model.safetensors" ]; then
		echo "== writing a random ViT-B/32-shaped model to $M" >&2
		$PY "$REF" make-full "$M"
	fi
fi
echo "== speed, $THREADS threads, batch $BATCH, $N pairs a row ($M)" >&2
"$BENCH" "$M" "$THREADS" 64 64 >"$WORK/fwd.txt"
cat "$WORK/fwd.txt" >&2
img=$(awk '$2 == "images_per_s" { print $3 }' "$WORK/fwd.txt")
txt=$(awk '$2 == "texts_per_s" { print $3 }' "$WORK/fwd.txt")
rows=""
for l in $LAYERS; do
	c=$("$BENCH" "$M" "$THREADS" "$BATCH" "$N" train "$l")
	p=$($PY "$TREF" bench "$M" "$l" "$THREADS" "$BATCH" $(( (N + BATCH - 1) / BATCH )))
	echo "$c" >&2
	echo "pytorch $p" >&2
	cr=$(echo "$c" | awk '{ print $3 }')
	pr=$(echo "$p" | awk '{ print $2 }')
	params=$(echo "$c" | awk '{ for (i = 1; i < NF; i++) if ($i == "params") print $(i + 1) }')
	rows="$rows$(awk -v l="$l" -v c="$cr" -v p="$pr" -v n="$COVERS" -v par="$params" 'BEGIN {
		printf "| %s | %d | %.2f | %.2f | %.2fx | %.1f h |\n", l, par, c, p, c / p, n / c / 3600 }')
"
done

echo
echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg); $THREADS threads, batch $BATCH, texts of 20 tokens."
echo "Exactness (PyTorch embedding vlsnr-embed's checkpoints):$exact"
echo "Model: $M. The frozen blocks' one-time pass over $COVERS covers and titles: at most $(awk -v n="$COVERS" -v i="$img" -v t="$txt" 'BEGIN { printf "%.1f h", (n / i + n / t) / 3600 }') (a full forward pass at $img images/s and $txt texts/s)."
echo
echo "| --layers | trained parameters | C pairs/s | PyTorch pairs/s | C/PyTorch | an epoch over $COVERS covers (C) |"
echo "|---|---|---|---|---|---|"
printf '%s' "$rows"
