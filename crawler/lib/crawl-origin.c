/* crawl-origin.c: the origin tier. Fetch the article page at the item's URL
 * (redirects followed, final URL kept), extract the cover candidates
 * (extract.h) and fetch them in order until one validates as an image. A
 * page that answers 4xx, or has no candidate that validates, is a definite
 * "nothing here"; network errors, 5xx and refusals left after the retries
 * make the tier report an error, so the item can be worked again later. */
#include "config.h"
#include "crawl.h"
#include "extract.h"
#include "vmind/lib/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct origin {
	crawl_cands cands;
	size_t next;          /* candidate being fetched */
	char *page_url;       /* final URL of the page */
	int had_error;
	crawl_ctx *C;
} origin;

static void origin_finish(origin *o, crawl_item *it, crawl_req *r, int result)
{
	crawl_ctx *C = o->C;
	crawl_req_free(r);
	crawl_cands_free(&o->cands);
	free(o->page_url);
	free(o);
	it->tier_state = NULL;
	crawl_tier_done(C, it, result);
}

static void image_done(crawl_req *r, void *arg);

static void try_candidate(origin *o, crawl_item *it, crawl_req *r)
{
	const crawl_opts *opt = crawl_ctx_options(o->C);
	if (o->next >= o->cands.n) {
		origin_finish(o, it, r, o->had_error ? CRAWL_TIER_ERROR : CRAWL_TIER_NONE);
		return;
	}
	crawl_req_reset(r, o->cands.v[o->next].url, "image", opt->max_bytes);
	r->done = image_done;
	r->arg = it;
	crawl_fetch_submit(crawl_ctx_fetch(o->C), r);
}

static void validated(crawl_ctx *C, crawl_item *it, crawl_req *r, int ok, const char *err)
{
	origin *o = it->tier_state;
	(void)C;
	if (ok) {
		origin_finish(o, it, r, CRAWL_TIER_FOUND);
		return;
	}
	crawl_item_error(it, NULL, "image %s: %s", o->cands.v[o->next].url, err);
	o->next++;
	try_candidate(o, it, r);
}

static void image_done(crawl_req *r, void *arg)
{
	crawl_item *it = arg;
	origin *o = it->tier_state;
	const char *url = o->cands.v[o->next].url;
	switch (r->result) {
	case CRAWL_FETCH_OK:
		crawl_validate(o->C, it, r, "origin", o->page_url, url, validated);
		return;
	case CRAWL_FETCH_HTTP:
	case CRAWL_FETCH_TOO_BIG:
		crawl_item_error(it, NULL, "image %s: %s", url, r->error);
		break;
	default:   /* network errors, 5xx, private address, robots.txt */
		crawl_item_error(it, r->error_class, "image %s: %s", url, r->error);
		o->had_error = 1;
		break;
	}
	o->next++;
	try_candidate(o, it, r);
}

static void page_done(crawl_req *r, void *arg)
{
	crawl_item *it = arg;
	origin *o = it->tier_state;
	switch (r->result) {
	case CRAWL_FETCH_OK:
		break;
	case CRAWL_FETCH_HTTP:
		crawl_item_error(it, "http", "page: %s", r->error);
		origin_finish(o, it, r, r->status == 408 ? CRAWL_TIER_ERROR : CRAWL_TIER_NONE);
		return;
	default:
		crawl_item_error(it, r->error_class, "page: %s", r->error);
		origin_finish(o, it, r, CRAWL_TIER_ERROR);
		return;
	}
	o->page_url = xstrdup(r->url);
	if (crawl_extract_covers(r->body, r->len, r->url, &o->cands) == 0) {
		crawl_item_error(it, NULL, "page: no cover candidate");
		origin_finish(o, it, r, CRAWL_TIER_NONE);
		return;
	}
	o->next = 0;
	try_candidate(o, it, r);
}

static void origin_start(crawl_ctx *C, crawl_item *it)
{
	const crawl_opts *opt = crawl_ctx_options(C);
	origin *o = xcalloc(1, sizeof *o);
	o->C = C;
	it->tier_state = o;
	if (!it->url || !it->url[0]) {
		crawl_item_error(it, NULL, "no URL");
		origin_finish(o, it, NULL, CRAWL_TIER_NONE);
		return;
	}
	crawl_req *r = crawl_req_new(it->url, it->num, "origin", "page", opt->max_page_bytes, page_done, it);
	r->keep_partial = 1;   /* a page over the cap is read up to the cap */
	crawl_fetch_submit(crawl_ctx_fetch(C), r);
}

const crawl_tier crawl_tier_origin = { "origin", NULL, origin_start, NULL };
