/* clip-fit.c: CLIP in training (clip-fit.h): the model's tensors listed by
 * name in checkpoint order, the trained ones laid out in one parameter
 * block, the towers' forward and backward passes over a thread's share of
 * a batch, the contrastive loss between them, Adam, Hugging Face's random
 * initialisation, and the checkpoint and state files. */
#include "config.h"
#include "clip-fit.h"
#include "vmind/lib/util.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------- the tensors, by name */

/* Which part of the model a tensor is. */
enum { PART_EMB, PART_BLOCK, PART_LNF, PART_PROJ, PART_SCALE };

/* One tensor of the architecture config.json describes. */
typedef struct arch_t {
	char *name;
	int ndim;
	int64_t shape[4];
	const float *data;   /* the model's weights (NULL without a model) */
	int vision;          /* tower: 1 vision, 0 text (the logit scale: 0) */
	int part, block;     /* PART_*; the block index of PART_BLOCK */
	double std;          /* Hugging Face's initialisation: normal(0, std); 0: see fill */
	float fill;          /* when std is 0: every element */
} arch_t;

typedef struct arch_list {
	arch_t *a;
	size_t n, cap;
} arch_list;

static arch_t *arch_add(arch_list *l, int vision, int part, int block, const float *data, double std, float fill,
			int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3, const char *fmt, ...)
	VM_PRINTF(13, 14);

static arch_t *arch_add(arch_list *l, int vision, int part, int block, const float *data, double std, float fill,
			int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3, const char *fmt, ...)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->a = xrealloc(l->a, l->cap * sizeof *l->a);
	}
	char *name;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&name, fmt, ap) < 0) vm_die("out of memory");
	va_end(ap);
	arch_t *t = &l->a[l->n++];
	*t = (arch_t){name, ndim, {d0, d1, d2, d3}, data, vision, part, block, std, fill};
	return t;
}

/* the 16 tensors of each of a tower's blocks (q, k, v weights adjacent,
 * then their biases, so that each triple is one [3D, D] and one [3D]) */
static void arch_blocks(arch_list *l, const char *pre, const clip_tower_cfg *c, const clip_layer *L, int vision)
{
	int D = c->hidden, NI = c->inter;
	double in_std = pow(D, -0.5) * pow(2.0 * c->layers, -0.5), out_std = pow(D, -0.5), fc_std = pow(2.0 * D, -0.5);
	const char *qkv[3] = {"q", "k", "v"};
	for (int i = 0; i < c->layers; i++) {
		const clip_layer *y = L ? &L[i] : NULL;
#define A(data, std, fill, nd, a, b, ...) \
	arch_add(l, vision, PART_BLOCK, i, y ? y->data : NULL, std, fill, nd, a, b, 0, 0, "%s.encoder.layers.%d." __VA_ARGS__)
		A(ln1_w, 0, 1, 1, D, 0, "%s", pre, i, "layer_norm1.weight");
		A(ln1_b, 0, 0, 1, D, 0, "%s", pre, i, "layer_norm1.bias");
		for (int j = 0; j < 3; j++) {
			const float *w = !y ? NULL : j == 0 ? y->q_w : j == 1 ? y->k_w : y->v_w;
			arch_add(l, vision, PART_BLOCK, i, w, in_std, 0, 2, D, D, 0, 0, "%s.encoder.layers.%d.self_attn.%s_proj.weight",
				 pre, i, qkv[j]);
		}
		for (int j = 0; j < 3; j++) {
			const float *b = !y ? NULL : j == 0 ? y->q_b : j == 1 ? y->k_b : y->v_b;
			arch_add(l, vision, PART_BLOCK, i, b, 0, 0, 1, D, 0, 0, 0, "%s.encoder.layers.%d.self_attn.%s_proj.bias",
				 pre, i, qkv[j]);
		}
		A(o_w, out_std, 0, 2, D, D, "%s", pre, i, "self_attn.out_proj.weight");
		A(o_b, 0, 0, 1, D, 0, "%s", pre, i, "self_attn.out_proj.bias");
		A(ln2_w, 0, 1, 1, D, 0, "%s", pre, i, "layer_norm2.weight");
		A(ln2_b, 0, 0, 1, D, 0, "%s", pre, i, "layer_norm2.bias");
		A(fc1_w, fc_std, 0, 2, NI, D, "%s", pre, i, "mlp.fc1.weight");
		A(fc1_b, 0, 0, 1, NI, 0, "%s", pre, i, "mlp.fc1.bias");
		A(fc2_w, in_std, 0, 2, D, NI, "%s", pre, i, "mlp.fc2.weight");
		A(fc2_b, 0, 0, 1, D, 0, "%s", pre, i, "mlp.fc2.bias");
#undef A
	}
}

