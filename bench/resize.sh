#!/bin/sh
# bench/resize.sh: images per second of vmind-resize against its peers on the
# same mixed images, each making 224x224 centre crops (JPEG, Q 90):
#   vmind-resize -j 2             one process, a pool of 2 image threads
#   vipsthumbnail                 one process over all files (--smartcrop centre)
#   ImageMagick convert           -resize 224x224^ -gravity center -extent 224x224, two at a time
#   Pillow with JPEG draft mode   bench/resize-pillow.py, two processes
# The images are generated here: N crops (default 1000) of a 4000x4000 smooth
# photo-like texture with grain; the width is log-uniform in 100-4000 px
# (median about 630, as web covers are), the aspect 1:2 to 2:1 (height
# clamped to 100-4000); about 60% JPEG (Q 85), 20% PNG, 20% WebP (Q 80).
# vmind-resize also hashes its input and output, computes the pHash and
# writes the database; the peers write files only.
# Usage: bench/resize.sh [N] [WORKDIR]   (tools from PATH, or VMIND_RESIZE=...)
# Prints images/s of each and the ratios, as a markdown table for
# bench/RESULTS.md. Targets (issue 8): >= 1.0x the fastest peer, >= 5x ImageMagick.
set -eu
N=${1:-1000}
W=${2:-$(mktemp -d "${TMPDIR:-/tmp}/vmind-bench-resize.XXXXXX")}
HERE=$(cd "$(dirname "$0")" && pwd)
RESIZE=${VMIND_RESIZE:-$(command -v vmind-resize || echo "$HERE/../resize/vmind-resize")}
CONVERT=${CONVERT:-/usr/bin/convert}
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$W/raw"
cd "$W"

for tool in vips vipsthumbnail sqlite3 "$CONVERT" "$PY" "$RESIZE"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench/resize.sh: $tool not found" >&2; exit 2; }
done
"$PY" -c 'import PIL' 2>/dev/null || { echo "bench/resize.sh: $PY has no PIL (apt-get install python3-pil)" >&2; exit 2; }
"$CONVERT" -version 2>/dev/null | grep -q ImageMagick || { echo "bench/resize.sh: $CONVERT is not ImageMagick (apt-get install imagemagick)" >&2; exit 2; }

# --- the images ---------------------------------------------------------
if [ ! -f raw/.done ] || [ "$(cat raw/.done)" != "$N v2" ]; then
	rm -rf raw && mkdir raw
	echo "making $N images in $W/raw ..." >&2
	vips gaussnoise n1.v 200 200 --sigma 60 --mean 128
	vips gaussnoise n2.v 200 200 --sigma 60 --mean 100
	vips gaussnoise n3.v 200 200 --sigma 60 --mean 150
	vips bandjoin "n1.v n2.v n3.v" n.v
	vips resize n.v smooth.v 20 --kernel cubic
	vips gaussnoise grain.v 4000 4000 --sigma 6 --mean 0
	vips add smooth.v grain.v sum.v
	vips cast sum.v base.v uchar
	vips copy base.v base-srgb.v --interpretation srgb
	awk -v n="$N" -v seed=42 'BEGIN {
		srand(seed);
		for (i = 1; i <= n; i++) {
			w = int(exp(log(100) + rand() * (log(4000) - log(100)))); a = exp((rand() * 2 - 1) * log(2)); h = int(w * a);
			if (h < 100) h = 100; if (h > 4000) h = 4000;
			x = int(rand() * (4000 - w)); y = int(rand() * (4000 - h));
			r = rand(); f = r < 0.6 ? "jpg[Q=85]" : (r < 0.8 ? "png[compression=6]" : "webp[Q=80]");
			printf "%d %d %d %d %d %s\n", i, x, y, w, h, f;
		}
	}' >list.txt
	# two at a time
	awk '{ print }' list.txt | xargs -P 2 -L 1 sh -c 'vips crop base-srgb.v "raw/N$0.$5" $1 $2 $3 $4'
	echo "$N v2" >raw/.done
	rm -f n1.v n2.v n3.v n.v smooth.v grain.v sum.v base.v
