/* web-render.c: `vmind-web render`, which turns a vmind-synth dataset into a
 * simulated web: WEBDIR/routes.tsv (what `vmind-web serve` answers),
 * WEBDIR/files/ (pages, covers, decoys, shared files) and WEBDIR/truth.tsv
 * (for each news item: is its page alive, which image is its cover, the
 * sha256 of the exact bytes served, the fault it got, what a correct crawler
 * should end with). Every choice comes from a random stream seeded by
 * (--seed, news number), so the output is the same for a seed whatever the
 * number of threads; items are planned in order, then drawn by --threads
 * workers, then the routes and truth rows are written in news-number order. */
#include "config.h"
#include "render.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/util.h"

#include <openssl/evp.h>

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const web_decoy_names[DC_N] = { "", "pixel", "logo", "truncated", "corrupt", "html" };

static const char *const fault_names[RFT_N] = {
	"", "delay", "drip", "retry-after-429", "retry-after-503", "reset", "truncate",
	"badlength", "huge", "private-redirect", "redirect-loop" };

#define MSN_IMG_HOST "img-s-msn-com.akamaized.net"
#define NEWSIMG_HOST "static.newsimg.test"
#define CDN_HOST "media.cdn-news.test"
#define PAPER_HOST "images.regional-paper.test"
#define PIXEL_HOST "pixel.stats-sim.test"
#define BEACON_HOST "c.msn.com"
#define MOVED_HOST "www.msn.com"
#define SHORT_HOST "a.msn.com"
#define N_THUMBS 8

typedef struct ctx {
	const web_render_opts *o;
	web_item *items;
	size_t n;
	size_t next;              /* next item to draw */
	pthread_mutex_t mu;
	char *files;              /* WEBDIR/files */
	char scheme[8];           /* of the first item, for shared URLs */
	char *logo_url;
} ctx;

static void archive_and_search(ctx *C, web_item *it, const char *img_file, const char *cover_ctype);

/* ---- small helpers ---- */

/* Write a file under a temporary name, then rename (no fsync: the renderer
 * is re-run from scratch when interrupted); 0, or -1 after a message. */
static int put_file(const char *path, const void *data, size_t len)
{
	if (vm_write_file_renamed(path, data, len) == 0)
		return 0;
	vm_warn_errno("%s", path);
	return -1;
}

static void base62(char *out, uint64_t v, int digits)
{
	static const char A[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	for (int i = digits - 1; i >= 0; i--) {
		out[i] = A[v % 62];
		v /= 62;
	}
	out[digits] = '\0';
}

static void slugify(vm_buf *b, const char *s)
{
	int dash = 0;
	size_t start = b->len;
	for (; *s && b->len - start < 60; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			vm_buf_addn(b, s, 1);
			dash = 0;
		} else if (c >= 'A' && c <= 'Z') {
			char l = (char)(c - 'A' + 'a');
			vm_buf_addn(b, &l, 1);
			dash = 0;
		} else if (!dash && b->len > start) {
			vm_buf_add(b, "-");
			dash = 1;
		}
	}
	if (b->len == start)
		vm_buf_add(b, "x");
}

static void route(vm_buf *b, const char *host, const char *path, int status, const char *ctype,
		  const char *body, const char *fault, const char *headers)
{
	vm_buf_addf(b, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", host, path, status, ctype ? ctype : "",
		body ? body : "", fault ? fault : "", headers ? headers : "");
}

static int pick(web_rng *r, const double *w, int n)
{
	double sum = 0, u;
	for (int i = 0; i < n; i++)
		sum += w[i];
	u = web_unif(r) * sum;
	for (int i = 0; i < n; i++) {
		if (u < w[i])
			return i;
		u -= w[i];
	}
	return n - 1;
}

/* ---- reading the dataset ---- */

typedef struct truth_row {
	uint32_t num;
	char *msn_id;
	web_visual vis;
	int has_vis;
} truth_row;

static int parse_num(const char *id, uint32_t *num)
{
	char *end;
	unsigned long v;
	if (id[0] != 'N' || id[1] < '0' || id[1] > '9')
		return -1;
	v = strtoul(id + 1, &end, 10);
	if (*end || v == 0 || v > 0xffffffffUL)
		return -1;
	*num = (uint32_t)v;
	return 0;
}

static int cmp_truth(const void *a, const void *b)
{
	const truth_row *x = a, *y = b;
	return x->num < y->num ? -1 : x->num > y->num;
}

static int cmp_item(const void *a, const void *b)
{
	const web_item *x = a, *y = b;
	return x->num < y->num ? -1 : x->num > y->num;
}

static int shape_code(const char *s)
{
	for (int i = 0; i < SH_N; i++)
		if (!strcmp(s, web_shape_names[i]))
			return i;
	return -1;
}

/* DIR/truth/news.tsv, by header names; -1 on a set-up error */
static int read_truth(const char *dir, truth_row **rows, size_t *n)
{
	char *path = xasprintf("%s/truth/news.tsv", dir);
	FILE *fp = fopen(path, "r");
	char *line = NULL, *f[64];
	size_t cap = 0, alloc = 0;
	long lineno = 0;
	int col[8], nf, rc = -1;
	static const char *const want[8] = { "id", "msn_id", "vis_hue", "vis_sat", "vis_light",
					     "vis_shape", "vis_count", "vis_bg_hue" };
	*rows = NULL;
	*n = 0;
	if (!fp) {
		vm_warn_errno("%s", path);
		goto out;
	}
	while (getline(&line, &cap, fp) > 0) {
		lineno++;
		nf = web_split_tabs(line, f, 64);
		if (lineno == 1) {
			for (int k = 0; k < 8; k++) {
				col[k] = -1;
				for (int j = 0; j < nf; j++)
					if (!strcmp(f[j], want[k]))
						col[k] = j;
			}
			if (col[0] < 0) {
				vm_warn("%s:1: no 'id' column in the header", path);
				goto out;
			}
			for (int k = 2; k < 8; k++)
				if (col[k] < 0)
					vm_warn("%s:1: no '%s' column; pictures get derived attributes", path, want[k]);
			continue;
		}
		if (nf <= col[0])
			continue;
		truth_row t = { 0 };
		if (parse_num(f[col[0]], &t.num) < 0) {
			vm_warn("%s:%ld: bad news id '%s'", path, lineno, f[col[0]]);
			continue;
		}
		if (col[1] >= 0 && col[1] < nf && f[col[1]][0])
			t.msn_id = xstrdup(f[col[1]]);
		t.has_vis = 1;
		for (int k = 2; k < 8; k++)
			if (col[k] < 0 || col[k] >= nf)
				t.has_vis = 0;
		if (t.has_vis) {
			t.vis.hue = atoi(f[col[2]]) % 360;
			t.vis.sat = atof(f[col[3]]);
			t.vis.light = atof(f[col[4]]);
			t.vis.shape = shape_code(f[col[5]]);
			t.vis.count = atoi(f[col[6]]);
			t.vis.bg_hue = atoi(f[col[7]]) % 360;
			if (t.vis.shape < 0 || t.vis.count < 1 || t.vis.count > 9 || t.vis.hue < 0 ||
			    t.vis.bg_hue < 0 || t.vis.sat < 0 || t.vis.sat > 1 || t.vis.light < 0 ||
			    t.vis.light > 1) {
				vm_warn("%s:%ld: bad visual attributes; derived ones used", path, lineno);
				t.has_vis = 0;
			}
		}
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 1024;
			*rows = xrealloc(*rows, alloc * sizeof **rows);
		}
		(*rows)[(*n)++] = t;
	}
	qsort(*rows, *n, sizeof **rows, cmp_truth);
	rc = 0;
out:
	if (fp)
		fclose(fp);
	free(line);
	free(path);
	return rc;
}

/* MIND news.tsv files of every split, read with libvmind's strict MIND
 * reader: a malformed row (a missing column, a binary file) is an input
 * error (-1 after "FILE:LINE: message"), found before anything is written.
 * Duplicates (same id) are kept once. */
