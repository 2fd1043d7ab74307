/* crawl-similarity.c: the headline similarity of the search tier (see
 * crawl.h and vmind-crawl(1), Search tier). A title is normalised (site
 * prefixes and suffixes split off at " | ", " - ", em and en dashes and ": "
 * when short or a domain name; lower case; punctuation to word breaks), then
 * two titles are compared by the cosine of their TF-IDF vectors over word
 * unigrams, bigrams and trigrams (so that the same words in another order do
 * not match), with document frequencies from the crawl's news titles plus
 * the result set at hand. */
#include "config.h"
#include "crawl.h"
#include "vmind/lib/util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Is the token [s, s + len) (no spaces) a domain name ("cnn.com",
 * "newsbreak-sim.test"): labels of letters, digits and hyphens, each of two
 * characters or more, joined by dots, the last one letters only? Not an
 * abbreviation with dots ("U.S.", "U.K.", "St.", "No.", "Dr."), whose
 * labels are single letters or which end in a dot. */
static int domain_token(const char *s, size_t len)
{
	size_t label = 0, dots = 0;
	int letters_only = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label < 2)
				return 0;
			dots++;
			label = 0;
			letters_only = 1;
		} else if (isalnum(c) || c == '-') {
			label++;
			letters_only &= isalpha(c) != 0;
		} else {
			return 0;
		}
	}
	return dots > 0 && label >= 2 && letters_only;
}

/* Is this part of a title a site name or a section label ("Yahoo News",
 * "newsbreak-sim.test", "Exclusive") rather than the headline: a domain
 * name, or three words at most none of which is an abbreviation with a
 * dot? */
static int site_like(const char *s, size_t len)
{
	size_t words = 0;
	int abbrev = 0;
	for (size_t i = 0; i < len;) {
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		size_t start = i;
		while (i < len && !isspace((unsigned char)s[i]))
			i++;
		if (i > start) {
			words++;
			if (domain_token(s + start, i - start))
				return 1;
			if (i - start >= 2 && s[i - 1] == '.')
				abbrev = 1;   /* "Dr.", "U.S.": headline words, never a site's name */
		}
	}
	return words <= 3 && !abbrev;
}

char *crawl_title_normalise(const char *title)
{
	static const char *const seps[] = { " | ", " - ", " \xe2\x80\x94 ", " \xe2\x80\x93 ", ": ", " :: ", NULL };
	const char *b = title ? title : "", *e = b + strlen(b);
	/* strip site prefixes and suffixes: a part before the first or after the
	 * last separator that is site-like, while something longer is left */
	for (int changed = 1; changed;) {
		changed = 0;
		const char *first = NULL, *last = NULL;
		size_t flen = 0, llen = 0;
		for (int k = 0; seps[k]; k++) {
			size_t sl = strlen(seps[k]);
			for (const char *p = b; p + sl <= e; p++)
				if (memcmp(p, seps[k], sl) == 0) {
					if (!first || p < first) {
						first = p;
						flen = sl;
					}
					if (!last || p > last) {
						last = p;
						llen = sl;
					}
				}
		}
		if (!first)
			break;
		if (site_like(b, (size_t)(first - b)) && !site_like(first + flen, (size_t)(e - first - flen))) {
			b = first + flen;
			changed = 1;
		} else if (site_like(last + llen, (size_t)(e - last - llen)) && !site_like(b, (size_t)(last - b))) {
			e = last;
			changed = 1;
		}
	}
	/* lower case; anything but letters and digits separates words; an
	 * apostrophe joins ("don't" -> "dont") */
	char *out = xmalloc((size_t)(e - b) + 1), *o = out;
	int space = 1;
	for (const char *p = b; p < e; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\'')
			continue;
		if (isalnum(c) || c >= 0x80) {
			*o++ = (char)tolower(c);
			space = 0;
		} else if (!space) {
			*o++ = ' ';
			space = 1;
		}
	}
	if (o > out && o[-1] == ' ')
		o--;
	*o = '\0';
	return out;
}

static uint64_t word_hash(const char *s, size_t n)
{
	uint64_t h = vm_fnv1a64_more(CRAWL_FNV_SEED, s, n);
	return h ? h : 1;
}

/* The features of a normalised title: hashes of its words and word pairs,
 * sorted, duplicates kept (the term frequency). */
