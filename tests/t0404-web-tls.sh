#!/bin/sh
# t0404-web-tls.sh: `vmind-web serve --tls-listen` answers HTTPS for a web
# rendered from a dataset with https:// URLs (vmind-synth's default), with a
# certificate made here for the names in WEBDIR/hosts.txt: pages, redirect
# chains and covers come back verified, and the plain listener still works.
. "$top_srcdir/tests/lib.sh"

command -v curl >/dev/null 2>&1 || { skip "curl is not installed"; done_testing; }
command -v openssl >/dev/null 2>&1 || { skip "openssl is not installed"; done_testing; }

mkdir -p "$T/mind/train" "$T/mind/dev" "$T/mind/truth"
for f in train/news.tsv dev/news.tsv; do
	sed 's#\thttp://#\thttps://#' "$top_srcdir/tests/data/web/mind/$f" >"$T/mind/$f"
done
cp "$top_srcdir/tests/data/web/mind/truth/news.tsv" "$T/mind/truth/news.tsv"
exits 0 "render a web of https URLs" vmind-web render --mind "$T/mind" --out "$T/web" --seed 4 -q
TR="$T/web/truth.tsv"
is "$(tail -n +2 "$TR" | cut -f3 | grep -vc '^https://')" 0 "page URLs are https"
check "hosts.txt names the page host" grep -qx assets.msn.com "$T/web/hosts.txt"
san=$(sed 's/^/DNS:/' "$T/web/hosts.txt" | paste -sd, -)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=vmind-web-test -addext "subjectAltName=$san" \
	-keyout "$T/key.pem" -out "$T/cert.pem" >"$T/openssl.log" 2>&1
ok $? "a certificate for every host"

vmind-web serve --root "$T/web" --listen 127.0.0.1:0 --port-file "$T/port" \
	--tls-listen 127.0.0.1:0 --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" \
	--tls-port-file "$T/tport" --log "$T/log" -q &
SP=$!
track_pid $SP
i=0
while [ ! -s "$T/tport" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
P=$(cat "$T/port"); TP=$(cat "$T/tport")
ct() { curl -s --cacert "$T/cert.pem" --connect-to "::127.0.0.1:$TP" "$@"; }

row=$(tail -n +2 "$TR" | awk -F'\t' '$16 == "" && $18 == "cover" && $3 == $5 { print; exit }')
id=$(echo "$row" | cut -f1); url=$(echo "$row" | cut -f3)
ct -o "$T/p" -w '%{http_code}' "$url" >"$T/code"
is "$(cat "$T/code")" 200 "HTTPS page: 200, certificate verified"
check "HTTPS page: its bytes" cmp "$T/p" "$T/web/files/pages/$id.html"
curl -s --connect-to "::127.0.0.1:$TP" -o /dev/null "$url"
is $? 60 "without the CA the certificate is refused (curl 60)"

moved=$(tail -n +2 "$TR" | awk -F'\t' '$16 == "" && $4 == 1 && $3 != $5 { print $3 "\t" $5; exit }')
if [ -n "$moved" ]; then
	is "$(ct -L -o /dev/null -w '%{http_code} %{url_effective}' "$(echo "$moved" | cut -f1)")" \
		"200 $(echo "$moved" | cut -f2)" "HTTPS redirect chain ends at final_url"
else
	skip "no moved page with this seed"
fi
bad=0; n=0
for r in $(tail -n +2 "$TR" | awk -F'\t' '$14 == 1 && $17 != "cover" { print $7 "|" $8 }' | head -20); do
	n=$((n + 1))
	[ "$(ct "${r%%|*}" | sha256sum | cut -c1-64)" = "${r##*|}" ] || bad=$((bad + 1))
done
ok $([ $n -gt 5 ] && [ $bad -eq 0 ]; echo $?) "HTTPS covers ($n) hash to cover_sha256"
plain=$(echo "$url" | sed 's#^https://#http://#')
is "$(curl -s --connect-to "::127.0.0.1:$P" -o /dev/null -w '%{http_code}' "$plain")" 200 "the plain listener answers too"
is "$(awk -F'\t' -v p="${url#https://assets.msn.com}" '$4 == p' "$T/log" | wc -l | tr -d ' ')" 2 \
	"both listeners log to the same file (the refused handshake sent no request)"
kill $SP; wait $SP
is $? 0 "clean stop"
exits 2 "--tls-listen without a key: usage" vmind-web serve --root "$T/web" --tls-listen 127.0.0.1:0 --tls-cert "$T/cert.pem"
exits 2 "a bad certificate: set-up error" vmind-web serve --root "$T/web" --tls-listen 127.0.0.1:0 \
	--tls-cert "$T/log" --tls-key "$T/log" -q
done_testing
