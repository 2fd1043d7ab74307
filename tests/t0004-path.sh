#!/bin/sh
# t0004-path.sh: `./quickstart.sh path` prints the shell line that puts
# every installed tool's build folder on PATH (the README's commands then
# find them by name), and nothing else; quickstart.sh tells how to install
# or to use that line when its job ends. `make install` itself is checked
# by `make distcheck` (installcheck-local in Makefile.am).
. "$top_srcdir/tests/lib.sh"
Q="$top_srcdir/quickstart.sh"

exits 0 "quickstart.sh path exits 0" sh "$Q" path
is "$(wc -l <"$T/out" | tr -d ' ')" 1 "one line"
grep -q '^export PATH="' "$T/out"; ok $? "an export PATH line"
line=$(cat "$T/out")
top=$(cd "$top_srcdir" && pwd)   # as quickstart.sh names its folder
for page in "$top_srcdir"/man/*.1; do
	tool=$(basename "$page" .1)
	dir=$(grep -l "bin_PROGRAMS += .*/$tool\\b" "$top_srcdir"/*/local.mk "$top_srcdir"/*/*/local.mk | head -1)
	dir=$(grep -o "[a-z/]*/$tool\\b" "$dir" | head -1)
	case $line in
	*"$top/${dir%/*}:"*) ok 0 "$tool's folder ${dir%/*} is on that PATH" ;;
	*) ok 1 "$tool's folder ${dir%/*} is on that PATH" ;;
	esac
done
grep -q 'eval "\\$(./quickstart.sh path)"' "$Q"; ok $? "quickstart.sh's closing message shows the line"
grep -q 'make install' "$Q"; ok $? "... and make install"
grep -q 'eval "$(./quickstart.sh path)"' "$top_srcdir/README.md"; ok $? "README.md says how to put the tools on PATH"
done_testing
