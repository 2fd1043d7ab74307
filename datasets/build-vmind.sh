#!/bin/sh
# datasets/build-vmind.sh: the real-data path of datasets/README.md as one
# script, from MIND's files in get-mind.sh's layout to V-MIND, Table 1, a
# trained VLSNR model, its dev metrics and a leaderboard submission:
#
#   datasets/build-vmind.sh [options] MINDDIR OUTDIR
#
# MINDDIR holds MIND{large,small,demo}_{train,dev[,test]}/ as get-mind.sh
# unpacks them. The steps, each one resumable (run the script again after a
# kill, a reboot or a failed step: every tool goes on where it stopped and a
# finished step costs seconds):
#   crawl    vmind-crawl    OUTDIR/vmind.db, OUTDIR/crawl/raw/
#   resize   vmind-resize   OUTDIR/images/<id>.jpg (224x224)
#   table1   vmind-stats    OUTDIR/table1.txt
#   embed    vlsnr-embed    OUTDIR/features/
#   train    vlsnr-train    OUTDIR/model.safetensors, OUTDIR/train-log.csv
#   dev      vlsnr-eval     OUTDIR/dev-metrics.txt (and dev prediction/truth)
#   test     vlsnr-eval     OUTDIR/submission.zip holding prediction.txt (when
#                           MIND{size}_test/ is there: MIND-large only)
#   report   vmind-report   OUTDIR/report/index.html
# OUTDIR/times.txt gets the seconds each step took.
#
# Options:
#   --archive URL      the web archive (default https://web.archive.org)
#   --no-archive       no archive tier
#   --search BACKEND   searx:URL, google-cse or brave (repeatable; keys from
#                      the environment, see vmind-crawl(1))
#   --clip DIR         a CLIP ViT-B/32 checkpoint folder for vlsnr-embed
#                      (without it: the hash encoder, a non-learned stand-in)
#   --im-mind FILE     the IM-MIND image list, for Table 1's IM-MIND row
#   --epochs N         training epochs (default 3)
#   --train-opts "..." more vlsnr-train options (the recommended settings
#                      for MIND-small and MIND-large are in vlsnr-train(1))
# Environment: VMIND_CRAWL_OPTS, VMIND_RESIZE_OPTS, VMIND_EMBED_OPTS: more
# options of those tools (e.g. --connect-to for a simulated web).
# Exit status: 0 done; 1 done, but some items failed in a step (recorded in
# the database or missing.txt); 2 a usage or input error, or a step failed.
set -u
archive="--archive https://web.archive.org" search="" clip="" immind="" epochs=3 train_opts=""
usage() { sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--archive) [ $# -ge 2 ] || usage; archive="--archive $2"; shift 2 ;;
	--no-archive) archive="--no-archive"; shift ;;
	--search) [ $# -ge 2 ] || usage; search="$search --search $2"; shift 2 ;;
	--clip) [ $# -ge 2 ] || usage; clip=$2; shift 2 ;;
	--im-mind) [ $# -ge 2 ] || usage; immind=$2; shift 2 ;;
	--epochs) [ $# -ge 2 ] || usage; epochs=$2; shift 2 ;;
	--train-opts) [ $# -ge 2 ] || usage; train_opts=$2; shift 2 ;;
	-h|--help) sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "build-vmind.sh: unknown option '$1'" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || usage
M=$1 O=$2

# ---- the MIND files, in get-mind.sh's layout
size=""
for s in large small demo; do
	[ -f "$M/MIND${s}_train/behaviors.tsv" ] && { size=$s; break; }
done
[ -n "$size" ] || { echo "build-vmind.sh: $M: no MIND{large,small,demo}_train/behaviors.tsv (get-mind.sh's layout)" >&2; exit 2; }
TR=$M/MIND${size}_train DV=$M/MIND${size}_dev TE=$M/MIND${size}_test
for f in "$TR/news.tsv" "$DV/news.tsv" "$DV/behaviors.tsv"; do
	[ -f "$f" ] || { echo "build-vmind.sh: $f: missing" >&2; exit 2; }
