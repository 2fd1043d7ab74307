#!/bin/sh
# t0463-crawl-searx.sh: vmind-crawl's search tier against the real searx
# (Debian's searx 1.1.0 package), started by the test on 127.0.0.1 offline
# with one json_engine pointed at the simulated web's search endpoint (as
# datasets/README.md describes: the example settings with the engine list
# replaced). json_engine results carry no img_src, so the covers come from
# the result pages. Skips (never passes) when searx is not installed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/crawl/lib.sh"

EX=/usr/share/doc/searx/examples/settings.yml
if [ ! -x /usr/bin/searx-run ] || [ ! -f "$EX" ]; then
	skip "searx is not installed (apt-get install searx)"
	done_testing
fi
/usr/bin/python3 -c 'import yaml' 2>/dev/null || { skip "python3-yaml is missing"; done_testing; }

fixture c/jpg.jpg cover.jpg
fixture c/png.png cover.png
printf 'gone\n' | file pages/gone.txt
og() { printf '<html><head><meta property="og:image" content="%s"></head><body>x</body></html>' "$1" | file "$2"; }
image img.test /a.jpg c/jpg.jpg image/jpeg
image img.test /b.png c/png.png image/png
og http://img.test/a.jpg pages/a.html
og http://img.test/b.png pages/b.html
page pages.test /a.html pages/a.html
page pages.test /b.html pages/b.html
page pages.test /x.html pages/b.html
printf 'url\ttitle\tcontent\timg_src\tthumbnail_src\tengine\n' >"$W/search.tsv"
res() { printf '%s\t%s\t%s\t%s\t\tsim\n' "$1" "$2" "$3" "$4" >>"$W/search.tsv"; }
for i in 1 2 3; do route news.test /n$i.html 404 text/html pages/gone.txt; done
news N1 http://news.test/n1.html "Storm hits the coast, thousands without power"
res http://pages.test/x.html "Power without the coast hits thousands storm" "storm" ""
res http://pages.test/a.html "Yahoo News - Storm hits the coast thousands without power" "storm" ""
news N2 http://news.test/n2.html "Senate passes the farm bill after long debate"
res http://pages.test/b.html "Senate passes the farm bill after long debate | Daily Planet" "farm" ""
news N3 http://news.test/n3.html "Quarterback injured in season opener loss"

# the simulated web answers searches on Host 127.0.0.1 (searx's requests)
rm -f "$T/port"
vmind-web serve -q --root "$W" --listen 127.0.0.1:0 --port-file "$T/port" --log "$T/req.log" --search-host 127.0.0.1 &
track_pid $!
i=0; while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$T/port")
SPORT=$(free_port)
/usr/bin/python3 - "$EX" "$T/searx.yml" "$SPORT" "$PORT" <<'EOF'
import sys, yaml
ex, out, sport, wport = sys.argv[1:]
s = yaml.safe_load(open(ex))
s['server']['port'] = int(sport)
s['server']['bind_address'] = '127.0.0.1'
s['server']['secret_key'] = 'vmind-test-secret'
s['server']['image_proxy'] = False
s['general']['debug'] = False
s.setdefault('outgoing', {})['enable_http'] = True
s['search']['formats'] = ['html', 'json']
s['engines'] = [{
    'name': 'simweb', 'engine': 'json_engine', 'shortcut': 'sim', 'categories': 'general',
    'search_url': 'http://127.0.0.1:%s/search?q={query}&format=json' % wport,
    'results_query': 'results', 'url_query': 'url', 'title_query': 'title',
    'content_query': 'content', 'enable_http': True, 'timeout': 5.0, 'disabled': False,
}]
yaml.safe_dump(s, open(out, 'w'))
EOF
SEARX_SETTINGS_PATH="$T/searx.yml" /usr/bin/python3 /usr/bin/searx-run >"$T/searx.log" 2>&1 &
track_pid $!
i=0
while [ $i -lt 300 ]; do
	curl -s -o /dev/null "http://127.0.0.1:$SPORT/search?q=storm&format=json" 2>/dev/null && break
	sleep 0.2; i=$((i + 1))
done
if ! curl -s "http://127.0.0.1:$SPORT/search?q=storm+hits&format=json" | grep -q 'pages.test/a.html'; then
	sed 's/^/# searx: /' "$T/searx.log" | tail -20
	ok 1 "searx started on 127.0.0.1:$SPORT and answers from the simulated web"
	done_testing
fi
ok 0 "searx started on 127.0.0.1:$SPORT and answers from the simulated web"

vmind-crawl -q --db "$T/c.db" --out "$T/out" --connect-to "127.0.0.1:$SPORT:127.0.0.1:$SPORT" \
	--connect-to "::127.0.0.1:$PORT" --allow-private --tiers origin,search \
	--search "searx:http://127.0.0.1:$SPORT" "$T/news/news.tsv" 2>"$T/crawl.err"
is "$?" 0 "crawl through searx exits 0"
is "$(q "SELECT n.id, i.tier, i.search_backend, i.page_url, i.image_url, i.sha256 FROM news n JOIN image i ON i.news_num = n.num ORDER BY n.num" | tr '\n' ' ')" \
   "N1 search searx http://pages.test/a.html http://img.test/a.jpg $(sha "$D/cover.jpg") N2 search searx http://pages.test/b.html http://img.test/b.png $(sha "$D/cover.png") " \
   "N1 and N2: the matching result's page cover (json_engine gives no img_src); not the shuffled title"
is "$(q "SELECT state || ' ' || outcome FROM news WHERE num = 3")" "done no-image" "N3: no result, no image"
is "$(q "SELECT count(*) FROM request WHERE purpose = 'search' AND status = 200")" 3 "three searches answered by searx"
ok $([ "$(awk -F'\t' '$3 == "127.0.0.1" && $4 ~ /^\/search\?q=/' "$T/req.log" | wc -l)" -ge 3 ]; echo $?) \
   "searx asked the simulated web's search endpoint"
done_testing
