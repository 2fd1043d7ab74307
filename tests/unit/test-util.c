/* test-util.c: unit tests of libvmind's small shared helpers: the string
 * buffer (vmind/lib/buf.h: growth past its first allocation, formatted text,
 * HTML and JSON escaping, steal and clear), JSON output through cJSON
 * (vmind/lib/json.h: members, exact 64-bit-safe integers, null for a NULL
 * string, compact and indented text, the atomic file), whole-file reading
 * and existence (vm_read_file, vm_file_exists), FNV-1a against the published
 * test vectors and splitmix64 against the reference sequence. */
#include "config.h"
#include "vmind/lib/buf.h"
#include "vmind/lib/json.h"
#include "vmind/lib/util.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	if (!fp || fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
		vm_die_errno("%s", path);
}

static void test_buf_basics(void)
{
	vm_buf b = { 0 };
	char *s;
	vm_buf_clear(&b);
	ok(b.p == NULL && b.len == 0, "a zeroed buffer is empty, and clearing it allocates nothing");
	vm_buf_add(&b, "abc");
	vm_buf_addc(&b, '-');
	vm_buf_addn(&b, "xyz123", 3);
	is_str(b.p, "abc-xyz", "add, addc and addn append in order");
	ok(b.len == 7 && b.p[b.len] == '\0', "len counts the bytes, not the NUL, and the text is terminated");
	vm_buf_clear(&b);
	ok(b.len == 0 && b.p && b.p[0] == '\0' && b.cap > 0, "clear empties the text and keeps the memory");
	vm_buf_add(&b, "again");
	s = vm_buf_steal(&b);
	is_str(s, "again", "steal hands the text over");
	ok(b.p == NULL && b.len == 0 && b.cap == 0, "... and leaves the buffer empty");
	free(s);
	s = vm_buf_steal(&b);
	is_str(s, "", "steal of an empty buffer gives \"\"");
	free(s);
	vm_buf_free(&b);
}

static void test_buf_growth(void)
{
	vm_buf b = { 0 };
	char big[5000];
	int same = 1;
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	for (int i = 0; i < 1000; i++)
		vm_buf_addc(&b, (char)('a' + i % 26));
	for (int i = 0; i < 1000; i++)
		same &= b.p[i] == (char)('a' + i % 26);
	ok(b.len == 1000 && same && b.cap > 1000, "1000 single bytes past the first 256 kept in order");
	vm_buf_clear(&b);
	vm_buf_addf(&b, "%d:%s", 7, "x");
	vm_buf_addf(&b, "[%s]", big);
	ok(b.len == 3 + 2 + strlen(big) && strncmp(b.p, "7:x[", 4) == 0 && b.p[b.len - 1] == ']' &&
	   b.p[b.len] == '\0', "addf formats text longer than the room left (%zu bytes)", b.len);
	vm_buf_clear(&b);
	vm_buf_addf(&b, "%s", "");
	ok(b.len == 0, "addf of an empty result adds nothing");
	vm_buf_free(&b);
	ok(b.p == NULL && b.cap == 0, "free releases and zeroes");
}

static void test_buf_escaping(void)
{
	vm_buf b = { 0 };
	vm_buf_add_html(&b, "<a href=\"x\">Tom & Jerry's</a>");
	is_str(b.p, "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;", "add_html escapes & < > \" '");
	vm_buf_clear(&b);
	vm_buf_add_json(&b, "say \"hi\"\\\n\t\x01 caf\xc3\xa9");
	is_str(b.p, "say \\\"hi\\\"\\\\\\u000a\\u0009\\u0001 caf\xc3\xa9",
	       "add_json escapes quotes, backslashes and controls, keeps UTF-8");
	vm_buf_free(&b);
}

/* The text vm_json_print writes, read back from a temporary file. */
static char *json_text(const cJSON *root, int pretty)
{
	char *path = path_in("print.json"), *text;
	FILE *fp = fopen(path, "w");
	if (!fp)
		vm_die_errno("%s", path);
	ok(vm_json_print(fp, root, pretty) == 0, "vm_json_print (%s) returns 0", pretty ? "pretty" : "compact");
	fclose(fp);
	text = vm_read_file(path, NULL);
	free(path);
	return text;
}

static void test_json(void)
{
	cJSON *root = cJSON_CreateObject(), *inner = cJSON_CreateObject();
	char *text, *path;
	vm_json_add_int(root, "count", 9007199254740993LL - 1);   /* 2^53 */
	vm_json_add_int(root, "neg", -42);
	ok(cJSON_IsNumber(vm_json_add_int(root, "big", 999999999999999LL)),
	   "an integer of 15 digits is a cJSON number");
	vm_json_add_int(root, "min", INT64_MIN);
	vm_json_add_num(root, "rate", 0.25);
	vm_json_add_str(root, "name", "a \"b\"\n");
	ok(cJSON_IsNull(vm_json_add_str(root, "none", NULL)), "a NULL string is added as null");
	vm_json_add_int(inner, "k", 1);
	cJSON_AddItemToObject(root, "inner", inner);

	text = json_text(root, 0);
	is_str(text, "{\"count\":9007199254740992,\"neg\":-42,\"big\":999999999999999,"
	       "\"min\":-9223372036854775808,\"rate\":0.25,\"name\":\"a \\\"b\\\"\\n\","
	       "\"none\":null,\"inner\":{\"k\":1}}\n",
	       "compact: one line, members in order, 64-bit integers to the digit, a final newline");
	free(text);
	text = json_text(root, 1);
	ok(text && strncmp(text, "{\n\t\"count\":\t9007199254740992,\n", 29) == 0 &&
	   strcmp(text + strlen(text) - 3, "\n}\n") == 0, "pretty: indented, one member a line, a final newline");
	free(text);

	path = path_in("atomic.json");
	ok(vm_json_write_file(path, root, 0) == 0, "vm_json_write_file returns 0");
	text = vm_read_file(path, NULL);
	ok(text && strncmp(text, "{\"count\":", 9) == 0 && text[strlen(text) - 1] == '\n',
	   "... and the file holds the compact text");
	free(text);
	free(path);
	path = path_in("no-such-dir/x.json");
	errno = 0;
	ok(vm_json_write_file(path, root, 0) == -1 && errno == ENOENT,
	   "vm_json_write_file into a missing directory: -1 with errno ENOENT");
	free(path);
	cJSON_Delete(root);
}

