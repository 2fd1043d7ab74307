#!/bin/sh
# get-mind.sh: download and unpack Microsoft's MIND (small or large) for a
# user who has internet access and has accepted MIND's licence (Microsoft
# Research License Terms: non-commercial research only; no redistribution).
# Never run by the tests. Downloads resume (curl -C -), each archive is
# checked against the size the server announces and with `unzip -t` before it
# is unpacked, and an unpacked split is left alone on a second run.
#
#   datasets/get-mind.sh [--dry-run] small|large|demo DIR
#
# Mirror: the recommenders project's (doc/external.md section 2); the original blob host closed
# in July 2024. Override with MIND_MIRROR=URL.
set -eu
mirror=${MIND_MIRROR:-https://recodatasets.z20.web.core.windows.net/newsrec}
dry=0
usage="usage: $0 [--dry-run] small|large|demo DIR"
case ${1:-} in
-h|--help)
	echo "$usage"
	echo "Download and unpack MIND (MIND{size}_{train,dev,utils}.zip, and MINDlarge_test.zip)"
	echo "into DIR/MIND{size}_{part}/; --dry-run prints what it would fetch and writes nothing."
	echo "Mirror: \$MIND_MIRROR (default $mirror)."
	exit 0 ;;
--dry-run) dry=1; shift ;;
esac
if [ $# -ne 2 ]; then
	echo "$usage" >&2
	exit 2
fi
case $1 in
small) size=small; parts="train dev utils" ;;
large) size=large; parts="train dev test utils" ;;
demo) size=demo; parts="train dev utils" ;;
*) echo "$0: size must be small, large or demo, not '$1'" >&2; exit 2 ;;
esac
dir=$2
[ "$dry" = 1 ] || mkdir -p "$dir" || exit 2
failed=0
for part in $parts; do
	zip="MIND${size}_${part}.zip"
	url="$mirror/$zip"
	out="$dir/MIND${size}_${part}"
	if [ "$dry" = 1 ]; then echo "$url -> $out/"; continue; fi
	if [ -f "$out/.complete" ]; then echo "$out: already unpacked"; continue; fi
	echo "downloading $url"
	# -C - resumes a partial file; curl fails if the final size differs
	# from Content-Length.
	if ! curl -fL --retry 5 --retry-delay 5 -C - -o "$dir/$zip.part" "$url"; then
		echo "$0: $url: download failed (run again to resume)" >&2
		failed=1; continue
	fi
	if ! unzip -tq "$dir/$zip.part" >/dev/null; then
		echo "$0: $dir/$zip.part: corrupt archive; removed, run again" >&2
		rm -f "$dir/$zip.part"; failed=1; continue
	fi
	mv "$dir/$zip.part" "$dir/$zip"
	rm -rf "$out.tmp" && mkdir -p "$out.tmp"
	unzip -q "$dir/$zip" -d "$out.tmp"
	rm -rf "$out" && mv "$out.tmp" "$out" && touch "$out/.complete"
	echo "$out: $(ls "$out" | tr '\n' ' ')"
done
exit $failed
