# tests/resize.mk: tests of the resize part (included by tests/local.mk).
