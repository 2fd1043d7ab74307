#!/bin/sh
# bench/train.sh: training samples/s of vlsnr-train against the PyTorch
# reference (tests/reference/vlsnr-ref.py bench) on the same vmind-synth data,
# same model size, batch, history, negatives and threads; and evaluation
# candidates/s of vlsnr-eval. A sample is one click with its K non-clicks.
#
#   bench/train.sh [BUILDDIR]            speed (default BUILDDIR: .)
#   bench/train.sh --quality [BUILDDIR]  dev AUC of the full model and every
#       ablation (user encoders, field subsets, image ratios) against the
#       oracle of the synthetic click model, as a markdown table laid out like
#       the paper's Table 3 / Figure 5 / Figure 6, with the oracle and
#       text-only oracle rows and each row's share of the oracle's gain over
#       chance. Environment: PRESET (medium), SEEDS ("1 2 3"), EPOCHS (2),
#       QDIM (64), QHISTORY (50), QBATCH (64), QLR (3e-3), QSCHED (constant:
#       --lr-schedule), QDROPOUT (0.1) --
#       the small-data settings of vlsnr-train(1), see bench/quality.md --
#       SETS (the rows, by key: full category subcategory title text
#       titleimage image none mean gru selfattn ratio0 ratio0.3 ratio0.7);
#       QMIND=DIR and QFEATURES=DIR use an existing vmind-synth dataset and
#       features directory (e.g. the hash-encoder features demo.sh writes)
#       instead of generating PRESET with --synth-features; QJOBS (1) runs
#       at a time (each one thread); SEEDS1 (SEEDS) the seeds of the rows
#       other than full, text and none; QOUT=DIR keeps the runs' models and
#       metrics there, and a rerun with the same QOUT skips finished runs.
#       With scikit-learn for /usr/bin/python3, the table also has the rows
#       of bench/quality-bound.py: what learners with perfect item knowledge
#       reach (the ceiling to read the model's share against); QBOUND=0
#       leaves them out (bench/fig7.sh, which calls this once a feature set).
#
# Environment: NEWS (2000), USERS (1000), IMPRESSIONS (3000), BATCH (256), HISTORY (50),
# NEGATIVES (3), DIM (128), THREADS (1), STEPS (5, PyTorch steps timed after a
# warm-up step). The C figure is a whole epoch (all samples of the split,
# shuffled), as vlsnr-train reports it. Needs /usr/bin/python3 with
# python3-torch and python3-numpy for the peer; without them only the C
# figures are printed.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
# a quality row by key: its vlsnr-train options ($args) and table name ($name)
set_info() {
	case $1 in
	full) args= name="full (vlsnr, all fields)" ;;
	category|subcategory|title|image) args="--fields $1" name="fields: $1" ;;
	text) args="--fields title,category,subcategory" name="fields: title+category+subcategory" ;;
	titleimage) args="--fields title,image" name="fields: title+image" ;;
	none|mean|gru|selfattn) args="--user-encoder $1" name="user encoder: $1" ;;
	ratio*) args="--image-ratio ${1#ratio}" name="image ratio ${1#ratio}" ;;
	*) echo "bench/train.sh: unknown set $1" >&2; exit 2 ;;
	esac
}
# one quality run: SET SEED -> $QOUT/SET.SEED.json (vlsnr-eval's metrics)
if [ "${1:-}" = --quality-run ]; then
	set=$2 seed=$3
	set_info "$set"
	st="$QOUT/$set.$seed.st"
	# shellcheck disable=SC2086
	vlsnr-train --train "$QMIND/train" --features "$QFEATS" --out "$st" --epochs "$EPOCHS" \
		--dim "$QDIM" --history "$QHISTORY" --batch "$QBATCH" --lr "$QLR" --lr-schedule "$QSCHED" \
		--dropout "$QDROPOUT" --seed "$seed" -q $args || exit 1
	vlsnr-eval --model "$st" --features "$QFEATS" --split "$QMIND/dev" \
		--prediction "$QOUT/$set.$seed.pred" --format json >"$QOUT/$set.$seed.json.tmp" || exit 1
	mv "$QOUT/$set.$seed.json.tmp" "$QOUT/$set.$seed.json"
	rm -f "$st.opt" "$QOUT/$set.$seed.pred"
	exit 0
