#!/bin/sh
# t0302-db-readonly.sh: the tools that only read a finished database
# (vmind-stats, vmind-report, vmind-merge's shards) read one in a folder the
# user cannot write, as a V-MIND shared read-only is: SQLite's WAL mode
# would need to create the -shm file beside it ("attempt to write a
# readonly database"), so such a database is opened immutable. Run as an
# unprivileged user (setpriv, when the tests run as root: root writes
# anywhere), and nothing is created in the read-only folder.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/data/report/fixture.sh"

fixture_make
ok $? "fixture database and images made"
sqlite3 "$T/db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
is "$(sqlite3 "$T/db" "PRAGMA journal_mode")" wal "the database is in WAL mode, as the tools leave it"
printf '1\tU1\t11/11/2019 9:05:58 AM\tN1\tN2-1 N3-0\n' >"$T/mind/train/behaviors.tsv"
mkdir "$T/ro" "$T/w"
cp "$T/db" "$T/ro/vmind.db"
chmod 555 "$T/ro"
chmod 755 "$T"
chmod 777 "$T/w"
chmod -R a+rX "$T/mind" "$T/images"

# as_user CMD...: CMD as an unprivileged user
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null 2>&1 || { skip "setpriv (util-linux) not installed"; done_testing; }
	as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
	as_user() { "$@"; }
fi
as_user sh -c "touch '$T/ro/x'" 2>/dev/null
is "$?" 1 "the folder cannot be written by that user"

exits 0 "vmind-stats reads the read-only database" as_user vmind-stats --db "$T/ro/vmind.db" \
	--news "$T/mind/train/news.tsv" --behaviors "$T/mind/train/behaviors.tsv"
grep -q '^V-MIND ' "$T/out"; ok $? "the V-MIND row is printed"
exits 0 "vmind-report reads it" as_user vmind-report --db "$T/ro/vmind.db" --images "$T/images" --out "$T/w/report"
test -s "$T/w/report/index.html"; ok $? "the report is written"
exits 0 "vmind-merge reads it as a shard" as_user vmind-merge -q "$T/w/merged.db" "$T/ro/vmind.db"
is "$(sqlite3 "$T/w/merged.db" "SELECT count(*) FROM news")" "$(sqlite3 "$T/ro/vmind.db" "SELECT count(*) FROM news")" \
	"every news row merged"
is "$(ls -A "$T/ro" | tr '\n' ' ')" "vmind.db " "nothing created in the read-only folder"
done_testing
