#!/bin/sh
# datasets/slurm-array.sh: an example of running the vmind pipeline over a
# Slurm job array. Each array task crawls, resizes and embeds one shard of the
# news items (the items whose id hashes to it, see vmind-crawl --shard); a
# last job, started when every task has ended well, merges the shards'
# databases with vmind-merge and their features with vlsnr-embed merge.
#
#   VMIND_MIND=/data/MIND VMIND_WORK=/shared/vmind VMIND_CLIP=/models/clip \
#       sh datasets/slurm-array.sh submit     # submits both jobs (sbatch)
#   sbatch --array=0-3 datasets/slurm-array.sh shard    # by hand: the array
#   sbatch --dependency=afterok:JOBID datasets/slurm-array.sh merge
#
# Settings (environment; exported to the jobs by sbatch):
#   VMIND_MIND     the MIND folder in get-mind.sh's layout (required):
#                  VMIND_MIND/MIND{large,small,demo}_{train,dev[,test]}/news.tsv
#   VMIND_WORK     a directory every node sees (required); the layout:
#                    shard-I/crawl.db, shard-I/raw/   task I's crawl
#                    images/N*.jpg                    every shard's resized covers
#                    features-I/                      task I's embeddings
#                    vmind.db, raw/, features/        the merge job's results
#   VMIND_SHARDS   the number of shards = array tasks (default 4)
#   VMIND_CLIP     a CLIP checkpoint folder; without it, --encoder hash
#   VMIND_CRAWL_OPTS, VMIND_RESIZE_OPTS, VMIND_EMBED_OPTS
#                  more options of vmind-crawl, vmind-resize, vlsnr-embed news
#
# The task's shard comes from SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN);
# every tool is given --shards VMIND_SHARDS so that a throttled array
# (--array=0-3%2) still counts its shards right. On Kubernetes, run the shard
# step as an Indexed Job: JOB_COMPLETION_INDEX gives the shard instead.
# A task that fails (exit 2) or is killed can simply be run again: every
# step resumes where it stopped. Exit 1 of a step (some items failed, the
# rest done) does not stop the task: the failures are recorded.
#SBATCH --job-name=vmind
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=12:00:00
#SBATCH --output=vmind-%A_%a.out

set -u
: "${VMIND_MIND:?set VMIND_MIND to the MIND folder}" "${VMIND_WORK:?set VMIND_WORK to a shared directory}"
N=${VMIND_SHARDS:-4}
# find_news: NEWS = the news files of every split, in get-mind.sh's layout
find_news() {
	NEWS=""
	for s in large small demo; do
		[ -f "$VMIND_MIND/MIND${s}_train/news.tsv" ] || continue
		for p in train dev test; do
			[ -f "$VMIND_MIND/MIND${s}_$p/news.tsv" ] && NEWS="$NEWS $VMIND_MIND/MIND${s}_$p/news.tsv"
		done
		break
	done
	[ -n "$NEWS" ] || { echo "$0: $VMIND_MIND: no MIND{large,small,demo}_train/news.tsv (get-mind.sh's layout)" >&2; exit 2; }
}
if [ -n "${VMIND_CLIP:-}" ]; then ENC="--clip $VMIND_CLIP"; else ENC="--encoder hash"; fi
CPUS=${SLURM_CPUS_PER_TASK:-4}

# step NAME CMD...: run CMD; exit 0 and 1 go on, anything else ends the job
step() {
	_name=$1; shift
	echo "$(date -u +%FT%TZ) $_name: $*" >&2
	"$@"
	_rc=$?
	[ $_rc -le 1 ] || { echo "$_name failed (exit $_rc)" >&2; exit $_rc; }
	[ $_rc -eq 0 ] || echo "$_name: some items failed (exit 1), going on" >&2
}

case "${1:-}" in
submit)
	jid=$(sbatch --parsable --array=0-$((N - 1)) "$0" shard) || exit 2
	jid=${jid%%;*}
	sbatch --parsable --dependency=afterok:"$jid" "$0" merge || exit 2
	;;
shard)
	find_news
	I=${SLURM_ARRAY_TASK_ID:-${JOB_COMPLETION_INDEX:?not an array task: set SLURM_ARRAY_TASK_ID}}
	I=$((I - ${SLURM_ARRAY_TASK_MIN:-0}))
	S="$VMIND_WORK/shard-$I"
	mkdir -p "$S" "$VMIND_WORK/images" || exit 2
	# crawl: only this shard's items go into shard-I/crawl.db
	step crawl vmind-crawl -q --shards "$N" --db "$S/crawl.db" --out "$S" ${VMIND_CRAWL_OPTS:-} $NEWS
	# resize into the one shared directory (shards share its lock)
	step resize vmind-resize -q --shards "$N" --db "$S/crawl.db" --out "$VMIND_WORK/images" -j "$CPUS" \
		${VMIND_RESIZE_OPTS:-}
	# embed this shard's items into a directory of its own
	step embed vlsnr-embed news $ENC --shards "$N" $(for f in $NEWS; do printf ' --news %s' "$f"; done) \
		--images "$VMIND_WORK/images" --out "$VMIND_WORK/features-$I" -j "$CPUS" ${VMIND_EMBED_OPTS:-}
	;;
merge)
	find_news
	W=$VMIND_WORK
	dbs="" feats=""
	i=0
	while [ $i -lt "$N" ]; do
		dbs="$dbs $W/shard-$i/crawl.db" feats="$feats $W/features-$i"
		i=$((i + 1))
	done
	# the shards' raw files side by side (ids differ), so that raw/ beside
	# vmind.db holds every image.raw_path of the merged database
	mkdir -p "$W/raw" || exit 2
	for d in $(echo "$dbs" | sed 's#/crawl\.db##g'); do
		[ -d "$d/raw" ] || continue
		for f in "$d"/raw/*; do
			[ -f "$f" ] || continue
			ln -f "$f" "$W/raw/" 2>/dev/null || cp -f "$f" "$W/raw/" || exit 2
		done
	done
	step merge vmind-merge -q "$W/vmind.db" $dbs
	# one features folder, in the order of the news files (as one run)
	step features vlsnr-embed merge --out "$W/features" \
		$(for f in $NEWS; do printf ' --news %s' "$f"; done) $feats
	;;
*)
	echo "usage: $0 submit | shard | merge (see the comment at the top)" >&2
	exit 2
	;;
esac
