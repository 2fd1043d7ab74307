#!/bin/sh
# demo.sh: the main job of vmind, end to end, on the embedded default: a
# synthetic MIND and its simulated web served on 127.0.0.1, crawled with every
# tier, resized, Table 1, features (images by a small CLIP trained on the
# covers), a trained VLSNR model scored on dev beside
# the oracle, and the HTML curation report. ./quickstart.sh runs it after the
# build; tests/t0910-demo.sh runs it on a reduced size. The built tools must
# be on PATH. A second run reuses what the first did: each tool resumes or
# skips finished work.
#
#   demo.sh [--preset tiny|small|medium] [--seed N] [--epochs N] [--out DIR]
set -eu
preset=small seed=1 epochs=3 out=./vmind-demo
while [ $# -gt 0 ]; do
	case $1 in
	--preset) preset=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--epochs) epochs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
m=$out/mind
say() { printf '\n== %s\n' "$*"; }
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }

# ---- the synthetic MIND and its simulated web (made once)
if [ ! -f "$m/.complete" ]; then
	say "vmind-synth --preset $preset: a synthetic MIND in $m"
	rm -rf "$m"
	vmind-synth --preset "$preset" --seed "$seed" --url-base http://assets.msn.com/labs/mind/ --out "$m"
	touch "$m/.complete"
else
	say "synthetic MIND: reusing $m"
fi
if [ ! -f "$out/web/.complete" ]; then
	say "vmind-web render: article pages, covers, archive and search corpus in $out/web"
	rm -rf "$out/web"
	vmind-web render --mind "$m" --out "$out/web" --seed "$seed" -q
	touch "$out/web/.complete"
else
	say "simulated web: reusing $out/web"
fi

# ---- serve it on 127.0.0.1 for as long as the crawl runs
rm -f "$out/web.port"
vmind-web serve --root "$out/web" --listen 127.0.0.1:0 --port-file "$out/web.port" \
	--log "$out/web-requests.log" -q &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
