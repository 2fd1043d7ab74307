/* vmind-stats.c: vmind-stats, the paper's Table 1 for a MIND copy. One streaming
 * pass over the news and behaviors files (checked strictly by the mind.h
 * readers) counts the distinct news ids and user ids; the IM-MIND row comes
 * from the published image list (.npy or text), the V-MIND row from the
 * provenance database's `image` table. Big files are cut at line boundaries
 * into chunks that two threads read at once; each thread keeps its own id
 * bitmaps, merged at the end, and messages of bad lines are renumbered to
 * their line in the whole file, so the output is the same as one sequential
 * pass. Formats: aligned text, markdown, CSV, JSON; --paper adds the paper's
 * figures and the differences; --duplicates lists groups of shared images
 * (vmind/lib/dupes.h). */
#include "config.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/db.h"
#include "vmind/lib/dupes.h"
#include "vmind/lib/json.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/npy.h"
#include "vmind/lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	OPT_NEWS = 256, OPT_BEHAVIORS, OPT_DB, OPT_IM_MIND, OPT_PAPER, OPT_FORMAT,
	OPT_LENIENT, OPT_DUPLICATES, OPT_MAX_DISTANCE
};

static const vm_option options[] = {
	{ "news", OPT_NEWS, required_argument, "FILE", "a MIND news.tsv (repeat for each split)" },
	{ "behaviors", OPT_BEHAVIORS, required_argument, "FILE", "a MIND behaviors.tsv (repeat for each split)" },
	{ "db", OPT_DB, required_argument, "FILE", "provenance database: add the V-MIND row" },
	{ "im-mind", OPT_IM_MIND, required_argument, "FILE", "IM-MIND image list (.npy or one id a line): add the IM-MIND row" },
	{ "paper", OPT_PAPER, no_argument, NULL, "show the paper's Table 1 figures and the differences" },
	{ "format", OPT_FORMAT, required_argument, "FMT", "text (default), md, csv or json" },
	{ "lenient", OPT_LENIENT, no_argument, NULL, "skip bad lines, count them and report them at the end" },
	{ "duplicates", OPT_DUPLICATES, no_argument, NULL, "with --db: list groups of news sharing an image" },
	{ "max-distance", OPT_MAX_DISTANCE, required_argument, "N", "with --duplicates: pHash bits that may differ (default 4)" },
	{ NULL, 0, 0, NULL, NULL }
};

/* ---- sets of ids: a bitmap for the usual small numbers, a hash set above ---- */

#define BITMAP_LIMIT (1u << 26)   /* 8 MiB of bitmap at most */

typedef struct idset {
	uint64_t *bits;
	size_t nwords;
	vm_u64set big;
} idset;

static void idset_init(idset *s)
{
	s->bits = NULL;
	s->nwords = 0;
	vm_u64set_init(&s->big);
}

static void idset_free(idset *s)
{
	free(s->bits);
	vm_u64set_free(&s->big);
}

static void idset_grow(idset *s, size_t w)
{
	size_t n = s->nwords ? s->nwords : 1024;
	while (n <= w)
		n *= 2;
	s->bits = xrealloc(s->bits, n * sizeof *s->bits);
	memset(s->bits + s->nwords, 0, (n - s->nwords) * sizeof *s->bits);
	s->nwords = n;
}

static inline void idset_add(idset *s, uint32_t v)
{
	if (v < BITMAP_LIMIT) {
		size_t w = v >> 6;
		if (w >= s->nwords)
			idset_grow(s, w);
		s->bits[w] |= 1ull << (v & 63);
	} else {
		vm_u64set_add(&s->big, (uint64_t)v + 1);
	}
}

static int idset_has(const idset *s, uint32_t v)
{
	if (v < BITMAP_LIMIT) {
		size_t w = v >> 6;
		return w < s->nwords && (s->bits[w] >> (v & 63)) & 1;
	}
	return vm_u64set_has(&s->big, (uint64_t)v + 1);
}

static void idset_merge(idset *dst, const idset *src)
{
	if (src->nwords > dst->nwords)
		idset_grow(dst, src->nwords - 1);
	for (size_t i = 0; i < src->nwords; i++)
		dst->bits[i] |= src->bits[i];
	for (size_t i = 0; i < src->big.cap; i++)
		if (src->big.slots[i])
			vm_u64set_add(&dst->big, src->big.slots[i]);
}

static uint64_t idset_count(const idset *s)
{
	uint64_t n = s->big.count;
	for (size_t i = 0; i < s->nwords; i++)
		n += (uint64_t)__builtin_popcountll(s->bits[i]);
	return n;
}

/* MSN-style ids ("AAGH0ET", up to 8 letters and digits) packed in 64 bits;
 * 0 when s is not one. */
