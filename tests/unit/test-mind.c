/* test-mind.c: unit tests of the MIND readers (vmind/lib/mind.c): the id, time
 * and UTF-8 parsers on their own, then news and behaviors files written by
 * the test, good and bad, in strict and lenient mode, with the exact
 * messages; the fast checking path (VM_MIND_NO_LISTS) must accept and refuse
 * exactly what the decoding path does; the line-length cap; ranges. */
#include "config.h"
#include "vmind/lib/mind.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/test-mind.XXXXXX";

static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];
	FILE *f;
	snprintf(p, 256, "%s/%s", dir, name);
	f = fopen(p, "wb");
	fwrite(text, 1, len, f);
	fclose(f);
	return p;
}

/* The first error of a one-line behaviors file in strict mode, without the
 * "FILE:LINE: " prefix; "" when the line is good. Also checks that the fast
 * path gives the same verdict and message. */
static char got[512];
static const char *beh_error(const char *line)
{
	char fast[512], mapped[512];
	const char *p = write_file("b.tsv", line, strlen(line));
	for (int pass = 0; pass < 3; pass++) {
		vm_mind_reader *r = pass < 2 ? vm_mind_open(p, pass ? VM_MIND_NO_LISTS : 0)
		                             : vm_mind_open_range(p, VM_MIND_NO_LISTS, 0, UINT64_MAX);
		vm_behavior b;
		int rc = vm_behavior_next(r, &b);
		char *dst = pass == 2 ? mapped : pass ? fast : got;
		if (rc == VM_MIND_ROW)
			strcpy(dst, "");
		else if (rc == VM_MIND_ERROR)
			snprintf(dst, 512, "%s", vm_mind_error_message(r));
		else
			strcpy(dst, "(eof)");
		vm_mind_close(r);
	}
	if (strcmp(got, fast) != 0)
		snprintf(got, sizeof got, "fast path differs: '%.400s'", fast);
	else if (strcmp(got, mapped) != 0)
		snprintf(got, sizeof got, "mapped fast path differs: '%.400s'", mapped);
	return got;
}

static const char *news_error(const char *line)
{
	const char *p = write_file("n.tsv", line, strlen(line));
	vm_mind_reader *r = vm_mind_open(p, 0);
	vm_news n;
	int rc = vm_news_next(r, &n);
	if (rc == VM_MIND_ROW)
		strcpy(got, "");
	else if (rc == VM_MIND_ERROR)
		snprintf(got, sizeof got, "%s", vm_mind_error_message(r));
	else
		strcpy(got, "(eof)");
	vm_mind_close(r);
	return got;
}

#define T "\t"
#define GOODTIME "11/11/2019 9:05:58 AM"

static void test_ids(void)
{
	uint32_t num;
	ok(vm_parse_news_id("N12345", 6, &num) == 0 && num == 12345, "N12345");
	ok(vm_parse_news_id("N0", 2, &num) == 0 && num == 0, "N0");
	ok(vm_parse_news_id("N4294967295", 11, &num) == 0 && num == 4294967295u, "N4294967295 fits");
	ok(vm_parse_news_id("N4294967296", 11, &num) < 0, "N4294967296 does not fit");
	ok(vm_parse_news_id("N012", 4, &num) < 0, "leading zero refused");
	ok(vm_parse_news_id("N", 1, &num) < 0, "N alone refused");
	ok(vm_parse_news_id("N+12", 4, &num) < 0, "sign refused");
	ok(vm_parse_news_id(" N12", 4, &num) < 0, "leading space refused");
	ok(vm_parse_news_id("U12", 3, &num) < 0, "U12 is no news id");
	ok(vm_parse_user_id("U91836", 6, &num) == 0 && num == 91836, "U91836");
	ok(vm_parse_user_id("U12x", 4, &num) < 0, "U12x refused");
}

