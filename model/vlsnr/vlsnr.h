/* vlsnr.h: the VLSNR model (paper section 3, our reading in vlsnr-train(1)) built
 * from model/vlsnr/layers.h: parameters, gradients and Adam moments each in one
 * float block, activations in one block sized for a batch, the forward and
 * backward pass of one training batch, news/user encoders for evaluation,
 * and safetensors checkpoints. The layout of one batch:
 *
 *   feats [U,F,D]  the F field vectors (image, title, category, subcategory
 *                  by default) of the U distinct news items of the batch
 *   hist  [B,P]    index into U of each history item, oldest first,
 *                  left-padded with -1; hmask [B,P] 1 present / 0 padding
 *                  (or masked as training noise)
 *   cand  [B,NC]   index into U of the click (column 0) and its K = NC-1
 *                  sampled non-clicks
 *
 * News encoder: dropout(feats) -> multi-head self-attention over the F fields
 * -> dropout -> additive attention pooling -> MLP (Linear E->M, ReLU, Linear
 * M->M) = news vector [M]. User encoder "vlsnr": o1 = GRU(MHA_time(H)),
 * o2 = AddAtt(MHA_user(H)) over the history vectors H; score of candidate e =
 * alpha o1.e + (1-alpha) o2.e, alpha = sigmoid(alpha_raw). Ablations: selfattn
 * (o2 only), gru (GRU over H, o1 only), mean (mean of H), none (a learned
 * vector u0 for every user). Loss: softmax cross-entropy, click vs K. */
#ifndef VMIND_VLSNR_H
#define VMIND_VLSNR_H

#include <stddef.h>
#include <stdint.h>

enum { VLSNR_USER_VLSNR, VLSNR_USER_SELFATT, VLSNR_USER_GRU, VLSNR_USER_MEAN, VLSNR_USER_NONE };
const char *vlsnr_user_name(int u);
int vlsnr_user_parse(const char *s);   /* -1 when unknown */

typedef struct vlsnr_config {
	int D;        /* input feature size (512 for CLIP ViT-B/32) */
	int F;        /* fields per news item (1..4) */
	int NH;       /* attention heads (news and user attentions) */
	int E;        /* news attention width (NH * head size) */
	int A;        /* additive attention hidden size */
	int M;        /* news and user vector size (multiple of NH) */
	int user;     /* VLSNR_USER_* */
} vlsnr_config;

/* Parameter tensors in their order in the block. */
enum {
	P_NEWS_WQKV,   /* [D,3E] */
	P_NEWS_ATT_W,  /* [E,A] */
	P_NEWS_ATT_B,  /* [A] */
	P_NEWS_ATT_Q,  /* [A] */
	P_NEWS_W1,     /* [E,M] */
	P_NEWS_B1,     /* [M] */
	P_NEWS_W2,     /* [M,M] */
	P_NEWS_B2,     /* [M] */
	P_TIME_WQKV,   /* [M,3M] */
	P_GRU_WX,      /* [M,3M] */
	P_GRU_WH,      /* [M,3M] */
	P_GRU_BX,      /* [3M] */
	P_GRU_BH,      /* [3M] */
	P_USER_WQKV,   /* [M,3M] */
	P_USER_ATT_W,  /* [M,A] */
	P_USER_ATT_B,  /* [A] */
	P_USER_ATT_Q,  /* [A] */
	P_ALPHA,       /* [1] alpha = sigmoid(alpha_raw) */
	P_U0,          /* [M] the user vector of --user-encoder none */
	P_COUNT
};

typedef struct vlsnr_tensor {
	const char *name;  /* safetensors name, e.g. "news.Wqkv" */
	int ndim;
	int shape[2];
	size_t offset;     /* floats from the start of the block */
	size_t size;       /* floats */
} vlsnr_tensor;

typedef struct vlsnr_model {
	vlsnr_config cfg;
	vlsnr_tensor t[P_COUNT];
	size_t nparams;   /* floats in each block */
	float *params;    /* [nparams] */
	float *grads;     /* [nparams] */
	float *m, *v;     /* [nparams] Adam moments (NULL until vlsnr_adam_step or vlsnr_load_opt) */
	long step;        /* Adam steps taken */
} vlsnr_model;

/* Lay out and allocate (parameters and gradients 0); vlsnr_init fills the
 * parameters from seed: GRU matrices uniform in +-1/sqrt(M) (PyTorch's
 * nn.GRU), the additive attention queries uniform in +-sqrt(3/A), u0 in
 * +-0.01, the other matrices Xavier uniform (a Wqkv's fan-out counted per
 * q, k or v part), biases and alpha_raw 0. */
void vlsnr_model_create(vlsnr_model *m, const vlsnr_config *cfg);
void vlsnr_init(vlsnr_model *m, uint64_t seed);
void vlsnr_model_free(vlsnr_model *m);
static inline float *vlsnr_param(const vlsnr_model *m, int i) { return m->params + m->t[i].offset; }
static inline float *vlsnr_grad(const vlsnr_model *m, int i) { return m->grads + m->t[i].offset; }

/* Activations and caches for up to Umax news items and Bmax users with
 * history length P and NC candidates each: one float block. */
