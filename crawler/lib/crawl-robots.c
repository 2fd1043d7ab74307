/* crawl-robots.c: robots.txt parsing and matching (see crawl-robots.h). A
 * group starts at a run of user-agent lines and holds the rules up to the
 * next user-agent line that follows a rule. All groups naming our token are
 * merged; when none does, all "*" groups are merged; when neither exists,
 * everything is allowed. Patterns are compared byte for byte, with "%XX"
 * escapes of unreserved characters not normalised (rare in practice). */
#include "config.h"
#include "crawl-robots.h"
#include "vmind/lib/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct rule {
	char *pattern;
	int allow;
} rule;

struct crawl_robots {
	rule *rules;
	size_t n, cap;
	int all;              /* 1 allow all, -1 disallow all, 0 use rules */
	double crawl_delay;
};

static crawl_robots *robots_new(int all)
{
	crawl_robots *r = xcalloc(1, sizeof *r);
	r->all = all;
	return r;
}

crawl_robots *crawl_robots_for_status(long status)
{
	if (status >= 400 && status < 500)
		return robots_new(1);
	if (status >= 200 && status < 300)
		return robots_new(1);
	return robots_new(-1);
}

static void add_rule(crawl_robots *r, const char *p, size_t n, int allow)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->rules = xrealloc(r->rules, r->cap * sizeof *r->rules);
	}
	r->rules[r->n].pattern = xstrndup(p, n);
	r->rules[r->n].allow = allow;
	r->n++;
}

/* The product token of a user-agent value: letters, '-' and '_' */
static int agent_matches(const char *v, size_t n, const char *agent)
{
	size_t k = 0;
	while (k < n && (isalpha((unsigned char)v[k]) || v[k] == '-' || v[k] == '_'))
		k++;
	return k > 0 && k == strlen(agent) && strncasecmp(v, agent, k) == 0;
}

crawl_robots *crawl_robots_parse(const char *body, size_t len, const char *agent)
{
	/* two passes: 0 collects the groups of our agent, 1 those of "*" */
	crawl_robots *mine = robots_new(0), *star = robots_new(0);
	int have_mine = 0, have_star = 0;
	int in_mine = 0, in_star = 0, last_was_agent = 0;
	const char *p = body, *end;
	if (len > 512 * 1024)
		len = 512 * 1024;
	end = body + len;
	/* skip a UTF-8 byte order mark */
	if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
		p += 3;
	while (p < end) {
		const char *eol = p;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		const char *le = eol, *hash = memchr(p, '#', (size_t)(eol - p));
		if (hash)
			le = hash;
		const char *colon = memchr(p, ':', (size_t)(le - p));
		if (colon) {
			const char *k = p, *ke = colon, *v = colon + 1, *ve = le;
			while (k < ke && isspace((unsigned char)*k))
				k++;
			while (ke > k && isspace((unsigned char)ke[-1]))
				ke--;
			while (v < ve && isspace((unsigned char)*v))
				v++;
			while (ve > v && isspace((unsigned char)ve[-1]))
				ve--;
			size_t kl = (size_t)(ke - k), vl = (size_t)(ve - v);
			if ((kl == 10 && strncasecmp(k, "user-agent", 10) == 0) ||
			    (kl == 9 && strncasecmp(k, "useragent", 9) == 0) ||
			    (kl == 10 && strncasecmp(k, "user agent", 10) == 0)) {
				if (!last_was_agent)
					in_mine = in_star = 0;
				if (vl == 1 && v[0] == '*') {
					in_star = 1;
					have_star = 1;
				} else if (agent_matches(v, vl, agent)) {
					in_mine = 1;
					have_mine = 1;
				}
				last_was_agent = 1;
			} else if ((kl == 5 && strncasecmp(k, "allow", 5) == 0) ||
			           (kl == 8 && strncasecmp(k, "disallow", 8) == 0)) {
				int allow = kl == 5;
				last_was_agent = 0;
				if (vl > 0) {
					if (in_mine)
						add_rule(mine, v, vl, allow);
					if (in_star)
						add_rule(star, v, vl, allow);
				}
			} else if (kl == 11 && strncasecmp(k, "crawl-delay", 11) == 0) {
				char tmp[32];
				size_t n = vl < sizeof tmp - 1 ? vl : sizeof tmp - 1;
				memcpy(tmp, v, n);
				tmp[n] = '\0';
				double d = atof(tmp);
				if (d > 0) {
					if (in_mine)
						mine->crawl_delay = d;
					if (in_star)
						star->crawl_delay = d;
				}
				last_was_agent = 0;
			} else {
				/* sitemap and other records do not end a group */
			}
		}
		p = eol;
		while (p < end && (*p == '\n' || *p == '\r'))
			p++;
	}
	if (have_mine) {
		crawl_robots_free(star);
		return mine;
	}
	crawl_robots_free(mine);
	if (have_star)
		return star;
	crawl_robots_free(star);
	return robots_new(1);
}

/* Length of the match of pattern against the start of path, -1 when none.
 * '*' matches any run of bytes; '$' at the end anchors at the end. */
static int match(const char *pat, const char *path)
{
	const char *p = pat, *s = path, *star_p = NULL, *star_s = NULL;
	size_t plen = strlen(pat);
	int anchored = plen > 0 && pat[plen - 1] == '$';
	const char *pend = pat + plen - (anchored ? 1 : 0);
	/* greedy with backtracking over the last '*' */
	for (;;) {
		if (p == pend) {
			if (!anchored || *s == '\0')
				return 1;
		} else if (*p == '*') {
			star_p = ++p;
			star_s = s;
			continue;
		} else if (*s && *p == *s) {
			p++;
			s++;
			continue;
		}
		if (!star_p || !*star_s)
			return -1;
		p = star_p;
		s = ++star_s;
	}
}

int crawl_robots_allowed(const crawl_robots *r, const char *path)
{
	size_t best_len = 0;
	int best_allow = 1, found = 0;
	if (r->all)
		return r->all > 0;
	if (!path || !*path)
		path = "/";
	if (strcmp(path, "/robots.txt") == 0)
		return 1;
	for (size_t i = 0; i < r->n; i++) {
		if (match(r->rules[i].pattern, path) < 0)
			continue;
		size_t l = strlen(r->rules[i].pattern);
		if (!found || l > best_len || (l == best_len && r->rules[i].allow)) {
			best_len = l;
			best_allow = r->rules[i].allow;
			found = 1;
		}
	}
	return best_allow;
}

double crawl_robots_crawl_delay(const crawl_robots *r)
{
	return r->crawl_delay;
}

void crawl_robots_free(crawl_robots *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->rules[i].pattern);
	free(r->rules);
	free(r);
}
