/* test-clip-train.c: CLIP's training in C (model/clip/clip-train.c,
 * clip-fit.c). First every layer's backward against finite differences:
 * a random input, random parameters and a random projection R give the
 * scalar L = sum(out * R) in double; the backward runs with dout = R and
 * each element of each input and parameter (up to 40 a tensor, spread
 * evenly) is compared with (L(p + eps) - L(p - eps)) / 2 eps, eps = 1e-2 in
 * float, within 2e-3 + 2e-2 max(|analytic|, |numeric|) (float rounding of L
 * over 2 eps, plus the O(eps^2) term). Then the whole model against the
 * golden file of tests/reference/clip-train-ref.py for the tiny CLIP
 * (tests/data/embed/train-golden.safetensors, float64 PyTorch): the loss
 * of 6 (image, text) pairs within 1e-5, every tensor's gradient within a
 * relative error |g - ref| / |ref| (Euclidean norms) of 1e-4, and the
 * losses of the first 10 Adam steps training the last 0, 1 or every block
 * within 2e-4. Last, what the trainer relies on: a run from the cached
 * boundary of the trained blocks gives the gradients of a run from the
 * pixels; two threads give those of one; the checkpoint written loads with
 * clip_load and embeds as the trained model does. */
#include "config.h"
#include "model/clip/clip-fit.h"
#include "model/clip/clip-train.h"
#include "vmind/lib/util.h"
#include "tap.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

static uint64_t seed = 42;

static float *rnd(size_t n, float scale)
{
	float *p = xmalloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++) p[i] = (float)(((vm_splitmix64(&seed) >> 40) / 16777216.0 * 2 - 1) * scale);
	return p;
}

static double dot_r(const float *y, const float *R, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++) s += (double)y[i] * R[i];
	return s;
}

/* A layer under test: loss() runs the forward and returns sum(out * R). */
typedef struct fd_layer {
	const char *name;
	double (*loss)(void *);
	void *ctx;
} fd_layer;

/* analytic g[n] of parameter p[n] against central differences */
static void fd_check(const fd_layer *l, const char *what, float *p, const float *g, size_t n)
{
	const float eps = 1e-2f;
	size_t stride = n > 40 ? n / 40 : 1, bad = 0, seen = 0;
	double worst = 0;
	for (size_t i = 0; i < n; i += stride, seen++) {
		float keep = p[i];
		p[i] = keep + eps;
		double up = l->loss(l->ctx);
		p[i] = keep - eps;
		double down = l->loss(l->ctx);
		p[i] = keep;
		double num = (up - down) / (2.0 * eps), e = fabs(num - g[i]);
		if (e > 2e-3 + 2e-2 * fmax(fabs(num), fabs(g[i])) && bad++ < 3)
			printf("#   %s d%s[%zu]: analytic %.6g, numeric %.6g\n", l->name, what, i, g[i], num);
		worst = fmax(worst, e);
	}
	ok(!bad, "%s: d%s = finite differences (%zu elements, max error %.2g)", l->name, what, seen, worst);
}

/* ---------------------------------------------------------------- layers */

typedef struct lin_t { int N, C, OC, acc; float *x, *W, *b, *y, *R; } lin_t;
static double lin_loss(void *p)
{
	lin_t *c = p;
	for (int i = 0; i < c->N * c->OC; i++) c->y[i] = c->acc ? 0.5f : 0;
	clip_linear_forward(c->y, c->x, c->W, c->b, c->N, c->C, c->OC, c->acc);
	return dot_r(c->y, c->R, (size_t)c->N * c->OC);
}

static void test_linear(int acc)
{
	lin_t c = {5, 7, 3, acc, rnd(35, 1), rnd(21, 1), rnd(3, 1), rnd(15, 1), rnd(15, 1)};
	float *dx = xcalloc(35, 4), *dW = xcalloc(21, 4), *db = xcalloc(3, 4);
	fd_layer l = {acc ? "linear (accumulating)" : "linear", lin_loss, &c};
	lin_loss(&c);
	double want = c.b[2] + (acc ? 0.5 : 0);
	for (int k = 0; k < 7; k++) want += (double)c.x[7 + k] * c.W[2 * 7 + k];
	is_near(c.y[3 + 2], want, 1e-5, "%s: y = x W^T + b", l.name);
	clip_linear_backward(dx, dW, db, c.R, c.x, c.W, 5, 7, 3);
	fd_check(&l, "x", c.x, dx, 35);
	fd_check(&l, "W", c.W, dW, 21);
	fd_check(&l, "b", c.b, db, 3);
	free(c.x); free(c.W); free(c.b); free(c.y); free(c.R); free(dx); free(dW); free(db);
}

