#!/bin/sh
# t0107-formats.sh: vmind-stats' four output formats (aligned text,
# markdown, CSV, JSON) hold the same numbers, and --paper adds the paper's
# Table 1 figures (doc/external.md section 1) and the differences in each of them.
. "$top_srcdir/tests/lib.sh"

TIME='11/11/2019 9:05:58 AM'
awk 'BEGIN { for (i = 1; i <= 1234; i++) printf "N%d\tnews\tsports\tT\t\t\t\t\n", i }' >"$T/news.tsv"
awk -v t="$TIME" 'BEGIN { for (i = 1; i <= 3000; i++) printf "%d\tU%d\t%s\t\tN1-1\n", i, 1 + i % 1100, t }' >"$T/beh.tsv"
awk 'BEGIN { for (i = 1; i <= 617; i++) printf "N%d\n", 2 * i }' >"$T/list.txt"
set -- --news "$T/news.tsv" --behaviors "$T/beh.tsv" --im-mind "$T/list.txt"

exits 0 "text" vmind-stats "$@"
cat >"$T/want" <<'EOW'
Dataset   News  Users  Images  Image rate  Origin rate
MIND     1,234  1,100       0       0.00%        0.00%
IM-MIND  1,234  1,100     617      50.00%       50.00%
IM-MIND: 617 distinct ids listed, 617 of them among the news
EOW
is "$(cat "$T/out")" "$(cat "$T/want")" "text table"

exits 0 "md" vmind-stats --format md "$@"
cat >"$T/want" <<'EOW'
| Dataset | News | Users | Images | Image rate | Origin rate |
|---|---:|---:|---:|---:|---:|
| MIND | 1,234 | 1,100 | 0 | 0.00% | 0.00% |
| IM-MIND | 1,234 | 1,100 | 617 | 50.00% | 50.00% |

IM-MIND: 617 distinct ids listed, 617 of them among the news
EOW
is "$(cat "$T/out")" "$(cat "$T/want")" "markdown table"

exits 0 "csv" vmind-stats --format csv "$@"
cat >"$T/want" <<'EOW'
dataset,news,users,images,image_rate,origin_rate
MIND,1234,1100,0,0.000000,0.000000
IM-MIND,1234,1100,617,0.500000,0.500000
EOW
is "$(cat "$T/out")" "$(cat "$T/want")" "CSV"

exits 0 "json" vmind-stats --format json "$@"
is "$(cat "$T/out")" '{"rows":[{"dataset":"MIND","news":1234,"users":1100,"images":0,"image_rate":0,"origin_rate":0},{"dataset":"IM-MIND","news":1234,"users":1100,"images":617,"image_rate":0.5,"origin_rate":0.5,"listed":617}]}' "JSON"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert [r["images"] for r in d["rows"]] == [0, 617]' "$T/out"
	ok $? "JSON parses"
else
	skip "python3 is not installed"
fi

# --paper
exits 0 "text --paper" vmind-stats --paper "$@"
cat >"$T/want" <<'EOW'
Dataset              News     Users   Images  Image rate  Origin rate
MIND                1,234     1,100        0       0.00%        0.00%
MIND (paper)      130,379   876,956        0       0.00%        0.00%
MIND (diff)      -129,145  -875,856        0     +0.00pp      +0.00pp
IM-MIND             1,234     1,100      617      50.00%       50.00%
IM-MIND (paper)   130,379   876,956   54,421      41.74%       41.74%
IM-MIND (diff)   -129,145  -875,856  -53,804     +8.26pp      +8.26pp
IM-MIND: 617 distinct ids listed, 617 of them among the news
EOW
is "$(cat "$T/out")" "$(cat "$T/want")" "text --paper: the paper's rows and the differences"
exits 0 "csv --paper" vmind-stats --paper --format csv "$@"
is "$(head -1 "$T/out")" "dataset,news,users,images,image_rate,origin_rate,paper_news,paper_users,paper_images,paper_image_rate,paper_origin_rate,diff_news,diff_users,diff_images,diff_image_rate,diff_origin_rate" "CSV --paper header"
is "$(sed -n 3p "$T/out")" "IM-MIND,1234,1100,617,0.500000,0.500000,130379,876956,54421,0.417400,0.417400,-129145,-875856,-53804,0.082600,0.082600" "CSV --paper IM-MIND row"
exits 0 "md --paper" vmind-stats --paper --format md "$@"
is "$(grep -c '^| MIND (paper) | 130,379 | 876,956 | 0 | 0.00% | 0.00% |$' "$T/out")" 1 "markdown --paper row"
exits 0 "json --paper" vmind-stats --paper --format json "$@"
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
m, i = d["rows"]
assert m["paper"] == {"news": 130379, "users": 876956, "images": 0, "image_rate": 0, "origin_rate": 0}, m
assert i["paper"]["images"] == 54421 and abs(i["paper"]["image_rate"] - 0.4174) < 1e-9, i
assert i["diff"]["news"] == 1234 - 130379 and i["diff"]["images"] == 617 - 54421, i
assert abs(i["diff"]["origin_rate"] - (0.5 - 0.4174)) < 1e-9, i
' "$T/out"
	ok $? "JSON --paper: paper and diff objects"
else
	skip "python3 is not installed"
fi
done_testing
