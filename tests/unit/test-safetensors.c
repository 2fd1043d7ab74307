/* test-safetensors.c: the safetensors reader (vmind/lib/safetensors.c) on files
 * this test writes: F32/F16/BF16 values, and each error (truncated data,
 * truncated header, bad JSON, unknown dtype, offsets that disagree with the
 * shape, wrong shape, missing tensor, a key given twice) gives a message
 * naming the file; and the float32 writer, read back. */
#include "config.h"
#include "vmind/lib/safetensors.h"
#include "tap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/test-safetensors.XXXXXX";

/* write header JSON + data; returns the path (static buffer) */
static const char *write_st(const char *name, const char *json, const void *data, size_t dlen, long cut)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	uint64_t n = strlen(json);
	unsigned char len[8];
	for (int i = 0; i < 8; i++) len[i] = (unsigned char)(n >> (8 * i));
	size_t total = 8 + n + dlen;
	unsigned char *all = malloc(total);
	memcpy(all, len, 8);
	memcpy(all + 8, json, n);
	memcpy(all + 8 + n, data, dlen);
	fwrite(all, 1, cut >= 0 ? (size_t)cut : total, fp);
	fclose(fp);
	free(all);
	return path;
}

static int contains(const char *s, const char *a, const char *b)
{
	int r = strstr(s, a) != NULL && (!b || strstr(s, b) != NULL);
	if (!r) printf("#   message: %s\n", s);
	return r;
}