typedef struct ln_t { int N, D; float *x, *w, *b, *y, *mean, *rstd, *R; } ln_t;
static double ln_loss(void *p)
{
	ln_t *c = p;
	clip_layernorm_forward(c->y, c->mean, c->rstd, c->x, c->w, c->b, c->N, c->D, 1e-5f);
	return dot_r(c->y, c->R, (size_t)c->N * c->D);
}

static void test_layernorm(void)
{
	ln_t c = {4, 6, rnd(24, 2), rnd(6, 1), rnd(6, 1), rnd(24, 1), rnd(4, 1), rnd(4, 1), rnd(24, 1)};
	float *dx = xcalloc(24, 4), *dw = xcalloc(6, 4), *db = xcalloc(6, 4);
	fd_layer l = {"layernorm", ln_loss, &c};
	ln_loss(&c);
	clip_layernorm_backward(dx, dw, db, c.R, c.x, c.mean, c.rstd, c.w, 4, 6);
	fd_check(&l, "x", c.x, dx, 24);
	fd_check(&l, "w", c.w, dw, 6);
	fd_check(&l, "b", c.b, db, 6);
	free(c.x); free(c.w); free(c.b); free(c.y); free(c.mean); free(c.rstd); free(c.R); free(dx); free(dw); free(db);
}

typedef struct att_t { int B, T, D, H, causal; float *qkv, *y, *att, *R; } att_t;
static double att_loss(void *p)
{
	att_t *c = p;
	clip_attention_forward(c->y, c->att, c->qkv, c->B, c->T, c->D, c->H, c->causal);
	return dot_r(c->y, c->R, (size_t)c->B * c->T * c->D);
}

static void test_attention(int causal)
{
	att_t c = {2, 5, 6, 2, causal, rnd(2 * 5 * 18, 1.5f), rnd(60, 1), rnd(2 * 2 * 25, 1), rnd(60, 1)};
	float *dqkv = xcalloc(180, 4), *scratch = xmalloc(25 * 4);
	fd_layer l = {causal ? "attention, causal" : "attention", att_loss, &c};
	att_loss(&c);
	int masked_zero = 1;
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++) masked_zero &= !causal || c.att[i * 5 + j] == 0;
	ok(masked_zero, "%s: keys after the query get weight 0", l.name);
	clip_attention_backward(dqkv, scratch, c.R, c.qkv, c.att, 2, 5, 6, 2);
	fd_check(&l, "qkv", c.qkv, dqkv, 180);
	free(c.qkv); free(c.y); free(c.att); free(c.R); free(dqkv); free(scratch);
}

typedef struct act_t { int act; float *x, *y, *R; } act_t;
static double act_loss(void *p)
{
	act_t *c = p;
	clip_act_forward(c->y, c->x, 30, c->act);
	return dot_r(c->y, c->R, 30);
}

static void test_act(int act)
{
	act_t c = {act, rnd(30, 4), rnd(30, 1), rnd(30, 1)};
	float *dx = xcalloc(30, 4);
	fd_layer l = {act == CLIP_QUICK_GELU ? "quick_gelu" : "gelu", act_loss, &c};
	act_loss(&c);
	float want = act == CLIP_QUICK_GELU ? c.x[3] / (1 + expf(-1.702f * c.x[3]))
					    : 0.5f * c.x[3] * (1 + erff(c.x[3] / sqrtf(2)));
	is_near(c.y[3], want, 1e-6, "%s: forward", l.name);
	clip_act_backward(dx, c.R, c.x, 30, act);
	fd_check(&l, "x", c.x, dx, 30);
	free(c.x); free(c.y); free(c.R); free(dx);
}

typedef struct emb_t { int B, np, D, T; float *pe, *cls, *pos, *tok, *x, *R; int32_t *ids; } emb_t;
static double vemb_loss(void *p)
{
	emb_t *c = p;
	clip_vision_embed_forward(c->x, c->pe, c->cls, c->pos, c->B, c->np, c->D);
	return dot_r(c->x, c->R, (size_t)c->B * (c->np + 1) * c->D);
}
static double temb_loss(void *p)
{
	emb_t *c = p;
	clip_text_embed_forward(c->x, c->ids, c->tok, c->pos, c->B, c->T, c->D);
	return dot_r(c->x, c->R, (size_t)c->B * c->T * c->D);
}

