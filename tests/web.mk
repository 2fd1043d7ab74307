# tests/web.mk: tests of the web part (included by tests/local.mk).
