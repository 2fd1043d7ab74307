/* fetch.h: the crawler's HTTP engine, shared by every tier. One libcurl multi
 * handle in one thread runs up to `parallel` transfers (`per_host` connections
 * per host, keep-alive, HTTP/2 multiplexing, one shared DNS/TLS-session/
 * connection cache). Around it the engine adds what a polite and safe crawler
 * needs: robots.txt fetched once per host before any other request to it,
 * redirects followed one hop at a time (each hop is checked and recorded, at
 * most 5), per-host backoff on 429/503 honouring Retry-After, retries with
 * exponential backoff and jitter, a byte cap that stops a transfer as soon as
 * it is exceeded, and a refusal to connect to private addresses that is
 * checked on the socket address itself. Every HTTP exchange is reported to
 * on_request so the caller can log it. */
#ifndef VMIND_FETCH_H
#define VMIND_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include "net.h"

typedef struct crawl_fetch crawl_fetch;
typedef struct crawl_req crawl_req;

/* One HTTP exchange, as reported to on_request (strings valid during the call). */
typedef struct crawl_fetch_record {
	uint32_t news_num;     /* 0 for requests not made for one item */
	double time;           /* unix time it started */
	const char *tier, *purpose, *url;
	long status;           /* 0 when no response */
	const char *error;     /* NULL on success (any complete HTTP response) */
	size_t bytes;          /* body bytes received */
	double ms;
} crawl_fetch_record;

typedef struct crawl_fetch_opts {
	int parallel;             /* transfers at once */
	int per_host;             /* connections per host */
	int retries;              /* retries of a request after the first try */
	double timeout;           /* seconds per transfer */
	double connect_timeout;   /* seconds */
	const char *user_agent;
	const char *robots_agent; /* product token matched in robots.txt */
	int allow_private;
	int ignore_robots;
	const crawl_connect_to *connect_to;
	size_t n_connect_to;
	double max_wait;          /* longest Retry-After honoured, seconds; longer = error */
	double backoff_base;      /* first backoff, seconds */
	int max_redirects;
	void (*on_request)(const crawl_fetch_record *rec, void *arg);
	/* a robots.txt to remember (status 2xx or 4xx only) */
	void (*on_robots)(const char *host, long status, const char *body, size_t len, void *arg);
	void *arg;
} crawl_fetch_opts;

/* Outcome of a request */
enum {
	CRAWL_FETCH_OK = 0,      /* 2xx; body holds the bytes (maybe truncated, see below) */
	CRAWL_FETCH_HTTP,        /* a final non-2xx status (404, 410, ...) */
	CRAWL_FETCH_ERROR,       /* network error or 5xx/429 left after the retries */
	CRAWL_FETCH_TOO_BIG,     /* body over max_bytes */
	CRAWL_FETCH_BLOCKED,     /* refused by our rules: robots.txt, private address, scheme */
	CRAWL_FETCH_REDIRECT     /* inside the engine only: a 3xx with a Location to follow;
	                            never a request's result */
};

typedef void (*crawl_req_done_fn)(crawl_req *r, void *arg);

struct crawl_req {
	/* set by the caller (crawl_req_new) */
	char *url;             /* current URL; becomes the final URL after redirects */
	char *first_url;       /* as submitted */
	uint32_t news_num;
	const char *tier, *purpose;   /* static strings */
	size_t max_bytes;      /* 0 = no cap */
	int keep_partial;      /* over max_bytes: stop and return the prefix as OK, truncated */
	crawl_req_done_fn done;
	void *arg;
	/* results */
	int result;
	long status;
	char *body;            /* NUL-terminated; len bytes */
	size_t len, cap;
	int truncated;
	int redirects;
	char error[256];       /* what went wrong, "" when OK */
	char error_class[24];  /* timeout, connect, reset, partial, http-5xx, http-429,
	                          redirects, private, robots, too-big, scheme, tls, error */
	/* private to the engine */
	struct crawl_req_priv *priv;
};

crawl_fetch *crawl_fetch_new(const crawl_fetch_opts *opts);
void crawl_fetch_free(crawl_fetch *F);

crawl_req *crawl_req_new(const char *url, uint32_t news_num, const char *tier, const char *purpose,
                         size_t max_bytes, crawl_req_done_fn done, void *arg);
void crawl_req_free(crawl_req *r);

/* Queue a request (new, or one given back by its done callback after
 * changing nothing but url/purpose/max_bytes via crawl_req_reset). */
void crawl_fetch_submit(crawl_fetch *F, crawl_req *r);
/* Make a finished request ready for a new URL. */
void crawl_req_reset(crawl_req *r, const char *url, const char *purpose, size_t max_bytes);
/* Mark r as an API request (search backends): robots.txt is not asked for
 * its host, and header ("Name: value", may be NULL) is sent with it. Cleared
 * by crawl_req_reset. */
void crawl_req_set_api(crawl_req *r, const char *header);

/* Run transfers for up to max_wait_ms (less when something completes);
 * done callbacks are called from here. */
void crawl_fetch_step(crawl_fetch *F, int max_wait_ms);
/* Wake up a crawl_fetch_step waiting in another thread (thread-safe). */
void crawl_fetch_wakeup(crawl_fetch *F);
/* Requests queued or running (robots.txt fetches included). */
size_t crawl_fetch_busy(const crawl_fetch *F);

/* Give the engine a robots.txt known from an earlier run. */
void crawl_fetch_set_robots(crawl_fetch *F, const char *host, long status, const char *body, size_t len);

/* Counters */
typedef struct crawl_fetch_stats {
	uint64_t requests, bytes, retries, robots_fetched;
} crawl_fetch_stats;
void crawl_fetch_get_stats(const crawl_fetch *F, crawl_fetch_stats *s);

#endif
