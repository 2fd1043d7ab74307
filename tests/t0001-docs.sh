#!/bin/sh
# t0001-docs.sh: every tool's man page and its --help name the same long
# options, every tool answers -h and --version, and every command in a man
# page's EXAMPLES section runs and exits 0. Convention: inside .EX/.EE in
# the EXAMPLES section, a line starting with "$ " is a command; the commands
# of one page run in order in one fresh directory, so later examples can use
# what earlier ones wrote.
. "$top_srcdir/tests/lib.sh"

for page in "$top_srcdir"/man/*.1; do
	tool=$(basename "$page" .1)
	if ! command -v "$tool" >/dev/null 2>&1; then
		ok 1 "$tool: built"; continue
	fi
	"$tool" --help >"$T/help" 2>&1
	ok $? "$tool --help exits 0"
	"$tool" -h >"$T/h" 2>&1
	ok $? "$tool -h exits 0"
	check "$tool -h is --help" cmp "$T/h" "$T/help"
	v=$("$tool" --version 2>&1)
	ok $? "$tool --version exits 0"
	echo "$v" | grep -qx "$tool [0-9][0-9.]*"
	ok $? "$tool --version prints the name and version on one line ($v)"
	grep -o -- '--[a-z][a-z0-9-]*' "$T/help" | sort -u >"$T/help.opts"
	# options the page documents: \-\-name in roff, in any section
	sed 's/\\-/-/g' "$page" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$T/man.opts"
	missing=$(comm -23 "$T/help.opts" "$T/man.opts" | tr '\n' ' ')
	is "$missing" "" "$tool: every --help option is in man/$tool.1"
	# the options the OPTIONS section defines (the tag line after each .TP)
	# must all be in --help
	sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$page" |
		awk 'tag { print; tag = 0 } /^\.TP/ { tag = 1 }' | sed 's/\\-/-/g' |
		grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$T/man.optsec"
	extra=$(comm -13 "$T/help.opts" "$T/man.optsec" | tr '\n' ' ')
	is "$extra" "" "$tool: every option of man/$tool.1 OPTIONS is in --help"
done

for page in "$top_srcdir"/man/*.1 "$top_srcdir"/man/*.7; do
	name=$(basename "$page")
	sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$page" |
		sed -n '/^\.EX/,/^\.EE/p' | sed -n 's/^\$ //p' |
		sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\(aq/'"'"'/g' >"$T/examples"
	n=$(wc -l <"$T/examples")
	if [ "$n" -eq 0 ]; then
		ok 1 "$name has runnable EXAMPLES"; continue
	fi
	dir="$T/ex-$name"; mkdir -p "$dir"
	i=0
	while IFS= read -r cmd; do
		i=$((i + 1))
		(cd "$dir" && sh -c "$cmd") >"$T/ex.out" 2>&1 </dev/null
		rc=$?
		ok $rc "$name example $i: $cmd"
		[ $rc -eq 0 ] || sed 's/^/#   /' "$T/ex.out" | head -20
	done <"$T/examples"
done
done_testing
