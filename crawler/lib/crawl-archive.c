/* crawl-archive.c: the archive tier. For an item the origin tier left
 * without a cover (dead page, or alive without one), ask a Wayback-style
 * archive (--archive, default https://web.archive.org) for the 200 captures
 * of the page URL and of the other URL forms derivable from the item's MSN
 * id (assets.msn.com/labs/mind/ID.html), newest first; fetch each capture's
 * raw bytes (/web/TSid_/URL), extract the cover candidates exactly as the
 * origin tier does (base URL: the original page URL), and for each
 * candidate fetch the image live, then, when that fails, its own archived
 * capture (/web/TSid_/IMAGE, which the archive redirects to the nearest
 * capture). Requests to the archive host go through a small queue of their
 * own (--archive-parallel, default 4); the fetch engine's per-host backoff
 * honours the archive's 429 and Retry-After. */
#include "config.h"
#include "crawl.h"
#include "extract.h"
#include "vmind/lib/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#define MAX_CAPTURES 3       /* captures tried per item, newest first */
#define MAX_FORMS 3

typedef struct arch arch;
typedef void (*arch_fn)(crawl_req *r, arch *a);

typedef struct capture {
	char ts[15];
	char *orig;
} capture;

/* Requests to the archive host waiting for a slot, and those running: the
 * tier's state for a run. */
typedef struct waiting {
	crawl_req *r;
	struct waiting *next;
} waiting;
typedef struct arch_queue {
	waiting *head, *tail;
	int active;
} arch_queue;

struct arch {
	crawl_ctx *C;
	arch_queue *q;
	crawl_item *it;
	char *forms[MAX_FORMS];
	int nforms, form;
	capture caps[16];
	int ncaps, cap;
	crawl_cands cands;
	size_t cand;
	char *capture_url;
	int had_error;
	int on_archive;          /* the request in flight is to the archive host */
	arch_fn cb;
};

static void arch_req_done(crawl_req *r, void *arg)
{
	arch *a = arg;
	arch_queue *q = a->q;
	if (a->on_archive) {
		q->active--;
		while (q->head && q->active < crawl_ctx_options(a->C)->archive_parallel) {
			waiting *w = q->head;
			q->head = w->next;
			if (!q->head)
				q->tail = NULL;
			q->active++;
			crawl_fetch_submit(crawl_ctx_fetch(a->C), w->r);
			free(w);
		}
	}
	a->cb(r, a);
}

/* Submit r (new or reset) for a; cb gets it back. */
static void arch_submit(arch *a, crawl_req *r, int to_archive, arch_fn cb)
{
	a->cb = cb;
	a->on_archive = to_archive;
	r->done = arch_req_done;
	r->arg = a;
	arch_queue *q = a->q;
	if (!to_archive || q->active < crawl_ctx_options(a->C)->archive_parallel) {
		if (to_archive)
			q->active++;
		crawl_fetch_submit(crawl_ctx_fetch(a->C), r);
		return;
	}
	waiting *w = xcalloc(1, sizeof *w);
	w->r = r;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
}

static void arch_finish(arch *a, crawl_req *r, int result)
{
	crawl_ctx *C = a->C;
	crawl_item *it = a->it;
	crawl_req_free(r);
	crawl_cands_free(&a->cands);
	for (int i = 0; i < a->nforms; i++)
		free(a->forms[i]);
	for (int i = 0; i < a->ncaps; i++)
		free(a->caps[i].orig);
	free(a->capture_url);
	free(a);
	it->tier_state = NULL;
	crawl_tier_done(C, it, result);
}

/* The length of the archive's base URL without its trailing slashes. */
static int base_len(const char *base)
{
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	return (int)n;
}

/* The Wayback URL of url's capture at ts ("id_": the raw bytes). */
static char *wayback_url(const arch *a, const char *ts, const char *url)
{
	const char *base = crawl_ctx_options(a->C)->archive;
	return xasprintf("%.*s/web/%sid_/%s", base_len(base), base, ts, url);
}

static void cdx_next(arch *a, crawl_req *r);
static void capture_next(arch *a, crawl_req *r);
static void cand_next(arch *a, crawl_req *r);

static void bad_result(arch *a, crawl_req *r, const char *what)
{
	if (r->result == CRAWL_FETCH_HTTP || r->result == CRAWL_FETCH_TOO_BIG)
		crawl_item_error(a->it, NULL, "archive %s: %s", what, r->error);
	else {
		crawl_item_error(a->it, r->error_class, "archive %s: %s", what, r->error);
		a->had_error = 1;
	}
}

static int cmp_cap(const void *x, const void *y)
{
	return -strcmp(((const capture *)x)->ts, ((const capture *)y)->ts);   /* newest first */
}

