/* web-archive.c: the archive and search endpoints of `vmind-web serve`.
 * On --archive-host: the Wayback Machine's CDX API
 * (/cdx/search/cdx?url=...&output=json&filter=...&limit=...&fl=...), raw
 * captures (/web/<timestamp><flag>_/<url>, nearest capture by redirect, as
 * the Wayback Machine does) and the availability API (/wayback/available),
 * from WEBDIR/captures.tsv; an optional request rate above which it answers
 * 429 with Retry-After. On --search-host: a searx-compatible
 * /search?q=...&format=json over WEBDIR/search.tsv, ranked by the cosine of
 * word sets between the query and each title. Formats in man/vmind-web.1. */
#include "config.h"
#include "web-archive.h"
#include "vmind/lib/util.h"

#include <cJSON.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct capture {
	char *url, *ts, *mime, *body, *digest, *headers;
	int status;
	long long length;
} capture;

typedef struct capset {      /* the captures of one SURT key, by timestamp */
	char *surt;
	capture **v;
	size_t n, cap;
} capset;

typedef struct doc {
	char *url, *title, *content, *img, *thumb, *engine;
	uint64_t *tt;   /* title tokens, sorted, unique */
	size_t ntt;
	uint64_t *ct;   /* content tokens */
	size_t nct;
} doc;

struct web_archive {
	const web_serve_opts *o;
	const volatile sig_atomic_t *stop;   /* the server's: it is stopping */
	capset *sets;   /* open addressing by surt */
	size_t cap, count;
	doc *docs;
	size_t ndocs, docs_cap;
	int files_fd;
	pthread_mutex_t mu;
	double tokens, last;   /* rate limit bucket */
};

/* ---- helpers ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static char *url_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static int has_escape(const char *s)
{
	for (; *s; s++)
		if (s[0] == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0)
			return 1;
	return 0;
}

/* the k-th value (from 0) of query parameter name, decoded; NULL when absent */
static char *param(const char *uri, const char *name, int k)
{
	const char *q = strchr(uri, '?');
	size_t nl = strlen(name);
	if (!q)
		return NULL;
	for (const char *p = q + 1; *p;) {
		const char *e = strchr(p, '&');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > nl && !strncmp(p, name, nl) && p[nl] == '=' && k-- == 0)
			return url_decode(p + nl + 1, len - nl - 1);
		if (len == nl && !strncmp(p, name, nl) && k-- == 0)
			return xstrdup("");
		p += len + (e ? 1 : 0);
	}
	return NULL;
}

/* Sort-friendly URL form: scheme and a leading www. dropped, host labels
 * reversed and comma-joined, ")" then the path and query, all lower case:
 * http://www.Example.com/A?b -> com,example)/a?b */
