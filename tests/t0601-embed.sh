#!/bin/sh
# t0601-embed.sh: vlsnr-embed as a tool, with the committed tiny CLIP model:
# tokenize gives the reference's ids exactly; text/image write N x 16 .npy;
# news writes ids.txt, the four .npy, missing.txt and white.npy with the rows
# of items equal to those of text/image; a run stopped after some chunks
# restarts without redoing them and gives identical files; the hash encoder
# is deterministic; bad checkpoints and usage errors exit 2 naming the file.
. "$top_srcdir/tests/lib.sh"

D="$top_srcdir/tests/data/embed"
M="$D/tiny-clip"

vlsnr-embed tokenize --clip "$M" <"$D/strings.txt" >"$T/tok" 2>"$T/err"
ok $? "tokenize exits 0"
check "tokenize: ids equal the PyTorch reference's (tokens.txt)" cmp "$T/tok" "$D/tokens.txt"
is "$(echo 'a photo of a fox' | vlsnr-embed tokenize --clip "$M")" "$(sed -n 1p "$D/tokens.txt")" "tokenize one line"

# npy rows x cols from the header, and the size
npy_shape() { head -c 128 "$1" | tr -d '\000' | grep -ao "'shape': ([0-9]*, [0-9]*)" | tr -dc '0-9,'; }
# close A RA B RB DESC: rows equal within 1e-5 (batches of other shapes round
# differently in the last bits)
close() {
	od -An -v -tf4 -w64 -j $((128 + $2 * 64)) -N 64 "$1" | tr -s ' ' '\n' | grep . >"$T/ra"
	od -An -v -tf4 -w64 -j $((128 + $4 * 64)) -N 64 "$3" | tr -s ' ' '\n' | grep . >"$T/rb"
	paste "$T/ra" "$T/rb" | awk -v n=16 '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; k++ }
		END { if (k != n || m > 1e-5) { printf "#   %d values, max diff %g\n", k, m; exit 1 } }'
	ok $? "$5"
}
# every npy written here has a 128-byte header (np.save's layout)
hdr() { head -c 10 "$1" | od -An -tu1 | awk '{ print $9 + 256 * $10 + 10 }'; }

vlsnr-embed text --clip "$M" --out "$T/t.npy" <"$D/texts.txt"
ok $? "text exits 0"
is "$(npy_shape "$T/t.npy")" "6,16" "text.npy is 6 x 16"
is "$(hdr "$T/t.npy")" 128 "npy header is 128 bytes"
is "$(wc -c <"$T/t.npy" | tr -d ' ')" $((128 + 6 * 16 * 4)) "text.npy size"

