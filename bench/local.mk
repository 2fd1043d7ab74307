# bench/local.mk: the benchmark scripts (run by hand, never by make check;
# results go to bench/RESULTS.md and bench/quality.md).
EXTRA_DIST += bench/RESULTS.md bench/quality.md \
	bench/crawl.sh bench/tiers.sh bench/resize.sh bench/resize-pillow.py \
	bench/embed.sh bench/finetune.sh bench/fig7.sh bench/train.sh bench/table1.sh bench/quality-bound.py \
	bench/dupes.sh