static char *surt(const char *url)
{
	const char *p = strstr(url, "://"), *h, *e;
	vm_buf b = { 0 };
	char *host;
	h = p ? p + 3 : url;
	e = h + strcspn(h, "/?#");
	host = xstrndup(h, (size_t)(e - h));
	for (char *c = host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strchr(host, ':'))
		*strchr(host, ':') = '\0';
	char *hs = !strncmp(host, "www.", 4) ? host + 4 : host;
	for (;;) {
		char *dot = strrchr(hs, '.');
		vm_buf_add(&b, dot ? dot + 1 : hs);
		if (!dot)
			break;
		*dot = '\0';
		vm_buf_add(&b, ",");
	}
	vm_buf_add(&b, ")");
	vm_buf_add(&b, *e ? e : "/");
	for (char *c = b.p; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	free(host);
	return vm_buf_steal(&b);
}

static capset *set_get(web_archive *A, const char *key, int create)
{
	if (create && (A->count + 1) * 2 > A->cap) {
		size_t ncap = A->cap ? A->cap * 2 : 1024;
		capset *ns = xcalloc(ncap, sizeof *ns);
		for (size_t i = 0; i < A->cap; i++) {
			if (!A->sets[i].surt)
				continue;
			size_t j = vm_fnv1a64(A->sets[i].surt, strlen(A->sets[i].surt)) & (ncap - 1);
			while (ns[j].surt)
				j = (j + 1) & (ncap - 1);
			ns[j] = A->sets[i];
		}
		free(A->sets);
		A->sets = ns;
		A->cap = ncap;
	}
	if (!A->cap)
		return NULL;
	size_t j = vm_fnv1a64(key, strlen(key)) & (A->cap - 1);
	while (A->sets[j].surt) {
		if (!strcmp(A->sets[j].surt, key))
			return &A->sets[j];
		j = (j + 1) & (A->cap - 1);
	}
	if (!create)
		return NULL;
	A->sets[j].surt = xstrdup(key);
	A->count++;
	return &A->sets[j];
}

static int cmp_cap(const void *a, const void *b)
{
	const capture *x = *(capture *const *)a, *y = *(capture *const *)b;
	return strcmp(x->ts, y->ts);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* lower-case alphanumeric words as sorted unique hashes */
static uint64_t *tokens(const char *s, size_t *n)
{
	size_t cap = 16, k = 0;
	uint64_t *v = xmalloc(cap * sizeof *v);
	while (*s) {
		char w[128];
		size_t len = 0;
		while (*s && !isalnum((unsigned char)*s))
			s++;
		while (*s && isalnum((unsigned char)*s)) {
			if (len + 1 < sizeof w)
				w[len++] = (char)tolower((unsigned char)*s);
			s++;
		}
		if (!len)
			continue;
		if (k == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		v[k++] = vm_fnv1a64(w, len);
	}
	qsort(v, k, sizeof *v, cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (!u || v[u - 1] != v[i])
			v[u++] = v[i];
	*n = u;
	return v;
}

static size_t overlap(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, c = 0;
	while (i < na && j < nb) {
		if (a[i] < b[j]) i++;
		else if (a[i] > b[j]) j++;
		else { c++; i++; j++; }
	}
	return c;
}

/* ---- loading ---- */

static int load_tsv(web_archive *A, const char *name, int want, int (*row)(web_archive *A, char **f, int n))
{
	char *path = xasprintf("%s/%s", A->o->root, name), *line = NULL, *f[16];
	FILE *fp = fopen(path, "r");
	size_t cap = 0;
	long lineno = 0;
	int rc = -1;
	if (!fp) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc)
			vm_warn_errno("%s", path);
		goto out;
	}
	while (getline(&line, &cap, fp) > 0) {
		int n = web_split_tabs(line, f, 16);
		if (++lineno == 1)
			continue;
		if (n == 1 && !f[0][0])
			continue;
		if (n < want || row(A, f, n) < 0) {
			vm_warn("%s:%ld: bad line", path, lineno);
			goto out;
		}
	}
	rc = 0;
out:
	if (fp)
		fclose(fp);
	free(line);
	free(path);
	return rc;
}

static void capture_free(capture *c)
{
	free(c->url);
	free(c->ts);
	free(c->mime);
	free(c->body);
	free(c->digest);
	free(c->headers);
	free(c);
}

static int capture_row(web_archive *A, char **f, int n)
{
	capture *c = xcalloc(1, sizeof *c);
	char *key;
	capset *s;
	c->url = xstrdup(f[0]);
	c->ts = xstrdup(f[1]);
	c->status = atoi(f[2]);
	c->mime = xstrdup(f[3]);
	c->body = xstrdup(f[4]);
	c->digest = xstrdup(n > 5 ? f[5] : "-");
	c->length = n > 6 ? atoll(f[6]) : 0;
	c->headers = xstrdup(n > 7 ? f[7] : "");
	if (strlen(c->ts) != 14 || strspn(c->ts, "0123456789") != 14 || c->status < 100 || c->status > 599) {
		capture_free(c);
		return -1;
	}
	key = surt(c->url);
	s = set_get(A, key, 1);
	free(key);
	if (s->n == s->cap)
		s->v = xrealloc(s->v, (s->cap = s->cap ? 2 * s->cap : 4) * sizeof *s->v);
	s->v[s->n++] = c;
	return 0;
}

static int search_row(web_archive *A, char **f, int n)
{
	doc *d;
	if (A->ndocs == A->docs_cap)
		A->docs = xrealloc(A->docs, (A->docs_cap = A->docs_cap ? 2 * A->docs_cap : 1024) * sizeof *A->docs);
	d = &A->docs[A->ndocs++];
	d->url = xstrdup(f[0]);
	d->title = xstrdup(f[1]);
	d->content = xstrdup(f[2]);
	d->img = xstrdup(n > 3 ? f[3] : "");
	d->thumb = xstrdup(n > 4 ? f[4] : "");
	d->engine = xstrdup(n > 5 && f[5][0] ? f[5] : "simweb");
	d->tt = tokens(d->title, &d->ntt);
	d->ct = tokens(d->content, &d->nct);
	return 0;
}

web_archive *web_archive_load(const web_serve_opts *o, const volatile sig_atomic_t *stop)
{
	web_archive *A = xcalloc(1, sizeof *A);
	char *dir;
	A->o = o;
	A->stop = stop;
	A->files_fd = -1;
	pthread_mutex_init(&A->mu, NULL);
	if (load_tsv(A, "captures.tsv", 5, capture_row) < 0 || load_tsv(A, "search.tsv", 3, search_row) < 0) {
		web_archive_free(A);
		return NULL;
	}
	for (size_t i = 0; i < A->cap; i++)
		if (A->sets[i].surt)
			qsort(A->sets[i].v, A->sets[i].n, sizeof *A->sets[i].v, cmp_cap);
	dir = xasprintf("%s/files", o->root);
	A->files_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	A->tokens = o->archive_rate;
	A->last = vm_now();
	return A;
}

void web_archive_free(web_archive *A)
{
	if (!A)
		return;
	for (size_t i = 0; i < A->cap; i++) {
		for (size_t k = 0; k < A->sets[i].n; k++)
			capture_free(A->sets[i].v[k]);
		free(A->sets[i].v);
		free(A->sets[i].surt);
	}
	free(A->sets);
	for (size_t i = 0; i < A->ndocs; i++) {
		doc *d = &A->docs[i];
		free(d->url);
		free(d->title);
		free(d->content);
		free(d->img);
		free(d->thumb);
		free(d->engine);
		free(d->tt);
		free(d->ct);
	}
	free(A->docs);
	if (A->files_fd >= 0)
		close(A->files_fd);
	pthread_mutex_destroy(&A->mu);
	free(A);
}

/* ---- answering ---- */

static enum MHD_Result send_buf(struct MHD_Connection *c, int status, char *text, const char *ctype,
				const char *h1, const char *v1)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;
	if (!r) {
		free(text);
		return MHD_NO;
	}
	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	if (h1)
		MHD_add_response_header(r, h1, v1);
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *cap_field(const capture *c, const char *surtkey, const char *name, char *num)
{
	if (!strcmp(name, "urlkey")) return surtkey;
	if (!strcmp(name, "timestamp")) return c->ts;
	if (!strcmp(name, "original")) return c->url;
	if (!strcmp(name, "mimetype")) return c->mime;
	if (!strcmp(name, "statuscode")) { sprintf(num, "%d", c->status); return num; }
	if (!strcmp(name, "digest")) return c->digest;
	if (!strcmp(name, "length")) { sprintf(num, "%lld", c->length); return num; }
	return NULL;
}

/* A CDX query: the fields asked for and the filters. */
typedef struct cdx_query {
	const char *fields[8];
	int nf;
	regex_t re[8];          /* filter=[!]FIELD:REGEX */
	int neg[8], nre;
	char *refield[8];
	char *from, *to;        /* timestamp prefixes, or NULL */
} cdx_query;

static const char *const cdx_all_fields[] = { "urlkey", "timestamp", "original", "mimetype",
					      "statuscode", "digest", "length" };

/* fl=a,b,c (unknown names dropped); all fields when none is left */
static void cdx_fields(cdx_query *q, const char *fl)
{
	if (fl && *fl) {
		char *save = NULL, *t = xstrdup(fl);
		for (char *tok = strtok_r(t, ",", &save); tok && q->nf < 7; tok = strtok_r(NULL, ",", &save))
			for (int k = 0; k < 7; k++)
				if (!strcmp(tok, cdx_all_fields[k]))
					q->fields[q->nf++] = cdx_all_fields[k];
		free(t);
	}
	if (!q->nf)
		for (q->nf = 0; q->nf < 7; q->nf++)
			q->fields[q->nf] = cdx_all_fields[q->nf];
}

/* the filter parameters (at most 8; bad ones ignored) */
static void cdx_filters(cdx_query *q, const char *uri)
{
	for (int k = 0; k < 8; k++) {
		char *f = param(uri, "filter", k), *colon, *pat;
		if (!f)
			break;
		q->neg[q->nre] = f[0] == '!';
		colon = strchr(f + q->neg[q->nre], ':');
		if (!colon) {
			free(f);
			continue;
		}
		*colon = '\0';
		pat = xasprintf("^(%s)$", colon + 1);
		if (regcomp(&q->re[q->nre], pat, REG_EXTENDED | REG_NOSUB) == 0) {
			q->refield[q->nre] = xstrdup(f + q->neg[q->nre]);
			q->nre++;
		}
		free(pat);
		free(f);
	}
}

static void cdx_query_free(cdx_query *q)
{
	for (int k = 0; k < q->nre; k++) {
		regfree(&q->re[k]);
		free(q->refield[k]);
	}
	free(q->from);
	free(q->to);
}

static int cdx_keeps(const cdx_query *q, const capture *x, const char *key)
{
	char num[32];
	if (q->from && *q->from && strncmp(x->ts, q->from, strlen(q->from)) < 0)
		return 0;
	if (q->to && *q->to && strncmp(x->ts, q->to, strlen(q->to)) > 0)
		return 0;
	for (int k = 0; k < q->nre; k++) {
		const char *v = cap_field(x, key, q->refield[k], num);
		int m = v && regexec(&q->re[k], v, 0, NULL, 0) == 0;
		if (m == q->neg[k])
			return 0;
	}
	return 1;
}

/* The captures of s the query keeps, in [*first, *last) of sel after
 * sort=reverse and limit=N (the first N) or limit=-N (the last N). */
static size_t cdx_select(const cdx_query *q, const capset *s, const char *key, const char *sort,
			 long long limit, capture **sel, size_t max, size_t *first)
{
	size_t ns = 0, last;
	for (size_t i = 0; s && i < s->n && ns < max; i++)
		if (cdx_keeps(q, s->v[i], key))
			sel[ns++] = s->v[i];
	if (sort && !strcmp(sort, "reverse"))
		for (size_t i = 0; i < ns / 2; i++) {
			capture *t = sel[i];
			sel[i] = sel[ns - 1 - i];
			sel[ns - 1 - i] = t;
		}
	*first = 0;
	last = ns;
	if (limit > 0 && (size_t)limit < ns)
		last = (size_t)limit;
	else if (limit < 0 && (size_t)(-limit) < ns)
		*first = ns - (size_t)(-limit);
	return last;
}

/* output=json: an array of rows, the field names first when any row */
static char *cdx_json(const cdx_query *q, capture **sel, size_t first, size_t last, const char *key)
{
	cJSON *arr = cJSON_CreateArray(), *row;
	char num[32], *text;
	vm_buf b = { 0 };
	if (last > first) {
		row = cJSON_CreateArray();
		for (int k = 0; k < q->nf; k++)
			cJSON_AddItemToArray(row, cJSON_CreateString(q->fields[k]));
		cJSON_AddItemToArray(arr, row);
	}
	for (size_t i = first; i < last; i++) {
		row = cJSON_CreateArray();
		for (int k = 0; k < q->nf; k++)
			cJSON_AddItemToArray(row, cJSON_CreateString(cap_field(sel[i], key, q->fields[k], num)));
		cJSON_AddItemToArray(arr, row);
	}
	text = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	vm_buf_add(&b, text);
	vm_buf_add(&b, "\n");
	free(text);
	return vm_buf_steal(&b);
}

/* the text output: one line a capture, fields separated by spaces */
static char *cdx_text(const cdx_query *q, capture **sel, size_t first, size_t last, const char *key)
{
	char num[32];
	vm_buf b = { 0 };
	for (size_t i = first; i < last; i++) {
		for (int k = 0; k < q->nf; k++)
			vm_buf_addf(&b, "%s%s", k ? " " : "", cap_field(sel[i], key, q->fields[k], num));
		vm_buf_add(&b, "\n");
	}
	return vm_buf_steal(&b);
}

static int cdx(web_archive *A, struct MHD_Connection *c, const char *uri, enum MHD_Result *ret)
{
	char *url = param(uri, "url", 0), *output = param(uri, "output", 0), *fl = param(uri, "fl", 0);
	char *limit_s = param(uri, "limit", 0), *sort = param(uri, "sort", 0), *key, *text;
	int json = output && !strcmp(output, "json");
	cdx_query q = { .from = param(uri, "from", 0), .to = param(uri, "to", 0) };
	capture *sel[4096];
	size_t first, last;
	int status = 200;

	if (!url || !*url) {
		*ret = send_buf(c, 400, xstrdup("missing url\n"), "text/plain", NULL, NULL);
		status = 400;
		goto out;
	}
	cdx_fields(&q, fl);
	cdx_filters(&q, uri);
	key = surt(url);
	last = cdx_select(&q, set_get(A, key, 0), key, sort, limit_s ? atoll(limit_s) : 0, sel, 4096, &first);
	text = json ? cdx_json(&q, sel, first, last, key) : cdx_text(&q, sel, first, last, key);
	*ret = send_buf(c, 200, text, json ? "application/json" : "text/plain", NULL, NULL);
	free(key);
out:
	cdx_query_free(&q);
	free(url);
	free(output);
	free(fl);
	free(limit_s);
	free(sort);
	return status;
}

static long long ts_num(const char *ts)
{
	char full[15];
	size_t n = strlen(ts);
	memcpy(full, "00000000000000", 15);
	memcpy(full, ts, n > 14 ? 14 : n);
	return atoll(full);
}

static capture *nearest(capset *s, const char *ts)
{
	capture *best = NULL;
	long long t = ts_num(ts), bd = 0;
	for (size_t i = 0; s && i < s->n; i++) {
		long long d = llabs(ts_num(s->v[i]->ts) - t);
		if (!best || d < bd) {
			best = s->v[i];
			bd = d;
		}
	}
	return best;
}

/* /web/<ts><flag>/<url> */
static int wayback(web_archive *A, struct MHD_Connection *c, const char *uri, enum MHD_Result *ret)
{
	const char *p = uri + 5, *u;
	char ts[15], flag[8] = "";
	size_t nd = strspn(p, "0123456789"), nflag;
	char *key;
	capture *x;
	struct MHD_Response *r;
	int fd = -1;
	struct stat sb;

	if (nd == 0 || nd > 14)
		goto notfound;
	memcpy(ts, p, nd);
	ts[nd] = '\0';
	p += nd;
	nflag = strcspn(p, "/");
	if (nflag >= sizeof flag)
		goto notfound;
	memcpy(flag, p, nflag);
	flag[nflag] = '\0';
	if (p[nflag] != '/')
		goto notfound;
	u = p + nflag + 1;
	key = surt(u);
	x = nearest(set_get(A, key, 0), ts);
	free(key);
	if (!x)
		goto notfound;
	if (strcmp(x->ts, ts) != 0) {   /* not this moment: to the nearest capture */
		char *loc = xasprintf("/web/%s%s/%s", x->ts, flag, u);
		*ret = send_buf(c, 302, xstrdup(""), NULL, "Location", loc);
		free(loc);
		return 302;
	}
	if (x->body[0]) {
		fd = A->files_fd >= 0 ? openat(A->files_fd, x->body, O_RDONLY | O_CLOEXEC) : -1;
		if (fd < 0 || fstat(fd, &sb) < 0) {
			if (fd >= 0)
				close(fd);
			*ret = send_buf(c, 500, xstrdup("capture body missing\n"), "text/plain", NULL, NULL);
			return 500;
		}
		r = sb.st_size ? MHD_create_response_from_fd((uint64_t)sb.st_size, fd)
			       : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		if (!sb.st_size)
			close(fd);
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!r) {
		*ret = MHD_NO;
		return 0;
	}
	if (x->mime[0])
		MHD_add_response_header(r, "Content-Type", x->mime);
	web_add_headers(r, x->headers);
	{
		char *orig = xasprintf("%s", x->url);
		MHD_add_response_header(r, "X-Archive-Src", orig);
		free(orig);
	}
	*ret = MHD_queue_response(c, (unsigned)x->status, r);
	MHD_destroy_response(r);
	return x->status;
notfound:
	*ret = send_buf(c, 404, xstrdup("Wayback Machine has not archived that URL.\n"), "text/plain", NULL, NULL);
	return 404;
}

/* /wayback/available?url=U[&timestamp=T] */
static int available(web_archive *A, struct MHD_Connection *c, const char *uri, enum MHD_Result *ret)
{
	char *url = param(uri, "url", 0), *ts = param(uri, "timestamp", 0), *key, *text;
	cJSON *root = cJSON_CreateObject(), *snaps = cJSON_AddObjectToObject(root, "archived_snapshots");
	capture *best = NULL;
	capset *s;
	if (url) {
		key = surt(url);
		s = set_get(A, key, 0);
		free(key);
		/* the nearest capture with status 200 */
		long long t = ts_num(ts && *ts ? ts : "99991231235959"), bd = 0;
		for (size_t i = 0; s && i < s->n; i++) {
			long long d = llabs(ts_num(s->v[i]->ts) - t);
			if (s->v[i]->status == 200 && (!best || d < bd)) {
				best = s->v[i];
				bd = d;
			}
		}
		cJSON_AddStringToObject(root, "url", url);
	}
	if (best) {
		cJSON *cl = cJSON_AddObjectToObject(snaps, "closest");
		char *wb = xasprintf("http://%s/web/%s/%s", A->o->archive_host, best->ts, best->url);
		cJSON_AddStringToObject(cl, "status", "200");
		cJSON_AddBoolToObject(cl, "available", 1);
		cJSON_AddStringToObject(cl, "url", wb);
		cJSON_AddStringToObject(cl, "timestamp", best->ts);
		free(wb);
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	*ret = send_buf(c, 200, text, "application/json", NULL, NULL);
	free(url);
	free(ts);
	return 200;
}

typedef struct hit { double score; size_t i; } hit;
static int cmp_hit(const void *a, const void *b)
{
	const hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int search(web_archive *A, struct MHD_Connection *c, const char *uri, enum MHD_Result *ret)
{
	char *q = param(uri, "q", 0), *format = param(uri, "format", 0), *page = param(uri, "pageno", 0);
	char *cats = param(uri, "categories", 0), *text;
	int status = 200;
	if (!format || strcmp(format, "json")) {
		*ret = send_buf(c, 403, xstrdup("403 Forbidden: only format=json is served here\n"),
				"text/plain", NULL, NULL);
		status = 403;
		goto out;
	}
	if (!q || !*q) {
		*ret = send_buf(c, 400, xstrdup("{\"error\":\"no query\"}\n"), "application/json", NULL, NULL);
		status = 400;
		goto out;
	}
	if (has_escape(q)) {   /* searx's xpath engine encodes the query twice */
		char *q2 = url_decode(q, strlen(q));
		free(q);
		q = q2;
	}
	{
		size_t nq, nh = 0, pg = page ? (size_t)atol(page) : 1;
		uint64_t *qt = tokens(q, &nq);
		hit *hits = xmalloc((A->ndocs + 1) * sizeof *hits);
		cJSON *root = cJSON_CreateObject(), *res;
		for (size_t i = 0; i < A->ndocs && nq; i++) {
			const doc *d = &A->docs[i];
			size_t ot = overlap(qt, nq, d->tt, d->ntt), oc = overlap(qt, nq, d->ct, d->nct);
			if (!ot && !oc)
				continue;
			hits[nh].score = (d->ntt ? ot / sqrt((double)nq * d->ntt) : 0) + 0.2 * oc / nq;
			hits[nh].i = i;
			nh++;
		}
		qsort(hits, nh, sizeof *hits, cmp_hit);
		if (pg < 1)
			pg = 1;
		cJSON_AddStringToObject(root, "query", q);
		cJSON_AddNumberToObject(root, "number_of_results", (double)nh);
		res = cJSON_AddArrayToObject(root, "results");
		for (size_t k = (pg - 1) * 10; k < nh && k < pg * 10; k++) {
			const doc *d = &A->docs[hits[k].i];
			cJSON *o = cJSON_CreateObject(), *eng = cJSON_CreateArray(), *pos = cJSON_CreateArray();
			cJSON_AddStringToObject(o, "url", d->url);
			cJSON_AddStringToObject(o, "title", d->title);
			cJSON_AddStringToObject(o, "content", d->content);
			if (d->img[0]) {
				cJSON_AddStringToObject(o, "img_src", d->img);
				cJSON_AddStringToObject(o, "thumbnail_src", d->thumb[0] ? d->thumb : d->img);
			}
			cJSON_AddStringToObject(o, "engine", d->engine);
			cJSON_AddItemToArray(eng, cJSON_CreateString(d->engine));
			cJSON_AddItemToObject(o, "engines", eng);
			cJSON_AddItemToArray(pos, cJSON_CreateNumber((double)(k + 1)));
			cJSON_AddItemToObject(o, "positions", pos);
			cJSON_AddNumberToObject(o, "score", floor(hits[k].score * 10000 + 0.5) / 10000);
			cJSON_AddStringToObject(o, "category", d->img[0] && cats && strstr(cats, "images") ? "images" : "general");
			if (d->img[0] && cats && strstr(cats, "images"))
				cJSON_AddStringToObject(o, "template", "images.html");
			cJSON_AddItemToArray(res, o);
		}
		cJSON_AddArrayToObject(root, "answers");
		cJSON_AddArrayToObject(root, "corrections");
		cJSON_AddArrayToObject(root, "infoboxes");
		cJSON_AddArrayToObject(root, "suggestions");
		cJSON_AddArrayToObject(root, "unresponsive_engines");
		text = cJSON_PrintUnformatted(root);
		cJSON_Delete(root);
		free(hits);
		free(qt);
		*ret = send_buf(c, 200, text, "application/json", NULL, NULL);
	}
out:
	free(q);
	free(format);
	free(page);
	free(cats);
	return status;
}

int web_archive_answer(web_archive *A, struct MHD_Connection *c, const char *host, const char *uri,
		       enum MHD_Result *ret)
{
	const web_serve_opts *o = A->o;
	if (o->archive_host && !strcasecmp(host, o->archive_host)) {
		if (o->archive_delay_ms > 0)
			web_nap_ms(A->stop, o->archive_delay_ms);   /* a slow archive (--archive-delay) */
		if (o->archive_rate > 0) {
			int over;
			pthread_mutex_lock(&A->mu);
			double now = vm_now();
			A->tokens += (now - A->last) * o->archive_rate;
			if (A->tokens > o->archive_rate)
				A->tokens = o->archive_rate;
			A->last = now;
			over = A->tokens < 1;
			if (!over)
				A->tokens -= 1;
			pthread_mutex_unlock(&A->mu);
			if (over) {
				*ret = send_buf(c, 429, xstrdup("Too Many Requests\n"), "text/plain", "Retry-After", "1");
				return 429;
			}
		}
		if (!strncmp(uri, "/cdx/search/cdx", 15) && (uri[15] == '?' || !uri[15]))
			return cdx(A, c, uri, ret);
		if (!strncmp(uri, "/web/", 5))
			return wayback(A, c, uri, ret);
		if (!strncmp(uri, "/wayback/available", 18))
			return available(A, c, uri, ret);
		return 0;
	}
	if (o->search_host && !strcasecmp(host, o->search_host) && !strncmp(uri, "/search", 7) &&
	    (uri[7] == '?' || !uri[7]))
		return search(A, c, uri, ret);
	return 0;
}