static void test_times(void)
{
	int64_t t;
	char buf[32];
	ok(vm_parse_mind_time(GOODTIME, strlen(GOODTIME), &t) == 0 && t == 1573463158, "MIND time as UTC");
	ok(vm_parse_mind_time("11/11/2019 12:00:00 AM", 22, &t) == 0 && t == 1573430400, "12 AM is midnight");
	ok(vm_parse_mind_time("11/11/2019 12:00:00 PM", 22, &t) == 0 && t == 1573473600, "12 PM is noon");
	ok(vm_parse_mind_time("2/29/2020 1:00:00 PM", 20, &t) == 0, "leap day");
	ok(vm_parse_mind_time("2/29/2019 1:00:00 PM", 20, &t) < 0, "no leap day in 2019");
	ok(vm_parse_mind_time("13/1/2019 1:00:00 PM", 20, &t) < 0, "month 13");
	ok(vm_parse_mind_time("4/31/2019 1:00:00 PM", 20, &t) < 0, "April 31");
	ok(vm_parse_mind_time("1/1/2019 0:00:00 AM", 19, &t) < 0, "hour 0");
	ok(vm_parse_mind_time("1/1/2019 13:00:00 PM", 20, &t) < 0, "hour 13");
	ok(vm_parse_mind_time("1/1/2019 1:60:00 PM", 19, &t) < 0, "minute 60");
	ok(vm_parse_mind_time("1/1/2019 1:5:00 PM", 18, &t) < 0, "one-digit minute");
	ok(vm_parse_mind_time("1/1/2019 1:05:00", 16, &t) < 0, "no AM/PM");
	ok(vm_parse_mind_time("1/1/2019 1:05:00 am", 19, &t) < 0, "lower-case am");
	ok(vm_parse_mind_time("1/1/19 1:05:00 AM", 17, &t) < 0, "two-digit year");
	vm_format_mind_time(1573463158, buf);
	is_str(buf, GOODTIME, "format back");
	vm_format_mind_time(1573430400, buf);
	is_str(buf, "11/11/2019 12:00:00 AM", "format midnight");
	vm_format_mind_time(1573473600 + 3600, buf);
	is_str(buf, "11/11/2019 1:00:00 PM", "format afternoon");
}

static void test_utf8(void)
{
	ok(vm_utf8_valid("caf\xc3\xa9", 5), "valid 2-byte");
	ok(vm_utf8_valid("\xe2\x82\xac \xf0\x9f\x98\x80", 8), "valid 3- and 4-byte");
	ok(!vm_utf8_valid("caf\xe9", 4), "Latin-1 byte refused");
	ok(!vm_utf8_valid("\xc0\xaf", 2), "overlong refused");
	ok(!vm_utf8_valid("\xed\xa0\x80", 3), "surrogate refused");
	ok(!vm_utf8_valid("\xe2\x82", 2), "cut sequence refused");
	ok(!vm_utf8_valid("\xf4\x90\x80\x80", 4), "beyond U+10FFFF refused");
}

static void test_behavior_good_rows(void)
{
	is_str(beh_error("1" T "U1" T GOODTIME T "N1 N2" T "N3-0 N4-1\n"), "", "labelled row");
	is_str(beh_error("1" T "U1" T GOODTIME T "" T "N3 N4"), "", "test split row, empty history, no final newline");
	is_str(beh_error("1" T "U1" T GOODTIME T "N4294967295" T "N3-1\r\n"), "", "CRLF, 10-digit id");
}

