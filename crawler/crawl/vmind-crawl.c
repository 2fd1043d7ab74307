/* vmind-crawl.c: vmind-crawl's command line over libcrawl (crawl.h): the
 * option table, the options parsed and checked into the run's settings, and
 * a main that opens the run, registers the news items of the given
 * news.tsv files, applies a reject file, works the items and tells how it
 * went (a progress line on a terminal, a summary, --stats-json). */
#include "config.h"
#include "crawler/lib/crawl.h"
#include "crawler/lib/crawl-image.h"
#include "crawler/lib/net.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/json.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/progress.h"
#include "vmind/lib/shard.h"
#include "vmind/lib/util.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#define DEFAULT_UA "vmind-crawl/" PACKAGE_VERSION " (+https://github.com/vmind/vmind; research crawler)"

enum {
	OPT_PER_HOST = 256, OPT_RETRIES, OPT_TIMEOUT, OPT_CONNECT_TIMEOUT, OPT_MAX_BYTES,
	OPT_MIN_SIZE, OPT_UA, OPT_IGNORE_ROBOTS, OPT_ALLOW_PRIVATE, OPT_CONNECT_TO,
	OPT_RETRY_FAILED, OPT_STATS_JSON, OPT_BATCH, OPT_MAX_PAGE_BYTES, OPT_THREADS,
	OPT_TIERS, OPT_ARCHIVE, OPT_ARCHIVE_PARALLEL, OPT_SEARCH, OPT_SEARCH_HINT, OPT_MIN_SIM, OPT_MIN_MARGIN,
	OPT_URL_GOOGLE, OPT_URL_BRAVE, OPT_PLACEHOLDER, OPT_REJECT, OPT_SHARD, OPT_SHARDS, OPT_NO_ARCHIVE
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
	{ "tiers", OPT_TIERS, required_argument, "LIST", "tiers to run, in order (default: origin, archive, then search with --search)" },
	{ "archive", OPT_ARCHIVE, required_argument, "URL", "Wayback-style archive server (default https://web.archive.org)" },
	{ "no-archive", OPT_NO_ARCHIVE, no_argument, NULL, "leave the archive tier out of the default tiers" },
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

/* The command line, parsed. */
typedef struct args {
	vm_cli cli;
	crawl_settings set;
	const char *tiers;          /* --tiers, or NULL */
	int archive_given, no_archive;
	const char *url_google, *url_brave;
	const char *reject_file, *stats_json, *shard_spec;
	long shards;
	crawl_connect_to *ct;       /* [nct], --connect-to */
	size_t nct;
	int quiet;
	char **news;                /* [nnews], the news.tsv files */
	int nnews;
} args;

static void set_defaults(args *a)
{
	crawl_settings *s = &a->set;
	memset(a, 0, sizeof *a);
	a->cli = (vm_cli){
		.synopsis = "vmind-crawl --db FILE --out DIR [options] NEWS.tsv...",
		.summary = "Find and fetch the cover image of every news item, politely, safely and resumably.",
		.options = options,
		.footer = "Exit status: 0 every item was worked, 1 some items failed, 2 usage or set-up error.\n",
	};
	s->fetch.parallel = 64;
	s->fetch.per_host = 8;
	s->fetch.retries = 3;
	s->fetch.timeout = 30;
	s->fetch.connect_timeout = 10;
	s->fetch.user_agent = DEFAULT_UA;
	s->fetch.robots_agent = "vmind-crawl";
	s->o.max_bytes = 16777216;
	s->o.max_page_bytes = 2097152;
	s->o.min_size = 64;
	s->o.archive = "https://web.archive.org";
	s->o.archive_parallel = 4;
	s->o.min_similarity = 0.7;
	s->o.min_margin = 0.1;
	s->batch = 200;
	s->threads = 2;
}

/* An option whose value is checked as it is read. */
static void checked_option(args *a, int c, const char *arg)
{
	crawl_settings *s = &a->set;
	switch (c) {
	case OPT_CONNECT_TO:
		a->ct = xrealloc(a->ct, (a->nct + 1) * sizeof *a->ct);
		if (crawl_connect_to_parse(arg, &a->ct[a->nct]) != 0)
			vm_cli_usage_error(&a->cli, "--connect-to: '%s' is not HOST:PORT:HOST2:PORT2", arg);
		a->nct++;
		break;
	case OPT_ARCHIVE:
		if (strncmp(arg, "http://", 7) != 0 && strncmp(arg, "https://", 8) != 0)
			vm_cli_usage_error(&a->cli, "--archive: '%s' is not an http(s) URL", arg);
		s->o.archive = arg;
		a->archive_given = 1;
		break;
	case OPT_SEARCH_HINT:
		if (strcmp(arg, "category") != 0)
			vm_cli_usage_error(&a->cli, "--search-hint: only 'category' is known");
		s->o.search_hint_category = 1;
		break;
	case OPT_PLACEHOLDER:
		if (strcmp(arg, "white") != 0)
			vm_cli_usage_error(&a->cli, "--placeholder: only 'white' is known");
		s->placeholder = 1;
		break;
	case OPT_SEARCH: add_backend(&a->cli, &s->o, arg); break;
	}
}

static void parse_options(args *a, int argc, char **argv)
{
	crawl_settings *s = &a->set;
	int c;
	while ((c = vm_cli_next(&a->cli, argc, argv)) != -1) {
		switch (c) {
		case 'd': s->db_path = optarg; break;
		case 'o': s->o.out_dir = optarg; break;
		case 'j': s->fetch.parallel = (int)vm_cli_int("parallel", optarg, 1, 10000); break;
		case OPT_PER_HOST: s->fetch.per_host = (int)vm_cli_int("per-host", optarg, 1, 1000); break;
		case OPT_RETRIES: s->fetch.retries = (int)vm_cli_int("retries", optarg, 0, 100); break;
		case OPT_TIMEOUT: s->fetch.timeout = vm_cli_double("timeout", optarg, 0.001, 86400); break;
		case OPT_CONNECT_TIMEOUT: s->fetch.connect_timeout = vm_cli_double("connect-timeout", optarg, 0.001, 86400); break;
		case OPT_MAX_BYTES: s->o.max_bytes = (size_t)vm_cli_int("max-bytes", optarg, 1, (long long)1 << 40); break;
		case OPT_MAX_PAGE_BYTES: s->o.max_page_bytes = (size_t)vm_cli_int("max-page-bytes", optarg, 1024, (long long)1 << 32); break;
		case OPT_MIN_SIZE: s->o.min_size = (int)vm_cli_int("min-size", optarg, 1, 100000); break;
		case OPT_UA: s->fetch.user_agent = optarg; break;
		case OPT_IGNORE_ROBOTS: s->fetch.ignore_robots = 1; break;
		case OPT_ALLOW_PRIVATE: s->fetch.allow_private = 1; break;
		case OPT_RETRY_FAILED: s->retry_failed = 1; break;
		case OPT_TIERS: a->tiers = optarg; break;
		case OPT_NO_ARCHIVE: a->no_archive = 1; break;
		case OPT_ARCHIVE_PARALLEL: s->o.archive_parallel = (int)vm_cli_int("archive-parallel", optarg, 1, 1000); break;
		case OPT_MIN_SIM: s->o.min_similarity = vm_cli_double("min-similarity", optarg, 0, 1); break;
		case OPT_MIN_MARGIN: s->o.min_margin = vm_cli_double("min-margin", optarg, 0, 1); break;
		case OPT_URL_GOOGLE: a->url_google = optarg; break;
		case OPT_URL_BRAVE: a->url_brave = optarg; break;
		case OPT_REJECT: a->reject_file = optarg; break;
		case OPT_SHARD: a->shard_spec = optarg; break;
		case OPT_SHARDS: a->shards = (long)vm_cli_int("shards", optarg, 1, 1000000); break;
		case OPT_STATS_JSON: a->stats_json = optarg; break;
		case OPT_THREADS: s->threads = (int)vm_cli_int("threads", optarg, 0, 64); break;
		case OPT_BATCH: s->batch = (int)vm_cli_int("batch", optarg, 1, 1000000); break;
		case 'q': a->quiet = 1; break;
		default: checked_option(a, c, optarg);
		}
	}
	a->news = argv + optind;
	a->nnews = argc - optind;
}

/* --tiers (or the default: origin, then archive unless --no-archive, then
 * search with --search) into set.tiers. The archive is on by default: the
 * MIND article URLs have answered 404 since 2023, so a crawl of the origin
 * alone finds almost nothing. */
static void choose_tiers(args *a)
{
	crawl_settings *s = &a->set;
	char tiers_default[64], *list, *save = NULL;
	if (a->no_archive && (a->archive_given || (a->tiers && strstr(a->tiers, "archive"))))
		vm_cli_usage_error(&a->cli, "--no-archive contradicts %s", a->archive_given ? "--archive" : "--tiers");
	snprintf(tiers_default, sizeof tiers_default, "origin%s%s", a->no_archive ? "" : ",archive",
	         s->o.nsearch ? ",search" : "");
	list = xstrdup(a->tiers ? a->tiers : tiers_default);
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const crawl_tier *tier = strcmp(t, "origin") == 0 ? &crawl_tier_origin
			: strcmp(t, "archive") == 0 ? &crawl_tier_archive
			: strcmp(t, "search") == 0 ? &crawl_tier_search : NULL;
		if (!tier)
			vm_cli_usage_error(&a->cli, "--tiers: unknown tier '%s' (origin, archive, search)", t);
		for (int k = 0; k < s->ntiers; k++)
			if (s->tiers[k] == tier)
				vm_cli_usage_error(&a->cli, "--tiers: '%s' given twice", t);
		if (tier == &crawl_tier_search && s->o.nsearch == 0)
			vm_cli_usage_error(&a->cli, "--tiers: the search tier needs a backend (--search searx:URL, "
			                   "google-cse or brave)");
		s->tiers[s->ntiers++] = tier;
	}
	free(list);
	if (s->ntiers == 0)
		vm_cli_usage_error(&a->cli, "--tiers: no tier to run");
}

