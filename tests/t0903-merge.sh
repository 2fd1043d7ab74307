#!/bin/sh
# t0903-merge.sh: vmind-merge. One database made by hand (the report
# fixture, tests/data/report/fixture.sh) stands for a single run; four shard databases are cut
# from it as a sharded crawl makes them: every shard registered every item,
# but only the items with num % 4 == I were worked in shard I (the others
# stay pending there, without image, requests, resized rows, rejected
# picks); robots.txt rows and robots requests are in every shard, and N3's
# splits are spread over two shards. Merged, the shards give the same rows as
# the single run (request and rejected ids aside), in any order; merging
# again changes nothing (byte-equal dump); a conflict (N1 done with another
# image, N5 with another title) is an error naming the item, with nothing
# merged; more than 10 shards (SQLite's attach limit) are merged in groups,
# with the same result; bad inputs exit 2.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/report/fixture.sh"

fixture_make
ok $? "single-run database made"
S=$T/db

for i in 0 1 2 3; do
	sqlite3 "$S" ".backup '$T/shard$i.db'" && sqlite3 "$T/shard$i.db" <<EOF
PRAGMA foreign_keys = ON;
BEGIN;
DELETE FROM image WHERE news_num % 4 <> $i;
DELETE FROM resized WHERE news_num % 4 <> $i;
DELETE FROM resize_error WHERE news_num % 4 <> $i;
DELETE FROM rejected WHERE news_num % 4 <> $i;
DELETE FROM request WHERE news_num % 4 <> $i;
UPDATE news SET state = 'pending', attempts = 0, outcome = NULL, last_error = NULL, updated_at = 1690000000
  WHERE num % 4 <> $i AND state <> 'pending';
UPDATE news SET splits = CASE $i WHEN 0 THEN 'train' WHEN 1 THEN 'dev' ELSE 'dev,train' END WHERE num = 3;
COMMIT;
EOF
	ok $? "shard $i cut"
done
is "$(sqlite3 "$T/shard2.db" "SELECT count(*) FROM image")" "2" "shard 2 holds the images of N2 and N10 only"

# the content of a database without row ids of request and rejected
content() {
	sqlite3 "$1" <<'EOF'
SELECT 'news', * FROM news ORDER BY num;
SELECT 'image', * FROM image ORDER BY news_num;
SELECT 'resized', * FROM resized ORDER BY news_num;
SELECT 'resize_error', * FROM resize_error ORDER BY news_num;
SELECT 'request', news_num, time, tier, purpose, url, status, error, bytes, ms FROM request ORDER BY 2, 3, 6;
SELECT 'rejected', news_num, tier, page_url, image_url, sha256, similarity, reason, rejected_at FROM rejected ORDER BY 2, 9;
SELECT 'robots', * FROM robots ORDER BY host;
SELECT 'meta', * FROM meta ORDER BY key;
EOF
}
content "$S" >"$T/single.txt"

exits 0 "merge 4 shards" vmind-merge "$T/out.db" "$T/shard0.db" "$T/shard1.db" "$T/shard2.db" "$T/shard3.db"
grep -q "shard1.db: .* news added" "$T/out"
ok $? "a summary line per shard"
content "$T/out.db" >"$T/merged.txt"
if cmp -s "$T/single.txt" "$T/merged.txt"; then ok 0 "merged shards = the single run"; else
	ok 1 "merged shards = the single run"; diff "$T/single.txt" "$T/merged.txt" | head -20 | sed 's/^/#   /'; fi
is "$(sqlite3 "$T/out.db" "SELECT splits FROM news WHERE num = 3")" "dev,train" "splits merged as sets"
is "$(sqlite3 "$T/out.db" "SELECT count(*) FROM request WHERE news_num IS NULL")" "1" "the robots request, in every shard, is kept once"
is "$("$top_builddir/tests/unit/dbtool" integrity "$T/out.db")" "ok" "merged database passes the integrity and foreign key checks"

# idempotent
sqlite3 "$T/out.db" .dump >"$T/dump1"
exits 0 "merge the same shards again" vmind-merge "$T/out.db" "$T/shard0.db" "$T/shard1.db" "$T/shard2.db" "$T/shard3.db"
exits 0 "and shard 2 alone once more" vmind-merge -q "$T/out.db" "$T/shard2.db"
is "$(wc -c <"$T/out")" "0" "--quiet prints nothing"
sqlite3 "$T/out.db" .dump >"$T/dump2"
cmp -s "$T/dump1" "$T/dump2"
ok $? "merging twice = merging once (identical dump, ids included)"

# order does not matter; one shard at a time is the same
exits 0 "merge in reverse order" vmind-merge "$T/rev.db" "$T/shard3.db" "$T/shard2.db" "$T/shard1.db" "$T/shard0.db"
content "$T/rev.db" >"$T/rev.txt"
cmp -s "$T/single.txt" "$T/rev.txt"
ok $? "reverse order gives the same rows"
for i in 2 0 3 1; do vmind-merge -q "$T/step.db" "$T/shard$i.db" || echo "# step $i failed"; done
content "$T/step.db" >"$T/step.txt"
cmp -s "$T/single.txt" "$T/step.txt"
ok $? "one shard per run gives the same rows"

