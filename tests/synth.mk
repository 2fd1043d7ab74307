# tests/synth.mk: tests of the synth part (included by tests/local.mk).
