/* vmind-crawl.c: vmind-crawl's main program and core. It registers the news items
 * of the given news.tsv files in the database, then streams the items that
 * are not done from the database in keyset-paged batches into a bounded
 * window, runs each through the tiers (crawl.h), and commits the results in
 * batched transactions from this single thread, the only database writer.
 * Only image validation (libvips decoding, hashing, writing the raw file)
 * runs on a few worker threads; their results come back to this thread.
 * Crash safety: an item's raw file is renamed into place (and, once per
 * batch, synced to disk) before its row says done, and at start-up the
 * temporary files and the raw files without an image row are removed, so a
 * crawl killed at any instant resumes cleanly. */
#include "config.h"
#include "crawler/lib/crawl.h"
#include "crawler/lib/crawl-image.h"
#include "crawler/lib/extract.h"
#include "crawler/lib/net.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/db.h"
#include "vmind/lib/json.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/shard.h"
#include "vmind/lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <vips/vips.h>

#define DEFAULT_UA "vmind-crawl/" PACKAGE_VERSION " (+https://github.com/vmind/vmind; research crawler)"

enum {
	OPT_PER_HOST = 256, OPT_RETRIES, OPT_TIMEOUT, OPT_CONNECT_TIMEOUT, OPT_MAX_BYTES,
	OPT_MIN_SIZE, OPT_UA, OPT_IGNORE_ROBOTS, OPT_ALLOW_PRIVATE, OPT_CONNECT_TO,
	OPT_RETRY_FAILED, OPT_STATS_JSON, OPT_BATCH, OPT_MAX_PAGE_BYTES, OPT_THREADS,
	OPT_TIERS, OPT_ARCHIVE, OPT_ARCHIVE_PARALLEL, OPT_SEARCH, OPT_SEARCH_HINT, OPT_MIN_SIM, OPT_MIN_MARGIN,
	OPT_URL_GOOGLE, OPT_URL_BRAVE, OPT_PLACEHOLDER, OPT_REJECT, OPT_SHARD, OPT_SHARDS
};

static const vm_option options[] = {
	{ "db", 'd', required_argument, "FILE", "provenance database (created when missing)" },
	{ "out", 'o', required_argument, "DIR", "output directory; raw images go to DIR/raw/" },
	{ "parallel", 'j', required_argument, "N", "transfers at once (default 64)" },
	{ "per-host", OPT_PER_HOST, required_argument, "N", "connections per host (default 8)" },
	{ "retries", OPT_RETRIES, required_argument, "N", "retries of a failed request (default 3)" },
	{ "timeout", OPT_TIMEOUT, required_argument, "SECONDS", "time limit of one transfer (default 30)" },
	{ "connect-timeout", OPT_CONNECT_TIMEOUT, required_argument, "SECONDS", "time limit of a connection (default 10)" },
	{ "max-bytes", OPT_MAX_BYTES, required_argument, "N", "largest image accepted, in bytes (default 16777216)" },
	{ "max-page-bytes", OPT_MAX_PAGE_BYTES, required_argument, "N", "pages are read up to N bytes (default 2097152)" },
	{ "min-size", OPT_MIN_SIZE, required_argument, "PIXELS", "smallest width and height of a cover (default 64)" },
	{ "user-agent", OPT_UA, required_argument, "STRING", "User-Agent header (default vmind-crawl/VERSION ...)" },
	{ "ignore-robots", OPT_IGNORE_ROBOTS, no_argument, NULL, "do not fetch nor honour robots.txt" },
	{ "allow-private", OPT_ALLOW_PRIVATE, no_argument, NULL, "allow connections to private and loopback addresses" },
	{ "connect-to", OPT_CONNECT_TO, required_argument, "H:P:H2:P2", "connect to H2:P2 for H:P, as curl (repeatable)" },
	{ "tiers", OPT_TIERS, required_argument, "LIST", "tiers to run, in order (default: origin, then archive with --archive, search with --search)" },
	{ "archive", OPT_ARCHIVE, required_argument, "URL", "Wayback-style archive server (default https://web.archive.org)" },
	{ "archive-parallel", OPT_ARCHIVE_PARALLEL, required_argument, "N", "requests to the archive at once (default 4)" },
	{ "search", OPT_SEARCH, required_argument, "BACKEND", "searx:URL, google-cse or brave (repeatable, in priority order)" },
	{ "search-hint", OPT_SEARCH_HINT, required_argument, "WHAT", "add to the query: category" },
	{ "min-similarity", OPT_MIN_SIM, required_argument, "F", "accept a search result from this headline similarity (default 0.7)" },
	{ "min-margin", OPT_MIN_MARGIN, required_argument, "F", "by at least this much above the runner-up (default 0.1)" },
	{ "search-url-google", OPT_URL_GOOGLE, required_argument, "URL", "Google CSE endpoint (for tests)" },
	{ "search-url-brave", OPT_URL_BRAVE, required_argument, "URL", "Brave image search endpoint (for tests)" },
	{ "placeholder", OPT_PLACEHOLDER, required_argument, "white", "items left without an image get a 224x224 white JPEG" },
	{ "reject", OPT_REJECT, required_argument, "FILE", "discard the picks listed in FILE (N12345 or sha256:HEX lines)" },
	{ "shard", OPT_SHARD, required_argument, "I/N", "work only shard I of N (items by a hash of the id)" },
	{ "shards", OPT_SHARDS, required_argument, "N", "number of shards when the index comes from the environment" },
	{ "retry-failed", OPT_RETRY_FAILED, no_argument, NULL, "work the failed items again too" },
	{ "stats-json", OPT_STATS_JSON, required_argument, "FILE", "write the run's counters as JSON" },
	{ "threads", OPT_THREADS, required_argument, "N", "image validation threads (default 2; 0: in the main loop)" },
	{ "batch", OPT_BATCH, required_argument, "N", "items per database transaction (default 200)" },
	{ "quiet", 'q', no_argument, NULL, "no progress line and no summary" },
	{ NULL, 0, 0, NULL, NULL }
};

/* one buffered row of the request table */
typedef struct reqrow {
	uint32_t news_num;
	double time, ms;
	const char *tier, *purpose;
	char *url, *error;
	long status;
	size_t bytes;
} reqrow;

