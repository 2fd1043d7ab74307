/* safetensors.c: the safetensors reader declared in safetensors.h: mmap, the
 * 8-byte little-endian header length, the JSON header (cJSON), bounds checks
 * of every tensor against the file, the metadata strings, and fetching
 * tensors as float32 by name with their shape checked; and the float32
 * writer (header built with cJSON, padded to 8 bytes with spaces). */
#include "config.h"
#include "safetensors.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

float vm_st_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f;
	uint32_t man = h & 0x3ff;
	uint32_t bits;
	if (exp == 0) {
		if (man == 0) {
			bits = sign;
		} else { /* subnormal: renormalise */
			exp = 127 - 15 + 1;
			while (!(man & 0x400)) { man <<= 1; exp--; }
			man &= 0x3ff;
			bits = sign | (exp << 23) | (man << 13);
		}
	} else if (exp == 31) {
		bits = sign | 0x7f800000u | (man << 13);
	} else {
		bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
	}
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

float vm_st_bf16_to_f32(uint16_t h)
{
	uint32_t bits = (uint32_t)h << 16;
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

int vm_st_dtype_size(int dt)
{
	return dt == VM_ST_F32 || dt == VM_ST_I32 ? 4 : dt == VM_ST_F64 || dt == VM_ST_I64 ? 8 : 2;
}

/* Map the whole file into f (f->map, f->size). 0, or -1 with a message. */
static int map_file(vm_st_file *f, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	void *m;
	int fd = open(path, O_RDONLY), rc = -1;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	f->size = (size_t)sb.st_size;
	if (f->size < 8) {
		snprintf(err, errlen, "%s: truncated: %zu bytes, not even the 8-byte header length", path, f->size);
		goto out;
	}
	m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto out;
	}
	f->map = m;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The JSON header: its length from the first 8 bytes (little-endian), then
 * the object. NULL with a message when it is not one. */
static cJSON *parse_header(const vm_st_file *f, uint64_t *hlen, char *err, size_t errlen)
{
	const char *json = (const char *)f->map + 8, *json_end = NULL;
	cJSON *root;
	*hlen = 0;
	for (int i = 7; i >= 0; i--)
		*hlen = (*hlen << 8) | f->map[i];
	if (*hlen > f->size - 8) {
		snprintf(err, errlen, "%s: truncated: header of %llu bytes but only %zu bytes follow",
		         f->path, (unsigned long long)*hlen, f->size - 8);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(json, (size_t)*hlen, &json_end, 0);
	if (!root || !cJSON_IsObject(root)) {
		size_t at = json_end ? (size_t)(json_end - json) : 0;
		if (!root && cJSON_GetErrorPtr())
			at = (size_t)(cJSON_GetErrorPtr() - json);
		snprintf(err, errlen, "%s: bad JSON header (near byte %zu of %llu)", f->path, at,
		         (unsigned long long)*hlen);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A key that an object holds twice (cJSON keeps both), or NULL. */
static const char *repeated_key(const cJSON *obj)
{
	size_t n = (size_t)cJSON_GetArraySize(obj), k = 0;
	const char **keys = xmalloc((n ? n : 1) * sizeof *keys), *dup = NULL;
	const cJSON *it;
	cJSON_ArrayForEach(it, obj)
		keys[k++] = it->string;
	qsort(keys, n, sizeof *keys, cmp_key);
	for (size_t i = 1; i < n && !dup; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	free(keys);
	return dup;
}

/* The strings of __metadata__ into f->meta. */
static int read_metadata(vm_st_file *f, const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *kv;
	const char *dup;
	if (!cJSON_IsObject(obj)) {
		snprintf(err, errlen, "%s: __metadata__ is not an object", f->path);
		return -1;
	}
	if ((dup = repeated_key(obj)) != NULL) {
		snprintf(err, errlen, "%s: __metadata__: duplicate key %s", f->path, dup);
		return -1;
	}
	f->meta = xcalloc(2 * (size_t)cJSON_GetArraySize(obj) + 1, sizeof *f->meta);
	cJSON_ArrayForEach(kv, obj) {
		if (!cJSON_IsString(kv)) {
			snprintf(err, errlen, "%s: __metadata__ value of %s is not a string", f->path, kv->string);
			return -1;
		}
		f->meta[2 * f->n_meta] = xstrdup(kv->string);
		f->meta[2 * f->n_meta + 1] = xstrdup(kv->valuestring);
		f->n_meta++;
	}
	return 0;
}

static int parse_dtype(const char *name)
{
	static const char *const names[] = { "F32", "F16", "BF16", "F64", "I32", "I64" };
	static const int dtypes[] = { VM_ST_F32, VM_ST_F16, VM_ST_BF16, VM_ST_F64, VM_ST_I32, VM_ST_I64 };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0)
			return dtypes[i];
	return -1;
}

/* The shape of entry sh into t; its element count in *numel. */
static int read_shape(const vm_st_file *f, vm_st_tensor *t, const cJSON *sh, double *numel,
                      char *err, size_t errlen)
{
	int nd = cJSON_GetArraySize(sh);
	if (nd > 8) {
		snprintf(err, errlen, "%s: tensor %s: %d dimensions", f->path, t->name, nd);
		return -1;
	}
	t->ndim = nd;
	*numel = 1;
	for (int d = 0; d < nd; d++) {
		const cJSON *x = cJSON_GetArrayItem(sh, d);
		if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 1e15) {
			snprintf(err, errlen, "%s: tensor %s: bad shape", f->path, t->name);
			return -1;
		}
		t->shape[d] = (int64_t)x->valuedouble;
		*numel *= (double)t->shape[d];
	}
	return 0;
}

/* The bytes of a tensor: data_offsets [b, e) must hold exactly numel
 * elements and lie inside the data. */
static int read_offsets(const vm_st_file *f, vm_st_tensor *t, const cJSON *off, double numel,
                        const unsigned char *data, size_t data_len, char *err, size_t errlen)
{
	const cJSON *b0 = cJSON_GetArrayItem(off, 0), *e0 = cJSON_GetArrayItem(off, 1);
	double b = cJSON_IsNumber(b0) ? b0->valuedouble : -1;
	double e = cJSON_IsNumber(e0) ? e0->valuedouble : -1;
	double need = numel * vm_st_dtype_size(t->dtype);
	if (!(b >= 0 && e >= b)) {
		snprintf(err, errlen, "%s: tensor %s: bad data_offsets", f->path, t->name);
		return -1;
	}
	if (e - b != need) {
		snprintf(err, errlen, "%s: tensor %s: data_offsets span %.0f bytes, shape and dtype need %.0f",
		         f->path, t->name, e - b, need);
		return -1;
	}
	if (e > (double)data_len) {
		snprintf(err, errlen, "%s: truncated: tensor %s ends at byte %.0f of the data, which has %zu",
		         f->path, t->name, e, data_len);
		return -1;
	}
	t->data = data + (size_t)b;
	t->nbytes = (size_t)(e - b);
	return 0;
}

/* One header entry {"dtype", "shape", "data_offsets"} into the next tensor
 * of f. */
static int read_tensor(vm_st_file *f, const cJSON *it, const unsigned char *data, size_t data_len,
                       char *err, size_t errlen)
{
	vm_st_tensor *t = &f->tensors[f->count++];
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
	const cJSON *sh = cJSON_GetObjectItemCaseSensitive(it, "shape");
	const cJSON *off = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
	double numel;
	t->name = xstrdup(it->string);
	if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2) {
		snprintf(err, errlen, "%s: tensor %s: header entry needs dtype, shape and data_offsets", f->path, t->name);
		return -1;
	}
	if ((t->dtype = parse_dtype(dt->valuestring)) < 0) {
		snprintf(err, errlen, "%s: tensor %s: unknown or unsupported dtype %s (F32, F16, BF16, F64, I32 and I64 are read)",
		         f->path, t->name, dt->valuestring);
		return -1;
	}
	if (read_shape(f, t, sh, &numel, err, errlen) < 0)
		return -1;
	return read_offsets(f, t, off, numel, data, data_len, err, errlen);
}

int vm_st_open(vm_st_file *f, const char *path, char *err, size_t errlen)
{
	cJSON *root = NULL;
	const cJSON *it;
	const char *dup;
	uint64_t hlen;
	int rc = -1;
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	if (map_file(f, path, err, errlen) < 0 || !(root = parse_header(f, &hlen, err, errlen)))
		goto out;
	if ((dup = repeated_key(root)) != NULL) {
		snprintf(err, errlen, "%s: duplicate key %s", path, dup);
		goto out;
	}
	f->tensors = xcalloc((size_t)cJSON_GetArraySize(root) + 1, sizeof *f->tensors);
	cJSON_ArrayForEach(it, root) {
		int bad = strcmp(it->string, "__metadata__") == 0
		          ? read_metadata(f, it, err, errlen)
		          : read_tensor(f, it, f->map + 8 + hlen, f->size - 8 - (size_t)hlen, err, errlen);
		if (bad)
			goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc != 0)
		vm_st_close(f);
	return rc;
}

void vm_st_close(vm_st_file *f)
{
	if (f->map)
		munmap(f->map, f->size);
	for (size_t i = 0; i < f->count; i++)
		free(f->tensors[i].name);
	free(f->tensors);
	for (size_t i = 0; i < f->n_owned; i++)
		free(f->owned[i]);
	free(f->owned);
	for (size_t i = 0; i < 2 * f->n_meta; i++)
		free(f->meta[i]);
	free(f->meta);
	free(f->path);
	memset(f, 0, sizeof *f);
}

const vm_st_tensor *vm_st_find(const vm_st_file *f, const char *name)
{
	for (size_t i = 0; i < f->count; i++)
		if (strcmp(f->tensors[i].name, name) == 0)
			return &f->tensors[i];
	return NULL;
}

const char *vm_st_meta(const vm_st_file *f, const char *key)
{
	for (size_t i = 0; i < f->n_meta; i++)
		if (strcmp(f->meta[2 * i], key) == 0)
			return f->meta[2 * i + 1];
	return NULL;
}

static void shape_str(char *buf, size_t len, int nd, const int64_t *d)
{
	size_t o = 0;
	o += (size_t)snprintf(buf + o, len - o, "[");
	for (int i = 0; i < nd && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? "," : "", (long long)d[i]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

const float *vm_st_get(vm_st_file *f, const char *name, int ndim, const int64_t *dims, char *err, size_t errlen)
{
	vm_st_tensor *t = (vm_st_tensor *)vm_st_find(f, name);
	if (!t) {
		snprintf(err, errlen, "%s: missing tensor %s", f->path, name);
		return NULL;
	}
	int same = t->ndim == ndim;
	for (int i = 0; same && i < ndim; i++)
		same = t->shape[i] == dims[i];
	if (!same) {
		char want[128], got[128];
		shape_str(want, sizeof want, ndim, dims);
		shape_str(got, sizeof got, t->ndim, t->shape);
		snprintf(err, errlen, "%s: tensor %s has shape %s, config.json implies %s", f->path, name, got, want);
		return NULL;
	}
	if (t->dtype == VM_ST_I32 || t->dtype == VM_ST_I64) {
		snprintf(err, errlen, "%s: tensor %s is integer, a float tensor is needed", f->path, name);
		return NULL;
	}
	t->used = 1;
	size_t n = t->nbytes / (size_t)vm_st_dtype_size(t->dtype);
	if (t->dtype == VM_ST_F32 && ((uintptr_t)t->data % 4) == 0)
		return (const float *)(const void *)t->data;
	float *out = xmalloc((n ? n : 1) * sizeof *out);
	for (size_t i = 0; i < n; i++) {
		if (t->dtype == VM_ST_F32) {
			memcpy(&out[i], t->data + 4 * i, 4);
		} else if (t->dtype == VM_ST_F64) {
			double d;
			memcpy(&d, t->data + 8 * i, 8);
			out[i] = (float)d;
		} else {
			uint16_t h = (uint16_t)(t->data[2 * i] | (t->data[2 * i + 1] << 8));
			out[i] = t->dtype == VM_ST_F16 ? vm_st_f16_to_f32(h) : vm_st_bf16_to_f32(h);
		}
	}
	f->owned = xrealloc(f->owned, (f->n_owned + 1) * sizeof *f->owned);
	f->owned[f->n_owned++] = out;
	return out;
}

/* The JSON header of vm_st_write_f32, unformatted; NULL when a shape is bad */
static char *st_header(const vm_st_out *t, size_t n, const char *const *meta, size_t nmeta)
{
	cJSON *root = cJSON_CreateObject();
	if (nmeta) {
		cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
		for (size_t i = 0; i < nmeta; i++) cJSON_AddStringToObject(m, meta[2 * i], meta[2 * i + 1]);
	}
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		size_t numel = 1;
		if (t[i].ndim < 0 || t[i].ndim > 4) { cJSON_Delete(root); return NULL; }
		cJSON *e = cJSON_AddObjectToObject(root, t[i].name), *shape = cJSON_AddArrayToObject(e, "shape");
		cJSON_AddStringToObject(e, "dtype", "F32");
		for (int d = 0; d < t[i].ndim; d++) {
			cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t[i].shape[d]));
			numel *= (size_t)t[i].shape[d];
		}
		cJSON *o = cJSON_AddArrayToObject(e, "data_offsets");
		cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
		off += numel * sizeof(float);
		cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
	}
	char *json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return json;
}

int vm_st_write_f32(const char *path, const vm_st_out *t, size_t n, const char *const *meta, size_t nmeta, char *err,
		    size_t errlen)
{
	char *json = st_header(t, n, meta, nmeta);
	if (!json) {
		snprintf(err, errlen, "%s: a tensor of more than 4 dimensions", path);
		return -1;
	}
	size_t hlen = strlen(json), padded = (hlen + 7) / 8 * 8;
	unsigned char len8[8];
	for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
	vm_atomic_file af;
	int rc = -1;
	if (vm_atomic_open(&af, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(json);
		return -1;
	}
	fwrite(len8, 1, 8, af.fp);
	fwrite(json, 1, hlen, af.fp);
	for (size_t i = hlen; i < padded; i++) fputc(' ', af.fp);
	for (size_t i = 0; i < n; i++) {
		size_t numel = 1;
		for (int d = 0; d < t[i].ndim; d++) numel *= (size_t)t[i].shape[d];
		fwrite(t[i].data, sizeof(float), numel, af.fp);
	}
	if (ferror(af.fp)) {
		snprintf(err, errlen, "%s: write error", path);
		vm_atomic_abort(&af);
	} else if (vm_atomic_commit(&af) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else {
		rc = 0;
	}
	free(json);
	return rc;
}