vlsnr-embed image --clip "$M" -j 2 --batch 3 --out "$T/i.npy" "$D"/img/*.png
ok $? "image exits 0"
is "$(npy_shape "$T/i.npy")" "7,16" "image.npy is 7 x 16"
vlsnr-embed image --clip "$M" --batch 64 --out "$T/i1.npy" "$D/img/b-landscape.png"
close "$T/i1.npy" 0 "$T/i.npy" 1 "an image alone or in a batch of 3 gives the same row"

# a small news.tsv: 5 items, images for 3, one image undecodable
mkdir -p "$T/img"
cp "$D/img/b-landscape.png" "$T/img/N1.png"
cp "$D/img/e-grey.png" "$T/img/N3.png"
printf 'not an image' >"$T/img/N4.jpg"
printf 'N%s\t%s\t%s\t%s\t\t\t[]\t[]\n' \
	1 news newsus "The president said on Monday that the market would recover" \
	2 sports football_nfl "a photo of a fox" \
	3 foodanddrink recipes "Caf&eacute; &amp; bar" \
	4 news newsworld "emoji" \
	5 autos autosnews "" >"$T/news.tsv"
printf 'N%s\t%s\t%s\t%s\t\t\t[]\t[]\n' 2 sports football_nfl "a photo of a fox" 6 tv tvnews "six" >"$T/news2.tsv"

exits 1 "news: exit 1 when an image cannot be decoded" \
	vlsnr-embed news --clip "$M" --news "$T/news.tsv" --news "$T/news2.tsv" --images "$T/img" --out "$T/o" --chunk 2
grep -q "N4.jpg" "$T/err"
ok $? "the undecodable image is named"
is "$(tr '\n' ' ' <"$T/o/ids.txt")" "N1 N2 N3 N4 N5 N6 " "ids.txt: row order, an item in two files once"
is "$(tr '\n' ' ' <"$T/o/missing.txt")" "N2 N4 N5 N6 " "missing.txt: items without a (readable) image"
for k in image title category subcategory; do
	is "$(npy_shape "$T/o/$k.npy")" "6,16" "$k.npy is 6 x 16"
done
is "$(npy_shape "$T/o/white.npy")" "1,16" "white.npy is 1 x 16"
vlsnr-embed image --clip "$M" --out "$T/w.npy" "$D/img/g-white.png"
close "$T/o/white.npy" 0 "$T/w.npy" 0 "white.npy = the embedding of a white 224x224 image"
close "$T/o/image.npy" 1 "$T/w.npy" 0 "an item without an image gets the white embedding"
close "$T/o/image.npy" 0 "$T/i.npy" 1 "N1's image row = image of the same file"
printf '%s\n' "The president said on Monday that the market would recover" "a photo of a fox" \
	"sports" "football nfl" >"$T/lines"
vlsnr-embed text --clip "$M" --out "$T/l.npy" <"$T/lines"
close "$T/o/title.npy" 0 "$T/l.npy" 0 "title row = text of the same line"
close "$T/o/title.npy" 1 "$T/l.npy" 1 "title row of N2"
close "$T/o/category.npy" 1 "$T/l.npy" 2 "category row"
close "$T/o/subcategory.npy" 1 "$T/l.npy" 3 "subcategory: '_' read as a space"

# resume: forget chunk 1 and the outputs, as if killed; chunks 0 and 2 are kept
for k in image title category subcategory; do cp "$T/o/$k.npy" "$T/first.$k.npy"; done
rm -f "$T/o/parts/000001.image.npy" "$T/o"/*.npy "$T/o/ids.txt"
touch -d '2001-01-01' "$T/o/parts/000000.title.npy" "$T/o/parts/000001.title.npy" "$T/o/parts/000002.title.npy"
exits 1 "restarted run finishes (exit 1: N4 is still undecodable)" \
	vlsnr-embed news --clip "$M" --news "$T/news.tsv" --news "$T/news2.tsv" --images "$T/img" --out "$T/o" --chunk 2
same=0
for k in image title category subcategory; do cmp -s "$T/o/$k.npy" "$T/first.$k.npy" || same=1; done
ok $same "restarted run gives identical .npy files"
is "$(find "$T/o/parts" -name '00000[02].title.npy' -newer "$T/o/parts/progress" | wc -l | tr -d ' ')" 0 \
	"finished chunks were not redone"
find "$T/o/parts" -name '000001.title.npy' -newer "$T/o/parts/progress" | grep -q .
ok $? "the unfinished chunk was redone"
# a run with other inputs starts over instead of mixing chunks
vlsnr-embed news --clip "$M" --news "$T/news2.tsv" --out "$T/o" --chunk 2
ok $? "news without --images (all missing) exits 0"
is "$(tr '\n' ' ' <"$T/o/ids.txt")" "N2 N6 " "other inputs: outputs rebuilt"
is "$(ls "$T/o/parts" | grep -c npy)" 4 "old chunks were discarded"

# hash encoder
vlsnr-embed news --encoder hash --news "$T/news.tsv" --images "$T/img" --out "$T/h1" 2>/dev/null
vlsnr-embed news --encoder hash --news "$T/news.tsv" --images "$T/img" --out "$T/h2" -j 1 --chunk 1 2>/dev/null
is "$(npy_shape "$T/h1/image.npy")" "5,512" "hash: 512 columns"
same=0
for k in image title category subcategory white; do cmp -s "$T/h1/$k.npy" "$T/h2/$k.npy" || same=1; done
ok $same "hash: deterministic, whatever -j and --chunk"
echo "Tom &amp; Jerry" | vlsnr-embed text --encoder hash --out "$T/h3.npy"
echo "tom & jerry" | vlsnr-embed text --encoder hash --out "$T/h4.npy"
check "hash: texts equal after cleaning embed equally" cmp "$T/h3.npy" "$T/h4.npy"

# errors
mkdir -p "$T/bad"
cp "$M/config.json" "$M/vocab.json" "$M/merges.txt" "$T/bad/"
head -c 1000 "$M/model.safetensors" >"$T/bad/model.safetensors"
exits 2 "truncated safetensors: exit 2" vlsnr-embed text --clip "$T/bad" --out "$T/x.npy" </dev/null
grep -q "$T/bad/model.safetensors: truncated" "$T/err"
ok $? "the message names the truncated file"
exits 2 "missing folder: exit 2" vlsnr-embed tokenize --clip "$T/nonexistent" </dev/null
grep -q "$T/nonexistent/config.json" "$T/err"
ok $? "the message names config.json"
exits 2 "unknown subcommand" vlsnr-embed frobnicate --encoder hash
exits 2 "unknown encoder" vlsnr-embed text --encoder bogus --out "$T/x.npy"
exits 2 "no model" vlsnr-embed text --out "$T/x.npy"
exits 2 "news without --news" vlsnr-embed news --encoder hash --out "$T/x"
exits 1 "image: an unreadable file gives exit 1" vlsnr-embed image --encoder hash --out "$T/x.npy" "$T/img/N4.jpg" "$T/img/N1.png"
is "$(npy_shape "$T/x.npy")" "2,512" "image: a row for every argument"

# --images that is not a folder: exit 2, nothing written
exits 2 "news --images TYPO: exit 2" vlsnr-embed news --encoder hash --news "$T/news.tsv" --images "$T/imgz" --out "$T/typo"
is "$(cat "$T/err")" "vlsnr-embed: --images $T/imgz: no such folder (the folder vmind-resize wrote the covers to)" \
	"the error names the folder"
test ! -e "$T/typo"; ok $? "nothing written"
# most covers missing: said loudly, with the count
mkdir -p "$T/img1"
cp "$D/img/b-landscape.png" "$T/img1/N1.png"
exits 0 "news with 1 cover of 6: exit 0" vlsnr-embed news --encoder hash --news "$T/news.tsv" --news "$T/news2.tsv" \
	--images "$T/img1" --out "$T/few"
grep -q "^vlsnr-embed: WARNING: 5 of 6 items (83%) have no cover in $T/img1 and were embedded with the white image" "$T/err"
ok $? "a run where most covers are missing says so"
cp "$D/img/b-landscape.png" "$T/img1/N3.png"
cp "$D/img/b-landscape.png" "$T/img1/N6.png"
exits 0 "news with 3 covers of 6: no warning" vlsnr-embed news --encoder hash --news "$T/news.tsv" --news "$T/news2.tsv" \
	--images "$T/img1" --out "$T/half"
grep -q WARNING "$T/err"; is $? 1 "half the covers present: no warning"
done_testing
