/* web-util.c: the small helpers of the simulated web declared in web.h: the
 * fault syntax of routes.tsv, a growing string buffer with HTML and JSON
 * escaping, tab splitting and a 64-bit string hash. */
#include "config.h"
#include "web.h"
#include "vmind/lib/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int parse_ll(const char *s, long long *v, const char **end)
{
	char *e;
	errno = 0;
	*v = strtoll(s, &e, 10);
	if (errno || e == s || *v < 0)
		return -1;
	*end = e;
	return 0;
}

int web_fault_parse(const char *text, web_fault *f)
{
	static const struct { const char *name; int kind; int arg; } kinds[] = {
		{ "delay", WF_DELAY, 1 }, { "drip", WF_DRIP, 1 }, { "reset", WF_RESET, 0 },
		{ "truncate", WF_TRUNCATE, 1 }, { "badlength", WF_BADLENGTH, 1 },
		{ "retry-after", WF_RETRY_AFTER, 1 }, { "huge", WF_HUGE, 1 },
		{ "redirect-loop", WF_REDIRECT_LOOP, 0 },
	};
	const char *e;
	memset(f, 0, sizeof *f);
	if (!text || !*text)
		return 0;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t n = strlen(kinds[i].name);
		if (strncmp(text, kinds[i].name, n) != 0)
			continue;
		f->kind = kinds[i].kind;
		if (!kinds[i].arg)
			return text[n] == '\0' ? 0 : -1;
		if (text[n] != ':' || parse_ll(text + n + 1, &f->a, &e) < 0)
			return -1;
		if (f->kind == WF_RETRY_AFTER) {
			f->b = 1;
			if (*e == ':' && parse_ll(e + 1, &f->b, &e) < 0)
				return -1;
		} else if (f->kind == WF_HUGE && strcmp(e, ":chunked") == 0) {
			f->b = 1;
			e += strlen(e);
		}
		if (f->kind == WF_DRIP && f->a == 0)
			return -1;
		return *e == '\0' ? 0 : -1;
	}
	return -1;
}

void sb_init(sbuf *b) { b->s = NULL; b->len = b->cap = 0; }
void sb_free(sbuf *b) { free(b->s); sb_init(b); }

static void sb_grow(sbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	b->s = xrealloc(b->s, cap);
	b->cap = cap;
}

void sb_addn(sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

void sb_addf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sb_add_html(sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sb_add(b, "&amp;"); break;
		case '<': sb_add(b, "&lt;"); break;
		case '>': sb_add(b, "&gt;"); break;
		case '"': sb_add(b, "&quot;"); break;
		case '\'': sb_add(b, "&#39;"); break;
		default: sb_addn(b, s, 1);
		}
	}
}

void sb_add_json(sbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sb_addn(b, e, 2);
		} else if (c < 0x20) {
			sb_addf(b, "\\u%04x", c);
		} else {
			sb_addn(b, s, 1);
		}
	}
}

int web_split_tabs(char *line, char **fields, int max)
{
	size_t n = strlen(line);
	int k = 0;
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (max <= 0)
		return 0;
	fields[k++] = line;
	for (char *p = line; *p && k < max; p++) {
		if (*p == '\t') {
			*p = '\0';
			fields[k++] = p + 1;
		}
	}
	return k;
}

uint64_t web_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
