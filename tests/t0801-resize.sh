#!/bin/sh
# t0801-resize.sh: vmind-resize end to end on a small crawl database: every
# output is exactly 224x224, 3 bands, sRGB, 8-bit; the mode's geometry shows
# in the pixels of a red|green|blue 300x100 input (crop keeps green only, pad
# keeps all three between white bars, stretch keeps all three full height);
# bad inputs (zero bytes, not an image, truncated, missing, over
# --max-pixels) are recorded in resize_error with their reason while the rest
# is done, exit 1; the resized rows carry the right sha256s, options and
# hash; a second run skips unchanged items; changed options, a changed
# source, a damaged output and --force redo; usage errors exit 2; the lock
# keeps a second run out; leftover temporaries are removed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/resize/lib.sh"

cd "$T" || exit 1
mkdir -p crawl/raw
R=crawl/raw
stripes $R/s.png 300 100
vips copy $R/s.png "$R/s.jpg[Q=95]"
vips copy $R/s.png "$R/s.webp[lossless]"
vips colourspace $R/s.png $R/grey.png b-w
solid $R/tiny.png 2 2 "0 0 255"
: >$R/zero.jpg
echo '<html>404</html>' >$R/page.jpg
head -c 2000 $R/s.jpg >$R/trunc.jpg
solid $R/big.png 200 200 "10 200 10"
solid $R/white-raw.png 50 50 "255 255 255"
DB=crawl/crawl.db
mkdb $DB
addimg $DB 1 raw/s.png
addimg $DB 2 raw/s.jpg
addimg $DB 3 raw/s.webp
addimg $DB 4 raw/grey.png
addimg $DB 5 raw/tiny.png
addimg $DB 6 raw/zero.jpg
addimg $DB 7 raw/page.jpg
addimg $DB 8 raw/trunc.jpg
addimg $DB 9 raw/missing.jpg
addimg $DB 10 raw/big.png
addimg $DB 11 "" placeholder
addimg $DB 12 raw/white-raw.png placeholder
addimg $DB 13 raw/gone.png placeholder
sq() { sqlite3 "$DB" "$1"; }