/* every bad case and its message */
static void test_behavior_bad_rows(void)
{
	is_str(beh_error("\n"), "empty line", "empty line");
	is_str(beh_error("\r\n"), "empty line", "empty CRLF line");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1\n"), "expected 5 tab-separated columns, found 4", "4 columns");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1" T "N2-1" T "x\n"), "expected 5 tab-separated columns, found 6", "6 columns");
	is_str(beh_error("1" T "U1" T GOODTIME T "x" T "N2-1" T "x\n"), "expected 5 tab-separated columns, found 6", "6 columns, bad history");
	is_str(beh_error("x1" T "U1" T GOODTIME T "N1" T "N2-1\n"), "column 1: bad impression id 'x1'", "impression id");
	is_str(beh_error("1" T "u1" T GOODTIME T "N1" T "N2-1\n"), "column 2: bad user id 'u1'", "user id");
	is_str(beh_error("1" T "U01" T GOODTIME T "N1" T "N2-1\n"), "column 2: bad user id 'U01'", "user id leading zero");
	is_str(beh_error("1" T "U1" T "2019-11-11 09:05:58" T "N1" T "N2-1\n"),
	       "column 3: bad time '2019-11-11 09:05:58' (want M/D/YYYY H:MM:SS AM|PM)", "time");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1 X2" T "N2-1\n"), "column 4: bad news id 'X2'", "history id");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1,N2" T "N2-1\n"), "column 4: bad news id 'N1,N2'", "history comma");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1  N2" T "N2-1\n"), "column 4: stray space in history", "history double space");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1 " T "N2-1\n"), "column 4: stray space in history", "history trailing space");
	is_str(beh_error("1" T "U1" T GOODTIME T " N1" T "N2-1\n"), "column 4: stray space in history", "history leading space");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1" T "\n"), "column 5: no impressions", "no impressions");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1" T "N2-2\n"), "column 5: bad impression 'N2-2'", "label 2");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1" T "N2-\n"), "column 5: bad impression 'N2-'", "label missing");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1" T "N2-1 N3\n"),
	       "column 5: labelled and unlabelled impressions mixed", "mixed labels");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1" T "N2-1  N3-0\n"), "column 5: stray space in impressions", "impressions double space");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1" T "N4294967296-1\n"), "column 5: bad impression 'N4294967296-1'", "id beyond 32 bits");
	is_str(beh_error("1" T "U1" T GOODTIME T "N01" T "N2-1\n"), "column 4: bad news id 'N01'", "history leading zero");
	is_str(beh_error("1" T "U1" T GOODTIME T "N1" T "N2-1 N\xc3\xa9\n"), "column 5: bad impression 'N\\xc3\\xa9'", "non-ASCII shown escaped");
}

static void test_news_rows(void)
{
	is_str(news_error("N1" T "news" T "sports" T "Caf\xc3\xa9" T "" T "https://x/AB.html" T "[]" T "[]\n"), "", "good news row");
	is_str(news_error("N1" T "news" T "sports" T "t" T "a" T "u" T "[]\n"), "expected 8 tab-separated columns, found 7", "7 columns");
	is_str(news_error("N1" T "news" T "sports" T "t" T "a" T "u" T "[]" T "[]" T "\n"), "expected 8 tab-separated columns, found 9", "9 columns");
	is_str(news_error("n1" T "news" T "sports" T "t" T "a" T "u" T "[]" T "[]\n"), "column 1: bad news id 'n1'", "news id");
	is_str(news_error("N1" T "" T "sports" T "t" T "a" T "u" T "[]" T "[]\n"), "column 2: empty category", "empty category");
	is_str(news_error("N1" T "news" T "" T "t" T "a" T "u" T "[]" T "[]\n"), "column 3: empty subcategory", "empty subcategory");
	is_str(news_error("N1" T "news" T "sports" T "caf\xe9" T "a" T "u" T "[]" T "[]\n"),
	       "column 4 (title): invalid UTF-8 at byte 19", "invalid UTF-8 names the byte");
	is_str(news_error("N1" T "news" T "sports" T "t" T "ab\xff" T "u" T "[]" T "[]\n"),
	       "column 5 (abstract): invalid UTF-8 at byte 20", "invalid UTF-8 in the abstract");
	is_str(news_error("\n"), "empty line", "empty news line");
}