typedef struct vlsnr_acts {
	int Umax, Bmax, P, NC;
	/* attention over at least this many items runs as per-head sgemm
	 * (layers.h's MHA_GEMM_MIN_T; tests lower it to check that path) */
	int mha_gemm_min_t;
	float *block;
	/* news encoder */
	float *Ld, *Lm;         /* [U,F,D] dropped-out fields, dropout mask */
	float *qkv, *att;       /* [U,F,3E], [U,NH,F,F] */
	float *T, *Td, *Tm;     /* [U,F,E] attention output, after dropout, mask */
	float *p, *a;           /* [U,F,A], [U,F] additive attention */
	float *x;               /* [U,E] pooled */
	float *h1, *r1;         /* [U,M] first layer, after ReLU */
	float *news;            /* [U,M] news vectors */
	/* user side */
	float *H;               /* [B,P,M] history vectors */
	float *Ce;              /* [B,NC,M] candidate vectors */
	float *tqkv, *tatt, *S1;/* [B,P,3M], [B,NH,P,P], [B,P,M] time self-attention */
	float *gx, *hs, *gates; /* [B,P,3M], [B,P+1,M], [B,P,4M] GRU */
	float *o1, *o2;         /* [B,M] */
	float *uqkv, *uatt, *S2;/* [B,P,3M], [B,NH,P,P], [B,P,M] user self-attention */
	float *up, *ua;         /* [B,P,A], [B,P] */
	float *s, *ds;          /* [B,NC] scores and their gradient */
	/* gradients of activations */
	float *dnews;           /* [U,M] */
	float *dH, *dS;         /* [B,P,M] */
	float *dCe;             /* [B,NC,M] */
	float *do1, *do2;       /* [B,M] */
	float *dx;              /* [U,E] */
	float *dh1, *dr1;       /* [U,M] */
	float *dT;              /* [U,F,E] */
	float *scratch;         /* the largest scratch a backward of layers.h needs */
} vlsnr_acts;
void vlsnr_acts_create(vlsnr_acts *a, const vlsnr_config *cfg, int Umax, int Bmax, int P, int NC);
void vlsnr_acts_free(vlsnr_acts *a);

/* News encoder over feats [U,F,D] into a->news [U,M]. dropout > 0 only in
 * training (rng is then advanced). */
void vlsnr_news_forward(const vlsnr_model *m, vlsnr_acts *a, const float *feats, int U,
			float dropout, uint64_t *rng);
/* User encoder from history vectors a->H [B,P,M] (filled by the caller or
 * vlsnr_forward_backward) into a->o1 and/or a->o2, the ones cfg.user
 * produces (vlsnr_has_o1, vlsnr_has_o2). */
void vlsnr_user_forward(const vlsnr_model *m, vlsnr_acts *a, const float *hmask, int B);
/* Which user vectors a model produces. */
int vlsnr_has_o1(const vlsnr_config *c);
int vlsnr_has_o2(const vlsnr_config *c);

/* One training batch: forward, and (when backward) gradients accumulated
 * into m->grads (zero them first with vlsnr_zero_grad). Returns the mean
 * loss. */
double vlsnr_forward_backward(vlsnr_model *m, vlsnr_acts *a, const float *feats, int U,
			      const int32_t *hist, const float *hmask, const int32_t *cand,
			      int B, float dropout, uint64_t *rng, int backward);
void vlsnr_zero_grad(vlsnr_model *m);
/* Adam over every parameter; allocates the moments on first use. */
void vlsnr_adam_step(vlsnr_model *m, float lr);

/* safetensors checkpoint: every parameter tensor plus __metadata__ with the
 * config (and the extra key/value pairs given). Atomic. 0 or -1 with err. */
int vlsnr_save(const vlsnr_model *m, const char *path, const char *const *meta_kv, int nmeta,
	       char *err, size_t errlen);
/* Everything a resume needs: the parameters (as vlsnr_save, so vlsnr_load
 * reads this file too), m.NAME and v.NAME Adam moments, step, metadata.
 * -1 (with err) when m has no optimizer state yet. */
int vlsnr_save_opt(const vlsnr_model *m, const char *path, const char *const *meta_kv, int nmeta,
		   char *err, size_t errlen);
/* Load a checkpoint written by vlsnr_save (creates the model from its
 * config). 0, or -1 with "FILE: message" in err. */
int vlsnr_load(vlsnr_model *m, const char *path, char *err, size_t errlen);
/* The Adam moments and step of a file written by vlsnr_save_opt, into m
 * (from vlsnr_load of the same file). 0, or -1 with err. */
int vlsnr_load_opt(vlsnr_model *m, const char *path, char *err, size_t errlen);
/* A metadata value of a safetensors file (malloc'ed) or NULL. Models are
 * read with vmind/lib/safetensors.h's reader. */
char *vlsnr_st_meta(const char *path, const char *key);
/* A metadata value read with atoi / atof, or def when the key (or the
 * file) is absent. */
int vlsnr_st_meta_int(const char *path, const char *key, int def);
double vlsnr_st_meta_double(const char *path, const char *key, double def);

#endif