typedef struct vjob vjob;

typedef struct robotsrow {
	char *host, *body;
	long status;
	double at;
} robotsrow;

struct crawl_ctx {
	crawl_opts o;
	sqlite3 *db;
	crawl_fetch *fetch;
	const crawl_tier *tiers[4];
	int ntiers;
	int retry_failed, quiet, batch;
	/* the window */
	size_t inflight, window;
	uint32_t cursor;
	int exhausted;
	/* results waiting for the next commit */
	crawl_item *results, *results_tail;
	size_t nresults;
	reqrow *reqs;
	size_t nreqs, capreqs;
	robotsrow *robots;
	size_t nrobots, caprobots;
	double last_commit;
	/* statements */
	sqlite3_stmt *st_select, *st_news, *st_image, *st_req, *st_robots;
	/* counters */
	uint64_t total, worked, n_image, n_noimage, n_failed;
	struct { char cls[24]; uint64_t n; } fail_class[32];   /* failures by outcome */
	int nfail_class;
	double t0, last_progress;
	int progress_drawn;
	/* image validation threads */
	int nthreads;
	pthread_t threads[64];
	pthread_mutex_t vmu;
	pthread_cond_t vcond;
	vjob *vq, *vq_tail, *vdone;
	int vstop;
	size_t validating;       /* jobs handed out, not finished */
	int out_fd;              /* the --out directory, for syncfs */
	vm_u64set rejected;      /* first 64 bits of rejected images' sha256 */
	vm_u64set used;          /* ... of the images chosen for some item */
	void *placeholder;       /* the placeholder JPEG, when --placeholder */
	size_t placeholder_len;
	vm_shard shard;
	uint64_t n_tier[4];      /* images by tier: origin archive search placeholder */
	size_t unsynced;         /* files written since the last syncfs */
};

const crawl_opts *crawl_ctx_options(const crawl_ctx *C) { return &C->o; }
crawl_fetch *crawl_ctx_fetch(crawl_ctx *C) { return C->fetch; }

void crawl_item_error(crawl_item *it, const char *cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(it->last_error, sizeof it->last_error, fmt, ap);
	va_end(ap);
	if (cls && cls[0])
		snprintf(it->error_class, sizeof it->error_class, "%s", cls);
}

/* One image to validate, and what came of it. */
struct vjob {
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
	struct vjob *next;
};

/* The key of a sha256 (hex) in the rejected set: its first 64 bits. */
static uint64_t sha_key(const char *hex)
{
	uint64_t k = 0;
	for (int i = 0; i < 16 && hex[i]; i++) {
		int c = hex[i];
		k = k << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
	}
	return k ? k : 1;
}

/* The work of a job, on any thread: probe, hash, refuse a rejected image,
 * write. */
static void vjob_run(crawl_ctx *C, vjob *j)
{
	const crawl_req *r = j->r;
	j->ok = 0;
	if (crawl_image_probe(r->body, r->len, C->o.min_size, &j->info, j->err, sizeof j->err) != 0)
		return;
	vm_sha256_hex(r->body, r->len, j->sha256);
	if (C->rejected.count && vm_u64set_has(&C->rejected, sha_key(j->sha256))) {
		snprintf(j->err, sizeof j->err, "image rejected by a curator (sha256 %.12s...)", j->sha256);
		return;
	}
	j->rel = xasprintf("raw/%s.%s", j->it->id, j->info.ext);
	char *path = xasprintf("%s/%s", C->o.out_dir, j->rel);
	if (vm_write_file_renamed(path, r->body, r->len) != 0)
		vm_die_errno("%s", path);   /* a full disk is not the item's fault */
	free(path);
	j->ok = 1;
}

