/* vmind-synth.c: vmind-synth, an offline MIND. Real MIND may not be redistributed
 * and there is no internet here, so the tests, the demo and the benchmarks run
 * on a generated dataset in MIND's exact format (train and dev news.tsv and
 * behaviors.tsv) with a planted click model whose ground truth goes to
 * DIR/truth/: every news item's visual attributes (the cover picture a later
 * tool draws) and every impression candidate's true click probability, with
 * and without the visual part. `--oracle DIR` scores those probabilities
 * with the official MIND metrics. The model and the file layout are
 * documented in datasets/SYNTHETIC.md; the same seed and options always give
 * byte-identical files. Behaviors are streamed out user by user (through a
 * small shuffle buffer), so memory grows with the number of news and users,
 * never with the number of impressions. */
#include "config.h"
#include "vmind/lib/buf.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/json.h"
#include "vmind/lib/metrics.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/util.h"
#include "synth-vocab.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------- */
/* Model constants (see datasets/SYNTHETIC.md)                             */

#define DIM 16           /* textual latent dimension */
#define NSHAPE 6
#define HUE_SECTORS 24   /* users' preferred hue: centre of one 15-degree sector */
#define NSTRENGTH 3      /* users' visual sensitivity levels */
#define NTYPE (HUE_SECTORS * NSHAPE * NSTRENGTH)
#define KVIS 64          /* quadrature draws per category for the text-only oracle */
#define PMAX 0.95        /* click probabilities are capped here */

#define B0 (-6.15)       /* base log-probability */
#define BETA_CAT 0.9     /* user's category preference */
#define BETA_LONG 1.7    /* long-term interest . news text vector */
#define BETA_SHORT 2.6   /* current focus . news text vector */
#define BETA_FOCUS 1.0   /* candidate in the focus subcategory */
#define GAMMA_HUE 1.2    /* saturation * cos(hue - preferred hue) */
#define GAMMA_SHAPE 0.8  /* the preferred shape */
#define GAMMA_LIGHT 0.8  /* everyone likes brighter covers a little */
static const double vis_strength[NSTRENGTH] = { 0.5, 1.0, 1.5 };

#define HIST_DRAWS 4           /* history: candidates drawn per slot, one kept */
#define WINDOW_SECONDS (36 * 3600)
#define EPOCH_NOV1 1572566400LL /* 11/1/2019 0:00:00 UTC */
#define DAY 86400
#define SHUFFLE_BUF 1024

static const char *const shape_names[NSHAPE] = {
	"circle", "square", "triangle", "stripes", "ring", "cross"
};

/* ---------------------------------------------------------------------- */
/* Random numbers: xoshiro256** seeded through splitmix64. Every entity has
 * its own stream derived from (seed, tag, index), so the output does not
 * depend on the order things are generated in. */

typedef struct rng {
	uint64_t s[4];
} rng;