/* Every tensor of config c in checkpoint order, with m's weights when m is
 * not NULL (logit_scale's data is left NULL: clip_fit_init finds it). */
static arch_list arch_of(const clip_config *c, const clip_model *m)
{
	arch_list l = {0};
	int Dt = c->t.hidden, Dv = c->v.hidden, P = c->patch_size, np = (c->image_size / P) * (c->image_size / P);
	arch_add(&l, 0, PART_EMB, 0, m ? m->tok_emb : NULL, 0.02, 0, 2, c->vocab_size, Dt, 0, 0,
		 "text_model.embeddings.token_embedding.weight");
	arch_add(&l, 0, PART_EMB, 0, m ? m->tpos : NULL, 0.02, 0, 2, c->max_pos, Dt, 0, 0,
		 "text_model.embeddings.position_embedding.weight");
	arch_blocks(&l, "text_model", &c->t, m ? m->tl : NULL, 0);
	arch_add(&l, 0, PART_LNF, 0, m ? m->final_ln_w : NULL, 0, 1, 1, Dt, 0, 0, 0, "text_model.final_layer_norm.weight");
	arch_add(&l, 0, PART_LNF, 0, m ? m->final_ln_b : NULL, 0, 0, 1, Dt, 0, 0, 0, "text_model.final_layer_norm.bias");
	arch_add(&l, 1, PART_EMB, 0, m ? m->class_emb : NULL, pow(Dv, -0.5), 0, 1, Dv, 0, 0, 0,
		 "vision_model.embeddings.class_embedding");
	arch_add(&l, 1, PART_EMB, 0, m ? m->patch_w : NULL, 0.02, 0, 4, Dv, 3, P, P,
		 "vision_model.embeddings.patch_embedding.weight");
	arch_add(&l, 1, PART_EMB, 0, m ? m->vpos : NULL, 0.02, 0, 2, np + 1, Dv, 0, 0,
		 "vision_model.embeddings.position_embedding.weight");
	arch_add(&l, 1, PART_EMB, 0, m ? m->pre_ln_w : NULL, 0, 1, 1, Dv, 0, 0, 0, "vision_model.pre_layrnorm.weight");
	arch_add(&l, 1, PART_EMB, 0, m ? m->pre_ln_b : NULL, 0, 0, 1, Dv, 0, 0, 0, "vision_model.pre_layrnorm.bias");
	arch_blocks(&l, "vision_model", &c->v, m ? m->vl : NULL, 1);
	arch_add(&l, 1, PART_LNF, 0, m ? m->post_ln_w : NULL, 0, 1, 1, Dv, 0, 0, 0, "vision_model.post_layernorm.weight");
	arch_add(&l, 1, PART_LNF, 0, m ? m->post_ln_b : NULL, 0, 0, 1, Dv, 0, 0, 0, "vision_model.post_layernorm.bias");
	arch_add(&l, 1, PART_PROJ, 0, m ? m->vproj : NULL, pow(Dv, -0.5), 0, 2, c->proj_dim, Dv, 0, 0,
		 "visual_projection.weight");
	arch_add(&l, 0, PART_PROJ, 0, m ? m->tproj : NULL, pow(Dt, -0.5), 0, 2, c->proj_dim, Dt, 0, 0,
		 "text_projection.weight");
	arch_add(&l, 0, PART_SCALE, 0, NULL, 0, (float)log(1 / 0.07), 0, 0, 0, 0, 0, "logit_scale");
	return l;
}

static void arch_free(arch_list *l)
{
	for (size_t i = 0; i < l->n; i++) free(l->a[i].name);
	free(l->a);
}

static size_t numel(int ndim, const int64_t *shape)
{
	size_t n = 1;
	for (int d = 0; d < ndim; d++) n *= (size_t)shape[d];
	return n;
}

/* Is tensor a trained with layers? */
static int trained(const arch_t *a, const clip_config *c, int layers)
{
	int L = a->vision ? c->v.layers : c->t.layers;
	int n = layers == CLIP_FIT_ALL || layers > L ? L : layers;
	switch (a->part) {
	case PART_EMB: return layers == CLIP_FIT_ALL;
	case PART_BLOCK: return a->block >= L - n;
	case PART_LNF: return n > 0;
	default: return 1;
	}
}

/* ------------------------------------------------------------- set-up */

static float *param(const clip_fit *f, const char *fmt, ...) VM_PRINTF(2, 3);

/* The parameter NAME, or NULL when it is not trained. */
static float *param(const clip_fit *f, const char *fmt, ...)
{
	char name[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < f->ntensors; i++)
		if (!strcmp(f->tensors[i].name, name)) return f->params + f->tensors[i].offset;
	return NULL;
}