/* Back on the main thread: record the image and call the tier. */
static void vjob_finish(crawl_ctx *C, vjob *j)
{
	crawl_item *it = j->it;
	if (j->ok && strcmp(j->tier, "search") == 0 && vm_u64set_has(&C->used, sha_key(j->sha256))) {
		/* a search result's image that another item already has is a
		 * stock photo or a logo shared by many pages, not this cover */
		char *path = xasprintf("%s/%s", C->o.out_dir, j->rel);
		if (unlink(path) != 0 && errno != ENOENT)
			vm_warn_errno("%s", path);
		free(path);
		j->ok = 0;
		snprintf(j->err, sizeof j->err, "image already chosen for another item (sha256 %.12s...)", j->sha256);
	}
	if (j->ok) {
		C->unsynced++;
		it->has_image = 1;
		it->img.tier = j->tier;
		it->img.page_url = j->page_url;
		j->page_url = NULL;
		it->img.image_url = j->image_url;
		j->image_url = NULL;
		it->img.final_url = xstrdup(j->r->url);
		it->img.http_status = j->r->status;
		it->img.mime = j->info.mime;
		it->img.bytes = j->r->len;
		memcpy(it->img.sha256, j->sha256, sizeof it->img.sha256);
		it->img.width = j->info.width;
		it->img.height = j->info.height;
		it->img.raw_path = j->rel;
		j->rel = NULL;
		it->img.fetched_at = vm_unix_now();
		it->img.similarity = it->img.runner_up = -1;
	}
	j->done(C, it, j->r, j->ok, j->err);
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
		vjob *j = C->vq;
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
	vjob *j = xcalloc(1, sizeof *j);
	j->it = it;
	j->r = r;
	j->tier = tier;
	j->page_url = page_url ? xstrdup(page_url) : NULL;
	j->image_url = xstrdup(image_url);
	j->done = done;
	if (C->nthreads == 0) {
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
	vjob *list, *rev = NULL;
	if (C->nthreads == 0)
		return;
	pthread_mutex_lock(&C->vmu);
	list = C->vdone;
	C->vdone = NULL;
	pthread_mutex_unlock(&C->vmu);
	while (list) {   /* oldest first */
		vjob *n = list->next;
		list->next = rev;
		rev = list;
		list = n;
	}
	while (rev) {
		vjob *n = rev->next;
		C->validating--;
		vjob_finish(C, rev);
		rev = n;
	}
}

static void item_free(crawl_item *it)
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

static const char *const tier_names[4] = { "origin", "archive", "search", "placeholder" };

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
	char *path = xasprintf("%s/%s", C->o.out_dir, rel);
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

void crawl_tier_done(crawl_ctx *C, crawl_item *it, int result)
{
	if (result == CRAWL_TIER_ERROR)
		it->had_error = 1;
	if (result != CRAWL_TIER_FOUND && it->tier + 1 < C->ntiers) {
		it->tier++;
		C->tiers[it->tier]->start(C, it);
		return;
	}
	if (!it->has_image && !it->had_error && C->placeholder)
		give_placeholder(C, it);
	/* finished: queue for the next commit */
	it->next = NULL;
	if (C->results_tail)
		C->results_tail->next = it;
	else
		C->results = it;
	C->results_tail = it;
	C->nresults++;
	C->inflight--;
	C->worked++;
	if (it->has_image) {
		C->n_image++;
		if (strcmp(it->img.tier, "placeholder") != 0)
			vm_u64set_add(&C->used, sha_key(it->img.sha256));
		for (int k = 0; k < 4; k++)
			if (strcmp(it->img.tier, tier_names[k]) == 0)
				C->n_tier[k]++;
	}
	else if (it->had_error) {
		const char *cls = it->error_class[0] ? it->error_class : "error";
		int k;
		C->n_failed++;
		for (k = 0; k < C->nfail_class && strcmp(C->fail_class[k].cls, cls) != 0; k++)
			;
		if (k == C->nfail_class && k < 32) {
			snprintf(C->fail_class[k].cls, sizeof C->fail_class[k].cls, "%s", cls);
			C->fail_class[k].n = 0;
			C->nfail_class++;
		}
		if (k < 32)
			C->fail_class[k].n++;
	} else
		C->n_noimage++;
}

static void on_request(const crawl_fetch_record *rec, void *arg)
{
	crawl_ctx *C = arg;
	if (C->nreqs == C->capreqs) {
		C->capreqs = C->capreqs ? 2 * C->capreqs : 1024;
		C->reqs = xrealloc(C->reqs, C->capreqs * sizeof *C->reqs);
	}
	reqrow *q = &C->reqs[C->nreqs++];
	q->news_num = rec->news_num;
	q->time = rec->time;
	q->ms = rec->ms;
	q->tier = rec->tier;
	q->purpose = rec->purpose;
	q->url = xstrdup(rec->url);
	q->error = rec->error ? xstrdup(rec->error) : NULL;
	q->status = rec->status;
	q->bytes = rec->bytes;
}

static void on_robots(const char *host, long status, const char *body, size_t len, void *arg)
{
	crawl_ctx *C = arg;
	if (C->nrobots == C->caprobots) {
		C->caprobots = C->caprobots ? 2 * C->caprobots : 16;
		C->robots = xrealloc(C->robots, C->caprobots * sizeof *C->robots);
	}
	robotsrow *b = &C->robots[C->nrobots++];
	b->host = xstrdup(host);
	b->status = status;
	b->body = body ? xstrndup(body, len) : NULL;
	b->at = vm_unix_now();
}

/* Write everything finished since the last commit in one transaction. */
static void commit_results(crawl_ctx *C)
{
	double now = vm_unix_now();
	if (!C->nresults && !C->nreqs && !C->nrobots)
		return;
	if (C->unsynced) {
		/* the files of this batch reach the disk before their rows */
		if (syncfs(C->out_fd) != 0)
			vm_die_errno("%s: syncfs", C->o.out_dir);
		C->unsynced = 0;
	}
	vm_db_begin(C->db);
	for (crawl_item *it = C->results; it; it = it->next) {
		const char *state, *outcome;
		if (it->has_image) {
			state = "done";
			outcome = "image";
		} else if (it->had_error) {
			state = "failed";
			outcome = it->error_class[0] ? it->error_class : "error";
		} else {
			state = "done";
			outcome = "no-image";
		}
		if (it->has_image) {
			sqlite3_stmt *s = C->st_image;
			sqlite3_bind_int64(s, 1, it->num);
			vm_db_bind_text(s, 2, it->img.tier);
			vm_db_bind_text(s, 3, it->img.page_url);
			vm_db_bind_text(s, 4, it->img.image_url);
			vm_db_bind_text(s, 5, it->img.final_url);
			sqlite3_bind_int64(s, 6, it->img.http_status);
			vm_db_bind_text(s, 7, it->img.mime);
			sqlite3_bind_int64(s, 8, (sqlite3_int64)it->img.bytes);
			vm_db_bind_text(s, 9, it->img.sha256);
			sqlite3_bind_int(s, 10, it->img.width);
			sqlite3_bind_int(s, 11, it->img.height);
			vm_db_bind_text(s, 12, it->img.raw_path);
			sqlite3_bind_double(s, 13, it->img.fetched_at);
			vm_db_bind_text(s, 14, it->img.capture_timestamp);
			vm_db_bind_text(s, 15, it->img.capture_url);
			vm_db_bind_text(s, 16, it->img.image_capture_timestamp);
			vm_db_bind_text(s, 17, it->img.search_backend);
			vm_db_bind_text(s, 18, it->img.search_query);
			if (it->img.search_rank > 0)
				sqlite3_bind_int(s, 19, it->img.search_rank);
			vm_db_bind_text(s, 20, it->img.matched_title);
			if (it->img.similarity >= 0)
				sqlite3_bind_double(s, 21, it->img.similarity);
			if (it->img.runner_up >= 0)
				sqlite3_bind_double(s, 22, it->img.runner_up);
			vm_db_step_done(C->db, s);
		}
		sqlite3_stmt *s = C->st_news;
		vm_db_bind_text(s, 1, state);
		vm_db_bind_text(s, 2, outcome);
		vm_db_bind_text(s, 3, it->last_error[0] ? it->last_error : NULL);
		sqlite3_bind_double(s, 4, now);
		sqlite3_bind_int64(s, 5, it->num);
		vm_db_step_done(C->db, s);
	}
	for (size_t i = 0; i < C->nreqs; i++) {
		reqrow *q = &C->reqs[i];
		sqlite3_stmt *s = C->st_req;
		if (q->news_num)
			sqlite3_bind_int64(s, 1, q->news_num);
		else
			sqlite3_bind_null(s, 1);
		sqlite3_bind_double(s, 2, q->time);
		vm_db_bind_text(s, 3, q->tier);
		vm_db_bind_text(s, 4, q->purpose);
		vm_db_bind_text(s, 5, q->url);
		sqlite3_bind_int64(s, 6, q->status);
		vm_db_bind_text(s, 7, q->error);
		sqlite3_bind_int64(s, 8, (sqlite3_int64)q->bytes);
		sqlite3_bind_double(s, 9, q->ms);
		vm_db_step_done(C->db, s);
	}
	for (size_t i = 0; i < C->nrobots; i++) {
		robotsrow *b = &C->robots[i];
		sqlite3_stmt *s = C->st_robots;
		vm_db_bind_text(s, 1, b->host);
		sqlite3_bind_int64(s, 2, b->status);
		vm_db_bind_text(s, 3, b->body);
		sqlite3_bind_double(s, 4, b->at);
		vm_db_step_done(C->db, s);
	}
	vm_db_commit(C->db);
	for (crawl_item *it = C->results, *nx; it; it = nx) {
		nx = it->next;
		item_free(it);
	}
	C->results = C->results_tail = NULL;
	C->nresults = 0;
	for (size_t i = 0; i < C->nreqs; i++) {
		free(C->reqs[i].url);
		free(C->reqs[i].error);
	}
	C->nreqs = 0;
	for (size_t i = 0; i < C->nrobots; i++) {
		free(C->robots[i].host);
		free(C->robots[i].body);
	}
	C->nrobots = 0;
	C->last_commit = vm_now();
}

/* A text column copied, "" for NULL. */
static char *column_or_empty(sqlite3_stmt *s, int i)
{
	const char *t = vm_db_column_text(s, i);
	return xstrdup(t ? t : "");
}

/* Start up to `room` more items from the database. */
static void fill_window(crawl_ctx *C)
{
	if (C->exhausted || C->inflight >= C->window)
		return;
	int want = (int)(C->window - C->inflight);
	sqlite3_stmt *s = C->st_select;
	crawl_item *batch = NULL, **tail = &batch;
	int got = 0;
	sqlite3_bind_int64(s, 1, C->cursor);
	sqlite3_bind_int(s, 2, want);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		crawl_item *it = xcalloc(1, sizeof *it);
		it->num = (uint32_t)sqlite3_column_int64(s, 0);
		snprintf(it->id, sizeof it->id, "%s", vm_db_column_text(s, 1));
		it->url = column_or_empty(s, 2);
		it->title = column_or_empty(s, 3);
		it->category = column_or_empty(s, 4);
		C->cursor = it->num;
		if (!vm_shard_mine(&C->shard, it->id)) {   /* registered by another run */
			item_free(it);
			got++;
			continue;
		}
		*tail = it;
		tail = &it->next;
		got++;
	}
	if (rc != SQLITE_DONE)
		vm_die("database: %s", sqlite3_errmsg(C->db));
	sqlite3_reset(s);
	if (got < want)
		C->exhausted = 1;
	/* start them after the statement is reset: a tier may finish an item
	 * at once */
	for (crawl_item *it = batch, *nx; it; it = nx) {
		nx = it->next;
		it->next = NULL;
		it->tier = 0;
		C->inflight++;
		C->tiers[0]->start(C, it);
	}
}

