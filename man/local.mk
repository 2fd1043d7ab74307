# man/local.mk: the overview page; each tool's page is listed in its own
# fragment beside its rules. tests/t0001-docs.sh keeps each page in step with
# its tool's --help and runs the EXAMPLES sections.
dist_man_MANS += man/vmind.7
