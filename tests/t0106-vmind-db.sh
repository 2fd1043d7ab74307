#!/bin/sh
# t0106-vmind-db.sh: the V-MIND row from a provenance database made by hand
# with the sqlite3 shell from vmind/lib/schema.sql: images are the news of the
# news files with an image whose tier is not 'placeholder'; origin rate counts
# the origin and archive tiers; the tiers are shown apart (text note, JSON
# keys); image rows of news outside the news files are left out and said.
# Also --duplicates (groups from vmind/lib/dupes.c) in text and JSON: a
# placeholder never in a group, colours telling apart covers of one pHash.
. "$top_srcdir/tests/lib.sh"

if ! command -v sqlite3 >/dev/null 2>&1; then
	skip "the sqlite3 shell is not installed"; done_testing
fi
TIME='11/11/2019 9:05:58 AM'
awk 'BEGIN { for (i = 1; i <= 100; i++)
	printf "N%d\tnews\tsports\tTitle %d\t\thttps://assets.msn.com/labs/mind/AB%05d.html\t[]\t[]\n", 7 * i, i, i }' >"$T/news.tsv"
printf '1\tU1\t%s\tN7\tN14-1\n2\tU2\t%s\t\tN14-1\n' "$TIME" "$TIME" >"$T/beh.tsv"

# news 7*i: i <= 60 origin, <= 80 archive, <= 90 search, <= 95 placeholder,
# the rest without an image; news 1, 2, 3 are not in the news files
{
	cat "$top_srcdir/vmind/lib/schema.sql"
	echo "ALTER TABLE resized ADD COLUMN colour INTEGER;"   # migration 1 -> 2 (vmind/lib/db.c)
	echo "PRAGMA user_version = 2;"
	echo "BEGIN;"
	awk 'BEGIN {
		for (i = 1; i <= 100; i++) printf "INSERT INTO news (num, id, category, subcategory, title, url) VALUES (%d, '\''N%d'\'', '\''news'\'', '\''sports'\'', '\''t'\'', '\''u'\'');\n", 7 * i, 7 * i
		for (i = 1; i <= 3; i++) printf "INSERT INTO news (num, id, category, subcategory, title, url) VALUES (%d, '\''N%d'\'', '\''news'\'', '\''sports'\'', '\''t'\'', '\''u'\'');\n", i, i
		for (i = 1; i <= 95; i++) {
			tier = i <= 60 ? "origin" : i <= 80 ? "archive" : i <= 90 ? "search" : "placeholder"
			printf "INSERT INTO image (news_num, tier, fetched_at) VALUES (%d, '\''%s'\'', 0);\n", 7 * i, tier }
		for (i = 1; i <= 3; i++) printf "INSERT INTO image (news_num, tier, fetched_at) VALUES (%d, '\''origin'\'', 0);\n", i
		# two news sharing one resized image
		for (i = 1; i <= 2; i++) printf "INSERT INTO resized (news_num, path, sha256, source_sha256, size, mode, format, phash, created_at) VALUES (%d, '\''N%d.jpg'\'', '\''%064d'\'', '\''%064d'\'', 224, '\''crop'\'', '\''jpg'\'', 12345, 0);\n", 7 * i, 7 * i, 1, 2
		printf "INSERT INTO resized (news_num, path, sha256, source_sha256, size, mode, format, phash, created_at) VALUES (21, '\''N21.jpg'\'', '\''%064d'\'', '\''%064d'\'', 224, '\''crop'\'', '\''jpg'\'', -1, 0);\n", 3, 4
		# two placeholders, one pHash (no picture: never a group); two covers of
		# one pHash in far colours (not one picture); two of near pHash and
		# colour (one picture)
		R = "INSERT INTO resized (news_num, path, sha256, source_sha256, size, mode, format, phash, created_at, colour) VALUES"
		printf "%s (637, '\''N637.jpg'\'', '\''%064d'\'', '\''p1'\'', 224, '\''crop'\'', '\''jpg'\'', 777, 0, 0);\n", R, 11
		printf "%s (644, '\''N644.jpg'\'', '\''%064d'\'', '\''p2'\'', 224, '\''crop'\'', '\''jpg'\'', 777, 0, 0);\n", R, 12
		printf "%s (70, '\''N70.jpg'\'', '\''%064d'\'', '\''c1'\'', 224, '\''crop'\'', '\''jpg'\'', 999, 0, 0);\n", R, 13
		printf "%s (77, '\''N77.jpg'\'', '\''%064d'\'', '\''c2'\'', 224, '\''crop'\'', '\''jpg'\'', 999, 0, 1152921504606846975);\n", R, 14
		printf "%s (84, '\''N84.jpg'\'', '\''%064d'\'', '\''n1'\'', 224, '\''crop'\'', '\''jpg'\'', 555, 0, 33);\n", R, 15
		printf "%s (91, '\''N91.jpg'\'', '\''%064d'\'', '\''n2'\'', 224, '\''crop'\'', '\''jpg'\'', 556, 0, 34);\n", R, 16
	}'
	echo "COMMIT;"
} >"$T/db.sql"
sqlite3 "$T/v.db" <"$T/db.sql" >"$T/sqlite.log" 2>&1
ok $? "database made with the sqlite3 shell"

