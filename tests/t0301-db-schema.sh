#!/bin/sh
# t0301-db-schema.sh: the provenance database seen from outside, with the
# sqlite3 CLI: a database the C code creates (through tests/unit/dbtool) has
# exactly the tables and columns that man/vmind.7's DATABASE section documents
# (so the page can't drift from schema.sql), the page's sample queries run on
# it, it is in WAL mode at version 2 with integrity ok; news registration
# merges splits as an awk computation of the same files says; the refusals
# (newer version, not SQLite, missing file) give their exact messages;
# concurrent creation of one file works; and a registration killed with -9
# leaves all or nothing.
. "$top_srcdir/tests/lib.sh"

dbtool="$top_builddir/tests/unit/dbtool"
page="$top_srcdir/man/vmind.7"
db="$T/v.db"

if ! command -v sqlite3 >/dev/null 2>&1; then
	skip "sqlite3 CLI not installed (Debian package sqlite3)"
	done_testing
fi
sq() { sqlite3 -batch -bail "$@"; }

exits 0 "dbtool create makes a database" "$dbtool" create "$db"
is "$(sq "$db" 'PRAGMA user_version')" 2 "user_version is 2"
is "$(sq "$db" 'PRAGMA journal_mode')" wal "journal mode is WAL"
is "$(sq "$db" 'PRAGMA application_id')" 1447906884 "application_id is 0x564D4E44"
is "$(sq "$db" 'PRAGMA integrity_check')" ok "PRAGMA integrity_check ok"

# --- the documented schema against the real one ---------------------------
# Tables are the `.SS "Table NAME"` subsections of DATABASE; a column is the
# `.B NAME` tag line after a `.TP` inside such a subsection.
sed -n '/^\.SH DATABASE/,/^\.SH /p' "$page" | awk '
	/^\.SS "Table / { t = $3; gsub(/"/, "", t); print "table " t; prev = ""; next }
	/^\.SS/ { t = "" }
	t != "" && prev ~ /^\.TP/ && /^\.B / { print "column " t "." $2 }
	{ prev = $0 }' >"$T/doc"
grep '^table ' "$T/doc" | sed 's/^table //' | sort >"$T/doc.tables"
grep '^column ' "$T/doc" | sed 's/^column //' | sort >"$T/doc.columns"
ok $([ "$(wc -l <"$T/doc.tables")" -ge 8 ]; echo $?) "man/vmind.7 documents the tables ($(wc -l <"$T/doc.tables") found)"
sq "$db" .tables | tr -s ' \t' '\n\n' | sed '/^$/d' | sort >"$T/db.tables"
is "$(comm -3 "$T/doc.tables" "$T/db.tables" | tr '\t\n' '  ')" "" \
	"sqlite3 .tables lists exactly the tables man/vmind.7 documents"
sq "$db" "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
          WHERE m.type = 'table'" | sort >"$T/db.columns"
ok $([ "$(wc -l <"$T/db.columns")" -ge 60 ]; echo $?) "the database has its columns ($(wc -l <"$T/db.columns"))"
is "$(comm -23 "$T/db.columns" "$T/doc.columns" | tr '\n' ' ')" "" \
	"every column of the database is documented in man/vmind.7"
is "$(comm -13 "$T/db.columns" "$T/doc.columns" | tr '\n' ' ')" "" \
	"every column man/vmind.7 documents exists"
# and schema.sql says the same as the database (no table made elsewhere)
sed -n 's/^CREATE TABLE \([a-z_]*\).*/\1/p' "$top_srcdir/vmind/lib/schema.sql" | sort >"$T/sql.tables"
is "$(comm -3 "$T/sql.tables" "$T/db.tables" | tr '\t\n' '  ')" "" "schema.sql's tables are the database's"

# --- registration of news from two splits ---------------------------------
mkdir -p "$T/m/train" "$T/m/dev"
tab=$(printf '\t')
mknews() { # FILE FROM TO: news N<FROM>..N<TO> in MIND's 8 columns
	awk -v a="$2" -v b="$3" 'BEGIN { for (i = a; i <= b; i++)
		printf "N%d\tnews\tnewsus\tTitle %d\tAbstract %d\thttps://assets.msn.com/labs/mind/AA%05d.html\t[]\t[]\n", i, i, i, i }' >"$1"
}
mknews "$T/m/train/news.tsv" 1 30
mknews "$T/m/dev/news.tsv" 21 45
exits 0 "dbtool add-news registers train and dev" "$dbtool" add-news "$db" "$T/m/train/news.tsv" "$T/m/dev/news.tsv"
# expected: each id with the sorted set of the directories it appears in
for s in train dev; do cut -f1 "$T/m/$s/news.tsv" | sed "s/\$/$tab$s/"; done |
	sort -t "$tab" -k1,1 -k2,2 | awk -F '\t' '
	$1 != id { if (id != "") print id "\t" set; id = $1; set = $2; next }
	{ set = set "," $2 }
	END { if (id != "") print id "\t" set }' | sort >"$T/want.splits"
