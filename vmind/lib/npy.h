/* npy.h: NumPy .npy files, the format vlsnr-embed writes its features in and
 * the published IM-MIND image list comes in (doc/external.md section 9). Reads 1-D little-endian
 * unicode arrays ('<U7' and friends) as UTF-8 strings and 2-D float32 arrays
 * ('<f4', C order); writes 2-D float32 arrays. A malformed or unsupported file
 * is an error with a message naming the file, never a crash. */
#ifndef VMIND_NPY_H
#define VMIND_NPY_H

#include <stddef.h>
#include <stdint.h>

/* A 1-D unicode array as UTF-8 strings. */
typedef struct vm_npy_strings {
	char **items;     /* [count], each NUL-terminated UTF-8 (trailing NULs of the fixed width dropped) */
	size_t count;
} vm_npy_strings;

/* A 2-D float32 array, C order. */
typedef struct vm_npy_f32 {
	float *data;      /* [rows * cols] */
	size_t rows;
	size_t cols;
} vm_npy_f32;

/* Each returns 0, or -1 with "FILE: message" written to err (errlen bytes). */
int vm_npy_read_strings(const char *path, vm_npy_strings *out, char *err, size_t errlen);
int vm_npy_read_f32(const char *path, vm_npy_f32 *out, char *err, size_t errlen);
/* Written atomically (temporary name, then rename). */
int vm_npy_write_f32(const char *path, const float *data, size_t rows, size_t cols, char *err, size_t errlen);
void vm_npy_strings_free(vm_npy_strings *s);
void vm_npy_f32_free(vm_npy_f32 *a);

#endif