static void check_options(args *a)
{
	crawl_settings *s = &a->set;
	char err[512];
	if (!s->db_path)
		vm_cli_usage_error(&a->cli, "--db FILE is required");
	if (!s->o.out_dir)
		vm_cli_usage_error(&a->cli, "--out DIR is required");
	if (a->nnews <= 0)
		vm_cli_usage_error(&a->cli, "no NEWS.tsv given");
	for (int k = 0; k < s->o.nsearch; k++) {   /* --search-url-* for tests */
		struct crawl_search_backend *b = &s->o.search[k];
		const char *u = strcmp(b->kind, "google-cse") == 0 ? a->url_google
			: strcmp(b->kind, "brave") == 0 ? a->url_brave : NULL;
		if (u) {
			free(b->url);
			b->url = xstrdup(u);
		}
	}
	choose_tiers(a);
	if (vm_shard_resolve(a->shard_spec, a->shards, &s->shard, err, sizeof err) != 0)
		vm_cli_usage_error(&a->cli, "%s", err);
	if (a->shard_spec && a->shards > 0 && (long)s->shard.count != a->shards)
		vm_cli_usage_error(&a->cli, "--shard %s disagrees with --shards %ld", a->shard_spec, a->shards);
	s->fetch.connect_to = a->ct;
	s->fetch.n_connect_to = a->nct;
}

