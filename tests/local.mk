# tests/local.mk: the shell tests (tests/tNNNN-*.sh, TAP through
# tap-driver) and their data; the C unit tests keep their rules in
# tests/unit/local.mk. Numbering: t00xx build and docs, t01xx MIND readers
# and vmind-stats, t02xx vmind-synth, t03xx database, t04xx simulated web
# (t040x) and crawler (t045x origin, t046x archive/search/shards), t06xx
# embed, t07xx train/eval, t08xx resize, t09xx report, merge, end to end.
EXTRA_DIST += tests/lib.sh tests/man-examples.sh

SHELL_TESTS = \
	tests/t0001-docs.sh tests/t0002-get-mind.sh tests/t0003-tree.sh tests/t0004-path.sh \
	tests/t0101-stats-counts.sh tests/t0102-malformed.sh tests/t0103-lenient.sh \
	tests/t0104-line-ends.sh tests/t0105-im-mind.sh tests/t0106-vmind-db.sh \
	tests/t0107-formats.sh \
	tests/t0201-synth-determinism.sh tests/t0202-synth-format.sh tests/t0203-synth-oracle.sh \
	tests/t0301-db-schema.sh tests/t0302-db-readonly.sh \
	tests/t0401-web-serve.sh tests/t0402-web-render.sh tests/t0403-web-archive.sh \
	tests/t0404-web-tls.sh tests/t0405-web-cli.sh \
	tests/t0450-crawl-layouts.sh tests/t0451-crawl-faults.sh tests/t0452-crawl-politeness.sh \
	tests/t0453-crawl-safety.sh tests/t0454-crawl-kill.sh tests/t0455-crawl-truth.sh \
	tests/t0456-crawl-cli.sh \
	tests/t0460-crawl-archive.sh tests/t0461-crawl-search.sh tests/t0462-crawl-search-apis.sh \
	tests/t0463-crawl-searx.sh tests/t0464-crawl-precision.sh tests/t0465-crawl-reject.sh \
	tests/t0466-crawl-shard.sh tests/t0467-crawl-archive-parallel.sh \
	tests/t0601-embed.sh tests/t0602-embed-shard.sh tests/t0604-finetune.sh \
	tests/t0701-train.sh tests/t0702-eval.sh tests/t0703-quality.sh \
	tests/t0801-resize.sh tests/t0802-resize-kill.sh tests/t0803-resize-shard.sh \
	tests/t0804-resize-raw.sh \
	tests/t0901-report.sh tests/t0902-report-chromium.sh tests/t0903-merge.sh \
	tests/t0904-merge-crawl.sh tests/t0905-slurm-example.sh tests/t0910-demo.sh \
	tests/t0911-build-vmind.sh tests/t0912-progress.sh
TESTS += $(SHELL_TESTS)
EXTRA_DIST += $(SHELL_TESTS)
CLEANFILES += tests/t0902-report-chromium.png

# Python references (run by hand with Debian's python3-torch, -numpy,
# -sklearn) and the golden files they wrote, which make check compares with.
EXTRA_DIST += \
	tests/reference/clip-ref.py tests/reference/clip-train-ref.py tests/reference/metrics-ref.py \
	tests/reference/train-metrics-ref.py tests/reference/vlsnr-ref.py

# Data and sourced helpers of the shell tests, by area.
EXTRA_DIST += \
	tests/data/reader/make-npy.py tests/data/reader/ids-u7.npy tests/data/reader/ids-v2.npy \
	tests/data/reader/f32-3x4.npy tests/data/reader/f32-fortran.npy tests/data/reader/f64-2x2.npy \
	tests/data/reader/imlist-u7.npy tests/data/reader/imlist.txt \
	tests/data/metrics/random.tsv \
	tests/data/web/serve/routes.tsv \
	tests/data/web/serve/files/hello.html tests/data/web/serve/files/hello.txt \
	tests/data/web/serve/files/other.html tests/data/web/serve/files/q.txt \
	tests/data/web/serve/files/gone.html tests/data/web/serve/files/robots.txt \
	tests/data/web/serve/files/k1.bin \
	tests/data/web/mind/train/news.tsv tests/data/web/mind/dev/news.tsv \
	tests/data/web/mind/truth/news.tsv \
	tests/data/crawl/lib.sh tests/data/crawl/cover.jpg tests/data/crawl/cover.png \
	tests/data/crawl/cover.webp tests/data/crawl/small.png tests/data/crawl/pixel.gif \
	tests/data/embed/strings.txt tests/data/embed/texts.txt tests/data/embed/tokens.txt \
	tests/data/embed/crops.txt tests/data/embed/golden-image.txt tests/data/embed/golden-text.txt \
	tests/data/embed/train-golden.safetensors \
	tests/data/embed/tiny-clip/config.json tests/data/embed/tiny-clip/model.safetensors \
	tests/data/embed/tiny-clip/vocab.json tests/data/embed/tiny-clip/merges.txt \
	tests/data/embed/img/a-square224.png tests/data/embed/img/b-landscape.png \
	tests/data/embed/img/c-portrait-up.png tests/data/embed/img/d-wide.png \
	tests/data/embed/img/e-grey.png tests/data/embed/img/f-alpha.png tests/data/embed/img/g-white.png \
	tests/data/embed/img/h-photo.jpg tests/data/embed/img/i-cmyk.jpg \
	tests/data/train/tiny-vlsnr.safetensors tests/data/train/tiny-selfattn.safetensors \
	tests/data/train/tiny-gru.safetensors tests/data/train/tiny-mean.safetensors \
	tests/data/train/tiny-none.safetensors \
	tests/data/train/metrics-truth.txt tests/data/train/metrics-prediction.txt \
	tests/data/train/metrics-expected.txt \
	tests/data/resize/lib.sh \
	tests/data/report/fixture.sh

include tests/unit/local.mk