static void test_embeddings(void)
{
	int32_t ids[8] = {3, 1, 3, 6, 0, 6, 6, 2};
	emb_t c = {2, 4, 3, 4, rnd(24, 1), rnd(3, 1), rnd(15, 1), rnd(21, 1), rnd(30, 1), rnd(30, 1), ids};
	float *dpe = xcalloc(24, 4), *dcls = xcalloc(3, 4), *dpos = xcalloc(15, 4), *dtok = xcalloc(21, 4);
	fd_layer l = {"vision embeddings", vemb_loss, &c};
	vemb_loss(&c);
	clip_vision_embed_backward(dpe, dcls, dpos, c.R, 2, 4, 3);
	fd_check(&l, "patches", c.pe, dpe, 24);
	fd_check(&l, "class", c.cls, dcls, 3);
	fd_check(&l, "positions", c.pos, dpos, 15);
	memset(dpos, 0, 15 * 4);
	fd_layer t = {"text embeddings", temb_loss, &c};
	temb_loss(&c);
	clip_text_embed_backward(dtok, dpos, c.R, ids, 2, 4, 3);
	fd_check(&t, "tokens", c.tok, dtok, 21);
	fd_check(&t, "positions", c.pos, dpos, 12);
	free(c.pe); free(c.cls); free(c.pos); free(c.tok); free(c.x); free(c.R);
	free(dpe); free(dcls); free(dpos); free(dtok);
}

typedef struct pool_t { float *x, *y, *n, *R; int at[2]; } pool_t;
static double pool_loss(void *p)
{
	pool_t *c = p;
	clip_pool_forward(c->y, c->x, c->at, 2, 4, 3);
	return dot_r(c->y, c->R, 6);
}
static double norm_loss(void *p)
{
	pool_t *c = p;
	clip_l2norm_forward(c->y, c->n, c->x, 4, 6);
	return dot_r(c->y, c->R, 24);
}

static void test_pool_norm(void)
{
	pool_t c = {rnd(24, 1), rnd(24, 1), rnd(4, 1), rnd(24, 1), {1, 3}};
	float *dx = xcalloc(24, 4);
	fd_layer l = {"pooling", pool_loss, &c};
	pool_loss(&c);
	clip_pool_backward(dx, c.R, c.at, 2, 4, 3);
	fd_check(&l, "x", c.x, dx, 24);
	memset(dx, 0, 24 * 4);
	fd_layer n = {"l2 normalisation", norm_loss, &c};
	norm_loss(&c);
	clip_l2norm_backward(dx, c.R, c.y, c.n, 4, 6);
	fd_check(&n, "x", c.x, dx, 24);
	free(c.x); free(c.y); free(c.n); free(c.R); free(dx);
}

typedef struct loss_t { float *img, *txt, scale; double *scratch; float *di, *dt, ds; } loss_t;
static double loss_loss(void *p)
{
	loss_t *c = p;
	return clip_contrastive_forward_backward(c->di, c->dt, &c->ds, c->scratch, c->img, c->txt, c->scale, 4, 5);
}

static void test_loss(void)
{
	loss_t c = {rnd(20, 1), rnd(20, 1), 1.5f, xmalloc(32 * sizeof(double)), xmalloc(80), xmalloc(80), 0};
	float *di = xmalloc(80), *dt = xmalloc(80);
	fd_layer l = {"contrastive loss", loss_loss, &c};
	double loss = loss_loss(&c);
	memcpy(di, c.di, 80);
	memcpy(dt, c.dt, 80);
	float ds = c.ds;
	/* the loss by hand: mean of the row and column cross-entropies */
	double z[16], rows = 0, cols = 0;
	for (int i = 0; i < 16; i++) z[i] = exp(1.5) * dot_r(c.txt + i / 4 * 5, c.img + i % 4 * 5, 5);
	for (int i = 0; i < 4; i++) {
		double sr = 0, sc = 0;
		for (int j = 0; j < 4; j++) { sr += exp(z[i * 4 + j]); sc += exp(z[j * 4 + i]); }
		rows += log(sr) - z[i * 5];
		cols += log(sc) - z[i * 5];
	}
	is_near(loss, (rows + cols) / 8, 1e-9, "contrastive loss: (CE of rows + CE of columns) / 2");
	fd_check(&l, "img", c.img, di, 20);
	fd_check(&l, "txt", c.txt, dt, 20);
	fd_check(&l, "logit_scale", &c.scale, &ds, 1);
	free(c.img); free(c.txt); free(c.scratch); free(c.di); free(c.dt); free(di); free(dt);
}

