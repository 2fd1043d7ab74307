/* crawl-search.c: the search tier (its headline similarity is in
 * crawl-similarity.c). For an item still without a cover, the normalised headline (with
 * --search-hint category, followed by the category) is sent to each --search
 * backend in turn: a searx/SearXNG JSON API, Google's Custom Search JSON API
 * (image search) or Brave's image search API. Each result's title is
 * normalised and compared with the headline (crawl_title_similarity). The best result is accepted only when it reaches
 * --min-similarity, the best result with a different normalised title does
 * not, and it stands --min-margin above that one; the accepted results (the best title's
 * results, in the backend's order) are tried until an image validates:
 * first the result's image URL (searx img_src, Google link, Brave
 * properties.url), then the covers extracted from the result's page (searx
 * json_engine results have no image). An image URL met on more than 3
 * result pages is a stock photo or logo and is not taken. Search API requests do not ask for
 * robots.txt (they are not crawling); the pages and images they lead to do. */
#include "config.h"
#include "crawl.h"
#include "extract.h"
#include "vmind/lib/util.h"

#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

/* ---- the tier ---- */

typedef struct result {
	char *page, *title, *img, *norm;
	int rank;               /* 1-based, in the backend's order */
	double sim;
} result;

/* What the tier keeps for a run. */
typedef struct search_run {
	/* image URLs shared by many pages (stock photos, logos): on how many
	 * distinct result pages each image URL was met so far (a pair key
	 * counts a page once) */
	vm_u64count seen;
	crawl_corpus *corpus;   /* the document frequencies of the news titles */
} search_run;

typedef struct srch {
	crawl_ctx *C;
	search_run *run;
	crawl_item *it;
	int backend;
	char *query;
	result *v;
	int n;
	int *acc;               /* accepted results, indices into v */
	int nacc, a;
	double runner;
	crawl_cands cands;
	size_t cand;            /* (size_t)-1: the result's own image */
	int page_asked;         /* the current result's page was fetched */
	int had_error;
} srch;

static void clear_results(srch *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->v[i].page);
		free(s->v[i].title);
		free(s->v[i].img);
		free(s->v[i].norm);
	}
	free(s->v);
	free(s->acc);
	s->v = NULL;
	s->acc = NULL;
	s->n = s->nacc = s->a = 0;
	crawl_cands_free(&s->cands);
	memset(&s->cands, 0, sizeof s->cands);
}

static void search_finish(srch *s, crawl_req *r, int outcome)
{
	crawl_ctx *C = s->C;
	crawl_item *it = s->it;
	crawl_req_free(r);
	clear_results(s);
	free(s->query);
	free(s);
	it->tier_state = NULL;
	crawl_tier_done(C, it, outcome);
}

static void backend_next(srch *s, crawl_req *r);
static void result_next(srch *s, crawl_req *r);

/* An image URL met on more than SHARED_PAGES result pages is not taken. */
#define SHARED_PAGES 3

/* The key of an image URL, or of an (image URL, page) pair. */
static uint64_t url_key(const char *url, const char *page)
{
	uint64_t k = vm_fnv1a64_more(CRAWL_FNV_SEED, url, strlen(url));
	if (page)
		k = vm_fnv1a64_more(k ^ 0x9e3779b97f4a7c15ULL, page, strlen(page));
	return k ? k : 1;
}

static int shared_image(const srch *s, const char *url)
{
	return vm_u64count_get(&s->run->seen, url_key(url, NULL)) > SHARED_PAGES;
}

