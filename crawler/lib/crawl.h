/* crawl.h: the crawl's core (crawl.c, crawl-db.c) and its tier interface.
 * A program drives a run through a few steps: crawl_open (the database and
 * the output directory), crawl_register (the news items of news.tsv files),
 * crawl_start, crawl_step until it returns 0, crawl_close. The core streams
 * the items that are not done from the database into a bounded window, runs
 * each through the tiers and commits the results in batched transactions;
 * only image validation runs on worker threads. A tier is one way of finding
 * an item's cover (origin page, archive capture, search result); the core
 * runs an item through the tiers in order until one finds an image. A tier's
 * start() submits requests to the shared fetch engine and, from its
 * callbacks, eventually calls crawl_tier_done() exactly once. */
#ifndef VMIND_CRAWL_H
#define VMIND_CRAWL_H

#include <stddef.h>
#include <stdint.h>
#include "fetch.h"
#include "vmind/lib/shard.h"

typedef struct crawl_ctx crawl_ctx;
typedef struct crawl_item crawl_item;

typedef struct crawl_tier {
	const char *name;                          /* "origin" */
	/* The tier's state for one run (NULL when it keeps none): made by
	 * crawl_start, found with crawl_ctx_tier_state, given to close by
	 * crawl_close. open and close may be NULL. */
	void *(*open)(crawl_ctx *C);
	void (*start)(crawl_ctx *C, crawl_item *it);
	void (*close)(void *state);
} crawl_tier;

/* What a tier reports */
enum {
	CRAWL_TIER_FOUND = 0,   /* it->img holds the image, its file is in place */
	CRAWL_TIER_NONE,        /* definitely nothing here (dead page, no candidate) */
	CRAWL_TIER_ERROR        /* errors left after retries; the item may fail */
};

/* The image chosen for an item, as recorded in the image table. */
typedef struct crawl_item_image {
	const char *tier;
	char *page_url, *image_url, *final_url;
	long http_status;
	const char *mime;
	size_t bytes;
	char sha256[65];
	int width, height;
	char *raw_path;          /* relative to --out */
	double fetched_at;
	/* archive tier */
	char *capture_timestamp, *capture_url, *image_capture_timestamp;
	/* search tier */
	const char *search_backend;
	char *search_query, *matched_title;
	int search_rank;         /* 0 = none */
	double similarity, runner_up;   /* -1 = none */
} crawl_item_image;

struct crawl_item {
	uint32_t num;
	char id[16];
	char *url;
	char *title, *category;
	int tier;                /* index of the tier working it */
	void *tier_state;        /* owned by that tier while it works */
	int has_image;
	crawl_item_image img;
	int had_error;           /* some tier reported CRAWL_TIER_ERROR */
	char last_error[320];    /* the last error met, "" when none */
	char error_class[24];    /* class of the error that decides a failure */
	crawl_item *next;           /* in the results queue */
};

/* Options the tiers read */
typedef struct crawl_opts {
	const char *out_dir;
	size_t max_bytes;        /* images */
	size_t max_page_bytes;   /* pages are read up to this */
	int min_size;
	/* archive tier */
	const char *archive;     /* base URL of a Wayback-style server */
	int archive_parallel;    /* requests to it at once */
	/* search tier */
	struct crawl_search_backend {
		const char *kind;    /* "searx", "google-cse", "brave" */
		char *url;           /* API endpoint */
		char *key, *cx;      /* google-cse, brave */
	} search[8];
	int nsearch;
	int search_hint_category;
	double min_similarity, min_margin;
} crawl_opts;

/* What a run is asked to do; the program fills it from its command line. */
typedef struct crawl_settings {
	const char *db_path;        /* created when missing */
	crawl_opts o;               /* what the tiers read */
	crawl_fetch_opts fetch;     /* the HTTP engine's; on_request, on_robots and
	                               arg are the core's */
	const crawl_tier *tiers[4]; /* run in this order */
	int ntiers;
	int retry_failed;           /* work the failed items again too */
	int placeholder;            /* items left without an image get a white JPEG */
	int threads;                /* validation threads (0: in the main loop) */
	int batch;                  /* items per transaction */
	vm_shard shard;             /* the items this run works */
} crawl_settings;