static void tower_init(clip_fit *f, clip_fit_tower *tw, int vision)
{
	const clip_config *c = &f->m->cfg;
	const clip_tower_cfg *tc = vision ? &c->v : &c->t;
	const char *pre = vision ? "vision_model" : "text_model";
	tw->vision = vision;
	tw->L = tc->layers;
	tw->n = f->layers == CLIP_FIT_ALL || f->layers > tw->L ? tw->L : f->layers;
	tw->in = f->layers == CLIP_FIT_ALL ? CLIP_IN_RAW : tw->n ? CLIP_IN_HIDDEN : CLIP_IN_POOLED;
	tw->D = tc->hidden; tw->NI = tc->inter; tw->H = tc->heads; tw->P = c->proj_dim;
	tw->eps = tc->eps; tw->act = tc->act;
	tw->S = c->image_size; tw->patch = c->patch_size;
	tw->np = (c->image_size / c->patch_size) * (c->image_size / c->patch_size);
	tw->V = c->vocab_size; tw->maxT = c->max_pos;
	tw->w = xcalloc((size_t)(tw->n ? tw->n : 1), sizeof *tw->w);
	for (int k = 0; k < tw->n; k++) {
		int i = tw->L - tw->n + k;
		clip_block_w *w = &tw->w[k];
#define B(field, suffix) w->field = param(f, "%s.encoder.layers.%d.%s", pre, i, suffix)
		B(ln1_w, "layer_norm1.weight"); B(ln1_b, "layer_norm1.bias");
		B(qkv_w, "self_attn.q_proj.weight"); B(qkv_b, "self_attn.q_proj.bias");
		B(o_w, "self_attn.out_proj.weight"); B(o_b, "self_attn.out_proj.bias");
		B(ln2_w, "layer_norm2.weight"); B(ln2_b, "layer_norm2.bias");
		B(fc1_w, "mlp.fc1.weight"); B(fc1_b, "mlp.fc1.bias");
		B(fc2_w, "mlp.fc2.weight"); B(fc2_b, "mlp.fc2.bias");
#undef B
	}
	if (vision) {
		tw->emb = param(f, "vision_model.embeddings.patch_embedding.weight");
		tw->pos = param(f, "vision_model.embeddings.position_embedding.weight");
		tw->cls = param(f, "vision_model.embeddings.class_embedding");
		tw->pre_w = param(f, "vision_model.pre_layrnorm.weight");
		tw->pre_b = param(f, "vision_model.pre_layrnorm.bias");
		tw->lnf_w = param(f, "vision_model.post_layernorm.weight");
		tw->lnf_b = param(f, "vision_model.post_layernorm.bias");
		tw->proj = param(f, "visual_projection.weight");
		if (!tw->n) { tw->lnf_w = (float *)f->m->post_ln_w; tw->lnf_b = (float *)f->m->post_ln_b; }
	} else {
		tw->emb = param(f, "text_model.embeddings.token_embedding.weight");
		tw->pos = param(f, "text_model.embeddings.position_embedding.weight");
		tw->lnf_w = param(f, "text_model.final_layer_norm.weight");
		tw->lnf_b = param(f, "text_model.final_layer_norm.bias");
		tw->proj = param(f, "text_projection.weight");
		if (!tw->n) { tw->lnf_w = (float *)f->m->final_ln_w; tw->lnf_b = (float *)f->m->final_ln_b; }
	}
}

/* the model's logit_scale, or CLIP's initial value */
static float model_logit_scale(const clip_model *m)
{
	const vm_st_tensor *t = vm_st_find(&m->st, "logit_scale");
	if (t && t->nbytes == 4 && t->dtype == VM_ST_F32) {
		float v;
		memcpy(&v, t->data, 4);
		return v;
	}
	if (t && t->nbytes == 2 && (t->dtype == VM_ST_F16 || t->dtype == VM_ST_BF16)) {
		uint16_t h = (uint16_t)(t->data[0] | (t->data[1] << 8));
		return t->dtype == VM_ST_F16 ? vm_st_f16_to_f32(h) : vm_st_bf16_to_f32(h);
	}
	return (float)log(1 / 0.07);
}

