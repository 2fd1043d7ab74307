/* crawl.c: the run (see crawl.h). Items not done stream from the database
 * (crawl-db.c) into a bounded window, twice the transfers at once; each
 * runs through the tiers until one finds an image, and its result waits in
 * a queue for the next batched commit. Everything happens on the thread
 * that calls crawl_step, but image validation (libvips decoding, hashing,
 * writing the raw file), which a few worker threads do; their results come
 * back to crawl_step. */
#include "config.h"
#include "crawl-ctx.h"
#include "crawl-image.h"
#include "vmind/lib/db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

const char *const crawl_image_tiers[4] = { "origin", "archive", "search", "placeholder" };

const crawl_opts *crawl_ctx_options(const crawl_ctx *C) { return &C->set.o; }
crawl_fetch *crawl_ctx_fetch(crawl_ctx *C) { return C->fetch; }

void *crawl_ctx_tier_state(const crawl_ctx *C, const crawl_tier *t)
{
	for (int k = 0; k < C->set.ntiers; k++)
		if (C->set.tiers[k] == t)
			return C->tier_state[k];
	return NULL;
}

void crawl_item_error(crawl_item *it, const char *cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(it->last_error, sizeof it->last_error, fmt, ap);
	va_end(ap);
	if (cls && cls[0])
		snprintf(it->error_class, sizeof it->error_class, "%s", cls);
}

uint64_t crawl_sha_key(const char *hex)
{
	uint64_t k = 0;
	for (int i = 0; i < 16 && hex[i]; i++) {
		int c = hex[i];
		k = k << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
	}
	return k ? k : 1;
}

void crawl_item_free(crawl_item *it)
{
	free(it->url);
	free(it->title);
	free(it->category);
	free(it->img.capture_timestamp);
	free(it->img.capture_url);
	free(it->img.image_capture_timestamp);
	free(it->img.search_query);
	free(it->img.matched_title);
	free(it->img.page_url);
	free(it->img.image_url);
	free(it->img.final_url);
	free(it->img.raw_path);
	free(it);
}

/* ---- image validation ---- */

/* One image to validate, and what came of it. */
struct crawl_vjob {
	crawl_item *it;
	crawl_req *r;
	const char *tier;
	char *page_url, *image_url;
	crawl_validate_fn done;
	int ok;
	char err[256];
	crawl_image_info info;
	char sha256[65];
	char *rel;               /* raw/<id>.<ext> when ok */
	crawl_vjob *next;
};

/* The work of a job, on any thread: probe, hash, refuse a rejected image,
 * write. */
static void vjob_run(crawl_ctx *C, crawl_vjob *j)
{
	const crawl_req *r = j->r;
	j->ok = 0;
	if (crawl_image_probe(r->body, r->len, C->set.o.min_size, &j->info, j->err, sizeof j->err) != 0)
		return;
	vm_sha256_hex(r->body, r->len, j->sha256);
	if (C->rejected.count && vm_u64set_has(&C->rejected, crawl_sha_key(j->sha256))) {
		snprintf(j->err, sizeof j->err, "image rejected by a curator (sha256 %.12s...)", j->sha256);
		return;
	}
	j->rel = xasprintf("raw/%s.%s", j->it->id, j->info.ext);
	char *path = xasprintf("%s/%s", C->set.o.out_dir, j->rel);
	if (vm_write_file_renamed(path, r->body, r->len) != 0)
		vm_die_errno("%s", path);   /* a full disk is not the item's fault */
	free(path);
	j->ok = 1;
}

/* A search result's image that another item already has is a stock photo
 * or a logo shared by many pages, not this cover: its file goes. */
static void refuse_used_image(crawl_ctx *C, crawl_vjob *j)
{
	char *path = xasprintf("%s/%s", C->set.o.out_dir, j->rel);
	if (unlink(path) != 0 && errno != ENOENT)
		vm_warn_errno("%s", path);
	free(path);
	j->ok = 0;
	snprintf(j->err, sizeof j->err, "image already chosen for another item (sha256 %.12s...)", j->sha256);
}