static uint64_t msn_key(const char *s, size_t len)
{
	uint64_t k = 0;
	if (len == 0 || len > 8)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]))
			return 0;
		k = (k << 8) | (unsigned char)s[i];
	}
	return k;
}

/* The MSN id of a MIND URL: ".../AAGH0ET.html" or ".../ar-AAGH0ET?ocid=..." */
static uint64_t msn_key_of_url(const char *url)
{
	const char *q = strchr(url, '?'), *e = q ? q : url + strlen(url), *b = e;
	while (b > url && b[-1] != '/')
		b--;
	if (e - b > 5 && memcmp(e - 5, ".html", 5) == 0)
		e -= 5;
	if (e - b > 3 && b[2] == '-' && (memcmp(b, "ar", 2) == 0 || memcmp(b, "vi", 2) == 0 ||
	                                 memcmp(b, "ss", 2) == 0))
		b += 3;
	return msn_key(b, (size_t)(e - b));
}

/* ---- the pass over the MIND files ---- */

enum { KIND_NEWS, KIND_BEHAVIORS };

typedef struct source {
	const char *path;
	int kind;
	uint64_t skipped;
} source;

typedef struct chunk {
	int src;
	int whole;            /* read with vm_mind_open (stdin, pipes) */
	uint64_t off, len;
	/* results */
	int status;           /* 0 good, 1 bad line (strict), 2 I/O or open error */
	uint64_t lines, skipped;
	uint64_t err_line;
	char *err_msg;        /* without "FILE:LINE: " */
	size_t nkept;
	uint64_t kept_line[VM_MIND_KEPT_ERRORS];
	char *kept_msg[VM_MIND_KEPT_ERRORS];
} chunk;

typedef struct pass {
	source *srcs;
	size_t nsrcs;
	chunk *chunks;
	size_t nchunks;
	int flags;
	int want_msn;
	atomic_size_t next;
	atomic_size_t first_bad;   /* index of the first chunk known bad (strict) */
} pass;

typedef struct worker {
	pass *p;
	pthread_t tid;
	idset news, users;
	vm_u64set msn;
} worker;

static void run_chunk(worker *w, chunk *c)
{
	pass *p = w->p;
	const source *s = &p->srcs[c->src];
	vm_mind_reader *r;
	int rc;
	r = c->whole ? vm_mind_open(s->path, p->flags) : vm_mind_open_range(s->path, p->flags, c->off, c->len);
	if (!r) {
		c->status = 2;
		c->err_msg = xasprintf("%s: cannot open", s->path);
		return;
	}
	if (s->kind == KIND_NEWS) {
		vm_news row;
		while ((rc = vm_news_next(r, &row)) == VM_MIND_ROW) {
			idset_add(&w->news, row.num);
			if (p->want_msn) {
				uint64_t k = msn_key_of_url(row.url);
				if (k)
					vm_u64set_add(&w->msn, k);
			}
		}
	} else {
		vm_behavior row;
		idset *users = &w->users;
		while ((rc = vm_behavior_next(r, &row)) == VM_MIND_ROW)
			idset_add(users, row.user_num);
	}
	if (rc == VM_MIND_ERROR) {
		c->err_line = vm_mind_error_lineno(r);
		c->status = c->err_line ? 1 : 2;
		c->err_msg = xstrdup(c->err_line ? vm_mind_error_message(r) : vm_mind_error(r));
	}
	c->lines = vm_mind_lineno(r);
	c->skipped = vm_mind_skipped(r);
	c->nkept = vm_mind_kept_errors(r, NULL);
	for (size_t i = 0; i < c->nkept; i++) {
		const char *m;
		vm_mind_kept_error_detail(r, i, &c->kept_line[i], &m);
		c->kept_msg[i] = xstrdup(m);
	}
	vm_mind_close(r);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	pass *p = w->p;
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->nchunks)
			break;
		if (i > atomic_load(&p->first_bad))
			continue;   /* after a bad line in strict mode: not needed */
		run_chunk(w, &p->chunks[i]);
		if (p->chunks[i].status) {
			size_t cur = atomic_load(&p->first_bad);
			while (i < cur && !atomic_compare_exchange_weak(&p->first_bad, &cur, i))
				;
		}
	}
	return NULL;
}

/* The first line start at or after pos: 0, or just past a '\n', or size. */
static uint64_t line_start_at(int fd, uint64_t pos, uint64_t size)
{
	char buf[1 << 16];
	uint64_t at;
	if (pos == 0)
		return 0;
	at = pos - 1;
	while (at < size) {
		size_t want = size - at < sizeof buf ? (size_t)(size - at) : sizeof buf;
		ssize_t n = pread(fd, buf, want, (off_t)at);
		char *q;
		if (n <= 0)
			return size;
		q = memchr(buf, '\n', (size_t)n);
		if (q)
			return at + (uint64_t)(q - buf) + 1;
		at += (uint64_t)n;
	}
	return size;
}

