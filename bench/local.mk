# bench/local.mk: build rules of bench/ (included by the top Makefile.am).
# The scripts are run by hand (never by make check); results go to
# bench/RESULTS.md.
EXTRA_DIST += bench/table1.sh
EXTRA_DIST += bench/quality.md
EXTRA_DIST += bench/quality-bound.py