/* full messages, lenient mode, line numbers */
static void test_lenient(void)
{
	const char *text =
		"1" T "U1" T GOODTIME T "N1" T "N2-1\n"
		"2" T "U2" T GOODTIME T "N1\n"
		"\n"
		"4" T "U4" T GOODTIME T "N1" T "N2-1\r\n"
		"5" T "U5" T GOODTIME T "N1" T "N2-7";
	const char *p = write_file("l.tsv", text, strlen(text));
	vm_mind_reader *r = vm_mind_open(p, 0);
	vm_behavior b;
	char want[512];
	const char *const *msgs;
	int rows = 0, rc;
	ok(vm_behavior_next(r, &b) == VM_MIND_ROW && b.impression_id == 1 && b.user_num == 1 &&
	   b.n_history == 1 && b.history[0] == 1 && b.n_impressions == 1 &&
	   b.impressions[0].news == 2 && b.impressions[0].label == 1 && b.labelled, "row 1 decoded");
	ok(vm_behavior_next(r, &b) == VM_MIND_ERROR, "strict: line 2 is an error");
	snprintf(want, sizeof want, "%s:2: expected 5 tab-separated columns, found 4", p);
	is_str(vm_mind_error(r), want, "FILE:LINE: message");
	ok(vm_mind_error_lineno(r) == 2, "error line number");
	vm_mind_close(r);

	r = vm_mind_open(p, VM_MIND_LENIENT);
	while ((rc = vm_behavior_next(r, &b)) == VM_MIND_ROW)
		rows++;
	ok(rc == VM_MIND_EOF && rows == 2, "lenient: 2 good rows (got %d)", rows);
	ok(vm_mind_skipped(r) == 3, "lenient: 3 skipped");
	ok(vm_mind_lineno(r) == 5, "5 lines read");
	ok(vm_mind_kept_errors(r, &msgs) == 3, "3 messages kept");
	snprintf(want, sizeof want, "%s:3: empty line", p);
	is_str(msgs[1], want, "kept message 2");
	snprintf(want, sizeof want, "%s:5: column 5: bad impression 'N2-7'", p);
	is_str(msgs[2], want, "kept message 3 (last line, no newline)");
	vm_mind_close(r);
}

/* at most VM_MIND_KEPT_ERRORS messages are kept, all lines are counted */
static void test_kept_messages(void)
{
	char *text = malloc(100 * 8), *q = text;
	const char *p;
	vm_mind_reader *r;
	vm_behavior b;
	for (int i = 0; i < 100; i++)
		q += sprintf(q, "bad\n");
	p = write_file("many.tsv", text, (size_t)(q - text));
	r = vm_mind_open(p, VM_MIND_LENIENT);
	ok(vm_behavior_next(r, &b) == VM_MIND_EOF && vm_mind_skipped(r) == 100 &&
	   vm_mind_kept_errors(r, NULL) == VM_MIND_KEPT_ERRORS, "100 skipped, 20 kept");
	vm_mind_close(r);
	free(text);
}

/* A behaviors file whose first line is about 3 MB (a history of 300,000+
 * items ending in N7), then a short line 2. */
static const char *write_long_lines(void)
{
	size_t n = 3u << 20;
	char *text = malloc(n + 200), *q = text;
	const char *p;
	q += sprintf(q, "1" T "U1" T GOODTIME T);
	while ((size_t)(q - text) < n)
		q += sprintf(q, "N%d ", 100000 + (int)((q - text) % 800000));
	q += sprintf(q, "N7" T "N1-1\n2" T "U2" T GOODTIME T T "N1-0\n");
	p = write_file("long.tsv", text, (size_t)(q - text));
	free(text);
	return p;
}