int clip_fit_init(clip_fit *f, const clip_model *m, int layers, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	int Lmax = m->cfg.v.layers > m->cfg.t.layers ? m->cfg.v.layers : m->cfg.t.layers;
	if (layers != CLIP_FIT_ALL && (layers < 0 || layers > Lmax)) {
		snprintf(err, errlen, "%d layers to train, but the model has %d and %d", layers, m->cfg.v.layers,
			 m->cfg.t.layers);
		return -1;
	}
	f->m = m;
	f->layers = layers;
	arch_list l = arch_of(&m->cfg, m);
	f->tensors = xcalloc(l.n, sizeof *f->tensors);
	for (size_t i = 0; i < l.n; i++) {
		if (!trained(&l.a[i], &m->cfg, layers)) continue;
		clip_fit_tensor *t = &f->tensors[f->ntensors++];
		t->name = xstrdup(l.a[i].name);
		t->ndim = l.a[i].ndim;
		memcpy(t->shape, l.a[i].shape, sizeof t->shape);
		t->offset = f->nparams;
		t->size = numel(t->ndim, t->shape);
		f->nparams += t->size;
	}
	float *mem = xcalloc(4 * f->nparams, sizeof *mem);
	f->params = mem;
	f->grads = mem + f->nparams;
	f->adam_m = mem + 2 * f->nparams;
	f->adam_v = mem + 3 * f->nparams;
	for (size_t i = 0, k = 0; i < l.n; i++) {
		if (!trained(&l.a[i], &m->cfg, layers)) continue;
		clip_fit_tensor *t = &f->tensors[k++];
		if (l.a[i].part == PART_SCALE) f->params[t->offset] = model_logit_scale(m);
		else memcpy(f->params + t->offset, l.a[i].data, t->size * sizeof *f->params);
	}
	arch_free(&l);
	f->logit_scale = param(f, "logit_scale");
	tower_init(f, &f->v, 1);
	tower_init(f, &f->t, 0);
	return 0;
}

size_t clip_fit_in_floats(const clip_fit_tower *tw, int T)
{
	int Tv = tw->np + 1;
	switch (tw->in) {
	case CLIP_IN_POOLED: return (size_t)tw->D;
	case CLIP_IN_HIDDEN: return (size_t)(tw->vision ? Tv : T) * tw->D;
	default: return tw->vision ? 3 * (size_t)tw->S * tw->S : (size_t)T;
	}
}

/* ------------------------------------------------------ thread workspace */

/* One tower's buffers in one thread, for Bs items of T rows (M = Bs T). */
typedef struct tower_ws {
	float *patches, *pe, *xe, *pre_mean, *pre_rstd;   /* RAW vision: [Bs np, 3PP], [Bs np, D], [M, D], [M], [M] */
	float *x0;                  /* RAW: [M, D] the embeddings' output */
	float *res;                 /* [n][M, D] each block's output */
	float *acts;                /* [n][clip_block_acts_floats] */
	size_t acts_floats;         /* of one block */
	float *pooled, *lnf;        /* [Bs, D] */
	float *lnf_mean, *lnf_rstd; /* [Bs] */
	float *dlnf, *dpooled;      /* [Bs, D] */
	float *dres, *scratch;      /* [M, D], clip_block_scratch_floats */
	float *dxe, *dpe;           /* RAW vision: [M, D], [Bs np, D] */
	const float *in;            /* the share's input (vin or tin) */
	const int32_t *ids;         /* RAW text */
	const int *at;              /* [Bs] pooling rows */
} tower_ws;

/* A tower's gradient pointers in one thread's gradient block. */
typedef struct tower_g {
	clip_block_w *w;            /* [n] */
	float *emb, *pos, *cls, *pre_w, *pre_b, *lnf_w, *lnf_b, *proj;
} tower_g;

struct clip_fit_thread {
	clip_fit *f;
	float *grads;               /* [nparams]: thread 0's is f->grads */
	tower_g gv, gt;
	tower_ws wv, wt;
	float *mem;                 /* the workspaces' one allocation: the image tower's first */
	size_t vfloats;             /* the image tower's part of it */
	int *zeros;                 /* [Bmax] the image tower's pooling rows */
	/* the current job */
	const clip_fit_batch *b;
	int b0, n, backward;
};

/* Lay out ws for Bs items of T rows from base; returns the floats used
 * (base NULL: only counts). */
