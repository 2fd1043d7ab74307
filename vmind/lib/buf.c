/* buf.c: the growable string buffer declared in buf.h. */
#include "config.h"
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void vm_buf_grow(vm_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	if (cap != b->cap) {
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
}

void vm_buf_addf(vm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		vm_die("vm_buf_addf: bad format \"%s\"", fmt);
	if (b->len + (size_t)n + 1 > b->cap) {
		vm_buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void vm_buf_add_html(vm_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': vm_buf_add(b, "&amp;"); break;
		case '<': vm_buf_add(b, "&lt;"); break;
		case '>': vm_buf_add(b, "&gt;"); break;
		case '"': vm_buf_add(b, "&quot;"); break;
		case '\'': vm_buf_add(b, "&#39;"); break;
		default: vm_buf_addc(b, *s);
		}
	}
}

void vm_buf_add_json(vm_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			vm_buf_addn(b, e, 2);
		} else if (c < 0x20) {
			vm_buf_addf(b, "\\u%04x", c);
		} else {
			vm_buf_addc(b, (char)c);
		}
	}
}

char *vm_buf_steal(vm_buf *b)
{
	char *p = b->p ? b->p : xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void vm_buf_free(vm_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
