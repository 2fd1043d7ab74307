#!/bin/sh
# bench/embed.sh: vlsnr-embed's CLIP against the PyTorch reference
# (tests/reference/clip-ref.py) on a full-size ViT-B/32-shaped model with
# random weights (written by the reference into $WORK, not committed):
#  1. exactness: cosine of C vs PyTorch embeddings of the test images and
#     texts (target >= 0.9999);
#  2. speed: images/s and texts/s at batch 1 and batch 64 with the same
#     number of threads, the ratio C/PyTorch (target >= 1.5), and the share
#     of the machine's sgemm GFLOP/s the C forward pass reaches (target 60%).
# Prints a Markdown table for bench/RESULTS.md.
# Usage: bench/embed.sh [BUILDDIR]   (run from the source tree; needs
# /usr/bin/python3 with python3-torch, -numpy, -pil, -regex)
# Environment: THREADS (2), N1 items at batch 1 (8), N64 items at batch 64
# (64), WORK (/tmp/vmind-embed-bench).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here}
THREADS=${THREADS:-2}
N1=${N1:-8}
N64=${N64:-64}
WORK=${WORK:-/tmp/vmind-embed-bench}
PY=/usr/bin/python3
REF="$here/tests/reference/clip-ref.py"
DATA="$here/tests/data/embed"
EMBED="$build/model/clip/vlsnr-embed"
BENCH="$build/model/clip/embed-bench"
for f in "$EMBED" "$BENCH"; do
	[ -x "$f" ] || { echo "bench/embed.sh: $f not built (make in $build)" >&2; exit 2; }
done
mkdir -p "$WORK"
M="$WORK/clip-vit-b32-random"
if [ ! -f "$M/model.safetensors" ]; then
	echo "== writing a random ViT-B/32-shaped model to $M" >&2
	$PY "$REF" make-full "$M"
fi

echo "== exactness (C vs PyTorch, full-size random weights)" >&2
"$EMBED" image --clip "$M" -j "$THREADS" --out "$WORK/c-img.npy" "$DATA"/img/*.png
$PY "$REF" embed-image "$M" "$WORK/py-img.npy" "$DATA"/img/*.png
img_cmp=$($PY "$REF" compare "$WORK/c-img.npy" "$WORK/py-img.npy") || true
"$EMBED" text --clip "$M" -j "$THREADS" --out "$WORK/c-txt.npy" <"$DATA/texts.txt"
$PY "$REF" embed-text "$M" "$WORK/py-txt.npy" <"$DATA/texts.txt"
txt_cmp=$($PY "$REF" compare "$WORK/c-txt.npy" "$WORK/py-txt.npy") || true
echo "images: $img_cmp" >&2
echo "texts:  $txt_cmp" >&2

echo "== speed, $THREADS threads" >&2
"$BENCH" "$M" "$THREADS" 1 "$N1" >"$WORK/c1.txt"
$PY "$REF" bench "$M" "$THREADS" 1 "$N1" >"$WORK/p1.txt"
"$BENCH" "$M" "$THREADS" 64 "$N64" >"$WORK/c64.txt"
$PY "$REF" bench "$M" "$THREADS" 64 "$N64" >"$WORK/p64.txt"
cat "$WORK"/c1.txt "$WORK"/p1.txt "$WORK"/c64.txt "$WORK"/p64.txt >&2

# val FILE LINEKEY FIELD: the value after FIELD on the line holding LINEKEY
val() { awk -v k="$2" -v f="$3" '{ h = 0; for (i = 1; i <= NF; i++) if ($i == k) h = 1 }
	h { for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }' "$1"; }
row() { # KIND BATCH CFILE PFILE
	c=$(val "$3" "$1_per_s" "$1_per_s"); p=$(val "$4" "$1_per_s" "$1_per_s")
	g=$(val "$3" "$1_per_s" gflops); peak=$(val "$3" sgemm_gflops sgemm_gflops)
	awk -v k="$1" -v b="$2" -v c="$c" -v p="$p" -v g="$g" -v peak="$peak" 'BEGIN {
		printf "| %s | %d | %.2f | %.2f | %.2fx | %.1f | %.1f | %.0f%% |\n", k, b, c, p, c / p, g, peak, 100 * g / peak }'
}
echo
echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg); $THREADS threads."
echo "Exactness (ViT-B/32 shapes, random weights): images: $img_cmp; texts: $txt_cmp"
echo
echo "| pass | batch | C items/s | PyTorch items/s | C/PyTorch | C GFLOP/s | sgemm GFLOP/s | share of sgemm |"
echo "|---|---|---|---|---|---|---|---|"
row images 1 "$WORK/c1.txt" "$WORK/p1.txt"
row texts 1 "$WORK/c1.txt" "$WORK/p1.txt"
row images 64 "$WORK/c64.txt" "$WORK/p64.txt"
row texts 64 "$WORK/c64.txt" "$WORK/p64.txt"
