# tests/lib.sh: sourced by every tests/tNNNN-*.sh. TAP output (plan, ok,
# not ok, skip), a private temporary directory removed at exit, a free TCP
# port on 127.0.0.1 for servers a test starts, and the cleanup of anything
# the test started (register pids with `track_pid`).
set -u
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"

# A test suite run inside a job array must not shard the tools under test.
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN JOB_COMPLETION_INDEX

T=$(mktemp -d "${TMPDIR:-/tmp}/vmind-test.XXXXXX")
_tap_n=0
_tap_failed=0
_tap_pids=""

cleanup() {
	for p in $_tap_pids; do kill "$p" 2>/dev/null; done
	for p in $_tap_pids; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

track_pid() { _tap_pids="$_tap_pids $1"; }

plan() { echo "1..$1"; }

# ok COND-EXIT-STATUS DESCRIPTION: `ok $? "desc"` or `check cmd...`
ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $2"
	fi
}

# check DESCRIPTION CMD...: run CMD, ok when it exits 0
check() {
	_d=$1; shift
	"$@" >"$T/check.out" 2>&1
	_rc=$?
	ok $_rc "$_d"
	[ $_rc -eq 0 ] || sed 's/^/#   /' "$T/check.out"
}

# is GOT WANT DESCRIPTION: string equality, shows both on failure
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; printf '#   got:  %s\n#   want: %s\n' "$1" "$2"; fi
}

# exits WANT-STATUS DESCRIPTION CMD...: CMD must exit with WANT-STATUS;
# its stdout and stderr are left in $T/out and $T/err
exits() {
	_w=$1; _d=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	_rc=$?
	if [ "$_rc" -eq "$_w" ]; then ok 0 "$_d"; else
		ok 1 "$_d"; echo "#   exit status $_rc, wanted $_w"; sed 's/^/#   stderr: /' "$T/err" | head -20; fi
}

skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $1"; }

done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" -eq 0 ]; exit $?; }

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null && return
	while :; do
		_p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
		(exec 3<>"/dev/tcp/127.0.0.1/$_p") 2>/dev/null || { echo "$_p"; return; }
	done
}
