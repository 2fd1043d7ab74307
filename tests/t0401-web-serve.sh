#!/bin/sh
# t0401-web-serve.sh: `vmind-web serve` answers a hand-written routes.tsv
# (tests/data/web/serve) as vmind-web(1) documents: virtual hosts, exact
# path+query matching, every fault class (delay, drip, reset, truncate,
# badlength, retry-after, huge, redirect-loop), redirects, extra headers,
# the request log, keep-alive, and a clean stop on SIGTERM.
. "$top_srcdir/tests/lib.sh"

command -v curl >/dev/null 2>&1 || { skip "curl is not installed"; done_testing; }

W="$T/web"
cp -R "$top_srcdir/tests/data/web/serve" "$W"
chmod -R u+w "$W"
P=$(free_port)
vmind-web serve --root "$W" --listen 127.0.0.1:$P --log "$T/log" --pid-file "$T/pid" -q &
SP=$!
track_pid $SP
i=0
while [ ! -s "$T/pid" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
is "$(cat "$T/pid" 2>/dev/null)" "$SP" "pid file holds the server's pid"

c() { curl -s --connect-to "::127.0.0.1:$P" "$@"; }
now_ms() { date +%s%3N; }
n_req=0   # requests sent, to check the log

# plain routes, virtual hosts, exact path+query
c -o "$T/b" http://a.test/; n_req=$((n_req + 1))
check "a.test / serves hello.html" cmp "$T/b" "$W/files/hello.html"
c -o "$T/b" http://b.test/; n_req=$((n_req + 1))
check "b.test / serves other.html (host names match case-insensitively)" cmp "$T/b" "$W/files/other.html"
is "$(curl -s -H 'Host: a.test:8080' -o /dev/null -w '%{http_code}' http://127.0.0.1:$P/)" 200 \
	"the port in the Host header is ignored"; n_req=$((n_req + 1))
is "$(c -o /dev/null -w '%{http_code}' http://c.test/)" 404 "unknown host: 404"; n_req=$((n_req + 1))
is "$(c -o /dev/null -w '%{http_code}' 'http://a.test/q?x=1&y=2')" 200 "path+query matched exactly"; n_req=$((n_req + 1))
is "$(c -o /dev/null -w '%{http_code}' 'http://a.test/q?y=2&x=1')" 404 "other query order: 404"; n_req=$((n_req + 1))
is "$(c -o /dev/null -w '%{http_code}' 'http://a.test/q')" 404 "no query: 404"; n_req=$((n_req + 1))
is "$(c -o /dev/null -w '%{http_code}' 'http://a.test/nothing')" 404 "unknown path: 404"; n_req=$((n_req + 1))
is "$(c -o /dev/null -w '%{http_code} %{content_type}' http://a.test/)" "200 text/html" "content type from routes.tsv"; n_req=$((n_req + 1))
is "$(c -o /dev/null -w '%{http_code}' http://a.test/missing-file)" 500 "missing body file: 500"; n_req=$((n_req + 1))

# HEAD
c -I -o "$T/h" http://a.test/; n_req=$((n_req + 1))
is "$(tr -d '\r' <"$T/h" | sed -n 's/^Content-Length: //Ip')" "$(wc -c <"$W/files/hello.html" | tr -d ' ')" \
	"HEAD gives the Content-Length"

# extra headers, redirects
c -D "$T/h" -o /dev/null http://a.test/multi; n_req=$((n_req + 1))
is "$(tr -d '\r' <"$T/h" | grep -E '^X-(One|Two):' | tr '\n' ' ')" "X-One: 1 X-Two: two " "headers column: several headers"
c -D "$T/h" -o /dev/null http://a.test/moved; n_req=$((n_req + 1))
is "$(tr -d '\r' <"$T/h" | sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p;s/^Location: //p' | tr '\n' ' ')" \
	"301 http://b.test/ " "301 with Location"
c -L -o "$T/b" -w '%{num_redirects}' http://a.test/found >"$T/n"; n_req=$((n_req + 3))
is "$(cat "$T/n")" 2 "302 -> 301 chain followed: 2 redirects"
check "the chain ends at b.test's page" cmp "$T/b" "$W/files/other.html"
c -D "$T/h" -o /dev/null http://a.test/private; n_req=$((n_req + 1))
is "$(tr -d '\r' <"$T/h" | sed -n 's/^Location: //p')" "http://10.0.0.1/secret" "redirect to a private address is just a Location"
is "$(c -o /dev/null -w '%{http_code}' http://a.test/gone)" 410 "410 gone"; n_req=$((n_req + 1))
is "$(c http://a.test/robots.txt)" "User-agent: *
Disallow: /private/" "robots.txt is a route"; n_req=$((n_req + 1))

# redirect-loop: 302 to itself, forever
c -D "$T/h" -o /dev/null http://a.test/loop; n_req=$((n_req + 1))
is "$(tr -d '\r' <"$T/h" | sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p;s/^Location: //p' | tr '\n' ' ')" \
	"302 /loop " "redirect-loop: 302 to the same path"
c -L --max-redirs 5 -o /dev/null http://a.test/loop; rc=$?; n_req=$((n_req + 6))
is $rc 47 "redirect-loop: curl gives up after 5 redirects (exit 47)"

# delay: at least the delay (never an upper bound)
t0=$(now_ms); c -o "$T/b" http://a.test/delay; t1=$(now_ms); n_req=$((n_req + 1))
ok $([ $((t1 - t0)) -ge 700 ]; echo $?) "delay:700 took >= 700 ms ($((t1 - t0)) ms)"
check "delay: then the body" cmp "$T/b" "$W/files/hello.txt"

# drip: 1000 bytes at 2000 bytes/s, in 100-byte steps 50 ms apart
t0=$(now_ms); c -o "$T/b" http://a.test/drip; t1=$(now_ms); n_req=$((n_req + 1))
ok $([ $((t1 - t0)) -ge 400 ]; echo $?) "drip:2000 of 1000 bytes took >= 400 ms ($((t1 - t0)) ms)"
check "drip: the whole body arrives" cmp "$T/b" "$W/files/k1.bin"

# a slow reply holds up only its own connection
c -o "$T/slow" http://a.test/slow &
slow=$!
n_req=$((n_req + 1))
sleep 0.3
c -o "$T/b" http://a.test/; n_req=$((n_req + 1))
kill -0 $slow 2>/dev/null
ok $? "a request made during a delay:4000 reply is answered before it"
check "... with its body" cmp "$T/b" "$W/files/hello.html"
wait $slow
check "then the slow one completes" cmp "$T/slow" "$W/files/hello.txt"

# reset: the connection closes with no reply
c -o /dev/null http://a.test/reset; rc=$?; n_req=$((n_req + 1))
ok $([ $rc -eq 52 ] || [ $rc -eq 56 ]; echo $?) "reset: curl exit 52 or 56 (got $rc)"

# truncate: the full Content-Length is declared, 300 bytes are sent
c -D "$T/h" -o "$T/b" http://a.test/truncate; rc=$?; n_req=$((n_req + 1))
is $rc 18 "truncate: curl exit 18 (partial file)"
is "$(tr -d '\r' <"$T/h" | sed -n 's/^Content-Length: //Ip')" 1000 "truncate: Content-Length 1000 declared"
is "$(wc -c <"$T/b" | tr -d ' ')" 300 "truncate: 300 bytes received"
check "truncate: they are the file's first 300" cmp -n 300 "$T/b" "$W/files/k1.bin"

# badlength: the Content-Length lies
c -D "$T/h" -o "$T/b" http://a.test/badlength-long; rc=$?; n_req=$((n_req + 1))
is "$rc $(tr -d '\r' <"$T/h" | sed -n 's/^Content-Length: //Ip') $(wc -c <"$T/b" | tr -d ' ')" "18 1500 1000" \
	"badlength:1500 on 1000 bytes: 1000 sent, then closed (curl 18)"
c -D "$T/h" -o "$T/b" http://a.test/badlength-short; rc=$?; n_req=$((n_req + 1))
is "$rc $(tr -d '\r' <"$T/h" | sed -n 's/^Content-Length: //Ip') $(wc -c <"$T/b" | tr -d ' ')" "0 400 400" \
	"badlength:400 on 1000 bytes: a clean reply of the first 400"
head -c 400 "$W/files/k1.bin" >"$T/k400"
check "badlength short: the file's first 400 bytes" cmp "$T/b" "$T/k400"

# retry-after:1 on a 429 route
c -D "$T/h" -o /dev/null http://a.test/retry; n_req=$((n_req + 1))
is "$(tr -d '\r' <"$T/h" | sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p;s/^Retry-After: //p' | tr '\n' ' ')" "429 1 " \
	"retry-after: first request 429 with Retry-After: 1"
is "$(c -o /dev/null -w '%{http_code}' http://a.test/retry)" 429 "retry-after: again too early: 429"; n_req=$((n_req + 1))
sleep 1.2
c -o "$T/b" -w '%{http_code}' http://a.test/retry >"$T/code"; n_req=$((n_req + 1))
is "$(cat "$T/code")" 200 "retry-after: after waiting: 200"
check "retry-after: the real body" cmp "$T/b" "$W/files/hello.txt"
# retry-after:1:2 on a 503 route: two error replies however long one waits
is "$(c -o /dev/null -w '%{http_code}' http://a.test/unavail)" 503 "retry-after:1:2: first 503"; n_req=$((n_req + 1))
sleep 1.2
is "$(c -o /dev/null -w '%{http_code}' http://a.test/unavail)" 503 "retry-after:1:2: second 503 even after waiting"; n_req=$((n_req + 1))
sleep 1.2
is "$(c -o /dev/null -w '%{http_code}' http://a.test/unavail)" 200 "retry-after:1:2: third: 200"; n_req=$((n_req + 1))

# huge
c -D "$T/h" -o "$T/b" http://a.test/huge; n_req=$((n_req + 1))
is "$(tr -d '\r' <"$T/h" | sed -n 's/^Content-Length: //Ip') $(wc -c <"$T/b" | tr -d ' ')" "5000000 5000000" \
	"huge:5000000: declared and sent"
c -D "$T/h" -o "$T/b" http://a.test/huge-chunked; n_req=$((n_req + 1))
is "$(tr -d '\r' <"$T/h" | grep -ci '^content-length:') $(tr -d '\r' <"$T/h" | sed -n 's/^Transfer-Encoding: //Ip') $(wc -c <"$T/b" | tr -d ' ')" \
	"0 chunked 3000000" "huge:3000000:chunked: no Content-Length, 3000000 bytes chunked"
check "huge: starts with the body file" cmp -n 1000 "$T/b" "$W/files/k1.bin"

# keep-alive: two requests on one connection
c -v -o /dev/null -o /dev/null http://a.test/ http://a.test/multi 2>"$T/v"; n_req=$((n_req + 2))
check "keep-alive: the second request re-uses the connection" grep -qi 're-using existing connection' "$T/v"

# the log: one line per request, 6 fields, status as sent
curl -s -A 'vmind-test/1.0 (agent)' --connect-to "::127.0.0.1:$P" -o /dev/null 'http://a.test/q?x=1&y=2'; n_req=$((n_req + 1))
sleep 0.2
is "$(wc -l <"$T/log" | tr -d ' ')" "$n_req" "log: one line per request ($n_req)"
is "$(awk -F'\t' 'NF != 6' "$T/log" | wc -l | tr -d ' ')" 0 "log: every line has 6 fields"
is "$(tail -1 "$T/log" | cut -f2-6)" "GET	a.test	/q?x=1&y=2	vmind-test/1.0 (agent)	200" \
	"log: method, host, raw path+query, user agent, status"
is "$(awk -F'\t' '$4 == "/reset" { print $6 }' "$T/log")" 0 "log: a reset is logged with status 0"
is "$(awk -F'\t' '$4 == "/retry" { printf "%s ", $6 }' "$T/log")" "429 429 200 " "log: the retry-after statuses in order"
is "$(awk -F'\t' '$4 == "/delay" { print ($1 ~ /^[0-9]+\.[0-9][0-9][0-9]$/) }' "$T/log")" 1 "log: time in seconds with milliseconds"

# SIGTERM: clean exit, pid file removed
kill -TERM $SP
wait $SP
is $? 0 "SIGTERM: exit 0"
ok $([ ! -e "$T/pid" ]; echo $?) "SIGTERM: pid file removed"

# --port-file with port 0
vmind-web serve --root "$W" --listen 127.0.0.1:0 --port-file "$T/port" -q &
SP2=$!
track_pid $SP2
i=0
while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
P2=$(cat "$T/port")
is "$(curl -s --connect-to "::127.0.0.1:$P2" -o /dev/null -w '%{http_code}' http://a.test/)" 200 "--port-file: the chosen port answers"
kill $SP2; wait $SP2

# bad input
mkdir -p "$T/bad"
printf 'host\tpath\tstatus\na.test\t/\tabc\n' >"$T/bad/routes.tsv"
exits 2 "bad status in routes.tsv: exit 2" vmind-web serve --root "$T/bad" --listen 127.0.0.1:0 -q
check "the message names FILE:LINE" grep -q "routes.tsv:2: bad status" "$T/err"
printf 'host\tpath\tstatus\tcontent_type\tbody\tfault\na.test\t/\t200\t\t\tdelay:x\n' >"$T/bad/routes.tsv"
exits 2 "bad fault in routes.tsv: exit 2" vmind-web serve --root "$T/bad" --listen 127.0.0.1:0 -q
exits 2 "no --root: usage error" vmind-web serve
exits 2 "unknown sub-command" vmind-web frobnicate
done_testing