int main(void)
{
	char err[1024];
	vm_st_file f;
	if (!mkdtemp(dir)) return 99;

	/* half and bfloat16 conversions */
	is_near(vm_st_f16_to_f32(0x3c00), 1.0, 0, "f16 1.0");
	is_near(vm_st_f16_to_f32(0xc000), -2.0, 0, "f16 -2.0");
	is_near(vm_st_f16_to_f32(0x3555), 0.333251953125, 0, "f16 0.33325");
	is_near(vm_st_f16_to_f32(0x0001), 5.9604644775390625e-08, 0, "f16 smallest subnormal");
	is_near(vm_st_f16_to_f32(0x03ff), 6.097555160522461e-05, 0, "f16 largest subnormal");
	is_near(vm_st_f16_to_f32(0x7bff), 65504.0, 0, "f16 max");
	ok(isinf(vm_st_f16_to_f32(0x7c00)) && vm_st_f16_to_f32(0x7c00) > 0, "f16 +inf");
	ok(isnan(vm_st_f16_to_f32(0x7e00)), "f16 nan");
	is_near(vm_st_bf16_to_f32(0x3f80), 1.0, 0, "bf16 1.0");
	is_near(vm_st_bf16_to_f32(0xc0a0), -5.0, 0, "bf16 -5.0");

	/* a good file with three dtypes (offsets relative to the data start) */
	unsigned char data[12 + 4 + 4];
	float fv[3] = {1.5f, -2.25f, 3.0f};
	memcpy(data, fv, 12);
	uint16_t hv[2] = {0x3c00, 0xbc00};   /* 1, -1 */
	memcpy(data + 12, hv, 4);
	uint16_t bv[2] = {0x4000, 0x3f00};   /* 2, 0.5 */
	memcpy(data + 16, bv, 4);
	const char *good = "{\"__metadata__\":{\"format\":\"pt\"},"
			   "\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
			   "\"h\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[12,16]},"
			   "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[16,20]}}";
	const char *p = write_st("good.safetensors", good, data, sizeof data, -1);
	ok(vm_st_open(&f, p, err, sizeof err) == 0, "good file opens");
	ok(f.count == 3, "3 tensors (metadata skipped)");
	int64_t d3[1] = {3}, d12[2] = {1, 2}, d2[1] = {2}, d21[2] = {2, 1};
	const float *a = vm_st_get(&f, "a", 1, d3, err, sizeof err);
	ok(a && a[0] == 1.5f && a[1] == -2.25f && a[2] == 3.0f, "F32 values");
	const float *h = vm_st_get(&f, "h", 2, d12, err, sizeof err);
	ok(h && h[0] == 1.0f && h[1] == -1.0f, "F16 values converted");
	const float *b = vm_st_get(&f, "b", 1, d2, err, sizeof err);
	ok(b && b[0] == 2.0f && b[1] == 0.5f, "BF16 values converted");
	ok(vm_st_get(&f, "h", 2, d21, err, sizeof err) == NULL, "wrong shape refused");
	ok(contains(err, p, "tensor h has shape [1,2], config.json implies [2,1]"), "wrong shape message names file and tensor");
	ok(vm_st_get(&f, "zzz", 1, d2, err, sizeof err) == NULL, "missing tensor refused");
	ok(contains(err, p, "missing tensor zzz"), "missing tensor message");
	vm_st_close(&f);

	/* truncated data */
	p = write_st("trunc.safetensors", good, data, sizeof data, 8 + (long)strlen(good) + 14);
	ok(vm_st_open(&f, p, err, sizeof err) < 0, "truncated data refused");
	ok(contains(err, p, "truncated"), "truncated message names the file");
	/* truncated header */
	p = write_st("trunch.safetensors", good, data, sizeof data, 30);
	ok(vm_st_open(&f, p, err, sizeof err) < 0, "truncated header refused");
	ok(contains(err, p, "truncated"), "truncated header message");
	/* shorter than 8 bytes */
	p = write_st("tiny.safetensors", good, data, sizeof data, 5);
	ok(vm_st_open(&f, p, err, sizeof err) < 0 && contains(err, p, "truncated"), "5-byte file refused");
	/* bad JSON */
	p = write_st("badjson.safetensors", "{\"a\":{\"dtype\":\"F32\",", data, sizeof data, -1);
	ok(vm_st_open(&f, p, err, sizeof err) < 0, "bad JSON refused");
	ok(contains(err, p, "bad JSON"), "bad JSON message names the file");
	/* unknown dtype */
	p = write_st("dtype.safetensors", "{\"a\":{\"dtype\":\"Q4\",\"shape\":[3],\"data_offsets\":[0,12]}}",
		     data, sizeof data, -1);
	ok(vm_st_open(&f, p, err, sizeof err) < 0, "unknown dtype refused");
	ok(contains(err, p, "unknown or unsupported dtype Q4"), "unknown dtype message names file and dtype");
	/* offsets that disagree with the shape */
	p = write_st("span.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}",
		     data, sizeof data, -1);
	ok(vm_st_open(&f, p, err, sizeof err) < 0 && contains(err, p, "need 16"), "offsets/shape mismatch refused");
	/* a key given twice: __metadata__ (with a full or an empty second
	 * object), a tensor, or a key inside __metadata__ */
	p = write_st("meta2.safetensors", "{\"__metadata__\":{\"a\":\"b\"},\"__metadata__\":{\"c\":\"d\"}}",
		     data, 0, -1);
	ok(vm_st_open(&f, p, err, sizeof err) < 0, "two __metadata__ objects refused");
	ok(contains(err, p, ": duplicate key __metadata__"), "... the message names the file and the key");
	p = write_st("meta2e.safetensors", "{\"__metadata__\":{\"a\":\"b\"},\"__metadata__\":{}}", data, 0, -1);
	ok(vm_st_open(&f, p, err, sizeof err) < 0 && contains(err, p, ": duplicate key __metadata__"),
	   "a second, empty __metadata__ refused");
	p = write_st("tensor2.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
		     "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data, 8, -1);
	ok(vm_st_open(&f, p, err, sizeof err) < 0 && contains(err, p, ": duplicate key a"),
	   "a tensor named twice refused");
	p = write_st("metakey2.safetensors", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", data, 0, -1);
	ok(vm_st_open(&f, p, err, sizeof err) < 0 && contains(err, p, "__metadata__: duplicate key k"),
	   "a metadata key given twice refused");
	p = write_st("meta1.safetensors", "{\"__metadata__\":{\"k\":\"1\",\"j\":\"2\"}}", data, 0, -1);
	ok(vm_st_open(&f, p, err, sizeof err) == 0 && f.count == 0 && vm_st_meta(&f, "j") &&
	   strcmp(vm_st_meta(&f, "j"), "2") == 0 && vm_st_meta(&f, "x") == NULL,
	   "one __metadata__ with distinct keys reads");
	vm_st_close(&f);
	/* missing file */
	snprintf(err, sizeof err, "x");
	ok(vm_st_open(&f, "/nonexistent/model.safetensors", err, sizeof err) < 0 &&
	   contains(err, "/nonexistent/model.safetensors", "No such file"), "missing file named");

	/* the writer: what it writes reads back, scalars and metadata too */
	float w2[6] = {1, 2, 3, 4, 5, 6}, w0 = 0.25f;
	vm_st_out outs[2] = {{"m.w", 2, {2, 3, 0, 0}, w2}, {"s", 0, {0, 0, 0, 0}, &w0}};
	const char *kv[4] = {"step", "7", "name", "a \"quoted\" value"};
	char wp[600];
	snprintf(wp, sizeof wp, "%s/written.safetensors", dir);
	ok(vm_st_write_f32(wp, outs, 2, kv, 2, err, sizeof err) == 0, "vm_st_write_f32 writes");
	int64_t d23[2] = {2, 3};
	const float *r2 = NULL, *r0 = NULL;
	if (vm_st_open(&f, wp, err, sizeof err) == 0) {
		r2 = vm_st_get(&f, "m.w", 2, d23, err, sizeof err);
		r0 = vm_st_get(&f, "s", 0, NULL, err, sizeof err);
		ok(r2 && !memcmp(r2, w2, sizeof w2) && r0 && *r0 == 0.25f && f.count == 2,
		   "... and it reads back: shapes, values, a scalar");
		ok(vm_st_meta(&f, "name") && !strcmp(vm_st_meta(&f, "name"), "a \"quoted\" value") &&
		   !strcmp(vm_st_meta(&f, "step"), "7"), "... with its metadata");
		vm_st_close(&f);
	} else {
		ok(0, "the written file opens: %s", err);
	}
	snprintf(wp, sizeof wp, "%s/no/such/dir/x.safetensors", dir);
	ok(vm_st_write_f32(wp, outs, 2, NULL, 0, err, sizeof err) < 0 && contains(err, wp, "No such file"),
	   "a path that cannot be written is named");

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0) return 99;
	return tap_done();
}