/* Count the (image URL, page) pairs of a result set not met before. */
static void note_images(srch *s)
{
	for (int i = 0; i < s->n; i++) {
		const result *x = &s->v[i];
		if (!x->img || !x->page)
			continue;
		uint32_t *pair = vm_u64count_at(&s->run->seen, url_key(x->img, x->page));
		if (*pair == 0) {
			*pair = 1;
			(*vm_u64count_at(&s->run->seen, url_key(x->img, NULL)))++;
		}
	}
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static void add_result(srch *s, const char *page, const char *title, const char *img)
{
	if (!title || (!page && !img))
		return;
	s->v = xrealloc(s->v, (size_t)(s->n + 1) * sizeof *s->v);
	result *x = &s->v[s->n];
	x->page = page ? xstrdup(page) : NULL;
	x->title = xstrdup(title);
	x->img = img ? xstrdup(img) : NULL;
	x->norm = crawl_title_normalise(title);
	x->rank = s->n + 1;
	x->sim = 0;
	s->n++;
}

/* Parse a backend's answer into s->v; -1 when it is not its JSON. */
static int parse_results(srch *s, const char *kind, const char *body, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(body, len), *x;
	int rc = 0;
	if (!j || !cJSON_IsObject(j)) {
		rc = -1;
		goto out;
	}
	if (strcmp(kind, "searx") == 0) {
		cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
		if (!cJSON_IsArray(res)) {
			rc = -1;
			goto out;
		}
		cJSON_ArrayForEach(x, res)
			add_result(s, jstr(x, "url"), jstr(x, "title"), jstr(x, "img_src"));
	} else if (strcmp(kind, "google-cse") == 0) {
		cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items");   /* absent: no result */
		if (items && !cJSON_IsArray(items)) {
			rc = -1;
			goto out;
		}
		cJSON_ArrayForEach(x, items) {
			cJSON *im = cJSON_GetObjectItemCaseSensitive(x, "image");
			add_result(s, im ? jstr(im, "contextLink") : NULL, jstr(x, "title"), jstr(x, "link"));
		}
	} else {   /* brave */
		cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
		if (!cJSON_IsArray(res)) {
			rc = -1;
			goto out;
		}
		cJSON_ArrayForEach(x, res) {
			cJSON *pr = cJSON_GetObjectItemCaseSensitive(x, "properties");
			const char *img = pr ? jstr(pr, "url") : NULL;
			if (!img) {
				cJSON *th = cJSON_GetObjectItemCaseSensitive(x, "thumbnail");
				img = th ? jstr(th, "src") : NULL;
			}
			add_result(s, jstr(x, "url"), jstr(x, "title"), img);
		}
	}
out:
	cJSON_Delete(j);
	return rc;
}

/* Score the results and choose the accepted ones. */
static void rank_results(srch *s, const char *headline)
{
	const crawl_opts *o = crawl_ctx_options(s->C);
	char **ctx = xcalloc((size_t)s->n + 1, sizeof *ctx);
	int best = -1;
	for (int i = 0; i < s->n; i++)
		ctx[i] = s->v[i].norm;
	for (int i = 0; i < s->n; i++) {
		s->v[i].sim = crawl_title_similarity(s->run->corpus, headline, s->v[i].norm, ctx, (size_t)s->n);
		if (best < 0 || s->v[i].sim > s->v[best].sim)
			best = i;
	}
	free(ctx);
	s->runner = -1;
	s->acc = xcalloc((size_t)s->n + 1, sizeof *s->acc);
	s->nacc = 0;
	if (best < 0)
		return;
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i].norm, s->v[best].norm) != 0 && s->v[i].sim > s->runner)
			s->runner = s->v[i].sim;
	/* FABLE's rule: the best passes and the runner-up does not; and the
	 * best stands min_margin above it */
	if (s->v[best].sim < o->min_similarity || s->runner >= o->min_similarity ||
	    s->v[best].sim - (s->runner < 0 ? 0 : s->runner) < o->min_margin)
		return;
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i].norm, s->v[best].norm) == 0)
			s->acc[s->nacc++] = i;
}