static size_t tower_layout(const clip_fit_tower *tw, tower_ws *w, float *base, int Bs, int T)
{
	size_t M = (size_t)Bs * T, D = (size_t)tw->D, off = 0, pnp = (size_t)Bs * tw->np;
#define CARVE(field, count) do { if (base) w->field = base + off; off += (count); } while (0)
	if (tw->in == CLIP_IN_RAW && tw->vision) {
		CARVE(patches, pnp * 3 * tw->patch * tw->patch);
		CARVE(pe, pnp * D);
		CARVE(xe, M * D);
		CARVE(pre_mean, M);
		CARVE(pre_rstd, M);
		CARVE(dxe, M * D);
		CARVE(dpe, pnp * D);
	}
	if (tw->in == CLIP_IN_RAW) CARVE(x0, M * D);
	w->acts_floats = clip_block_acts_floats(Bs, T, tw->D, tw->NI, tw->H);
	CARVE(res, (size_t)tw->n * M * D);
	CARVE(acts, (size_t)tw->n * w->acts_floats);
	CARVE(pooled, (size_t)Bs * D);
	CARVE(lnf, (size_t)Bs * D);
	CARVE(lnf_mean, (size_t)Bs);
	CARVE(lnf_rstd, (size_t)Bs);
	CARVE(dlnf, (size_t)Bs * D);
	CARVE(dpooled, (size_t)Bs * D);
	if (tw->in != CLIP_IN_POOLED) {
		CARVE(dres, M * D);
		CARVE(scratch, clip_block_scratch_floats(Bs, T, tw->D, tw->NI));
	}
#undef CARVE
	return off;
}

/* p's gradient in the block g (p a parameter), or NULL (p frozen or NULL) */
static float *grad_of(const clip_fit *f, float *g, const float *p)
{
	if (!p || p < f->params || p >= f->params + f->nparams) return NULL;
	return g + (p - f->params);
}

static void tower_grads(const clip_fit *f, const clip_fit_tower *tw, tower_g *g, float *grads)
{
	g->w = xcalloc((size_t)(tw->n ? tw->n : 1), sizeof *g->w);
	for (int k = 0; k < tw->n; k++) {
		const clip_block_w *w = &tw->w[k];
		clip_block_w *d = &g->w[k];
		/* clip_block_w is nothing but float pointers */
		float *const *src = (float *const *)w;
		float **dst = (float **)d;
		for (size_t i = 0; i < sizeof *w / sizeof(float *); i++) dst[i] = grad_of(f, grads, src[i]);
	}
	g->emb = grad_of(f, grads, tw->emb);
	g->pos = grad_of(f, grads, tw->pos);
	g->cls = grad_of(f, grads, tw->cls);
	g->pre_w = grad_of(f, grads, tw->pre_w);
	g->pre_b = grad_of(f, grads, tw->pre_b);
	g->lnf_w = grad_of(f, grads, tw->lnf_w);
	g->lnf_b = grad_of(f, grads, tw->lnf_b);
	g->proj = grad_of(f, grads, tw->proj);
}

static void threads_free(clip_fit *f)
{
	for (int t = 0; f->th && t < f->jobs; t++) {
		clip_fit_thread *th = &f->th[t];
		if (t) free(th->grads);
		free(th->gv.w);
		free(th->gt.w);
		free(th->mem);
		free(th->zeros);
	}
	free(f->th);
	f->th = NULL;
	free(f->img);
	free(f->loss_scratch);
}

void clip_fit_prepare(clip_fit *f, int Bmax, int Tmax, int jobs)
{
	threads_free(f);
	f->jobs = jobs < 1 ? 1 : jobs;
	f->Bmax = Bmax;
	f->Tmax = Tmax;
	int share = (Bmax + f->jobs - 1) / f->jobs, Tv = f->v.np + 1;
	f->th = xcalloc((size_t)f->jobs, sizeof *f->th);
	for (int t = 0; t < f->jobs; t++) {
		clip_fit_thread *th = &f->th[t];
		th->f = f;
		th->grads = t ? xcalloc(f->nparams, sizeof *th->grads) : f->grads;
		tower_grads(f, &f->v, &th->gv, th->grads);
		tower_grads(f, &f->t, &th->gt, th->grads);
		th->vfloats = tower_layout(&f->v, &th->wv, NULL, share, Tv);
		th->mem = xmalloc((th->vfloats + tower_layout(&f->t, &th->wt, NULL, share, Tmax)) * sizeof *th->mem);
		th->zeros = xcalloc((size_t)share, sizeof *th->zeros);
	}
	size_t P = (size_t)f->v.P, B = (size_t)Bmax;
	f->img = xmalloc((8 * B * P + 2 * B) * sizeof *f->img);
	f->txt = f->img + B * P;
	f->img_n = f->txt + B * P;
	f->txt_n = f->img_n + B * P;
	f->dimg = f->txt_n + B * P;
	f->dtxt = f->dimg + B * P;
	f->gimg = f->dtxt + B * P;
	f->gtxt = f->gimg + B * P;
	f->norms = f->gtxt + B * P;
	f->loss_scratch = xmalloc(2 * B * B * sizeof *f->loss_scratch);
}

void clip_fit_free(clip_fit *f)
{
	threads_free(f);
	for (size_t i = 0; i < f->ntensors; i++) free(f->tensors[i].name);
	free(f->tensors);
	free(f->params);
	free(f->v.w);
	free(f->t.w);
	memset(f, 0, sizeof *f);
}

