#!/bin/sh
# t0802-resize-kill.sh: crash safety. vmind-resize works 200 images and is
# killed with SIGKILL at random instants, three times, then resumed to the
# end. After each kill every committed row names a whole output with its
# sha256; at the end every item has an output and a row, the set of output
# files equals the set of rows, each file hashes to its row's sha256 and is
# a whole 224x224 image, no temporary is left, the database passes its
# integrity check, and a further run finds nothing to do.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/resize/lib.sh"

cd "$T" || exit 1
mkdir -p crawl/raw
# four distinct pictures (noise, so they cost some decoding), 50 copies each
vips gaussnoise g.v 800 600 --sigma 60 --mean 128
vips bandjoin "g.v g.v g.v" g3.v
vips copy g3.v base0.jpg --interpretation srgb
vips flip g3.v f.v horizontal && vips copy f.v base1.png
vips rot g3.v r.v d180 && vips copy r.v base2.webp
vips linear g3.v l.v 0.5 40 --uchar && vips copy l.v base3.jpg --interpretation srgb
DB=crawl/crawl.db
mkdb $DB
sqls=""
i=1
while [ $i -le 200 ]; do
	k=$((i % 4))
	ext=$(ls base$k.* | sed 's/.*\.//')
	cp base$k.$ext crawl/raw/N$i.$ext
	sha=$(sha256sum <base$k.$ext | cut -c1-64)
	sqls="$sqls INSERT INTO news (num, id, category, subcategory, title, url) VALUES ($i, 'N$i', 'c', 's', 't', 'u');
	  INSERT INTO image (news_num, tier, raw_path, sha256, fetched_at) VALUES ($i, 'origin', 'raw/N$i.$ext', '$sha', 0);"
	i=$((i + 1))
done
sqlite3 $DB "BEGIN; $sqls COMMIT;"
is "$(sqlite3 $DB 'SELECT count(*) FROM image')" "200" "200 items registered"

# three runs killed at random instants between 0.2 and 1.2 s
interrupted=0
for round in 1 2 3; do
	vmind-resize --db $DB --out res -j 2 --batch 7 -q 2>>"$T/runs.err" &
	pid=$!
	track_pid $pid
	ms=$(awk -v s="$(od -An -N2 -tu2 /dev/urandom)" 'BEGIN { srand(s); printf "%.2f", 0.2 + rand() * 1.0 }')
	sleep "$ms"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	n=$(sqlite3 $DB 'SELECT count(*) FROM resized')
	echo "# round $round: killed after ${ms}s with $n rows committed"
	[ "$n" -lt 200 ] && interrupted=$((interrupted + 1))
	# at this instant already: every committed row names a whole file
	bad=0
	sqlite3 -separator ' ' $DB 'SELECT sha256, path FROM resized' >"$T/sums"
	while read -r sum path; do
		[ -f "res/$path" ] && [ "$(sha256sum <"res/$path" | cut -c1-64)" = "$sum" ] || bad=$((bad + 1))
	done <"$T/sums"
	is "$bad" "0" "round $round: every committed row's file is there with its sha256"
	is "$(sqlite3 $DB 'PRAGMA integrity_check')" "ok" "round $round: database integrity"
done
ok $((interrupted == 0)) "at least one run was killed before it finished ($interrupted of 3)"

exits 0 "the resumed run finishes with exit 0" vmind-resize --db $DB --out res -j 2
is "$(sqlite3 $DB 'SELECT count(*) FROM resized')" "200" "every item has a row"
is "$(sqlite3 $DB 'SELECT count(*) FROM resize_error')" "0" "no errors"
is "$(ls -A res | grep -c 'tmp')" "0" "no temporaries left"
ls res | sort >"$T/files"
sqlite3 $DB 'SELECT path FROM resized' | sort >"$T/rows"
cmp -s "$T/files" "$T/rows"; ok $? "the output files are exactly the rows' paths"
is "$(sqlite3 $DB 'PRAGMA integrity_check')" "ok" "database integrity"
bad=0
sqlite3 -separator ' ' $DB 'SELECT sha256, path FROM resized' >"$T/sums"
while read -r sum path; do
	[ "$(sha256sum <"res/$path" | cut -c1-64)" = "$sum" ] || { bad=$((bad + 1)); echo "# $path differs"; }
done <"$T/sums"
is "$bad" "0" "every file has its row's sha256"
bad=0
for f in res/N1.jpg res/N2.jpg res/N3.jpg res/N4.jpg res/N199.jpg res/N200.jpg; do
	[ "$(hdr "$f")" = "224x224 3 sRGB UCHAR" ] || { bad=1; echo "# $f: $(hdr "$f")"; }
done
is "$bad" "0" "sampled outputs are whole 224x224 images"
exits 0 "one more run" vmind-resize --db $DB --out res -j 2
grep -q ': 200 images: 0 resized, 200 unchanged, 0 failed' "$T/err"; ok $? "nothing left to do"
done_testing