static void api_done(crawl_req *r, void *arg)
{
	crawl_item *it = arg;
	srch *s = it->tier_state;
	const struct crawl_search_backend *b = &crawl_ctx_options(s->C)->search[s->backend];
	if (r->result != CRAWL_FETCH_OK) {
		if (r->result == CRAWL_FETCH_HTTP)
			crawl_item_error(it, NULL, "search %s: %s", b->kind, r->error);
		else {
			crawl_item_error(it, r->error_class, "search %s: %s", b->kind, r->error);
			s->had_error = 1;
		}
		s->backend++;
		backend_next(s, r);
		return;
	}
	if (parse_results(s, b->kind, r->body, r->len) != 0) {
		crawl_item_error(it, "search", "search %s: not a %s JSON answer", b->kind, b->kind);
		s->had_error = 1;
		clear_results(s);
		s->backend++;
		backend_next(s, r);
		return;
	}
	char *headline = crawl_title_normalise(it->title);
	note_images(s);
	rank_results(s, headline);
	free(headline);
	if (s->nacc == 0) {
		crawl_item_error(it, NULL, "search %s: no result similar enough (%d results)", b->kind, s->n);
		clear_results(s);
		s->backend++;
		backend_next(s, r);
		return;
	}
	s->a = 0;
	s->cand = (size_t)-1;   /* the result's own image first */
	s->page_asked = 0;
	result_next(s, r);
}

static void backend_next(srch *s, crawl_req *r)
{
	const crawl_opts *o = crawl_ctx_options(s->C);
	if (s->backend >= o->nsearch) {
		search_finish(s, r, s->had_error ? CRAWL_TIER_ERROR : CRAWL_TIER_NONE);
		return;
	}
	const struct crawl_search_backend *b = &o->search[s->backend];
	char *q = crawl_url_encode(s->query, 1), *url, *hdr = NULL;
	if (strcmp(b->kind, "searx") == 0) {
		size_t n = strlen(b->url);
		if (strchr(b->url, '?'))
			url = xasprintf("%s&q=%s&format=json", b->url, q);
		else if (n >= 7 && strcmp(b->url + n - 7, "/search") == 0)
			url = xasprintf("%s?q=%s&format=json", b->url, q);
		else
			url = xasprintf("%s%ssearch?q=%s&format=json", b->url, n && b->url[n - 1] == '/' ? "" : "/", q);
	} else if (strcmp(b->kind, "google-cse") == 0) {
		char *k = crawl_url_encode(b->key, 1), *cx = crawl_url_encode(b->cx, 1);
		url = xasprintf("%s%skey=%s&cx=%s&q=%s&searchType=image&num=10", b->url,
		                strchr(b->url, '?') ? "&" : "?", k, cx, q);
		free(k);
		free(cx);
	} else {
		url = xasprintf("%s%sq=%s&count=20", b->url, strchr(b->url, '?') ? "&" : "?", q);
		hdr = xasprintf("X-Subscription-Token: %s", b->key);
	}
	free(q);
	if (r)
		crawl_req_reset(r, url, "search", 4 << 20);
	else
		r = crawl_req_new(url, s->it->num, "search", "search", 4 << 20, NULL, NULL);
	r->done = api_done;
	r->arg = s->it;
	crawl_req_set_api(r, hdr);
	free(hdr);
	free(url);
	crawl_fetch_submit(crawl_ctx_fetch(s->C), r);
}

static void img_done(crawl_req *r, void *arg);
static void page_done(crawl_req *r, void *arg);

static void validated(crawl_ctx *C, crawl_item *it, crawl_req *r, int ok, const char *err)
{
	srch *s = it->tier_state;
	const result *x = &s->v[s->acc[s->a]];
	(void)C;
	if (ok) {
		it->img.search_backend = crawl_ctx_options(s->C)->search[s->backend].kind;
		it->img.search_query = xstrdup(s->query);
		it->img.search_rank = x->rank;
		it->img.matched_title = xstrdup(x->title);
		it->img.similarity = x->sim;
		it->img.runner_up = s->runner;
		search_finish(s, r, CRAWL_TIER_FOUND);
		return;
	}
	crawl_item_error(it, NULL, "search image %s: %s", r->first_url, err);
	s->cand++;
	result_next(s, r);
}

static void fetch_image(srch *s, crawl_req *r, const char *url)
{
	crawl_req_reset(r, url, "image", crawl_ctx_options(s->C)->max_bytes);
	r->done = img_done;
	r->arg = s->it;
	crawl_fetch_submit(crawl_ctx_fetch(s->C), r);
}