static void progress(crawl_ctx *C, int final)
{
	double now = vm_now();
	if (C->quiet || !vm_stderr_is_tty())
		return;
	if (!final && now - C->last_progress < 0.25)
		return;
	C->last_progress = now;
	double el = now - C->t0, rate = el > 0 ? C->worked / el : 0;
	double eta = rate > 0 ? (C->total - C->worked) / rate : 0;
	fprintf(stderr, "\r%s: %llu/%llu items, %.1f/s, ETA %d:%02d, image %llu, no-image %llu, failed %llu \033[K",
	        vm_progname, (unsigned long long)C->worked, (unsigned long long)C->total, rate,
	        (int)(eta / 60), (int)eta % 60, (unsigned long long)C->n_image,
	        (unsigned long long)C->n_noimage, (unsigned long long)C->n_failed);
	C->progress_drawn = 1;
	if (final)
		fputc('\n', stderr);
}

/* Remove temporary files and raw files that no image row names. */
static void clean_raw(crawl_ctx *C, const char *rawdir)
{
	DIR *d = opendir(rawdir);
	struct dirent *e;
	sqlite3_stmt *s;
	if (!d)
		vm_die_errno("%s", rawdir);
	s = vm_db_prepare(C->db, "SELECT 1 FROM image WHERE news_num = ?1 AND raw_path = ?2");
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		char *path;
		int remove = 0;
		if (n[0] == '.')
			continue;
		if (strstr(n, ".tmp."))
			remove = 1;
		else if (n[0] == 'N') {
			char *end;
			unsigned long num = strtoul(n + 1, &end, 10);
			if (end != n + 1 && *end == '.') {
				char *rel = xasprintf("raw/%s", n);
				sqlite3_bind_int64(s, 1, (sqlite3_int64)num);
				vm_db_bind_text(s, 2, rel);
				remove = sqlite3_step(s) != SQLITE_ROW;
				sqlite3_reset(s);
				free(rel);
			}
		}
		if (remove) {
			path = xasprintf("%s/%s", rawdir, n);
			if (unlink(path) != 0 && errno != ENOENT)
				vm_warn_errno("%s", path);
			free(path);
		}
	}
	sqlite3_finalize(s);
	closedir(d);
}

static void register_news(crawl_ctx *C, char **files, int nfiles)
{
	char err[512];
	vm_db_begin(C->db);
	for (int i = 0; i < nfiles; i++) {
		vm_mind_reader *r = vm_mind_open(files[i], 0);
		vm_news row;
		int rc;
		if (!r) {
			vm_db_rollback(C->db);
			exit(VM_EXIT_USAGE);
		}
		char *split = vm_split_from_path(files[i]);
		while ((rc = vm_news_next(r, &row)) == VM_MIND_ROW) {
			if (!vm_shard_mine(&C->shard, row.id))
				continue;
			if (vm_db_add_news(C->db, &row, split, err, sizeof err) != 0) {
				vm_db_rollback(C->db);
				vm_die("%s: %s", files[i], err);
			}
		}
		if (rc == VM_MIND_ERROR) {
			vm_db_rollback(C->db);
			vm_die("%s", vm_mind_error(r));
		}
		free(split);
		vm_mind_close(r);
	}
	vm_db_commit(C->db);
}

