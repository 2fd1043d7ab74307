#!/bin/sh
# t0003-tree.sh: the tree is as DEVELOPERS.md describes it. Every path the
# file names in backquotes exists (a name with a slash from the top of the
# tree, a bare file name somewhere in it, a pattern with * or NNNN matching
# at least one file), and no C function outside tests/ and bench/ is longer
# than 120 lines (tests/unit/function-length).
. "$top_srcdir/tests/lib.sh"

cd "$top_srcdir" || exit 1
grep -o '`[^`]*`' DEVELOPERS.md | tr -d '`' | sort -u >"$T/names"
n=0
while IFS= read -r name; do
	case $name in
	*' '*|*'='*|-*|*'('*|'#'*|/*) continue ;;   # commands, options, code, absolute paths
	*/*|*.c|*.h|*.sh|*.md|*.mk|*.ac|*.am|*.sql|*.py|*.1|*.7) ;;
	*) continue ;;
	esac
	n=$((n + 1))
	pattern=$(printf '%s' "${name%/}" | sed 's/NNNN/[0-9][0-9][0-9][0-9]/g')
	case $pattern in
	*/*) found=$(ls -d $pattern "$top_builddir"/$pattern 2>/dev/null | head -1) ;;   # built files: in the build tree
	*) found=$(find . -path ./.git -prune -o -name "$pattern" -print | head -1) ;;
	esac
	[ -n "$found" ]
	ok $? "DEVELOPERS.md names $name, and it exists"
done <"$T/names"
[ "$n" -gt 40 ]
ok $? "DEVELOPERS.md names the tree ($n paths checked)"

find . -path ./tests -prune -o -path ./bench -prune -o -path ./.git -prune -o \
	-name '*.c' -print | sort >"$T/sources"
"$top_builddir/tests/unit/function-length" -n 5 $(cat "$T/sources") >"$T/longest"
rc=$?
ok $rc "no function outside tests/ and bench/ is over 120 lines ($(wc -l <"$T/sources") files)"
sed 's/^/#   /' "$T/longest"

# nothing cites a file outside the repository (the project's notes file,
# which users do not have): outside facts are in doc/external.md
grep -rnI -E 'NOTES[ .]*(section )?[0-9]|shared/NOTES|NOTES\.md' "$top_srcdir" \
	--include='*.c' --include='*.h' --include='*.sh' --include='*.md' --include='*.py' --include='*.1' \
	--include='*.7' --include='*.mk' --include='*.am' --include='*.sql' --exclude-dir=.git >"$T/notes"
is "$(sed "s#^$top_srcdir/##" "$T/notes" | grep -v '^tests/t0003-tree.sh:')" "" "no reference to a notes file outside the repository"
test -s "$top_srcdir/doc/external.md"; ok $? "doc/external.md holds the outside facts"
done_testing