i=0
while [ ! -s "$out/web.port" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $server 2>/dev/null; then
		echo "demo.sh: the simulated web did not start" >&2; exit 2
	fi
	sleep 0.1
done
port=$(cat "$out/web.port")
say "simulated web on 127.0.0.1:$port (every host name is mapped there with --connect-to)"

# ---- crawl: origin pages, then the web archive, then headline search
crawl_tiers=
if vmind-crawl --help 2>&1 | grep -q -- '--tiers'; then
	crawl_tiers="--tiers origin,archive,search --archive http://web.archive.org --search searx:http://searx.test --placeholder white"
fi
say "vmind-crawl $crawl_tiers"
crc=0
# shellcheck disable=SC2086
vmind-crawl --db "$out/vmind.db" --out "$out/crawl" --connect-to "::127.0.0.1:$port" \
	--allow-private --timeout 10 --retries 2 --stats-json "$out/crawl-stats.json" $crawl_tiers \
	"$m/train/news.tsv" "$m/dev/news.tsv" || crc=$?
[ $crc -le 1 ] || { echo "demo.sh: vmind-crawl failed (exit $crc)" >&2; exit 2; }
[ $crc -eq 0 ] || echo "(some items failed for good: the simulated web has faults on purpose; see $out/vmind.db)"
kill $server 2>/dev/null; wait $server 2>/dev/null || true
trap - EXIT INT TERM

say "vmind-resize: 224x224 covers in $out/images"
rrc=0
vmind-resize --db "$out/vmind.db" --raw "$out/crawl" --out "$out/images" -q || rrc=$?
[ $rrc -le 1 ] || { echo "demo.sh: vmind-resize failed (exit $rrc)" >&2; exit 2; }
[ $rrc -eq 0 ] || echo "(some images could not be resized: their reasons are in the resize_error table)"

say "Table 1 (vmind-stats --paper)"
vmind-stats --paper --db "$out/vmind.db" \
	--news "$m/train/news.tsv" --news "$m/dev/news.tsv" \
	--behaviors "$m/train/behaviors.tsv" --behaviors "$m/dev/behaviors.tsv"

# Features: a CLIP checkpoint when VMIND_CLIP_DIR names one; else a small CLIP
# trained here on the training split's (cover, title) pairs for the images,
# with the hash encoder's texts (VMIND_DEMO_ENCODER=hash: the hash encoder
# alone, the non-learned baseline).
if [ -n "${VMIND_CLIP_DIR:-}" ]; then
	encoder="--clip $VMIND_CLIP_DIR"
	say "vlsnr-embed with CLIP from $VMIND_CLIP_DIR"
elif [ "${VMIND_DEMO_ENCODER:-}" = hash ]; then
	encoder="--encoder hash"
	say "vlsnr-embed with the hash encoder (non-learned baseline)"
else
	say "vlsnr-embed train: a small CLIP learned from the covers and titles of the training split"
	vlsnr-embed train --config "$here/model/clip/small-clip.json" --news "$m/train/news.tsv" \
		--images "$out/images" --db "$out/vmind.db" --out "$out/small-clip" --epochs 20
	encoder="--clip $out/small-clip --text-encoder hash --normalize"
	say "vlsnr-embed: images by the small CLIP, texts by the hash encoder, every row of length 1"
fi
erc=0
# shellcheck disable=SC2086
vlsnr-embed news $encoder --news "$m/train/news.tsv" --news "$m/dev/news.tsv" \
	--images "$out/images" --out "$out/features" || erc=$?
[ $erc -le 1 ] || { echo "demo.sh: vlsnr-embed failed (exit $erc)" >&2; exit 2; }
echo "$(wc -l < "$out/features/ids.txt") news embedded; $(wc -l < "$out/features/missing.txt") without an image (white-image feature)"

# The paper's settings (batch 256, lr 1e-4, dropout 0.5) are for MIND-large; on
# the small synthetic data they make too few Adam steps to learn anything, so
# the demo uses the small-data settings of vlsnr-train(1).
say "vlsnr-train ($epochs epochs, batch 64, lr 3e-3 decaying linearly, dropout 0.1)"
if [ -f "$out/model.safetensors" ] && [ -f "$out/model.done" ]; then
	echo "model: reusing $out/model.safetensors"
else
	vlsnr-train --train "$m/train" --dev "$m/dev" --features "$out/features" \
		--out "$out/model.safetensors" --epochs "$epochs" --log "$out/train-log.csv" -j 2 \
		--batch 64 --lr 3e-3 --lr-schedule linear --dropout 0.1 \
		$( [ -f "$out/model.safetensors.opt" ] && echo --resume )
	touch "$out/model.done"
fi

say "vlsnr-eval on dev, and the oracle (the synthetic truth's own click probabilities)"
vlsnr-eval --model "$out/model.safetensors" --features "$out/features" --split "$m/dev" \
	--prediction "$out/prediction.txt" --truth "$out/truth.txt"
vmind-synth --oracle "$m" --split dev

say "vmind-report: the curation report"
vmind-report --db "$out/vmind.db" --images "$out/images" --train-log "$out/train-log.csv" \
	--behaviors "$m/train/behaviors.tsv" --behaviors "$m/dev/behaviors.tsv" \
	--out "$out/report" || [ $? -eq 1 ]

say "done in $(elapsed); everything is in $out"
cat <<EOT
  $m/                 the synthetic MIND (train, dev, truth)
  $out/web/           the simulated web; requests it received: $out/web-requests.log
  $out/vmind.db       provenance database (sqlite3; schema in man/vmind.7)
  $out/crawl/raw/     raw cover images as fetched
  $out/images/        224x224 covers, <newsid>.jpg
  $out/small-clip/    the small CLIP trained on the covers (log.csv: held-out retrieval)
  $out/features/      news features (ids.txt, *.npy)
  $out/model.safetensors, $out/train-log.csv, $out/prediction.txt
  $out/report/index.html   open it in a browser
EOT