/* one encoder block, every weight */
typedef struct blk_t { int causal, act; float *x, *y, *wmem, *amem, *R; clip_block_w w; clip_block_acts a; } blk_t;
enum { BB = 2, BT = 4, BD = 6, BI = 8, BH = 2 };
static double blk_loss(void *p)
{
	blk_t *c = p;
	clip_block_forward(c->y, &c->a, c->x, &c->w, BB, BT, BD, BI, BH, 1e-5f, c->act, c->causal);
	return dot_r(c->y, c->R, BB * BT * BD);
}

/* the 12 fields of w in (tensor, size) order, laid out from mem */
static size_t block_w_bind(clip_block_w *w, float *mem)
{
	size_t sizes[12] = {BD, BD, 3 * BD * BD, 3 * BD, BD * BD, BD, BD, BD, BI * BD, BI, BD * BI, BD}, off = 0;
	float **f = (float **)w;
	for (int i = 0; i < 12; i++) {
		if (mem) f[i] = mem + off;
		off += sizes[i];
	}
	return off;
}

static void test_block(int causal, int act)
{
	static const char *names[12] = {"ln1_w", "ln1_b", "qkv_w", "qkv_b", "o_w", "o_b", "ln2_w", "ln2_b",
					"fc1_w", "fc1_b", "fc2_w", "fc2_b"};
	size_t nw = block_w_bind(&(clip_block_w){0}, NULL), na = clip_block_acts_floats(BB, BT, BD, BI, BH);
	blk_t c = {causal, act, rnd(BB * BT * BD, 1), rnd(BB * BT * BD, 1), rnd(nw, 0.5f), rnd(na, 1),
		   rnd(BB * BT * BD, 1), {0}, {0}};
	block_w_bind(&c.w, c.wmem);
	for (int j = 0; j < BD; j++) { c.w.ln1_w[j] += 1; c.w.ln2_w[j] += 1; }
	clip_block_acts_bind(&c.a, c.amem, BB, BT, BD, BI, BH);
	float *gmem = xcalloc(nw, 4), *dx = xmalloc(BB * BT * BD * 4);
	float *scratch = xmalloc(clip_block_scratch_floats(BB, BT, BD, BI) * 4);
	clip_block_w g;
	block_w_bind(&g, gmem);
	char name[64];
	snprintf(name, sizeof name, "encoder block (%s, %s)", causal ? "causal" : "not causal",
		 act == CLIP_QUICK_GELU ? "quick_gelu" : "gelu");
	fd_layer l = {name, blk_loss, &c};
	blk_loss(&c);
	memcpy(dx, c.R, BB * BT * BD * 4);
	clip_block_backward(dx, &g, scratch, c.x, &c.a, &c.w, BB, BT, BD, BI, BH, act, 1);
	fd_check(&l, "x", c.x, dx, BB * BT * BD);
	float **wf = (float **)&c.w, **gf = (float **)&g;
	size_t sizes[12] = {BD, BD, 3 * BD * BD, 3 * BD, BD * BD, BD, BD, BD, BI * BD, BI, BD * BI, BD};
	for (int i = 0; i < 12; i++) fd_check(&l, names[i], wf[i], gf[i], sizes[i]);
	free(c.x); free(c.y); free(c.wmem); free(c.amem); free(c.R); free(gmem); free(dx); free(scratch);
}

/* ------------------------------------------------------ the tiny model */

/* The golden batch: the first 6 test images (sorted) and texts.txt's 6
 * lines padded with the end token, as clip-train-ref.py builds it. */