/* ------------------------------------------------------- tower passes */

/* RAW: the embeddings of the share into w->x0 */
static void embed_forward(const clip_fit_tower *tw, tower_ws *w, int Bs, int T)
{
	int D = tw->D, M = Bs * T;
	if (!tw->vision) {
		clip_text_embed_forward(w->x0, w->ids, tw->emb, tw->pos, Bs, T, D);
		return;
	}
	int K = 3 * tw->patch * tw->patch;
	clip_patch_unfold(w->patches, w->in, Bs, tw->S, tw->patch);
	clip_linear_forward(w->pe, w->patches, tw->emb, NULL, Bs * tw->np, K, D, 0);
	clip_vision_embed_forward(w->xe, w->pe, tw->cls, tw->pos, Bs, tw->np, D);
	clip_layernorm_forward(w->x0, w->pre_mean, w->pre_rstd, w->xe, tw->pre_w, tw->pre_b, M, D, tw->eps);
}

static void embed_backward(const clip_fit_tower *tw, const tower_g *g, tower_ws *w, int Bs, int T)
{
	int D = tw->D, M = Bs * T;
	if (!tw->vision) {
		clip_text_embed_backward(g->emb, g->pos, w->dres, w->ids, Bs, T, D);
		return;
	}
	memset(w->dxe, 0, (size_t)M * D * sizeof *w->dxe);
	clip_layernorm_backward(w->dxe, g->pre_w, g->pre_b, w->dres, w->xe, w->pre_mean, w->pre_rstd, tw->pre_w, M, D);
	memset(w->dpe, 0, (size_t)Bs * tw->np * D * sizeof *w->dpe);
	clip_vision_embed_backward(w->dpe, g->cls, g->pos, w->dxe, Bs, tw->np, D);
	clip_linear_backward(NULL, g->emb, NULL, w->dpe, w->patches, tw->emb, Bs * tw->np, 3 * tw->patch * tw->patch, D);
}

/* the input of trained block k (k = n: the last block's output) */
static const float *block_input(const clip_fit_tower *tw, const tower_ws *w, int k, int M)
{
	if (k > 0) return w->res + (size_t)(k - 1) * M * tw->D;
	return tw->in == CLIP_IN_RAW ? w->x0 : w->in;
}

static void tower_forward(const clip_fit_tower *tw, tower_ws *w, int Bs, int T, float *feat)
{
	int D = tw->D, M = Bs * T;
	const float *pooled = w->in;
	if (tw->in == CLIP_IN_RAW) embed_forward(tw, w, Bs, T);
	if (tw->in != CLIP_IN_POOLED) {
		for (int k = 0; k < tw->n; k++) {
			clip_block_acts a;
			clip_block_acts_bind(&a, w->acts + (size_t)k * w->acts_floats, Bs, T, D, tw->NI, tw->H);
			clip_block_forward(w->res + (size_t)k * M * D, &a, block_input(tw, w, k, M), &tw->w[k], Bs, T, D,
					   tw->NI, tw->H, tw->eps, tw->act, !tw->vision);
		}
		clip_pool_forward(w->pooled, block_input(tw, w, tw->n, M), w->at, Bs, T, D);
		pooled = w->pooled;
	}
	clip_layernorm_forward(w->lnf, w->lnf_mean, w->lnf_rstd, pooled, tw->lnf_w, tw->lnf_b, Bs, D, tw->eps);
	clip_linear_forward(feat, w->lnf, tw->proj, NULL, Bs, D, tw->P, 0);
}

static void tower_backward(const clip_fit_tower *tw, const tower_g *g, tower_ws *w, int Bs, int T, const float *dfeat)
{
	int D = tw->D, M = Bs * T;
	memset(w->dlnf, 0, (size_t)Bs * D * sizeof *w->dlnf);
	clip_linear_backward(w->dlnf, g->proj, NULL, dfeat, w->lnf, tw->proj, Bs, D, tw->P);
	if (tw->in == CLIP_IN_POOLED) return;   /* the final LayerNorm and all below are frozen */
	memset(w->dpooled, 0, (size_t)Bs * D * sizeof *w->dpooled);
	clip_layernorm_backward(w->dpooled, g->lnf_w, g->lnf_b, w->dlnf, w->pooled, w->lnf_mean, w->lnf_rstd, tw->lnf_w,
				Bs, D);
	memset(w->dres, 0, (size_t)M * D * sizeof *w->dres);
	clip_pool_backward(w->dres, w->dpooled, w->at, Bs, T, D);
	for (int k = tw->n - 1; k >= 0; k--) {
		clip_block_acts a;
		clip_block_acts_bind(&a, w->acts + (size_t)k * w->acts_floats, Bs, T, D, tw->NI, tw->H);
		clip_block_backward(w->dres, &g->w[k], w->scratch, block_input(tw, w, k, M), &a, &tw->w[k], Bs, T, D, tw->NI,
				    tw->H, tw->act, k > 0 || tw->in == CLIP_IN_RAW);
	}
	if (tw->in == CLIP_IN_RAW) embed_backward(tw, g, w, Bs, T);
}

