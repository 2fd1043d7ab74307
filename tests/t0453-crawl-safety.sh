#!/bin/sh
# t0453-crawl-safety.sh: no connection to private or loopback addresses
# unless --allow-private: a redirect to a loopback IP literal, a redirect to a
# host name that resolves to loopback (refused on the socket address, since
# only the named hosts are mapped by --connect-to), an image on a v4-mapped
# IPv6 literal and on the link-local metadata address; none of these requests
# may reach the server. With --allow-private the same redirect does reach it.
# An https URL served by a plain-HTTP server fails on TLS (no downgrade).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

fixture c.jpg cover.jpg
image img.test /cover.jpg c.jpg image/jpeg
route news.test /robots.txt 404 text/plain ""
route img.test /robots.txt 404 text/plain ""
route localhost /robots.txt 404 text/plain ""
route 127.0.0.1 /robots.txt 404 text/plain ""
printf 'secret' | file secret.html
for h in localhost 127.0.0.1 "[::ffff:127.0.0.1]"; do
	for p in /secret1 /secret2 /secret3.jpg; do route "$h" "$p" 200 text/html secret.html; done
done
PORT=$(free_port)
route news.test /s1.html 302 text/html "" "" "Location: http://127.0.0.1:$PORT/secret1"
news N1 http://news.test/s1.html
route news.test /s2.html 302 text/html "" "" "Location: http://localhost:$PORT/secret2"
news N2 http://news.test/s2.html
printf '<meta property="og:image" content="http://[::ffff:127.0.0.1]:%s/secret3.jpg"><meta property="og:image" content="http://169.254.169.254/latest/meta-data/"><meta name="twitter:image" content="http://img.test/cover.jpg">' "$PORT" | file s3.html
page news.test /s3.html s3.html
news N3 http://news.test/s3.html
# https to a server that speaks plain HTTP: a TLS error, never a downgrade
news N4 https://news.test/s3.html
web_start "$PORT"

run() {
	vmind-crawl -q --db "$T/c.db" --out "$T/out" --retries 0 --no-archive \
		--connect-to "news.test::127.0.0.1:$PORT" --connect-to "img.test::127.0.0.1:$PORT" \
		"$@" "$T/news/news.tsv" >"$T/crawl.out" 2>"$T/crawl.err"
	rc=$?
}
run
is "$rc" 1 "exit 1: items refused"
is "$(q "SELECT state, outcome, last_error FROM news WHERE id = 'N1'")" \
   "failed private page: private address refused: 127.0.0.1" "redirect to 127.0.0.1: refused"
is "$(q "SELECT state, outcome FROM news WHERE id = 'N2'")" "failed private" "redirect to localhost: refused"
is "$(q "SELECT last_error FROM news WHERE id = 'N2'" | sed 's/refused: .*/refused/')" "page: private address refused" "  ... on the socket address"
is "$(q "SELECT state, outcome, image_url FROM news JOIN image ON num = news_num WHERE id = 'N3'")" \
   "done image http://img.test/cover.jpg" "v4-mapped and link-local images refused, next candidate taken"
is "$(q "SELECT count(*) FROM request WHERE news_num = 3 AND status = 0 AND error LIKE 'private address refused%'")" 2 \
   "both refused image URLs are recorded with their error"
is "$(awk -F'\t' '$4 ~ /secret/' "$T/req.log" | wc -l | tr -d ' ')" 0 "no request reached a private address"
is "$(q "SELECT state, outcome FROM news WHERE id = 'N4'")" "failed tls" "https against plain HTTP: TLS error, no downgrade"

# with --allow-private the redirect to localhost does connect
rm -f "$T/c.db"*
run --allow-private
is "$(q "SELECT state, outcome FROM news WHERE id = 'N2'")" "done no-image" "--allow-private: redirect followed"
is "$(awk -F'\t' '$4 == "/secret2"' "$T/req.log" | wc -l | tr -d ' ')" 1 "--allow-private: the request reached the server"
done_testing