static void add_chunk(pass *p, size_t *cap, int src, int whole, uint64_t off, uint64_t len)
{
	chunk *c;
	if (p->nchunks == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		p->chunks = xrealloc(p->chunks, *cap * sizeof *p->chunks);
	}
	c = &p->chunks[p->nchunks++];
	memset(c, 0, sizeof *c);
	c->src = src;
	c->whole = whole;
	c->off = off;
	c->len = len;
}

/* Cut every file into chunks of about chunk_size bytes at line starts.
 * -1 (after a message) when a file can't be opened. */
static int plan_chunks(pass *p, uint64_t chunk_size)
{
	size_t cap = 0;
	for (size_t i = 0; i < p->nsrcs; i++) {
		const char *path = p->srcs[i].path;
		struct stat st;
		uint64_t prev = 0, size;
		int fd;
		if (strcmp(path, "-") == 0) {
			add_chunk(p, &cap, (int)i, 1, 0, UINT64_MAX);
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			vm_warn_errno("%s", path);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			add_chunk(p, &cap, (int)i, 1, 0, UINT64_MAX);
			continue;
		}
		size = (uint64_t)st.st_size;
		for (uint64_t cand = chunk_size; cand < size; cand += chunk_size) {
			uint64_t b = line_start_at(fd, cand, size);
			if (b <= prev || b >= size)
				continue;
			add_chunk(p, &cap, (int)i, 0, prev, b - prev);
			prev = b;
			if (cand < b)
				cand = b - b % chunk_size;   /* a very long line: go on after it */
		}
		add_chunk(p, &cap, (int)i, 0, prev, size - prev);
		close(fd);
	}
	return 0;
}

/* Report the pass: the first bad line in strict mode (returns 2), or the
 * lenient report (returns 1 when lines were skipped, else 0). */
static int report_pass(pass *p)
{
	size_t shown = 0, total_kept = 0;
	uint64_t base = 0, skipped = 0;
	int prev_src = -1;
	for (size_t i = 0; i < p->nchunks; i++) {
		chunk *c = &p->chunks[i];
		const source *s = &p->srcs[c->src];
		if (c->src != prev_src)
			base = 0;
		prev_src = c->src;
		if (c->status == 1) {
			vm_warn("%s:%llu: %s", s->path, (unsigned long long)(base + c->err_line), c->err_msg);
			return VM_EXIT_USAGE;
		}
		if (c->status == 2) {
			vm_warn("%s", c->err_msg);
			return VM_EXIT_USAGE;
		}
		for (size_t k = 0; k < c->nkept; k++, total_kept++) {
			if (shown < VM_MIND_KEPT_ERRORS) {
				vm_warn("%s:%llu: %s", s->path, (unsigned long long)(base + c->kept_line[k]),
				        c->kept_msg[k]);
				shown++;
			}
		}
		total_kept += c->skipped > c->nkept ? c->skipped - c->nkept : 0;
		p->srcs[c->src].skipped += c->skipped;
		base += c->lines;
	}
	for (size_t i = 0; i < p->nsrcs; i++) {
		if (p->srcs[i].skipped) {
			vm_warn("%s: %llu bad line%s skipped", p->srcs[i].path,
			        (unsigned long long)p->srcs[i].skipped, p->srcs[i].skipped == 1 ? "" : "s");
			skipped += p->srcs[i].skipped;
		}
	}
	if (total_kept > shown)
		vm_warn("only the first %zu messages are shown", shown);
	return skipped ? VM_EXIT_ITEMS : VM_EXIT_OK;
}

/* ---- the IM-MIND list ---- */

typedef struct im_list {
	vm_u64set nums;     /* news number + 1 */
	vm_u64set msn;      /* MSN ids */
	uint64_t entries;
} im_list;

static int im_add(im_list *l, const char *id, size_t len)
{
	uint32_t num;
	uint64_t k;
	l->entries++;
	if (vm_parse_news_id(id, len, &num) == 0) {
		vm_u64set_add(&l->nums, (uint64_t)num + 1);
		return 0;
	}
	if ((k = msn_key(id, len)) != 0) {
		vm_u64set_add(&l->msn, k);
		return 0;
	}
	return -1;
}

static int has_npy_magic(const char *path)
{
	char m[6];
	FILE *f = fopen(path, "rb");
	int yes;
	if (!f)
		return 0;
	yes = fread(m, 1, 6, f) == 6 && memcmp(m, "\x93NUMPY", 6) == 0;
	fclose(f);
	return yes;
}

