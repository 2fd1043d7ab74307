#!/bin/sh
# t0803-resize-shard.sh: vmind-resize --shard I/N. On a database of 24
# items (one undecodable), 4 shard runs working at the same time on one copy
# of the database and one output directory give the same files and the same
# resized and resize_error rows (times aside) as one run on another copy;
# each shard resizes only its items (disjoint, together every item), and only
# the shard holding the bad item exits 1; SLURM_ARRAY_TASK_ID/COUNT and
# JOB_COMPLETION_INDEX with --shards pick the same shard as --shard; shard
# runs share the directory lock but not a shard's lock, and a whole-directory
# run keeps them out; a shard removes only its own leftover temporaries.
# Shard databases resized into one directory and joined by vmind-merge give
# the single run's rows (errors name the raw file's directory: that aside).
. "$top_srcdir/tests/lib.sh"
# a job array around make check must not shard the runs that should not be
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN JOB_COMPLETION_INDEX
. "$top_srcdir/tests/data/resize/lib.sh"

cd "$T" || exit 1
mkdir -p a/raw
solid a/raw/base.png 40 30 "200 30 30"
for i in $(seq 1 24); do
	vips linear a/raw/base.png "a/raw/$i.png" "1 1 1" "0 $((i * 9)) 0" --uchar 2>/dev/null ||
		{ echo "Bail out! vips failed"; exit 1; }