static void cdx_done(crawl_req *r, arch *a)
{
	if (r->result != CRAWL_FETCH_OK) {
		bad_result(a, r, "CDX");
	} else {
		cJSON *j = cJSON_ParseWithLength(r->body, r->len), *row;
		if (!j || !cJSON_IsArray(j)) {
			if (r->len > 0 && !(r->len == 1 && r->body[0] == '\n'))
				crawl_item_error(a->it, NULL, "archive CDX: not a JSON array");
		} else {
			cJSON_ArrayForEach(row, j) {
				cJSON *ts = cJSON_GetArrayItem(row, 1), *orig = cJSON_GetArrayItem(row, 2);
				cJSON *st = cJSON_GetArrayItem(row, 4);
				if (!cJSON_IsString(ts) || !cJSON_IsString(orig) || !cJSON_IsString(st))
					continue;
				if (strcmp(st->valuestring, "200") != 0 || strlen(ts->valuestring) != 14 ||
				    strspn(ts->valuestring, "0123456789") != 14)
					continue;   /* the header row, or a capture of an error */
				int dup = 0;
				for (int i = 0; i < a->ncaps; i++)
					if (!strcmp(a->caps[i].ts, ts->valuestring) && !strcmp(a->caps[i].orig, orig->valuestring))
						dup = 1;
				if (dup)
					continue;
				if (a->ncaps == (int)(sizeof a->caps / sizeof a->caps[0])) {
					/* keep the newest */
					qsort(a->caps, (size_t)a->ncaps, sizeof a->caps[0], cmp_cap);
					if (strcmp(ts->valuestring, a->caps[a->ncaps - 1].ts) <= 0)
						continue;
					free(a->caps[--a->ncaps].orig);
				}
				memcpy(a->caps[a->ncaps].ts, ts->valuestring, 15);
				a->caps[a->ncaps].orig = xstrdup(orig->valuestring);
				a->ncaps++;
			}
		}
		cJSON_Delete(j);
	}
	a->form++;
	cdx_next(a, r);
}

/* Ask for the captures of the next URL form; when none is left, go through
 * the captures. */
static void cdx_next(arch *a, crawl_req *r)
{
	if (a->form < a->nforms) {
		const char *base = crawl_ctx_options(a->C)->archive;
		char *enc = crawl_url_encode(a->forms[a->form], 0);
		/* limit=-N: the newest N (the CDX server lists oldest first) */
		char *url = xasprintf("%.*s/cdx/search/cdx?url=%s&output=json&filter=statuscode:200&limit=-%d",
		                      base_len(base), base, enc, MAX_CAPTURES);
		free(enc);
		if (r)
			crawl_req_reset(r, url, "cdx", 4 << 20);
		else
			r = crawl_req_new(url, a->it->num, "archive", "cdx", 4 << 20, NULL, NULL);
		free(url);
		arch_submit(a, r, 1, cdx_done);
		return;
	}
	if (a->ncaps == 0) {
		crawl_item_error(a->it, NULL, "archive: no capture");
		arch_finish(a, r, a->had_error ? CRAWL_TIER_ERROR : CRAWL_TIER_NONE);
		return;
	}
	qsort(a->caps, (size_t)a->ncaps, sizeof a->caps[0], cmp_cap);
	if (a->ncaps > MAX_CAPTURES) {
		for (int i = MAX_CAPTURES; i < a->ncaps; i++)
			free(a->caps[i].orig);
		a->ncaps = MAX_CAPTURES;
	}
	a->cap = -1;
	capture_next(a, r);
}

static void capture_done(crawl_req *r, arch *a)
{
	const capture *c = &a->caps[a->cap];
	if (r->result != CRAWL_FETCH_OK) {
		bad_result(a, r, "capture");
		capture_next(a, r);
		return;
	}
	crawl_cands_free(&a->cands);
	memset(&a->cands, 0, sizeof a->cands);
	if (crawl_extract_covers(r->body, r->len, c->orig, &a->cands) == 0) {
		crawl_item_error(a->it, NULL, "archive capture %s: no cover candidate", c->ts);
		capture_next(a, r);
		return;
	}
	a->cand = 0;
	cand_next(a, r);
}

static void capture_next(arch *a, crawl_req *r)
{
	const crawl_opts *o = crawl_ctx_options(a->C);
	if (++a->cap >= a->ncaps) {
		arch_finish(a, r, a->had_error ? CRAWL_TIER_ERROR : CRAWL_TIER_NONE);
		return;
	}
	free(a->capture_url);
	a->capture_url = wayback_url(a, a->caps[a->cap].ts, a->caps[a->cap].orig);
	crawl_req_reset(r, a->capture_url, "capture", o->max_page_bytes);
	r->keep_partial = 1;
	arch_submit(a, r, 1, capture_done);
}

static void set_provenance(arch *a, crawl_item *it, int archived_image, const char *final_url)
{
	const capture *c = &a->caps[a->cap];
	free(it->img.capture_timestamp);
	free(it->img.capture_url);
	it->img.capture_timestamp = xstrdup(c->ts);
	it->img.capture_url = xstrdup(a->capture_url);
	free(it->img.page_url);
	it->img.page_url = xstrdup(c->orig);
	if (archived_image) {
		/* .../web/20200101000000id_/...: the capture actually served */
		const char *w = strstr(final_url, "/web/");
		if (w && strspn(w + 5, "0123456789") == 14)
			it->img.image_capture_timestamp = xstrndup(w + 5, 14);
	}
}

