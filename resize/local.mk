# resize/local.mk: build rules of resize/ (included by the top Makefile.am).
