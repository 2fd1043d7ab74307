# man/local.mk: the man pages; tests/t0001-docs.sh keeps each in step with
# its tool's --help, and runs the EXAMPLES sections.
dist_man_MANS += man/vmind.7 man/vmind-synth.1 man/vmind-stats.1