static int im_load_npy(im_list *l, const char *path)
{
	char err[512], q[64];
	vm_npy_strings s;
	int rc = 0;
	if (vm_npy_read_strings(path, &s, err, sizeof err) < 0) {
		vm_warn("%s", err);
		return -1;
	}
	for (size_t i = 0; i < s.count && rc == 0; i++) {
		if (im_add(l, s.items[i], strlen(s.items[i])) < 0) {
			snprintf(q, sizeof q, "%s", s.items[i]);
			vm_warn("%s: entry %zu: bad news id '%s'", path, i + 1, q);
			rc = -1;
		}
	}
	vm_npy_strings_free(&s);
	return rc;
}

/* One id a line; blank lines and the spaces around an id are ignored. */
static int im_load_text(im_list *l, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, q[64];
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0;
	int rc = 0;
	if (!f) {
		vm_warn_errno("%s", path);
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		char *b = line, *e = line + n;
		lineno++;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (b < e && im_add(l, b, (size_t)(e - b)) < 0) {
			snprintf(q, sizeof q, "%.*s", (int)(e - b > 40 ? 40 : e - b), b);
			vm_warn("%s:%llu: bad news id '%s'", path, (unsigned long long)lineno, q);
			rc = -1;
		}
	}
	if (rc == 0 && ferror(f)) {
		vm_warn_errno("%s", path);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

/* Read the list (.npy or text); -1 after a message (nothing to free then). */
static int im_load(im_list *l, const char *path)
{
	int rc;
	vm_u64set_init(&l->nums);
	vm_u64set_init(&l->msn);
	l->entries = 0;
	rc = has_npy_magic(path) ? im_load_npy(l, path) : im_load_text(l, path);
	if (rc < 0) {
		vm_u64set_free(&l->nums);
		vm_u64set_free(&l->msn);
	}
	return rc;
}

/* ---- the table ---- */

typedef struct row {
	const char *dataset;
	uint64_t news, users, images;
	double image_rate, origin_rate;
	/* extras */
	int has_list;
	uint64_t listed;          /* IM-MIND: distinct ids in the list */
	int has_tiers;
	uint64_t tiers[4];        /* V-MIND: origin, archive, search, placeholder */
	uint64_t outside;         /* V-MIND: image rows of news not in the news files */
	/* the paper's figures */
	uint64_t p_news, p_users, p_images;
	double p_image_rate, p_origin_rate;
} row;

static const char *const tier_names[4] = { "origin", "archive", "search", "placeholder" };

static void set_paper(row *r, int which)
{
	/* Table 1 of the paper (doc/external.md section 1) */
	r->p_news = 130379;
	r->p_users = 876956;
	switch (which) {
	case 0: r->p_images = 0; r->p_image_rate = 0; r->p_origin_rate = 0; break;
	case 1: r->p_images = 54421; r->p_image_rate = 0.4174; r->p_origin_rate = 0.4174; break;
	default: r->p_images = 130379; r->p_image_rate = 1.0; r->p_origin_rate = 0.9892; break;
	}
}

static char *commas(char *buf, size_t len, long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%lld", v < 0 ? -v : v), o = 0;
	if (v < 0)
		buf[o++] = '-';
	for (int i = 0; i < n && (size_t)o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static char *signed_commas(char *buf, size_t len, long long v)
{
	if (v > 0) {
		buf[0] = '+';
		commas(buf + 1, len - 1, v);
		return buf;
	}
	return commas(buf, len, v);
}

typedef struct cells { char c[6][48]; } cells;

static void cells_measured(cells *x, const char *name, uint64_t news, uint64_t users, uint64_t images,
                           double ir, double orr)
{
	snprintf(x->c[0], sizeof x->c[0], "%s", name);
	commas(x->c[1], sizeof x->c[1], (long long)news);
	commas(x->c[2], sizeof x->c[2], (long long)users);
	commas(x->c[3], sizeof x->c[3], (long long)images);
	snprintf(x->c[4], sizeof x->c[4], "%.2f%%", 100 * ir);
	snprintf(x->c[5], sizeof x->c[5], "%.2f%%", 100 * orr);
}

static void cells_diff(cells *x, const char *name, const row *r)
{
	snprintf(x->c[0], sizeof x->c[0], "%s", name);
	signed_commas(x->c[1], sizeof x->c[1], (long long)r->news - (long long)r->p_news);
	signed_commas(x->c[2], sizeof x->c[2], (long long)r->users - (long long)r->p_users);
	signed_commas(x->c[3], sizeof x->c[3], (long long)r->images - (long long)r->p_images);
	snprintf(x->c[4], sizeof x->c[4], "%+.2fpp", 100 * (r->image_rate - r->p_image_rate));
	snprintf(x->c[5], sizeof x->c[5], "%+.2fpp", 100 * (r->origin_rate - r->p_origin_rate));
}

static size_t table_cells(const row *rows, size_t nrows, int paper, cells **out)
{
	cells *t = xcalloc(1 + nrows * 3, sizeof *t);
	size_t n = 0;
	static const char *const head[6] = { "Dataset", "News", "Users", "Images", "Image rate", "Origin rate" };
	for (int k = 0; k < 6; k++)
		snprintf(t[0].c[k], sizeof t[0].c[k], "%s", head[k]);
	n = 1;
	for (size_t i = 0; i < nrows; i++) {
		const row *r = &rows[i];
		char name[48];
		cells_measured(&t[n++], r->dataset, r->news, r->users, r->images, r->image_rate, r->origin_rate);
		if (paper) {
			snprintf(name, sizeof name, "%s (paper)", r->dataset);
			cells_measured(&t[n++], name, r->p_news, r->p_users, r->p_images, r->p_image_rate, r->p_origin_rate);
			snprintf(name, sizeof name, "%s (diff)", r->dataset);
			cells_diff(&t[n++], name, r);
		}
	}
	*out = t;
	return n;
}

static void notes(FILE *out, const row *rows, size_t nrows, int md)
{
	char a[32], b[32], c[32], d[32], e[32];
	for (size_t i = 0; i < nrows; i++) {
		const row *r = &rows[i];
		if (r->has_list)
			fprintf(out, "%s%s: %s distinct ids listed, %s of them among the news\n", md ? "\n" : "",
			        r->dataset, commas(a, sizeof a, (long long)r->listed),
			        commas(b, sizeof b, (long long)r->images));
		if (r->has_tiers) {
			fprintf(out, "%s%s images by tier: origin (live) %s, archive %s, search %s; "
			        "placeholder %s (not counted as images)\n", md ? "\n" : "", r->dataset,
			        commas(a, sizeof a, (long long)r->tiers[0]), commas(b, sizeof b, (long long)r->tiers[1]),
			        commas(c, sizeof c, (long long)r->tiers[2]), commas(d, sizeof d, (long long)r->tiers[3]));
			if (r->outside)
				fprintf(out, "%s%s: %s image row(s) of news not in the news files ignored\n", md ? "\n" : "",
				        r->dataset, commas(e, sizeof e, (long long)r->outside));
		}
	}
}

static void print_text(FILE *out, const row *rows, size_t nrows, int paper, int md)
{
	cells *t;
	size_t n = table_cells(rows, nrows, paper, &t);
	size_t w[6] = { 0 };
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 6; k++)
			if (strlen(t[i].c[k]) > w[k])
				w[k] = strlen(t[i].c[k]);
	for (size_t i = 0; i < n; i++) {
		if (md) {
			fprintf(out, "| %s |", t[i].c[0]);
			for (int k = 1; k < 6; k++)
				fprintf(out, " %s |", t[i].c[k]);
			fputc('\n', out);
			if (i == 0)
				fprintf(out, "|---|---:|---:|---:|---:|---:|\n");
		} else {
			fprintf(out, "%-*s", (int)w[0], t[i].c[0]);
			for (int k = 1; k < 6; k++)
				fprintf(out, "  %*s", (int)w[k], t[i].c[k]);
			fputc('\n', out);
		}
	}
	free(t);
	notes(out, rows, nrows, md);
}

static void print_csv(FILE *out, const row *rows, size_t nrows, int paper)
{
	fprintf(out, "dataset,news,users,images,image_rate,origin_rate");
	if (paper)
		fprintf(out, ",paper_news,paper_users,paper_images,paper_image_rate,paper_origin_rate"
		        ",diff_news,diff_users,diff_images,diff_image_rate,diff_origin_rate");
	fputc('\n', out);
	for (size_t i = 0; i < nrows; i++) {
		const row *r = &rows[i];
		fprintf(out, "%s,%llu,%llu,%llu,%.6f,%.6f", r->dataset, (unsigned long long)r->news,
		        (unsigned long long)r->users, (unsigned long long)r->images, r->image_rate, r->origin_rate);
		if (paper)
			fprintf(out, ",%llu,%llu,%llu,%.6f,%.6f,%lld,%lld,%lld,%.6f,%.6f",
			        (unsigned long long)r->p_news, (unsigned long long)r->p_users,
			        (unsigned long long)r->p_images, r->p_image_rate, r->p_origin_rate,
			        (long long)r->news - (long long)r->p_news, (long long)r->users - (long long)r->p_users,
			        (long long)r->images - (long long)r->p_images, r->image_rate - r->p_image_rate,
			        r->origin_rate - r->p_origin_rate);
		fputc('\n', out);
	}
}

/* A fraction as JSON: the number "%.10g" writes, never NaN or -0. */
static void json_rate(cJSON *obj, const char *name, double v)
{
	if (v != v || v == 0)
		v = 0;
	vm_json_add_numf(obj, name, "%.10g", v);
}

static cJSON *json_counts(cJSON *obj, long long news, long long users, long long images,
                          double image_rate, double origin_rate)
{
	vm_json_add_int(obj, "news", news);
	vm_json_add_int(obj, "users", users);
	vm_json_add_int(obj, "images", images);
	json_rate(obj, "image_rate", image_rate);
	json_rate(obj, "origin_rate", origin_rate);
	return obj;
}

static cJSON *json_object(void)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		vm_die("out of memory (JSON)");
	return o;
}

static cJSON *json_row(const row *r, int paper)
{
	cJSON *o = json_object();
	vm_json_add_str(o, "dataset", r->dataset);
	json_counts(o, (long long)r->news, (long long)r->users, (long long)r->images, r->image_rate,
	            r->origin_rate);
	if (r->has_list)
		vm_json_add_int(o, "listed", (long long)r->listed);
	if (r->has_tiers) {
		cJSON *tiers = json_object();
		for (int k = 0; k < 4; k++)
			vm_json_add_int(tiers, tier_names[k], (long long)r->tiers[k]);
		cJSON_AddItemToObject(o, "tiers", tiers);
		vm_json_add_int(o, "placeholder", (long long)r->tiers[3]);
		vm_json_add_int(o, "outside", (long long)r->outside);
	}
	if (paper) {
		cJSON_AddItemToObject(o, "paper", json_counts(json_object(), (long long)r->p_news,
		                      (long long)r->p_users, (long long)r->p_images, r->p_image_rate,
		                      r->p_origin_rate));
		cJSON_AddItemToObject(o, "diff", json_counts(json_object(),
		                      (long long)r->news - (long long)r->p_news,
		                      (long long)r->users - (long long)r->p_users,
		                      (long long)r->images - (long long)r->p_images,
		                      r->image_rate - r->p_image_rate, r->origin_rate - r->p_origin_rate));
	}
	return o;
}

/* {"rows":[...]}, to which --duplicates adds its key. */
static cJSON *json_table(const row *rows, size_t nrows, int paper)
{
	cJSON *root = json_object(), *arr = cJSON_CreateArray();
	if (!arr)
		vm_die("out of memory (JSON)");
	cJSON_AddItemToObject(root, "rows", arr);
	for (size_t i = 0; i < nrows; i++)
		cJSON_AddItemToArray(arr, json_row(&rows[i], paper));
	return root;
}

/* ---- V-MIND ---- */

static int vmind_row(sqlite3 *db, const char *path, const idset *news, row *r)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (sqlite3_prepare_v2(db, "SELECT news_num, tier FROM image", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 num = sqlite3_column_int64(st, 0);
		const char *tier = (const char *)sqlite3_column_text(st, 1);
		int k;
		for (k = 0; k < 4; k++)
			if (tier && strcmp(tier, tier_names[k]) == 0)
				break;
		if (k == 4)
			continue;   /* the schema's CHECK makes this impossible */
		if (num < 0 || num > UINT32_MAX || !idset_has(news, (uint32_t)num)) {
			r->outside++;
			continue;
		}
		r->tiers[k]++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	r->has_tiers = 1;
	r->images = r->tiers[0] + r->tiers[1] + r->tiers[2];
	r->image_rate = r->news ? (double)r->images / (double)r->news : 0;
	r->origin_rate = r->news ? (double)(r->tiers[0] + r->tiers[1]) / (double)r->news : 0;
	return 0;
fail:
	vm_warn("%s: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

/* ---- the run ---- */

typedef struct stats {
	/* options */
	const char **news_files, **beh_files;
	size_t n_news, n_beh;
	const char *db_path, *im_path, *format;
	int paper, lenient, dupes;
	long long max_distance;
	/* inputs */
	sqlite3 *db;
	im_list list;
	int have_list;
	/* the pass and its per-thread sets (nsets of them initialised) */
	pass p;
	worker w[2];
	int nsets;
	/* the table */
	row rows[3];
	size_t nrows;
} stats;

static vm_cli cli = {
	.synopsis = "vmind-stats --news FILE [--news FILE...] --behaviors FILE [--behaviors FILE...] "
	            "[--db FILE] [--im-mind FILE] [--paper] [--format text|md|csv|json]",
	.summary = "Print Table 1 of the VLSNR paper (news, users, images, image and origin rates) for MIND files.",
	.options = options,
	.footer = "Exit status: 0 done, 1 bad lines were skipped (--lenient), 2 usage or input error.\n",
};

static void parse_options(stats *s, int argc, char **argv)
{
	int c;
	s->format = "text";
	s->max_distance = VM_DUPES_DEFAULT_DISTANCE;
	while ((c = vm_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_NEWS:
			s->news_files = xrealloc(s->news_files, (s->n_news + 1) * sizeof *s->news_files);
			s->news_files[s->n_news++] = optarg;
			break;
		case OPT_BEHAVIORS:
			s->beh_files = xrealloc(s->beh_files, (s->n_beh + 1) * sizeof *s->beh_files);
			s->beh_files[s->n_beh++] = optarg;
			break;
		case OPT_DB: s->db_path = optarg; break;
		case OPT_IM_MIND: s->im_path = optarg; break;
		case OPT_PAPER: s->paper = 1; break;
		case OPT_FORMAT: s->format = optarg; break;
		case OPT_LENIENT: s->lenient = 1; break;
		case OPT_DUPLICATES: s->dupes = 1; break;
		case OPT_MAX_DISTANCE: s->max_distance = vm_cli_int("max-distance", optarg, 0, 64); break;
		}
	}
	if (optind < argc)
		vm_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if (!s->n_news || !s->n_beh)
		vm_cli_usage_error(&cli, "give at least one --news and one --behaviors file");
	if (strcmp(s->format, "text") && strcmp(s->format, "md") && strcmp(s->format, "csv") &&
	    strcmp(s->format, "json"))
		vm_cli_usage_error(&cli, "--format: '%s' is not one of text, md, csv, json", s->format);
	if (s->dupes && !s->db_path)
		vm_cli_usage_error(&cli, "--duplicates needs --db");
	vm_cli_free(&cli);
}

/* Set-up errors before the long pass: the IM-MIND list and the database. */
static int open_inputs(stats *s)
{
	char err[512];
	if (s->im_path) {
		if (im_load(&s->list, s->im_path) < 0)
			return VM_EXIT_USAGE;
		s->have_list = 1;
	}
	if (s->db_path) {
		s->db = vm_db_open(s->db_path, VM_DB_READONLY, err, sizeof err);
		if (!s->db) {
			vm_warn("%s", err);
			return VM_EXIT_USAGE;
		}
	}
	return VM_EXIT_OK;
}

/* Run the workers over the chunks (on this thread and nthreads - 1 more)
 * and merge their sets into w[0]'s. */
static void run_workers(stats *s, int nthreads)
{
	for (int t = 0; t < nthreads; t++) {
		s->w[t].p = &s->p;
		idset_init(&s->w[t].news);
		idset_init(&s->w[t].users);
		vm_u64set_init(&s->w[t].msn);
		s->nsets = t + 1;
	}
	for (int t = 1; t < nthreads; t++)
		if (pthread_create(&s->w[t].tid, NULL, worker_main, &s->w[t]) != 0)
			vm_die("cannot start a thread");
	worker_main(&s->w[0]);
	for (int t = 1; t < nthreads; t++)
		pthread_join(s->w[t].tid, NULL);
	for (int t = 1; t < nthreads; t++) {
		idset_merge(&s->w[0].news, &s->w[t].news);
		idset_merge(&s->w[0].users, &s->w[t].users);
		for (size_t i = 0; i < s->w[t].msn.cap; i++)
			if (s->w[t].msn.slots[i])
				vm_u64set_add(&s->w[0].msn, s->w[t].msn.slots[i]);
	}
}

/* The pass over the MIND files: report_pass's status. VMIND_STATS_CHUNK
 * and VMIND_STATS_THREADS (tests) set the chunk size and the threads. */
static int run_pass(stats *s)
{
	uint64_t chunk_size = 8u << 20;   /* small enough to share the work out evenly */
	int nthreads = 2;
	const char *env;
	if ((env = getenv("VMIND_STATS_CHUNK")) != NULL)
		chunk_size = (uint64_t)vm_cli_int("VMIND_STATS_CHUNK", env, 1, INT64_MAX);
	if ((env = getenv("VMIND_STATS_THREADS")) != NULL)
		nthreads = (int)vm_cli_int("VMIND_STATS_THREADS", env, 1, 2);
	s->p.nsrcs = s->n_news + s->n_beh;
	s->p.srcs = xcalloc(s->p.nsrcs, sizeof *s->p.srcs);
	for (size_t i = 0; i < s->n_news; i++)
		s->p.srcs[i] = (source){ s->news_files[i], KIND_NEWS, 0 };
	for (size_t i = 0; i < s->n_beh; i++)
		s->p.srcs[s->n_news + i] = (source){ s->beh_files[i], KIND_BEHAVIORS, 0 };
	s->p.flags = VM_MIND_NO_LISTS | (s->lenient ? VM_MIND_LENIENT : 0);
	s->p.want_msn = s->have_list && s->list.msn.count > 0;
	if (plan_chunks(&s->p, chunk_size) < 0)
		return VM_EXIT_USAGE;
	atomic_init(&s->p.next, 0);
	atomic_init(&s->p.first_bad, SIZE_MAX);
	if ((size_t)nthreads > s->p.nchunks)
		nthreads = 1;
	run_workers(s, nthreads);
	return report_pass(&s->p);
}

/* IM-MIND: the listed ids that are among the news, by number or MSN id. */
static void im_mind_row(const stats *s, row *r)
{
	const vm_u64set *nums = &s->list.nums, *msn = &s->list.msn;
	*r = s->rows[0];
	r->dataset = "IM-MIND";
	r->has_list = 1;
	r->listed = nums->count + msn->count;
	for (size_t i = 0; i < nums->cap; i++)
		if (nums->slots[i] && idset_has(&s->w[0].news, (uint32_t)(nums->slots[i] - 1)))
			r->images++;
	for (size_t i = 0; i < msn->cap; i++)
		if (msn->slots[i] && vm_u64set_has(&s->w[0].msn, msn->slots[i]))
			r->images++;
	r->image_rate = r->origin_rate = r->news ? (double)r->images / (double)r->news : 0;
	set_paper(r, 1);
}

/* The rows: MIND, then IM-MIND and V-MIND when asked for. 0, or 2 after a
 * message. */
static int make_rows(stats *s)
{
	row *mind = &s->rows[s->nrows++];
	*mind = (row){ .dataset = "MIND" };
	mind->news = idset_count(&s->w[0].news);
	mind->users = idset_count(&s->w[0].users);
	set_paper(mind, 0);
	if (s->have_list)
		im_mind_row(s, &s->rows[s->nrows++]);
	if (s->db) {
		row *r = &s->rows[s->nrows];
		*r = s->rows[0];
		r->dataset = "V-MIND";
		if (vmind_row(s->db, s->db_path, &s->w[0].news, r) < 0)
			return VM_EXIT_USAGE;
		set_paper(r, 2);
		s->nrows++;
	}
	return VM_EXIT_OK;
}

/* --format json: the table and the duplicate groups in one object. */
static int print_json(const stats *s)
{
	cJSON *root = json_table(s->rows, s->nrows, s->paper);
	char err[512];
	int rc = VM_EXIT_OK;
	if (s->dupes) {
		vm_dupes d;
		if (vm_dupes_find(s->db, (int)s->max_distance, &d, err, sizeof err) < 0) {
			cJSON_AddNullToObject(root, "duplicates");
			vm_warn("%s", err);
			rc = VM_EXIT_USAGE;
		} else {
			cJSON_AddItemToObject(root, "duplicates", vm_dupes_json(&d));
			vm_dupes_free(&d);
		}
	}
	vm_json_print(stdout, root, 0);
	cJSON_Delete(root);
	return rc;
}

/* The table in the chosen format, the duplicate groups after it. 0, or 2
 * after a message. */
static int print_results(const stats *s)
{
	int csv = strcmp(s->format, "csv") == 0, rc = VM_EXIT_OK;
	char err[512];
	if (strcmp(s->format, "json") == 0) {
		rc = print_json(s);
	} else {
		if (csv)
			print_csv(stdout, s->rows, s->nrows, s->paper);
		else
			print_text(stdout, s->rows, s->nrows, s->paper, strcmp(s->format, "md") == 0);
		if (s->dupes) {
			fputc('\n', stdout);
			if (vm_dupes_print(s->db, (int)s->max_distance, csv ? "csv" : "text", stdout, err, sizeof err) < 0) {
				vm_warn("%s", err);
				rc = VM_EXIT_USAGE;
			}
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		vm_warn_errno("standard output");
		rc = VM_EXIT_USAGE;
	}
	return rc;
}

static void stats_free(stats *s)
{
	for (int t = 0; t < s->nsets; t++) {
		idset_free(&s->w[t].news);
		idset_free(&s->w[t].users);
		vm_u64set_free(&s->w[t].msn);
	}
	for (size_t i = 0; i < s->p.nchunks; i++) {
		free(s->p.chunks[i].err_msg);
		for (size_t k = 0; k < s->p.chunks[i].nkept; k++)
			free(s->p.chunks[i].kept_msg[k]);
	}
	free(s->p.chunks);
	free(s->p.srcs);
	if (s->have_list) {
		vm_u64set_free(&s->list.nums);
		vm_u64set_free(&s->list.msn);
	}
	if (s->db)
		vm_db_close(s->db);
	free(s->news_files);
	free(s->beh_files);
}

int main(int argc, char **argv)
{
	stats s;
	int status;
	vm_set_progname(argv[0]);
	memset(&s, 0, sizeof s);
	parse_options(&s, argc, argv);
	status = open_inputs(&s);
	if (status == VM_EXIT_OK)
		status = run_pass(&s);
	if (status != VM_EXIT_USAGE && make_rows(&s) != VM_EXIT_OK)
		status = VM_EXIT_USAGE;
	if (status != VM_EXIT_USAGE) {
		int rc = print_results(&s);
		if (rc != VM_EXIT_OK)
			status = rc;
	}
	stats_free(&s);
	return status;
}