/* Apply a --reject file: each line "N12345 [reason]" (that item's current
 * pick) or "sha256:HEX [reason]" (that image, for every item); '#' comments
 * and blank lines are skipped. A rejected pick moves to the rejected table,
 * its image row goes and its item is pending again. Returns the number of
 * picks rejected; dies on a malformed line (FILE:LINE). */
static long apply_rejects(crawl_ctx *C, const char *file)
{
	FILE *f = fopen(file, "r");
	char line[1024];
	long lineno = 0, n = 0;
	if (!f)
		vm_die_errno("%s", file);
	sqlite3_stmt *ins = vm_db_prepare(C->db, "INSERT INTO rejected (news_num, tier, page_url, image_url, sha256, "
	                         "similarity, reason, rejected_at) SELECT news_num, tier, page_url, image_url, "
	                         "sha256, similarity, ?2, ?3 FROM image WHERE news_num = ?1");
	sqlite3_stmt *del = vm_db_prepare(C->db, "DELETE FROM image WHERE news_num = ?1");
	sqlite3_stmt *pend = vm_db_prepare(C->db, "UPDATE news SET state = 'pending', outcome = NULL, updated_at = ?2 "
	                          "WHERE num = ?1");
	sqlite3_stmt *bysha = vm_db_prepare(C->db, "SELECT news_num FROM image WHERE sha256 = ?1 ORDER BY news_num");
	vm_db_begin(C->db);
	while (fgets(line, sizeof line, f)) {
		char *p = line, *key, *reason;
		uint32_t nums[4096];
		size_t nn = 0;
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		key = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		reason = *p ? p : NULL;
		if (key[0] == 'N' && key[1] >= '1' && key[1] <= '9' && strspn(key + 1, "0123456789") == strlen(key + 1)) {
			nums[nn++] = (uint32_t)strtoul(key + 1, NULL, 10);
		} else if (strncmp(key, "sha256:", 7) == 0 && strlen(key + 7) == 64 &&
		           strspn(key + 7, "0123456789abcdefABCDEF") == 64) {
			char hex[65];
			for (int i = 0; i < 64; i++)
				hex[i] = (char)(key[7 + i] | (key[7 + i] >= 'A' ? 32 : 0));
			hex[64] = '\0';
			vm_u64set_add(&C->rejected, sha_key(hex));
			vm_db_bind_text(bysha, 1, hex);
			while (sqlite3_step(bysha) == SQLITE_ROW && nn < sizeof nums / sizeof nums[0])
				nums[nn++] = (uint32_t)sqlite3_column_int64(bysha, 0);
			sqlite3_reset(bysha);
		} else {
			vm_db_rollback(C->db);
			vm_die("%s:%ld: '%s' is neither N<number> nor sha256:<64 hex digits>", file, lineno, key);
		}
		for (size_t i = 0; i < nn; i++) {
			sqlite3_bind_int64(ins, 1, nums[i]);
			vm_db_bind_text(ins, 2, reason);
			sqlite3_bind_double(ins, 3, vm_unix_now());
			vm_db_step_done(C->db, ins);
			if (sqlite3_changes(C->db) == 0) {
				vm_warn("%s:%ld: N%u has no pick to reject", file, lineno, (unsigned)nums[i]);
				continue;
			}
			n++;
			sqlite3_bind_int64(del, 1, nums[i]);
			vm_db_step_done(C->db, del);
			sqlite3_bind_int64(pend, 1, nums[i]);
			sqlite3_bind_double(pend, 2, vm_unix_now());
			vm_db_step_done(C->db, pend);
		}
	}
	if (ferror(f)) {
		vm_db_rollback(C->db);
		vm_die_errno("%s", file);
	}
	vm_db_commit(C->db);
	fclose(f);
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	sqlite3_finalize(pend);
	sqlite3_finalize(bysha);
	return n;
}

/* Every image ever rejected stays rejected (except the placeholder). */
static void load_rejected(crawl_ctx *C)
{
	sqlite3_stmt *s = vm_db_prepare(C->db, "SELECT DISTINCT sha256 FROM rejected WHERE sha256 IS NOT NULL "
	                       "AND tier != 'placeholder'");
	while (sqlite3_step(s) == SQLITE_ROW)
		vm_u64set_add(&C->rejected, sha_key(vm_db_column_text(s, 0)));
	sqlite3_finalize(s);
}

/* The images already chosen (a search result may not take them). */
static void load_used(crawl_ctx *C)
{
	sqlite3_stmt *s = vm_db_prepare(C->db, "SELECT sha256 FROM image WHERE sha256 IS NOT NULL AND tier != 'placeholder'");
	while (sqlite3_step(s) == SQLITE_ROW)
		vm_u64set_add(&C->used, sha_key(vm_db_column_text(s, 0)));
	sqlite3_finalize(s);
}

/* The news titles, as the document frequencies of the search tier. */
static void load_titles(crawl_ctx *C)
{
	sqlite3_stmt *s = vm_db_prepare(C->db, "SELECT title FROM news");
	while (sqlite3_step(s) == SQLITE_ROW) {
		char *t = crawl_title_normalise(vm_db_column_text(s, 0));
		crawl_title_corpus_add(t);
		free(t);
	}
	sqlite3_finalize(s);
}

