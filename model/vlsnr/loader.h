/* loader.h: the training data of vlsnr-train, kept apart from the training
 * loop as llm.c keeps its data loader. A sample is one clicked candidate of
 * a labelled impression (with features, in an impression that has a
 * non-click with features); each epoch shuffles the samples, and a batch
 * gathers, for each sample, the last P history items (items masked as
 * training noise with probability mask_prob), the click and K non-clicks of
 * the same impression (drawn without replacement, or with replacement when
 * the impression has fewer than K), all as indices into the batch's
 * distinct news items, whose features it copies once. The random draws
 * come from the caller's generator, in a fixed order, so that a run is
 * reproducible. */
#ifndef VMIND_VLSNR_LOADER_H
#define VMIND_VLSNR_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "vlsnr-data.h"

/* one training sample: an impression and the position of its click */
typedef struct vlsnr_sample {
	uint32_t imp;
	uint32_t pos;   /* index into the split's cand */
} vlsnr_sample;

typedef struct vlsnr_loader {
	const vlsnr_split *split;   /* kept: lives as long as the loader */
	const vlsnr_feats *feats;   /* kept: lives as long as the loader */
	int B;                      /* samples a batch (--batch, at most n) */
	int P, K;                   /* history length, non-clicks per click */
	double mask_prob;           /* history noise */
	int Umax;                   /* distinct news items a batch can hold */
	size_t n;                   /* samples */
	size_t skipped;             /* clicks without features or without a non-click */
	size_t steps;               /* batches an epoch */
	vlsnr_sample *samples;      /* [n] */
	uint32_t *order;            /* [n] this epoch's order of the samples */
	uint32_t *negs;             /* [most non-clicks of an impression] */
	uint32_t *stamp;            /* [feats->n] the batch a feature row was last placed in */
	int32_t *local_of;          /* [feats->n] its index in that batch */
	uint32_t batch_no;          /* batches built so far */
	/* the current batch */
	int Bn;                     /* samples (B, fewer in an epoch's last batch) */
	int U;                      /* distinct news items */
	int32_t *rows;              /* [Umax] their feature rows */
	float *x;                   /* [Umax,F,D] their features */
	int32_t *hist;              /* [B,P] history, index into rows (-1 padding or masked) */
	float *hmask;               /* [B,P] 1 present, 0 padding or masked */
	int32_t *cand;              /* [B,K+1] the click, then its non-clicks, index into rows */
} vlsnr_loader;

/* Collect the samples of split s (features f) and size the batches: B is
 * batch or the sample count if smaller. Returns the sample count; with none
 * to train on, nothing else is allocated. */
size_t vlsnr_loader_init(vlsnr_loader *l, const vlsnr_split *s, const vlsnr_feats *f, int batch, int P,
			 int K, double mask_prob);
/* Start an epoch: a new order of the samples (Fisher-Yates) from rng. */
void vlsnr_loader_shuffle(vlsnr_loader *l, uint64_t *rng);
/* Build batch step (0 <= step < steps) of the epoch. */
void vlsnr_loader_next(vlsnr_loader *l, size_t step, uint64_t *rng);
void vlsnr_loader_free(vlsnr_loader *l);

#endif
