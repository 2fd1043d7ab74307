#!/bin/sh
# t0001-docs.sh: every tool's man page and its --help name the same long
# options, every tool answers -h and --version, and every command in a man
# page's EXAMPLES section runs, exits 0 and prints what the page shows
# (tests/man-examples.sh); every page has the same footer.
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

# One footer on every page: the same date, "vmind VERSION" (the version
# the tools print) and "vmind manual"; the header names the page.
ver=$(vmind-crawl --version | sed 's/^vmind-crawl //')
dates=""
for page in "$top_srcdir"/man/*.1 "$top_srcdir"/man/*.7; do
	name=$(basename "$page")
	th=$(grep '^\.TH ' "$page" | sed 's/\\-/-/g')
	up=$(echo "${name%.*}" | tr a-z A-Z)
	echo "$th" | grep -qx "\.TH $up ${name##*.} [0-9-]* \"vmind $ver\" \"vmind manual\""
	ok $? "$name: .TH $up ${name##*.} DATE \"vmind $ver\" \"vmind manual\" ($th)"
	dates="$dates$(echo "$th" | awk '{ print $4 }')
"
done
is "$(printf '%s' "$dates" | sort -u | wc -l | tr -d ' ')" 1 "every page has the same date"

# Each page's EXAMPLES run, and print what the page shows
# (tests/man-examples.sh has the convention).
for page in "$top_srcdir"/man/*.1 "$top_srcdir"/man/*.7; do
	name=$(basename "$page")
	if ! grep -q '^\$ ' "$page"; then
		ok 1 "$name has runnable EXAMPLES"; continue
	fi
	sh "$top_srcdir/tests/man-examples.sh" "$page" "$T/ex-$name" >"$T/ex.tap"
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok 0 "${line#ok - }" ;;
		"not ok - "*) ok 1 "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$T/ex.tap"
done
done_testing
