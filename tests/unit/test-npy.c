/* test-npy.c: unit tests of vmind/lib/npy.c. Golden files written by NumPy
 * (tests/data/reader/make-npy.py) must read back exactly, the writer must
 * produce NumPy's own bytes, and hand-made damaged files (bad magic, bad
 * versions, malformed headers, wrong dtypes, Fortran order, truncated data,
 * absurd shapes) must give their exact error and no crash. */
#include "config.h"
#include "vmind/lib/npy.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/test-npy.XXXXXX";
static char path[512], err[512];

/* Write a .npy with the given version and header text (padded with spaces
 * and '\n' as NumPy does) followed by data. */
static const char *make(int major, const char *header, const void *data, size_t len)
{
	FILE *f;
	size_t hl = strlen(header), pre = major == 1 ? 10 : 12, total = pre + hl + 1;
	size_t pad = (64 - total % 64) % 64, n = hl + pad + 1;
	unsigned char lenb[4] = { (unsigned char)(n & 0xff), (unsigned char)(n >> 8 & 0xff),
	                          (unsigned char)(n >> 16 & 0xff), (unsigned char)(n >> 24) };
	snprintf(path, sizeof path, "%s/t.npy", dir);
	f = fopen(path, "wb");
	fwrite("\x93NUMPY", 1, 6, f);
	fputc(major, f);
	fputc(0, f);
	fwrite(lenb, 1, major == 1 ? 2 : 4, f);
	fwrite(header, 1, hl, f);
	for (size_t i = 0; i < pad; i++)
		fputc(' ', f);
	fputc('\n', f);
	if (len)
		fwrite(data, 1, len, f);
	fclose(f);
	return path;
}

static const char *raw(const void *bytes, size_t len)
{
	FILE *f;
	snprintf(path, sizeof path, "%s/t.npy", dir);
	f = fopen(path, "wb");
	fwrite(bytes, 1, len, f);
	fclose(f);
	return path;
}

/* The error of reading p as f32 (or strings), without the "FILE: " prefix. */
static const char *f32_err(const char *p)
{
	vm_npy_f32 a;
	if (vm_npy_read_f32(p, &a, err, sizeof err) == 0) {
		vm_npy_f32_free(&a);
		return "(read)";
	}
	return strncmp(err, p, strlen(p)) == 0 ? err + strlen(p) + 2 : err;
}

static const char *str_err(const char *p)
{
	vm_npy_strings s;
	if (vm_npy_read_strings(p, &s, err, sizeof err) == 0) {
		vm_npy_strings_free(&s);
		return "(read)";
	}
	return strncmp(err, p, strlen(p)) == 0 ? err + strlen(p) + 2 : err;
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *b;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	*len = fread(b, 1, (size_t)n, f);
	fclose(f);
	return b;
}

static const char *src;

static const char *golden(const char *name)
{
	static char buf[512];
	snprintf(buf, sizeof buf, "%s/tests/data/reader/%s", src, name);
	return buf;
}

/* NumPy's unicode files */
static void test_numpy_strings(void)
{
	vm_npy_strings s;
	ok(vm_npy_read_strings(golden("ids-u7.npy"), &s, err, sizeof err) == 0, "read NumPy '<U7' (%s)", err);
	ok(s.count == 5, "5 items");
	if (s.count == 5) {
		is_str(s.items[0], "N1", "item 1");
		is_str(s.items[3], "N130379", "item 4, full width");
		is_str(s.items[4], "N\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80", "item 5 as UTF-8");
	}
	vm_npy_strings_free(&s);
	ok(vm_npy_read_strings(golden("ids-v2.npy"), &s, err, sizeof err) == 0 && s.count == 2 &&
	   strcmp(s.items[1], "N6") == 0, "version 2.0 header");
	vm_npy_strings_free(&s);
}

/* NumPy's float file, and the writer gives NumPy's bytes */
static void test_numpy_f32(void)
{
	vm_npy_f32 a;
	char out[600], *g, *w;
	size_t l1 = 0, l2 = 0;
	int same = 1;
	ok(vm_npy_read_f32(golden("f32-3x4.npy"), &a, err, sizeof err) == 0 && a.rows == 3 && a.cols == 4,
	   "read NumPy '<f4' 3x4");
	if (!a.data)
		return;
	for (int i = 0; i < 12; i++)
		same &= a.data[i] == (float)i / 4 - 1;
	ok(same, "values in C order");
	snprintf(out, sizeof out, "%s/w.npy", dir);
	ok(vm_npy_write_f32(out, a.data, 3, 4, err, sizeof err) == 0, "write 3x4");
	g = slurp(golden("f32-3x4.npy"), &l1);
	w = slurp(out, &l2);
	ok(g && w && l1 == l2 && memcmp(g, w, l1) == 0, "written file is byte-identical to NumPy's");
	free(g);
	free(w);
	vm_npy_f32_free(&a);
}

