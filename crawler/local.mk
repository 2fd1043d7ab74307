# crawler/local.mk: build rules of crawler/ (included by the top Makefile.am).