done
[ -f "$TE/behaviors.tsv" ] && [ -f "$TE/news.tsv" ] || TE=""
NEWS="$TR/news.tsv $DV/news.tsv${TE:+ $TE/news.tsv}"
mkdir -p "$O" || exit 2
status=0

# step NAME CMD...: run CMD, timed into OUTDIR/times.txt; exit 1 of a tool
# (some items failed, the rest done) goes on, anything else stops here
step() {
	_name=$1; shift
	printf '\n== %s: %s\n' "$_name" "$*" >&2
	_t0=$(date +%s)
	"$@"
	_rc=$?
	echo "$_name $(($(date +%s) - _t0))" >>"$O/times.txt"
	case $_rc in
	0) ;;
	1) echo "build-vmind.sh: $_name: some items failed (recorded); going on" >&2; status=1 ;;
	*) echo "build-vmind.sh: $_name failed (exit $_rc); fix it and run again: finished steps are kept" >&2; exit 2 ;;
	esac
}

# shellcheck disable=SC2086
step crawl vmind-crawl --db "$O/vmind.db" --out "$O/crawl" $archive $search ${VMIND_CRAWL_OPTS:-} $NEWS
# shellcheck disable=SC2086
step resize vmind-resize --db "$O/vmind.db" --out "$O/images" ${VMIND_RESIZE_OPTS:-}
table1() {
	# shellcheck disable=SC2086
	vmind-stats --paper --db "$O/vmind.db" --news "$TR/news.tsv" --news "$DV/news.tsv" \
		--behaviors "$TR/behaviors.tsv" --behaviors "$DV/behaviors.tsv" ${immind:+--im-mind "$immind"} \
		>"$O/table1.txt.tmp" && mv "$O/table1.txt.tmp" "$O/table1.txt" && cat "$O/table1.txt"
}
step table1 table1
if [ -n "$clip" ]; then enc="--clip $clip"; else enc="--encoder hash"; fi
# shellcheck disable=SC2086
step embed vlsnr-embed news $enc $(for f in $NEWS; do printf ' --news %s' "$f"; done) \
	--images "$O/images" --out "$O/features" ${VMIND_EMBED_OPTS:-}
# shellcheck disable=SC2086
step train vlsnr-train --train "$TR" --dev "$DV" --features "$O/features" --out "$O/model.safetensors" \
	--log "$O/train-log.csv" --epochs "$epochs" --resume $train_opts
dev() {
	vlsnr-eval --model "$O/model.safetensors" --features "$O/features" --split "$DV" \
		--prediction "$O/dev-prediction.txt" --truth "$O/dev-truth.txt" >"$O/dev-metrics.txt.tmp" &&
		mv "$O/dev-metrics.txt.tmp" "$O/dev-metrics.txt" && cat "$O/dev-metrics.txt"
}
step dev dev
# the leaderboard's file: a zip holding prediction.txt, one line per test
# impression in the file's order, "ImpressionID [r1,r2,...]"
submission() {
	mkdir -p "$O/submission" &&
		vlsnr-eval --model "$O/model.safetensors" --features "$O/features" --split "$TE" \
			--prediction "$O/submission/prediction.txt" || return $?
	rm -f "$O/submission.zip.tmp"
	if command -v zip >/dev/null 2>&1; then
		(cd "$O/submission" && zip -q -X ../submission.zip.tmp prediction.txt)
	else
		(cd "$O/submission" && python3 -m zipfile -c ../submission.zip.tmp prediction.txt)
	fi && mv "$O/submission.zip.tmp" "$O/submission.zip" && echo "$O/submission.zip: prediction.txt"
}
if [ -n "$TE" ]; then step test submission; else echo "(no MIND${size}_test/: no submission)" >&2; fi
# shellcheck disable=SC2086
step report vmind-report --db "$O/vmind.db" --images "$O/images" --train-log "$O/train-log.csv" \
	--behaviors "$TR/behaviors.tsv" --behaviors "$DV/behaviors.tsv" --out "$O/report"
printf '\nbuild-vmind.sh: done; seconds per step in %s/times.txt\n' "$O" >&2
exit $status
