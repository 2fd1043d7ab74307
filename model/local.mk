# model/local.mk: build rules of model/ (included by the top Makefile.am).