/* --search BACKEND */
static void add_backend(vm_cli *cli, crawl_opts *o, const char *arg)
{
	struct crawl_search_backend *b;
	if (o->nsearch == (int)(sizeof o->search / sizeof o->search[0]))
		vm_cli_usage_error(cli, "--search: at most %d backends", o->nsearch);
	b = &o->search[o->nsearch];
	memset(b, 0, sizeof *b);
	if (strncmp(arg, "searx:", 6) == 0 && (strncmp(arg + 6, "http://", 7) == 0 || strncmp(arg + 6, "https://", 8) == 0)) {
		b->kind = "searx";
		b->url = xstrdup(arg + 6);
	} else if (strcmp(arg, "google-cse") == 0) {
		const char *k = getenv("VMIND_GOOGLE_CSE_KEY"), *cx = getenv("VMIND_GOOGLE_CSE_CX");
		if (!k || !*k || !cx || !*cx)
			vm_cli_usage_error(cli, "--search google-cse needs VMIND_GOOGLE_CSE_KEY and VMIND_GOOGLE_CSE_CX");
		b->kind = "google-cse";
		b->url = xstrdup("https://www.googleapis.com/customsearch/v1");
		b->key = xstrdup(k);
		b->cx = xstrdup(cx);
	} else if (strcmp(arg, "brave") == 0) {
		const char *k = getenv("VMIND_BRAVE_KEY");
		if (!k || !*k)
			vm_cli_usage_error(cli, "--search brave needs VMIND_BRAVE_KEY");
		b->kind = "brave";
		b->url = xstrdup("https://api.search.brave.com/res/v1/images/search");
		b->key = xstrdup(k);
	} else
		vm_cli_usage_error(cli, "--search: '%s' is not searx:URL, google-cse or brave", arg);
	o->nsearch++;
}

static void load_robots(crawl_ctx *C)
{
	sqlite3_stmt *s = vm_db_prepare(C->db, "SELECT host, status, body FROM robots");
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *h = vm_db_column_text(s, 0);
		const char *b = vm_db_column_text(s, 2);
		crawl_fetch_set_robots(C->fetch, h, (long)sqlite3_column_int64(s, 1), b,
		                       b ? (size_t)sqlite3_column_bytes(s, 2) : 0);
	}
	sqlite3_finalize(s);
}

/* More than the origin tier (or a placeholder) in this run? */
static int more_tiers(const crawl_ctx *C)
{
	return C->ntiers > 1 || C->tiers[0] != &crawl_tier_origin || C->placeholder;
}

/* x rounded to `places` decimals, as the counters were always written. */
static double rounded(double x, int places)
{
	double scale = pow(10, places);
	return round(x * scale) / scale;
}

static void write_stats(crawl_ctx *C, const char *path, double secs)
{
	crawl_fetch_stats fs;
	cJSON *root = cJSON_CreateObject(), *by;
	crawl_fetch_get_stats(C->fetch, &fs);
	vm_json_add_int(root, "total", (long long)C->total);
	vm_json_add_int(root, "worked", (long long)C->worked);
	vm_json_add_int(root, "image", (long long)C->n_image);
	vm_json_add_int(root, "no_image", (long long)C->n_noimage);
	vm_json_add_int(root, "failed", (long long)C->n_failed);
	vm_json_add_int(root, "requests", (long long)fs.requests);
	vm_json_add_int(root, "retries", (long long)fs.retries);
	vm_json_add_int(root, "robots_fetched", (long long)fs.robots_fetched);
	vm_json_add_int(root, "bytes", (long long)fs.bytes);
	vm_json_add_num(root, "seconds", rounded(secs, 3));
	vm_json_add_num(root, "news_per_second", rounded(secs > 0 ? C->worked / secs : 0.0, 2));
	vm_json_add_num(root, "requests_per_second", rounded(secs > 0 ? fs.requests / secs : 0.0, 2));
	by = cJSON_AddObjectToObject(root, "failed_by_class");
	for (int k = 0; k < C->nfail_class; k++)
		vm_json_add_int(by, C->fail_class[k].cls, (long long)C->fail_class[k].n);
	if (more_tiers(C)) {   /* images by tier when more than the origin tier ran */
		cJSON *tiers = cJSON_AddObjectToObject(root, "tiers");
		for (int k = 0; k < 4; k++)
			vm_json_add_int(tiers, tier_names[k], (long long)C->n_tier[k]);
	}
	if (vm_json_write_file(path, root, 1) != 0)
		vm_warn_errno("%s", path);
	cJSON_Delete(root);
}