fi

quality=0
if [ "${1:-}" = --quality ]; then quality=1; shift; fi
build=$(cd "${1:-.}" && pwd)
PATH="$build/vmind/synth:$build/vmind/stats:$build/vmind/report:$build/vmind/merge:$build/crawler/crawl:$build/crawler/web:$build/resize:$build/model/clip:$build/model/vlsnr:$PATH"
NEWS=${NEWS:-2000} USERS=${USERS:-1000} IMPRESSIONS=${IMPRESSIONS:-3000} BATCH=${BATCH:-256} HISTORY=${HISTORY:-50}
NEGATIVES=${NEGATIVES:-3} DIM=${DIM:-128} THREADS=${THREADS:-1} STEPS=${STEPS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-train.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ $quality = 1 ]; then
	PRESET=${PRESET:-medium} SEEDS=${SEEDS:-1 2 3} EPOCHS=${EPOCHS:-2} QDIM=${QDIM:-64}
	QHISTORY=${QHISTORY:-50} QBATCH=${QBATCH:-64} QLR=${QLR:-3e-3} QDROPOUT=${QDROPOUT:-0.1}
	QJOBS=${QJOBS:-1} QSCHED=${QSCHED:-constant}
	SETS=${SETS:-full category subcategory title text titleimage none mean gru selfattn ratio0 ratio0.3 ratio0.7}
	# SEEDS1: seeds of the rows other than full, text and none (default: SEEDS)
	SEEDS1=${SEEDS1:-$SEEDS}
	if [ -n "${QMIND:-}" ]; then mind=$QMIND; else
		vmind-synth --preset "$PRESET" --out "$tmp/mind" -q; mind=$tmp/mind; fi
	if [ -n "${QFEATURES:-}" ]; then feats=$QFEATURES; ftext="features $QFEATURES"; else
		vlsnr-train --synth-features "$mind" --features "$tmp/feats"; feats=$tmp/feats; ftext="--synth-features"; fi
	# QOUT: where the runs' models and metrics are kept (a temporary directory
	# unless given; an existing QOUT's finished runs are not run again)
	out=${QOUT:-$tmp/runs}
	mkdir -p "$out"
	oracle=$(vmind-synth --oracle "$mind" --format json)
	oauc=$(echo "$oracle" | sed 's/.*"oracle":{"auc":\([0-9.]*\).*/\1/')
	tauc=$(echo "$oracle" | sed 's/.*"text_only":{"auc":\([0-9.]*\).*/\1/')
	echo "data: $mind ($([ -n "${QMIND:-}" ] && echo given || echo "vmind-synth $PRESET")), $ftext; dim $QDIM, history $QHISTORY, batch $QBATCH, lr $QLR ($QSCHED), dropout $QDROPOUT, $EPOCHS epochs, seeds $SEEDS (other rows: $SEEDS1), $QJOBS runs at a time"
	echo "oracle (true click probabilities): $oracle"
	seeds_of() { case $1 in full|text|none) echo "$SEEDS" ;; *) echo "$SEEDS1" ;; esac; }
	for set in $SETS; do
		for seed in $(seeds_of "$set"); do
			[ -f "$out/$set.$seed.json" ] || echo "$set $seed"
		done
	done | QMIND=$mind QFEATS=$feats QOUT=$out EPOCHS=$EPOCHS QDIM=$QDIM QHISTORY=$QHISTORY QBATCH=$QBATCH \
		QLR=$QLR QSCHED=$QSCHED QDROPOUT=$QDROPOUT PATH=$PATH xargs -P "$QJOBS" -L 1 sh "$0" --quality-run
	echo
	echo "| setting | dev AUC (mean over seeds) | share of the oracle's gain | per seed | MRR | nDCG@5 | nDCG@10 |"
	echo "|---|---|---|---|---|---|---|"
	printf '| oracle (truth p) | %.4f | 100%% | | | | |\n' "$oauc"
	printf '| text-only oracle (truth q) | %.4f | %.0f%% | | | | |\n' "$tauc" "$(echo "100 * ($tauc - 0.5) / ($oauc - 0.5)" | bc -l)"
	# hand-made reference learners, some with perfect item knowledge
	# (bench/quality-bound.py): the ceiling to read the shares against
	if [ "${QBOUND:-1}" != 0 ] && /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
		/usr/bin/python3 "$here/bench/quality-bound.py" "$mind" |
			sed -n 's/^| \(logistic\|boosted\)\(.*\)|$/| reference learner: \1\2| | | | |/p'
	fi
	key() { sed -n "s/.*\"$1\": *\([0-9.]*\).*/\1/p" "$2"; }
	for set in $SETS; do
		set_info "$set"
		aucs="" sum=0 n=0 m=0 n5=0 n10=0
		for seed in $(seeds_of "$set"); do
			f="$out/$set.$seed.json"
			[ -f "$f" ] || { echo "| $name | failed (seed $seed) | | | | | |"; continue 2; }
			a=$(key auc "$f")
			aucs="$aucs $(printf %.4f "$a")"
			sum=$(echo "$sum + $a" | bc -l); n=$((n + 1))
			m=$(echo "$m + $(key mrr "$f")" | bc -l)
			n5=$(echo "$n5 + $(key ndcg5 "$f")" | bc -l)
			n10=$(echo "$n10 + $(key ndcg10 "$f")" | bc -l)
		done
		mean=$(echo "$sum / $n" | bc -l)
		printf '| %s | %.4f | %.0f%% |%s | %.4f | %.4f | %.4f |\n' "$name" "$mean" \
			"$(echo "100 * ($mean - 0.5) / ($oauc - 0.5)" | bc -l)" "$aucs" \
			"$(echo "$m / $n" | bc -l)" "$(echo "$n5 / $n" | bc -l)" "$(echo "$n10 / $n" | bc -l)"
	done
	exit 0
