#!/bin/sh
# tests/man-examples.sh: runs the EXAMPLES of a man page and compares what
# each command prints with what the page shows, as jq runs its manual's
# examples. Convention, inside .EX/.EE of the page's EXAMPLES section: a line
# "$ COMMAND" is a command; the lines after it, up to the next command or
# .EE, are its standard output exactly as printed (roff escapes \-, \e,
# \(aq, \(dq and \& are undone first). For output that differs between runs
# (timings, paths, dates), a line "..." stands for any number of lines, and
# a line ending in "..." for any line that starts with what comes before
# the dots. A command followed by no line must print nothing. The commands of one page run in
# order in one fresh directory with sh, so later ones use what earlier ones
# wrote; each must exit 0.
#
#   tests/man-examples.sh PAGE DIR           run; TAP lines on stdout, one a
#                                            command; exit 1 when one failed
#   tests/man-examples.sh --update PAGE DIR  run, and write the printed output
#                                            into PAGE (a command whose shown
#                                            output has a line ending in "..."
#                                            is kept as it is)
#
# t0001-docs.sh runs every page through it under make check, with the built
# tools on PATH; a maintainer runs --update after changing an example and
# reads the diff.
set -u
update=0
if [ "${1:-}" = --update ]; then update=1; shift; fi
[ $# -eq 2 ] || { echo "usage: tests/man-examples.sh [--update] PAGE DIR" >&2; exit 2; }
page=$1 dir=$2
name=$(basename "$page")
mkdir -p "$dir/run" "$dir/ex" || exit 2

# Cut the page's examples into ex/cmd.N and ex/want.N (roff text).
awk -v d="$dir/ex" '
	/^\.SH / { inex = ($0 ~ /^\.SH EXAMPLES/); inblk = 0; next }
	inex && /^\.EX/ { inblk = 1; next }
	inex && /^\.EE/ { inblk = 0; next }
	inblk && /^\$ / { n++; print substr($0, 3) > (d "/cmd." n); printf "" > (d "/want." n); next }
	inblk && n { print > (d "/want." n) }
	END { print n + 0 > (d "/count") }
' "$page" || exit 2
count=$(cat "$dir/ex/count")

unroff() {
	sed -e 's/\\-/-/g' -e 's/\\(aq/'"'"'/g' -e 's/\\(dq/"/g' -e 's/\\&//g' -e 's/\\e/\\/g' "$1"
}

# 0 when the lines of $2 match the pattern lines of $1 ("..." = any lines).
matches() {
	awk -v want="$1" '
		function same(pat, line) {
			if (pat ~ /[.][.][.]$/ && pat != "...")
				return substr(line, 1, length(pat) - 3) == substr(pat, 1, length(pat) - 3)
			return pat == line
		}
		BEGIN { while ((getline l < want) > 0) w[++nw] = l }
		{ g[++ng] = $0 }
		END {
			# m[i,j]: want[i..] matches got[j..]
			for (j = ng + 1; j >= 1; j--) m[nw + 1, j] = (j == ng + 1)
			for (i = nw; i >= 1; i--)
				for (j = ng + 1; j >= 1; j--)
					if (w[i] == "...")
						m[i, j] = m[i + 1, j] || (j <= ng && m[i, j + 1])
					else
						m[i, j] = j <= ng && same(w[i], g[j]) && m[i + 1, j + 1]
			exit !m[1, 1]
		}' "$2"
}

failed=0
i=0
while [ "$i" -lt "$count" ]; do
	i=$((i + 1))
	unroff "$dir/ex/cmd.$i" >"$dir/ex/cmd.$i.sh"
	unroff "$dir/ex/want.$i" >"$dir/ex/want.$i.txt"
	cmd=$(cat "$dir/ex/cmd.$i.sh")
	(cd "$dir/run" && sh -c "$cmd") >"$dir/ex/got.$i" 2>"$dir/ex/err.$i" </dev/null
	rc=$?
	if [ $rc -ne 0 ]; then
		printf 'not ok - %s example %s exits 0 (exit %s): %s\n' "$name" "$i" "$rc" "$cmd"
		sed 's/^/#   stderr: /' "$dir/ex/err.$i" | head -20
		failed=1
	elif matches "$dir/ex/want.$i.txt" "$dir/ex/got.$i"; then
		printf 'ok - %s example %s: %s\n' "$name" "$i" "$cmd"
	else
		printf 'not ok - %s example %s prints what the page shows: %s\n' "$name" "$i" "$cmd"
		diff "$dir/ex/want.$i.txt" "$dir/ex/got.$i" | head -30 | sed 's/^/#   /'
		failed=1
	fi
done

if [ $update -eq 1 ]; then
	# roff-escape each printed output; keep the shown one where it has "..."
	i=0
	while [ "$i" -lt "$count" ]; do
		i=$((i + 1))
		if grep -q '\.\.\.$' "$dir/ex/want.$i.txt"; then
			cp "$dir/ex/want.$i" "$dir/ex/new.$i"
		else
			sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e 's/^\([.'"'"']\)/\\\&\1/' "$dir/ex/got.$i" >"$dir/ex/new.$i"
		fi
	done
	awk -v d="$dir/ex" '
		/^\.SH / { inex = ($0 ~ /^\.SH EXAMPLES/); inblk = 0 }
		inex && /^\.EX/ { inblk = 1; print; next }
		inex && /^\.EE/ { inblk = 0; print; next }
		inblk && /^\$ / { n++; print; while ((getline l < (d "/new." n)) > 0) print l; next }
		inblk && n { next }
		{ print }
	' "$page" >"$dir/page.new" && cat "$dir/page.new" >"$page"
fi
exit $failed