/* Every news.tsv read once, strictly, before anything is created: an input
 * error (a missing column, a binary file) exits 2 naming FILE:LINE and
 * leaves no database, -wal, -shm nor raw/ behind. */
static void check_news(const args *a)
{
	for (int i = 0; i < a->nnews; i++) {
		if (strcmp(a->news[i], "-") == 0)
			continue;   /* standard input is read once, by crawl_register */
		vm_mind_reader *r = vm_mind_open(a->news[i], 0);
		vm_news row;
		int got;
		if (!r)
			exit(VM_EXIT_USAGE);   /* vm_mind_open said why */
		while ((got = vm_news_next(r, &row)) == VM_MIND_ROW)
			;
		if (got == VM_MIND_ERROR)
			vm_die("%s", vm_mind_error(r));
		vm_mind_close(r);
	}
}

static void free_args(args *a)
{
	for (size_t i = 0; i < a->nct; i++)
		crawl_connect_to_free(&a->ct[i]);
	free(a->ct);
	for (int k = 0; k < a->set.o.nsearch; k++) {
		free(a->set.o.search[k].url);
		free(a->set.o.search[k].key);
		free(a->set.o.search[k].cx);
	}
	vm_cli_free(&a->cli);
}

static void start_libraries(const char *argv0)
{
	signal(SIGPIPE, SIG_IGN);
	crawl_image_init(argv0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		vm_die("libcurl could not be initialised");
}

static void reject_picks(crawl_ctx *C, const args *a)
{
	long n = crawl_apply_rejects(C, a->reject_file);
	if (!a->quiet)
		fprintf(stderr, "%s: %ld pick%s rejected\n", vm_progname, n, n == 1 ? "" : "s");
}

/* The progress line, and what a signal says (vmind/lib/progress.h). */
static void draw_progress(vm_progress *P, crawl_ctx *C, int force)
{
	crawl_stats st;
	char detail[128];
	crawl_get_stats(C, &st);
	if (P->total != st.total)
		P->total = st.total;
	snprintf(detail, sizeof detail, "image %llu, no-image %llu, failed %llu",
	         (unsigned long long)(st.image - st.by_tier[3]), (unsigned long long)st.no_image,
	         (unsigned long long)st.failed);
	vm_progress_update(P, st.worked, detail, force);
}

/* Work every item; returns the seconds it took. */
static double work(crawl_ctx *C, const args *a)
{
	vm_progress P;
	crawl_stats st;
	crawl_get_stats(C, &st);
	vm_progress_start(&P, "items", 0, st.total, a->quiet, NULL);
	double t0 = vm_now();
	while (crawl_step(C))
		draw_progress(&P, C, 0);
	double secs = vm_now() - t0;
	vm_progress_end(&P);
	return secs;
}

/* More than the origin tier (or a placeholder) in this run? */
static int more_tiers(const crawl_settings *s)
{
	return s->ntiers > 1 || s->tiers[0] != &crawl_tier_origin || s->placeholder;
}

/* x rounded to `places` decimals, as the counters were always written. */
static double rounded(double x, int places)
{
	double scale = pow(10, places);
	return round(x * scale) / scale;
}

static void write_stats(const char *path, const crawl_stats *st, double secs, int by_tier)
{
	cJSON *root = cJSON_CreateObject(), *by;
	vm_json_add_int(root, "total", (long long)st->total);
	vm_json_add_int(root, "worked", (long long)st->worked);
	vm_json_add_int(root, "image", (long long)(st->image - st->by_tier[3]));   /* as vmind-stats counts */
	vm_json_add_int(root, "placeholder", (long long)st->by_tier[3]);
	vm_json_add_int(root, "no_image", (long long)st->no_image);
	vm_json_add_int(root, "failed", (long long)st->failed);
	vm_json_add_int(root, "requests", (long long)st->fetch.requests);
	vm_json_add_int(root, "retries", (long long)st->fetch.retries);
	vm_json_add_int(root, "robots_fetched", (long long)st->fetch.robots_fetched);
	vm_json_add_int(root, "bytes", (long long)st->fetch.bytes);
	vm_json_add_num(root, "seconds", rounded(secs, 3));
	vm_json_add_num(root, "news_per_second", rounded(secs > 0 ? st->worked / secs : 0.0, 2));
	vm_json_add_num(root, "requests_per_second", rounded(secs > 0 ? st->fetch.requests / secs : 0.0, 2));
	by = cJSON_AddObjectToObject(root, "failed_by_class");
	for (int k = 0; k < st->nfail_class; k++)
		vm_json_add_int(by, st->fail_class[k].cls, (long long)st->fail_class[k].n);
	if (by_tier) {
		cJSON *tiers = cJSON_AddObjectToObject(root, "tiers");
		for (int k = 0; k < 4; k++)
			vm_json_add_int(tiers, crawl_image_tiers[k], (long long)st->by_tier[k]);
	}
	if (vm_json_write_file(path, root, 1) != 0)
		vm_warn_errno("%s", path);
	cJSON_Delete(root);
}

/* The summary; placeholders are not images (as vmind-stats counts). */
static void print_summary(const crawl_stats *st, double secs, int by_tier)
{
	fprintf(stderr, "%s: %llu items worked in %.1f s (%.1f/s): %llu image", vm_progname,
	        (unsigned long long)st->worked, secs, secs > 0 ? st->worked / secs : 0.0,
	        (unsigned long long)(st->image - st->by_tier[3]));
	if (by_tier)
		fprintf(stderr, " (origin %llu, archive %llu, search %llu), %llu placeholder",
		        (unsigned long long)st->by_tier[0], (unsigned long long)st->by_tier[1],
		        (unsigned long long)st->by_tier[2], (unsigned long long)st->by_tier[3]);
	fprintf(stderr, ", %llu no-image, %llu failed; %llu requests\n", (unsigned long long)st->no_image,
	        (unsigned long long)st->failed, (unsigned long long)st->fetch.requests);
}

int main(int argc, char **argv)
{
	args a;
	crawl_ctx *C;
	crawl_stats st;
	int rc;

	vm_set_progname(argv[0]);
	set_defaults(&a);
	parse_options(&a, argc, argv);
	check_options(&a);
	check_news(&a);
	start_libraries(argv[0]);
	C = crawl_open(&a.set);
	crawl_register(C, a.news, a.nnews);
	if (a.reject_file)
		reject_picks(C, &a);
	crawl_start(C);
	double secs = work(C, &a);
	crawl_get_stats(C, &st);
	if (a.stats_json)
		write_stats(a.stats_json, &st, secs, more_tiers(&a.set));
	rc = crawl_failed_items(C) > 0 ? VM_EXIT_ITEMS : VM_EXIT_OK;
	if (!a.quiet)
		print_summary(&st, secs, more_tiers(&a.set));
	crawl_close(C);
	free_args(&a);
	curl_global_cleanup();
	return rc;
}
