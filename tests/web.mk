# tests/web.mk: tests of the web part (included by tests/local.mk).
TESTS += tests/t0401-web-serve.sh tests/t0402-web-render.sh tests/t0403-web-archive.sh \
	tests/t0404-web-tls.sh
EXTRA_DIST += tests/t0401-web-serve.sh tests/t0402-web-render.sh tests/t0403-web-archive.sh \
	tests/t0404-web-tls.sh \
	tests/data/web/serve/routes.tsv \
	tests/data/web/serve/files/hello.html tests/data/web/serve/files/hello.txt \
	tests/data/web/serve/files/other.html tests/data/web/serve/files/q.txt \
	tests/data/web/serve/files/gone.html tests/data/web/serve/files/robots.txt \
	tests/data/web/serve/files/k1.bin \
	tests/data/web/mind/train/news.tsv tests/data/web/mind/dev/news.tsv \
	tests/data/web/mind/truth/news.tsv
