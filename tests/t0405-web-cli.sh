#!/bin/sh
# t0405-web-cli.sh: vmind-web's command line: each sub-command has its own
# option table (an option of the other one is a usage error naming it, and
# its --help lists only its own), and `serve --background` returns only once
# the server answers, with --pid-file naming the server to stop.
. "$top_srcdir/tests/lib.sh"

W="$top_srcdir/tests/data/web/serve"

# --- one option table per sub-command ---
exits 2 "serve --seed: usage error" vmind-web serve --root "$W" --seed 5
grep -q -- "--seed is an option of 'vmind-web render', not of 'serve'" "$T/err"
ok $? "the message names the option and its sub-command"
exits 2 "render --listen: usage error" vmind-web render --mind "$T/m" --out "$T/o" --listen=127.0.0.1:0
grep -q -- "--listen is an option of 'vmind-web serve', not of 'render'" "$T/err"
ok $? "--name=value is named too"
exits 2 "an unknown option: usage error" vmind-web serve --root "$W" --no-such-option
grep -q -- "unknown option '--no-such-option'" "$T/err"
ok $? "an unknown option is called unknown"
exits 2 "an option's value is not taken for an option" vmind-web serve --root --seed -q
grep -q "is an option of" "$T/err"
is "$?" 1 "--root's value --seed is a directory name, not render's option"

exits 0 "serve --help" vmind-web serve --help
grep -q -- '--background' "$T/out" && grep -q -- '--root' "$T/out"
ok $? "serve --help lists serve's options"
grep -q -- '--seed\|--mind\|--clean' "$T/out"
is "$?" 1 "serve --help lists none of render's"
exits 0 "render --help" vmind-web render --help
grep -q -- '--seed' "$T/out" && grep -q -- '--mind' "$T/out"
ok $? "render --help lists render's options"
grep -q -- '--root\|--listen\|--background' "$T/out"
is "$?" 1 "render --help lists none of serve's"
exits 0 "vmind-web --help" vmind-web --help
grep -q -- '--seed' "$T/out" && grep -q -- '--background' "$T/out"
ok $? "vmind-web --help lists both sub-commands' options"

# --- serve --background ---
command -v curl >/dev/null 2>&1 || { skip "curl is not installed"; done_testing; }
cd "$T" || exit 1
exits 0 "serve --background returns" timeout 30 vmind-web serve --root "$W" --listen 127.0.0.1:0 \
	--port-file port --pid-file pid --log log --background -q
PID=$(cat pid 2>/dev/null)
[ -n "$PID" ] && track_pid "$PID"
is "$(cat "$T/out")" "" "nothing on standard output"
kill -0 "$PID" 2>/dev/null
ok $? "the pid file names a running server"
is "$(curl -s -o /dev/null -w '%{http_code}' --connect-to "::127.0.0.1:$(cat port)" http://a.test/)" 200 \
	"it answers at once, at the port of --port-file"
exits 2 "a second server on the same port: exit 2" timeout 30 vmind-web serve --root "$W" \
	--listen "127.0.0.1:$(cat port)" --pid-file pid2 --background -q
grep -q "cannot listen on 127.0.0.1:$(cat port)" "$T/err"
ok $? "its reason is on standard error"
test ! -e pid2
ok $? "and it wrote no pid file"
exits 2 "a bad --root: exit 2 before forking" timeout 30 vmind-web serve --root "$T/none" --background -q
kill "$PID"
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$PID" 2>/dev/null
is "$?" 1 "kill \$(cat pid) stops it"
test ! -e pid
ok $? "and its pid file is removed"
is "$(cut -f3,4,6 log)" "a.test	/	200" "its log has the request"
# render reads MIND with the strict reader: a malformed news file is an
# input error (exit 2) naming FILE:LINE, with nothing written
mkdir -p "$T/m7/train" "$T/mbin/train"
printf 'N1\tnews\tnewsus\tA title\tabs\thttps://assets.msn.com/labs/mind/AA1.html\t[]\n' >"$T/m7/train/news.tsv"
exits 2 "render on a 7-column news.tsv: exit 2" vmind-web render -q --mind "$T/m7" --out "$T/w7"
grep -q "m7/train/news.tsv:1" "$T/err"; ok $? "the error names FILE:LINE"
test ! -e "$T/w7"; ok $? "nothing written"
head -c 3000 "$top_srcdir/tests/data/crawl/cover.jpg" >"$T/mbin/train/news.tsv"
exits 2 "render on a binary news.tsv: exit 2" vmind-web render -q --mind "$T/mbin" --out "$T/wbin"
test ! -e "$T/wbin"; ok $? "no partial web written"
done_testing
