/* safetensors.h: a reader of the safetensors checkpoint format (doc/external.md section 9):
 * the file is mmapped, its JSON header parsed with cJSON (a key given twice
 * is an error) and every entry checked against the file's size, and the
 * __metadata__ strings kept;
 * tensors are fetched by name with their shape checked, as float32 (F32 data
 * is used in place when aligned, F16, BF16 and F64 are converted into an
 * owned buffer), or found raw (vm_st_find: also I32 and I64). Used for CLIP
 * checkpoints and for vlsnr-train's models and golden test files. Every
 * error message names the file and, where it applies, the tensor. */
#ifndef VMIND_SAFETENSORS_H
#define VMIND_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

enum { VM_ST_F32, VM_ST_F16, VM_ST_BF16, VM_ST_F64, VM_ST_I32, VM_ST_I64 };

typedef struct vm_st_tensor {
	char *name;
	int dtype;              /* VM_ST_F32 ... VM_ST_I64 */
	int ndim;
	int64_t shape[8];
	const unsigned char *data; /* into the mapping */
	size_t nbytes;
	int used;               /* fetched by vm_st_get */
} vm_st_tensor;

typedef struct vm_st_file {
	char *path;
	unsigned char *map;     /* [size] */
	size_t size;
	vm_st_tensor *tensors;     /* [count] */
	size_t count;
	float **owned;          /* converted copies, freed by vm_st_close */
	size_t n_owned;
	char **meta;            /* [2 * n_meta] key, value, ... of __metadata__ */
	size_t n_meta;
} vm_st_file;

/* 0, or -1 with "FILE: message" in err. */
int vm_st_open(vm_st_file *f, const char *path, char *err, size_t errlen);
void vm_st_close(vm_st_file *f);
/* The tensor NAME (any dtype; data may be unaligned: copy it), or NULL. */
const vm_st_tensor *vm_st_find(const vm_st_file *f, const char *name);
/* A __metadata__ value, or NULL. */
const char *vm_st_meta(const vm_st_file *f, const char *key);
/* Bytes per element of a dtype. */
int vm_st_dtype_size(int dtype);
/* The tensor NAME as float32 with exactly the shape dims[0..ndim). NULL with
 * a message naming the file and the tensor in err when it is missing
 * ("FILE: missing tensor NAME"), mis-shaped ("FILE: tensor NAME has shape
 * [..], config.json implies [..]") or of an integer dtype. The pointer
 * lives until vm_st_close. */
const float *vm_st_get(vm_st_file *f, const char *name, int ndim, const int64_t *dims, char *err, size_t errlen);
/* One tensor to write: shape[ndim] float32 values at data. */
typedef struct vm_st_out {
	const char *name;
	int ndim;               /* 0 (a scalar) to 4 */
	int64_t shape[4];
	const float *data;
} vm_st_out;
/* Write the tensors t[n] as F32, in that order, and the metadata pairs
 * meta[2 * nmeta] (key, value strings; none when nmeta is 0) as a
 * safetensors file, atomically (vm_atomic_open, fsync'ed, renamed). Names
 * must differ. Little-endian hosts only (as every reader here). 0, or -1
 * with "FILE: message" in err. */
int vm_st_write_f32(const char *path, const vm_st_out *t, size_t n, const char *const *meta, size_t nmeta, char *err,
		    size_t errlen);
/* IEEE half and bfloat16 to float. */
float vm_st_f16_to_f32(uint16_t h);
float vm_st_bf16_to_f32(uint16_t h);

#endif
