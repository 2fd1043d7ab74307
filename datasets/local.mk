# datasets/local.mk: build rules of datasets/ (included by the top Makefile.am).
