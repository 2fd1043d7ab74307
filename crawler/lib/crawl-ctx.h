/* crawl-ctx.h: the run's context, private to the crawl's core: crawl.c
 * (the item window, the validation threads, the results) and crawl-db.c
 * (everything the run reads from and writes to the database). Neither the
 * tiers nor the program see it; they go through crawl.h. */
#ifndef VMIND_CRAWL_CTX_H
#define VMIND_CRAWL_CTX_H

#include "crawl.h"
#include "vmind/lib/util.h"

#include <pthread.h>
#include <sqlite3.h>

/* One buffered row of the request table. */
typedef struct crawl_reqrow {
	uint32_t news_num;
	double time, ms;
	const char *tier, *purpose;
	char *url, *error;
	long status;
	size_t bytes;
} crawl_reqrow;

/* One buffered row of the robots table. */
typedef struct crawl_robotsrow {
	char *host, *body;
	long status;
	double at;
} crawl_robotsrow;

typedef struct crawl_vjob crawl_vjob;

struct crawl_ctx {
	crawl_settings set;      /* as opened; set.o is what the tiers read */
	void *tier_state[4];     /* what set.tiers[k]->open made */
	sqlite3 *db;
	crawl_fetch *fetch;
	int out_fd;              /* the --out directory, for syncfs */
	crawl_stats st;
	/* the window */
	size_t inflight, window;
	uint32_t cursor;         /* the last news number read */
	int exhausted;
	/* results waiting for the next commit */
	crawl_item *results, *results_tail;
	size_t nresults;
	crawl_reqrow *reqs;
	size_t nreqs, capreqs;
	crawl_robotsrow *robots;
	size_t nrobots, caprobots;
	double last_commit;
	size_t unsynced;         /* files written since the last syncfs */
	sqlite3_stmt *st_select, *st_news, *st_image, *st_req, *st_robots;
	/* image validation threads */
	pthread_t threads[64];
	int nvalidators;         /* threads running */
	pthread_mutex_t vmu;
	pthread_cond_t vcond;
	crawl_vjob *vq, *vq_tail, *vdone;
	int vstop;
	size_t validating;       /* jobs handed out, not finished */
	vm_u64set rejected;      /* first 64 bits of rejected images' sha256 */
	vm_u64set used;          /* ... of the images chosen for some item */
	void *placeholder;       /* the placeholder JPEG, when set.placeholder */
	size_t placeholder_len;
};

/* The key of a sha256 (hex) in the rejected and used sets: its first 64
 * bits. */
uint64_t crawl_sha_key(const char *hex);
void crawl_item_free(crawl_item *it);

/* crawl-db.c */
/* The rejected and used images. */
void crawl_db_load_sets(crawl_ctx *C);
/* Remove DIR/raw's temporary files and the raw files no image row names. */
void crawl_db_clean_raw(crawl_ctx *C);
/* The run's statements, and the number of items to work. */
void crawl_db_prepare(crawl_ctx *C);
/* Hand the robots.txt files of earlier runs to the fetch engine. */
void crawl_db_load_robots(crawl_ctx *C);
/* The fetch engine's callbacks: buffer a request row, a robots.txt row. */
void crawl_db_on_request(const crawl_fetch_record *rec, void *arg);
void crawl_db_on_robots(const char *host, long status, const char *body, size_t len, void *arg);
/* Up to `want` more items to work, after C->cursor, as a list (the
 * run's shard only); sets C->exhausted when none is left. */
crawl_item *crawl_db_next_items(crawl_ctx *C, size_t want);
/* Write everything finished since the last commit in one transaction. */
void crawl_db_commit(crawl_ctx *C);
void crawl_db_finalize(crawl_ctx *C);

#endif
