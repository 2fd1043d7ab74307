/* clip-fit.h: CLIP in training, built from the layers of clip-train.h: the
 * trained part of a loaded model (the last N blocks of each tower, the
 * final LayerNorms, both projections and the logit scale; with
 * CLIP_FIT_ALL every tensor, embeddings included) in one parameter block
 * with its gradients and Adam moments, the forward and backward pass of a
 * batch of (image, text) pairs under CLIP's symmetric contrastive loss, the
 * Adam step, and the checkpoints: the whole model in Hugging Face's
 * layout (what clip_load reads) and the training state (parameters and
 * moments). The frozen first blocks are not run here: a batch starts at
 * the boundary of the trained blocks, the residual stream that
 * clip_image_hidden / clip_text_hidden compute once (or, for N = 0, the
 * pooled rows of the last hidden state), so that training the last N blocks
 * costs only those blocks. A batch's items are shared among jobs threads,
 * each running the towers over its share with single-threaded sgemm and its
 * own gradient block, summed in a fixed order (the result does not depend
 * on timing, only on jobs). */
#ifndef VMIND_CLIP_FIT_H
#define VMIND_CLIP_FIT_H

#include <stddef.h>
#include <stdint.h>
#include "clip.h"
#include "clip-train.h"

/* layers: every tensor of both towers, embeddings included */
#define CLIP_FIT_ALL (-1)

/* What a tower's input is, by the number of trained blocks. */
enum {
	CLIP_IN_POOLED,   /* N = 0: the pooled row of the last hidden state, [D] an item */
	CLIP_IN_HIDDEN,   /* 0 < N <= layers: the residual stream before block layers - N, [T, D] */
	CLIP_IN_RAW       /* CLIP_FIT_ALL: pixels [3, S, S] or token ids [T] */
};

/* One trained tensor: its checkpoint name and shape, and where it lies in
 * the parameter, gradient and moment blocks. */
typedef struct clip_fit_tensor {
	char *name;
	int ndim;
	int64_t shape[4];
	size_t offset, size;   /* floats */
} clip_fit_tensor;

/* One tower in training. Parameter pointers are into the fit's params
 * block, or (frozen final LayerNorm of N = 0) into the model. */
typedef struct clip_fit_tower {
	int vision;                 /* 1 for the image tower */
	int in;                     /* CLIP_IN_* */
	int L, n;                   /* blocks; trained blocks, the last n */
	int D, NI, H, P;             /* width, MLP width, heads, projection */
	float eps;
	int act;
	int S, patch, np;           /* vision: image size, patch size, patches */
	int V, maxT;                /* text: vocabulary, context */
	clip_block_w *w;            /* [n] */
	float *emb, *pos;           /* RAW: patch weight [D, 3PP] or token table [V, D]; positions */
	float *cls, *pre_w, *pre_b; /* RAW vision: class embedding, pre-LayerNorm */
	float *lnf_w, *lnf_b;       /* final LayerNorm [D] */
	float *proj;                /* [P, D] */
} clip_fit_tower;

typedef struct clip_fit_thread clip_fit_thread;

typedef struct clip_fit {
	const clip_model *m;        /* borrowed: config, tokenizer and the frozen weights */
	int layers;                 /* N, or CLIP_FIT_ALL */
	clip_fit_tower v, t;
	clip_fit_tensor *tensors;   /* [ntensors] the trained ones, in block order */
	size_t ntensors, nparams;
	float *params, *grads;      /* [nparams] */
	float *adam_m, *adam_v;     /* [nparams] */
	float *logit_scale;         /* into params */
	long step;                  /* Adam steps taken */
	/* set by clip_fit_prepare */
	int jobs, Bmax, Tmax;
	clip_fit_thread *th;        /* [jobs] */
	/* [Bmax, P] each: features, normalised, their gradients, and the
	 * loss's gradients for the normalised ones; norms [2 Bmax] */
	float *img, *txt, *img_n, *txt_n, *dimg, *dtxt, *gimg, *gtxt, *norms;
	double *loss_scratch;       /* [2 Bmax^2] */
} clip_fit;

/* A batch of B pairs at the boundary of the trained blocks. */
typedef struct clip_fit_batch {
	int B;
	const float *vin;           /* [B, per item] as v.in says (clip_fit_in_floats) */
	const float *tin;           /* text, POOLED or HIDDEN: [B, per item] (HIDDEN: [B, T, Dt]) */
	const int32_t *ids;         /* text, RAW: [B, T] */
	int T;                      /* text, HIDDEN and RAW: the length of the batch's rows */
	const int *at;              /* text: [B] the row each is pooled at (< T) */
} clip_fit_batch;

/* The trained part of m: layers N (0 to the larger tower's depth; a tower
 * with fewer blocks trains all of its blocks) or CLIP_FIT_ALL. Parameters
 * copied from the model; logit_scale from its model.safetensors, or
 * ln(1/0.07) when it has none. 0, or -1 with a message in err. */
int clip_fit_init(clip_fit *f, const clip_model *m, int layers, char *err, size_t errlen);
void clip_fit_free(clip_fit *f);
/* Floats of one item's input to a tower for a text length T. */
size_t clip_fit_in_floats(const clip_fit_tower *tw, int T);
/* Workspaces for batches of up to Bmax pairs of texts up to Tmax tokens
 * on jobs threads (again to change them). */
void clip_fit_prepare(clip_fit *f, int Bmax, int Tmax, int jobs);

/* Gradients zeroed, forward, loss, backward: f->grads holds the gradient
 * of the returned mean loss. B >= 2. */
double clip_fit_step(clip_fit *f, const clip_fit_batch *b);
/* Forward only: img [B, P], txt [B, P], CLIP's features (projected, not
 * normalised; either may be NULL). */
void clip_fit_features(clip_fit *f, const clip_fit_batch *b, float *img, float *txt);
/* One Adam step of f->grads at learning rate lr; the logit scale is then
 * clamped to [0, ln 100], as CLIP's training does. */
void clip_fit_adam(clip_fit *f, float lr);

/* HF init of every tensor of config c (CLIPModel._init_weights: normal
 * weights with CLIP's standard deviations, LayerNorm 1 and 0, biases 0,
 * logit_scale ln(1/0.07)), drawn from seed, written to path (F32). 0, or -1
 * with a message in err. */
int clip_fit_write_random(const clip_config *c, const char *path, uint64_t seed, char *err, size_t errlen);
/* The whole model, trained tensors from params and the others from the
 * model, F32, in Hugging Face's names. 0, or -1 with a message in err. */
int clip_fit_write_model(const clip_fit *f, const char *path, char *err, size_t errlen);
/* The training state: params, Adam moments, the step, and the metadata
 * pairs meta[2 * nmeta]. 0, or -1 with a message in err. */
int clip_fit_write_state(const clip_fit *f, const char *path, const char *const *meta, size_t nmeta, char *err,
			 size_t errlen);
/* Read a state written for the same trained tensors; *st is left open for
 * its metadata (vm_st_meta), closed by the caller. 0, or -1 with a message
 * in err (st then closed). */
int clip_fit_read_state(clip_fit *f, const char *path, vm_st_file *st, char *err, size_t errlen);

#endif
