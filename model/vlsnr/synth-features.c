/* synth-features.c: TEST SCAFFOLDING. Writes a feature
 * directory in vlsnr-embed's layout (FEATDIR/ids.txt, FEATDIR/{image,title,
 * category,subcategory}.npy float32 N x D, FEATDIR/white.npy 1 x D) straight
 * from a vmind-synth dataset's truth, so vlsnr-train and vlsnr-eval can be
 * tested end to end before vlsnr-embed exists. Deterministic:
 *   title        sum of one pseudo-random unit vector per lower-cased word
 *                (seeded by the word's FNV-1a hash), normalised;
 *   category,    a pseudo-random unit vector seeded by the name;
 *   subcategory
 *   image        a fixed random projection (seed 1) to D of the cover's
 *                attributes from truth/news.tsv: saturation * (cos, sin) of
 *                1, 2 and 3 times the hue, lightness, one-hot shape (6),
 *                one-hot count (4), (cos, sin) of the background hue;
 *   white        the same projection of a white cover (lightness 1, nothing
 *                else).
 * Reached through `vlsnr-train --synth-features MINDDIR --features FEATDIR`
 * (documented in vlsnr-train(1) as test scaffolding). */
#include "config.h"
#include "layers.h"
#include "vlsnr-data.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/npy.h"
#include "vmind/lib/util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NATTR 21

/* FNV-1a of the lower-cased bytes from the seed 1469598103934665603 (the
 * standard offset basis with its last digit lost, kept: the features depend
 * on it); never 0, which would stall the xorshift generator it seeds. */
static uint64_t word_seed(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)s[i]);
		h = vm_fnv1a64_more(h, &c, 1);
	}
	return h ? h : 1;
}