sq -separator "$tab" "$db" 'SELECT id, splits FROM news' | sort >"$T/got.splits"
is "$(wc -l <"$T/got.splits" | tr -d ' ')" 45 "45 distinct news items"
check "splits of every item as computed with awk" cmp "$T/want.splits" "$T/got.splits"
is "$(sq "$db" "SELECT count(*) FROM news WHERE splits = 'dev,train'")" 10 "N21..N30 are in dev,train"
is "$(sq "$db" "SELECT state || ' ' || attempts || ' ' || title FROM news WHERE id = 'N25'")" "pending 0 Title 25" \
	"a new item is pending with 0 attempts and its title"
exits 0 "registering the same files again" "$dbtool" add-news "$db" "$T/m/dev/news.tsv"
check "... changes nothing" sh -c "sqlite3 -separator '$tab' '$db' 'SELECT id, splits FROM news' | sort | cmp - '$T/want.splits'"

# with vmind-synth's tiny dataset, when the tool is built
if vmind-synth --preset tiny --out "$T/syn" >"$T/synth.log" 2>&1 && [ -s "$T/syn/train/news.tsv" ]; then
	exits 0 "dbtool add-news on vmind-synth --preset tiny" "$dbtool" add-news "$T/syn.db" \
		"$T/syn/train/news.tsv" "$T/syn/dev/news.tsv"
	want=$(cut -f1 "$T/syn/train/news.tsv" "$T/syn/dev/news.tsv" | sort -u | wc -l | tr -d ' ')
	both=$(cut -f1 "$T/syn/train/news.tsv" | sort -u | comm -12 - "$(cut -f1 "$T/syn/dev/news.tsv" | sort -u >"$T/d.ids"; echo "$T/d.ids")" | wc -l | tr -d ' ')
	is "$(sq "$T/syn.db" 'SELECT count(*) FROM news')" "$want" "synth: distinct ids as cut|sort -u counts ($want)"
	is "$(sq "$T/syn.db" "SELECT count(*) FROM news WHERE splits = 'dev,train'")" "$both" "synth: items in both splits ($both)"
else
	skip "vmind-synth --preset tiny did not run (not built yet?)"
fi

# --- the sample queries of man/vmind.7 run on a database with rows in it ---
sq "$db" "PRAGMA foreign_keys = ON;
	INSERT INTO image (news_num, tier, page_url, image_url, sha256, fetched_at) VALUES
	  (1, 'origin', 'https://a/1', 'https://a/1.jpg', 'aa', 1), (2, 'archive', 'https://w/2', 'https://a/2.jpg', 'bb', 1),
	  (3, 'search', 'https://b/3', 'https://b/3.jpg', 'aa', 1), (4, 'placeholder', NULL, NULL, 'cc', 1);
	UPDATE image SET similarity = 0.9, matched_title = 'Title 3 | Site' WHERE news_num = 3;
	INSERT INTO request (news_num, time, tier, purpose, url, status, error, bytes, ms) VALUES
	  (1, 1, 'origin', 'page', 'https://a/1', 200, NULL, 100, 5), (NULL, 1, 'origin', 'robots', 'https://a/robots.txt', 404, NULL, 0, 1),
	  (2, 2, 'origin', 'page', 'https://a/2', 404, 'http 404', 0, 3);
	UPDATE news SET state = 'done', outcome = 'image' WHERE num <= 4;"
ok $? "rows added with the sqlite3 CLI, foreign keys on"
sed -n '/^\.SH DATABASE/,/^\.SH /p' "$page" | sed -n 's/^sqlite> //p' |
	sed -e "s/\\\\(aq/'/g" -e 's/\\-/-/g' -e 's/\\e/\\/g' >"$T/queries"
ok $([ "$(wc -l <"$T/queries")" -ge 5 ]; echo $?) "man/vmind.7 has sample queries"
i=0
while IFS= read -r q; do
	i=$((i + 1))
	sq "$db" "$q" >"$T/q.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && grep -q '^Error' "$T/q.out" && rc=1
	ok $rc "man/vmind.7 query $i runs: $q"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$T/q.out"