static void rng_seed(rng *r, uint64_t seed, uint64_t tag, uint64_t index)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL ^ (tag << 56) ^ (tag * 0xd1b54a32d192ed03ULL);
	x ^= vm_splitmix64(&x) + index * 0xa0761d6478bd642fULL;
	for (int i = 0; i < 4; i++)
		r->s[i] = vm_splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_u64(rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* uniform in [0, 1) */
static inline double rng_unif(rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

/* uniform in [0, n) */
static inline uint32_t rng_below(rng *r, uint32_t n)
{
	return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

static double rng_normal(rng *r)
{
	double u = rng_unif(r), v = rng_unif(r);
	return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* index drawn from a cumulative weight table cum[0..n), cum[n-1] = total */
static int draw_cum(rng *r, const double *cum, int n)
{
	double u = rng_unif(r) * cum[n - 1];
	for (int i = 0; i < n; i++)
		if (u < cum[i])
			return i;
	return n - 1;
}

enum { TAG_WORLD = 1, TAG_NEWS, TAG_TITLE, TAG_ABSTRACT, TAG_USER, TAG_UWEIGHT,
       TAG_VIS, TAG_SHUFFLE };

/* ---------------------------------------------------------------------- */
/* Numbers and times into text */

static inline void buf_add_u64(vm_buf *b, uint64_t v)
{
	char tmp[24];
	int n = sizeof tmp;
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	vm_buf_addn(b, tmp + n, sizeof tmp - (size_t)n);
}

/* a probability in [0, 1] with exactly six decimals, by integer rounding */
static inline void buf_add_prob(vm_buf *b, double p)
{
	long long v = llround(p * 1e6);
	char tmp[8];
	if (v < 0)
		v = 0;
	if (v > 1000000)
		v = 1000000;
	tmp[0] = (char)('0' + v / 1000000);
	tmp[1] = '.';
	for (int k = 7; k > 1; k--, v /= 10)
		tmp[k] = (char)('0' + v % 10);
	vm_buf_addn(b, tmp, sizeof tmp);
}

/* a value in hundredths as "0.42" */
static void buf_add_hundredths(vm_buf *b, int v)
{
	vm_buf_addf(b, "%d.%02d", v / 100, v % 100);
}

/* MIND's time format, "11/9/2019 5:03:12 PM", from seconds since 11/1/2019 */
static void buf_add_time(vm_buf *b, int64_t rel)
{
	time_t t = (time_t)(EPOCH_NOV1 + rel);
	struct tm tm;
	int h;
	gmtime_r(&t, &tm);
	h = tm.tm_hour % 12;
	if (h == 0)
		h = 12;
	vm_buf_addf(b, "%d/%d/%d %d:%02d:%02d %s", tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, h,
	            tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
}

/* ---------------------------------------------------------------------- */
/* Word lists */

typedef struct wordlist {
	char **w;       /* [n] words, '_' turned into ' ' */
	int n;
	float *emb;     /* [n][DIM] latent vectors, or NULL */
} wordlist;

static void wl_split(wordlist *wl, const char *s)
{
	const char *p = s;
	wl->w = NULL;
	wl->n = 0;
	wl->emb = NULL;
	while (*p) {
		const char *e;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		e = p;
		while (*e && *e != ' ')
			e++;
		wl->w = xrealloc(wl->w, (size_t)(wl->n + 1) * sizeof *wl->w);
		wl->w[wl->n] = xstrndup(p, (size_t)(e - p));
		for (char *c = wl->w[wl->n]; *c; c++)
			if (*c == '_')
				*c = ' ';
		wl->n++;
		p = e;
	}
}

static void wl_free(wordlist *wl)
{
	for (int i = 0; i < wl->n; i++)
		free(wl->w[i]);
	free(wl->w);
	free(wl->emb);
	memset(wl, 0, sizeof *wl);
}

static void random_unit(rng *r, float *v)
{
	double norm = 0;
	double tmp[DIM];
	for (int d = 0; d < DIM; d++) {
		tmp[d] = rng_normal(r);
		norm += tmp[d] * tmp[d];
	}
	norm = sqrt(norm);
	for (int d = 0; d < DIM; d++)
		v[d] = (float)(tmp[d] / norm);
}

/* each word's vector: the pool's centre plus noise of norm about `spread` */
static void wl_embed(wordlist *wl, rng *r, const float *centre, double spread)
{
	wl->emb = xmalloc((size_t)wl->n * DIM * sizeof(float));
	for (int i = 0; i < wl->n; i++)
		for (int d = 0; d < DIM; d++)
			wl->emb[i * DIM + d] = (float)(centre[d] + spread * rng_normal(r) / sqrt((double)DIM));
}

/* ---------------------------------------------------------------------- */
/* The world: categories, subcategories, vocabularies and their vectors,
 * the visual quadrature of the text-only oracle. */

typedef struct vis {
	uint16_t hue, bg_hue;     /* degrees 0-359 */
	uint8_t sat, light;       /* hundredths */
	uint8_t shape, count;
} vis;

typedef struct world {
	uint64_t seed;
	double cat_cum[SYNTH_NCAT];
	int cat_sub0[SYNTH_NCAT], cat_nsub[SYNTH_NCAT];
	float cat_centre[SYNTH_NCAT][DIM];
	double cat_bias[SYNTH_NCAT];
	int cat_hue[SYNTH_NCAT], cat_shape[SYNTH_NCAT];
	double theme_cum[SYNTH_NCAT][SYNTH_NTHEME];
	wordlist cat_words[SYNTH_NCAT];
	int nsub;
	char **sub_name;          /* [nsub] */
	int *sub_cat;             /* [nsub] */
	double *sub_cum;          /* [nsub] cumulative within its category */
	float (*sub_centre)[DIM]; /* [nsub] */
	wordlist *sub_words;      /* [nsub] */
	wordlist theme_words[SYNTH_NTHEME];
	float theme_centre[SYNTH_NTHEME][DIM];
	wordlist hooks, func, persons, places;
	double hook_bonus[64];
	double costab[360];
	/* exp(V) of every user visual type on every category's KVIS draws,
	 * their mean and their maximum */
	double *vis_e;            /* [NTYPE][SYNTH_NCAT][KVIS] */
	double vis_mean[NTYPE][SYNTH_NCAT], vis_max[NTYPE][SYNTH_NCAT];
} world;

static void draw_vis(const world *w, rng *r, int cat, vis *v)
{
	/* partly correlated with the category: a third of the covers take the
	 * category's colour, a quarter its shape; the rest is independent */
	if (rng_unif(r) < 0.33)
		v->hue = (uint16_t)((w->cat_hue[cat] + 360 + (int)rng_below(r, 41) - 20) % 360);
	else
		v->hue = (uint16_t)rng_below(r, 360);
	v->sat = (uint8_t)(25 + rng_below(r, 76));
	v->light = (uint8_t)(25 + rng_below(r, 56));
	if (rng_unif(r) < 0.25)
		v->shape = (uint8_t)w->cat_shape[cat];
	else
		v->shape = (uint8_t)rng_below(r, NSHAPE);
	{
		static const double count_cum[4] = { 0.45, 0.75, 0.9, 1.0 };
		v->count = (uint8_t)(1 + draw_cum(r, count_cum, 4));
	}
	if (rng_unif(r) < 0.5)
		v->bg_hue = (uint16_t)((v->hue + 150 + rng_below(r, 61)) % 360);
	else
		v->bg_hue = (uint16_t)rng_below(r, 360);
}

/* the visual part of the log-probability for user type `type` */
static inline double vis_logit4(const world *w, int type, int hue, int sat, int light, int vshape)
{
	int sector = type / (NSHAPE * NSTRENGTH);
	int shape = (type / NSTRENGTH) % NSHAPE;
	double strength = vis_strength[type % NSTRENGTH];
	int pref_hue = sector * (360 / HUE_SECTORS) + (360 / HUE_SECTORS) / 2;
	double hue_term = GAMMA_HUE * (sat / 100.0) * w->costab[(hue - pref_hue + 360) % 360];
	double shape_term = vshape == shape ? GAMMA_SHAPE : 0.0;
	return strength * (hue_term + shape_term) + GAMMA_LIGHT * (light / 100.0 - 0.5);
}

static inline double vis_logit(const world *w, int type, const vis *v)
{
	return vis_logit4(w, type, v->hue, v->sat, v->light, v->shape);
}

/* The category shares and where each category's subcategories start. */
static void world_tables(world *w)
{
	double cum = 0;
	int ns = 0;
	for (int d = 0; d < 360; d++)
		w->costab[d] = cos(d * 3.14159265358979323846 / 180.0);
	for (int c = 0; c < SYNTH_NCAT; c++) {
		wordlist subs;
		cum += synth_cats[c].share;
		w->cat_cum[c] = cum;
		wl_split(&subs, synth_cats[c].subcats);
		w->cat_sub0[c] = ns;
		w->cat_nsub[c] = subs.n;
		ns += subs.n;
		wl_free(&subs);
	}
	w->nsub = ns;
	w->sub_name = xcalloc((size_t)ns, sizeof *w->sub_name);
	w->sub_cat = xcalloc((size_t)ns, sizeof *w->sub_cat);
	w->sub_cum = xcalloc((size_t)ns, sizeof *w->sub_cum);
	w->sub_centre = xcalloc((size_t)ns, sizeof *w->sub_centre);
	w->sub_words = xcalloc((size_t)ns, sizeof *w->sub_words);
}

/* A subcategory's own proper nouns: 10 made-up names of 2-3 syllables. */
static void made_up_names(rng *r, const wordlist *syl, vm_buf *words)
{
	for (int j = 0; j < 10; j++) {
		int nsyl = 2 + (int)rng_below(r, 2);
		if (j)
			vm_buf_addc(words, ' ');
		for (int q = 0; q < nsyl; q++) {
			const char *sy = syl->w[rng_below(r, (uint32_t)syl->n)];
			if (q == 0) {
				vm_buf_addc(words, (char)(sy[0] - 'a' + 'A'));
				vm_buf_add(words, sy + 1);
			} else {
				vm_buf_add(words, sy);
			}
		}
	}
}

/* Subcategory k of category c, named name: its share within the
 * category, its centre near the category's, its vocabulary. */
static void world_subcategory(world *w, rng *r, int c, int k, const char *name, const wordlist *syl,
                              double *sc)
{
	int s = w->cat_sub0[c] + k;
	float off[DIM];
	double norm = 0;
	vm_buf words = { 0 };
	w->sub_name[s] = xstrdup(name);
	/* subcategory names keep their underscores (football_nfl) */
	for (char *ch = w->sub_name[s]; *ch; ch++)
		if (*ch == ' ')
			*ch = '_';
	w->sub_cat[s] = c;
	*sc += 1.0 / pow(k + 1.0, 0.8);
	w->sub_cum[s] = *sc;
	random_unit(r, off);
	for (int d = 0; d < DIM; d++) {
		w->sub_centre[s][d] = 0.6f * w->cat_centre[c][d] + 0.8f * off[d];
		norm += (double)w->sub_centre[s][d] * w->sub_centre[s][d];
	}
	for (int d = 0; d < DIM; d++)
		w->sub_centre[s][d] = (float)(w->sub_centre[s][d] / sqrt(norm));
	made_up_names(r, syl, &words);
	wl_split(&w->sub_words[s], words.p);
	wl_embed(&w->sub_words[s], r, w->sub_centre[s], 0.6);
	vm_buf_free(&words);
}

/* Category c: its centre, bias, colour and shape, vocabulary, theme
 * shares and subcategories. */
static void world_category(world *w, rng *r, int c, const wordlist *syl)
{
	wordlist subs;
	double sc = 0, tc = 0;
	random_unit(r, w->cat_centre[c]);
	w->cat_bias[c] = 0.25 * rng_normal(r);
	w->cat_hue[c] = (int)rng_below(r, 360);
	w->cat_shape[c] = (int)rng_below(r, NSHAPE);
	wl_split(&w->cat_words[c], synth_cats[c].words);
	wl_embed(&w->cat_words[c], r, w->cat_centre[c], 0.6);
	for (int t = 0; t < SYNTH_NTHEME; t++) {
		double x = rng_unif(r);
		tc += x * x * x + 0.02;
		w->theme_cum[c][t] = tc;
	}
	wl_split(&subs, synth_cats[c].subcats);
	for (int k = 0; k < subs.n; k++)
		world_subcategory(w, r, c, k, subs.w[k], syl, &sc);
	wl_free(&subs);
}

/* The visual quadrature: KVIS draws of each category's cover distribution;
 * E[exp(V)] over them is what the text-only oracle uses. */
static void world_vis_quadrature(world *w, uint64_t seed)
{
	w->vis_e = xmalloc((size_t)NTYPE * SYNTH_NCAT * KVIS * sizeof(double));
	for (int c = 0; c < SYNTH_NCAT; c++) {
		vis vq[KVIS];
		rng vr;
		rng_seed(&vr, seed, TAG_VIS, (uint64_t)c);
		for (int k = 0; k < KVIS; k++)
			draw_vis(w, &vr, c, &vq[k]);
		for (int t = 0; t < NTYPE; t++) {
			double sum = 0, mx = 0;
			double *e = w->vis_e + ((size_t)t * SYNTH_NCAT + c) * KVIS;
			for (int k = 0; k < KVIS; k++) {
				e[k] = exp(vis_logit(w, t, &vq[k]));
				sum += e[k];
				if (e[k] > mx)
					mx = e[k];
			}
			w->vis_mean[t][c] = sum / KVIS;
			w->vis_max[t][c] = mx;
		}
	}
}

static void world_init(world *w, uint64_t seed)
{
	rng r;
	wordlist syl;
	memset(w, 0, sizeof *w);
	w->seed = seed;
	rng_seed(&r, seed, TAG_WORLD, 0);
	world_tables(w);
	for (int t = 0; t < SYNTH_NTHEME; t++) {
		random_unit(&r, w->theme_centre[t]);
		wl_split(&w->theme_words[t], synth_themes[t]);
		wl_embed(&w->theme_words[t], &r, w->theme_centre[t], 0.6);
	}
	wl_split(&syl, synth_syllables);
	for (int c = 0; c < SYNTH_NCAT; c++)
		world_category(w, &r, c, &syl);
	wl_free(&syl);
	wl_split(&w->hooks, synth_hooks);
	for (int i = 0; i < w->hooks.n && i < 64; i++)
		w->hook_bonus[i] = 0.25 + 0.5 * rng_unif(&r);
	wl_split(&w->func, synth_function_words);
	wl_split(&w->persons, synth_persons);
	wl_split(&w->places, synth_places);
	world_vis_quadrature(w, seed);
}

static void world_free(world *w)
{
	for (int c = 0; c < SYNTH_NCAT; c++)
		wl_free(&w->cat_words[c]);
	for (int s = 0; s < w->nsub; s++) {
		free(w->sub_name[s]);
		wl_free(&w->sub_words[s]);
	}
	for (int t = 0; t < SYNTH_NTHEME; t++)
		wl_free(&w->theme_words[t]);
	wl_free(&w->hooks);
	wl_free(&w->func);
	wl_free(&w->persons);
	wl_free(&w->places);
	free(w->sub_name);
	free(w->sub_cat);
	free(w->sub_cum);
	free(w->sub_centre);
	free(w->sub_words);
	free(w->vis_e);
}

/* ---------------------------------------------------------------------- */
/* News items */

/* The part of a news item the click model reads for every candidate, in
 * 32 bytes so that random access costs one cache line. The text vector is
 * kept in hundredths: the model is defined on these rounded values. */
typedef struct news_hot {
	int8_t x[DIM];       /* title text vector * 100, rounded */
	float base;          /* B0 + category bias + the title's hook bonus */
	uint32_t id;         /* news number - 1 (slot2id) */
	uint16_t sub, hue;
	uint8_t cat, sat, light, shape;
} news_hot;

typedef struct news_set {
	uint32_t n;
	uint8_t *cat, *theme, *fresh;
	uint16_t *sub;
	news_hot *h;       /* [n] what the click model reads, packed */
	vis *v;            /* [n] */
	int32_t *pub;      /* [n] published, seconds since 11/1/2019 */
	float *pop;        /* [n] popularity in (0, 1] */
	uint8_t *used;     /* [n] bit 0 train, bit 1 dev, bit 2 anywhere */
	/* After news_init every per-news array is indexed by slot: the old
	 * news first (by subcategory, then id), then the fresh ones by
	 * publication time, so that the candidates of one time window and
	 * the old news of one subcategory sit together in memory. The id of
	 * slot i is N(slot2id[i] + 1). */
	uint32_t *old, n_old;        /* news only in histories: slots 0.. */
	float *pop_old;              /* [n_old] pop of old[k] */
	uint32_t *fresh_by_time, n_fresh;   /* candidates: slots n_old.. */
	float *pop_fresh;            /* [n_fresh] pop of fresh_by_time[k] */
	uint32_t *slot2id, *id2slot;
	uint32_t **sub_old, *sub_n_old;     /* [nsub] lists */
	uint32_t **sub_fresh, *sub_n_fresh; /* [nsub] lists, by time */
} news_set;

typedef struct ent {
	int person;           /* 1 person (P), 0 place (G) */
	int idx;              /* in persons / places */
	size_t offset;        /* in code points */
} ent;

static size_t utf8_len(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			k++;
	return k;
}

static void put_word_cased(vm_buf *b, const char *word, int title_case)
{
	if (title_case && word[0] >= 'a' && word[0] <= 'z') {
		vm_buf_addc(b, (char)(word[0] - 'a' + 'A'));
		vm_buf_add(b, word + 1);
	} else {
		vm_buf_add(b, word);
	}
}

/* Writes one title (title_case) or sentence into b; adds the content words'
 * vectors to xsum (count in *nx) and their hook bonus to *hook; records
 * named entities. The rng stream fully determines the text. */
static void gen_text(const world *w, rng *r, int cat, int sub, int theme, int len,
		     int title_case, vm_buf *b, double *xsum, int *nx, double *hook,
		     ent *ents, int *nents, int max_ents)
{
	int words = 0, last_content = 0, ent_at = -1;
	size_t start = b->len;
	/* a named entity at a random word position in the first half */
	if (rng_unif(r) < (title_case ? 0.35 : 0.25) && *nents < max_ents)
		ent_at = (int)rng_below(r, (uint32_t)(len / 2 + 1));
	while (words < len) {
		const char *word;
		int is_func = 0;
		if (words > 0)
			vm_buf_addc(b, ' ');
		if (ent_at >= 0 && words >= ent_at) {
			int person = rng_unif(r) < 0.65;
			const wordlist *wl = person ? &w->persons : &w->places;
			int idx = (int)rng_below(r, (uint32_t)wl->n);
			ent *e = &ents[(*nents)++];
			e->person = person;
			e->idx = idx;
			e->offset = utf8_len(b->p + start, b->len - start);
			vm_buf_add(b, wl->w[idx]);
			words += 1 + (strchr(wl->w[idx], ' ') != NULL);
			if (person && rng_unif(r) < 0.15)
				vm_buf_add(b, "\xE2\x80\x99s");   /* U+2019, as MIND's titles have */
			last_content = 1;
			ent_at = -1;
			continue;
		}
		if (last_content && words > 0 && rng_unif(r) < 0.45) {
			word = w->func.w[rng_below(r, (uint32_t)w->func.n)];
			is_func = 1;
		} else {
			double u = rng_unif(r);
			const wordlist *wl;
			int k;
			if (u < 0.36)
				wl = &w->sub_words[sub];
			else if (u < 0.66)
				wl = &w->cat_words[cat];
			else if (u < 0.93)
				wl = &w->theme_words[theme];
			else
				wl = &w->hooks;
			k = (int)rng_below(r, (uint32_t)wl->n);
			word = wl->w[k];
			if (wl->emb) {
				for (int d = 0; d < DIM; d++)
					xsum[d] += wl->emb[k * DIM + d];
				(*nx)++;
			} else {
				*hook += w->hook_bonus[k];
			}
			if (rng_unif(r) < 0.04) {
				buf_add_u64(b, 2 + rng_below(r, 30));
				vm_buf_addc(b, ' ');
				words++;
			}
		}
		put_word_cased(b, word, words == 0 || (title_case && !is_func));
		words += 1;
		last_content = !is_func;
	}
	if (!title_case)
		vm_buf_addc(b, '.');
	else if (rng_unif(r) < 0.08)
		vm_buf_addc(b, '?');
}

static void put_json_string(vm_buf *b, const char *s)
{
	vm_buf_addc(b, '"');
	vm_buf_add_json(b, s);
	vm_buf_addc(b, '"');
}

/* The seed of the WikidataId hash: FNV-1a-64 from this number, one digit
 * short of the standard offset basis (the dataset's ids depend on it). */
#define WIKIDATA_HASH_SEED 1469598103934665603ULL

/* MIND's entity list: [{"Label": ..., "Type": "P", "WikidataId": "Q..",
 * "Confidence": 0.99, "OccurrenceOffsets": [0], "SurfaceForms": [..]}] */
static void put_entities(const world *w, vm_buf *b, const ent *ents, int n, rng *r)
{
	vm_buf_addc(b, '[');
	for (int i = 0; i < n; i++) {
		const char *label = ents[i].person ? w->persons.w[ents[i].idx] : w->places.w[ents[i].idx];
		uint64_t h = vm_fnv1a64_more(WIKIDATA_HASH_SEED, label, strlen(label));
		if (i)
			vm_buf_add(b, ", ");
		vm_buf_add(b, "{\"Label\": ");
		put_json_string(b, label);
		vm_buf_addf(b, ", \"Type\": \"%s\", \"WikidataId\": \"Q%" PRIu64 "\", ",
		            ents[i].person ? "P" : "G", 1000 + h % 9000000);
		vm_buf_addf(b, "\"Confidence\": %d.%03d, \"OccurrenceOffsets\": [%zu], ",
		            0, 800 + (int)rng_below(r, 200), ents[i].offset);
		vm_buf_add(b, "\"SurfaceForms\": [");
		put_json_string(b, label);
		vm_buf_add(b, "]}");
	}
	vm_buf_addc(b, ']');
}

static int title_length(rng *r)
{
	int len = (int)lround(11.5 + 3.1 * rng_normal(r));
	return len < 4 ? 4 : len > 28 ? 28 : len;
}

/* The title of news i (into b when b is not NULL); sets x and hook. */
static void news_title(const world *w, const news_set *ns, uint32_t i, vm_buf *b,
		       float *x, float *hook, ent *ents, int *nents)
{
	rng r;
	vm_buf tmp = { 0 };
	double xsum[DIM] = { 0 }, hk = 0;
	int nx = 0, ne = 0;
	ent local[2];
	/* the text is seeded by the news id (slots are internal) */
	rng_seed(&r, w->seed, TAG_TITLE, ns->slot2id ? ns->slot2id[i] : i);
	gen_text(w, &r, ns->cat[i], ns->sub[i], ns->theme[i], title_length(&r), 1,
		 b ? b : &tmp, xsum, &nx, &hk, ents ? ents : local, &ne, 2);
	if (x)
		for (int d = 0; d < DIM; d++)
			x[d] = (float)(nx ? xsum[d] / nx : 0.0);
	if (hook)
		*hook = (float)hk;
	if (nents)
		*nents = ne;
	vm_buf_free(&tmp);
}

static void msn_id(uint64_t seed, uint32_t i, char out[8])
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const uint64_t space = 916132832ULL;   /* 62^5 */
	/* an affine bijection of [0, 62^5): the multiplier is odd and not a
	 * multiple of 31, so it is coprime with 2^5 * 31^5 */
	uint64_t a = 387420489ULL, b = (seed * 2654435761ULL) % space;
	uint64_t v = (a * i + b) % space;
	out[0] = out[1] = (i * 0x9E3779B1u >> 31) & 1 ? 'B' : 'A';
	for (int k = 6; k >= 2; k--) {
		out[k] = alnum[v % 62];
		v /= 62;
	}
	out[7] = '\0';
}

static const news_set *sort_ns;
static int cmp_by_sub(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (sort_ns->sub[x] != sort_ns->sub[y])
		return sort_ns->sub[x] < sort_ns->sub[y] ? -1 : 1;
	return (x > y) - (x < y);
}
static int cmp_by_pub(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (sort_ns->pub[x] != sort_ns->pub[y])
		return sort_ns->pub[x] < sort_ns->pub[y] ? -1 : 1;
	return (x > y) - (x < y);
}

static void news_alloc(news_set *ns, uint32_t n)
{
	memset(ns, 0, sizeof *ns);
	ns->n = n;
	ns->cat = xcalloc(n, 1);
	ns->theme = xcalloc(n, 1);
	ns->fresh = xcalloc(n, 1);
	ns->used = xcalloc(n, 1);
	ns->sub = xcalloc(n, sizeof *ns->sub);
	ns->h = xcalloc(n, sizeof *ns->h);
	ns->v = xcalloc(n, sizeof *ns->v);
	ns->pub = xcalloc(n, sizeof *ns->pub);
	ns->pop = xcalloc(n, sizeof *ns->pop);
	ns->old = xcalloc(n, sizeof *ns->old);
	ns->fresh_by_time = xcalloc(n, sizeof *ns->fresh_by_time);
}

/* What the click model reads of news i: the title's rounded text vector,
 * the base term and the cover. */
static void news_hot_fill(news_set *ns, const world *w, uint32_t i)
{
	float x[DIM], hook;
	news_hot *h = &ns->h[i];
	news_title(w, ns, i, NULL, x, &hook, NULL, NULL);
	for (int d = 0; d < DIM; d++) {
		long v = lround(x[d] * 100.0);
		h->x[d] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
	}
	h->base = (float)(B0 + w->cat_bias[ns->cat[i]] + hook);
	h->sub = ns->sub[i];
	h->cat = ns->cat[i];
	h->hue = ns->v[i].hue;
	h->sat = ns->v[i].sat;
	h->light = ns->v[i].light;
	h->shape = ns->v[i].shape;
}

/* News i (by id, before the renumbering into slots). */
static void news_draw(news_set *ns, const world *w, uint32_t i)
{
	rng r;
	int c;
	double p;
	rng_seed(&r, w->seed, TAG_NEWS, i);
	c = draw_cum(&r, w->cat_cum, SYNTH_NCAT);
	ns->cat[i] = (uint8_t)c;
	ns->sub[i] = (uint16_t)(w->cat_sub0[c] + draw_cum(&r, w->sub_cum + w->cat_sub0[c], w->cat_nsub[c]));
	ns->theme[i] = (uint8_t)draw_cum(&r, w->theme_cum[c], SYNTH_NTHEME);
	draw_vis(w, &r, c, &ns->v[i]);
	/* a third of the news is older than the log: history only; the first
	 * two items are always fresh and the third old, so that every pool is
	 * non-empty */
	ns->fresh[i] = i < 2 ? 1 : i == 2 ? 0 : rng_unif(&r) >= 0.35;
	if (ns->fresh[i])
		ns->pub[i] = 7 * DAY + (int32_t)rng_below(&r, 8 * DAY);   /* 11/8 - 11/15 */
	else
		ns->pub[i] = -(int32_t)rng_below(&r, 30 * DAY);           /* October */
	p = exp(rng_normal(&r)) / 4.0;
	ns->pop[i] = (float)(p > 1.0 ? 1.0 : p < 0.01 ? 0.01 : p);
	news_hot_fill(ns, w, i);
	if (ns->fresh[i])
		ns->fresh_by_time[ns->n_fresh++] = i;
	else
		ns->old[ns->n_old++] = i;
}

/* Every per-news array reordered by slot. */
static void *permuted(void *arr, size_t size, const uint32_t *slot2id, uint32_t n)
{
	char *out = xmalloc((size_t)n * size);
	for (uint32_t k = 0; k < n; k++)
		memcpy(out + (size_t)k * size, (const char *)arr + (size_t)slot2id[k] * size, size);
	free(arr);
	return out;
}

/* Renumber the news into slots: the old ones by subcategory then id, the
 * fresh ones by publication time (see news_set). */
static void news_renumber(news_set *ns)
{
	uint32_t n = ns->n;
	sort_ns = ns;
	qsort(ns->fresh_by_time, ns->n_fresh, sizeof(uint32_t), cmp_by_pub);
	qsort(ns->old, ns->n_old, sizeof(uint32_t), cmp_by_sub);
	ns->slot2id = xmalloc(n * sizeof(uint32_t));
	ns->id2slot = xmalloc(n * sizeof(uint32_t));
	memcpy(ns->slot2id, ns->old, ns->n_old * sizeof(uint32_t));
	memcpy(ns->slot2id + ns->n_old, ns->fresh_by_time, ns->n_fresh * sizeof(uint32_t));
	for (uint32_t k = 0; k < n; k++)
		ns->id2slot[ns->slot2id[k]] = k;
	ns->cat = permuted(ns->cat, sizeof *ns->cat, ns->slot2id, n);
	ns->theme = permuted(ns->theme, sizeof *ns->theme, ns->slot2id, n);
	ns->fresh = permuted(ns->fresh, sizeof *ns->fresh, ns->slot2id, n);
	ns->sub = permuted(ns->sub, sizeof *ns->sub, ns->slot2id, n);
	ns->h = permuted(ns->h, sizeof *ns->h, ns->slot2id, n);
	ns->v = permuted(ns->v, sizeof *ns->v, ns->slot2id, n);
	ns->pub = permuted(ns->pub, sizeof *ns->pub, ns->slot2id, n);
	ns->pop = permuted(ns->pop, sizeof *ns->pop, ns->slot2id, n);
	for (uint32_t k = 0; k < n; k++)
		ns->h[k].id = ns->slot2id[k];
	for (uint32_t k = 0; k < ns->n_old; k++)
		ns->old[k] = k;
	for (uint32_t k = 0; k < ns->n_fresh; k++)
		ns->fresh_by_time[k] = ns->n_old + k;
}

/* The pools' popularities and the per-subcategory lists of old and fresh
 * slots (the fresh ones by time). */
static void news_pools(news_set *ns, uint32_t nsub)
{
	ns->pop_old = xmalloc((ns->n_old + 1) * sizeof(float));
	ns->pop_fresh = xmalloc((ns->n_fresh + 1) * sizeof(float));
	for (uint32_t k = 0; k < ns->n_old; k++)
		ns->pop_old[k] = ns->pop[ns->old[k]];
	for (uint32_t k = 0; k < ns->n_fresh; k++)
		ns->pop_fresh[k] = ns->pop[ns->fresh_by_time[k]];
	ns->sub_old = xcalloc(nsub, sizeof *ns->sub_old);
	ns->sub_fresh = xcalloc(nsub, sizeof *ns->sub_fresh);
	ns->sub_n_old = xcalloc(nsub, sizeof *ns->sub_n_old);
	ns->sub_n_fresh = xcalloc(nsub, sizeof *ns->sub_n_fresh);
	for (uint32_t k = 0; k < ns->n_old; k++)
		ns->sub_n_old[ns->sub[ns->old[k]]]++;
	for (uint32_t k = 0; k < ns->n_fresh; k++)
		ns->sub_n_fresh[ns->sub[ns->fresh_by_time[k]]]++;
	for (uint32_t s = 0; s < nsub; s++) {
		ns->sub_old[s] = xmalloc((ns->sub_n_old[s] + 1) * sizeof(uint32_t));
		ns->sub_fresh[s] = xmalloc((ns->sub_n_fresh[s] + 1) * sizeof(uint32_t));
		ns->sub_n_old[s] = ns->sub_n_fresh[s] = 0;
	}
	for (uint32_t k = 0; k < ns->n_old; k++) {
		uint32_t i = ns->old[k];
		ns->sub_old[ns->sub[i]][ns->sub_n_old[ns->sub[i]]++] = i;
	}
	for (uint32_t k = 0; k < ns->n_fresh; k++) {
		uint32_t i = ns->fresh_by_time[k];
		ns->sub_fresh[ns->sub[i]][ns->sub_n_fresh[ns->sub[i]]++] = i;
	}
}

static void news_init(news_set *ns, const world *w, uint32_t n)
{
	news_alloc(ns, n);
	for (uint32_t i = 0; i < n; i++)
		news_draw(ns, w, i);
	news_renumber(ns);
	news_pools(ns, (uint32_t)w->nsub);
}

static void news_free(news_set *ns, const world *w)
{
	for (int s = 0; s < w->nsub; s++) {
		free(ns->sub_old[s]);
		free(ns->sub_fresh[s]);
	}
	free(ns->sub_old);
	free(ns->sub_fresh);
	free(ns->sub_n_old);
	free(ns->sub_n_fresh);
	free(ns->cat);
	free(ns->theme);
	free(ns->fresh);
	free(ns->used);
	free(ns->sub);
	free(ns->h);
	free(ns->pop_old);
	free(ns->pop_fresh);
	free(ns->v);
	free(ns->pub);
	free(ns->pop);
	free(ns->old);
	free(ns->fresh_by_time);
	free(ns->slot2id);
	free(ns->id2slot);
	memset(ns, 0, sizeof *ns);
}

/* first k in list[0..n) (sorted by pub) with pub >= t */
static uint32_t lower_pub(const news_set *ns, const uint32_t *list, uint32_t n, int64_t t)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ns->pub[list[mid]] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---------------------------------------------------------------------- */
/* Users and the click model */

enum { KIND_TRAIN, KIND_DEV, KIND_BOTH };
static const char *const kind_names[] = { "train", "dev", "both" };

typedef struct user {
	uint32_t index, id;
	int kind;
	int fav_cat[2], fav_sub[2], fav_theme;
	double cp[SYNTH_NCAT];     /* category preference */
	float ul[DIM];             /* long-term interest */
	int vtype;                 /* visual taste */
	int focus_sub, focus_theme;
	float wvec[DIM];           /* BETA_LONG*ul + BETA_SHORT*focus vector */
} user;

static void user_set_focus(const world *w, user *u, int sub, int theme)
{
	u->focus_sub = sub;
	u->focus_theme = theme;
	for (int d = 0; d < DIM; d++)
		u->wvec[d] = (float)(0.01 * (BETA_LONG * u->ul[d] +
				     BETA_SHORT * 0.7 * (w->sub_centre[sub][d] + w->theme_centre[theme][d])));
}

static int draw_sub_of_cat(const world *w, rng *r, int c)
{
	return w->cat_sub0[c] + draw_cum(r, w->sub_cum + w->cat_sub0[c], w->cat_nsub[c]);
}

/* a focus subcategory: near the user's interests or anywhere */
static void draw_focus(const world *w, rng *r, const user *u, int *sub, int *theme)
{
	if (rng_unif(r) < 0.4)
		*sub = draw_sub_of_cat(w, r, u->fav_cat[rng_below(r, 2)]);
	else
		*sub = draw_sub_of_cat(w, r, draw_cum(r, w->cat_cum, SYNTH_NCAT));
	*theme = (int)rng_below(r, SYNTH_NTHEME);
}

static void user_init(const world *w, user *u, uint32_t index, uint32_t id, rng *r)
{
	double norm = 0;
	float g[DIM];
	memset(u, 0, sizeof *u);
	u->index = index;
	u->id = id;
	for (int k = 0; k < 2; k++) {
		u->fav_cat[k] = draw_cum(r, w->cat_cum, SYNTH_NCAT);
		u->fav_sub[k] = draw_sub_of_cat(w, r, u->fav_cat[k]);
	}
	u->fav_theme = (int)rng_below(r, SYNTH_NTHEME);
	for (int c = 0; c < SYNTH_NCAT; c++)
		u->cp[c] = 0.3 * rng_normal(r);
	u->cp[u->fav_cat[0]] += 1.0;
	u->cp[u->fav_cat[1]] += 0.6;
	random_unit(r, g);
	for (int d = 0; d < DIM; d++) {
		u->ul[d] = 0.7f * w->sub_centre[u->fav_sub[0]][d] + 0.4f * w->sub_centre[u->fav_sub[1]][d] +
			   0.6f * w->theme_centre[u->fav_theme][d] + 0.5f * g[d];
		norm += (double)u->ul[d] * u->ul[d];
	}
	for (int d = 0; d < DIM; d++)
		u->ul[d] = (float)(u->ul[d] / sqrt(norm));
	u->vtype = (int)rng_below(r, NTYPE);
}

/* text part of the log-probability */
static inline double text_logit(const world *w, const news_set *ns, const user *u, uint32_t i)
{
	const news_hot *h = &ns->h[i];
	float dot = 0;
	double a = h->base + BETA_CAT * u->cp[h->cat];
	(void)w;
	for (int d = 0; d < DIM; d++)
		dot += u->wvec[d] * (float)h->x[d];
	a += dot;
	if (h->sub == u->focus_sub)
		a += BETA_FOCUS;
	return a;
}

/* p alone */
static inline double click_p(const world *w, const news_set *ns, const user *u, uint32_t i)
{
	const news_hot *h = &ns->h[i];
	double pp = exp(text_logit(w, ns, u, i) + vis_logit4(w, u->vtype, h->hue, h->sat, h->light, h->shape));
	return pp > PMAX ? PMAX : pp;
}

/* p: true click probability; q: the same with the cover marginalised out */
static void click_prob(const world *w, const news_set *ns, const user *u, uint32_t i,
		       double *p, double *q)
{
	double a = text_logit(w, ns, u, i);
	double ea = exp(a);
	const news_hot *h = &ns->h[i];
	int c = h->cat;
	double pp = ea * exp(vis_logit4(w, u->vtype, h->hue, h->sat, h->light, h->shape));
	*p = pp > PMAX ? PMAX : pp;
	if (ea * w->vis_max[u->vtype][c] <= PMAX) {
		*q = ea * w->vis_mean[u->vtype][c];
	} else {
		const double *e = w->vis_e + ((size_t)u->vtype * SYNTH_NCAT + c) * KVIS;
		double s = 0;
		for (int k = 0; k < KVIS; k++)
			s += ea * e[k] > PMAX ? PMAX : ea * e[k];
		*q = s / KVIS;
	}
}

/* ---------------------------------------------------------------------- */
/* Output: one shuffle buffer per split, so a user's impressions do not sit
 * together in the file; impression ids are given when a line leaves it. */

typedef struct split_out {
	vm_atomic_file beh, clk;
	vm_buf *lines_b, *lines_c;    /* [SHUFFLE_BUF] */
	size_t n;
	uint64_t next_id;
	uint64_t clicks, candidates;
	rng r;
	int failed;
} split_out;

static void emit(split_out *so, size_t k)
{
	char idbuf[24];
	int len = snprintf(idbuf, sizeof idbuf, "%" PRIu64, so->next_id++);
	if (fwrite(idbuf, 1, (size_t)len, so->beh.fp) != (size_t)len ||
	    fwrite(so->lines_b[k].p, 1, so->lines_b[k].len, so->beh.fp) != so->lines_b[k].len ||
	    fwrite(idbuf, 1, (size_t)len, so->clk.fp) != (size_t)len ||
	    fwrite(so->lines_c[k].p, 1, so->lines_c[k].len, so->clk.fp) != so->lines_c[k].len)
		so->failed = 1;
}

/* take the line pair in (b, c); swap buffers to avoid copies */
static void split_push(split_out *so, vm_buf *b, vm_buf *c)
{
	size_t k;
	vm_buf t;
	if (so->n < SHUFFLE_BUF) {
		k = so->n++;
	} else {
		k = rng_below(&so->r, SHUFFLE_BUF);
		emit(so, k);
	}
	t = so->lines_b[k];
	so->lines_b[k] = *b;
	*b = t;
	t = so->lines_c[k];
	so->lines_c[k] = *c;
	*c = t;
	vm_buf_clear(b);
	vm_buf_clear(c);
}

static void split_drain(split_out *so)
{
	while (so->n) {
		size_t k = rng_below(&so->r, (uint32_t)so->n);
		emit(so, k);
		so->n--;
		vm_buf t = so->lines_b[k];
		so->lines_b[k] = so->lines_b[so->n];
		so->lines_b[so->n] = t;
		t = so->lines_c[k];
		so->lines_c[k] = so->lines_c[so->n];
		so->lines_c[so->n] = t;
	}
}

/* ---------------------------------------------------------------------- */
/* Generation */

typedef struct params {
	const char *out;
	uint64_t seed;
	uint32_t news, users;
	uint64_t impressions;
	const char *url_base;
	int quiet;
} params;

typedef struct gen {
	const params *pa;
	world w;
	news_set ns;
	split_out so[2];
	uint32_t old_ptr, fresh_ptr;            /* coverage cursors */
	uint32_t unused_old, unused_fresh;
	uint64_t imps_left;
	uint32_t users_left;
	uint16_t stamp;                          /* current history/impression */
	uint16_t *stamps;                        /* [n] by slot: last one that took it */
	uint32_t *cand;                          /* scratch */
	uint32_t *inj;                           /* scratch: coverage items */
	double *p, *q;
	int8_t *lab;
	uint32_t *hist, hlen, hcap;               /* the current user's history */
	uint64_t hist_total, hist_empty;
	vm_buf hist_text, line_b, line_c;
	vm_atomic_file users_f, news_f[2], truth_news, params_f;
} gen;

/* a new stamp; the scratch array is cleared when the counter wraps */
static void next_stamp(gen *g)
{
	if (++g->stamp == 0) {
		memset(g->stamps, 0, g->ns.n * sizeof *g->stamps);
		g->stamp = 1;
	}
}

static void mark_used(gen *g, uint32_t i, int splits)
{
	if (!(g->ns.used[i] & 4)) {
		if (g->ns.fresh[i])
			g->unused_fresh--;
		else
			g->unused_old--;
	}
	g->ns.used[i] |= (uint8_t)(splits | 4);
}

/* next news not used yet from the pool (old or fresh), or UINT32_MAX */
static uint32_t next_unused(gen *g, int fresh)
{
	uint32_t *ptr = fresh ? &g->fresh_ptr : &g->old_ptr;
	const uint32_t *list = fresh ? g->ns.fresh_by_time : g->ns.old;
	uint32_t n = fresh ? g->ns.n_fresh : g->ns.n_old;
	while (*ptr < n && (g->ns.used[list[*ptr]] & 4))
		(*ptr)++;
	return *ptr < n ? list[*ptr] : UINT32_MAX;
}

/* stochastic rounding of need/left: how many coverage items to place now */
static uint32_t coverage_quota(rng *r, uint64_t need, uint64_t left)
{
	double x;
	uint32_t k;
	if (need == 0)
		return 0;
	if (left <= 1)
		return (uint32_t)need;
	x = (double)need / (double)left * 1.05;
	k = (uint32_t)x;
	if (rng_unif(r) < x - k)
		k++;
	return k > need ? (uint32_t)need : k;
}

/* draw an old news item for a history slot */
static uint32_t draw_old(gen *g, rng *r, const user *u)
{
	const news_set *ns = &g->ns;
	double x = rng_unif(r);
	int sub = -1;
	if (x < 0.4)
		sub = u->focus_sub;
	else if (x < 0.6)
		sub = u->fav_sub[rng_below(r, 2)];
	if (sub >= 0 && ns->sub_n_old[sub] > 0)
		return ns->sub_old[sub][rng_below(r, ns->sub_n_old[sub])];
	for (int tries = 0; tries < 30; tries++) {
		uint32_t k = rng_below(r, ns->n_old);
		if (rng_unif(r) < ns->pop_old[k])
			return ns->old[k];
	}
	return ns->old[rng_below(r, ns->n_old)];
}

/* A history's length: 3% empty, else a long-tailed draw with mean about
 * 33. */
static uint32_t history_length(rng *r)
{
	double l;
	if (rng_unif(r) < 0.03)
		return 0;
	l = ceil(exp(3.03 + 1.0 * rng_normal(r)));
	return l > 400 ? 400 : (uint32_t)l;
}

/* Coverage: up to quota old news nobody has read yet into g->inj, taken
 * and stamped first so that no draw repeats them. Returns how many. */
static uint32_t take_unread_old(gen *g, uint32_t quota, int splits)
{
	for (uint32_t k = 0; k < quota; k++) {
		uint32_t i = next_unused(g, 0);
		if (i == UINT32_MAX)
			return k;
		g->inj[k] = i;
		g->stamps[i] = g->stamp;
		mark_used(g, i, splits);
	}
	return quota;
}

/* One history item by the click model: HIST_DRAWS old news not taken yet
 * are drawn (first, so that their loads overlap), then one is picked in
 * proportion to its click probability. UINT32_MAX when none was drawn. */
static uint32_t draw_history_item(gen *g, rng *r, const user *u)
{
	uint32_t cands[HIST_DRAWS];
	double wts[HIST_DRAWS], total = 0, acc = 0, x;
	int nc = 0;
	for (int t = 0; t < HIST_DRAWS * 3 && nc < HIST_DRAWS; t++) {
		uint32_t i = draw_old(g, r, u);
		if (g->stamps[i] == g->stamp)
			continue;
		__builtin_prefetch(&g->ns.h[i]);
		cands[nc++] = i;
	}
	for (int k = 0; k < nc; k++) {
		wts[k] = click_p(&g->w, &g->ns, u, cands[k]);
		total += wts[k];
	}
	if (nc == 0)
		return UINT32_MAX;
	x = rng_unif(r) * total;
	for (int k = 0; k < nc - 1; k++) {
		acc += wts[k];
		if (x < acc)
			return cands[k];
	}
	return cands[nc - 1];
}

/* The user's history into g->hist: episodes of the short-term focus,
 * oldest first, with the coverage items in random slots (selection
 * sampling); the user keeps the last episode's focus for the impressions. */
static void gen_history(gen *g, rng *r, user *u, int splits)
{
	uint32_t len = history_length(r), quota, placed = 0;
	int ep_left = 0, fsub = 0, fth = 0, nep = 0;
	quota = coverage_quota(r, g->unused_old, g->users_left);
	if (len < quota)
		len = quota;
	if (len > g->ns.n_old)
		len = g->ns.n_old;
	if (quota > len)
		quota = len;
	if (g->hcap < len + 1) {
		g->hcap = len + 64;
		g->hist = xrealloc(g->hist, g->hcap * sizeof *g->hist);
	}
	next_stamp(g);
	quota = take_unread_old(g, quota, splits);
	for (uint32_t j = 0; j < len; j++) {
		uint32_t pick;
		if (ep_left == 0) {
			draw_focus(&g->w, r, u, &fsub, &fth);
			user_set_focus(&g->w, u, fsub, fth);
			ep_left = 1 + (int)floor(-log(1.0 - rng_unif(r)) * 11.0);
			nep++;
		}
		ep_left--;
		if (placed < quota && rng_below(r, len - j) < quota - placed) {
			g->hist[g->hlen++] = g->inj[placed++];
			continue;
		}
		if ((pick = draw_history_item(g, r, u)) == UINT32_MAX)
			continue;
		g->stamps[pick] = g->stamp;
		g->hist[g->hlen++] = pick;
	}
	for (uint32_t k = 0; k < g->hlen; k++)
		mark_used(g, g->hist[k], splits);
	if (nep == 0) {
		draw_focus(&g->w, r, u, &fsub, &fth);
		user_set_focus(&g->w, u, fsub, fth);
	}
}

/* time of day: busy mornings, lunch and evenings */
static int32_t time_of_day(rng *r)
{
	double x = rng_unif(r), h;
	if (x < 0.3)
		h = rng_unif(r) * 24.0;
	else if (x < 0.55)
		h = 8.0 + 2.0 * rng_normal(r);
	else if (x < 0.75)
		h = 13.0 + 2.0 * rng_normal(r);
	else
		h = 20.0 + 2.5 * rng_normal(r);
	h = fmod(h + 48.0, 24.0);
	return (int32_t)(h * 3600.0) % DAY;
}

static int impression_size(rng *r)
{
	double s = floor(exp(3.17 + 0.9 * rng_normal(r)));
	if (s > 298)
		s = 298;
	return 2 + (int)s;
}

/* a fresh candidate for time t; 0 when none found (caller retries) */
static uint32_t draw_fresh(gen *g, rng *r, const user *u, int64_t t, uint32_t lo, uint32_t hi)
{
	const news_set *ns = &g->ns;
	double x = rng_unif(r);
	int sub = -1;
	if (x < 0.12)
		sub = u->focus_sub;
	else if (x < 0.2)
		sub = u->fav_sub[rng_below(r, 2)];
	if (sub >= 0) {
		uint32_t n = ns->sub_n_fresh[sub];
		uint32_t a = lower_pub(ns, ns->sub_fresh[sub], n, t - WINDOW_SECONDS);
		uint32_t b = lower_pub(ns, ns->sub_fresh[sub], n, t + 1);
		if (b > a)
			return ns->sub_fresh[sub][a + rng_below(r, b - a)];
	}
	for (int tries = 0; tries < 30; tries++) {
		uint32_t k = lo + rng_below(r, hi - lo);
		if (rng_unif(r) < ns->pop_fresh[k])
			return ns->fresh_by_time[k];
	}
	return ns->fresh_by_time[lo + rng_below(r, hi - lo)];
}

/* when an impression happens: train 11/9 - 11/14, dev 11/15 */
static int64_t impression_time(rng *r, int split)
{
	if (split == 0)
		return (8 + (int64_t)rng_below(r, 6)) * DAY + time_of_day(r);
	return 14 * (int64_t)DAY + time_of_day(r);
}

/* The candidates' window in fresh_by_time [*lo, *hi): the news published
 * in the 36 hours before t, widened when it holds fewer than 3 * size. */
static void fresh_window(const news_set *ns, int64_t t, uint32_t size, uint32_t *lo, uint32_t *hi)
{
	uint32_t need = 3 * size < ns->n_fresh ? 3 * size : ns->n_fresh;
	*lo = lower_pub(ns, ns->fresh_by_time, ns->n_fresh, t - WINDOW_SECONDS);
	*hi = lower_pub(ns, ns->fresh_by_time, ns->n_fresh, t + 1);
	if (*hi - *lo < need) {
		*lo = *hi >= need ? *hi - need : 0;
		if (*hi - *lo < need)
			*hi = *lo + need;
	}
}

/* The candidates into g->cand: first `quota` fresh news nobody has seen
 * (coverage), then draws from the window until there are `size`; then in
 * random order. Returns how many. */
static uint32_t draw_candidates(gen *g, rng *r, const user *u, int split, int64_t t, uint32_t size,
                                uint32_t quota)
{
	news_set *ns = &g->ns;
	uint32_t n = 0, lo, hi;
	fresh_window(ns, t, size, &lo, &hi);
	next_stamp(g);
	for (uint32_t k = 0; k < quota && n < size; k++) {
		uint32_t i = next_unused(g, 1);
		if (i == UINT32_MAX)
			break;
		g->cand[n++] = i;
		g->stamps[i] = g->stamp;
		mark_used(g, i, 1 << split);
	}
	for (int fails = 0; n < size;) {
		uint32_t i = draw_fresh(g, r, u, t, lo, hi);
		if (g->stamps[i] == g->stamp) {
			if (++fails <= 200)
				continue;
			/* take the next free one from anywhere */
			uint32_t k = rng_below(r, ns->n_fresh);
			while (g->stamps[ns->fresh_by_time[k]] == g->stamp)
				k = (k + 1) % ns->n_fresh;
			i = ns->fresh_by_time[k];
		}
		g->stamps[i] = g->stamp;
		__builtin_prefetch(&ns->h[i]);
		g->cand[n++] = i;
		mark_used(g, i, 1 << split);
	}
	for (uint32_t k = n; k > 1; k--) {
		uint32_t j = rng_below(r, k);
		uint32_t tmp = g->cand[k - 1];
		g->cand[k - 1] = g->cand[j];
		g->cand[j] = tmp;
	}
	return n;
}

/* Labels into g->lab: Bernoulli(p), redrawn until there is a click (MIND
 * keeps only impressions with one); after 100 tries one click drawn by p.
 * Returns the clicks. */
static int draw_labels(gen *g, rng *r, uint32_t n)
{
	double tot = 0, x, acc = 0;
	int clicks = 0;
	for (int round = 0; round < 100 && clicks == 0; round++)
		for (uint32_t k = 0; k < n; k++) {
			g->lab[k] = rng_unif(r) < g->p[k];
			clicks += g->lab[k];
		}
	if (clicks)
		return clicks;
	for (uint32_t k = 0; k < n; k++)
		tot += g->p[k];
	x = rng_unif(r) * tot;
	for (uint32_t k = 0; k < n; k++) {
		acc += g->p[k];
		if (x < acc || k == n - 1) {
			g->lab[k] = 1;
			break;
		}
	}
	return 1;
}

/* The impression's behaviors.tsv line into g->line_b and its clicks.tsv
 * line (p, then q) into g->line_c, both without their impression id. */
static void impression_lines(gen *g, const user *u, int64_t t, const char *hist_text, uint32_t n)
{
	vm_buf *b = &g->line_b, *c = &g->line_c;
	vm_buf_add(b, "\tU");
	buf_add_u64(b, u->id);
	vm_buf_addc(b, '\t');
	buf_add_time(b, t);
	vm_buf_addc(b, '\t');
	vm_buf_add(b, hist_text);
	vm_buf_addc(b, '\t');
	vm_buf_addc(c, '\t');
	for (uint32_t k = 0; k < n; k++) {
		if (k) {
			vm_buf_addc(b, ' ');
			vm_buf_addc(c, ' ');
		}
		vm_buf_addc(b, 'N');
		buf_add_u64(b, g->ns.h[g->cand[k]].id + 1);
		vm_buf_addc(b, '-');
		vm_buf_addc(b, g->lab[k] ? '1' : '0');
		buf_add_prob(c, g->p[k]);
	}
	vm_buf_addc(b, '\n');
	vm_buf_addc(c, '\t');
	for (uint32_t k = 0; k < n; k++) {
		if (k)
			vm_buf_addc(c, ' ');
		buf_add_prob(c, g->q[k]);
	}
	vm_buf_addc(c, '\n');
}

static void gen_impression(gen *g, rng *r, const user *u, int split, const char *hist_text)
{
	split_out *so = &g->so[split];
	int64_t t = impression_time(r, split);
	uint32_t size = (uint32_t)impression_size(r), n;
	uint32_t quota = coverage_quota(r, g->unused_fresh, g->imps_left);
	if (size < quota + 1)
		size = quota + 1;
	if (size > g->ns.n_fresh)
		size = g->ns.n_fresh;
	n = draw_candidates(g, r, u, split, t, size, quota);
	for (uint32_t k = 0; k < n; k++)
		click_prob(&g->w, &g->ns, u, g->cand[k], &g->p[k], &g->q[k]);
	so->clicks += (uint64_t)draw_labels(g, r, n);
	so->candidates += n;
	impression_lines(g, u, t, hist_text, n);
	split_push(so, &g->line_b, &g->line_c);
	g->imps_left--;
}

static int open_out(vm_atomic_file *af, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc = vm_atomic_open(af, path);
	if (rc != 0)
		vm_warn_errno("%s", path);
	free(path);
	return rc;
}

static const char *const split_names[2] = { "train", "dev" };

/* The abstract of news id (slot i): 0-3 sentences, and its entities, which
 * are those of its own text (offsets from the abstract's start). */
static void news_abstract(const gen *g, uint32_t id, uint32_t i, vm_buf *b, ent *aents, int *nae)
{
	const world *w = &g->w;
	const news_set *ns = &g->ns;
	rng r;
	int nsent, nx = 0;
	double xs[DIM], hk = 0;
	size_t abs_start = b->len;
	rng_seed(&r, w->seed, TAG_ABSTRACT, id);
	nsent = rng_unif(&r) < 0.05 ? 0 : 1 + (int)rng_below(&r, 3);
	for (int s = 0; s < nsent; s++) {
		size_t before = b->len;
		int ne0 = *nae;
		if (s)
			vm_buf_addc(b, ' ');
		gen_text(w, &r, ns->cat[i], ns->sub[i], ns->theme[i], 8 + (int)rng_below(&r, 12), 0,
		         b, xs, &nx, &hk, aents, nae, 3);
		for (int k = ne0; k < *nae; k++)
			aents[k].offset += utf8_len(b->p + abs_start, before - abs_start + (s ? 1 : 0));
	}
}

/* news.tsv: id, category, subcategory, title, abstract, URL, title and
 * abstract entities. */
static void news_line(const gen *g, uint32_t id, uint32_t i, vm_buf *b)
{
	const world *w = &g->w;
	const news_set *ns = &g->ns;
	ent ents[4], aents[4];
	int ne = 0, nae = 0;
	char msn[8];
	rng er;
	vm_buf_addc(b, 'N');
	buf_add_u64(b, id + 1);
	vm_buf_addc(b, '\t');
	vm_buf_add(b, synth_cats[ns->cat[i]].name);
	vm_buf_addc(b, '\t');
	vm_buf_add(b, w->sub_name[ns->sub[i]]);
	vm_buf_addc(b, '\t');
	news_title(w, ns, i, b, NULL, NULL, ents, &ne);
	vm_buf_addc(b, '\t');
	news_abstract(g, id, i, b, aents, &nae);
	vm_buf_addc(b, '\t');
	vm_buf_add(b, g->pa->url_base);
	msn_id(w->seed, id, msn);
	vm_buf_add(b, msn);
	vm_buf_add(b, ".html\t");
	rng_seed(&er, w->seed, TAG_ABSTRACT, (uint64_t)id + (1ULL << 40));
	put_entities(w, b, ents, ne, &er);
	vm_buf_addc(b, '\t');
	put_entities(w, b, aents, nae, &er);
	vm_buf_addc(b, '\n');
}

/* truth/news.tsv: the item's visual attributes, pool, publication time and
 * the text part's item terms (b_cat + h, and x kept in hundredths). */
static void truth_news_line(const gen *g, uint32_t id, uint32_t i, vm_buf *b)
{
	const world *w = &g->w;
	const news_set *ns = &g->ns;
	const vis *v = &ns->v[i];
	char msn[8];
	msn_id(w->seed, id, msn);
	vm_buf_addc(b, 'N');
	buf_add_u64(b, id + 1);
	vm_buf_addf(b, "\t%s\t%s\t%s\t", msn, synth_cats[ns->cat[i]].name, w->sub_name[ns->sub[i]]);
	buf_add_u64(b, v->hue);
	vm_buf_addc(b, '\t');
	buf_add_hundredths(b, v->sat);
	vm_buf_addc(b, '\t');
	buf_add_hundredths(b, v->light);
	vm_buf_addf(b, "\t%s\t", shape_names[v->shape]);
	buf_add_u64(b, v->count);
	vm_buf_addc(b, '\t');
	buf_add_u64(b, v->bg_hue);
	vm_buf_addf(b, "\t%s\t%s\t", w->theme_words[ns->theme[i]].w[0], ns->fresh[i] ? "fresh" : "old");
	buf_add_time(b, ns->pub[i]);
	vm_buf_addf(b, "\t%.4f\t", ns->h[i].base - B0);
	for (int d = 0; d < DIM; d++)
		vm_buf_addf(b, d ? ",%.2f" : "%.2f", ns->h[i].x[d] / 100.0);
	vm_buf_addc(b, '\n');
}

/* One line per news item, by id: those marked with bit in used, or every
 * one when bit is 0. 0, or -1 on a write error. */
static int write_news_lines(const gen *g, vm_atomic_file *af, int bit,
                            void (*line)(const gen *, uint32_t, uint32_t, vm_buf *))
{
	vm_buf b = { 0 };
	int rc = 0;
	for (uint32_t id = 0; id < g->ns.n && rc == 0; id++) {
		uint32_t i = g->ns.id2slot[id];
		if (bit && !(g->ns.used[i] & bit))
			continue;
		vm_buf_clear(&b);
		line(g, id, i, &b);
		if (fwrite(b.p, 1, b.len, af->fp) != b.len)
			rc = -1;
	}
	vm_buf_free(&b);
	return rc;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* How the impressions are shared among the users, and their ids. */
typedef struct user_plan {
	double *uw, wsum, wcum;     /* uw: [users] long-tailed weights */
	uint64_t extras, assigned;  /* impressions beyond one per user; handed out so far */
	uint64_t perm_a, perm_b;    /* user ids: an affine permutation of 1..users */
} user_plan;

static void plan_users(user_plan *up, const params *pa)
{
	memset(up, 0, sizeof *up);
	up->uw = xmalloc(pa->users * sizeof *up->uw);
	for (uint32_t k = 0; k < pa->users; k++) {
		rng r;
		rng_seed(&r, pa->seed, TAG_UWEIGHT, k);
		up->uw[k] = exp(1.1 * rng_normal(&r));
		up->wsum += up->uw[k];
	}
	up->extras = pa->impressions - pa->users;
	up->perm_a = 2654435761ULL % pa->users;
	if (up->perm_a == 0)
		up->perm_a = 1;
	while (gcd64(up->perm_a, pa->users) != 1)
		up->perm_a++;
	up->perm_b = (pa->seed * 40503ULL) % pa->users;
}

/* User k's impressions: 1 + a share of the rest in proportion to its
 * weight; cumulative rounding makes the total exact. */
static uint64_t user_impressions(user_plan *up, uint32_t k, uint32_t users)
{
	uint64_t before = up->assigned;
	up->wcum += up->uw[k];
	up->assigned = k + 1 == users ? up->extras : (uint64_t)floor((double)up->extras * (up->wcum / up->wsum));
	if (up->assigned > up->extras)
		up->assigned = up->extras;
	if (up->assigned < before)
		up->assigned = before;
	return 1 + up->assigned - before;
}

/* train, dev or both; both needs two impressions at least */
static int user_kind(rng *r, uint64_t nimp)
{
	double x = rng_unif(r);
	int kind = x < 0.74 ? KIND_TRAIN : x < 0.87 ? KIND_DEV : KIND_BOTH;
	if (kind == KIND_BOTH && nimp < 2)
		kind = rng_unif(r) < 0.75 ? KIND_TRAIN : KIND_DEV;
	return kind;
}

/* How many of the user's impressions go to dev: a quarter of a
 * both-split user's, at least one to each split. */
static uint64_t dev_impressions(rng *r, int kind, uint64_t nimp)
{
	uint64_t dv = 0;
	if (kind == KIND_DEV)
		return nimp;
	if (kind != KIND_BOTH)
		return 0;
	for (uint64_t m = 0; m < nimp; m++)
		dv += rng_unif(r) < 0.25;
	if (dv == 0)
		dv = 1;
	if (dv == nimp)
		dv = nimp - 1;
	return dv;
}

/* The history column, "N1 N2 ...", into g->hist_text. */
static void history_text(gen *g)
{
	vm_buf_clear(&g->hist_text);
	vm_buf_add(&g->hist_text, "");
	for (uint32_t j = 0; j < g->hlen; j++) {
		if (j)
			vm_buf_addc(&g->hist_text, ' ');
		vm_buf_addc(&g->hist_text, 'N');
		buf_add_u64(&g->hist_text, g->ns.h[g->hist[j]].id + 1);
	}
}

/* truth/users.tsv: the user's splits, visual taste, favourite categories,
 * last focus, history length and impressions. */
static void truth_user_line(gen *g, const user *u, uint64_t nimp)
{
	vm_buf *b = &g->line_b;
	vm_buf_clear(b);
	vm_buf_addc(b, 'U');
	buf_add_u64(b, u->id);
	vm_buf_addf(b, "\t%s\t", kind_names[u->kind]);
	buf_add_u64(b, (u->vtype / (NSHAPE * NSTRENGTH)) * (360 / HUE_SECTORS) + (360 / HUE_SECTORS) / 2);
	vm_buf_addf(b, "\t%s\t", shape_names[(u->vtype / NSTRENGTH) % NSHAPE]);
	buf_add_hundredths(b, (int)lround(vis_strength[u->vtype % NSTRENGTH] * 100));
	vm_buf_addf(b, "\t%s,%s\t%s\t", synth_cats[u->fav_cat[0]].name, synth_cats[u->fav_cat[1]].name,
	            g->w.sub_name[u->focus_sub]);
	buf_add_u64(b, g->hlen);
	vm_buf_addc(b, '\t');
	buf_add_u64(b, nimp);
	vm_buf_addc(b, '\n');
	if (fwrite(b->p, 1, b->len, g->users_f.fp) != b->len)
		g->so[0].failed = 1;
	vm_buf_clear(b);
}

/* User k: its history, its impressions, its truth line. */
static void gen_user(gen *g, user_plan *up, uint32_t k)
{
	const params *pa = g->pa;
	uint32_t id = (uint32_t)((up->perm_a * k + up->perm_b) % pa->users) + 1;
	uint64_t nimp = user_impressions(up, k, pa->users), ndev;
	rng r;
	user u;
	rng_seed(&r, pa->seed, TAG_USER, k);
	user_init(&g->w, &u, k, id, &r);
	u.kind = user_kind(&r, nimp);
	g->hlen = 0;
	gen_history(g, &r, &u, u.kind == KIND_TRAIN ? 1 : u.kind == KIND_DEV ? 2 : 3);
	g->hist_total += g->hlen;
	g->hist_empty += g->hlen == 0;
	history_text(g);
	ndev = dev_impressions(&r, u.kind, nimp);
	for (uint64_t m = 0; m < nimp; m++)
		gen_impression(g, &r, &u, m < nimp - ndev ? 0 : 1, g->hist_text.p);
	g->users_left--;
	truth_user_line(g, &u, nimp);
}

static int make_dirs(const char *out)
{
	static const char *const sub[4] = { "train", "dev", "truth/train", "truth/dev" };
	int rc = 0;
	for (int k = 0; k < 4 && rc == 0; k++) {
		char *dir = xasprintf("%s/%s", out, sub[k]);
		if ((rc = vm_mkdir_p(dir)) != 0)
			vm_warn_errno("%s", dir);
		free(dir);
	}
	return rc;
}

/* The world, the news and the scratch arrays. */
static void gen_init(gen *g, const params *pa)
{
	world_init(&g->w, pa->seed);
	news_init(&g->ns, &g->w, pa->news);
	g->unused_old = g->ns.n_old;
	g->unused_fresh = g->ns.n_fresh;
	g->imps_left = pa->impressions;
	g->users_left = pa->users;
	g->stamps = xcalloc(g->ns.n, sizeof *g->stamps);
	g->inj = xmalloc((g->ns.n_old + 1) * sizeof *g->inj);
	g->cand = xmalloc((g->ns.n_fresh + 1) * sizeof *g->cand);
	g->p = xmalloc((g->ns.n_fresh + 1) * sizeof *g->p);
	g->q = xmalloc((g->ns.n_fresh + 1) * sizeof *g->q);
	g->lab = xmalloc(g->ns.n_fresh + 1);
}

/* The files written while the users are generated: behaviors and clicks
 * of both splits (through their shuffle buffers), truth/users.tsv. */
static int open_user_outputs(gen *g)
{
	const params *pa = g->pa;
	for (int s = 0; s < 2; s++) {
		split_out *so = &g->so[s];
		char *b = xasprintf("%s/behaviors.tsv", split_names[s]);
		char *c = xasprintf("truth/%s/clicks.tsv", split_names[s]);
		int e1 = open_out(&so->beh, pa->out, b), e2 = open_out(&so->clk, pa->out, c);
		free(b);
		free(c);
		if (e1 || e2)
			return -1;
		so->lines_b = xcalloc(SHUFFLE_BUF, sizeof(vm_buf));
		so->lines_c = xcalloc(SHUFFLE_BUF, sizeof(vm_buf));
		so->next_id = 1;
		rng_seed(&so->r, pa->seed, TAG_SHUFFLE, (uint64_t)s);
	}
	if (open_out(&g->users_f, pa->out, "truth/users.tsv"))
		return -1;
	fputs("id\tsplits\tvis_hue_pref\tvis_shape_pref\tvis_strength\tfav_categories\t"
	      "focus_subcategory\thistory\timpressions\n", g->users_f.fp);
	return 0;
}

static void gen_users(gen *g)
{
	const params *pa = g->pa;
	int progress = !pa->quiet && vm_stderr_is_tty();
	user_plan up;
	plan_users(&up, pa);
	for (uint32_t k = 0; k < pa->users; k++) {
		gen_user(g, &up, k);
		if (progress && (k & 0xffff) == 0xffff)
			fprintf(stderr, "\r%s: %u/%u users", vm_progname, k + 1, pa->users);
	}
	if (progress && pa->users > 0xffff)
		fputc('\n', stderr);
	for (int s = 0; s < 2; s++)
		split_drain(&g->so[s]);
	free(up.uw);
}

/* Every news item must have been used somewhere. */
static int check_coverage(const gen *g)
{
	uint32_t unused = 0;
	for (uint32_t k = 0; k < g->ns.n; k++)
		unused += !(g->ns.used[k] & 4);
	if (unused || g->unused_old || g->unused_fresh) {
		vm_warn("internal error: %u news items left unused", unused);
		return -1;
	}
	return 0;
}

/* The news of each split, truth/news.tsv, and the parameters the files
 * were made with. A write error is recorded in so[].failed. */
static int write_news_files(gen *g)
{
	const params *pa = g->pa;
	for (int s = 0; s < 2; s++) {
		char *name = xasprintf("%s/news.tsv", split_names[s]);
		int e = open_out(&g->news_f[s], pa->out, name);
		free(name);
		if (e)
			return -1;
		if (write_news_lines(g, &g->news_f[s], 1 << s, news_line) != 0)
			g->so[s].failed = 1;
	}
	if (open_out(&g->truth_news, pa->out, "truth/news.tsv"))
		return -1;
	fputs("id\tmsn_id\tcategory\tsubcategory\tvis_hue\tvis_sat\tvis_light\tvis_shape\t"
	      "vis_count\tvis_bg_hue\ttheme\tpool\tpublished\ttext_bias\ttext_vector\n", g->truth_news.fp);
	if (write_news_lines(g, &g->truth_news, 0, truth_news_line) != 0)
		g->so[0].failed = 1;
	if (open_out(&g->params_f, pa->out, "truth/params.tsv"))
		return -1;
	fprintf(g->params_f.fp, "seed\t%" PRIu64 "\nnews\t%u\nusers\t%u\nimpressions\t%" PRIu64
	        "\nurl_base\t%s\nformat\t1\n", pa->seed, pa->news, pa->users, pa->impressions,
	        pa->url_base);
	return 0;
}

/* Every output file, in the order they are committed. */
static size_t outputs(gen *g, vm_atomic_file *all[9])
{
	vm_atomic_file *list[] = { &g->so[0].clk, &g->so[1].clk, &g->so[0].beh, &g->so[1].beh,
	                           &g->news_f[0], &g->news_f[1], &g->truth_news, &g->users_f, &g->params_f };
	memcpy(all, list, sizeof list);
	return sizeof list / sizeof list[0];
}

/* Every file appears complete under its final name, or not. */
static int commit_outputs(gen *g)
{
	vm_atomic_file *all[9];
	size_t n = outputs(g, all);
	if (g->so[0].failed || g->so[1].failed) {
		vm_warn("write error in %s", g->pa->out);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		char *name = xstrdup(all[k]->path);
		int rc = vm_atomic_commit(all[k]);
		if (rc != 0)
			vm_warn_errno("%s", name);
		free(name);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static void print_summary(const gen *g, double t0)
{
	const params *pa = g->pa;
	uint64_t imp_t = g->so[0].next_id - 1, imp_d = g->so[1].next_id - 1;
	uint64_t cand = g->so[0].candidates + g->so[1].candidates;
	uint64_t clk = g->so[0].clicks + g->so[1].clicks;
	printf("%s: %u news, %u users, %" PRIu64 " impressions (train %" PRIu64 ", dev %" PRIu64
	       "), %.1f candidates and %.2f clicks per impression, click rate %.2f%%, "
	       "history %.1f (%.1f%% empty), %.1f s\n",
	       pa->out, pa->news, pa->users, imp_t + imp_d, imp_t, imp_d,
	       (double)cand / (double)(imp_t + imp_d), (double)clk / (double)(imp_t + imp_d),
	       100.0 * (double)clk / (double)cand, (double)g->hist_total / pa->users,
	       100.0 * (double)g->hist_empty / pa->users, vm_now() - t0);
}

/* Everything g holds; the temporaries of uncommitted outputs removed. */
static void gen_free(gen *g)
{
	vm_atomic_file *all[9];
	size_t n = outputs(g, all);
	for (size_t k = 0; k < n; k++)
		vm_atomic_abort(all[k]);
	for (int s = 0; s < 2; s++) {
		if (g->so[s].lines_b)
			for (int k = 0; k < SHUFFLE_BUF; k++) {
				vm_buf_free(&g->so[s].lines_b[k]);
				vm_buf_free(&g->so[s].lines_c[k]);
			}
		free(g->so[s].lines_b);
		free(g->so[s].lines_c);
	}
	if (g->ns.n)
		news_free(&g->ns, &g->w);
	if (g->w.vis_e)
		world_free(&g->w);
	vm_buf_free(&g->hist_text);
	vm_buf_free(&g->line_b);
	vm_buf_free(&g->line_c);
	free(g->cand);
	free(g->stamps);
	free(g->inj);
	free(g->p);
	free(g->q);
	free(g->lab);
	free(g->hist);
}

static int generate(const params *pa)
{
	gen g;
	double t0 = vm_now();
	int rc = VM_EXIT_USAGE;
	memset(&g, 0, sizeof g);
	g.pa = pa;
	if (make_dirs(pa->out) == 0) {
		gen_init(&g, pa);
		if (open_user_outputs(&g) == 0) {
			gen_users(&g);
			if (check_coverage(&g) == 0 && write_news_files(&g) == 0 && commit_outputs(&g) == 0)
				rc = VM_EXIT_OK;
		}
	}
	if (rc == VM_EXIT_OK && !pa->quiet)
		print_summary(&g, t0);
	gen_free(&g);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* --oracle: the official metrics of the truth probabilities */

/* parse up to n space separated numbers from s; returns how many */
static size_t parse_probs(char **s, double *out, size_t n)
{
	size_t k = 0;
	char *p = *s;
	while (*p && *p != '\t' && *p != '\n') {
		char *end;
		double v;
		while (*p == ' ')
			p++;
		if (!*p || *p == '\t' || *p == '\n')
			break;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno)
			return (size_t)-1;
		if (k < n)
			out[k] = v;
		k++;
		p = end;
	}
	*s = p;
	return k;
}

static void print_block(const char *name, const vm_metrics *m)
{
	printf("%-10s %8.4f %8.4f %8.4f %8.4f\n", name, vm_metrics_auc(m), vm_metrics_mrr(m),
	       vm_metrics_ndcg5(m), vm_metrics_ndcg10(m));
}

static void json_block(cJSON *root, const char *name, const vm_metrics *m)
{
	cJSON *o = cJSON_AddObjectToObject(root, name);
	if (!o)
		vm_die("out of memory (JSON)");
	vm_json_add_numf(o, "auc", "%.6f", vm_metrics_auc(m));
	vm_json_add_numf(o, "mrr", "%.6f", vm_metrics_mrr(m));
	vm_json_add_numf(o, "ndcg5", "%.6f", vm_metrics_ndcg5(m));
	vm_json_add_numf(o, "ndcg10", "%.6f", vm_metrics_ndcg10(m));
}

static void print_oracle(const char *split, const vm_metrics *mp, const vm_metrics *mq, int json)
{
	if (json) {
		cJSON *root = cJSON_CreateObject();
		if (!root)
			vm_die("out of memory (JSON)");
		vm_json_add_str(root, "split", split);
		vm_json_add_int(root, "impressions", (long long)mp->impressions);
		json_block(root, "oracle", mp);
		json_block(root, "text_only", mq);
		vm_json_print(stdout, root, 0);
		cJSON_Delete(root);
	} else {
		printf("split %s, %" PRIu64 " impressions\n", split, mp->impressions);
		printf("%-10s %8s %8s %8s %8s\n", "scores", "AUC", "MRR", "nDCG@5", "nDCG@10");
		print_block("oracle", mp);
		print_block("text_only", mq);
	}
}

/* The truth clicks.tsv read beside behaviors.tsv, one line an impression:
 * its id, then the candidates' p and q. */
typedef struct truth_reader {
	FILE *f;
	char *path, *line;
	size_t cap;
	uint64_t lineno;
	double *p, *q;     /* [cap_probs] of the current line */
	int8_t *lab;       /* [cap_probs] the labels of its impression */
	size_t cap_probs;
} truth_reader;

/* Read the truth line of impression row into t->p, t->q and t->lab. 0, or
 * -1 after a message. */
static int truth_line(truth_reader *t, const vm_behavior *row, const char *bpath)
{
	size_t n = row->n_impressions, np, nq;
	char *s, *end;
	if (getline(&t->line, &t->cap, t->f) < 0) {
		vm_warn("%s: ends before impression %" PRIu64, t->path, row->impression_id);
		return -1;
	}
	t->lineno++;
	t->line[strcspn(t->line, "\r\n")] = '\0';   /* LF or CRLF line ends, as the MIND readers take */
	if (strtoull(t->line, &end, 10) != row->impression_id || end == t->line || *end != '\t') {
		vm_warn("%s:%" PRIu64 ": expected impression %" PRIu64, t->path, t->lineno, row->impression_id);
		return -1;
	}
	if (!row->labelled) {
		vm_warn("%s: impression %" PRIu64 " has no labels", bpath, row->impression_id);
		return -1;
	}
	if (n > t->cap_probs) {
		t->cap_probs = n * 2;
		t->p = xrealloc(t->p, t->cap_probs * sizeof *t->p);
		t->q = xrealloc(t->q, t->cap_probs * sizeof *t->q);
		t->lab = xrealloc(t->lab, t->cap_probs);
	}
	s = end + 1;
	np = parse_probs(&s, t->p, n);
	if (*s == '\t')
		s++;
	nq = parse_probs(&s, t->q, n);
	if (np == (size_t)-1 || nq == (size_t)-1 || *s != '\0') {
		vm_warn("%s:%" PRIu64 ": a probability is not a number", t->path, t->lineno);
		return -1;
	}
	if (np != n || nq != n) {
		vm_warn("%s:%" PRIu64 ": %zu/%zu probabilities for %zu candidates", t->path, t->lineno, np, nq, n);
		return -1;
	}
	for (size_t k = 0; k < n; k++)
		t->lab[k] = row->impressions[k].label;
	return 0;
}

static int oracle(const char *dir, const char *split, int json)
{
	char *bpath = xasprintf("%s/%s/behaviors.tsv", dir, split);
	truth_reader t = { .path = xasprintf("%s/truth/%s/clicks.tsv", dir, split) };
	vm_mind_reader *rd = vm_mind_open(bpath, 0);
	vm_behavior row;
	vm_metrics mp, mq;
	int rc = VM_EXIT_USAGE, st;
	vm_metrics_init(&mp);
	vm_metrics_init(&mq);
	if (!rd)
		goto out;
	if (!(t.f = fopen(t.path, "r"))) {
		vm_warn_errno("%s", t.path);
		goto out;
	}
	while ((st = vm_behavior_next(rd, &row)) == VM_MIND_ROW) {
		if (truth_line(&t, &row, bpath) < 0)
			goto out;
		vm_metrics_add(&mp, t.lab, t.p, row.n_impressions);
		vm_metrics_add(&mq, t.lab, t.q, row.n_impressions);
	}
	if (st != VM_MIND_EOF) {
		vm_warn("%s", vm_mind_error(rd));
		goto out;
	}
	print_oracle(split, &mp, &mq, json);
	rc = VM_EXIT_OK;
out:
	if (rd)
		vm_mind_close(rd);
	if (t.f)
		fclose(t.f);
	free(t.line);
	free(t.p);
	free(t.q);
	free(t.lab);
	free(t.path);
	free(bpath);
	return rc;
}

/* ---------------------------------------------------------------------- */

enum { OPT_NEWS = 256, OPT_USERS, OPT_IMPRESSIONS, OPT_URL_BASE, OPT_ORACLE, OPT_SPLIT, OPT_FORMAT };

static const vm_option options[] = {
	{ "out", 'o', required_argument, "DIR", "write the dataset into DIR" },
	{ "seed", 's', required_argument, "N", "random seed (default 1)" },
	{ "preset", 'p', required_argument, "NAME", "tiny, small (default), medium or large" },
	{ "news", OPT_NEWS, required_argument, "N", "number of news items (overrides the preset)" },
	{ "users", OPT_USERS, required_argument, "N", "number of users (overrides the preset)" },
	{ "impressions", OPT_IMPRESSIONS, required_argument, "N", "number of impressions (overrides the preset)" },
	{ "url-base", OPT_URL_BASE, required_argument, "URL", "news URLs are URL + id + .html" },
	{ "oracle", OPT_ORACLE, required_argument, "DIR", "print the metrics of DIR's true click probabilities" },
	{ "split", OPT_SPLIT, required_argument, "NAME", "with --oracle: train or dev (default dev)" },
	{ "format", OPT_FORMAT, required_argument, "FMT", "with --oracle: text (default) or json" },
	{ "quiet", 'q', no_argument, NULL, "print no summary" },
	{ NULL, 0, 0, NULL, NULL }
};

static vm_cli cli = {
	"vmind-synth --out DIR [--seed N] [--preset NAME] [--news N --users N --impressions N]\n"
	"       vmind-synth --oracle DIR [--split NAME] [--format text|json]",
	"Generate a synthetic MIND dataset with a planted click model, or score its oracle.",
	options,
	"Presets: tiny 300 news / 200 users / 1,000 impressions; small 2,000 / 5,000 / 20,000;\n"
	"medium 10,000 / 50,000 / 150,000; large 130,379 / 876,956 / 2,600,000.\n"
	"See datasets/SYNTHETIC.md for the model and the truth files.\n",
	NULL, NULL
};

/* The sizes of a preset; 0 when name is not one. */
static int set_preset(params *pa, const char *name)
{
	static const struct { const char *name; uint32_t news, users; uint64_t impressions; } presets[] = {
		{ "tiny", 300, 200, 1000 },
		{ "small", 2000, 5000, 20000 },
		{ "medium", 10000, 50000, 150000 },
		{ "large", 130379, 876956, 2600000 },
	};
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
		if (strcmp(name, presets[i].name) == 0) {
			pa->news = presets[i].news;
			pa->users = presets[i].users;
			pa->impressions = presets[i].impressions;
			return 1;
		}
	return 0;
}

/* What the command line asks for: a dataset (pa) or the oracle's metrics. */
typedef struct request {
	params pa;
	const char *oracle_dir, *split, *format;
} request;

/* --news, --users and --impressions over the preset, then the checks. */
static void check_sizes(params *pa, long long news, long long users, long long imps)
{
	if (news >= 0)
		pa->news = (uint32_t)news;
	if (users >= 0)
		pa->users = (uint32_t)users;
	if (imps >= 0)
		pa->impressions = (uint64_t)imps;
	if (pa->impressions < pa->users)
		vm_cli_usage_error(&cli, "--impressions (%" PRIu64 ") must be at least --users (%u): "
		                   "every user has an impression", pa->impressions, pa->users);
	if (pa->url_base[0] == '\0' || strpbrk(pa->url_base, "\t\n\r "))
		vm_cli_usage_error(&cli, "--url-base: must be non-empty, without spaces or tabs");
}

static void parse_options(request *rq, int argc, char **argv)
{
	params *pa = &rq->pa;
	long long news = -1, users = -1, imps = -1;
	int c;
	*rq = (request){ { NULL, 1, 2000, 5000, 20000, "https://assets.msn.com/labs/mind/", 0 }, NULL, "dev", "text" };
	while ((c = vm_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case 'o': pa->out = optarg; break;
		case 's': pa->seed = (uint64_t)vm_cli_int("seed", optarg, 0, INT64_MAX); break;
		case 'p':
			if (!set_preset(pa, optarg))
				vm_cli_usage_error(&cli, "--preset: unknown preset '%s' (tiny, small, medium, large)", optarg);
			break;
		case OPT_NEWS: news = vm_cli_int("news", optarg, 10, 50000000); break;
		case OPT_USERS: users = vm_cli_int("users", optarg, 1, 100000000); break;
		case OPT_IMPRESSIONS: imps = vm_cli_int("impressions", optarg, 1, 1000000000); break;
		case OPT_URL_BASE: pa->url_base = optarg; break;
		case OPT_ORACLE: rq->oracle_dir = optarg; break;
		case OPT_SPLIT: rq->split = optarg; break;
		case OPT_FORMAT: rq->format = optarg; break;
		case 'q': pa->quiet = 1; break;
		}
	}
	if (optind < argc)
		vm_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if (strcmp(rq->split, "train") != 0 && strcmp(rq->split, "dev") != 0)
		vm_cli_usage_error(&cli, "--split: '%s' is not train or dev", rq->split);
	if (strcmp(rq->format, "text") != 0 && strcmp(rq->format, "json") != 0)
		vm_cli_usage_error(&cli, "--format: '%s' is not text or json", rq->format);
	if (rq->oracle_dir) {
		if (pa->out)
			vm_cli_usage_error(&cli, "--oracle and --out don't go together");
		return;
	}
	if (!pa->out)
		vm_cli_usage_error(&cli, "--out DIR is required");
	check_sizes(pa, news, users, imps);
}

int main(int argc, char **argv)
{
	request rq;
	int rc;
	vm_set_progname(argv[0]);
	parse_options(&rq, argc, argv);
	if (rq.oracle_dir)
		rc = oracle(rq.oracle_dir, rq.split, strcmp(rq.format, "json") == 0);
	else
		rc = generate(&rq.pa);
	vm_cli_free(&cli);
	return rc;
}