/* The validated image becomes the item's. */
static void take_image(crawl_ctx *C, crawl_vjob *j)
{
	crawl_item_image *im = &j->it->img;
	C->unsynced++;
	j->it->has_image = 1;
	im->tier = j->tier;
	im->page_url = j->page_url;
	j->page_url = NULL;
	im->image_url = j->image_url;
	j->image_url = NULL;
	im->final_url = xstrdup(j->r->url);
	im->http_status = j->r->status;
	im->mime = j->info.mime;
	im->bytes = j->r->len;
	memcpy(im->sha256, j->sha256, sizeof im->sha256);
	im->width = j->info.width;
	im->height = j->info.height;
	im->raw_path = j->rel;
	j->rel = NULL;
	im->fetched_at = vm_unix_now();
	im->similarity = im->runner_up = -1;
}

/* Back on the main thread: record the image and call the tier. */
static void vjob_finish(crawl_ctx *C, crawl_vjob *j)
{
	if (j->ok && strcmp(j->tier, "search") == 0 && vm_u64set_has(&C->used, crawl_sha_key(j->sha256)))
		refuse_used_image(C, j);
	if (j->ok)
		take_image(C, j);
	j->done(C, j->it, j->r, j->ok, j->err);
	free(j->page_url);
	free(j->image_url);
	free(j->rel);
	free(j);
}

static void *validator(void *arg)
{
	crawl_ctx *C = arg;
	pthread_mutex_lock(&C->vmu);
	for (;;) {
		while (!C->vq && !C->vstop)
			pthread_cond_wait(&C->vcond, &C->vmu);
		if (!C->vq)
			break;
		crawl_vjob *j = C->vq;
		C->vq = j->next;
		if (!C->vq)
			C->vq_tail = NULL;
		pthread_mutex_unlock(&C->vmu);
		vjob_run(C, j);
		pthread_mutex_lock(&C->vmu);
		j->next = C->vdone;
		C->vdone = j;
		pthread_mutex_unlock(&C->vmu);
		crawl_fetch_wakeup(C->fetch);
		pthread_mutex_lock(&C->vmu);
	}
	pthread_mutex_unlock(&C->vmu);
	return NULL;
}

void crawl_validate(crawl_ctx *C, crawl_item *it, crawl_req *r, const char *tier,
                    const char *page_url, const char *image_url, crawl_validate_fn done)
{
	crawl_vjob *j = xcalloc(1, sizeof *j);
	j->it = it;
	j->r = r;
	j->tier = tier;
	j->page_url = page_url ? xstrdup(page_url) : NULL;
	j->image_url = xstrdup(image_url);
	j->done = done;
	if (C->set.threads == 0) {
		vjob_run(C, j);
		vjob_finish(C, j);
		return;
	}
	C->validating++;
	pthread_mutex_lock(&C->vmu);
	if (C->vq_tail)
		C->vq_tail->next = j;
	else
		C->vq = j;
	C->vq_tail = j;
	pthread_cond_signal(&C->vcond);
	pthread_mutex_unlock(&C->vmu);
}

/* Finish the jobs the validators are done with (main thread). */
static void drain_validated(crawl_ctx *C)
{
	crawl_vjob *list, *rev = NULL;
	if (C->set.threads == 0)
		return;
	pthread_mutex_lock(&C->vmu);
	list = C->vdone;
	C->vdone = NULL;
	pthread_mutex_unlock(&C->vmu);
	while (list) {   /* oldest first */
		crawl_vjob *n = list->next;
		list->next = rev;
		rev = list;
		list = n;
	}
	while (rev) {
		crawl_vjob *n = rev->next;
		C->validating--;
		vjob_finish(C, rev);
		rev = n;
	}
}

static void start_validators(crawl_ctx *C)
{
	pthread_mutex_init(&C->vmu, NULL);
	pthread_cond_init(&C->vcond, NULL);
	for (int i = 0; i < C->set.threads; i++) {
		if (pthread_create(&C->threads[i], NULL, validator, C) != 0)
			vm_die("cannot start a validation thread");
		C->nvalidators++;
	}
}

