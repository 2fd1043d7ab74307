# tests/data/resize/lib.sh: helpers for the t08xx resize tests, sourced after
# tests/lib.sh. Input images are made with the vips CLI at test time, so no
# binary file is kept in the tree. A test database gets the schema from
# vmind/lib/schema.sql and one news + image row per raw file, as vmind-crawl
# would write them.

# mkdb DB: an empty provenance database.
mkdb() {
	sqlite3 "$1" <"$top_srcdir/vmind/lib/schema.sql" && sqlite3 "$1" 'PRAGMA user_version = 1;'
}

# addimg DB NUM RAWPATH [TIER]: news item N<NUM> whose image is RAWPATH
# (relative to the database's directory; may not exist, or be empty for
# none). The sha256 column is the file's, when it exists.
addimg() {
	_db=$1 _num=$2 _raw=$3 _tier=${4:-origin}
	_dir=$(dirname "$_db")
	_sha=NULL
	[ -n "$_raw" ] && [ -f "$_dir/$_raw" ] && _sha="'$(sha256sum <"$_dir/$_raw" | cut -c1-64)'"
	_rawq=NULL
	[ -n "$_raw" ] && _rawq="'$_raw'"
	sqlite3 "$_db" "INSERT INTO news (num, id, category, subcategory, title, url)
	  VALUES ($_num, 'N$_num', 'news', 'newsus', 'title $_num', 'https://example.test/$_num.html');
	  INSERT INTO image (news_num, tier, raw_path, sha256, fetched_at)
	  VALUES ($_num, '$_tier', $_rawq, $_sha, 0);"
}

# px FILE X Y: the pixel at (X, Y) as "R G B" (integers)
px() {
	vips getpoint "$1" "$2" "$3" | awk '{ for (i = 1; i <= NF; i++) printf "%s%d", (i > 1 ? " " : ""), $i + 0.5; print "" }'
}

# near "R G B" "R G B" TOL: each channel within TOL
near() {
	echo "$1 $2" | awk -v t="$3" '{ for (i = 1; i <= 3; i++) { d = $i - $(i + 3); if (d < 0) d = -d; if (d > t) exit 1 } }'
}

# hdr FILE: "WIDTHxHEIGHT BANDS INTERPRETATION FORMAT", e.g. "224x224 3 sRGB UCHAR"
hdr() {
	echo "$(vipsheader -f width "$1")x$(vipsheader -f height "$1") $(vipsheader -f bands "$1") $(vipsheader -f interpretation "$1" | sed 's/.*VIPS_INTERPRETATION_\([A-Za-z0-9]*\).*/\1/') $(vipsheader -f format "$1" | sed 's/.*VIPS_FORMAT_\([A-Z]*\).*/\1/')"
}

# stripes OUT W H: a W x H sRGB image, left third red, middle green, right
# third blue (pure 255 values, W divisible by 3)
stripes() {
	_w3=$(($2 / 3))
	vips black "$T/s_r.v" "$_w3" "$3" --bands 3 &&
	vips linear "$T/s_r.v" "$T/s_R.v" "0 0 0" "255 0 0" --uchar &&
	vips linear "$T/s_r.v" "$T/s_G.v" "0 0 0" "0 255 0" --uchar &&
	vips linear "$T/s_r.v" "$T/s_B.v" "0 0 0" "0 0 255" --uchar &&
	vips arrayjoin "$T/s_R.v $T/s_G.v $T/s_B.v" "$T/s_rgb.v" --across 3 &&
	vips copy "$T/s_rgb.v" "$T/s_srgb.v" --interpretation srgb &&
	vips copy "$T/s_srgb.v" "$1"
}

# solid OUT W H "R G B" [BANDS...]: a flat sRGB image of that colour
solid() {
	vips black "$T/so.v" "$2" "$3" --bands 3 &&
	vips linear "$T/so.v" "$T/so2.v" "0 0 0" "$4" --uchar &&
	vips copy "$T/so2.v" "$T/so3.v" --interpretation srgb &&
	vips copy "$T/so3.v" "$1"
}