static void test_numpy_refused(void)
{
	is_str(f32_err(golden("f32-fortran.npy")), "fortran_order True is not supported", "Fortran order refused");
	is_str(f32_err(golden("f64-2x2.npy")), "dtype '<f8' is not supported; want '<f4'", "float64 refused");
	is_str(str_err(golden("f32-3x4.npy")), "dtype '<f4' is not supported; want a unicode array like '<U7'",
	       "strings reader refuses floats");
	is_str(f32_err(golden("ids-u7.npy")), "dtype '<U7' is not supported; want '<f4'", "float reader refuses strings");
}

/* round trip of the writer, including an empty array */
static void test_round_trip(void)
{
	float v[6] = { 1.5f, -2, 3e-8f, 4, 5, 6 };
	char out[600];
	vm_npy_f32 a;
	snprintf(out, sizeof out, "%s/rt.npy", dir);
	ok(vm_npy_write_f32(out, v, 2, 3, err, sizeof err) == 0 &&
	   vm_npy_read_f32(out, &a, err, sizeof err) == 0 && a.rows == 2 && a.cols == 3 &&
	   memcmp(a.data, v, sizeof v) == 0, "write and read back 2x3");
	vm_npy_f32_free(&a);
	ok(vm_npy_write_f32(out, v, 0, 3, err, sizeof err) == 0 &&
	   vm_npy_read_f32(out, &a, err, sizeof err) == 0 && a.rows == 0 && a.cols == 3, "0x3 array");
	vm_npy_f32_free(&a);
	ok(vm_npy_write_f32("/nonexistent/dir/x.npy", v, 2, 3, err, sizeof err) < 0 &&
	   strstr(err, "/nonexistent/dir/x.npy: ") == err, "unwritable path: error names it");
}

/* hand-made unicode files */
static void test_hand_made_strings(void)
{
	uint32_t w[14] = { 'N', '1', 0, 0, 0, 0, 0, 'N', '2', '3', 0, 0, 0, 0 };
	vm_npy_strings s;
	ok(vm_npy_read_strings(make(1, "{'descr': '<U7', 'fortran_order': False, 'shape': (2,), }", w, sizeof w),
	                       &s, err, sizeof err) == 0 && s.count == 2 && strcmp(s.items[1], "N23") == 0,
	   "hand-made '<U7'");
	vm_npy_strings_free(&s);
	ok(vm_npy_read_strings(make(3, "{\"descr\": \"<U7\", \"shape\": (2,), \"fortran_order\": False}", w, sizeof w),
	                       &s, err, sizeof err) == 0 && s.count == 2, "version 3, double quotes, other key order");
	vm_npy_strings_free(&s);
	is_str(str_err(make(1, "{'descr': '<U7', 'fortran_order': False, 'shape': (2,), }", w, sizeof w - 1)),
	       "truncated data (expected 56 bytes, found 55)", "truncated data");
	is_str(str_err(make(1, "{'descr': '>U7', 'fortran_order': False, 'shape': (2,), }", w, sizeof w)),
	       "dtype '>U7' is big-endian; want a little-endian unicode array like '<U7'", "big-endian refused");
	is_str(str_err(make(1, "{'descr': '<U7', 'fortran_order': False, 'shape': (1, 2), }", w, sizeof w)),
	       "expected a 1-D array, found 2 dimensions", "2-D strings refused");
	w[1] = 0xd800;
	is_str(str_err(make(1, "{'descr': '<U7', 'fortran_order': False, 'shape': (2,), }", w, sizeof w)),
	       "item 1: invalid code point 0xd800", "surrogate refused");
}