/* long lines: the buffer grows */
static void test_long_lines(const char *p)
{
	for (int pass = 0; pass < 2; pass++) {
		vm_mind_reader *r = vm_mind_open(p, pass ? VM_MIND_NO_LISTS : 0);
		vm_behavior b;
		ok(vm_behavior_next(r, &b) == VM_MIND_ROW && b.n_history > 300000 &&
		   (pass || b.history[b.n_history - 1] == 7), "3 MB line read (%s)", pass ? "fast" : "decoding");
		ok(vm_behavior_next(r, &b) == VM_MIND_ROW && b.user_num == 2, "next line after it");
		vm_mind_close(r);
	}
}

/* beyond the cap a line is an error, on the read and the mapped paths */
static void test_line_cap(const char *p)
{
	vm_mind_reader *r = vm_mind_open(p, 0);
	vm_behavior b;
	char want[512];
	vm_mind_set_max_line(r, 1u << 20);
	ok(vm_behavior_next(r, &b) == VM_MIND_ERROR, "over the cap: error");
	snprintf(want, sizeof want, "%s:1: line too long (more than 1048576 bytes)", p);
	is_str(vm_mind_error(r), want, "line too long message");
	vm_mind_close(r);
	r = vm_mind_open(p, VM_MIND_LENIENT);
	vm_mind_set_max_line(r, 1u << 20);
	ok(vm_behavior_next(r, &b) == VM_MIND_ROW && b.impression_id == 2 && vm_mind_lineno(r) == 2 &&
	   vm_mind_skipped(r) == 1, "lenient: the long line skipped, line 2 read");
	vm_mind_close(r);
	r = vm_mind_open_range(p, VM_MIND_NO_LISTS, 0, UINT64_MAX);
	vm_mind_set_max_line(r, 1u << 20);
	ok(vm_behavior_next(r, &b) == VM_MIND_ERROR, "mapped: over the cap: error");
	is_str(vm_mind_error(r), want, "mapped: line too long message");
	vm_mind_close(r);
	r = vm_mind_open_range(p, VM_MIND_NO_LISTS | VM_MIND_LENIENT, 0, UINT64_MAX);
	vm_mind_set_max_line(r, 1u << 20);
	ok(vm_behavior_next(r, &b) == VM_MIND_ROW && b.impression_id == 2 && vm_mind_lineno(r) == 2 &&
	   vm_mind_skipped(r) == 1, "mapped, lenient: the long line skipped, line 2 read");
	vm_mind_close(r);
	r = vm_mind_open_range(p, VM_MIND_NO_LISTS, 0, UINT64_MAX);
	ok(vm_behavior_next(r, &b) == VM_MIND_ROW && b.n_history > 300000 &&
	   vm_behavior_next(r, &b) == VM_MIND_ROW && b.user_num == 2 &&
	   vm_behavior_next(r, &b) == VM_MIND_EOF, "mapped: 3 MB line read");
	vm_mind_close(r);
}

