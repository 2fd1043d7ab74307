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

typedef struct vm_fetch vm_fetch;
typedef struct vm_req vm_req;

/* One HTTP exchange, as reported to on_request (strings valid during the call). */
typedef struct vm_fetch_record {
	uint32_t news_num;     /* 0 for requests not made for one item */
	double time;           /* unix time it started */
	const char *tier, *purpose, *url;
	long status;           /* 0 when no response */
	const char *error;     /* NULL on success (any complete HTTP response) */
	size_t bytes;          /* body bytes received */
	double ms;
} vm_fetch_record;

typedef struct vm_fetch_opts {
	int parallel;             /* transfers at once */
	int per_host;             /* connections per host */
	int retries;              /* retries of a request after the first try */
	double timeout;           /* seconds per transfer */
	double connect_timeout;   /* seconds */
	const char *user_agent;
	const char *robots_agent; /* product token matched in robots.txt */
	int allow_private;
	int ignore_robots;
	const vm_connect_to *connect_to;
	size_t n_connect_to;
	double max_wait;          /* longest Retry-After honoured, seconds; longer = error */
	double backoff_base;      /* first backoff, seconds */
	int max_redirects;
	void (*on_request)(const vm_fetch_record *rec, void *arg);
	/* a robots.txt to remember (status 2xx or 4xx only) */
	void (*on_robots)(const char *host, long status, const char *body, size_t len, void *arg);
	void *arg;
} vm_fetch_opts;

/* Outcome of a request */
enum {
	VM_FETCH_OK = 0,      /* 2xx; body holds the bytes (maybe truncated, see below) */
	VM_FETCH_HTTP,        /* a final non-2xx status (404, 410, ...) */
	VM_FETCH_ERROR,       /* network error or 5xx/429 left after the retries */
	VM_FETCH_TOO_BIG,     /* body over max_bytes */
	VM_FETCH_BLOCKED      /* refused by our rules: robots.txt, private address, scheme */
};

typedef void (*vm_req_done_fn)(vm_req *r, void *arg);

struct vm_req {
	/* set by the caller (vm_req_new) */
	char *url;             /* current URL; becomes the final URL after redirects */
	char *first_url;       /* as submitted */
	uint32_t news_num;
	const char *tier, *purpose;   /* static strings */
	size_t max_bytes;      /* 0 = no cap */
	int keep_partial;      /* over max_bytes: stop and return the prefix as OK, truncated */
	vm_req_done_fn done;
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
	struct vm_req_priv *priv;
};

vm_fetch *vm_fetch_new(const vm_fetch_opts *opts);
void vm_fetch_free(vm_fetch *F);

vm_req *vm_req_new(const char *url, uint32_t news_num, const char *tier, const char *purpose,
                   size_t max_bytes, vm_req_done_fn done, void *arg);
void vm_req_free(vm_req *r);

/* Queue a request (new, or one given back by its done callback after
 * changing nothing but url/purpose/max_bytes via vm_req_reset). */
void vm_fetch_submit(vm_fetch *F, vm_req *r);
/* Make a finished request ready for a new URL. */
void vm_req_reset(vm_req *r, const char *url, const char *purpose, size_t max_bytes);

/* Run transfers for up to max_wait_ms (less when something completes);
 * done callbacks are called from here. */
void vm_fetch_step(vm_fetch *F, int max_wait_ms);
/* Wake up a vm_fetch_step waiting in another thread (thread-safe). */
void vm_fetch_wakeup(vm_fetch *F);
/* Requests queued or running (robots.txt fetches included). */
size_t vm_fetch_busy(const vm_fetch *F);

/* Give the engine a robots.txt known from an earlier run. */
void vm_fetch_set_robots(vm_fetch *F, const char *host, long status, const char *body, size_t len);

/* Counters */
typedef struct vm_fetch_stats {
	uint64_t requests, bytes, retries, robots_fetched;
} vm_fetch_stats;
void vm_fetch_get_stats(const vm_fetch *F, vm_fetch_stats *s);

/* Unix time now, in seconds. */
double vm_unix_now(void);

#endif