fi
ls raw | grep -v '^\.' | sed 's|^|raw/|' >files.txt
NF=$(wc -l <files.txt)
MPX=$(awk '{ s += $4 * $5 } END { printf "%.1f", s / 1e6 }' list.txt)
echo "$NF images, $MPX Mpx in all; formats: $(sed 's/.*\.//' files.txt | sort | uniq -c | tr '\n' ' ')" >&2

# --- the database for vmind-resize --------------------------------------
rm -f crawl.db crawl.db-wal crawl.db-shm
: >crawl.db
"$RESIZE" --db crawl.db --out out-vmind -q   # creates the tables
awk -F/ '{ f = $2; id = f; sub(/\..*/, "", id); n = substr(id, 2);
	printf "INSERT INTO news (num, id, category, subcategory, title, url) VALUES (%s, \047%s\047, \047c\047, \047s\047, \047t\047, \047u\047);\n", n, id;
	printf "INSERT INTO image (news_num, tier, raw_path, fetched_at) VALUES (%s, \047origin\047, \047raw/%s\047, 0);\n", n, f }' files.txt |
	{ echo 'BEGIN;'; cat; echo 'COMMIT;'; } | sqlite3 crawl.db

# timed NAME CMD...: wall seconds and CPU seconds (user + sys of CMD and its
# children) into NAME.time; the machine may be shared, so images per
# CPU-second is printed beside images per second.
timed() {
	_name=$1; shift
	/usr/bin/time -f '%e %U %S' -o "$_name.time" "$@"
}
rate() { awk -v n="$NF" '{ printf "%.1f", n / $1 }' "$1.time"; }
cpurate() { awk -v n="$NF" '{ printf "%.1f", n / ($2 + $3) }' "$1.time"; }

# --- runs (page cache warmed by a first read) ---------------------------
cat raw/* >/dev/null
rm -rf out-*; mkdir out-vmind out-vt out-im out-pil

timed vmind "$RESIZE" --db crawl.db --out out-vmind -j 2 -q --force
echo "vmind-resize -j 2: $(rate vmind) images/s, $(cpurate vmind) per CPU-second" >&2

timed vt sh -c 'xargs vipsthumbnail --size 224x224 --smartcrop centre -o "$1/out-vt/%s.jpg[Q=90,strip]" <files.txt' sh "$W"
echo "vipsthumbnail (1 process): $(rate vt) images/s, $(cpurate vt) per CPU-second" >&2

timed im sh -c 'xargs -P 2 -L 1 sh -c '"'"'b=$(basename "$1"); '"$CONVERT"' "$1" -resize 224x224^ -gravity center -extent 224x224 -quality 90 "out-im/${b%.*}.jpg"'"'"' sh <files.txt'
echo "ImageMagick convert (2 at a time): $(rate im) images/s, $(cpurate im) per CPU-second" >&2

awk 'NR % 2 == 1' files.txt >half1.txt
awk 'NR % 2 == 0' files.txt >half2.txt
timed pil sh -c '"$1" "$2" out-pil <half1.txt & "$1" "$2" out-pil <half2.txt; wait $!' sh "$PY" "$HERE/resize-pillow.py"
echo "Pillow draft (2 processes): $(rate pil) images/s, $(cpurate pil) per CPU-second" >&2

# every tool made every output
for d in out-vmind out-vt out-im out-pil; do
	c=$(ls $d | grep -c '\.jpg$' || true)
	[ "$c" -eq "$NF" ] || echo "warning: $d has $c outputs, expected $NF" >&2
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
RV=$(rate vmind); CV=$(cpurate vmind)
cat <<EOF
| tool (224x224 centre crop, $NF mixed images, $MPX Mpx) | images/s | vmind-resize is | images per CPU-s | vmind-resize is |
|---|---|---|---|---|
| vmind-resize -j 2 | $RV | 1.00x | $CV | 1.00x |
| vipsthumbnail, 1 process | $(rate vt) | $(ratio "$RV" "$(rate vt)")x | $(cpurate vt) | $(ratio "$CV" "$(cpurate vt)")x |
| ImageMagick convert, 2 at a time | $(rate im) | $(ratio "$RV" "$(rate im)")x | $(cpurate im) | $(ratio "$CV" "$(cpurate im)")x |
| Pillow draft mode, 2 processes | $(rate pil) | $(ratio "$RV" "$(rate pil)")x | $(cpurate pil) | $(ratio "$CV" "$(cpurate pil)")x |
EOF
