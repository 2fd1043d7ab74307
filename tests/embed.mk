# tests/embed.mk: tests of the embed part (included by tests/local.mk).