static int read_news(const char *dir, web_item **items, size_t *n)
{
	static const char *const splits[] = { "train", "dev", "test" };
	vm_u64set seen;
	size_t alloc = 0;
	int found = 0, rc = 0;
	vm_u64set_init(&seen);
	*items = NULL;
	*n = 0;
	for (int s = 0; s < 3 && rc == 0; s++) {
		char *path = xasprintf("%s/%s/news.tsv", dir, splits[s]);
		vm_mind_reader *r = vm_file_exists(path) ? vm_mind_open(path, 0) : NULL;
		vm_news row;
		int got;
		if (!r) {
			rc = vm_file_exists(path) ? -1 : 0;   /* vm_mind_open said why */
			free(path);
			continue;
		}
		found++;
		while ((got = vm_news_next(r, &row)) == VM_MIND_ROW) {
			if (!vm_u64set_add(&seen, row.num))
				continue;
			if (*n == alloc) {
				alloc = alloc ? 2 * alloc : 1024;
				*items = xrealloc(*items, alloc * sizeof **items);
			}
			web_item *it = &(*items)[(*n)++];
			memset(it, 0, sizeof *it);
			snprintf(it->id, sizeof it->id, "N%u", row.num);
			it->num = row.num;
			it->category = xstrdup(row.category);
			it->subcategory = xstrdup(row.subcategory);
			it->title = xstrdup(row.title);
			it->abstract = xstrdup(row.abstract);
			it->url = xstrdup(row.url);
		}
		if (got == VM_MIND_ERROR) {
			vm_warn("%s", vm_mind_error(r));
			rc = -1;
		}
		vm_mind_close(r);
		free(path);
	}
	vm_u64set_free(&seen);
	if (rc == 0 && !found) {
		vm_warn("%s: no train/, dev/ or test/ news.tsv", dir);
		return -1;
	}
	return rc;
}

/* "scheme://host/path" -> parts; -1 when not http(s) */
static int split_url(const char *url, char scheme[8], char **host, char **path)
{
	const char *p;
	if (!strncmp(url, "http://", 7)) {
		strcpy(scheme, "http");
		p = url + 7;
	} else if (!strncmp(url, "https://", 8)) {
		strcpy(scheme, "https");
		p = url + 8;
	} else {
		return -1;
	}
	const char *slash = strchr(p, '/');
	if (slash == p)
		return -1;
	*host = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
	*path = xstrdup(slash ? slash : "/");
	for (char *h = *host; *h; h++)
		if (*h >= 'A' && *h <= 'Z')
			*h = (char)(*h - 'A' + 'a');
	/* a port in the URL is not part of the virtual host */
	char *colon = strchr(*host, ':');
	if (colon)
		*colon = '\0';
	return 0;
}

/* ---- planning ---- */

static const double layout_w[RL_N] = {
	[RL_MSN2019] = 30, [RL_OG] = 10, [RL_TWITTER] = 6, [RL_JSONLD_STRING] = 4,
	[RL_JSONLD_OBJECT] = 4, [RL_JSONLD_ARRAY] = 4, [RL_IMAGE_SRC] = 5, [RL_LAZY_SRCSET] = 8,
	[RL_OG_PROTOREL] = 5, [RL_RELATIVE] = 4, [RL_BASE_HREF] = 5, [RL_BROKEN] = 5,
	[RL_NOIMAGE] = 10 };
static const double format_w[RF_N] = {
	[RF_JPEG] = 35, [RF_JPEG_PROGRESSIVE] = 15, [RF_JPEG_CMYK] = 4, [RF_JPEG_EXIF] = 5,
	[RF_PNG] = 10, [RF_PNG_ALPHA] = 5, [RF_PNG_PALETTE] = 5, [RF_WEBP] = 15,
	[RF_GIF_ANIMATED] = 6 };

/* layouts whose only image candidate is the cover: decoys and cover faults go there */
static int single_candidate(int L)
{
	return L == RL_OG || L == RL_TWITTER || L == RL_JSONLD_STRING || L == RL_JSONLD_OBJECT ||
	       L == RL_IMAGE_SRC;
}

/* The cover's size: a long side of 100 to 2000 pixels (smaller for the
 * formats that are costly to draw) and a usual aspect ratio. */
static void plan_cover_size(web_item *it, web_rng *r)
{
	static const double ar[5] = { 9.0 / 16, 3.0 / 4, 2.0 / 3, 1.0, 3.0 / 2 };
	static const double aw[5] = { 40, 25, 15, 10, 10 };
	int lmax = it->fmt == RF_GIF_ANIMATED ? 500 : it->fmt == RF_PNG_PALETTE ? 800 : 2000;
	int longside;
	double u = web_unif(r);
	if (u < 0.5)
		longside = web_range(r, 100, 400);
	else if (u < 0.8)
		longside = web_range(r, 400, 800);
	else if (u < 0.95)
		longside = web_range(r, 800, 1200);
	else
		longside = web_range(r, 1200, 2000);
	if (longside > lmax)
		longside = lmax;
	double a = ar[pick(r, aw, 5)];
	if (a <= 1) {
		it->w = longside;
		it->h = (int)(longside * a + 0.5);
	} else {
		it->h = longside;
		it->w = (int)(longside / a + 0.5);
	}
	if (it->w < 100)
		it->w = 100;
	if (it->h < 100)
		it->h = 100;
}

/* Dead, moved (or in a loop), faulty, disallowed or alive, by the shares;
 * the fault and the decoy. */
static void plan_fate(web_item *it, web_rng *r, const web_render_opts *o)
{
	int L = it->layout;
	double u = web_unif(r);
	if (u < o->dead_share)
		it->fate = FATE_DEAD;
	else if ((u -= o->dead_share) < o->moved_share)
		it->fate = web_unif(r) < 0.2 ? FATE_LOOP : FATE_MOVED;
	else if ((u -= o->moved_share) < o->fault_share)
		it->fate = FATE_FAULT;
	else if ((u -= o->fault_share) < o->robots_share)
		it->fate = FATE_ROBOTS;
	else
		it->fate = FATE_ALIVE;
	it->dead_status = web_unif(r) < 0.7 ? 404 : 410;
	it->hops = web_range(r, 1, 3);
	it->cover_alive = L != RL_NOIMAGE && (it->fate != FATE_DEAD && it->fate != FATE_LOOP ? 1 : web_unif(r) < 0.5);
	if (it->fate == FATE_FAULT) {
		it->fault = web_range(r, RFT_DELAY, RFT_N - 1);
		it->fault_on_cover = single_candidate(L) && web_unif(r) < 0.4;
	}
	if (single_candidate(L) && !it->fault_on_cover && web_unif(r) < o->decoy_share)
		it->decoy = web_range(r, DC_PIXEL, DC_N - 1);
}

/* Where the page finally lives: a moved page under www.msn.com's long form. */
static void plan_final_place(web_item *it)
{
	if (it->fate == FATE_MOVED) {
		vm_buf p = { 0 };
		vm_buf_add(&p, "/en-us/");
		slugify(&p, it->category);
		vm_buf_add(&p, "/");
		slugify(&p, it->subcategory);
		vm_buf_add(&p, "/");
		slugify(&p, it->title);
		vm_buf_addf(&p, "/ar-%s", it->msn_id);
		it->final_host = xstrdup(MOVED_HOST);
		it->final_path = vm_buf_steal(&p);
	} else {
		it->final_host = xstrdup(it->host);
		it->final_path = xstrdup(it->path);
	}
}

/* Every choice about item i, from its own stream seeded by (--seed, news
 * number). */
static void plan(ctx *C, size_t i)
{
	web_item *it = &C->items[i];
	const web_render_opts *o = C->o;
	web_rng r = { vm_mix64(o->seed * 0x9e3779b97f4a7c15ULL ^ vm_mix64(it->num)) };

	it->rnd = web_rand(&r);
	it->key = web_rand(&r);
	/* an image id, "BB" + 6 base-62 digits, distinct for distinct news numbers
	 * (1000003 is prime to 62^6) */
	memcpy(it->imgid, "BB", 2);
	base62(it->imgid + 2, ((uint64_t)it->num * 1000003ULL + o->seed * 7919ULL) % 56800235584ULL, 6);
	it->layout = pick(&r, layout_w, RL_N);
	it->fmt = pick(&r, format_w, RF_N);
	plan_cover_size(it, &r);
	it->wrong_ctype = web_unif(&r) < 0.05;
	plan_fate(it, &r, o);
	for (int k = 0; k < 4; k++) {   /* the stories its page links to */
		size_t j = C->n > 1 ? (i + 1 + web_rand(&r) % (C->n - 1)) % C->n : i;
		it->others[k] = (int)j;
	}
	plan_final_place(it);
}

/* ---- drawing one item ---- */

static int fail_fault(int f)
{
	return f == RFT_RESET || f == RFT_TRUNCATE || f == RFT_BADLENGTH || f == RFT_HUGE ||
	       f == RFT_PRIVATE || f == RFT_REDIRECT_LOOP;
}