set -- --news "$T/news.tsv" --behaviors "$T/beh.tsv" --db "$T/v.db"
exits 0 "--db: exit 0" vmind-stats --format csv "$@"
is "$(sed -n 3p "$T/out")" "V-MIND,100,2,90,0.900000,0.800000" "V-MIND row: 90 images, origin rate 80/100"
exits 0 "text" vmind-stats "$@"
is "$(grep '^V-MIND  *[0-9]' "$T/out" | tr -s ' ')" "V-MIND 100 2 90 90.00% 80.00%" "text row"
is "$(grep '^V-MIND images by tier' "$T/out")" \
   "V-MIND images by tier: origin (live) 60, archive 20, search 10; placeholder 5 (not counted as images)" "tiers below the table"
is "$(grep '^V-MIND: ' "$T/out")" "V-MIND: 3 image row(s) of news not in the news files ignored" "image rows of other news said"
exits 0 "json" vmind-stats --format json "$@"
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = [x for x in d["rows"] if x["dataset"] == "V-MIND"][0]
assert (r["news"], r["users"], r["images"]) == (100, 2, 90), r
assert abs(r["image_rate"] - 0.9) < 1e-9 and abs(r["origin_rate"] - 0.8) < 1e-9, r
assert r["tiers"] == {"origin": 60, "archive": 20, "search": 10, "placeholder": 5}, r
assert r["placeholder"] == 5 and r["outside"] == 3, r
' "$T/out"
	ok $? "JSON V-MIND row with its tiers"
else
	skip "python3 is not installed"
fi

exits 0 "--duplicates: exit 0" vmind-stats --duplicates "$@"
ok $(grep -q 'group 1: 2 items' "$T/out"; echo $?) "--duplicates: the shared image is a group of 2"
is "$(grep -c '^group ' "$T/out")" 2 "two groups: the shared image and the near copy (N84, N91)"
grep -A2 '^group 2: 2 items' "$T/out" | grep -q N91; ok $? "near pHash and colour: one picture"
grep -q 'N637\|N644' "$T/out"; is $? 1 "placeholders never form a group"
grep -q 'N70\|N77' "$T/out"; is $? 1 "one pHash in far colours is two pictures"
exits 0 "--duplicates --format json" vmind-stats --duplicates --max-distance 0 --format json "$@"
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
g = d["duplicates"]["groups"]
assert len(g) == 1 and g[0]["size"] == 2, g
assert sorted(x["id"] for x in g[0]["items"]) == ["N14", "N7"], g
assert len(d["rows"]) == 2
' "$T/out"
	ok $? "JSON: rows and the duplicate group in one document"
else
	skip "python3 is not installed"
fi
exits 2 "--max-distance 65: exit 2" vmind-stats --duplicates --max-distance 65 "$@"

# set-up errors
exits 2 "missing database: exit 2" vmind-stats --news "$T/news.tsv" --behaviors "$T/beh.tsv" --db "$T/none.db"
ok $(grep -q "^vmind-stats: $T/none.db: " "$T/err"; echo $?) "missing database: message names it"
echo "not a database" >"$T/junk.db"
exits 2 "not a database: exit 2" vmind-stats --news "$T/news.tsv" --behaviors "$T/beh.tsv" --db "$T/junk.db"
done_testing