exits 1 "a batch with bad items exits 1" vmind-resize --db $DB --out res -j 2 --max-pixels 39999
cp "$T/err" "$T/err1"
is "$(ls res | sort | tr '\n' ' ')" "N1.jpg N11.jpg N12.jpg N13.jpg N2.jpg N3.jpg N4.jpg N5.jpg " "outputs for the good items only"
for f in res/*.jpg; do
	is "$(hdr "$f")" "224x224 3 sRGB UCHAR" "$f: 224x224, 3 bands, sRGB, 8-bit"
done
# crop: the centre third of 672x224 is green; no red, no blue
for n in 1 2 3; do
	for x in 8 112 215; do
		near "$(px res/N$n.jpg $x 112)" "0 255 0" 40; ok $? "crop N$n: ($x,112) green"
	done
done
near "$(px res/N5.jpg 100 100)" "0 0 255" 3; ok $? "tiny 2x2 blue upscaled: blue"
g=$(px res/N4.jpg 112 112)
echo "$g" | awk '{ exit !($1 == $2 && $2 == $3 && $1 > 150) }'; ok $? "greyscale: 3 equal bands ($g)"
is "$(px res/N11.jpg 0 0) $(px res/N11.jpg 223 223)" "255 255 255 255 255 255" "placeholder without raw: white"
is "$(px res/N13.jpg 5 5)" "255 255 255" "placeholder whose raw file is gone: white"

is "$(sq 'SELECT news_num FROM resize_error ORDER BY news_num' | tr '\n' ' ')" "6 7 8 9 10 " "failures recorded"
is "$(sq 'SELECT error FROM resize_error WHERE news_num = 6')" "crawl/raw/zero.jpg: empty file" "zero bytes: reason"
is "$(sq 'SELECT error FROM resize_error WHERE news_num = 7')" "crawl/raw/page.jpg: not a recognised image format" "not an image: reason"
is "$(sq 'SELECT error FROM resize_error WHERE news_num = 8')" "crawl/raw/trunc.jpg: truncated file (JPEG end marker missing)" "truncated: reason"
is "$(sq 'SELECT error FROM resize_error WHERE news_num = 9')" "crawl/raw/missing.jpg: No such file or directory" "missing raw: reason"
is "$(sq 'SELECT error FROM resize_error WHERE news_num = 10')" "crawl/raw/big.png: image is 200x200 = 40000 pixels, over the limit of 39999 (--max-pixels)" "pixel limit: reason"
is "$(sq "SELECT source_sha256 FROM resize_error WHERE news_num = 8")" "$(sha256sum <$R/trunc.jpg | cut -c1-64)" "error rows carry the source sha256"
for n in 6 7 8 9 10; do
	grep -q "^vmind-resize: N$n: " "$T/err1"; ok $? "stderr names N$n"
done

# the resized rows
bad=0
for f in res/*.jpg; do
	n=$(basename "$f" .jpg)
	row=$(sq "SELECT path, sha256, size, mode, format, quality FROM resized WHERE news_num = ${n#N}")
	[ "$row" = "$n.jpg|$(sha256sum <"$f" | cut -c1-64)|224|crop|jpg|90" ] || { bad=1; echo "# $row"; }
done
ok $bad "each row: path, sha256 of the file, size, mode, format, quality"
is "$(sq 'SELECT source_sha256 FROM resized WHERE news_num = 2')" "$(sha256sum <$R/s.jpg | cut -c1-64)" "source_sha256 is the raw file's"
is "$(sq 'SELECT source_sha256 FROM resized WHERE news_num = 11')" "white" "a generated white image's source is 'white'"
# a flat image's pHash has only the DC bit: 0x8000000000000000
is "$(sq 'SELECT phash FROM resized WHERE news_num IN (1, 11, 12) ORDER BY news_num' | tr '\n' ' ')" \
	"-9223372036854775808 -9223372036854775808 -9223372036854775808 " "flat outputs: pHash 0x8000000000000000"

# metadata stripped
vipsheader -a res/N2.jpg >"$T/meta"
grep -q -i 'exif-data\|icc-profile-data' "$T/meta"; ok $((! $?)) "no EXIF or ICC in the output"

# second run: nothing to do for the good items, the bad ones are retried
ino=$(stat -c %i res/N2.jpg)
exits 1 "second run: still exit 1 (the bad items fail again)" vmind-resize --db $DB --out res -j 2 --max-pixels 39999
grep -q ': 13 images: 0 resized, 8 unchanged, 5 failed' "$T/err"; ok $? "second run: 8 unchanged, 0 resized"
is "$(stat -c %i res/N2.jpg)" "$ino" "unchanged output not rewritten"

# a failed item that got fixed leaves resize_error
exits 0 "without the pixel limit problem and the bad files: exit 0" sh -c "
	sqlite3 $DB 'DELETE FROM image WHERE news_num IN (6, 7, 8, 9)' &&
	vmind-resize --db $DB --out res -q"
is "$(sq 'SELECT count(*) FROM resize_error')" "0" "resize_error emptied (fixed items and items without an image row)"
is "$(hdr res/N10.jpg)" "224x224 3 sRGB UCHAR" "N10 done now"

# pad: red, green, blue between white bars
exits 0 "--mode pad" vmind-resize --db $DB --out res --mode pad -q
near "$(px res/N1.jpg 20 112)" "255 0 0" 40; ok $? "pad: red left"
near "$(px res/N1.jpg 112 112)" "0 255 0" 40; ok $? "pad: green centre"
near "$(px res/N1.jpg 203 112)" "0 0 255" 40; ok $? "pad: blue right"
is "$(px res/N1.jpg 112 10) $(px res/N1.jpg 112 213)" "255 255 255 255 255 255" "pad: white bars above and below"
is "$(sq 'SELECT DISTINCT mode FROM resized')" "pad" "rows say pad"
is "$(sq 'SELECT count(DISTINCT phash) FROM resized WHERE news_num IN (1, 11)')" "2" "different pictures, different hashes"

# stretch as PNG: stripes full height, no white; the old .jpg files go
exits 0 "--mode stretch --format png" vmind-resize --db $DB --out res --mode stretch --format png -q
is "$(ls res | sort | tr '\n' ' ')" "N1.png N10.png N11.png N12.png N13.png N2.png N3.png N4.png N5.png " "outputs are PNG now, old JPEGs removed"
is "$(px res/N1.png 20 2) $(px res/N1.png 112 221) $(px res/N1.png 203 2)" "255 0 0 0 255 0 0 0 255" "stretch: three stripes, full height"
is "$(hdr res/N1.png)" "224x224 3 sRGB UCHAR" "png output: 224x224, 3 bands, sRGB"
is "$(sq 'SELECT DISTINCT format || quote(quality) FROM resized')" "pngNULL" "png rows have no quality"

# a changed source, a damaged output, --force
vips copy $R/s.png "$R/s.jpg[Q=50]"
sq "UPDATE image SET sha256 = '$(sha256sum <$R/s.jpg | cut -c1-64)' WHERE news_num = 2"
echo damaged >res/N3.png
exits 0 "after a source change and a damaged output" vmind-resize --db $DB --out res --mode stretch --format png
grep -q ': 9 images: 2 resized, 7 unchanged, 0 failed' "$T/err"; ok $? "exactly the two touched items redone"
is "$(hdr res/N3.png)" "224x224 3 sRGB UCHAR" "damaged output rebuilt"
exits 0 "--force" vmind-resize --db $DB --out res --mode stretch --format png --force
grep -q ': 9 images: 9 resized, 0 unchanged' "$T/err"; ok $? "--force redoes everything"

# --raw, leftovers, the lock
cp $DB elsewhere.db
touch res/N1.png.tmp.99999
exits 0 "--raw names the raw directory" vmind-resize --db elsewhere.db --raw crawl --out res2 -q
is "$(ls res2 | wc -l)" "9" "all outputs with --raw"
exits 0 "leftover temporaries are removed" vmind-resize --db $DB --out res -q --mode stretch --format png
is "$(ls res | grep -c tmp)" "0" "no *.tmp.* left"
# a process holding the lock: the subshell becomes sleep, keeping fd 9
(exec 9>>res/.vmind-resize.lock && flock 9 && exec sleep 30) &
lockpid=$!
track_pid $lockpid
sleep 0.3
exits 2 "a second run on a locked directory exits 2" vmind-resize --db $DB --out res -q
grep -q 'another vmind-resize' "$T/err"; ok $? "and says why"
kill $lockpid

exits 2 "no --db: exit 2" vmind-resize --out res
exits 2 "bad --mode: exit 2" vmind-resize --db $DB --out res --mode squash
grep -q "squash" "$T/err"; ok $? "the bad mode is named"
exits 2 "bad --size: exit 2" vmind-resize --db $DB --out res --size 0
exits 2 "missing database: exit 2" vmind-resize --db nowhere.db --out res
exits 0 "--help" vmind-resize --help
done_testing