/* the fault column (and status/headers for the redirecting ones) */
static void fault_spec(web_item *it, web_rng *r, size_t size, int *status, vm_buf *fault,
		       vm_buf *headers, const char **ctype, int on_cover)
{
	static const char *const priv[] = { "http://10.0.0.1/", "http://127.0.0.1:1/",
					    "http://169.254.169.254/latest/meta-data/",
					    "http://192.168.1.1/" };
	switch (it->fault) {
	case RFT_DELAY: vm_buf_addf(fault, "delay:%d", web_range(r, 200, 1500)); break;
	case RFT_DRIP: vm_buf_addf(fault, "drip:%zu", size / 2 > 2000 ? size / 2 : 2000); break;
	case RFT_RETRY429: *status = 429; vm_buf_addf(fault, "retry-after:%d", web_range(r, 1, 2)); break;
	case RFT_RETRY503: *status = 503; vm_buf_addf(fault, "retry-after:%d", web_range(r, 1, 2)); break;
	case RFT_RESET: vm_buf_add(fault, "reset"); break;
	case RFT_TRUNCATE: vm_buf_addf(fault, "truncate:%zu", size / 2); break;
	case RFT_BADLENGTH:
		if (on_cover && web_unif(r) < 0.5)
			vm_buf_addf(fault, "badlength:%zu", size / 2);
		else
			vm_buf_addf(fault, "badlength:%zu", size + 1000);
		break;
	case RFT_HUGE:
		vm_buf_addf(fault, "huge:100000000%s", web_unif(r) < 0.5 ? ":chunked" : "");
		break;
	case RFT_PRIVATE:
		*status = 302;
		*ctype = "";
		vm_buf_addf(headers, "Location: %s%s", priv[web_rand(r) % 4], it->imgid);
		break;
	case RFT_REDIRECT_LOOP:
		*status = 302;
		*ctype = "";
		vm_buf_add(fault, "redirect-loop");
		break;
	}
}

/* What drawing one item makes along the way; its strings are freed by
 * drawing_free. */
typedef struct drawing {
	ctx *C;
	web_item *it;
	web_rng r;               /* the item's stream, drawn from in the order of the steps */
	web_page_urls u;         /* what the page names */
	const char *err;         /* why the item failed */
	char *cover_host, *cover_path;   /* where the cover lives */
	char *cover_written;     /* the cover's URL as the page writes it */
	char *variant_url;       /* the MSN layout's body copy of the cover */
	char *small_url, *mid_url, *base, *meta, *body_img, *decoy_url;
	char *img_file;          /* the cover, under files/ */
	char *page_file;         /* the page, under files/ */
	const char *cover_ctype; /* the cover's Content-Type as served */
	size_t img_len;
} drawing;

static void drawing_free(drawing *d)
{
	free(d->cover_host);
	free(d->cover_path);
	free(d->cover_written);
	free(d->variant_url);
	free(d->small_url);
	free(d->mid_url);
	free(d->base);
	free(d->meta);
	free(d->body_img);
	free(d->decoy_url);
	free(d->img_file);
	free(d->page_file);
}

/* Where the cover lives for the item's layout and how its page writes it. */
static void place_cover(drawing *d)
{
	web_item *it = d->it;
	const char *f = web_format_names[it->fmt], *ext = web_format_ext[it->fmt];
	switch (it->layout) {
	case RL_MSN2019:
		d->cover_host = xstrdup(MSN_IMG_HOST);
		d->cover_path = xasprintf("/tenant/amp/entityid/%s.img?h=%d&w=%d&m=6&q=60&o=t&l=f&f=%s",
					  it->imgid, it->h, it->w, !strcmp(f, "jpeg") ? "jpg" : f);
		d->variant_url = xasprintf("//%s/tenant/amp/entityid/%s.img?h=450&w=799&m=6&q=60&o=f&l=f",
					   MSN_IMG_HOST, it->imgid);
		break;
	case RL_OG:
		d->cover_host = xstrdup(NEWSIMG_HOST);
		d->cover_path = xasprintf("/2019/11/%s-%dx%d.%s", it->imgid, it->w, it->h, ext);
		break;
	case RL_TWITTER:
		d->cover_host = xstrdup(CDN_HOST);
		d->cover_path = xasprintf("/media/%s.%s", it->imgid, ext);
		break;
	case RL_JSONLD_STRING: case RL_JSONLD_OBJECT: case RL_JSONLD_ARRAY:
		d->cover_host = xstrdup(PAPER_HOST);
		d->cover_path = xasprintf("/photos/2019/%s.%s", it->imgid, ext);
		break;
	case RL_IMAGE_SRC:
		d->cover_host = xstrdup(NEWSIMG_HOST);
		d->cover_path = xasprintf("/img/%s.%s", it->imgid, ext);
		break;
	case RL_LAZY_SRCSET:
		d->cover_host = xstrdup(CDN_HOST);
		d->cover_path = xasprintf("/lazy/%s-%d.%s", it->imgid, it->w, ext);
		break;
	case RL_OG_PROTOREL:
		d->cover_host = xstrdup(CDN_HOST);
		d->cover_path = xasprintf("/og/%s.%s", it->imgid, ext);
		d->cover_written = xasprintf("//%s%s", d->cover_host, d->cover_path);
		break;
	case RL_RELATIVE:
		d->cover_host = xstrdup(it->final_host);
		if (web_unif(&d->r) < 0.5) {
			d->cover_path = xasprintf("/images/%s.%s", it->imgid, ext);
			d->cover_written = xstrdup(d->cover_path);
		} else {
			const char *q = strchr(it->final_path, '?');
			size_t plen = q ? (size_t)(q - it->final_path) : strlen(it->final_path);
			while (plen && it->final_path[plen - 1] != '/')
				plen--;
			d->cover_path = xasprintf("%.*simages/%s.%s", (int)plen, it->final_path, it->imgid, ext);
			d->cover_written = xasprintf("images/%s.%s", it->imgid, ext);
		}
		break;
	case RL_BASE_HREF:
		d->cover_host = xstrdup(PAPER_HOST);
		d->cover_path = xasprintf("/assets/photos/%s.%s", it->imgid, ext);
		d->cover_written = xasprintf("photos/%s.%s", it->imgid, ext);
		d->base = xasprintf("%s://%s/assets/", it->scheme, PAPER_HOST);
		break;
	case RL_BROKEN:
		d->cover_host = xstrdup(NEWSIMG_HOST);
		d->cover_path = xasprintf("/cms/%s.%s?w=%d&h=%d&crop=1", it->imgid, ext, it->w, it->h);
		break;
	}
	it->cover_url = xasprintf("%s://%s%s", it->scheme, d->cover_host, d->cover_path);
	if (!d->cover_written)
		d->cover_written = xstrdup(it->cover_url);
}

/* Draw the cover into files/img/; 0, or -1 with d->err. */
static int write_cover(drawing *d)
{
	web_item *it = d->it;
	void *img = web_image(&it->vis, it->key, it->w, it->h, it->fmt, &d->img_len, &d->err);
	if (!img)
		return -1;
	vm_sha256_hex(img, d->img_len, it->sha);
	d->img_file = xasprintf("img/%s.%s", it->id, web_format_ext[it->fmt]);
	char *path = xasprintf("%s/%s", d->C->files, d->img_file);
	int rc = put_file(path, img, d->img_len);
	free(path);
	free(img);
	if (rc < 0) {
		d->err = "cannot write the cover";
		return -1;
	}
	d->cover_ctype = web_format_ctype[it->fmt];
	if (it->wrong_ctype)
		d->cover_ctype = it->fmt <= RF_JPEG_EXIF ? "application/octet-stream" : "image/jpeg";
	return 0;
}

/* The routes of a live cover (with the item's fault when it is on the
 * cover) and of the MSN layout's body copy. */
static void cover_routes(drawing *d)
{
	web_item *it = d->it;
	if (it->cover_alive) {
		int st = 200;
		const char *ct = d->cover_ctype;
		vm_buf fault = { 0 }, hdr = { 0 };
		if (it->fault && it->fault_on_cover) {
			fault_spec(it, &d->r, d->img_len, &st, &fault, &hdr, &ct, 1);
			if (fail_fault(it->fault))
				it->cover_alive = 0;
		}
		route(&it->routes, d->cover_host, d->cover_path, st, ct,
		      it->fault == RFT_PRIVATE && it->fault_on_cover ? "" : d->img_file, fault.p, hdr.p);
		vm_buf_free(&fault);
		vm_buf_free(&hdr);
	}
	if (d->variant_url) {
		char *vp = strchr(d->variant_url + 2, '/');
		if (it->cover_alive)
			route(&it->routes, MSN_IMG_HOST, vp, 200, d->cover_ctype, d->img_file, NULL, NULL);
		d->u.msn_variant = d->variant_url;
	}
}

/* The lazy-srcset layout's smaller copies of the cover (a third and two
 * thirds of its size); 0, or -1 with d->err. */