static size_t features(const char *t, uint64_t **out)
{
	size_t n = 0, cap = 16;
	uint64_t *v = xmalloc(cap * sizeof *v), prev = 0, prev2 = 0;
	const char *p = t;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, " ");
		uint64_t h = word_hash(p, len);
		if (n + 3 > cap) {
			cap *= 2;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[n++] = h;
		if (prev) {
			uint64_t b = (prev * 0x9e3779b97f4a7c15ULL) ^ (h + 0x632be59bd9b4e019ULL);
			v[n++] = b ? b : 2;
		}
		if (prev2) {
			uint64_t c = ((prev2 * 0xbf58476d1ce4e5b9ULL) ^ (prev * 0x94d049bb133111ebULL)) + h;
			v[n++] = c ? c : 3;
		}
		prev2 = prev;
		prev = h;
		p += len;
	}
	for (size_t i = 1; i < n; i++) {   /* insertion sort: titles are short */
		uint64_t x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	*out = v;
	return n;
}

/* document frequencies of the news titles */
struct crawl_corpus {
	vm_u64count df;
	uint64_t docs;
};

crawl_corpus *crawl_corpus_new(void)
{
	return xcalloc(1, sizeof(crawl_corpus));
}

void crawl_corpus_add(crawl_corpus *corpus, const char *t)
{
	uint64_t *f;
	size_t n = features(t, &f);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || f[i] != f[i - 1])
			(*vm_u64count_at(&corpus->df, f[i]))++;
	corpus->docs++;
	free(f);
}

void crawl_corpus_free(crawl_corpus *corpus)
{
	if (!corpus)
		return;
	vm_u64count_free(&corpus->df);
	free(corpus);
}

static double idf(const crawl_corpus *corpus, uint64_t k, uint64_t **ctx, const size_t *nctx, size_t n)
{
	double df = corpus ? vm_u64count_get(&corpus->df, k) : 0;
	double docs = (corpus ? (double)corpus->docs : 0) + (double)n;
	for (size_t d = 0; d < n; d++) {
		size_t lo = 0, hi = nctx[d];
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (ctx[d][mid] < k)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nctx[d] && ctx[d][lo] == k)
			df++;
	}
	return log((docs + 1) / (df + 1)) + 1;
}

/* weights of the distinct features of f[0..n) (sorted) */
static size_t weigh(const crawl_corpus *corpus, const uint64_t *f, size_t n, uint64_t *keys,
                    double *w, uint64_t **ctx, const size_t *nctx, size_t nc)
{
	size_t m = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && f[j] == f[i])
			j++;
		keys[m] = f[i];
		w[m] = (double)(j - i) * idf(corpus, f[i], ctx, nctx, nc);
		m++;
		i = j;
	}
	return m;
}

double crawl_title_similarity(const crawl_corpus *corpus, const char *a, const char *b,
                              char *const *ctx, size_t n)
{
	uint64_t *fa, *fb, **cf = n ? xcalloc(n, sizeof *cf) : NULL;
	size_t na = features(a, &fa), nb = features(b, &fb), *ncf = n ? xcalloc(n, sizeof *ncf) : NULL;
	for (size_t d = 0; d < n; d++)
		ncf[d] = features(ctx[d], &cf[d]);
	uint64_t *ka = xmalloc((na + 1) * sizeof *ka), *kb = xmalloc((nb + 1) * sizeof *kb);
	double *wa = xmalloc((na + 1) * sizeof *wa), *wb = xmalloc((nb + 1) * sizeof *wb);
	size_t ma = weigh(corpus, fa, na, ka, wa, cf, ncf, n), mb = weigh(corpus, fb, nb, kb, wb, cf, ncf, n);
	double dot = 0, sa = 0, sb = 0, sim = 0;
	for (size_t i = 0; i < ma; i++)
		sa += wa[i] * wa[i];
	for (size_t i = 0; i < mb; i++)
		sb += wb[i] * wb[i];
	for (size_t i = 0, j = 0; i < ma && j < mb;) {
		if (ka[i] < kb[j])
			i++;
		else if (ka[i] > kb[j])
			j++;
		else
			dot += wa[i++] * wb[j++];
	}
	if (sa > 0 && sb > 0)
		sim = dot / sqrt(sa * sb);
	if (sim > 1)
		sim = 1;
	for (size_t d = 0; d < n; d++)
		free(cf[d]);
	free(cf);
	free(ncf);
	free(fa);
	free(fb);
	free(ka);
	free(kb);
	free(wa);
	free(wb);
	return sim;
}