/* Counters of a run. */
typedef struct crawl_stats {
	uint64_t total;             /* items to work when the run started */
	uint64_t worked, image, no_image, failed;
	uint64_t by_tier[4];        /* images, in the order of crawl_image_tiers */
	struct { char cls[24]; uint64_t n; } fail_class[32];   /* failed items by outcome */
	int nfail_class;
	crawl_fetch_stats fetch;
} crawl_stats;

/* The tiers an image can come from: "origin", "archive", "search",
 * "placeholder". */
extern const char *const crawl_image_tiers[4];

/* Open a run: the placeholder (libvips must be started), DIR/raw, the
 * database. Dies (exit 2) on a set-up error. */
crawl_ctx *crawl_open(const crawl_settings *set);
/* Record the news rows of these news.tsv files (this run's shard) as
 * pending when new, in one transaction; dies on an input error (FILE:LINE). */
void crawl_register(crawl_ctx *C, char *const *files, int nfiles);
/* Apply a reject file (see vmind-crawl(1), --reject); returns the number of
 * picks rejected; dies on a malformed line (FILE:LINE). */
long crawl_apply_rejects(crawl_ctx *C, const char *file);
/* Get ready to work: the sets of rejected and used images, each tier's
 * state, stale raw files removed, the fetch engine and its remembered
 * robots.txt, the validation threads. */
void crawl_start(crawl_ctx *C);
/* One turn: start items into the window, move transfers for up to 100 ms,
 * finish validated images, commit when a batch is due. Returns 1 while work
 * is left; 0 once everything is done and committed. */
int crawl_step(crawl_ctx *C);
void crawl_get_stats(const crawl_ctx *C, crawl_stats *st);
/* Items in the database left failed (by this run or earlier ones). */
long long crawl_failed_items(crawl_ctx *C);
void crawl_close(crawl_ctx *C);

/* What the tiers get from the run. */
const crawl_opts *crawl_ctx_options(const crawl_ctx *C);
/* The state t->open made for this run. */
void *crawl_ctx_tier_state(const crawl_ctx *C, const crawl_tier *t);
/* Call each(title, arg) for the title of every news item in the database. */
void crawl_ctx_titles(crawl_ctx *C, void (*each)(const char *title, void *arg), void *arg);
crawl_fetch *crawl_ctx_fetch(crawl_ctx *C);

/* Note an error on the item ("page: HTTP 500"); cls may be NULL. */
void crawl_item_error(crawl_item *it, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Validate r's body as the item's cover, on a validation thread (libvips
 * decoding is the crawl's main CPU cost). When it is one, its file is
 * written to DIR/raw/<id>.<ext> (temporary name, then rename) and it->img is
 * filled. done is then called from the main loop with ok = 1, or ok = 0 and
 * the reason; r is given back untouched. */
typedef void (*crawl_validate_fn)(crawl_ctx *C, crawl_item *it, crawl_req *r, int ok, const char *err);
void crawl_validate(crawl_ctx *C, crawl_item *it, crawl_req *r, const char *tier,
                    const char *page_url, const char *image_url, crawl_validate_fn done);

/* A tier is finished with the item (result CRAWL_TIER_*); the tier has freed
 * its state. */
void crawl_tier_done(crawl_ctx *C, crawl_item *it, int result);

/* The tiers */
extern const crawl_tier crawl_tier_origin;
extern const crawl_tier crawl_tier_archive;
extern const crawl_tier crawl_tier_search;

/* The FNV-1a seed of the crawl's string keys (headline features, the
 * search tier's image URLs): not the standard offset basis but the one these
 * keys were always made with, kept so that they stay the same. */
#define CRAWL_FNV_SEED 1469598103934665603ULL

/* Headline similarity (crawl-similarity.c; see vmind-crawl(1), Search tier).
 * crawl_title_normalise returns a new lower-case string of the title's words
 * with site prefixes/suffixes stripped. crawl_title_similarity compares two
 * normalised titles by TF-IDF cosine over word unigrams, bigrams and
 * trigrams, with document frequencies from the n titles of ctx (the result
 * set; may be 0) plus those of a corpus of normalised titles (the crawl's
 * news; may be NULL). In [0, 1]. */
typedef struct crawl_corpus crawl_corpus;
char *crawl_title_normalise(const char *title);
crawl_corpus *crawl_corpus_new(void);
void crawl_corpus_add(crawl_corpus *corpus, const char *normalised_title);
void crawl_corpus_free(crawl_corpus *corpus);
double crawl_title_similarity(const crawl_corpus *corpus, const char *a, const char *b,
                              char *const *ctx, size_t n);

#endif