static int srcset_copies(drawing *d)
{
	web_item *it = d->it;
	const char *S = it->scheme;
	int sw = it->w / 3 > 16 ? it->w / 3 : 16, sh = it->h / 3 > 16 ? it->h / 3 : 16;
	int mw = it->w * 2 / 3 > 24 ? it->w * 2 / 3 : 24, mh = it->h * 2 / 3 > 24 ? it->h * 2 / 3 : 24;
	for (int k = 0; k < 2; k++) {
		int vw = k ? mw : sw, vh = k ? mh : sh;
		size_t vlen;
		void *v = web_image_simple(&it->vis, it->key, vw, vh, 0, &vlen, &d->err);
		if (!v)
			return -1;
		char *vf = xasprintf("img/%s-%d.jpg", it->id, vw);
		char *vpath = xasprintf("%s/%s", d->C->files, vf);
		char *vurl = xasprintf("/lazy/%s-%d.jpg", it->imgid, vw);
		if (put_file(vpath, v, vlen) == 0)
			route(&it->routes, CDN_HOST, vurl, 200, "image/jpeg", vf, NULL, NULL);
		if (k) {
			d->mid_url = xasprintf("%s://%s%s", S, CDN_HOST, vurl);
			d->u.mid_w = vw;
		} else {
			d->small_url = xasprintf("%s://%s%s", S, CDN_HOST, vurl);
			d->u.small_w = vw;
		}
		free(v);
		free(vf);
		free(vpath);
		free(vurl);
	}
	d->u.small = d->small_url;
	d->u.mid = d->mid_url;
	return 0;
}

/* A truncated or corrupt JPEG decoy of its own, under files/img/; its
 * file name, or NULL with d->err. */
static char *broken_decoy_file(drawing *d)
{
	web_item *it = d->it;
	size_t jlen;
	void *j = web_image_simple(&it->vis, it->key ^ 1, it->w, it->h, 0, &jlen, &d->err);
	if (!j)
		return NULL;
	if (it->decoy == DC_TRUNCATED) {
		jlen = jlen / 3 > 64 ? jlen / 3 : jlen;
	} else {
		web_rng g = { it->rnd ^ 0xc0ffee };
		for (size_t k = 200; k < jlen; k++)
			((unsigned char *)j)[k] = (unsigned char)web_rand(&g);
	}
	char *own = xasprintf("img/%s-%s.jpg", it->id, web_decoy_names[it->decoy]);
	char *dpath = xasprintf("%s/%s", d->C->files, own);
	put_file(dpath, j, jlen);
	free(dpath);
	free(j);
	return own;
}

/* A decoy takes the first candidate's place and the cover moves to the
 * body; 0, or -1 with d->err. */
static int place_decoy(drawing *d)
{
	web_item *it = d->it;
	char *dp = NULL, *own = NULL;
	const char *dfile = NULL, *dct = "image/jpeg";
	switch (it->decoy) {
	case DC_PIXEL:
		dp = xasprintf("/social/%s.gif", it->imgid);
		dfile = "shared/pixel.gif";
		dct = "image/gif";
		break;
	case DC_LOGO:
		break;
	case DC_TRUNCATED: case DC_CORRUPT:
		if (!(own = broken_decoy_file(d)))
			return -1;
		dp = xasprintf("/social/%s-%s.jpg", it->imgid, web_decoy_names[it->decoy]);
		dfile = own;
		break;
	case DC_HTML:
		dp = xasprintf("/social/%s.jpg", it->imgid);
		dfile = "shared/notimage.html";
		break;
	}
	if (dp) {
		route(&it->routes, NEWSIMG_HOST, dp, 200, dct, dfile, NULL, NULL);
		d->decoy_url = xasprintf("%s://%s%s", it->scheme, NEWSIMG_HOST, dp);
	} else {
		d->decoy_url = xstrdup(d->C->logo_url);
	}
	free(d->meta);
	d->meta = xstrdup(d->decoy_url);
	free(d->body_img);
	d->body_img = xstrdup(it->cover_url);
	free(dp);
	free(own);
	return 0;
}

/* The cover's file and routes, and the URLs the page names for it; 0, or
 * -1 with d->err. */
static int draw_cover(drawing *d)
{
	int L = d->it->layout;
	if (L != RL_NOIMAGE) {
		place_cover(d);
		if (write_cover(d) < 0)
			return -1;
		cover_routes(d);
		if (L == RL_LAZY_SRCSET && srcset_copies(d) < 0)
			return -1;
	}
	d->meta = xstrdup(d->cover_written ? d->cover_written : "");
	if (L == RL_RELATIVE || L == RL_BASE_HREF)
		d->body_img = xstrdup(d->cover_written);
	if (d->it->decoy && place_decoy(d) < 0)
		return -1;
	d->u.cover = d->cover_written;
	d->u.meta = d->meta;
	d->u.body_img = d->body_img;
	d->u.base = d->base;
	return 0;
}

/* The beacon and pixel a page loads, and the thumbnail other pages show
 * for this story. */
static void page_extras_routes(web_item *it)
{
	if (it->layout == RL_MSN2019) {
		char *bp = xasprintf("/c.gif?udc=true&rid=%016llx&pg.n=articleflex&pg.t=article",
				     (unsigned long long)it->rnd);
		route(&it->routes, BEACON_HOST, bp, 200, "image/gif", "shared/pixel.gif", NULL, NULL);
		free(bp);
	} else {
		char *pp = xasprintf("/t.gif?p=%s&r=%08x", it->id, (unsigned)(it->rnd & 0xffffffffu));
		route(&it->routes, PIXEL_HOST, pp, 200, "image/gif", "shared/pixel.gif", NULL, NULL);
		free(pp);
	}
	char *tp = xasprintf("/tenant/amp/entityid/%s.img?h=76&w=138&m=6&q=60&u=t&o=t&l=f", it->imgid);
	char *tf = xasprintf("shared/thumb-%u.jpg", it->num % N_THUMBS);
	route(&it->routes, MSN_IMG_HOST, tp, 200, "image/jpeg", tf, NULL, NULL);
	free(tp);
	free(tf);
}

/* A moved page: its chain of 1 to 3 redirects, then the page. */
static void moved_routes(drawing *d, const char *ctype)
{
	web_item *it = d->it;
	const char *S = it->scheme;
	char *hop[4];
	int nh = it->hops;
	hop[0] = xasprintf("%s://%s%s", S, it->host, it->path);
	hop[nh] = xasprintf("%s://%s%s", S, it->final_host, it->final_path);
	if (nh >= 2)
		hop[1] = xasprintf("%s://%s/02/en-us/%s", S, SHORT_HOST, it->msn_id);
	if (nh >= 3)
		hop[2] = xasprintf("%s://%s/en-us/%s/ar-%s?ocid=chopendata", S, MOVED_HOST,
				   it->category, it->msn_id);
	for (int k = 0; k < nh; k++) {
		char *h = NULL, *p = NULL, *loc = xasprintf("Location: %s", hop[k + 1]);
		char sch[8];
		split_url(hop[k], sch, &h, &p);
		route(&it->routes, h, p, web_unif(&d->r) < 0.5 ? 301 : 302, "", "", NULL, loc);
		free(h);
		free(p);
		free(loc);
	}
	route(&it->routes, it->final_host, it->final_path, 200, ctype, d->page_file, NULL, NULL);
	for (int k = 0; k <= nh; k++)
		free(hop[k]);
}

/* A redirect loop between the page and a short link. */
static void loop_routes(web_item *it)
{
	const char *S = it->scheme;
	char *a = xasprintf("%s://%s/02/en-us/%s", S, SHORT_HOST, it->msn_id);
	char *back = xasprintf("Location: %s://%s%s", S, it->host, it->path);
	char *to = xasprintf("Location: %s", a);
	route(&it->routes, it->host, it->path, 301, "", "", NULL, to);
	route(&it->routes, SHORT_HOST, a + strlen(S) + 3 + strlen(SHORT_HOST), 302, "", "", NULL, back);
	free(a);
	free(back);
	free(to);
}

/* The routes of the page's URL by the item's fate. */
static void fate_routes(drawing *d, size_t page_len)
{
	web_item *it = d->it;
	const char *ctype = it->layout == RL_BROKEN ? "text/html" : "text/html; charset=utf-8";
	switch (it->fate) {
	case FATE_DEAD:
		route(&it->routes, it->host, it->path, it->dead_status, "text/html; charset=utf-8",
		      "shared/gone.html", NULL, NULL);
		break;
	case FATE_LOOP:
		loop_routes(it);
		break;
	case FATE_MOVED:
		moved_routes(d, ctype);
		break;
	case FATE_FAULT:
		if (!it->fault_on_cover) {
			int st = 200;
			vm_buf fault = { 0 }, hdr = { 0 };
			fault_spec(it, &d->r, page_len, &st, &fault, &hdr, &ctype, 0);
			route(&it->routes, it->host, it->path, st, ctype,
			      it->fault == RFT_PRIVATE || it->fault == RFT_REDIRECT_LOOP ? "" : d->page_file,
			      fault.p, hdr.p);
			vm_buf_free(&fault);
			vm_buf_free(&hdr);
			break;
		}
		/* fall through */
	default:
		route(&it->routes, it->host, it->path, 200, ctype, d->page_file, NULL, NULL);
	}
}