# conflicts: nothing merged, the items named
sqlite3 "$T/shard1.db" ".backup '$T/bad1.db'"
sqlite3 "$T/bad1.db" "UPDATE image SET sha256 = 'ee99' WHERE news_num = 1"
exits 2 "N1 done with another image: exit 2" vmind-merge "$T/out.db" "$T/bad1.db"
grep -q 'conflict: N1: done with different images' "$T/err"
ok $? "the conflict names N1"
sqlite3 "$T/out.db" .dump >"$T/dump3"
cmp -s "$T/dump1" "$T/dump3"
ok $? "the output database is unchanged"
exits 2 "conflict between two shards of one run: exit 2" vmind-merge "$T/fresh.db" "$T/shard0.db" "$T/shard1.db" "$T/bad1.db"
grep -q 'news added' "$T/out"; is $? 1 "no shard is said to be added when nothing is merged"
is "$(ls "$T" | grep -c '^fresh\.db')" "0" "the output this run would have made is not left behind (nor -wal, -shm)"
sqlite3 "$T/shard1.db" ".backup '$T/bad2.db'"
sqlite3 "$T/bad2.db" "UPDATE news SET title = 'Another title' WHERE num = 5"
exits 2 "N5 with another title: exit 2" vmind-merge "$T/out.db" "$T/bad2.db"
grep -q 'conflict: N5: .* differ in its news metadata' "$T/err"
ok $? "the conflict names N5"

# reconcilable differences: a later failure wins over an earlier one, done
# over failed, and a worked item over a pending one
sqlite3 "$T/shard3.db" ".backup '$T/later.db'"
sqlite3 "$T/later.db" "UPDATE news SET outcome = 'http-4xx', last_error = 'HTTP 410', updated_at = 1800000000 WHERE num = 7"
exits 0 "a later failure of N7" vmind-merge "$T/out.db" "$T/later.db"
is "$(sqlite3 "$T/out.db" "SELECT outcome FROM news WHERE num = 7")" "http-4xx" "the later failure wins"
sqlite3 "$T/shard0.db" ".backup '$T/done8.db'"
sqlite3 "$T/done8.db" "UPDATE news SET state = 'done', outcome = 'image', updated_at = 1700000500 WHERE num = 8;
  INSERT INTO image (news_num, tier, sha256, fetched_at) VALUES (8, 'origin', 'aa08', 1700000500)"
exits 0 "N8 done in another shard" vmind-merge "$T/out.db" "$T/done8.db"
is "$(sqlite3 "$T/out.db" "SELECT n.state || ' ' || i.sha256 FROM news n JOIN image i ON i.news_num = n.num WHERE num = 8")" \
	"done aa08" "done wins over failed, with its image"

# bad inputs
exits 2 "no shard: exit 2" vmind-merge "$T/x.db"
exits 2 "missing shard: exit 2" vmind-merge "$T/x.db" "$T/nope.db"
grep -q 'nope.db' "$T/err"
ok $? "the message names the missing shard"
exits 2 "the output as its own shard: exit 2" vmind-merge "$T/out.db" "$T/out.db"
sqlite3 "$T/shard0.db" ".backup '$T/newer.db'"
sqlite3 "$T/newer.db" "PRAGMA user_version = 3"
exits 2 "a newer schema version: exit 2" vmind-merge "$T/x.db" "$T/newer.db"
grep -q 'newer' "$T/err"
ok $? "the message says newer"
printf 'not a database' >"$T/junk.db"
exits 2 "not a database: exit 2" vmind-merge "$T/x.db" "$T/junk.db"

# more shards than SQLite attaches at once: merged in groups, still atomic
set -- "$T/shard0.db" "$T/shard1.db" "$T/shard2.db" "$T/shard3.db"
exits 0 "23 shards (each of the 4 five or six times) merged" vmind-merge -q "$T/many.db" "$@" "$@" "$@" "$@" "$@" \
	"$T/shard0.db" "$T/shard1.db" "$T/shard2.db"
content "$T/many.db" >"$T/many.txt"
cmp -s "$T/single.txt" "$T/many.txt"
ok $? "23 shards in groups give the same rows as the single run"
is "$(ls "$T" | grep -c 'merge.*tmp')" "0" "no temporary database left"
exits 2 "a conflict in the third group of 10: exit 2" vmind-merge -q "$T/many2.db" "$@" "$@" "$@" "$@" "$@" "$T/bad1.db"
grep -q 'conflict: N1: done with different images' "$T/err"
ok $? "the conflict names N1"
is "$(ls "$T" | grep -c '^many2\.db')" "0" "nothing merged: no output left behind"
is "$(ls "$T" | grep -c 'merge.*tmp')" "0" "no temporary database left"
done_testing
