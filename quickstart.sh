#!/bin/sh
# quickstart.sh: the two-command set-up of vmind on a fresh Debian machine.
#   ./quickstart.sh        install what is missing, build, run the main job
#   ./quickstart.sh check  install what is missing, build, run `make check`
#   ./quickstart.sh path   print the line that puts the built tools on PATH
# The main job (demo.sh) runs on the embedded default: a synthetic MIND
# (vmind-synth, preset small) and its simulated web on 127.0.0.1, crawled,
# resized, Table 1, features, a trained VLSNR model and its dev metrics beside
# the oracle, and the HTML report; everything lands in ./vmind-demo/.
# Nothing is downloaded but the Debian packages that are missing.
set -eu
cd "$(dirname "$0")"
top=$(pwd)
mode=${1:-run}
BINDIRS="vmind/synth vmind/stats vmind/report vmind/merge crawler/crawl crawler/web resize model/clip model/vlsnr"
# path_line: the shell line that puts the built tools on PATH
path_line() {
	_p=""
	for d in $BINDIRS; do _p="$_p$top/$d:"; done
	echo "export PATH=\"$_p\$PATH\""
}
case $mode in
run|check) ;;
path) path_line; exit 0 ;;
-h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "usage: ./quickstart.sh [check|path]" >&2; exit 2 ;;
esac

say() { printf '\n== %s\n' "$*"; }

# ---- 1. Debian packages: build tools and libraries, and for `check` what
# the tests use.
PACKAGES="gcc make autoconf automake autoconf-archive pkg-config
libcurl4-openssl-dev libxml2-dev libvips-dev libsqlite3-dev libssl-dev
libopenblas-dev libcjson-dev libmicrohttpd-dev libunistring-dev sqlite3 libvips-tools python3 gawk"
# The test suite also drives real peers: curl and openssl (the simulated
# web's tests), Chromium (the report opened in a browser) and searx (the
# search tier against a real searx).
[ "$mode" = check ] && PACKAGES="$PACKAGES curl openssl chromium searx"
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing missing Debian packages:$missing"
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=sudo
	else
		echo "quickstart.sh: these Debian packages are missing and I am not root (nor may I use sudo):" >&2
		echo "  apt-get install -y --no-install-recommends$missing" >&2
		exit 2
	fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q || { echo "quickstart.sh: apt-get update failed" >&2; exit 2; }
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing ||
		{ echo "quickstart.sh: apt-get install failed:$missing" >&2; exit 2; }
fi

# ---- 2. Build (incrementally: each step only when its inputs changed).
jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	say "autoreconf"
	autoreconf -fi
fi
if [ ! -f Makefile ] || [ configure -nt config.status ]; then
	say "configure"
	./configure -q ${VMIND_CONFIGURE_FLAGS:-}
fi
say "make"
make -j"$jobs" >/dev/null

# ---- 3. The job.
if [ "$mode" = check ]; then
	say "make check"
	rc=0
	make -j"$jobs" check || rc=$?
	# One closing line that any CI reader understands, counted over every
	# TAP result of every test script and unit test.
	pass=$(cat $(find tests -name '*.trs') 2>/dev/null | grep -c '^:test-result: \(PASS\|XFAIL\)' || true)
	fail=$(cat $(find tests -name '*.trs') 2>/dev/null | grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)' || true)
	skip=$(cat $(find tests -name '*.trs') 2>/dev/null | grep -c '^:test-result: SKIP' || true)
	if [ "$rc" -ne 0 ]; then
		for f in $(grep -l '^:test-result: \(FAIL\|XPASS\|ERROR\)' $(find tests -name '*.trs')); do
			echo "---- ${f%.trs}.log"; cat "${f%.trs}.log"
		done
	fi
	echo "make check: $pass passed, $fail failed, $skip skipped"
	exit "$rc"
fi

eval "$(path_line)"
rc=0
"$top/demo.sh" --preset "${VMIND_DEMO_PRESET:-small}" --out "$top/vmind-demo" || rc=$?
cat <<EOT

The tools are built but not installed. To run them by name (as README.md
and datasets/README.md do), either install them:
    make install                       # /usr/local, as root; or, for you alone:
    ./configure --prefix=\$HOME/.local && make install && export PATH=\$HOME/.local/bin:\$PATH
or put the build folders on PATH in this shell:
    eval "\$(./quickstart.sh path)"
EOT
exit "$rc"