/* The page into files/pages/ and its routes; 0, or -1 with d->err. */
static int draw_page(drawing *d)
{
	web_item *it = d->it;
	vm_buf page = { 0 };
	web_page(&page, it, d->C->items, &d->u);
	d->page_file = xasprintf("pages/%s.html", it->id);
	char *path = xasprintf("%s/%s", d->C->files, d->page_file);
	int rc = put_file(path, page.p, page.len);
	free(path);
	if (rc < 0) {
		d->err = "cannot write the page";
		vm_buf_free(&page);
		return -1;
	}
	it->page_file = xstrdup(d->page_file);
	page_extras_routes(it);
	fate_routes(d, page.len);
	vm_buf_free(&page);
	return 0;
}

/* What a correct crawler should end with for the item. */
static const char *expected_outcome(const web_item *it)
{
	if (it->fate == FATE_DEAD || it->fate == FATE_LOOP)
		return "dead";
	if (it->fate == FATE_ROBOTS)
		return "robots";
	if (it->fate == FATE_FAULT && fail_fault(it->fault))
		return "fail";
	if (it->layout == RL_NOIMAGE)
		return "none";
	return "cover";
}

/* The item's truth.tsv row. */
static void truth_row_text(web_item *it, const char *cover_ctype)
{
	const char *S = it->scheme;
	int page_alive = it->fate == FATE_ALIVE || it->fate == FATE_MOVED || it->fate == FATE_ROBOTS ||
			 (it->fate == FATE_FAULT && (it->fault_on_cover || !fail_fault(it->fault)));
	vm_buf_addf(&it->truth, "%s\t%s\t%s://%s%s\t%d\t%s://%s%s\t%s\t", it->id, it->msn_id, S,
		    it->host, it->path, page_alive, S, it->final_host, it->final_path,
		    web_layout_names[it->layout]);
	if (it->layout == RL_NOIMAGE)
		vm_buf_add(&it->truth, "\t\t\t\t\t\t\t0\t");
	else
		vm_buf_addf(&it->truth, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t", it->cover_url, it->sha,
			    web_format_names[it->fmt], web_variant_names[it->fmt], it->w, it->h,
			    cover_ctype, it->cover_alive);
	vm_buf_addf(&it->truth, "%s\t%s\t%s\t%s\t%s", web_decoy_names[it->decoy],
		    fault_names[it->fate == FATE_FAULT ? it->fault : 0],
		    it->fate == FATE_FAULT ? (it->fault_on_cover ? "cover" : "page") : "",
		    expected_outcome(it), it->extra_truth.p ? it->extra_truth.p : "0\t\t0\t\t\t0\n");
}

/* Everything of one item: its cover, decoy, page, routes, archive
 * captures and search corpus rows, and its truth row. */
static void draw_item(ctx *C, size_t i)
{
	drawing d = { .C = C, .it = &C->items[i], .r = { C->items[i].rnd }, .u = { .logo = C->logo_url } };
	if (draw_cover(&d) == 0 && draw_page(&d) == 0) {
		archive_and_search(C, d.it, d.img_file, d.cover_ctype);
		truth_row_text(d.it, d.cover_ctype);
	} else
		d.it->error = xstrdup(d.err ? d.err : "failed");
	drawing_free(&d);
}

/* ---- the archive's captures and the search corpus ---- */

static const struct { const char *host, *name; } SITES[] = {
	{ "newsbreak-sim.test", "NewsBreak Sim" }, { "yahoo-sim.test", "Yahoo News Sim" },
	{ "aggregator.test", "The Aggregator" }, { "localnews-b.test", "Local News B" },
};
#define N_SITES (sizeof SITES / sizeof SITES[0])
#define N_STOCK 4

/* the Wayback digest of a file: base32 SHA-1 */
static void file_digest(const char *path, char out[33], size_t *len)
{
	static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char md[20];
	FILE *fp = fopen(path, "rb");
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char buf[65536];
	size_t n;
	*len = 0;
	EVP_DigestInit_ex(c, EVP_sha1(), NULL);
	if (fp) {
		while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
			EVP_DigestUpdate(c, buf, n);
			*len += n;
		}
		fclose(fp);
	}
	EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
	for (int i = 0; i < 32; i++) {
		int bit = i * 5, byte = bit / 8, off = bit % 8;
		unsigned v = (unsigned)md[byte] << 8 | (byte + 1 < 20 ? md[byte + 1] : 0);
		out[i] = B32[(v >> (11 - off)) & 31];
	}
	out[32] = '\0';
}

/* a 14-digit timestamp between 2019-11-10 and 2021-12-31 */
static void timestamp(web_rng *r, char out[15])
{
	int y = web_range(r, 2019, 2021), m = y == 2019 ? web_range(r, 11, 12) : web_range(r, 1, 12);
	int d = y == 2019 && m == 11 ? web_range(r, 10, 28) : web_range(r, 1, 28);
	snprintf(out, 15, "%04d%02d%02d%02d%02d%02d", y, m, d, web_range(r, 0, 23),
		 web_range(r, 0, 59), web_range(r, 0, 59));
}

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }
static int cmp_pstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void capture(ctx *C, vm_buf *b, const char *url, const char *ts, int status,
		    const char *mime, const char *body, const char *headers)
{
	char dig[33] = "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ";   /* SHA-1 of nothing */
	size_t len = 0;
	if (body && body[0]) {
		char *p = xasprintf("%s/%s", C->files, body);
		file_digest(p, dig, &len);
		free(p);
	}
	vm_buf_addf(b, "%s\t%s\t%d\t%s\t%s\t%s\t%zu\t%s\n", url, ts, status, mime, body ? body : "",
		dig, len, headers ? headers : "");
}

/* a headline as another site writes it */
static char *alter_title(web_rng *r, const char *title, const char *site, int *kinds)
{
	vm_buf b = { 0 };
	int k = web_range(r, 0, 5);
	*kinds = k;
	switch (k) {
	case 0: vm_buf_addf(&b, "%s | %s", site, title); break;
	case 1: vm_buf_addf(&b, "%s - %s", title, site); break;
	case 2: {   /* truncated to about two thirds of its words */
		int words = 1, keep, seen = 0;
		for (const char *p = title; *p; p++)
			words += *p == ' ';
		keep = words * 2 / 3 > 2 ? words * 2 / 3 : words;
		for (const char *p = title; *p; p++) {
			if (*p == ' ' && ++seen >= keep)
				break;
			vm_buf_addn(&b, p, 1);
		}
		vm_buf_add(&b, "...");
		break;
	}
	case 3:     /* lower case, no punctuation */
		for (const char *p = title; *p; p++) {
			char c = *p;
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c == ',' || c == ':' || c == '!' || c == '?' || c == '.' || c == '\'' || c == '"')
				continue;
			vm_buf_addn(&b, &c, 1);
		}
		break;
	case 4: {   /* one word changed */
		int words = 1, w, seen = 0;
		const char *p;
		for (p = title; *p; p++)
			words += *p == ' ';
		w = web_range(r, 0, words - 1);
		for (p = title; *p; p++) {
			if (*p == ' ')
				seen++;
			if (seen == w && (*p != ' ' || w == 0)) {
				if (p == title || p[-1] == ' ' || (*p == ' ' && w > 0)) {
					if (*p == ' ')
						vm_buf_add(&b, " ");
					vm_buf_add(&b, "latest");
					while (p[1] && p[1] != ' ')
						p++;
				}
				continue;
			}
			vm_buf_addn(&b, p, 1);
		}
		break;
	}
	default: vm_buf_addf(&b, "%s: %s", site, title); break;
	}
	return vm_buf_steal(&b);
}

/* the same words in another order: another story for a bag-of-words matcher */
static char *shuffle_title(web_rng *r, const char *title)
{
	char *t = xstrdup(title), *w[64], *save = NULL;
	int n = 0;
	vm_buf b = { 0 };
	for (char *tok = strtok_r(t, " ", &save); tok && n < 64; tok = strtok_r(NULL, " ", &save))
		w[n++] = tok;
	for (int i = n - 1; i > 0; i--) {
		int j = web_range(r, 0, i);
		char *x = w[i];
		w[i] = w[j];
		w[j] = x;
	}
	if (n > 1 && !strcmp(w[0], title))   /* keep it different */
		w[0] = w[1];
	for (int i = 0; i < n; i++) {
		if (i)
			vm_buf_add(&b, " ");
		vm_buf_add(&b, w[i]);
	}
	free(t);
	return vm_buf_steal(&b);
}