/* hand-made float files with bad shapes and malformed headers */
static void test_hand_made_headers(void)
{
	float u7[2 * 7];
	memset(u7, 0, sizeof u7);
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", u7, 12)),
	       "expected a 2-D array, found 1 dimensions", "1-D floats refused");
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", u7, 8)),
	       "shape too large", "absurd shape");
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", u7, 8)),
	       "truncated data (expected 40000000000 bytes, found 8)", "huge shape, small file: no allocation");
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 1), }", u7, 8)),
	       "malformed header: shape dimension too large", "shape overflow");
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }", u7, 8)),
	       "malformed header: shape holds something other than non-negative integers", "negative shape");
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [1, 2], }", u7, 8)),
	       "malformed header: shape is not a tuple", "list shape");
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': False}", u7, 8)),
	       "malformed header: no shape", "no shape");
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': Nope, 'shape': (1, 2)}", u7, 8)),
	       "malformed header: fortran_order is not True or False", "bad fortran_order");
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), 'x': 1}", u7, 8)),
	       "malformed header: unknown key", "unknown key");
	is_str(f32_err(make(1, "{'descr': '<f4' 'fortran_order': False, 'shape': (1, 2)}", u7, 8)),
	       "malformed header: missing ','", "missing comma");
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)} x", u7, 8)),
	       "malformed header: text after the dict", "text after the dict");
	is_str(f32_err(make(1, "'descr': '<f4'", u7, 8)), "malformed header: not a dict", "not a dict");
	is_str(f32_err(make(1, "{'descr: '<f4', 'fortran_order': False, 'shape': (1, 2)}", u7, 8)),
	       "malformed header: missing ':'", "unbalanced quote");
	is_str(f32_err(make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", u7, 8)), "(read)",
	       "a good hand-made 1x2");
}

/* damaged magic, versions and header lengths */
static void test_raw_prelude(void)
{
	is_str(f32_err(raw("\x93NUMPX\x01\x00\x10\x00", 10)), "not a .npy file (bad magic)", "bad magic");
	is_str(f32_err(raw("\x93NUM", 4)), "not a .npy file (bad magic)", "short file");
	is_str(f32_err(raw("\x93NUMPY\x04\x00\x10\x00", 10)), "unsupported .npy version 4.0", "version 4");
	is_str(f32_err(raw("\x93NUMPY\x01\x00\x10\x00{'descr'", 17)), "truncated header", "truncated header");
	is_str(f32_err(raw("\x93NUMPY\x02\x00\xff\xff\xff\x7f{", 13)), "header too long (2147483647 bytes)", "header length absurd");
	is_str(f32_err(raw("\x93NUMPY\x01\x00\x04\x00{\0}\n", 14)), "malformed header: NUL byte", "NUL in header");
}

static void test_missing(void)
{
	char want[600];
	vm_npy_f32 a;
	snprintf(want, sizeof want, "%s/missing.npy: No such file or directory", dir);
	snprintf(path, sizeof path, "%s/missing.npy", dir);
	ok(vm_npy_read_f32(path, &a, err, sizeof err) < 0, "missing file");
	is_str(err, want, "missing file message");
}

/* every truncation and many random byte changes of NumPy's files: an
 * answer (an error for every cut), never a crash (run under ASan) */
static void test_damaged(void)
{
	static const char *const names[2] = { "ids-u7.npy", "f32-3x4.npy" };
	uint64_t seed = 2463534242ull;
	int cuts_refused = 1, survived = 1;
	for (int k = 0; k < 2; k++) {
		size_t len = 0;
		char *g = slurp(golden(names[k]), &len);
		if (!g) {
			survived = 0;
			continue;
		}
		for (size_t cut = 0; cut < len; cut++) {
			raw(g, cut);
			if (strcmp(k ? f32_err(path) : str_err(path), "(read)") == 0)
				cuts_refused = 0;
		}
		for (int round = 0; round < 3000; round++) {
			char *m = malloc(len);
			memcpy(m, g, len);
			for (int e = 0; e < 1 + round % 4; e++) {
				seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
				m[seed % (len < 128 ? len : 128)] = (char)(seed >> 32);
			}
			raw(m, len);
			(void)str_err(path);
			(void)f32_err(path);
			free(m);
		}
		free(g);
	}
	ok(cuts_refused, "every truncated file is refused");
	ok(survived, "3000 damaged headers each, no crash");
}

int main(void)
{
	char cmd[300];
	src = getenv("top_srcdir");
	if (!src)
		src = ".";
	if (!mkdtemp(dir))
		return 1;
	test_numpy_strings();
	test_numpy_f32();
	test_numpy_refused();
	test_round_trip();
	test_hand_made_strings();
	test_hand_made_headers();
	test_raw_prelude();
	test_missing();
	test_damaged();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