int main(int argc, char **argv)
{
	vm_cli cli = {
		.synopsis = "vmind-crawl --db FILE --out DIR [options] NEWS.tsv...",
		.summary = "Find and fetch the cover image of every news item, politely, safely and resumably.",
		.options = options,
		.footer = "Exit status: 0 every item was worked, 1 some items failed, 2 usage or set-up error.\n",
	};
	crawl_ctx C0, *C = &C0;
	const char *db_path = NULL, *stats_json = NULL, *ua = DEFAULT_UA;
	crawl_connect_to *ct = NULL;
	const char *tiers = NULL, *reject_file = NULL, *shard_spec = NULL;
	const char *url_google = NULL, *url_brave = NULL;
	long shards = 0;
	int archive_given = 0;
	char tiers_default[64];
	size_t nct = 0;
	crawl_fetch_opts fo;
	char err[512];
	int c, rc = VM_EXIT_OK;

	vm_set_progname(argv[0]);
	memset(C, 0, sizeof *C);
	memset(&fo, 0, sizeof fo);
	fo.parallel = 64;
	fo.per_host = 8;
	fo.retries = 3;
	fo.timeout = 30;
	fo.connect_timeout = 10;
	C->o.max_bytes = 16777216;
	C->o.max_page_bytes = 2097152;
	C->o.min_size = 64;
	C->batch = 200;
	C->nthreads = 2;
	C->o.archive = "https://web.archive.org";
	C->o.archive_parallel = 4;
	C->o.min_similarity = 0.7;
	C->o.min_margin = 0.1;
	vm_u64set_init(&C->rejected);
	vm_u64set_init(&C->used);
	while ((c = vm_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'o': C->o.out_dir = optarg; break;
		case 'j': fo.parallel = (int)vm_cli_int("parallel", optarg, 1, 10000); break;
		case OPT_PER_HOST: fo.per_host = (int)vm_cli_int("per-host", optarg, 1, 1000); break;
		case OPT_RETRIES: fo.retries = (int)vm_cli_int("retries", optarg, 0, 100); break;
		case OPT_TIMEOUT: fo.timeout = vm_cli_double("timeout", optarg, 0.001, 86400); break;
		case OPT_CONNECT_TIMEOUT: fo.connect_timeout = vm_cli_double("connect-timeout", optarg, 0.001, 86400); break;
		case OPT_MAX_BYTES: C->o.max_bytes = (size_t)vm_cli_int("max-bytes", optarg, 1, (long long)1 << 40); break;
		case OPT_MAX_PAGE_BYTES: C->o.max_page_bytes = (size_t)vm_cli_int("max-page-bytes", optarg, 1024, (long long)1 << 32); break;
		case OPT_MIN_SIZE: C->o.min_size = (int)vm_cli_int("min-size", optarg, 1, 100000); break;
		case OPT_UA: ua = optarg; break;
		case OPT_IGNORE_ROBOTS: fo.ignore_robots = 1; break;
		case OPT_ALLOW_PRIVATE: fo.allow_private = 1; break;
		case OPT_CONNECT_TO:
			ct = xrealloc(ct, (nct + 1) * sizeof *ct);
			if (crawl_connect_to_parse(optarg, &ct[nct]) != 0)
				vm_cli_usage_error(&cli, "--connect-to: '%s' is not HOST:PORT:HOST2:PORT2", optarg);
			nct++;
			break;
		case OPT_RETRY_FAILED: C->retry_failed = 1; break;
		case OPT_TIERS: tiers = optarg; break;
		case OPT_ARCHIVE:
			if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
				vm_cli_usage_error(&cli, "--archive: '%s' is not an http(s) URL", optarg);
			C->o.archive = optarg;
			archive_given = 1;
			break;
		case OPT_ARCHIVE_PARALLEL: C->o.archive_parallel = (int)vm_cli_int("archive-parallel", optarg, 1, 1000); break;
		case OPT_SEARCH: add_backend(&cli, &C->o, optarg); break;
		case OPT_SEARCH_HINT:
			if (strcmp(optarg, "category") != 0)
				vm_cli_usage_error(&cli, "--search-hint: only 'category' is known");
			C->o.search_hint_category = 1;
			break;
		case OPT_MIN_SIM: C->o.min_similarity = vm_cli_double("min-similarity", optarg, 0, 1); break;
		case OPT_MIN_MARGIN: C->o.min_margin = vm_cli_double("min-margin", optarg, 0, 1); break;
		case OPT_URL_GOOGLE: url_google = optarg; break;
		case OPT_URL_BRAVE: url_brave = optarg; break;
		case OPT_PLACEHOLDER:
			if (strcmp(optarg, "white") != 0)
				vm_cli_usage_error(&cli, "--placeholder: only 'white' is known");
			C->placeholder_len = 1;   /* made after libvips starts */
			break;
		case OPT_REJECT: reject_file = optarg; break;
		case OPT_SHARD: shard_spec = optarg; break;
		case OPT_SHARDS: shards = (long)vm_cli_int("shards", optarg, 1, 1000000); break;
		case OPT_STATS_JSON: stats_json = optarg; break;
		case OPT_THREADS: C->nthreads = (int)vm_cli_int("threads", optarg, 0, 64); break;
		case OPT_BATCH: C->batch = (int)vm_cli_int("batch", optarg, 1, 1000000); break;
		case 'q': C->quiet = 1; break;
		default: vm_cli_usage_error(&cli, NULL);
		}
	}
	if (!db_path)
		vm_cli_usage_error(&cli, "--db FILE is required");
	if (!C->o.out_dir)
		vm_cli_usage_error(&cli, "--out DIR is required");
	if (optind >= argc)
		vm_cli_usage_error(&cli, "no NEWS.tsv given");
	for (int k = 0; k < C->o.nsearch; k++) {
		struct crawl_search_backend *b = &C->o.search[k];
		const char *u = strcmp(b->kind, "google-cse") == 0 ? url_google : strcmp(b->kind, "brave") == 0 ? url_brave : NULL;
		if (u) {
			free(b->url);
			b->url = xstrdup(u);
		}
	}
	if (!tiers) {
		snprintf(tiers_default, sizeof tiers_default, "origin%s%s", archive_given ? ",archive" : "",
		         C->o.nsearch ? ",search" : "");
		tiers = tiers_default;
	}
	{
		char *list = xstrdup(tiers), *save = NULL;
		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			const crawl_tier *tier = strcmp(t, "origin") == 0 ? &crawl_tier_origin
				: strcmp(t, "archive") == 0 ? &crawl_tier_archive
				: strcmp(t, "search") == 0 ? &crawl_tier_search : NULL;
			if (!tier)
				vm_cli_usage_error(&cli, "--tiers: unknown tier '%s' (origin, archive, search)", t);
			for (int k = 0; k < C->ntiers; k++)
				if (C->tiers[k] == tier)
					vm_cli_usage_error(&cli, "--tiers: '%s' given twice", t);
			if (tier == &crawl_tier_search && C->o.nsearch == 0)
				continue;   /* no backend: nothing to search with */
			C->tiers[C->ntiers++] = tier;
		}
		free(list);
		if (C->ntiers == 0)
			vm_cli_usage_error(&cli, "--tiers: no tier to run (the search tier needs --search)");
	}
	if (vm_shard_resolve(shard_spec, shards, &C->shard, err, sizeof err) != 0)
		vm_cli_usage_error(&cli, "%s", err);
	signal(SIGPIPE, SIG_IGN);
	crawl_image_init(argv[0]);
	if (C->placeholder_len)
		make_placeholder(C);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		vm_die("libcurl could not be initialised");

	char *rawdir = xasprintf("%s/raw", C->o.out_dir);
	if (vm_mkdir_p(rawdir) != 0)
		vm_die_errno("%s", rawdir);
	C->out_fd = open(C->o.out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (C->out_fd < 0)
		vm_die_errno("%s", C->o.out_dir);
	C->db = vm_db_open(db_path, VM_DB_CREATE, err, sizeof err);
	if (!C->db)
		vm_die("%s", err);
	register_news(C, argv + optind, argc - optind);
	if (reject_file) {
		long n = apply_rejects(C, reject_file);
		if (!C->quiet)
			fprintf(stderr, "%s: %ld pick%s rejected\n", vm_progname, n, n == 1 ? "" : "s");
	}
	load_rejected(C);
	load_used(C);
	for (int k = 0; k < C->ntiers; k++)
		if (C->tiers[k] == &crawl_tier_search)
			load_titles(C);
	clean_raw(C, rawdir);

	fo.user_agent = ua;
	fo.robots_agent = "vmind-crawl";
	fo.connect_to = ct;
	fo.n_connect_to = nct;
	fo.on_request = on_request;
	fo.on_robots = on_robots;
	fo.arg = C;
	C->fetch = crawl_fetch_new(&fo);
	if (!fo.ignore_robots)
		load_robots(C);
	pthread_mutex_init(&C->vmu, NULL);
	pthread_cond_init(&C->vcond, NULL);
	for (int i = 0; i < C->nthreads; i++)
		if (pthread_create(&C->threads[i], NULL, validator, C) != 0)
			vm_die("cannot start a validation thread");
	C->window = (size_t)fo.parallel * 2 + 16;

	/* keyset paging in num order; both forms are plain range searches (an
	 * OR of states would sort all remaining items for every batch) */
	if (C->retry_failed)
		C->st_select = vm_db_prepare(C->db, "SELECT num, id, url, title, category FROM news NOT INDEXED WHERE num > ?1 "
		                    "AND state IN ('pending', 'failed') ORDER BY num LIMIT ?2");
	else
		C->st_select = vm_db_prepare(C->db, "SELECT num, id, url, title, category FROM news WHERE state = 'pending' "
		                    "AND num > ?1 ORDER BY num LIMIT ?2");
	C->st_news = vm_db_prepare(C->db, "UPDATE news SET state = ?1, outcome = ?2, last_error = ?3, "
	                  "attempts = attempts + 1, updated_at = ?4 WHERE num = ?5");
	C->st_image = vm_db_prepare(C->db, "INSERT OR REPLACE INTO image (news_num, tier, page_url, image_url, "
	                   "final_url, http_status, mime, bytes, sha256, width, height, raw_path, fetched_at, "
	                   "capture_timestamp, capture_url, image_capture_timestamp, search_backend, search_query, "
	                   "search_rank, matched_title, similarity, runner_up_similarity) "
	                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
	                   "?19, ?20, ?21, ?22)");
	C->st_req = vm_db_prepare(C->db, "INSERT INTO request (news_num, time, tier, purpose, url, status, error, bytes, ms) "
	                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	C->st_robots = vm_db_prepare(C->db, "INSERT OR REPLACE INTO robots (host, status, body, fetched_at) VALUES (?1, ?2, ?3, ?4)");
	C->total = (uint64_t)vm_db_query_int(C->db, C->retry_failed
		? "SELECT count(*) FROM news WHERE state IN ('pending', 'failed')"
		: "SELECT count(*) FROM news WHERE state = 'pending'");

	C->t0 = C->last_commit = vm_now();
	for (;;) {
		fill_window(C);
		if (C->exhausted && C->inflight == 0 && crawl_fetch_busy(C->fetch) == 0 && C->validating == 0)
			break;
		crawl_fetch_step(C->fetch, 100);
		drain_validated(C);
		if (C->nresults >= (size_t)C->batch || (vm_now() - C->last_commit >= 1.0))
			commit_results(C);
		progress(C, 0);
	}
	commit_results(C);
	pthread_mutex_lock(&C->vmu);
	C->vstop = 1;
	pthread_cond_broadcast(&C->vcond);
	pthread_mutex_unlock(&C->vmu);
	for (int i = 0; i < C->nthreads; i++)
		pthread_join(C->threads[i], NULL);
	double secs = vm_now() - C->t0;
	if (C->progress_drawn)
		progress(C, 1);
	if (stats_json)
		write_stats(C, stats_json, secs);
	if (vm_db_query_int(C->db, "SELECT count(*) FROM news WHERE state = 'failed'") > 0)
		rc = VM_EXIT_ITEMS;
	if (!C->quiet) {
		crawl_fetch_stats fs;
		crawl_fetch_get_stats(C->fetch, &fs);
		if (!more_tiers(C))
			fprintf(stderr, "%s: %llu items worked in %.1f s (%.1f/s): %llu image, %llu no-image, %llu failed; %llu requests\n",
			        vm_progname, (unsigned long long)C->worked, secs, secs > 0 ? C->worked / secs : 0.0,
			        (unsigned long long)C->n_image, (unsigned long long)C->n_noimage,
			        (unsigned long long)C->n_failed, (unsigned long long)fs.requests);
		else
			fprintf(stderr, "%s: %llu items worked in %.1f s (%.1f/s): %llu image (origin %llu, archive %llu, "
			        "search %llu, placeholder %llu), %llu no-image, %llu failed; %llu requests\n",
			        vm_progname, (unsigned long long)C->worked, secs, secs > 0 ? C->worked / secs : 0.0,
			        (unsigned long long)C->n_image, (unsigned long long)C->n_tier[0],
			        (unsigned long long)C->n_tier[1], (unsigned long long)C->n_tier[2],
			        (unsigned long long)C->n_tier[3], (unsigned long long)C->n_noimage,
			        (unsigned long long)C->n_failed, (unsigned long long)fs.requests);
	}
	sqlite3_finalize(C->st_select);
	sqlite3_finalize(C->st_news);
	sqlite3_finalize(C->st_image);
	sqlite3_finalize(C->st_req);
	sqlite3_finalize(C->st_robots);
	crawl_fetch_free(C->fetch);
	vm_db_close(C->db);
	for (size_t i = 0; i < nct; i++)
		crawl_connect_to_free(&ct[i]);
	free(ct);
	free(C->reqs);
	free(C->robots);
	free(rawdir);
	vm_u64set_free(&C->rejected);
	vm_u64set_free(&C->used);
	if (C->placeholder)
		g_free(C->placeholder);
	for (int k = 0; k < C->o.nsearch; k++) {
		free(C->o.search[k].url);
		free(C->o.search[k].key);
		free(C->o.search[k].cx);
	}
	close(C->out_fd);
	vm_cli_free(&cli);
	curl_global_cleanup();
	return rc;
}
