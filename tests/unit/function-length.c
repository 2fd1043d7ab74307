/* function-length.c: lists the functions of C files with their length in
 * lines, longest first, and exits 1 when one is longer than a limit. The
 * project keeps every function outside tests/ short enough to read whole
 * (DEVELOPERS.md); tests/t0003-function-length.sh runs this over the tree.
 * It scans tokens the way a C compiler's lexer would (comments, string and
 * character literals, preprocessor lines are skipped), so a brace inside a
 * string or a "//" inside a URL string does not count. A function is a
 * top-level brace block whose text before the "{" ends with ")"; its name is
 * the identifier before the matching "(".
 * Usage: function-length [-l LIMIT] [-n COUNT] FILE...   (defaults 120, 10) */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmind/lib/util.h"

typedef struct function {
	char *where;   /* FILE:LINE of the opening brace's line */
	char *name;
	int lines;
} function;

typedef struct scan {
	const char *s;      /* the file's text */
	size_t i, n;
	int line;
	char last[256];     /* the significant text before a top-level "{" */
	size_t lastlen;
} scan;

/* Skip a comment, literal or preprocessor line starting at s->i; 1 if one
 * was skipped. */
static int skip_noise(scan *c, int at_line_start)
{
	const char *s = c->s;
	size_t i = c->i;
	if (s[i] == '/' && i + 1 < c->n && s[i + 1] == '*') {
		for (i += 2; i + 1 < c->n && !(s[i] == '*' && s[i + 1] == '/'); i++)
			c->line += s[i] == '\n';
		c->i = i + 2;
		return 1;
	}
	if ((s[i] == '/' && i + 1 < c->n && s[i + 1] == '/') || (at_line_start && s[i] == '#')) {
		for (; i < c->n && s[i] != '\n'; i++)
			if (s[i] == '\\' && i + 1 < c->n && s[i + 1] == '\n')
				i++, c->line++;
		c->i = i;
		return 1;
	}
	if (s[i] == '"' || s[i] == '\'') {
		char q = s[i];
		for (i++; i < c->n && s[i] != q; i++) {
			if (s[i] == '\\')
				i++;
			if (i < c->n && s[i] == '\n')
				c->line++;
		}
		c->i = i + 1;
		c->last[0] = '"';   /* a literal is not a ")" */
		c->lastlen = 1;
		return 1;
	}
	return 0;
}

static void remember(scan *c, char ch)
{
	if (isspace((unsigned char)ch)) {
		if (c->lastlen == 0 || c->last[c->lastlen - 1] == ' ')
			return;
		ch = ' ';
	}
	if (c->lastlen + 1 >= sizeof c->last) {
		memmove(c->last, c->last + sizeof c->last / 2, sizeof c->last / 2);
		c->lastlen -= sizeof c->last / 2;
	}
	c->last[c->lastlen++] = ch;
	c->last[c->lastlen] = '\0';
}

/* The name before the "(...)" that ends c->last, or NULL. */
static char *function_name(const scan *c)
{
	int depth = 0;
	size_t k = c->lastlen;
	while (k > 0 && c->last[k - 1] == ' ')
		k--;
	if (k == 0 || c->last[k - 1] != ')')
		return NULL;
	while (k-- > 0) {
		depth += c->last[k] == ')';
		depth -= c->last[k] == '(';
		if (depth == 0)
			break;
	}
	if (depth != 0 || k == 0)
		return NULL;
	while (k > 0 && c->last[k - 1] == ' ')
		k--;
	size_t e = k;
	while (k > 0 && (isalnum((unsigned char)c->last[k - 1]) || c->last[k - 1] == '_'))
		k--;
	if (k == e)
		return NULL;
	char *name = xstrndup(c->last + k, e - k);
	if (!strcmp(name, "if") || !strcmp(name, "for") || !strcmp(name, "while") || !strcmp(name, "switch")) {
		free(name);
		return NULL;
	}
	return name;
}

static void scan_file(const char *path, function **fs, size_t *nf)
{
	size_t len;
	char *text = vm_read_file(path, &len);
	scan c = { .s = text, .n = len, .line = 1 };
	int depth = 0, start = 0, at_line_start = 1;
	char *name = NULL;
	if (!text)
		vm_die_errno("%s", path);
	while (c.i < c.n) {
		char ch = text[c.i];
		if (skip_noise(&c, at_line_start))
			continue;
		at_line_start = ch == '\n' || (at_line_start && isspace((unsigned char)ch));
		if (ch == '\n')
			c.line++;
		else if (ch == '{' && depth++ == 0) {
			name = function_name(&c);
			start = c.line;
		} else if (ch == '}' && --depth == 0 && name) {
			*fs = xrealloc(*fs, (*nf + 1) * sizeof **fs);
			(*fs)[(*nf)++] = (function){ xasprintf("%s:%d", path, start), name, c.line - start + 1 };
			name = NULL;
		}
		if (depth == 0 && ch != '}')
			remember(&c, ch);
		else if (depth == 0)
			c.lastlen = 0;
		if (ch == ';' && depth == 0)
			c.lastlen = 0;
		c.i++;
	}
	free(name);
	free(text);
}

static int longer_first(const void *a, const void *b)
{
	const function *x = a, *y = b;
	return (y->lines > x->lines) - (y->lines < x->lines);
}

int main(int argc, char **argv)
{
	int limit = 120, count = 10, opt, over = 0;
	function *fs = NULL;
	size_t nf = 0;
	vm_set_progname(argv[0]);
	while ((opt = getopt(argc, argv, "l:n:")) != -1) {
		if (opt == 'l')
			limit = atoi(optarg);
		else if (opt == 'n')
			count = atoi(optarg);
		else
			vm_die("usage: function-length [-l LIMIT] [-n COUNT] FILE...");
	}
	for (int i = optind; i < argc; i++)
		scan_file(argv[i], &fs, &nf);
	qsort(fs, nf, sizeof *fs, longer_first);
	for (size_t i = 0; i < nf; i++) {
		if ((int)i < count || fs[i].lines > limit)
			printf("%s %s %d%s\n", fs[i].where, fs[i].name, fs[i].lines, fs[i].lines > limit ? " (too long)" : "");
		over += fs[i].lines > limit;
		free(fs[i].where);
		free(fs[i].name);
	}
	free(fs);
	return over ? 1 : 0;
}
