/* web-util.c: the small helpers of the simulated web declared in web.h: the
 * fault syntax of routes.tsv and tab splitting. */
#include "config.h"
#include "web.h"
#include "vmind/lib/util.h"

#include <errno.h>
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