static void test_read_file(void)
{
	char *p = path_in("bytes.bin"), *q = path_in("empty"), *big = path_in("big"), *s;
	static const char data[] = "one\0two\nthree";
	char *blob = xmalloc(100000);
	size_t len = 12345;
	for (size_t i = 0; i < 100000; i++)
		blob[i] = (char)(i * 7 + 3);
	write_bytes(p, data, sizeof data - 1);
	write_bytes(q, "", 0);
	write_bytes(big, blob, 100000);

	s = vm_read_file(p, &len);
	ok(s && len == sizeof data - 1 && memcmp(s, data, len) == 0 && s[len] == '\0',
	   "vm_read_file: every byte (a NUL inside too), then a NUL not counted");
	free(s);
	s = vm_read_file(p, NULL);
	ok(s && strcmp(s, "one") == 0, "... len may be NULL");
	free(s);
	s = vm_read_file(q, &len);
	ok(s && len == 0 && s[0] == '\0', "an empty file: \"\" and len 0");
	free(s);
	s = vm_read_file(big, &len);
	ok(s && len == 100000 && memcmp(s, blob, len) == 0, "a 100000-byte file read whole");
	free(s);
	s = vm_read_file("/proc/self/status", &len);
	ok(s && len > 0 && strncmp(s, "Name:", 5) == 0 && strlen(s) == len,
	   "a file whose size stat does not tell (/proc) read whole");
	free(s);
	errno = 0;
	ok(vm_read_file("/nonexistent/file", &len) == NULL && errno == ENOENT, "a missing file: NULL, errno ENOENT");
	errno = 0;
	ok(vm_read_file(dir, &len) == NULL && errno == EISDIR, "a directory: NULL, errno EISDIR");

	ok(vm_file_exists(p) == 1, "vm_file_exists: a file");
	ok(vm_file_exists(dir) == 1, "vm_file_exists: a directory");
	ok(vm_file_exists("/nonexistent/file") == 0, "vm_file_exists: nothing there");
	free(blob);
	free(p);
	free(q);
	free(big);
}

/* The test vectors of the FNV reference (Fowler, Noll and Vo, "FNV-1a 64"). */
static void test_fnv1a(void)
{
	static const struct { const char *in; uint64_t want; } v[] = {
		{ "", 0xcbf29ce484222325ULL },
		{ "a", 0xaf63dc4c8601ec8cULL },
		{ "b", 0xaf63df4c8601f1a5ULL },
		{ "foo", 0xdcb27518fed9d577ULL },
		{ "foobar", 0x85944171f73967e8ULL },
		{ "chongo was here!\n", 0x46810940eff5f915ULL },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint64_t h = vm_fnv1a64(v[i].in, strlen(v[i].in));
		if (!ok(h == v[i].want, "FNV-1a-64(\"%.6s\") = %016llx", v[i].in, (unsigned long long)v[i].want))
			printf("#   got %016llx\n", (unsigned long long)h);
	}
	ok(vm_fnv1a64_more(vm_fnv1a64("foo", 3), "bar", 3) == vm_fnv1a64("foobar", 6),
	   "vm_fnv1a64_more goes on where vm_fnv1a64 stopped");
	ok(vm_fnv1a64_more(VM_FNV1A64_BASIS, "a", 1) == 0xaf63dc4c8601ec8cULL, "from the basis it is vm_fnv1a64");
}

/* The reference sequence of splitmix64 (Vigna's splitmix64.c) for seed 0. */
static void test_splitmix64(void)
{
	static const uint64_t want[3] = { 0xe220a8397b1dcdafULL, 0x6e789e6aa1b965f4ULL, 0x06c45d188009454fULL };
	uint64_t state = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t got = vm_splitmix64(&state);
		if (!ok(got == want[i], "splitmix64 from seed 0, number %d: %016llx", i + 1, (unsigned long long)want[i]))
			printf("#   got %016llx\n", (unsigned long long)got);
	}
	ok(state == 3 * 0x9e3779b97f4a7c15ULL, "the state advanced by the golden gamma each time");
	ok(vm_mix64(0) == want[0] && vm_mix64(0x9e3779b97f4a7c15ULL) == want[1],
	   "vm_mix64(x) is the generator's output for state x");
}

static void remove_dir(void)
{
	char *cmd;
	if (getenv("KEEP_TEST_DIR"))
		return;
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	vm_set_progname("test-util");
	snprintf(dir, sizeof dir, "%s/test-util.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		vm_die_errno("mkdtemp");
	atexit(remove_dir);

	test_buf_basics();
	test_buf_growth();
	test_buf_escaping();
	test_json();
	test_read_file();
	test_fnv1a();
	test_splitmix64();
	return tap_done();
}
