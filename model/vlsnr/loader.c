/* loader.c: vlsnr-train's samples and batches (see loader.h). */
#include "config.h"
#include "loader.h"
#include "layers.h"
#include "vmind/lib/util.h"

#include <stdlib.h>
#include <string.h>

/* uniform in [0, n) */
static uint32_t below(uint64_t *rng, uint32_t n)
{
	return (uint32_t)((layers_rand(rng) >> 32) % n);
}

/* Each click with a feature row in an impression that has a non-click with
 * one; sets l->n, l->skipped and returns the most non-clicks (at least 1)
 * an impression has. */
static size_t collect_samples(vlsnr_loader *l)
{
	const vlsnr_split *s = l->split;
	size_t cap = 0, maxneg = 1;
	for (size_t i = 0; i < s->n; i++) {
		size_t nneg = 0;
		for (size_t k = s->cand_off[i]; k < s->cand_off[i + 1]; k++)
			nneg += s->label[k] == 0 && s->cand[k] >= 0;
		if (nneg > maxneg)
			maxneg = nneg;
		for (size_t k = s->cand_off[i]; k < s->cand_off[i + 1]; k++) {
			if (s->label[k] != 1)
				continue;
			if (s->cand[k] < 0 || nneg == 0) {
				l->skipped++;
				continue;
			}
			if (l->n == cap)
				l->samples = xrealloc(l->samples, (cap = cap ? 2 * cap : 4096) * sizeof *l->samples);
			l->samples[l->n].imp = (uint32_t)i;
			l->samples[l->n++].pos = (uint32_t)k;
		}
	}
	return maxneg;
}

size_t vlsnr_loader_init(vlsnr_loader *l, const vlsnr_split *s, const vlsnr_feats *f, int batch, int P,
			 int K, double mask_prob)
{
	memset(l, 0, sizeof *l);
	l->split = s;
	l->feats = f;
	l->P = P;
	l->K = K;
	l->mask_prob = mask_prob;
	size_t maxneg = collect_samples(l);
	if (l->n == 0)
		return 0;
	int NC = K + 1;
	l->B = batch < (int)l->n ? batch : (int)l->n;
	l->steps = (l->n + (size_t)l->B - 1) / (size_t)l->B;
	l->Umax = l->B * (P + NC);
	if ((size_t)l->Umax > f->n)
		l->Umax = (int)f->n;
	l->order = xmalloc(l->n * sizeof *l->order);
	l->negs = xmalloc(maxneg * sizeof *l->negs);
	l->local_of = xmalloc(f->n * sizeof *l->local_of);
	l->stamp = xcalloc(f->n, sizeof *l->stamp);
	l->rows = xmalloc((size_t)l->Umax * sizeof *l->rows);
	l->hist = xmalloc((size_t)l->B * P * sizeof *l->hist);
	l->cand = xmalloc((size_t)l->B * NC * sizeof *l->cand);
	l->hmask = xmalloc((size_t)l->B * P * sizeof *l->hmask);
	l->x = xmalloc((size_t)l->Umax * f->nf * f->D * sizeof *l->x);
	return l->n;
}

void vlsnr_loader_free(vlsnr_loader *l)
{
	free(l->samples);
	free(l->order);
	free(l->negs);
	free(l->local_of);
	free(l->stamp);
	free(l->rows);
	free(l->hist);
	free(l->cand);
	free(l->hmask);
	free(l->x);
	memset(l, 0, sizeof *l);
}

void vlsnr_loader_shuffle(vlsnr_loader *l, uint64_t *rng)
{
	for (size_t i = 0; i < l->n; i++)
		l->order[i] = (uint32_t)i;
	for (size_t i = l->n - 1; i > 0; i--) {
		uint32_t j = below(rng, (uint32_t)(i + 1)), t = l->order[i];
		l->order[i] = l->order[j];
		l->order[j] = t;
	}
}

/* The batch's index of feature row row, which joins the batch's distinct
 * news items on first use. */
static int32_t local_index(vlsnr_loader *l, int32_t row)
{
	if (l->stamp[row] != l->batch_no) {
		l->stamp[row] = l->batch_no;
		l->rows[l->U] = row;
		l->local_of[row] = l->U++;
	}
	return l->local_of[row];
}

/* hist and hmask [P] of sample sp: the last P history items, each masked
 * out as noise with probability mask_prob */
static void add_history(vlsnr_loader *l, const vlsnr_sample *sp, int32_t *hist, float *hmask, uint64_t *rng)
{
	vlsnr_split_history(l->split, sp->imp, l->P, hist);
	for (int t = 0; t < l->P; t++) {
		int32_t row = hist[t];
		if (row >= 0 && l->mask_prob > 0 && layers_randf(rng) < l->mask_prob)
			row = -1;
		hist[t] = row >= 0 ? local_index(l, row) : -1;
		hmask[t] = row >= 0;
	}
}

/* cand [K+1] of sample sp: its click, then K of the impression's non-clicks */
static void add_candidates(vlsnr_loader *l, const vlsnr_sample *sp, int32_t *cand, uint64_t *rng)
{
	const vlsnr_split *s = l->split;
	uint32_t nneg = 0, K = (uint32_t)l->K;
	cand[0] = local_index(l, s->cand[sp->pos]);
	for (size_t k = s->cand_off[sp->imp]; k < s->cand_off[sp->imp + 1]; k++)
		if (s->label[k] == 0 && s->cand[k] >= 0)
			l->negs[nneg++] = (uint32_t)s->cand[k];
	for (uint32_t k = 0; k < K; k++) {
		uint32_t j;
		if (nneg >= K) {   /* without replacement */
			j = k + below(rng, nneg - k);
			uint32_t t = l->negs[k];
			l->negs[k] = l->negs[j];
			l->negs[j] = t;
			j = k;
		} else {
			j = below(rng, nneg);
		}
		cand[1 + k] = local_index(l, (int32_t)l->negs[j]);
	}
}

void vlsnr_loader_next(vlsnr_loader *l, size_t step, uint64_t *rng)
{
	size_t s0 = step * (size_t)l->B;
	int NC = l->K + 1;
	l->Bn = (int)(l->n - s0 < (size_t)l->B ? l->n - s0 : (size_t)l->B);
	l->U = 0;
	l->batch_no++;
	for (int b = 0; b < l->Bn; b++) {
		const vlsnr_sample *sp = &l->samples[l->order[s0 + (size_t)b]];
		add_history(l, sp, l->hist + (size_t)b * l->P, l->hmask + (size_t)b * l->P, rng);
		add_candidates(l, sp, l->cand + (size_t)b * NC, rng);
	}
	vlsnr_feats_fill(l->feats, l->rows, l->U, l->x);
}