typedef struct golden_in {
	float *pix;       /* [6, 3, S, S] */
	int32_t *ids;     /* [6, T] */
	int T, at[6];
} golden_in;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int golden_inputs(const clip_model *m, const char *data, golden_in *g)
{
	int S = m->cfg.image_size, ctx = m->cfg.max_pos, n = 0, lens[6];
	char *names[16], err[512];
	char *dir = xasprintf("%s/img", data);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) && n < 16)
		if (strstr(de->d_name, ".png") || strstr(de->d_name, ".jpg")) names[n++] = xstrdup(de->d_name);
	if (d) closedir(d);
	qsort(names, (size_t)n, sizeof *names, cmp_str);
	g->pix = xmalloc(6 * 3 * (size_t)S * S * sizeof *g->pix);
	uint8_t *crop = xmalloc((size_t)S * S * 3);
	for (int i = 0; i < 6 && i < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		int w, h;
		uint8_t *rgb = clip_decode_image(p, &w, &h, err, sizeof err);
		if (!rgb) { printf("# %s\n", err); return -1; }
		clip_preprocess_u8(rgb, w, h, S, crop);
		clip_normalize(crop, S, g->pix + (size_t)i * 3 * S * S);
		free(rgb);
		free(p);
	}
	for (int i = 0; i < n; i++) free(names[i]);
	free(crop);
	free(dir);
	char *tp = xasprintf("%s/texts.txt", data), *text = vm_read_file(tp, NULL), *line = text;
	int32_t *all = xmalloc(6 * (size_t)ctx * sizeof *all);
	g->T = 0;
	for (int i = 0; i < 6 && line && *line; i++) {
		char *nl = strchr(line, '\n');
		if (nl) *nl = 0;
		lens[i] = clip_bpe_encode(m->tok, line, all + (size_t)i * ctx, ctx);
		if (lens[i] > g->T) g->T = lens[i];
		line = nl ? nl + 1 : NULL;
	}
	g->ids = xmalloc(6 * (size_t)g->T * sizeof *g->ids);
	for (int i = 0; i < 6; i++) {
		for (int t = 0; t < g->T; t++)
			g->ids[i * g->T + t] = t < lens[i] ? all[(size_t)i * ctx + t] : clip_bpe_eos(m->tok);
		g->at[i] = clip_text_pool_at(m, g->ids + i * g->T, g->T);
	}
	free(all); free(text); free(tp);
	return 0;
}

/* the fit's batch of g at its boundary (the frozen prefix run here) */
static void boundary_batch(const clip_fit *f, const clip_model *m, const golden_in *g, clip_fit_batch *b, float **vin,
			   float **tin)
{
	int Tv = f->v.np + 1, Dv = f->v.D, Dt = f->t.D;
	*b = (clip_fit_batch){6, g->pix, NULL, g->ids, g->T, g->at};
	*vin = *tin = NULL;
	if (f->v.in == CLIP_IN_RAW) return;
	float *hv = xmalloc(6 * (size_t)Tv * Dv * sizeof *hv), *ht = xmalloc(6 * (size_t)g->T * Dt * sizeof *ht);
	clip_image_hidden(m, g->pix, 6, f->v.L - f->v.n, hv, 1);
	clip_text_hidden(m, g->ids, 6, g->T, f->t.L - f->t.n, ht, 1);
	if (f->v.in == CLIP_IN_POOLED) {
		for (int i = 0; i < 6; i++) {
			memmove(hv + (size_t)i * Dv, hv + (size_t)i * Tv * Dv, (size_t)Dv * sizeof *hv);
			memmove(ht + (size_t)i * Dt, ht + ((size_t)i * g->T + g->at[i]) * Dt, (size_t)Dt * sizeof *ht);
		}
	}
	b->vin = *vin = hv;
	b->tin = *tin = ht;
	b->ids = NULL;
}

/* the largest relative error of the gradient of a trained tensor against
 * want's (the golden file) or wf's: |g - ref| / |ref| over the tensor.
 * The k_proj biases are left out: their gradient is 0 in exact arithmetic
 * (a softmax ignores what is added to all of a row's scores), rounding
 * noise here (k_bias_max checks it is small). */