static void search_row(vm_buf *b, const char *url, const char *title, const char *content,
		       const char *img, const char *engine)
{
	char *t = xstrdup(title), *c = xstrdup(content);
	for (char *p = t; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	for (char *p = c; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	vm_buf_addf(b, "%s\t%s\t%s\t%s\t%s\t%s\n", url, t, c, img ? img : "", img ? img : "", engine);
	free(t);
	free(c);
}

/* a republished or distractor page: og:image to img */
static void other_page(ctx *C, web_item *it, const char *host, const char *path,
		       const char *title, const char *img, const char *site)
{
	vm_buf pg = { 0 };
	char *f = xasprintf("pages/%s-%08llx.html", it->id, (unsigned long long)(vm_fnv1a64(path, strlen(path)) & 0xffffffffu));
	char *p = xasprintf("%s/%s", C->files, f);
	vm_buf_add(&pg, "<!doctype html>\n<html><head><meta charset=\"utf-8\">\n<title>");
	vm_buf_add_html(&pg, title);
	vm_buf_add(&pg, "</title>\n<meta property=\"og:title\" content=\"");
	vm_buf_add_html(&pg, title);
	vm_buf_add(&pg, "\">\n");
	if (img) {
		vm_buf_add(&pg, "<meta property=\"og:image\" content=\"");
		vm_buf_add_html(&pg, img);
		vm_buf_add(&pg, "\">\n");
	}
	vm_buf_addf(&pg, "</head><body><header>%s</header><h1>", site);
	vm_buf_add_html(&pg, title);
	vm_buf_add(&pg, "</h1>\n<p>");
	vm_buf_add_html(&pg, it->abstract);
	vm_buf_add(&pg, "</p></body></html>\n");
	if (put_file(p, pg.p, pg.len) == 0)
		route(&it->routes, host, path, 200, "text/html; charset=utf-8", f, NULL, NULL);
	vm_buf_free(&pg);
	free(f);
	free(p);
}

/* What the archive and the search corpus hold of an item, for its truth row. */
typedef struct elsewhere {
	int archived;            /* captures of the page */
	char *archive_url;       /* the URL they are under */
	int archive_cover;       /* the cover has a capture too */
	char *search_url, *search_img;   /* the republished copy */
	int img_alive;           /* its image is served */
} elsewhere;

/* Captures of a dead page: 1 to 3 of the page, maybe a later one of the
 * dead page itself, maybe one of its cover. */
static void archive_dead_page(ctx *C, web_item *it, web_rng *r, const char *img_file, elsewhere *e)
{
	const char *S = it->scheme;
	char ts[4][15], *url;
	/* a page listed under its old www.msn.com/.../ar-ID form is archived,
	 * for 30% of them, under the assets.msn.com/labs/mind/ID.html form
	 * one can derive from the id */
	if (strcmp(it->host, "assets.msn.com") && web_unif(r) < 0.3)
		url = xasprintf("%s://assets.msn.com/labs/mind/%s.html", S, it->msn_id);
	else
		url = xasprintf("%s://%s%s", S, it->host, it->path);
	e->archive_url = xstrdup(url);
	int n = web_range(r, 1, 3);
	for (int k = 0; k < n; k++)
		timestamp(r, ts[k]);
	qsort(ts, (size_t)n, sizeof ts[0], cmp_str);
	for (int k = 0; k < n; k++)
		capture(C, &it->captures, url, ts[k], 200, "text/html", it->page_file, NULL);
	e->archived = n;
	if (web_unif(r) < 0.5) {   /* a later capture of the dead page itself */
		char late[15];
		snprintf(late, sizeof late, "2023%02d%02d120000", web_range(r, 3, 12), web_range(r, 1, 28));
		capture(C, &it->captures, url, late, it->dead_status, "text/html", "shared/gone.html", NULL);
	}
	if (it->layout != RL_NOIMAGE && img_file && web_unif(r) < 0.7) {
		char cts[15];
		memcpy(cts, ts[0], 15);
		cts[13] = (char)('0' + (cts[13] - '0' + 1) % 10);   /* a moment after the page */
		capture(C, &it->captures, it->cover_url, cts, 200, web_format_ctype[it->fmt], img_file, NULL);
		e->archive_cover = 1;
	}
	free(url);
}

/* The story republished on another site under an altered title, with the
 * cover (served or not) and a search corpus row. */
static void republish(ctx *C, web_item *it, web_rng *r, const char *img_file, const char *cover_ctype,
		      elsewhere *e)
{
	const char *S = it->scheme;
	size_t s = web_rand(r) % N_SITES;
	int kind;
	char *title = alter_title(r, it->title, SITES[s].name, &kind);
	char *path = xasprintf("/story/%08llx.html", (unsigned long long)(vm_mix64(it->rnd) & 0xffffffffu));
	char *ipath = xasprintf("/img/%08llx.%s", (unsigned long long)(vm_mix64(it->rnd + 1) & 0xffffffffu),
				web_format_ext[it->fmt]);
	e->search_url = xasprintf("%s://%s%s", S, SITES[s].host, path);
	e->search_img = xasprintf("%s://%s%s", S, SITES[s].host, ipath);
	e->img_alive = web_unif(r) >= 0.15;
	if (e->img_alive)
		route(&it->routes, SITES[s].host, ipath, 200, cover_ctype, img_file, NULL, NULL);
	other_page(C, it, SITES[s].host, path, title, e->search_img, SITES[s].name);
	search_row(&it->search, e->search_url, title, it->abstract,
		   web_unif(r) < 0.5 ? e->search_img : NULL, "simweb");
	free(title);
	free(path);
	free(ipath);
}

/* A distractor page and search row: the same words in another order, or
 * more on the category with a stock photo (or a dead image). */
static void distractor(ctx *C, web_item *it, web_rng *r)
{
	const char *S = it->scheme;
	size_t s = web_rand(r) % N_SITES;
	int shuffled = web_unif(r) < 0.4;
	char *title = shuffled ? shuffle_title(r, it->title) : xasprintf("%s: more on %s", SITES[s].name, it->category);
	char *path = xasprintf("/related/%08llx.html", (unsigned long long)(vm_mix64(it->rnd + 2) & 0xffffffffu));
	char *url = xasprintf("%s://%s%s", S, SITES[s].host, path);
	char *img = xasprintf("%s://%s/assets/stock-%d.jpg", S, SITES[s].host, (int)(web_rand(r) % N_STOCK));
	int dead_img = web_unif(r) < 0.2;
	char *dimg = dead_img ? xasprintf("%s://%s/gone/%08llx.jpg", S, SITES[s].host,
					  (unsigned long long)(vm_mix64(it->rnd + 3) & 0xffffffffu)) : NULL;
	other_page(C, it, SITES[s].host, path, title, dead_img ? dimg : img, SITES[s].name);
	search_row(&it->search, url, title, shuffled ? it->abstract : "Related coverage.",
		   dead_img ? dimg : img, "simweb");
	free(title);
	free(path);
	free(url);
	free(img);
	free(dimg);
}

/* The item's captures, republished copy and distractor, from a stream of
 * their own (so the rest of the item stays as it was), and their truth
 * columns. */
static void archive_and_search(ctx *C, web_item *it, const char *img_file, const char *cover_ctype)
{
	const web_render_opts *o = C->o;
	web_rng r = { vm_mix64(it->rnd ^ 0xa5c1e5ULL) };
	elsewhere e = { 0 };
	if ((it->fate == FATE_DEAD || it->fate == FATE_LOOP) && web_unif(&r) < o->archive_share)
		archive_dead_page(C, it, &r, img_file, &e);
	if (it->layout != RL_NOIMAGE && img_file && web_unif(&r) < o->search_share)
		republish(C, it, &r, img_file, cover_ctype, &e);
	if (web_unif(&r) < 0.5)
		distractor(C, it, &r);
	vm_buf_addf(&it->extra_truth, "%d\t%s\t%d\t%s\t%s\t%d\n", e.archived, e.archive_url ? e.archive_url : "",
		    e.archive_cover, e.search_url ? e.search_url : "", e.search_img ? e.search_img : "",
		    e.search_url ? e.img_alive : 0);
	free(e.archive_url);
	free(e.search_url);
	free(e.search_img);
}

/* OUT/name: the header, the rows of first (may be NULL), then the rows each
 * item holds in its vm_buf at offset field (items that failed left out);
 * 0, or -1 after a message. */
static int write_rows(const char *out, const char *name, const char *header, const vm_buf *first,
		      const web_item *items, size_t n, size_t field)
{
	vm_atomic_file af;
	char *p = xasprintf("%s/%s", out, name);
	int ok = vm_atomic_open(&af, p) == 0;
	if (ok) {
		fputs(header, af.fp);
		if (first && first->p)
			fwrite(first->p, 1, first->len, af.fp);
		for (size_t i = 0; i < n; i++) {
			const vm_buf *b = (const vm_buf *)((const char *)&items[i] + field);
			if (!items[i].error && b->p)
				fwrite(b->p, 1, b->len, af.fp);
		}
		ok = vm_atomic_commit(&af) == 0;
	}
	if (!ok)
		vm_warn_errno("%s", p);
	free(p);
	return ok ? 0 : -1;
}

static void *worker(void *arg)
{
	ctx *C = arg;
	for (;;) {
		size_t i;
		pthread_mutex_lock(&C->mu);
		i = C->next++;
		pthread_mutex_unlock(&C->mu);
		if (i >= C->n)
			break;
		if (C->items[i].host)   /* items with a bad URL are skipped */
			draw_item(C, i);
	}
	return NULL;
}

/* ---- shared files ---- */

static int shared_files(ctx *C)
{
	static const web_visual logo_v = { 210, 0, 0.7, 0.45, SH_SQUARE, 3 };
	static const char gone[] = "<!doctype html>\n<html><head><title>Page not found</title></head>\n"
				   "<body><h1>We can't find that page</h1><p>It may have been moved or deleted.</p>\n"
				   "<img src=\"/static/sad.png\" width=\"64\" height=\"64\" alt=\"\"></body></html>\n";
	static const char notimage[] = "<!DOCTYPE html>\n<html><head><title>Access denied</title></head>"
				       "<body><p>Hotlinking is not allowed.</p></body></html>\n";
	/* a 1x1 transparent GIF */
	static const unsigned char pixel[] = {
		0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00,
		0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c,
		0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00,
		0x3b };
	const char *err = NULL;
	size_t len;
	void *b;
	char *p;
	int rc = 0;

	b = web_image_simple(&logo_v, 42, 200, 50, 1, &len, &err);
	if (!b)
		return -1;
	p = xasprintf("%s/shared/logo.png", C->files);
	rc |= put_file(p, b, len);
	free(p);
	free(b);
	for (unsigned k = 0; k < N_THUMBS; k++) {
		web_visual v = { (int)(k * 45), (int)(k * 45 + 180) % 360, 0.6, 0.5, (int)(k % SH_N), 1 + (int)(k % 3) };
		b = web_image_simple(&v, 1000 + k, 138, 76, 0, &len, &err);
		if (!b)
			return -1;
		p = xasprintf("%s/shared/thumb-%u.jpg", C->files, k);
		rc |= put_file(p, b, len);
		free(p);
		free(b);
	}
	for (int k = 0; k < N_STOCK; k++) {
		web_visual v = { 30 + 80 * k, 200 - 40 * k, 0.5, 0.45, (k + 2) % SH_N, 2 };
		b = web_image_simple(&v, 2000 + (uint64_t)k, 480, 320, 0, &len, &err);
		if (!b)
			return -1;
		p = xasprintf("%s/shared/stock-%d.jpg", C->files, k);
		rc |= put_file(p, b, len);
		free(p);
		free(b);
	}
	p = xasprintf("%s/shared/pixel.gif", C->files);
	rc |= put_file(p, pixel, sizeof pixel);
	free(p);
	p = xasprintf("%s/shared/gone.html", C->files);
	rc |= put_file(p, gone, sizeof gone - 1);
	free(p);
	p = xasprintf("%s/shared/notimage.html", C->files);
	rc |= put_file(p, notimage, sizeof notimage - 1);
	free(p);
	return rc;
}

/* The hosts of the original pages, once each, at most 48. */
static int page_hosts(const ctx *C, const char **hosts)
{
	int nh = 0;
	for (size_t i = 0; i < C->n && nh < 48; i++) {
		int k;
		if (C->items[i].error || !C->items[i].host)
			continue;
		for (k = 0; k < nh; k++)
			if (!strcmp(hosts[k], C->items[i].host))
				break;
		if (k == nh)
			hosts[nh++] = C->items[i].host;
	}
	return nh;
}

/* A page host's robots.txt: BadBot kept out, /private/ and the robots
 * items' pages disallowed; 0, or -1 after a message. */
static int page_host_robots(ctx *C, const char *host, vm_buf *routes)
{
	vm_buf t = { 0 };
	char *f, *p;
	int rc;
	vm_buf_add(&t, "# robots.txt of the simulated web\nUser-agent: BadBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n");
	for (size_t i = 0; i < C->n; i++) {
		const web_item *it = &C->items[i];
		if (!it->error && it->fate == FATE_ROBOTS && !strcmp(it->host, host))
			vm_buf_addf(&t, "Disallow: %s\n", it->path);
	}
	f = xasprintf("robots/%s.txt", host);
	p = xasprintf("%s/%s", C->files, f);
	rc = put_file(p, t.p, t.len);
	route(routes, host, "/robots.txt", 200, "text/plain", f, NULL, NULL);
	free(f);
	free(p);
	vm_buf_free(&t);
	return rc;
}

/* The robots.txt files of the image hosts (those that are not page hosts
 * too), the CDN's behind a redirect; 0, or -1 after a message. */
static int fixed_host_robots(ctx *C, const char **hosts, int nh, vm_buf *routes)
{
	static const struct { const char *host, *text; } fixed[] = {
		{ MOVED_HOST, "User-agent: *\nAllow: /\n" },
		{ NEWSIMG_HOST, "User-agent: *\nDisallow: /private/\n" },
		{ PAPER_HOST, "" },
		{ CDN_HOST "-main", "User-agent: *\nDisallow:\n" },
	};
	int rc = 0;
	for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
		int dup = 0;
		for (int j = 0; j < nh; j++)
			dup |= !strcmp(hosts[j], fixed[k].host);
		if (dup)
			continue;
		char *f = xasprintf("robots/%s.txt", fixed[k].host);
		char *p = xasprintf("%s/%s", C->files, f);
		rc |= put_file(p, fixed[k].text, strlen(fixed[k].text));
		if (k == 3)  /* the CDN's robots.txt is a redirect to the real one */
			route(routes, CDN_HOST, "/robots-main.txt", 200, "text/plain", f, NULL, NULL);
		else
			route(routes, fixed[k].host, "/robots.txt", 200, "text/plain", f, NULL, NULL);
		free(f);
		free(p);
	}
	char *loc = xasprintf("Location: %s://%s/robots-main.txt", C->scheme, CDN_HOST);
	route(routes, CDN_HOST, "/robots.txt", 301, "", "", NULL, loc);
	free(loc);
	return rc;
}

/* robots.txt of every host: per-host policies, see vmind-web(1) */
static int robots(ctx *C, vm_buf *routes)
{
	const char *hosts[64];
	int nh = page_hosts(C, hosts), rc = 0;
	for (int k = 0; k < nh; k++)
		rc |= page_host_robots(C, hosts[k], routes);
	rc |= fixed_host_robots(C, hosts, nh, routes);
	return rc;
}

/* The dataset's news items, by news number, at most --limit, and its truth
 * rows; -1 after a message. */
static int load_items(ctx *C, truth_row **truth, size_t *n_truth)
{
	const web_render_opts *o = C->o;
	if (read_news(o->mind, &C->items, &C->n) < 0 || read_truth(o->mind, truth, n_truth) < 0)
		return -1;
	qsort(C->items, C->n, sizeof *C->items, cmp_item);
	if (o->limit && (size_t)o->limit < C->n) {
		for (size_t i = (size_t)o->limit; i < C->n; i++) {
			free(C->items[i].category);
			free(C->items[i].subcategory);
			free(C->items[i].title);
			free(C->items[i].abstract);
			free(C->items[i].url);
		}
		C->n = (size_t)o->limit;
	}
	return 0;
}

/* An item's picture attributes and MSN id: from its truth row (t, may be
 * NULL) or derived from its number and URL. */
static void join_truth(web_item *it, const truth_row *t)
{
	uint64_t h = vm_mix64(it->num * 31 + 7);
	if (t && t->has_vis) {
		it->vis = t->vis;
	} else {
		if (!t)
			vm_warn("%s: not in truth/news.tsv; derived visual attributes used", it->id);
		it->vis.hue = (int)(h % 360);
		it->vis.bg_hue = (int)((h >> 12) % 360);
		it->vis.sat = 0.4 + 0.5 * (double)((h >> 24) % 100) / 100;
		it->vis.light = 0.3 + 0.4 * (double)((h >> 32) % 100) / 100;
		it->vis.shape = (int)((h >> 40) % SH_N);
		it->vis.count = 1 + (int)((h >> 48) % 4);
	}
	if (t && t->msn_id) {
		it->msn_id = xstrdup(t->msn_id);
	} else {
		/* from the URL: .../AAGH0ET.html or .../ar-AAGH0ET?... */
		const char *s = strrchr(it->url, '/');
		const char *b = s ? s + 1 : it->url;
		size_t len;
		if (!strncmp(b, "ar-", 3))
			b += 3;
		len = strcspn(b, ".?#");
		it->msn_id = len ? xstrndup(b, len) : xstrdup(it->id);
	}
}

/* Join the truth rows and check the URLs (an item whose URL is not http(s)
 * is skipped); the scheme of shared URLs is the first item's. */
static void prepare_items(ctx *C, truth_row *truth, size_t n_truth, int *bad)
{
	for (size_t i = 0; i < C->n; i++) {
		web_item *it = &C->items[i];
		truth_row key = { .num = it->num };
		join_truth(it, n_truth ? bsearch(&key, truth, n_truth, sizeof *truth, cmp_truth) : NULL);
		if (split_url(it->url, it->scheme, &it->host, &it->path) < 0) {
			vm_warn("%s: URL '%s' is not http(s); item skipped", it->id, it->url);
			it->error = xstrdup("bad URL");
			(*bad)++;
			continue;
		}
		if (!C->scheme[0])
			strcpy(C->scheme, it->scheme);
	}
	if (!C->scheme[0])
		strcpy(C->scheme, "https");
}

static int make_dirs(const char *out)
{
	static const char *const dirs[] = { "", "/files/pages", "/files/img", "/files/shared", "/files/robots" };
	for (size_t k = 0; k < sizeof dirs / sizeof dirs[0]; k++) {
		char *d = xasprintf("%s%s", out, dirs[k]);
		int rc = vm_mkdir_p(d);
		if (rc < 0)
			vm_warn_errno("%s", d);
		free(d);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The routes of the shared logo and stock photos. */
static void shared_routes(vm_buf *shared)
{
	route(shared, NEWSIMG_HOST, "/assets/logo.png", 200, "image/png", "shared/logo.png", NULL, NULL);
	for (size_t s = 0; s < N_SITES; s++)
		for (int k = 0; k < N_STOCK; k++) {
			char *sp = xasprintf("/assets/stock-%d.jpg", k), *sf = xasprintf("shared/stock-%d.jpg", k);
			route(shared, SITES[s].host, sp, 200, "image/jpeg", sf, NULL, NULL);
			free(sp);
			free(sf);
		}
}

/* Plan the items in order, then draw them on --threads workers. */
static void draw_all(ctx *C)
{
	int nt = C->o->threads > 0 ? C->o->threads : 1;
	pthread_t *th = xcalloc((size_t)nt, sizeof *th);
	for (size_t i = 0; i < C->n; i++)
		if (C->items[i].host)
			plan(C, i);
	/* workers skip items with an error already set */
	for (int k = 0; k < nt; k++)
		if (pthread_create(&th[k], NULL, worker, C) != 0) {
			vm_warn("cannot start a thread");
			nt = k;
			break;
		}
	for (int k = 0; k < nt; k++)
		pthread_join(th[k], NULL);
	if (C->next < C->n) /* no thread could start */
		worker(C);
	free(th);
}

/* The host column of every routes.tsv row of b into hosts. */
static void route_hosts(const vm_buf *b, char ***hosts, size_t *nh, size_t *cap)
{
	for (const char *l = b->p; l && *l;) {
		const char *nl = strchr(l, '\n'), *tab = strchr(l, '\t');
		if (tab && (!nl || tab < nl)) {
			if (*nh == *cap)
				*hosts = xrealloc(*hosts, (*cap = *cap ? 2 * *cap : 64) * sizeof **hosts);
			(*hosts)[(*nh)++] = xstrndup(l, (size_t)(tab - l));
		}
		l = nl ? nl + 1 : NULL;
	}
}

/* hosts.txt: every virtual host once, sorted, e.g. for a TLS certificate's
 * names; 0, or -1 after a message. */
static int write_hosts(const ctx *C, const vm_buf *shared)
{
	char **hosts = NULL, *p;
	size_t nh = 0, cap = 0;
	vm_buf hb = { 0 };
	int rc = 0;
	for (size_t i = 0; i < C->n; i++)
		if (!C->items[i].error)
			route_hosts(&C->items[i].routes, &hosts, &nh, &cap);
	route_hosts(shared, &hosts, &nh, &cap);
	qsort(hosts, nh, sizeof *hosts, cmp_pstr);
	for (size_t i = 0; i < nh; i++) {
		if (!i || strcmp(hosts[i], hosts[i - 1])) {
			vm_buf_add(&hb, hosts[i]);
			vm_buf_add(&hb, "\n");
		}
	}
	for (size_t i = 0; i < nh; i++)
		free(hosts[i]);
	free(hosts);
	p = xasprintf("%s/hosts.txt", C->o->out);
	if (vm_write_file_atomic(p, hb.p ? hb.p : "", hb.len) < 0) {
		vm_warn_errno("%s", p);
		rc = -1;
	}
	free(p);
	vm_buf_free(&hb);
	return rc;
}

/* routes.tsv, hosts.txt, truth.tsv, captures.tsv and search.tsv; 0, or -1
 * after a message. */
static int write_tables(const ctx *C, const vm_buf *shared)
{
	const char *out = C->o->out;
	if (write_rows(out, "routes.tsv", "host\tpath\tstatus\tcontent_type\tbody\tfault\theaders\n", shared,
		       C->items, C->n, offsetof(web_item, routes)) < 0 ||
	    write_hosts(C, shared) < 0)
		return -1;
	return write_rows(out, "truth.tsv",
			  "id\tmsn_id\tpage_url\tpage_alive\tfinal_url\tlayout\tcover_url\tcover_sha256\t"
			  "cover_format\tcover_variant\tcover_width\tcover_height\tcover_content_type\t"
			  "cover_alive\tdecoy\tfault\tfault_target\toutcome\tarchived\tarchive_url\tarchive_cover\t"
			  "search_url\tsearch_img\tsearch_img_alive\n",
			  NULL, C->items, C->n, offsetof(web_item, truth)) < 0 ||
	       write_rows(out, "captures.tsv", "url\ttimestamp\tstatus\tmimetype\tbody\tdigest\tlength\theaders\n",
			  NULL, C->items, C->n, offsetof(web_item, captures)) < 0 ||
	       write_rows(out, "search.tsv", "url\ttitle\tcontent\timg_src\tthumbnail_src\tengine\n",
			  NULL, C->items, C->n, offsetof(web_item, search)) < 0 ? -1 : 0;
}

static void free_items(ctx *C)
{
	for (size_t i = 0; i < C->n; i++) {
		web_item *it = &C->items[i];
		free(it->msn_id); free(it->category); free(it->subcategory); free(it->title);
		free(it->abstract); free(it->url); free(it->host); free(it->path);
		free(it->final_host); free(it->final_path); free(it->cover_url); free(it->page_file);
		free(it->error);
		vm_buf_free(&it->routes);
		vm_buf_free(&it->truth);
		vm_buf_free(&it->captures);
		vm_buf_free(&it->search);
		vm_buf_free(&it->extra_truth);
	}
	free(C->items);
}

int web_render(const web_render_opts *o)
{
	ctx C = { .o = o };
	truth_row *truth = NULL;
	size_t n_truth = 0;
	int bad = 0, rc = VM_EXIT_USAGE;
	double t0 = vm_now();
	vm_buf shared = { 0 };

	pthread_mutex_init(&C.mu, NULL);
	if (web_image_init("vmind-web") < 0) {
		vm_warn("cannot start libvips");
		goto out;
	}
	if (load_items(&C, &truth, &n_truth) < 0)
		goto out;
	prepare_items(&C, truth, n_truth, &bad);
	if (make_dirs(o->out) < 0)
		goto out;
	C.files = xasprintf("%s/files", o->out);
	C.logo_url = xasprintf("%s://%s/assets/logo.png", C.scheme, NEWSIMG_HOST);
	if (shared_files(&C) < 0)
		goto out;
	shared_routes(&shared);
	draw_all(&C);
	if (robots(&C, &shared) < 0 || write_tables(&C, &shared) < 0)
		goto out;
	for (size_t i = 0; i < C.n; i++)
		if (C.items[i].error && C.items[i].host) {
			vm_warn("%s: %s", C.items[i].id, C.items[i].error);
			bad++;
		}
	if (!o->quiet) {
		double dt = vm_now() - t0;
		vm_warn("rendered %zu news items in %.1f s (%.0f items/s) into %s", C.n, dt,
			dt > 0 ? C.n / dt : 0.0, o->out);
	}
	rc = bad ? VM_EXIT_ITEMS : VM_EXIT_OK;
out:
	free_items(&C);
	for (size_t i = 0; i < n_truth; i++)
		free(truth[i].msn_id);
	free(truth);
	free(C.files);
	free(C.logo_url);
	vm_buf_free(&shared);
	return rc;
}
