/* safetensors.c: the safetensors reader declared in safetensors.h: mmap, the
 * 8-byte little-endian header length, the JSON header (cJSON), bounds checks
 * of every tensor against the file, the metadata strings, and fetching
 * tensors as float32 by name with their shape checked. */
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

int vm_st_open(vm_st_file *f, const char *path, char *err, size_t errlen)
{
	int fd = -1, rc = -1;
	cJSON *root = NULL;
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	f->size = (size_t)sb.st_size;
	if (f->size < 8) {
		snprintf(err, errlen, "%s: truncated: %zu bytes, not even the 8-byte header length", path, f->size);
		goto fail;
	}
	void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	f->map = m;
	uint64_t hlen = 0;
	for (int i = 7; i >= 0; i--)
		hlen = (hlen << 8) | f->map[i];
	if (hlen > f->size - 8) {
		snprintf(err, errlen, "%s: truncated: header of %llu bytes but only %zu bytes follow",
			 path, (unsigned long long)hlen, f->size - 8);
		goto fail;
	}
	const char *json_end = NULL;
	root = cJSON_ParseWithLengthOpts((const char *)f->map + 8, (size_t)hlen, &json_end, 0);
	if (!root || !cJSON_IsObject(root)) {
		size_t at = json_end ? (size_t)(json_end - (const char *)f->map - 8) : 0;
		if (!root && cJSON_GetErrorPtr())
			at = (size_t)(cJSON_GetErrorPtr() - (const char *)f->map - 8);
		snprintf(err, errlen, "%s: bad JSON header (near byte %zu of %llu)", path, at,
			 (unsigned long long)hlen);
		goto fail;
	}
	const unsigned char *data = f->map + 8 + hlen;
	size_t data_len = f->size - 8 - (size_t)hlen;
	size_t n = (size_t)cJSON_GetArraySize(root);
	f->tensors = xcalloc(n ? n : 1, sizeof *f->tensors);
	cJSON *it;
	cJSON_ArrayForEach(it, root) {
		if (strcmp(it->string, "__metadata__") == 0) {
			if (!cJSON_IsObject(it)) {
				snprintf(err, errlen, "%s: __metadata__ is not an object", path);
				goto fail;
			}
			cJSON *kv;
			size_t nm = (size_t)cJSON_GetArraySize(it);
			f->meta = xcalloc(2 * nm + 1, sizeof *f->meta);
			cJSON_ArrayForEach(kv, it) {
				if (!cJSON_IsString(kv)) {
					snprintf(err, errlen, "%s: __metadata__ value of %s is not a string", path, kv->string);
					goto fail;
				}
				f->meta[2 * f->n_meta] = xstrdup(kv->string);
				f->meta[2 * f->n_meta + 1] = xstrdup(kv->valuestring);
				f->n_meta++;
			}
			continue;
		}
		vm_st_tensor *t = &f->tensors[f->count++];
		t->name = xstrdup(it->string);
		cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
		cJSON *sh = cJSON_GetObjectItemCaseSensitive(it, "shape");
		cJSON *off = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
		if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off) ||
		    cJSON_GetArraySize(off) != 2) {
			snprintf(err, errlen, "%s: tensor %s: header entry needs dtype, shape and data_offsets", path, t->name);
			goto fail;
		}
		if (strcmp(dt->valuestring, "F32") == 0) t->dtype = VM_ST_F32;
		else if (strcmp(dt->valuestring, "F16") == 0) t->dtype = VM_ST_F16;
		else if (strcmp(dt->valuestring, "BF16") == 0) t->dtype = VM_ST_BF16;
		else if (strcmp(dt->valuestring, "F64") == 0) t->dtype = VM_ST_F64;
		else if (strcmp(dt->valuestring, "I32") == 0) t->dtype = VM_ST_I32;
		else if (strcmp(dt->valuestring, "I64") == 0) t->dtype = VM_ST_I64;
		else {
			snprintf(err, errlen, "%s: tensor %s: unknown or unsupported dtype %s (F32, F16, BF16, F64, I32 and I64 are read)",
				 path, t->name, dt->valuestring);
			goto fail;
		}
		int nd = cJSON_GetArraySize(sh);
		if (nd > 8) {
			snprintf(err, errlen, "%s: tensor %s: %d dimensions", path, t->name, nd);
			goto fail;
		}
		t->ndim = nd;
		double numel = 1;
		for (int d = 0; d < nd; d++) {
			cJSON *x = cJSON_GetArrayItem(sh, d);
			if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 1e15) {
				snprintf(err, errlen, "%s: tensor %s: bad shape", path, t->name);
				goto fail;
			}
			t->shape[d] = (int64_t)x->valuedouble;
			numel *= (double)t->shape[d];
		}
		cJSON *b0 = cJSON_GetArrayItem(off, 0), *e0 = cJSON_GetArrayItem(off, 1);
		double b = cJSON_IsNumber(b0) ? b0->valuedouble : -1;
		double e = cJSON_IsNumber(e0) ? e0->valuedouble : -1;
		if (!(b >= 0 && e >= b)) {
			snprintf(err, errlen, "%s: tensor %s: bad data_offsets", path, t->name);
			goto fail;
		}
		if (e - b != numel * vm_st_dtype_size(t->dtype)) {
			snprintf(err, errlen, "%s: tensor %s: data_offsets span %.0f bytes, shape and dtype need %.0f",
				 path, t->name, e - b, numel * vm_st_dtype_size(t->dtype));
			goto fail;
		}
		if (e > (double)data_len) {
			snprintf(err, errlen, "%s: truncated: tensor %s ends at byte %.0f of the data, which has %zu",
				 path, t->name, e, data_len);
			goto fail;
		}
		t->data = data + (size_t)b;
		t->nbytes = (size_t)(e - b);
	}
	rc = 0;
fail:
	if (root)
		cJSON_Delete(root);
	if (fd >= 0)
		close(fd);
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