static double worst_rel(const clip_fit *f, const float *g, vm_st_file *want, const clip_fit *wf, const float *wg)
{
	double worst = 0;
	for (size_t i = 0; i < f->ntensors; i++) {
		const clip_fit_tensor *t = &f->tensors[i];
		const float *r = NULL;
		if (strstr(t->name, "k_proj.bias")) continue;
		if (want) {
			char name[200];
			snprintf(name, sizeof name, "grad.%s", t->name);
			char err[256];
			r = vm_st_get(want, name, t->ndim, t->shape, err, sizeof err);
			if (!r) { printf("#   %s\n", err); return 1e9; }
		} else {
			for (size_t k = 0; k < wf->ntensors; k++)
				if (!strcmp(wf->tensors[k].name, t->name)) r = wg + wf->tensors[k].offset;
		}
		double d = 0, n = 0;
		for (size_t k = 0; k < t->size; k++) {
			double x = g[t->offset + k], y = r[k];
			d += (x - y) * (x - y);
			n += y * y;
		}
		double rel = n > 0 ? sqrt(d / n) : sqrt(d);
		if (rel > worst) worst = rel;
		if (rel > 1e-5) printf("#   %s: relative error %.3g (norm %.4g)\n", t->name, rel, sqrt(n));
	}
	return worst;
}

/* the largest |gradient| of a k_proj bias */
static double k_bias_max(const clip_fit *f)
{
	double mx = 0;
	for (size_t i = 0; i < f->ntensors; i++)
		if (strstr(f->tensors[i].name, "k_proj.bias"))
			for (size_t k = 0; k < f->tensors[i].size; k++) mx = fmax(mx, fabs(f->grads[f->tensors[i].offset + k]));
	return mx;
}

static void test_golden(clip_model *m, const golden_in *g, vm_st_file *gold)
{
	clip_fit f;
	char err[512];
	int64_t one = 1, ten = 10;
	if (!ok(clip_fit_init(&f, m, CLIP_FIT_ALL, err, sizeof err) == 0, "every tensor of the tiny model in training"))
		return;
	clip_fit_prepare(&f, 6, g->T, 1);
	clip_fit_batch b = {6, g->pix, NULL, g->ids, g->T, g->at};
	double loss = clip_fit_step(&f, &b);
	const float *want = vm_st_get(gold, "loss", 1, &one, err, sizeof err);
	is_near(loss, want ? want[0] : 0, 1e-5, "loss of 6 pairs = PyTorch's (%.6f)", loss);
	ok(f.ntensors == 78, "78 tensors trained (%zu)", f.ntensors);
	double rel = worst_rel(&f, f.grads, gold, NULL, NULL);
	ok(rel <= 1e-4, "every tensor's gradient = PyTorch's (largest relative error %.2g <= 1e-4)", rel);
	double kb = k_bias_max(&f);
	ok(kb <= 1e-6, "the k_proj biases' gradients are 0 (largest %.2g <= 1e-6)", kb);
	clip_fit_free(&f);
	const char *sets[3] = {"adam.0", "adam.1", "adam.all"};
	int layers[3] = {0, 1, CLIP_FIT_ALL};
	for (int s = 0; s < 3; s++) {
		const float *wl = vm_st_get(gold, sets[s], 1, &ten, err, sizeof err);
		clip_fit_init(&f, m, layers[s], err, sizeof err);
		clip_fit_prepare(&f, 6, g->T, 1);
		float *vin, *tin;
		boundary_batch(&f, m, g, &b, &vin, &tin);
		double worst = 0;
		for (int k = 0; k < 10; k++) {
			double l = clip_fit_step(&f, &b);
			clip_fit_adam(&f, 1e-3f);
			if (wl) worst = fmax(worst, fabs(l - wl[k]));
			if (k == 9) printf("#   %s: step 10 loss %.6f, PyTorch %.6f\n", sets[s], l, wl ? wl[k] : 0);
		}
		ok(wl && worst <= 2e-4, "%s: losses of 10 Adam steps = PyTorch's (largest difference %.2g <= 2e-4)",
		   sets[s], worst);
		free(vin); free(tin);
		clip_fit_free(&f);
	}
}

/* gradients of trained layers from the boundary = from the pixels; 2
 * threads = 1 */
