/* buf.h: a growable string buffer, the one every tool builds text in
 * (pages of the simulated web, SQL, tokens, generated titles). A zeroed
 * vm_buf ({0}) is an empty buffer ready to use; b.p is NULL until the first
 * addition (vm_buf_add(&b, "") makes it ""), and from then on the bytes are
 * always NUL-terminated, so b.p can be used as a C string. Growing never
 * fails (xrealloc dies). The buffer owns b.p until vm_buf_free or
 * vm_buf_steal. */
#ifndef VMIND_BUF_H
#define VMIND_BUF_H

#include <stddef.h>
#include <string.h>
#include "util.h"

typedef struct vm_buf {
	char *p;      /* [cap] bytes; p[len] == '\0' once anything was added */
	size_t len;   /* bytes in use, not counting the NUL */
	size_t cap;   /* bytes allocated */
} vm_buf;

/* Room for `extra` more bytes and the NUL. */
void vm_buf_grow(vm_buf *b, size_t extra);

static inline void vm_buf_addn(vm_buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
		vm_buf_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
static inline void vm_buf_add(vm_buf *b, const char *s) { vm_buf_addn(b, s, strlen(s)); }
static inline void vm_buf_addc(vm_buf *b, char c) { vm_buf_addn(b, &c, 1); }
void vm_buf_addf(vm_buf *b, const char *fmt, ...) VM_PRINTF(2, 3);
/* s with & < > " ' written as HTML entities */
void vm_buf_add_html(vm_buf *b, const char *s);
/* s as the inside of a JSON string: quotes, backslashes and controls escaped */
void vm_buf_add_json(vm_buf *b, const char *s);

/* Empty it, keeping the memory. */
static inline void vm_buf_clear(vm_buf *b) { b->len = 0; if (b->p) b->p[0] = '\0'; }
/* The text as a malloc'd string the caller owns ("" when empty); the
 * buffer is left empty. */
char *vm_buf_steal(vm_buf *b);
void vm_buf_free(vm_buf *b);

#endif
