# tests/db.mk: tests of the db part (included by tests/local.mk).