static void archived_validated(crawl_ctx *C, crawl_item *it, crawl_req *r, int ok, const char *err)
{
	arch *a = it->tier_state;
	(void)C;
	if (ok) {
		set_provenance(a, it, 1, r->url);
		arch_finish(a, r, CRAWL_TIER_FOUND);
		return;
	}
	crawl_item_error(it, NULL, "archived image %s: %s", a->cands.v[a->cand].url, err);
	a->cand++;
	cand_next(a, r);
}

static void archived_image_done(crawl_req *r, arch *a)
{
	if (r->result == CRAWL_FETCH_OK) {
		crawl_validate(a->C, a->it, r, "archive", a->caps[a->cap].orig, a->cands.v[a->cand].url,
		               archived_validated);
		return;
	}
	bad_result(a, r, "image capture");
	a->cand++;
	cand_next(a, r);
}

/* The live image failed: ask the archive for it. */
static void try_archived_image(arch *a, crawl_req *r)
{
	const crawl_opts *o = crawl_ctx_options(a->C);
	char *url = wayback_url(a, a->caps[a->cap].ts, a->cands.v[a->cand].url);
	crawl_req_reset(r, url, "image", o->max_bytes);
	free(url);
	arch_submit(a, r, 1, archived_image_done);
}

static void live_validated(crawl_ctx *C, crawl_item *it, crawl_req *r, int ok, const char *err)
{
	arch *a = it->tier_state;
	(void)C;
	if (ok) {
		set_provenance(a, it, 0, NULL);
		arch_finish(a, r, CRAWL_TIER_FOUND);
		return;
	}
	crawl_item_error(it, NULL, "image %s: %s", a->cands.v[a->cand].url, err);
	try_archived_image(a, r);
}

static void live_image_done(crawl_req *r, arch *a)
{
	if (r->result == CRAWL_FETCH_OK) {
		crawl_validate(a->C, a->it, r, "archive", a->caps[a->cap].orig, a->cands.v[a->cand].url,
		               live_validated);
		return;
	}
	/* a dead live image is what the archive is for: not an error */
	crawl_item_error(a->it, NULL, "image %s: %s", a->cands.v[a->cand].url, r->error);
	try_archived_image(a, r);
}

static void cand_next(arch *a, crawl_req *r)
{
	const crawl_opts *o = crawl_ctx_options(a->C);
	if (a->cand >= a->cands.n) {
		capture_next(a, r);
		return;
	}
	crawl_req_reset(r, a->cands.v[a->cand].url, "image", o->max_bytes);
	arch_submit(a, r, 0, live_image_done);
}

/* The MSN id of a MIND URL: .../AAGH0ET.html or .../ar-AAGH0ET?... */
static char *msn_id(const char *url)
{
	const char *q = url + strcspn(url, "?#");
	const char *s = q;
	while (s > url && s[-1] != '/')
		s--;
	if (!strncmp(s, "ar-", 3))
		s += 3;
	size_t len = strcspn(s, ".?#");
	if (len < 4 || len > 32 || (size_t)(q - s) < len)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]))
			return NULL;
	return xstrndup(s, len);
}

static void add_form(arch *a, char *url)
{
	for (int i = 0; i < a->nforms; i++)
		if (strcmp(a->forms[i], url) == 0) {
			free(url);
			return;
		}
	if (a->nforms < MAX_FORMS)
		a->forms[a->nforms++] = url;
	else
		free(url);
}

static void archive_start(crawl_ctx *C, crawl_item *it)
{
	arch *a = xcalloc(1, sizeof *a);
	a->C = C;
	a->q = crawl_ctx_tier_state(C, &crawl_tier_archive);
	a->it = it;
	it->tier_state = a;
	if (!it->url || !it->url[0]) {
		arch_finish(a, NULL, CRAWL_TIER_NONE);
		return;
	}
	add_form(a, xstrdup(it->url));
	char *id = msn_id(it->url);
	if (id) {
		const char *scheme = strncmp(it->url, "http://", 7) == 0 ? "http" : "https";
		add_form(a, xasprintf("%s://assets.msn.com/labs/mind/%s.html", scheme, id));
		free(id);
	}
	cdx_next(a, NULL);
}

static void *archive_open(crawl_ctx *C)
{
	(void)C;
	return xcalloc(1, sizeof(arch_queue));
}

static void archive_close(void *state)
{
	arch_queue *q = state;
	for (waiting *w = q->head, *nx; w; w = nx) {   /* none, once the run is done */
		nx = w->next;
		crawl_req_free(w->r);
		free(w);
	}
	free(q);
}

const crawl_tier crawl_tier_archive = { "archive", archive_open, archive_start, archive_close };