/* ranges: only the given bytes, line numbers from the range start */
static void test_ranges(void)
{
	const char *text =
		"1" T "U1" T GOODTIME T "N1" T "N2-1\n"
		"2" T "U2" T GOODTIME T "N1" T "N2-1\n"
		"3" T "U3" T GOODTIME T "N1" T "N2-x\n";
	size_t l1 = strlen(text) / 3;
	const char *p = write_file("r.tsv", text, strlen(text));
	vm_mind_reader *r = vm_mind_open_range(p, 0, l1, l1);
	vm_behavior b;
	ok(vm_behavior_next(r, &b) == VM_MIND_ROW && b.impression_id == 2 &&
	   vm_behavior_next(r, &b) == VM_MIND_EOF, "range holds line 2 only");
	vm_mind_close(r);
	r = vm_mind_open_range(p, 0, 2 * l1, UINT64_MAX);
	ok(vm_behavior_next(r, &b) == VM_MIND_ERROR && vm_mind_error_lineno(r) == 1, "range line numbers");
	is_str(vm_mind_error_message(r), "column 5: bad impression 'N2-x'", "range message");
	vm_mind_close(r);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A little damage to line[start, *n): 1-3 inserted, deleted or replaced
 * bytes. */
static void damage(char *line, int start, int *n, uint64_t *seed)
{
	const char *alpha = "N0123456789 -1N N-\t";
	int edits = 1 + (int)(xorshift(seed) % 3);
	for (int e = 0; e < edits && *n > start; e++) {
		int at = start + (int)(xorshift(seed) % (uint64_t)(*n - start));
		int op = (int)(xorshift(seed) % 3);
		if (op == 0) {
			memmove(line + at + 1, line + at, (size_t)(*n - at));
			line[at] = alpha[xorshift(seed) % strlen(alpha)];
			(*n)++;
		} else if (op == 1) {
			memmove(line + at, line + at + 1, (size_t)(*n - at - 1));
			(*n)--;
		} else {
			line[at] = alpha[xorshift(seed) % strlen(alpha)];
		}
	}
}

/* Behaviors line i: random history and impressions (ids of every length,
 * some with leading zeros or beyond 32 bits, labels mostly good), four in
 * ten columns damaged. Returns its length. */
static int random_line(char *line, int i, uint64_t *seed)
{
	static const int sizes[2][6] = { { 0, 1, 3, 7, 20, 50 }, { 1, 2, 5, 9, 30, 60 } };
	int n = sprintf(line, "%d\tU%d\t" GOODTIME "\t", i + 1, (int)(xorshift(seed) % 1000) + 1);
	for (int col = 0; col < 2; col++) {
		int k = sizes[col][xorshift(seed) % 6], lab = col == 1 && xorshift(seed) % 5 != 0, start = n;
		for (int tk = 0; tk < k; tk++) {
			uint64_t r = xorshift(seed) % 100;
			unsigned long long id = r < 5 ? 0 : r < 8 ? 10000000000ull + xorshift(seed) % 5000000000ull :
			                        r < 12 ? 4294967290ull + xorshift(seed) % 10 : 1 + xorshift(seed) % 200000;
			n += sprintf(line + n, "%sN%s%llu", tk ? " " : "", r >= 5 && r < 7 ? "0" : "", id);
			if (lab || (col == 1 && xorshift(seed) % 50 == 0))
				n += sprintf(line + n, "-%c", xorshift(seed) % 40 ? (char)('0' + xorshift(seed) % 2) : 'x');
		}
		if (xorshift(seed) % 10 < 4)
			damage(line, start, &n, seed);
		line[n++] = col == 0 ? '\t' : '\n';
	}
	return n;
}

/* Read p with the decoding path and with the fast one (mapped or not):
 * same verdicts, counts and messages. */
static void compare_paths(const char *p, int mapped)
{
	vm_mind_reader *a = vm_mind_open(p, VM_MIND_LENIENT);
	vm_mind_reader *b = mapped ? vm_mind_open_range(p, VM_MIND_LENIENT | VM_MIND_NO_LISTS, 0, UINT64_MAX)
	                           : vm_mind_open(p, VM_MIND_LENIENT | VM_MIND_NO_LISTS);
	const char *what = mapped ? "mapped fast path" : "fast path";
	const char *const *ma, *const *mb;
	vm_behavior x, y;
	int agree = 1, good = 0;
	size_t na, nb;
	for (;;) {
		int ra = vm_behavior_next(a, &x), rb = vm_behavior_next(b, &y);
		if (ra != rb) {
			agree = 0;
			break;
		}
		if (ra != VM_MIND_ROW)
			break;
		good++;
		if (x.impression_id != y.impression_id || x.n_history != y.n_history ||
		    x.n_impressions != y.n_impressions || x.labelled != y.labelled ||
		    x.user_num != y.user_num || x.time != y.time) {
			agree = 0;
			printf("# differs at impression %llu\n", (unsigned long long)x.impression_id);
			break;
		}
	}
	ok(agree && vm_mind_skipped(a) == vm_mind_skipped(b) && vm_mind_lineno(a) == vm_mind_lineno(b),
	   "%s and decoding path agree on 20000 random lines", what);
	ok(good > 2000 && vm_mind_skipped(a) > 2000, "both good and bad lines among them (%d good, %llu bad)",
	   good, (unsigned long long)vm_mind_skipped(a));
	na = vm_mind_kept_errors(a, &ma);
	nb = vm_mind_kept_errors(b, &mb);
	agree = na == nb;
	for (size_t i = 0; agree && i < na; i++)
		agree = strcmp(ma[i], mb[i]) == 0;
	ok(agree, "%s: same messages", what);
	vm_mind_close(a);
	vm_mind_close(b);
}

/* the fast checking path (VM_MIND_NO_LISTS) against the decoding one on
 * 20000 random lines, most of them damaged a little */
static void test_fast_path(void)
{
	uint64_t seed = 88172645463325252ull;
	size_t cap = 1u << 23, len = 0;
	char *text = malloc(cap);
	const char *p;
	for (int i = 0; i < 20000 && len + 4096 < cap; i++) {
		char line[4096];
		int n = random_line(line, i, &seed);
		memcpy(text + len, line, (size_t)n);
		len += (size_t)n;
	}
	p = write_file("fuzz.tsv", text, len);
	compare_paths(p, 0);
	compare_paths(p, 1);
	free(text);
}

/* a mapped behaviors file truncated by someone else while it is read: the
 * next access faults (SIGBUS); the reader's handler names the file on
 * stderr and exits 2 instead of the process dying silently */
static void test_truncated_while_mapped(void)
{
	char p[300], msg[1024];
	int errpipe[2], st = 0;
	ssize_t n = 0;
	pid_t pid;
	FILE *fp;
	snprintf(p, sizeof p, "%s/truncated.tsv", dir);
	fp = fopen(p, "w");
	for (int i = 1; fp && i <= 20000; i++)
		fprintf(fp, "%d\tU%d\t11/11/2019 9:05:58 AM\tN1 N2 N3\tN4-1 N5-0\n", i, i);
	if (!fp || fclose(fp) != 0 || pipe(errpipe) != 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		vm_behavior b;
		vm_mind_reader *r;
		dup2(errpipe[1], 2);
		close(errpipe[0]);
		r = vm_mind_open_range(p, VM_MIND_NO_LISTS | VM_MIND_LENIENT, 0, UINT64_MAX);
		if (!r || vm_behavior_next(r, &b) != VM_MIND_ROW)
			_exit(10);
		if (truncate(p, 0) != 0)
			_exit(11);
		while (vm_behavior_next(r, &b) != VM_MIND_EOF)
			;
		_exit(12);   /* every row read: the truncation went unnoticed */
	}
	close(errpipe[1]);
	for (ssize_t k; n < (ssize_t)sizeof msg - 1 && (k = read(errpipe[0], msg + n, sizeof msg - 1 - (size_t)n)) > 0;)
		n += k;
	while (n > 0 && msg[n - 1] == '\n')
		n--;
	msg[n > 0 ? n : 0] = '\0';
	close(errpipe[0]);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 2, "truncated while mapped: exit status 2 (status %d)", st);
	ok(strstr(msg, p) && strstr(msg, "got shorter while it was read"), "truncated while mapped: the message names the file (%s)", msg);
}

int main(void)
{
	const char *long_file;
	char cmd[300];
	if (!mkdtemp(dir))
		return 1;
	test_ids();
	test_times();
	test_utf8();
	test_behavior_good_rows();
	test_behavior_bad_rows();
	test_news_rows();
	test_lenient();
	test_kept_messages();
	long_file = write_long_lines();
	test_long_lines(long_file);
	test_line_cap(long_file);
	test_ranges();
	test_fast_path();
	ok(vm_mind_open("/nonexistent/news.tsv", 0) == NULL, "missing file: NULL");
	test_truncated_while_mapped();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