/* A standard normal number: two xorshift64* draws through Box-Muller. */
static double gauss(uint64_t *s)
{
	uint64_t a = layers_rand(s), b = layers_rand(s);
	double u = ((a >> 11) + 0.5) / 9007199254740992.0, v = (b >> 11) / 9007199254740992.0;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static void add_random(float *out, int D, uint64_t seed, double w)
{
	for (int d = 0; d < D; d++)
		out[d] += (float)(w * gauss(&seed) / sqrt(D));
}

static void normalise(float *v, int D)
{
	double s = 0;
	for (int d = 0; d < D; d++)
		s += (double)v[d] * v[d];
	if (s > 0)
		for (int d = 0; d < D; d++)
			v[d] = (float)(v[d] / sqrt(s));
}

typedef struct item {
	char *id;
	double attr[NATTR];
	char *cat, *sub, *title;
} item;

/* The items of a vmind-synth dataset's truth, with their titles. */
typedef struct truth {
	item *items;        /* [n] in truth/news.tsv order */
	size_t n;
	uint32_t maxnum;    /* largest news number */
} truth;

static const char *shapes[] = { "circle", "square", "triangle", "stripes", "ring", "cross" };

static char *field(char **p)
{
	char *s = *p, *t = strchr(s, '\t');
	if (t) {
		*t = 0;
		*p = t + 1;
	} else {
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = 0;
		*p = s + strlen(s);
	}
	return s;
}

/* it->attr from the cover columns of truth/news.tsv: saturation * (cos,
 * sin) of 1, 2 and 3 times the hue, lightness, shape and count one-hot,
 * background hue */
static void cover_attributes(item *it, char *const *col)
{
	double hue = atof(col[4]) * M_PI / 180, sat = atof(col[5]), light = atof(col[6]);
	double bg = atof(col[9]) * M_PI / 180;
	int k = 0;
	for (int h = 1; h <= 3; h++) {
		it->attr[k++] = sat * cos(h * hue);
		it->attr[k++] = sat * sin(h * hue);
	}
	it->attr[k++] = light;
	for (int s = 0; s < 6; s++)
		it->attr[k++] = strcmp(col[7], shapes[s]) == 0;
	int cnt = atoi(col[8]);
	for (int s = 1; s <= 4; s++)
		it->attr[k++] = cnt == s;
	it->attr[k++] = 0.5 * cos(bg);
	it->attr[k++] = 0.5 * sin(bg);
}

/* truth/news.tsv: header, then id msn_id category subcategory vis_hue
 * vis_sat vis_light vis_shape vis_count vis_bg_hue ... Dies on error. */
static void read_truth(truth *t, const char *mind)
{
	char *tpath = xasprintf("%s/truth/news.tsv", mind);
	FILE *fp = fopen(tpath, "r");
	if (!fp)
		vm_die_errno("%s", tpath);
	size_t cap = 0, lineno = 0, linecap = 0;
	char *line = NULL;
	while (getline(&line, &linecap, fp) > 0) {
		if (lineno++ == 0)
			continue;
		char *p = line, *col[10];
		for (int i = 0; i < 10; i++)
			col[i] = field(&p);
		if (t->n == cap)
			t->items = xrealloc(t->items, (cap = cap ? 2 * cap : 1024) * sizeof *t->items);
		item *it = &t->items[t->n++];
		memset(it, 0, sizeof *it);
		it->id = xstrdup(col[0]);
		it->cat = xstrdup(col[2]);
		it->sub = xstrdup(col[3]);
		cover_attributes(it, col);
		uint32_t num;
		if (vm_parse_news_id(it->id, strlen(it->id), &num) != 0)
			vm_die("%s:%zu: bad news id '%s'", tpath, lineno, it->id);
		if (num > t->maxnum)
			t->maxnum = num;
	}
	fclose(fp);
	free(line);
	if (t->n == 0)
		vm_die("%s: no news", tpath);
	free(tpath);
}

/* Each item's title, from train/ and then dev/ news.tsv. Dies on error. */
static void read_titles(truth *t, const char *mind)
{
	size_t *row_of = xcalloc((size_t)t->maxnum + 1, sizeof(size_t));
	for (size_t i = 0; i < t->n; i++) {
		uint32_t num;
		vm_parse_news_id(t->items[i].id, strlen(t->items[i].id), &num);
		row_of[num] = i + 1;
	}
	const char *splits[] = { "train", "dev" };
	for (int s = 0; s < 2; s++) {
		char *np = xasprintf("%s/%s/news.tsv", mind, splits[s]);
		vm_mind_reader *r = vm_mind_open(np, 0);
		if (!r)
			vm_die("%s: cannot open", np);
		vm_news row;
		int rc;
		while ((rc = vm_news_next(r, &row)) == VM_MIND_ROW)
			if (row.num <= t->maxnum && row_of[row.num] && !t->items[row_of[row.num] - 1].title)
				t->items[row_of[row.num] - 1].title = xstrdup(row.title);
		if (rc == VM_MIND_ERROR)
			vm_die("%s", vm_mind_error(r));
		vm_mind_close(r);
		free(np);
	}
	free(row_of);
}

/* The features, one allocation per field: [n,D] each, white [D]. */
typedef struct fake {
	float *field[4];    /* image, title, category, subcategory */
	float *white;
} fake;

/* fk from the items (see the opening comment) */
static void project(fake *fk, const truth *t, int D)
{
	size_t n = t->n;
	/* the fixed projection of the cover attributes */
	float *proj = xcalloc((size_t)NATTR * D, sizeof(float));
	for (int k = 0; k < NATTR; k++)
		add_random(proj + (size_t)k * D, D, 0x5EED0000ULL + (uint64_t)k, sqrt(D));
	for (int f = 0; f < 4; f++)
		fk->field[f] = xcalloc(n * D, sizeof(float));
	fk->white = xcalloc((size_t)D, sizeof(float));
	float *img = fk->field[0], *tit = fk->field[1], *cat = fk->field[2], *sub = fk->field[3];
	for (size_t i = 0; i < n; i++) {
		const item *it = &t->items[i];
		for (int k = 0; k < NATTR; k++)
			for (int d = 0; d < D; d++)
				img[i * D + d] += (float)(it->attr[k] * proj[(size_t)k * D + d] / sqrt(D));
		const char *w = it->title ? it->title : "";
		while (*w) {
			while (*w == ' ')
				w++;
			size_t len = strcspn(w, " ");
			if (len)
				add_random(tit + i * D, D, word_seed(w, len), 1);
			w += len;
		}
		normalise(tit + i * D, D);
		char *k1 = xasprintf("cat:%s", it->cat), *k2 = xasprintf("sub:%s", it->sub);
		add_random(cat + i * D, D, word_seed(k1, strlen(k1)), 1);
		add_random(sub + i * D, D, word_seed(k2, strlen(k2)), 1);
		normalise(cat + i * D, D);
		normalise(sub + i * D, D);
		free(k1);
		free(k2);
	}
	for (int d = 0; d < D; d++)
		fk->white[d] = (float)(1.0 * proj[6 * (size_t)D + d] / sqrt(D)); /* lightness is attribute 6 */
	free(proj);
}

/* FEATDIR in vlsnr-embed's layout. Dies on error. */
static void write_fake(const fake *fk, const truth *t, const char *out, int D)
{
	char err[512];
	const char *names[] = { "image", "title", "category", "subcategory" };
	if (vm_mkdir_p(out) != 0)
		vm_die_errno("%s", out);
	for (int f = 0; f < 4; f++) {
		char *p = xasprintf("%s/%s.npy", out, names[f]);
		if (vm_npy_write_f32(p, fk->field[f], t->n, (size_t)D, err, sizeof err) != 0)
			vm_die("%s", err);
		free(p);
	}
	char *wp = xasprintf("%s/white.npy", out);
	if (vm_npy_write_f32(wp, fk->white, 1, (size_t)D, err, sizeof err) != 0)
		vm_die("%s", err);
	char *ip = xasprintf("%s/ids.txt", out);
	vm_atomic_file af;
	if (vm_atomic_open(&af, ip) != 0)
		vm_die_errno("%s", ip);
	for (size_t i = 0; i < t->n; i++)
		fprintf(af.fp, "%s\n", t->items[i].id);
	if (vm_atomic_commit(&af) != 0)
		vm_die_errno("%s", ip);
	free(wp);
	free(ip);
}

void vlsnr_fake_features(const char *mind, const char *out, int D)
{
	truth t = { 0 };
	fake fk = { 0 };
	read_truth(&t, mind);
	read_titles(&t, mind);
	project(&fk, &t, D);
	write_fake(&fk, &t, out, D);
	for (size_t i = 0; i < t.n; i++) {
		free(t.items[i].id);
		free(t.items[i].cat);
		free(t.items[i].sub);
		free(t.items[i].title);
	}
	free(t.items);
	for (int f = 0; f < 4; f++)
		free(fk.field[f]);
	free(fk.white);
}
