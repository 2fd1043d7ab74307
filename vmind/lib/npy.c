/* npy.c: NumPy .npy reading and writing as declared in npy.h. The header is
 * a Python dict literal ({'descr': '<f4', 'fortran_order': False, 'shape':
 * (3, 4), }) after the magic, version and header length (2 bytes in version
 * 1, 4 bytes in versions 2 and 3); it is parsed by a small strict parser, not
 * by pattern matching, and every size is checked against the file's real size
 * before anything is allocated, so a damaged or hostile file gives an error
 * "FILE: message" and never a crash or a huge allocation. */
#include "config.h"
#include "npy.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_HEADER (1u << 20)
#define MAX_DIMS 8

typedef struct npy_header {
	char descr[32];
	int fortran;
	int ndim;
	uint64_t shape[MAX_DIMS];
	int have_descr, have_fortran, have_shape;
} npy_header;

static int fail(char *err, size_t errlen, const char *path, const char *fmt, ...) VM_PRINTF(4, 5);

static int fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", path);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- the header dict ---- */

typedef struct lexer {
	const char *p, *e;
} lexer;

static void skip_ws(lexer *x)
{
	while (x->p < x->e && (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' || *x->p == '\r'))
		x->p++;
}

static int eat(lexer *x, char c)
{
	skip_ws(x);
	if (x->p < x->e && *x->p == c) {
		x->p++;
		return 1;
	}
	return 0;
}

/* A quoted string (no escapes) into out. */
static int lex_string(lexer *x, char *out, size_t outlen)
{
	char q;
	size_t n = 0;
	skip_ws(x);
	if (x->p >= x->e || (*x->p != '\'' && *x->p != '"'))
		return -1;
	q = *x->p++;
	while (x->p < x->e && *x->p != q) {
		if (*x->p == '\\' || n + 1 >= outlen)
			return -1;
		out[n++] = *x->p++;
	}
	if (x->p >= x->e)
		return -1;
	x->p++;
	out[n] = '\0';
	return 0;
}

static int lex_word(lexer *x, const char *w)
{
	size_t n = strlen(w);
	skip_ws(x);
	if ((size_t)(x->e - x->p) >= n && memcmp(x->p, w, n) == 0) {
		x->p += n;
		return 1;
	}
	return 0;
}

/* "(3, 4)", "(3,)", "()"; a dimension may carry Python 2's L suffix. */
static int lex_shape(lexer *x, npy_header *h, const char **why)
{
	h->ndim = 0;
	if (!eat(x, '(')) {
		*why = "shape is not a tuple";
		return -1;
	}
	if (eat(x, ')'))
		return 0;
	for (;;) {
		uint64_t v = 0;
		int digits = 0;
		skip_ws(x);
		while (x->p < x->e && *x->p >= '0' && *x->p <= '9') {
			if (v > (UINT64_MAX - 9) / 10) {
				*why = "shape dimension too large";
				return -1;
			}
			v = v * 10 + (uint64_t)(*x->p - '0');
			x->p++;
			digits++;
		}
		if (!digits) {
			*why = "shape holds something other than non-negative integers";
			return -1;
		}
		if (x->p < x->e && *x->p == 'L')
			x->p++;
		if (h->ndim == MAX_DIMS) {
			*why = "too many dimensions";
			return -1;
		}
		h->shape[h->ndim++] = v;
		if (eat(x, ')'))
			return 0;
		if (!eat(x, ',')) {
			*why = "shape is not a tuple";
			return -1;
		}
		if (eat(x, ')'))
			return 0;
	}
}

static int parse_dict(const char *text, size_t len, npy_header *h, const char **why)
{
	lexer x = { text, text + len };
	memset(h, 0, sizeof *h);
	if (!eat(&x, '{')) {
		*why = "not a dict";
		return -1;
	}
	for (;;) {
		char key[32];
		if (eat(&x, '}'))
			break;
		if (lex_string(&x, key, sizeof key) < 0) {
			*why = "bad key";
			return -1;
		}
		if (!eat(&x, ':')) {
			*why = "missing ':'";
			return -1;
		}
		if (strcmp(key, "descr") == 0) {
			if (lex_string(&x, h->descr, sizeof h->descr) < 0) {
				*why = "descr is not a simple type string";
				return -1;
			}
			h->have_descr = 1;
		} else if (strcmp(key, "fortran_order") == 0) {
			if (lex_word(&x, "True"))
				h->fortran = 1;
			else if (lex_word(&x, "False"))
				h->fortran = 0;
			else {
				*why = "fortran_order is not True or False";
				return -1;
			}
			h->have_fortran = 1;
		} else if (strcmp(key, "shape") == 0) {
			if (lex_shape(&x, h, why) < 0)
				return -1;
			h->have_shape = 1;
		} else {
			*why = "unknown key";
			return -1;
		}
		if (eat(&x, '}'))
			break;
		if (!eat(&x, ',')) {
			*why = "missing ','";
			return -1;
		}
	}
	skip_ws(&x);
	if (x.p != x.e) {
		*why = "text after the dict";
		return -1;
	}
	if (!h->have_descr || !h->have_fortran || !h->have_shape) {
		*why = !h->have_descr ? "no descr" : !h->have_fortran ? "no fortran_order" : "no shape";
		return -1;
	}
	return 0;
}

/* The magic, the version and the header's length (2 bytes in version 1,
 * 4 in versions 2 and 3); *pre_len is the bytes before the header. */
static int read_prelude(FILE *f, const char *path, uint64_t *hlen, uint64_t *pre_len, char *err, size_t errlen)
{
	unsigned char pre[12];
	if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0)
		return fail(err, errlen, path, "not a .npy file (bad magic)");
	if (pre[6] == 1) {
		if (fread(pre + 8, 1, 2, f) != 2)
			return fail(err, errlen, path, "truncated header");
		*hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8;
		*pre_len = 10;
	} else if (pre[6] == 2 || pre[6] == 3) {
		if (fread(pre + 8, 1, 4, f) != 4)
			return fail(err, errlen, path, "truncated header");
		*hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8 | (uint64_t)pre[10] << 16 | (uint64_t)pre[11] << 24;
		*pre_len = 12;
	} else {
		return fail(err, errlen, path, "unsupported .npy version %d.%d", pre[6], pre[7]);
	}
	if (*hlen > MAX_HEADER)
		return fail(err, errlen, path, "header too long (%llu bytes)", (unsigned long long)*hlen);
	return 0;
}

/* The header dict of hlen bytes, read and parsed into h. */
static int read_dict(FILE *f, const char *path, uint64_t hlen, npy_header *h, char *err, size_t errlen)
{
	char *text = xmalloc(hlen + 1);
	const char *why = NULL;
	int rc = -1;
	if (fread(text, 1, hlen, f) != hlen) {
		fail(err, errlen, path, "truncated header");
		goto out;
	}
	text[hlen] = '\0';
	if (memchr(text, '\0', hlen))
		fail(err, errlen, path, "malformed header: NUL byte");
	else if (parse_dict(text, hlen, h, &why) < 0)
		fail(err, errlen, path, "malformed header: %s", why);
	else if (h->fortran)
		fail(err, errlen, path, "fortran_order True is not supported");
	else
		rc = 0;
out:
	free(text);
	return rc;
}

/* Open, check magic and version, read and parse the header. On success the
 * file is positioned at the data and *data_bytes is what follows. */
static FILE *open_npy(const char *path, npy_header *h, uint64_t *data_bytes, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint64_t hlen = 0, pre_len = 0, fsize;
	struct stat st;
	if (!f) {
		fail(err, errlen, path, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) < 0) {
		fail(err, errlen, path, "%s", strerror(errno));
		goto bad;
	}
	fsize = (uint64_t)st.st_size;
	if (read_prelude(f, path, &hlen, &pre_len, err, errlen) < 0)
		goto bad;
	if (pre_len + hlen > fsize) {
		fail(err, errlen, path, "truncated header");
		goto bad;
	}
	if (read_dict(f, path, hlen, h, err, errlen) < 0)
		goto bad;
	*data_bytes = fsize - pre_len - hlen;
	return f;
bad:
	fclose(f);
	return NULL;
}

/* rows*cols*size without overflow, or -1 */
static int product(const uint64_t *dims, int n, uint64_t elem, uint64_t *out)
{
	uint64_t v = elem;
	for (int i = 0; i < n; i++) {
		if (dims[i] && v > UINT64_MAX / dims[i])
			return -1;
		v *= dims[i];
	}
	if (v > (uint64_t)SIZE_MAX / 2)
		return -1;
	*out = v;
	return 0;
}

/* The data: an ndim-D array of elem-byte elements, checked against the
 * avail bytes the file holds, read whole into *data (*bytes long). */
static int read_data(FILE *f, const char *path, const npy_header *h, int ndim, uint64_t elem, uint64_t avail,
                     void **data, uint64_t *bytes, char *err, size_t errlen)
{
	if (h->ndim != ndim)
		return fail(err, errlen, path, "expected a %d-D array, found %d dimensions", ndim, h->ndim);
	if (product(h->shape, ndim, elem, bytes) < 0)
		return fail(err, errlen, path, "shape too large");
	if (*bytes > avail)
		return fail(err, errlen, path, "truncated data (expected %llu bytes, found %llu)",
		            (unsigned long long)*bytes, (unsigned long long)avail);
	*data = xmalloc(*bytes ? *bytes : 1);
	if (*bytes && fread(*data, 1, *bytes, f) != *bytes)
		return fail(err, errlen, path, "read error");
	return 0;
}

/* The width of a little-endian unicode dtype ('<U7': 7). */
static int unicode_width(const char *path, const char *descr, uint64_t *width, char *err, size_t errlen)
{
	char *end;
	if (descr[0] == '>' && descr[1] == 'U')
		return fail(err, errlen, path, "dtype '%s' is big-endian; want a little-endian unicode array like '<U7'", descr);
	if (descr[0] == '<' && descr[1] == 'U' && descr[2] >= '1' && descr[2] <= '9') {
		errno = 0;
		*width = strtoull(descr + 2, &end, 10);
		if (!errno && !*end && *width > 0 && *width <= 4096)
			return 0;
	}
	return fail(err, errlen, path, "dtype '%s' is not supported; want a unicode array like '<U7'", descr);
}

/* One fixed-width UTF-32 item as UTF-8 (its trailing NULs dropped); NULL
 * with the code point in *bad when one is invalid. */
static char *utf8_item(const unsigned char *u, size_t width, uint32_t *bad)
{
	size_t n = width, o = 0;
	char *s;
	while (n > 0 && !(u[4 * (n - 1)] | u[4 * (n - 1) + 1] | u[4 * (n - 1) + 2] | u[4 * (n - 1) + 3]))
		n--;
	s = xmalloc(4 * n + 1);
	for (size_t k = 0; k < n; k++) {
		uint32_t cp = (uint32_t)u[4 * k] | (uint32_t)u[4 * k + 1] << 8 |
		              (uint32_t)u[4 * k + 2] << 16 | (uint32_t)u[4 * k + 3] << 24;
		if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			*bad = cp;
			free(s);
			return NULL;
		}
		if (cp < 0x80) {
			s[o++] = (char)cp;
		} else if (cp < 0x800) {
			s[o++] = (char)(0xc0 | cp >> 6);
			s[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			s[o++] = (char)(0xe0 | cp >> 12);
			s[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			s[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			s[o++] = (char)(0xf0 | cp >> 18);
			s[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			s[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			s[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	s[o] = '\0';
	return s;
}

int vm_npy_read_strings(const char *path, vm_npy_strings *out, char *err, size_t errlen)
{
	npy_header h;
	uint64_t avail, bytes, width = 0;
	void *data = NULL;
	FILE *f;
	memset(out, 0, sizeof *out);
	f = open_npy(path, &h, &avail, err, errlen);
	if (!f)
		return -1;
	if (unicode_width(path, h.descr, &width, err, errlen) < 0 ||
	    read_data(f, path, &h, 1, 4 * width, avail, &data, &bytes, err, errlen) < 0)
		goto bad;
	out->count = h.shape[0];
	out->items = xcalloc(out->count ? out->count : 1, sizeof *out->items);
	for (size_t i = 0; i < out->count; i++) {
		uint32_t cp = 0;
		out->items[i] = utf8_item((const unsigned char *)data + i * 4 * width, width, &cp);
		if (!out->items[i]) {
			fail(err, errlen, path, "item %zu: invalid code point 0x%x", i + 1, cp);
			goto bad;
		}
	}
	free(data);
	fclose(f);
	return 0;
bad:
	free(data);
	fclose(f);
	vm_npy_strings_free(out);
	return -1;
}

int vm_npy_read_f32(const char *path, vm_npy_f32 *out, char *err, size_t errlen)
{
	npy_header h;
	uint64_t avail, bytes;
	void *data = NULL;
	FILE *f;
	memset(out, 0, sizeof *out);
	f = open_npy(path, &h, &avail, err, errlen);
	if (!f)
		return -1;
	if (strcmp(h.descr, "<f4") != 0) {
		fail(err, errlen, path, "dtype '%s' is not supported; want '<f4'", h.descr);
		goto bad;
	}
	if (read_data(f, path, &h, 2, 4, avail, &data, &bytes, err, errlen) < 0)
		goto bad;
	out->rows = h.shape[0];
	out->cols = h.shape[1];
	out->data = data;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (size_t i = 0; i < out->rows * out->cols; i++) {
		uint32_t v;
		memcpy(&v, &out->data[i], 4);
		v = __builtin_bswap32(v);
		memcpy(&out->data[i], &v, 4);
	}
#endif
	fclose(f);
	return 0;
bad:
	free(data);
	fclose(f);
	vm_npy_f32_free(out);
	return -1;
}

int vm_npy_write_f32(const char *path, const float *data, size_t rows, size_t cols, char *err, size_t errlen)
{
	vm_atomic_file af;
	char dict[128], head[256];
	int n;
	size_t total, pad;
	if (cols && rows > SIZE_MAX / 4 / cols)
		return fail(err, errlen, path, "shape too large");
	n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }",
	             rows, cols);
	/* magic(6) + version(2) + length(2) + dict + padding + '\n', a multiple of 64 */
	total = 10 + (size_t)n + 1;
	pad = (64 - total % 64) % 64;
	memcpy(head, "\x93NUMPY\x01\x00", 8);
	head[8] = (char)((n + pad + 1) & 0xff);
	head[9] = (char)((n + pad + 1) >> 8);
	memcpy(head + 10, dict, (size_t)n);
	memset(head + 10 + n, ' ', pad);
	head[10 + n + pad] = '\n';
	if (vm_atomic_open(&af, path) < 0)
		return fail(err, errlen, path, "%s", strerror(errno));
	if (fwrite(head, 1, total + pad, af.fp) != total + pad)
		goto werr;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (size_t i = 0; i < rows * cols; i++) {
		uint32_t v;
		memcpy(&v, &data[i], 4);
		v = __builtin_bswap32(v);
		if (fwrite(&v, 4, 1, af.fp) != 1)
			goto werr;
	}
#else
	if (rows && cols && fwrite(data, 4, rows * cols, af.fp) != rows * cols)
		goto werr;
#endif
	if (vm_atomic_commit(&af) < 0)
		return fail(err, errlen, path, "%s", strerror(errno));
	return 0;
werr:
	{
		int e = errno;
		vm_atomic_abort(&af);
		return fail(err, errlen, path, "%s", strerror(e ? e : EIO));
	}
}

void vm_npy_strings_free(vm_npy_strings *s)
{
	if (!s->items) {
		s->count = 0;
		return;
	}
	for (size_t i = 0; i < s->count; i++)
		free(s->items[i]);
	free(s->items);
	s->items = NULL;
	s->count = 0;
}

void vm_npy_f32_free(vm_npy_f32 *a)
{
	free(a->data);
	a->data = NULL;
	a->rows = a->cols = 0;
}