/* ------------------------------------------------------------ a batch */

/* thread th's share of its batch, forward or backward */
static void *fit_worker(void *arg)
{
	clip_fit_thread *th = arg;
	clip_fit *f = th->f;
	const clip_fit_batch *b = th->b;
	int Tv = f->v.np + 1, T = f->t.in == CLIP_IN_POOLED ? 1 : b->T, P = f->v.P;
	tower_layout(&f->v, &th->wv, th->mem, th->n, Tv);
	tower_layout(&f->t, &th->wt, th->mem + th->vfloats, th->n, T);
	th->wv.in = b->vin + (size_t)th->b0 * clip_fit_in_floats(&f->v, T);
	th->wv.at = th->zeros;
	th->wt.in = b->tin ? b->tin + (size_t)th->b0 * clip_fit_in_floats(&f->t, T) : NULL;
	th->wt.ids = b->ids ? b->ids + (size_t)th->b0 * T : NULL;
	th->wt.at = b->at ? b->at + th->b0 : NULL;
	if (!th->backward) {
		tower_forward(&f->v, &th->wv, th->n, Tv, f->img + (size_t)th->b0 * P);
		tower_forward(&f->t, &th->wt, th->n, T, f->txt + (size_t)th->b0 * P);
	} else {
		tower_backward(&f->v, &th->gv, &th->wv, th->n, Tv, f->dimg + (size_t)th->b0 * P);
		tower_backward(&f->t, &th->gt, &th->wt, th->n, T, f->dtxt + (size_t)th->b0 * P);
	}
	return NULL;
}

/* the batch's items shared among the threads, forward or backward */
static void run_threads(clip_fit *f, const clip_fit_batch *b, int backward)
{
	int nt = f->jobs < b->B ? f->jobs : b->B, start = 0;
	pthread_t tid[64];
	char running[64] = {0};
	if (nt > 64) nt = 64;
	openblas_set_num_threads(1);
	for (int t = 0; t < nt; t++) {
		clip_fit_thread *th = &f->th[t];
		th->b = b;
		th->backward = backward;
		th->b0 = start;
		th->n = b->B / nt + (t < b->B % nt);
		start += th->n;
		if (t && backward) memset(th->grads, 0, f->nparams * sizeof *th->grads);
	}
	for (int t = 1; t < nt; t++) running[t] = pthread_create(&tid[t], NULL, fit_worker, &f->th[t]) == 0;
	fit_worker(&f->th[0]);
	for (int t = 1; t < nt; t++) {
		if (running[t]) pthread_join(tid[t], NULL);
		else fit_worker(&f->th[t]);
	}
	if (backward)
		for (int t = 1; t < nt; t++)
			for (size_t i = 0; i < f->nparams; i++) f->grads[i] += f->th[t].grads[i];
}

double clip_fit_step(clip_fit *f, const clip_fit_batch *b)
{
	int B = b->B, P = f->v.P;
	if (B < 2 || B > f->Bmax) vm_die("clip_fit_step: a batch of %d pairs (2 to %d)", B, f->Bmax);
	memset(f->grads, 0, f->nparams * sizeof *f->grads);
	run_threads(f, b, 0);
	clip_l2norm_forward(f->img_n, f->norms, f->img, B, P);
	clip_l2norm_forward(f->txt_n, f->norms + B, f->txt, B, P);
	/* the loss's gradient for the normalised features, then through the norms */
	float dscale;
	double loss = clip_contrastive_forward_backward(f->gimg, f->gtxt, &dscale, f->loss_scratch, f->img_n, f->txt_n,
							*f->logit_scale, B, P);
	memset(f->dimg, 0, (size_t)B * P * sizeof *f->dimg);
	memset(f->dtxt, 0, (size_t)B * P * sizeof *f->dtxt);
	clip_l2norm_backward(f->dimg, f->gimg, f->img_n, f->norms, B, P);
	clip_l2norm_backward(f->dtxt, f->gtxt, f->txt_n, f->norms + B, B, P);
	f->grads[f->logit_scale - f->params] += dscale;
	run_threads(f, b, 1);
	return loss;
}