static void stop_validators(crawl_ctx *C)
{
	if (!C->nvalidators)
		return;
	pthread_mutex_lock(&C->vmu);
	C->vstop = 1;
	pthread_cond_broadcast(&C->vcond);
	pthread_mutex_unlock(&C->vmu);
	for (int i = 0; i < C->nvalidators; i++)
		pthread_join(C->threads[i], NULL);
	C->nvalidators = 0;
}

/* ---- the placeholder ---- */

/* A white 224x224 JPEG, made once with libvips. */
static void make_placeholder(crawl_ctx *C)
{
	VipsImage *black = NULL, *white = NULL;
	if (vips_black(&black, 224, 224, "bands", 3, NULL) != 0 ||
	    vips_linear1(black, &white, 1.0, 255.0, "uchar", TRUE, NULL) != 0 ||
	    vips_jpegsave_buffer(white, &C->placeholder, &C->placeholder_len, "Q", 90, NULL) != 0)
		vm_die("cannot make the placeholder image: %s", vips_error_buffer());
	g_object_unref(black);
	g_object_unref(white);
}

/* An item left without an image gets the placeholder (main thread). */
static void give_placeholder(crawl_ctx *C, crawl_item *it)
{
	char *rel = xasprintf("raw/%s.jpg", it->id);
	char *path = xasprintf("%s/%s", C->set.o.out_dir, rel);
	if (vm_write_file_renamed(path, C->placeholder, C->placeholder_len) != 0)
		vm_die_errno("%s", path);
	free(path);
	C->unsynced++;
	it->has_image = 1;
	it->img.tier = "placeholder";
	it->img.mime = "image/jpeg";
	it->img.bytes = C->placeholder_len;
	vm_sha256_hex(C->placeholder, C->placeholder_len, it->img.sha256);
	it->img.width = it->img.height = 224;
	it->img.raw_path = rel;
	it->img.fetched_at = vm_unix_now();
	it->img.similarity = it->img.runner_up = -1;
}

/* ---- items through the tiers ---- */

/* Count a failed item under the class of the error that decided it. */
static void count_failure(crawl_stats *st, const crawl_item *it)
{
	const char *cls = it->error_class[0] ? it->error_class : "error";
	int k;
	st->failed++;
	for (k = 0; k < st->nfail_class && strcmp(st->fail_class[k].cls, cls) != 0; k++)
		;
	if (k == st->nfail_class && k < 32) {
		snprintf(st->fail_class[k].cls, sizeof st->fail_class[k].cls, "%s", cls);
		st->fail_class[k].n = 0;
		st->nfail_class++;
	}
	if (k < 32)
		st->fail_class[k].n++;
}

static void count_result(crawl_ctx *C, const crawl_item *it)
{
	C->st.worked++;
	if (it->has_image) {
		C->st.image++;
		if (strcmp(it->img.tier, "placeholder") != 0)
			vm_u64set_add(&C->used, crawl_sha_key(it->img.sha256));
		for (int k = 0; k < 4; k++)
			if (strcmp(it->img.tier, crawl_image_tiers[k]) == 0)
				C->st.by_tier[k]++;
	} else if (it->had_error)
		count_failure(&C->st, it);
	else
		C->st.no_image++;
}

/* A finished item waits for the next commit. */
static void queue_result(crawl_ctx *C, crawl_item *it)
{
	it->next = NULL;
	if (C->results_tail)
		C->results_tail->next = it;
	else
		C->results = it;
	C->results_tail = it;
	C->nresults++;
}

void crawl_tier_done(crawl_ctx *C, crawl_item *it, int result)
{
	if (result == CRAWL_TIER_ERROR)
		it->had_error = 1;
	if (result != CRAWL_TIER_FOUND && it->tier + 1 < C->set.ntiers) {
		it->tier++;
		C->set.tiers[it->tier]->start(C, it);
		return;
	}
	if (!it->has_image && !it->had_error && C->placeholder)
		give_placeholder(C, it);
	queue_result(C, it);
	C->inflight--;
	count_result(C, it);
}