/* The result's page, for the covers it names. */
static void fetch_result_page(srch *s, crawl_req *r, const char *page)
{
	s->page_asked = 1;
	crawl_req_reset(r, page, "page", crawl_ctx_options(s->C)->max_page_bytes);
	r->keep_partial = 1;
	r->done = page_done;
	r->arg = s->it;
	crawl_fetch_submit(crawl_ctx_fetch(s->C), r);
}

/* The current result is used up: on to the next, its own image first. */
static void next_result(srch *s)
{
	crawl_cands_free(&s->cands);
	memset(&s->cands, 0, sizeof s->cands);
	s->a++;
	s->cand = (size_t)-1;
	s->page_asked = 0;
}

/* Try the next image of the current accepted result, or the next result. */
static void result_next(srch *s, crawl_req *r)
{
	for (;;) {
		if (s->a >= s->nacc) {
			clear_results(s);
			s->backend++;
			backend_next(s, r);
			return;
		}
		const result *x = &s->v[s->acc[s->a]];
		if (s->cand == (size_t)-1) {
			if (x->img && !shared_image(s, x->img)) {
				fetch_image(s, r, x->img);
				return;
			}
			s->cand = 0;
		}
		if (!s->page_asked && x->page) {
			fetch_result_page(s, r, x->page);
			return;
		}
		while (s->cand < s->cands.n && ((x->img && strcmp(s->cands.v[s->cand].url, x->img) == 0) ||
		                                shared_image(s, s->cands.v[s->cand].url)))
			s->cand++;   /* tried already, or shared by many pages */
		if (s->cand < s->cands.n) {
			fetch_image(s, r, s->cands.v[s->cand].url);
			return;
		}
		next_result(s);
	}
}

static void img_done(crawl_req *r, void *arg)
{
	crawl_item *it = arg;
	srch *s = it->tier_state;
	const result *x = &s->v[s->acc[s->a]];
	if (r->result == CRAWL_FETCH_OK) {
		crawl_validate(s->C, it, r, "search", x->page, r->first_url, validated);
		return;
	}
	crawl_item_error(it, NULL, "search image %s: %s", r->first_url, r->error);
	s->cand++;
	result_next(s, r);
}

static void page_done(crawl_req *r, void *arg)
{
	crawl_item *it = arg;
	srch *s = it->tier_state;
	if (r->result != CRAWL_FETCH_OK)
		crawl_item_error(it, NULL, "search page %s: %s", r->first_url, r->error);
	else
		crawl_extract_covers(r->body, r->len, r->url, &s->cands);
	s->cand = 0;
	result_next(s, r);
}

static void search_start(crawl_ctx *C, crawl_item *it)
{
	const crawl_opts *o = crawl_ctx_options(C);
	srch *s = xcalloc(1, sizeof *s);
	s->C = C;
	s->run = crawl_ctx_tier_state(C, &crawl_tier_search);
	s->it = it;
	it->tier_state = s;
	char *q = crawl_title_normalise(it->title);
	if (!q[0]) {
		free(q);
		crawl_item_error(it, NULL, "search: empty headline");
		search_finish(s, NULL, CRAWL_TIER_NONE);
		return;
	}
	if (o->search_hint_category && it->category && it->category[0]) {
		s->query = xasprintf("%s %s", q, it->category);
		free(q);
	} else
		s->query = q;
	backend_next(s, NULL);
}

static void add_title(const char *title, void *arg)
{
	char *t = crawl_title_normalise(title);
	crawl_corpus_add(arg, t);
	free(t);
}

static void *search_open(crawl_ctx *C)
{
	search_run *run = xcalloc(1, sizeof *run);
	run->corpus = crawl_corpus_new();
	crawl_ctx_titles(C, add_title, run->corpus);
	return run;
}

static void search_close(void *state)
{
	search_run *run = state;
	vm_u64count_free(&run->seen);
	crawl_corpus_free(run->corpus);
	free(run);
}

const crawl_tier crawl_tier_search = { "search", search_open, search_start, search_close };