void clip_fit_features(clip_fit *f, const clip_fit_batch *b, float *img, float *txt)
{
	size_t n = (size_t)b->B * f->v.P;
	if (b->B > f->Bmax) vm_die("clip_fit_features: a batch of %d pairs (at most %d)", b->B, f->Bmax);
	run_threads(f, b, 0);
	if (img) memcpy(img, f->img, n * sizeof *img);
	if (txt) memcpy(txt, f->txt, n * sizeof *txt);
}

void clip_fit_adam(clip_fit *f, float lr)
{
	f->step++;
	clip_adam_update(f->params, f->grads, f->adam_m, f->adam_v, f->nparams, lr, f->step);
	float *s = f->logit_scale, top = (float)log(100.0);
	*s = *s < 0 ? 0 : *s > top ? top : *s;
}

/* ------------------------------------------------------------- files */

/* a standard normal number (Box-Muller over splitmix64) */
static double gauss(uint64_t *state)
{
	double u1 = ((vm_splitmix64(state) >> 11) + 1.0) / 9007199254740993.0;
	double u2 = (vm_splitmix64(state) >> 11) / 9007199254740992.0;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

int clip_fit_write_random(const clip_config *c, const char *path, uint64_t seed, char *err, size_t errlen)
{
	arch_list l = arch_of(c, NULL);
	vm_st_out *out = xcalloc(l.n, sizeof *out);
	uint64_t state = seed;
	for (size_t i = 0; i < l.n; i++) {
		arch_t *a = &l.a[i];
		size_t n = numel(a->ndim, a->shape);
		float *d = xmalloc((n ? n : 1) * sizeof *d);
		for (size_t k = 0; k < n; k++) d[k] = a->std > 0 ? (float)(a->std * gauss(&state)) : a->fill;
		out[i] = (vm_st_out){a->name, a->ndim, {a->shape[0], a->shape[1], a->shape[2], a->shape[3]}, d};
	}
	const char *meta[] = {"format", "pt"};
	int rc = vm_st_write_f32(path, out, l.n, meta, 1, err, errlen);
	for (size_t i = 0; i < l.n; i++) free((float *)out[i].data);
	free(out);
	arch_free(&l);
	return rc;
}

int clip_fit_write_model(const clip_fit *f, const char *path, char *err, size_t errlen)
{
	arch_list l = arch_of(&f->m->cfg, f->m);
	vm_st_out *out = xcalloc(l.n, sizeof *out);
	for (size_t i = 0, k = 0; i < l.n; i++) {
		arch_t *a = &l.a[i];
		const float *d = a->data;
		if (trained(a, &f->m->cfg, f->layers)) d = f->params + f->tensors[k++].offset;
		out[i] = (vm_st_out){a->name, a->ndim, {a->shape[0], a->shape[1], a->shape[2], a->shape[3]}, d};
	}
	const char *meta[] = {"format", "pt"};
	int rc = vm_st_write_f32(path, out, l.n, meta, 1, err, errlen);
	free(out);
	arch_free(&l);
	return rc;
}

int clip_fit_write_state(const clip_fit *f, const char *path, const char *const *meta, size_t nmeta, char *err,
			 size_t errlen)
{
	int64_t n = (int64_t)f->nparams;
	vm_st_out out[3] = {
		{"params", 1, {n, 0, 0, 0}, f->params},
		{"adam.m", 1, {n, 0, 0, 0}, f->adam_m},
		{"adam.v", 1, {n, 0, 0, 0}, f->adam_v},
	};
	char step[32];
	snprintf(step, sizeof step, "%ld", f->step);
	const char **kv = xmalloc((2 * nmeta + 2) * sizeof *kv);
	kv[0] = "step";
	kv[1] = step;
	memcpy(kv + 2, meta, 2 * nmeta * sizeof *kv);
	int rc = vm_st_write_f32(path, out, 3, kv, nmeta + 1, err, errlen);
	free(kv);
	return rc;
}

int clip_fit_read_state(clip_fit *f, const char *path, vm_st_file *st, char *err, size_t errlen)
{
	if (vm_st_open(st, path, err, errlen) != 0) return -1;
	const char *names[3] = {"params", "adam.m", "adam.v"};
	float *dst[3] = {f->params, f->adam_m, f->adam_v};
	int64_t n = (int64_t)f->nparams;
	for (int i = 0; i < 3; i++) {
		const float *src = vm_st_get(st, names[i], 1, &n, err, errlen);
		if (!src) {
			vm_st_close(st);
			return -1;
		}
		memcpy(dst[i], src, f->nparams * sizeof *src);
	}
	const char *step = vm_st_meta(st, "step");
	f->step = step ? atol(step) : 0;
	return 0;
}
