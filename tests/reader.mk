# tests/reader.mk: tests of the reader part (included by tests/local.mk).