/* Start more items from the database, up to the window. */
static void fill_window(crawl_ctx *C)
{
	if (C->exhausted || C->inflight >= C->window)
		return;
	crawl_item *list = crawl_db_next_items(C, C->window - C->inflight);
	/* started once the statement is reset: a tier may finish an item at once */
	for (crawl_item *it = list, *nx; it; it = nx) {
		nx = it->next;
		it->next = NULL;
		it->tier = 0;
		C->inflight++;
		C->set.tiers[0]->start(C, it);
	}
}

/* ---- the run ---- */

/* meta.crawl_out: the absolute path of --out, where image.raw_path is
 * relative to, for vmind-resize to find the raw files without --raw. */
static void record_out_dir(crawl_ctx *C)
{
	char *abs = realpath(C->set.o.out_dir, NULL);
	if (!abs)
		vm_die_errno("%s", C->set.o.out_dir);
	sqlite3_stmt *st = vm_db_prepare(C->db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('crawl_out', ?1)");
	vm_db_bind_text(st, 1, abs);
	vm_db_step_done(C->db, st);
	sqlite3_finalize(st);
	free(abs);
}

crawl_ctx *crawl_open(const crawl_settings *set)
{
	crawl_ctx *C = xcalloc(1, sizeof *C);
	char err[512];
	C->set = *set;
	vm_u64set_init(&C->rejected);
	vm_u64set_init(&C->used);
	if (set->placeholder)
		make_placeholder(C);
	char *rawdir = xasprintf("%s/raw", set->o.out_dir);
	if (vm_mkdir_p(rawdir) != 0)
		vm_die_errno("%s", rawdir);
	free(rawdir);
	C->out_fd = open(set->o.out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (C->out_fd < 0)
		vm_die_errno("%s", set->o.out_dir);
	C->db = vm_db_open(set->db_path, VM_DB_CREATE, err, sizeof err);
	if (!C->db)
		vm_die("%s", err);
	record_out_dir(C);
	return C;
}

void crawl_start(crawl_ctx *C)
{
	crawl_db_load_sets(C);
	for (int k = 0; k < C->set.ntiers; k++)
		if (C->set.tiers[k]->open)
			C->tier_state[k] = C->set.tiers[k]->open(C);
	crawl_db_clean_raw(C);
	C->set.fetch.on_request = crawl_db_on_request;
	C->set.fetch.on_robots = crawl_db_on_robots;
	C->set.fetch.arg = C;
	C->fetch = crawl_fetch_new(&C->set.fetch);
	if (!C->set.fetch.ignore_robots)
		crawl_db_load_robots(C);
	start_validators(C);
	C->window = (size_t)C->set.fetch.parallel * 2 + 16;
	crawl_db_prepare(C);
	C->last_commit = vm_now();
}

int crawl_step(crawl_ctx *C)
{
	fill_window(C);
	if (C->exhausted && C->inflight == 0 && crawl_fetch_busy(C->fetch) == 0 && C->validating == 0) {
		crawl_db_commit(C);
		stop_validators(C);
		return 0;
	}
	crawl_fetch_step(C->fetch, 100);
	drain_validated(C);
	if (C->nresults >= (size_t)C->set.batch || vm_now() - C->last_commit >= 1.0)
		crawl_db_commit(C);
	return 1;
}

void crawl_get_stats(const crawl_ctx *C, crawl_stats *st)
{
	*st = C->st;
	if (C->fetch)
		crawl_fetch_get_stats(C->fetch, &st->fetch);
}

void crawl_close(crawl_ctx *C)
{
	if (!C)
		return;
	stop_validators(C);
	for (int k = 0; k < C->set.ntiers; k++)
		if (C->set.tiers[k]->close && C->tier_state[k])
			C->set.tiers[k]->close(C->tier_state[k]);
	crawl_db_finalize(C);
	crawl_fetch_free(C->fetch);
	vm_db_close(C->db);
	free(C->reqs);
	free(C->robots);
	vm_u64set_free(&C->rejected);
	vm_u64set_free(&C->used);
	if (C->placeholder)
		g_free(C->placeholder);
	close(C->out_fd);
	free(C);
}