done <"$T/queries"
is "$(sq "$db" "SELECT count(*) * 1.0 / (SELECT count(*) FROM news) FROM image WHERE tier IN ('origin', 'archive')")" \
	"0.0444444444444444" "origin rate query: 2 of 45"

# --- integrity, and what breaks it ----------------------------------------
exits 0 "dbtool integrity on a good database" "$dbtool" integrity "$db"
is "$(cat "$T/out")" ok "... prints ok"
cp "$db" "$T/bad.db"
[ -f "$db-wal" ] && cp "$db-wal" "$T/bad.db-wal"
sq "$T/bad.db" "INSERT INTO image (news_num, tier, fetched_at) VALUES (999, 'origin', 1)"   # CLI: keys off
exits 1 "dbtool integrity finds a dangling image row" "$dbtool" integrity "$T/bad.db"
is "$(cat "$T/out")" "foreign key violation: image row 999 refers to a missing news row" "... and says which"
sq "$db" "UPDATE image SET tier = 'web' WHERE news_num = 1" >"$T/out" 2>"$T/err"
ok $([ $? -ne 0 ] && grep -q 'CHECK constraint failed' "$T/err"; echo $?) "the CHECK on tier holds in the CLI too"

# --- refusals --------------------------------------------------------------
exits 2 "a missing database is refused read-only" "$dbtool" version "$T/none.db"
is "$(cat "$T/err")" "dbtool: $T/none.db: No such file or directory" "... naming it"
ok $([ ! -e "$T/none.db" ]; echo $?) "... and not created"
cp "$db" "$T/new.db"; [ -f "$db-wal" ] && cp "$db-wal" "$T/new.db-wal"
sq "$T/new.db" 'PRAGMA user_version = 3'
exits 2 "a newer schema version is refused" "$dbtool" create "$T/new.db"
is "$(cat "$T/err")" "dbtool: $T/new.db: database schema version 3 is newer than this vmind supports (2)" "... with the exact message"
exits 2 "... read-only too" "$dbtool" version "$T/new.db"
is "$(sq "$T/new.db" 'PRAGMA user_version')" 3 "... and the file is left at version 3"
printf 'N1\tnews\tnewsus\tnot a database\t\t\t[]\t[]\n' >"$T/news.db"
cp "$T/news.db" "$T/news.db.orig"
exits 2 "a TSV file is refused as a database" "$dbtool" create "$T/news.db"
is "$(cat "$T/err")" "dbtool: $T/news.db: not an SQLite database (file is not a database)" "... naming it"
check "... and left as it was" cmp "$T/news.db" "$T/news.db.orig"
sqlite3 "$T/other.db" 'CREATE TABLE t (x)'
exits 2 "another SQLite file (tables, version 0) is refused" "$dbtool" create "$T/other.db"
is "$(cat "$T/err")" "dbtool: $T/other.db: not a vmind database (schema version 0 but it holds 1 schema objects)" "... with the exact message"

# --- four tools creating one new database at once ------------------------
fails=0
for round in 1 2 3 4 5; do
	rm -f "$T/race.db" "$T/race.db-wal" "$T/race.db-shm"
	pids=""
	for j in 1 2 3 4; do
		"$dbtool" create "$T/race.db" 2>>"$T/race.err" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || fails=$((fails + 1)); done
	[ "$(sq "$T/race.db" 'PRAGMA user_version')" = 2 ] || fails=$((fails + 1))
done
is "$fails" 0 "5 rounds of 4 concurrent creations of one database all succeed at version 2"
[ "$fails" -eq 0 ] || sed 's/^/#   /' "$T/race.err"

# --- a registration killed with -9 leaves all or nothing -----------------
mknews "$T/m/big.tsv" 1 30000
"$dbtool" add-news "$T/kill.db" "$T/m/big.tsv" >/dev/null 2>&1 &
pid=$!
track_pid $pid
sleep 0.2
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
n=$(sq "$T/kill.db" 'SELECT count(*) FROM news' 2>/dev/null || echo "no schema")
ok $( [ "$n" = 0 ] || [ "$n" = 30000 ] || [ "$n" = "no schema" ]; echo $?) "killed -9 mid-registration: all or nothing ($n rows)"
is "$(sq "$T/kill.db" 'PRAGMA integrity_check')" ok "... integrity ok after the kill"
exits 0 "... and a new run registers everything" "$dbtool" add-news "$T/kill.db" "$T/m/big.tsv"
is "$(sq "$T/kill.db" 'SELECT count(*) FROM news')" 30000 "... 30000 rows"

done_testing