done
echo 'not an image' >a/raw/13.png
mkdb a/c.db
for i in $(seq 1 24); do addimg a/c.db $i raw/$i.png; done
cp -r a b
rows() { sqlite3 "$1" "SELECT news_num, path, sha256, source_sha256, size, mode, format, quality, phash FROM resized ORDER BY 1;
  SELECT news_num, source_sha256, error FROM resize_error ORDER BY 1;" | sed 's#|[a-z0-9]*/raw/#|raw/#'; }

exits 1 "single run: exit 1 (one bad item)" vmind-resize -q --db a/c.db --out a/res -j 2
ls a/res | grep -v '^\.' >single.ls
is "$(wc -l <single.ls | tr -d ' ')" 23 "23 outputs"

# 4 shards at once on one database and one directory
for i in 0 1 2 3; do
	(vmind-resize -q --db b/c.db --out b/res -j 1 --shard $i/4 2>"err$i"; echo $? >"rc$i") &
	track_pid $!
done
wait
n1=0; r=0
for i in 0 1 2 3; do
	if grep -q 'N13' "err$i"; then is "$(cat rc$i)" 1 "shard $i (with N13) exits 1"; n1=$((n1 + 1))
	else is "$(cat rc$i)" 0 "shard $i exits 0"; fi
done
is "$n1" 1 "N13 is in exactly one shard"
ls b/res | grep -v '^\.' >shards.ls
check "the shards wrote the single run's files" cmp single.ls shards.ls
r=0; for f in $(cat single.ls); do cmp -s "a/res/$f" "b/res/$f" || r=1; done
ok $r "byte for byte"
rows a/c.db >a.rows; rows b/c.db >b.rows
check "the same resized and resize_error rows" cmp a.rows b.rows

# which items each shard works: from its own output directory
for i in 0 1 2 3; do
	cp -r a "x$i" && rm -rf "x$i/res"
	sqlite3 "x$i/c.db" 'DELETE FROM resized; DELETE FROM resize_error;'
	vmind-resize -q --db "x$i/c.db" --out "x$i/res" --shard $i/4 2>/dev/null
	sqlite3 "x$i/c.db" 'SELECT news_num FROM resized UNION SELECT news_num FROM resize_error' >"x$i.ids"
done
cat x?.ids | sort -n >union.ids
is "$(tr '\n' ' ' <union.ids)" "$(seq 1 24 | tr '\n' ' ')" "the shards' items: disjoint, every item once"
small=0; for i in 0 1 2 3; do [ "$(wc -l <"x$i.ids")" -ge 2 ] || small=1; done
ok $small "every shard has at least 2 of the 24 items"

# the environment picks the same shard
cp -r x1 e1 && rm -rf e1/res && sqlite3 e1/c.db 'DELETE FROM resized; DELETE FROM resize_error;'
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4 vmind-resize -q --db e1/c.db --out e1/res 2>/dev/null
sqlite3 e1/c.db 'SELECT news_num FROM resized UNION SELECT news_num FROM resize_error' >e1.ids
check "SLURM_ARRAY_TASK_ID=1 of 4 = --shard 1/4" cmp x1.ids e1.ids
cp -r x2 e2 && rm -rf e2/res && sqlite3 e2/c.db 'DELETE FROM resized; DELETE FROM resize_error;'
JOB_COMPLETION_INDEX=2 vmind-resize -q --shards 4 --db e2/c.db --out e2/res 2>/dev/null
sqlite3 e2/c.db 'SELECT news_num FROM resized UNION SELECT news_num FROM resize_error' >e2.ids
check "JOB_COMPLETION_INDEX=2 with --shards 4 = --shard 2/4" cmp x2.ids e2.ids

# locks: a shard's own lock, and the whole directory's
(exec 9>>b/res/.vmind-resize.shard-1-of-4.lock && flock 9 && exec sleep 30) &
lockpid=$!; track_pid $lockpid; sleep 0.3
exits 2 "shard 1/4 runs once at a time" vmind-resize -q --db b/c.db --out b/res --shard 1/4
grep -q 'another vmind-resize is working shard 1/4' "$T/err"; ok $? "and says why"
exits 0 "shard 2/4 runs beside it" vmind-resize -q --db b/c.db --out b/res --shard 2/4
exits 0 "... skipping its unchanged items" vmind-resize --db b/c.db --out b/res --shard 2/4
grep -q "$(wc -l <x2.ids | tr -d ' ') images: 0 resized, $(wc -l <x2.ids | tr -d ' ') unchanged" "$T/err"
ok $? "... all $(wc -l <x2.ids | tr -d ' ') of them"
kill $lockpid
(exec 9>>b/res/.vmind-resize.lock && flock 9 && exec sleep 30) &
lockpid=$!; track_pid $lockpid; sleep 0.3
exits 2 "a whole-directory run keeps shards out" vmind-resize -q --db b/c.db --out b/res --shard 0/4
kill $lockpid
(exec 9>>b/res/.vmind-resize.lock && flock -s 9 && exec sleep 30) &
lockpid=$!; track_pid $lockpid; sleep 0.3
exits 2 "a shard run keeps a whole-directory run out" vmind-resize -q --db b/c.db --out b/res
kill $lockpid

# leftovers: only the shard's own
s0=$(head -1 x0.ids) s1=$(head -1 x1.ids)
touch "b/res/N$s0.jpg.tmp.99999" "b/res/N$s1.jpg.tmp.99999"
vmind-resize -q --db b/c.db --out b/res --shard 0/4 2>/dev/null
is "$(ls b/res | grep tmp | tr '\n' ' ')" "N$s1.jpg.tmp.99999 " "shard 0 removed its leftover, not shard 1's"

# shard databases (as a sharded crawl writes them) resized into one
# directory, then merged
for i in 0 1 2 3; do
	mkdir -p "d$i/raw"
	mkdb "d$i/c.db"
	for n in $(cat "x$i.ids"); do cp "a/raw/$n.png" "d$i/raw/"; addimg "d$i/c.db" "$n" "raw/$n.png"; done
	vmind-resize -q --db "d$i/c.db" --raw "d$i" --out dres --shard $i/4 2>/dev/null
done
exits 0 "vmind-merge of the 4 resized shard databases" vmind-merge -q merged.db d0/c.db d1/c.db d2/c.db d3/c.db
rows merged.db >m.rows
check "merged rows = the single run's" cmp a.rows m.rows
ls dres | grep -v '^\.' >dres.ls
check "one directory with the single run's files" cmp single.ls dres.ls

exits 2 "--shard 0/0" vmind-resize --db b/c.db --out b/res --shard 0/0
exits 2 "--shard 2/4 with --shards 3" vmind-resize --db b/c.db --out b/res --shard 2/4 --shards 3
exits 2 "--shards 4 without an index" env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX vmind-resize --db b/c.db --out b/res --shards 4
done_testing
