# tests/data/crawl/lib.sh: sourced by the vmind-crawl shell tests after
# tests/lib.sh. Declarative fixtures in the manner of curl's tests: `route`
# says what the simulated web answers, `news` what the crawler is given;
# `web_start` serves the web on a free port of 127.0.0.1 with a request log
# (`web_stop` stops it); `crawl` runs vmind-crawl against it (every host
# mapped to the server by --connect-to); `q` asks the database; `served`
# and `asked` read the log.
D="$top_srcdir/tests/data/crawl"
W="$T/web"
mkdir -p "$W/files" "$T/news"
printf 'host\tpath\tstatus\tcontent_type\tbody\tfault\theaders\n' >"$W/routes.tsv"
: >"$T/news/news.tsv"
PORT=

command -v sqlite3 >/dev/null 2>&1 || { echo "1..0 # SKIP sqlite3 CLI not installed"; exit 0; }

# route HOST PATH STATUS CONTENT_TYPE BODY [FAULT [HEADERS]]
route() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" "${7:-}" >>"$W/routes.tsv"
}

# file NAME < content: a body file
file() { mkdir -p "$(dirname "$W/files/$1")"; cat >"$W/files/$1"; }
# fixture NAME SRC: copy a fixture image from tests/data/crawl
fixture() { mkdir -p "$(dirname "$W/files/$1")"; cp "$D/$2" "$W/files/$1"; }

# page HOST PATH BODYFILE: a 200 text/html route
page() { route "$1" "$2" 200 "text/html; charset=utf-8" "$3"; }
# image HOST PATH FILE TYPE: a 200 image route
image() { route "$1" "$2" 200 "$4" "$3"; }

# news ID URL [TITLE]: one MIND news.tsv row
news() {
	printf '%s\tnews\tnewsus\t%s\tabstract\t%s\t[]\t[]\n' "$1" "${3:-Title of $1}" "$2" >>"$T/news/news.tsv"
}

# web_start [PORT]: serve $W in the background (on PORT, default any free
# port) until web_stop or the end of the test; sets PORT and WEB_PID.
# WEB_ARGS: more vmind-web serve options (e.g. --log-header NAME).
web_start() {
	rm -f "$T/port" "$T/web.pid"
	# shellcheck disable=SC2086
	vmind-web serve -q --root "$W" --listen "127.0.0.1:${1:-0}" --port-file "$T/port" \
		--pid-file "$T/web.pid" --log "$T/req.log" --background ${WEB_ARGS:-} ||
		{ echo "Bail out! vmind-web serve did not start"; exit 1; }
	WEB_PID=$(cat "$T/web.pid")
	track_pid "$WEB_PID"
	PORT=$(cat "$T/port")
}

# web_stop: stop the server of web_start, and wait until it is gone.
web_stop() {
	kill "$WEB_PID" 2>/dev/null
	_i=0
	while kill -0 "$WEB_PID" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
}

# crawl [OPTIONS...]: exit status in $rc, stderr in $T/crawl.err. Without
# --archive, --tiers or --no-archive among OPTIONS, --no-archive is added:
# a test names its own archive.
crawl() {
	case " $* " in
	*" --archive "*|*" --tiers "*|*" --no-archive "*) _na= ;;
	*) _na=--no-archive ;;
	esac
	vmind-crawl -q --db "$T/c.db" --out "$T/out" --connect-to "::127.0.0.1:$PORT" $_na "$@" \
		"$T/news/news.tsv" >"$T/crawl.out" 2>"$T/crawl.err"
	rc=$?
}

q() { sqlite3 -separator ' ' "$T/c.db" "$1"; }

# asked HOST PATH: how many requests for it the server received
asked() { awk -F'\t' -v h="$1" -v p="$2" '$3 == h && $4 == p' "$T/req.log" | wc -l | tr -d ' '; }

sha() { sha256sum "$1" | cut -d' ' -f1; }