static void test_boundary(clip_model *m, const golden_in *g)
{
	clip_fit all, part, two;
	char err[512];
	clip_fit_init(&all, m, CLIP_FIT_ALL, err, sizeof err);
	clip_fit_prepare(&all, 6, g->T, 1);
	clip_fit_batch b = {6, g->pix, NULL, g->ids, g->T, g->at};
	double la = clip_fit_step(&all, &b);
	for (int layers = 0; layers <= 2; layers++) {
		float *vin, *tin;
		clip_fit_init(&part, m, layers, err, sizeof err);
		clip_fit_prepare(&part, 6, g->T, 1);
		boundary_batch(&part, m, g, &b, &vin, &tin);
		double lp = clip_fit_step(&part, &b);
		double rel = worst_rel(&part, part.grads, NULL, &all, all.grads);
		ok(fabs(lp - la) < 1e-5 && rel < 1e-5,
		   "last %d blocks from the cached boundary: the loss and gradients of the whole model's (%.2g)", layers, rel);
		clip_fit_init(&two, m, layers, err, sizeof err);
		clip_fit_prepare(&two, 6, g->T, 2);
		double l2 = clip_fit_step(&two, &b);
		rel = worst_rel(&two, two.grads, NULL, &part, part.grads);
		ok(fabs(l2 - lp) < 1e-6 && rel < 1e-5, "last %d blocks, 2 threads: the gradients of 1 (%.2g)", layers, rel);
		clip_fit_free(&two);
		clip_fit_free(&part);
		free(vin); free(tin);
	}
	clip_fit_free(&all);
}

/* a trained model written and loaded embeds as the fit does */
static void test_checkpoint(clip_model *m, const golden_in *g, const char *data)
{
	clip_fit f;
	char err[512], tmpl[] = "/tmp/test-clip-train.XXXXXX";
	char *dir = mkdtemp(tmpl);
	clip_fit_init(&f, m, 1, err, sizeof err);
	clip_fit_prepare(&f, 6, g->T, 1);
	float *vin, *tin;
	clip_fit_batch b;
	boundary_batch(&f, m, g, &b, &vin, &tin);
	for (int k = 0; k < 3; k++) {
		clip_fit_step(&f, &b);
		clip_fit_adam(&f, 1e-3f);
	}
	float fi[6 * 16], ft[6 * 16], ci[6 * 16], ct[6 * 16];
	clip_fit_features(&f, &b, fi, ft);
	const char *files[3] = {"config.json", "vocab.json", "merges.txt"};
	for (int i = 0; i < 3; i++) {
		char *a = xasprintf("%s/tiny-clip/%s", data, files[i]), *c = xasprintf("%s/%s", dir, files[i]);
		size_t len;
		char *x = vm_read_file(a, &len);
		vm_write_file_atomic(c, x, len);
		free(x); free(a); free(c);
	}
	char *st = xasprintf("%s/model.safetensors", dir);
	ok(clip_fit_write_model(&f, st, err, sizeof err) == 0, "the trained model is written");
	clip_model t;
	if (ok(clip_load(&t, dir, err, sizeof err) == 0, "and clip_load reads it")) {
		clip_image_forward(&t, g->pix, 6, ci, 1);
		clip_text_forward(&t, g->ids, 6, g->T, ct, 1);
		double d = 0;
		for (int i = 0; i < 6 * 16; i++) d = fmax(d, fmax(fabs(ci[i] - fi[i]), fabs(ct[i] - ft[i])));
		ok(d < 1e-4, "its embeddings are the trained model's (max difference %.2g)", d);
		clip_free(&t);
	} else {
		printf("#   %s\n", err);
	}
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0) printf("# %s failed\n", cmd);
	free(cmd); free(st); free(vin); free(tin);
	clip_fit_free(&f);
}

int main(void)
{
	const char *top = getenv("top_srcdir");
	if (!top) top = ".";
	if (VIPS_INIT("test-clip-train")) return 99;
	test_linear(0);
	test_linear(1);
	test_layernorm();
	test_attention(0);
	test_attention(1);
	test_act(CLIP_QUICK_GELU);
	test_act(CLIP_GELU);
	test_embeddings();
	test_pool_norm();
	test_loss();
	test_block(0, CLIP_QUICK_GELU);
	test_block(1, CLIP_GELU);

	char *data = xasprintf("%s/tests/data/embed", top), *model = xasprintf("%s/tiny-clip", data);
	char *gp = xasprintf("%s/train-golden.safetensors", data), err[512];
	clip_model m;
	vm_st_file gold;
	golden_in g;
	if (!ok(clip_load(&m, model, err, sizeof err) == 0 && vm_st_open(&gold, gp, err, sizeof err) == 0 &&
		golden_inputs(&m, data, &g) == 0, "the tiny model, its golden file and the batch load"))
		return tap_done();
	test_golden(&m, &g, &gold);
	test_boundary(&m, &g);
	test_checkpoint(&m, &g, data);
	vm_st_close(&gold);
	clip_free(&m);
	free(g.pix); free(g.ids); free(data); free(model); free(gp);
	vips_shutdown();
	return tap_done();
}
