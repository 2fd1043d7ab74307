/* web.h: the simulated web shared between its two halves, `vmind-web serve`
 * (web-serve.c: answers HTTP from WEBDIR/routes.tsv with libmicrohttpd) and
 * `vmind-web render` (web-render.c, render-img.c, render-page.c: writes
 * routes.tsv, files/ and truth.tsv from a vmind-synth dataset). Holds the
 * options both read, the fault syntax of routes.tsv, TSV splitting and the
 * deterministic random numbers the renderer uses. The formats themselves
 * are documented in man/vmind-web.1. */
#ifndef VMIND_WEB_H
#define VMIND_WEB_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include "vmind/lib/buf.h"
#include "vmind/lib/util.h"
#include "vmind/lib/buf.h"
#include "vmind/lib/util.h"

/* ---- options of both sub-commands (vmind-web.c fills them) ---- */
typedef struct web_serve_opts {
	const char *root;        /* WEBDIR */
	const char *listen;      /* "127.0.0.1:PORT" (PORT may be 0) */
	const char *port_file;   /* write the bound port here, or NULL */
	const char *log;         /* request log, or NULL */
	const char *log_header;  /* a request header whose value ends each log line, or NULL */
	const char *pid_file;    /* or NULL */
	int background;          /* fork; return once the server answers */
	const char *archive_host;/* virtual host answering the CDX/capture API, or NULL */
	const char *search_host; /* virtual host answering /search, or NULL */
	double archive_rate;     /* archive requests per second before 429 (0 = no limit) */
	long archive_delay_ms;   /* the archive host answers this much later (0 = at once) */
	const char *tls_listen;  /* a second, HTTPS listener, or NULL */
	const char *tls_cert, *tls_key;   /* PEM files for it */
	const char *tls_port_file;
	int quiet;
} web_serve_opts;

typedef struct web_render_opts {
	const char *mind;        /* vmind-synth output directory */
	const char *out;         /* WEBDIR */
	uint64_t seed;
	double dead_share, moved_share, fault_share, decoy_share, robots_share;
	double archive_share;    /* share of dead pages with an archived capture */
	double search_share;     /* share of items republished elsewhere (search corpus) */
	int threads;
	long limit;              /* render at most this many items (0 = all) */
	int clean;
	int quiet;
} web_render_opts;

int web_serve(const web_serve_opts *o);
/* serve: sleep ms milliseconds, waking early once *stop (the server's
 * flag) is raised */
void web_nap_ms(const volatile sig_atomic_t *stop, long long ms);
int web_render(const web_render_opts *o);

/* ---- faults of routes.tsv (column 6) ---- */
enum web_fault_kind {
	WF_NONE = 0,
	WF_DELAY,        /* delay:MS */
	WF_DRIP,         /* drip:BYTES_PER_SEC */
	WF_RESET,        /* reset */
	WF_TRUNCATE,     /* truncate:BYTES */
	WF_BADLENGTH,    /* badlength:BYTES */
	WF_RETRY_AFTER,  /* retry-after:SECONDS[:N] */
	WF_HUGE,         /* huge:BYTES[:chunked] */
	WF_REDIRECT_LOOP /* redirect-loop */
};

typedef struct web_fault {
	int kind;
	long long a;     /* MS, BYTES_PER_SEC, BYTES, SECONDS */
	long long b;     /* retry-after: N (default 1, 0 = always); huge: 1 = chunked */
} web_fault;

/* Parse a fault column; 0 or -1 when the text is not a fault. */
int web_fault_parse(const char *text, web_fault *f);

/* Split line (modified in place, trailing \r\n removed) at tabs into at most
 * max fields; returns the number of fields. */
int web_split_tabs(char *line, char **fields, int max);

/* ---- deterministic random numbers ---- */
/* A stream of its own kind: each step adds the golden ratio to the state and
 * returns vm_mix64 of it (vm_mix64 adds it once more, so this is not
 * vm_splitmix64's sequence; the rendered webs depend on this one). */
typedef struct web_rng { uint64_t s; } web_rng;
static inline uint64_t web_rand(web_rng *r) { r->s += 0x9e3779b97f4a7c15ULL; return vm_mix64(r->s); }
static inline double web_unif(web_rng *r) { return (double)(web_rand(r) >> 11) / 9007199254740992.0; }
static inline int web_range(web_rng *r, int lo, int hi) /* [lo, hi] */
{ return lo + (int)(web_rand(r) % (uint64_t)(hi - lo + 1)); }

#endif