fi

vmind-synth --preset small --news "$NEWS" --users "$USERS" --impressions "$IMPRESSIONS" --out "$tmp/mind" -q
vlsnr-train --synth-features "$tmp/mind" --features "$tmp/feats"
echo "data: vmind-synth small, $NEWS news, $IMPRESSIONS impressions; batch $BATCH, history $HISTORY, $NEGATIVES negatives, 512-d fields, dim $DIM, $THREADS thread(s)"

vlsnr-train --train "$tmp/mind/train" --features "$tmp/feats" --out "$tmp/m.st" --epochs 1 \
	--batch "$BATCH" --history "$HISTORY" --negatives "$NEGATIVES" --dim "$DIM" -j "$THREADS" 2>"$tmp/train.err"
c_sps=$(sed -n 's/.* samples in .*(\([0-9.]*\)\/s).*/\1/p' "$tmp/train.err")
echo "vlsnr-train: $c_sps samples/s ($(sed -n 's/.*epoch 1\/1: loss [0-9.]*, \(.*\)/\1/p' "$tmp/train.err"))"

cands=$(awk -F '\t' '{ n += split($5, a, " ") } END { print n }' "$tmp/mind/dev/behaviors.tsv")
t0=$(date +%s.%N)
vlsnr-eval --model "$tmp/m.st" --features "$tmp/feats" --split "$tmp/mind/dev" --prediction "$tmp/p.txt" -j "$THREADS" >/dev/null
t1=$(date +%s.%N)
echo "vlsnr-eval: $cands candidates in $(echo "$t1 - $t0" | bc) s: $(echo "$cands / ($t1 - $t0)" | bc) candidates/s (loading included)"

if /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
	py=$(/usr/bin/python3 "$here/tests/reference/vlsnr-ref.py" bench --train "$tmp/mind/train" \
		--features "$tmp/feats" --batch "$BATCH" --history "$HISTORY" --negatives "$NEGATIVES" \
		--dim "$DIM" --threads "$THREADS" --steps "$STEPS")
	echo "pytorch: $py"
	p_sps=$(echo "$py" | sed -n 's/.*"samples_per_s": \([0-9.]*\).*/\1/p')
	echo "ratio vlsnr-train / pytorch: $(echo "scale=2; $c_sps / $p_sps" | bc)"
else
	echo "pytorch: not installed (python3-torch), no ratio"
fi
