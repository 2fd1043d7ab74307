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
	vm_cands cands;
	size_t next;          /* candidate being fetched */
	char *page_url;       /* final URL of the page */
	int had_error;
	vm_crawl *C;
} origin;

static void origin_finish(origin *o, vm_item *it, vm_req *r, int result)
{
	vm_crawl *C = o->C;
	vm_req_free(r);
	vm_cands_free(&o->cands);
	free(o->page_url);
	free(o);
	it->tier_state = NULL;
	vm_crawl_tier_done(C, it, result);
}

static void image_done(vm_req *r, void *arg);

static void try_candidate(origin *o, vm_item *it, vm_req *r)
{
	const vm_crawl_opts *opt = vm_crawl_options(o->C);
	if (o->next >= o->cands.n) {
		origin_finish(o, it, r, o->had_error ? VM_TIER_ERROR : VM_TIER_NONE);
		return;
	}
	vm_req_reset(r, o->cands.v[o->next].url, "image", opt->max_bytes);
	r->done = image_done;
	r->arg = it;
	vm_fetch_submit(vm_crawl_fetch(o->C), r);
}

static void validated(vm_crawl *C, vm_item *it, vm_req *r, int ok, const char *err)
{
	origin *o = it->tier_state;
	(void)C;
	if (ok) {
		origin_finish(o, it, r, VM_TIER_FOUND);
		return;
	}
	vm_item_error(it, NULL, "image %s: %s", o->cands.v[o->next].url, err);
	o->next++;
	try_candidate(o, it, r);
}

static void image_done(vm_req *r, void *arg)
{
	vm_item *it = arg;
	origin *o = it->tier_state;
	const char *url = o->cands.v[o->next].url;
	switch (r->result) {
	case VM_FETCH_OK:
		vm_crawl_validate(o->C, it, r, "origin", o->page_url, url, validated);
		return;
	case VM_FETCH_HTTP:
	case VM_FETCH_TOO_BIG:
		vm_item_error(it, NULL, "image %s: %s", url, r->error);
		break;
	default:   /* network errors, 5xx, private address, robots.txt */
		vm_item_error(it, r->error_class, "image %s: %s", url, r->error);
		o->had_error = 1;
		break;
	}
	o->next++;
	try_candidate(o, it, r);
}

static void page_done(vm_req *r, void *arg)
{
	vm_item *it = arg;
	origin *o = it->tier_state;
	switch (r->result) {
	case VM_FETCH_OK:
		break;
	case VM_FETCH_HTTP:
		vm_item_error(it, "http", "page: %s", r->error);
		origin_finish(o, it, r, r->status == 408 ? VM_TIER_ERROR : VM_TIER_NONE);
		return;
	default:
		vm_item_error(it, r->error_class, "page: %s", r->error);
		origin_finish(o, it, r, VM_TIER_ERROR);
		return;
	}
	o->page_url = xstrdup(r->url);
	if (vm_extract_covers(r->body, r->len, r->url, &o->cands) == 0) {
		vm_item_error(it, NULL, "page: no cover candidate");
		origin_finish(o, it, r, VM_TIER_NONE);
		return;
	}
	o->next = 0;
	try_candidate(o, it, r);
}

static void origin_start(vm_crawl *C, vm_item *it)
{
	const vm_crawl_opts *opt = vm_crawl_options(C);
	origin *o = xcalloc(1, sizeof *o);
	o->C = C;
	it->tier_state = o;
	if (!it->url || !it->url[0]) {
		vm_item_error(it, NULL, "no URL");
		origin_finish(o, it, NULL, VM_TIER_NONE);
		return;
	}
	vm_req *r = vm_req_new(it->url, it->num, "origin", "page", opt->max_page_bytes, page_done, it);
	r->keep_partial = 1;   /* a page over the cap is read up to the cap */
	vm_fetch_submit(vm_crawl_fetch(C), r);
}

const vm_tier vm_tier_origin = { "origin", origin_start };
