# bench/local.mk: build rules of bench/ (included by the top Makefile.am).
