/* test-layers.c: finite-difference gradient checks of every backward pass in
 * model/vlsnr/layers.c. For each layer a random input, random parameters and a
 * random projection R give the scalar L = sum(out * R) (accumulated in
 * double); the backward pass is run with dout = R, and each input and
 * parameter element (up to 60 per tensor, spread evenly) is compared with the
 * central difference (L(x+eps) - L(x-eps)) / 2eps, eps = 1e-2 in float.
 * Tolerance: |analytic - numeric| <= 2e-3 + 2e-2 * max(|analytic|, |numeric|)
 * (float forward rounding ~1e-6 in L divided by 2eps, plus the O(eps^2)
 * truncation term). Masks are exercised: a padded key, an item masked out
 * of pooling, a row with every item masked, a padded GRU step. */
#include "config.h"
#include "tap.h"
#include "model/vlsnr/layers.h"
#include "vmind/lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x1234567ULL;

static float *rnd(size_t n, float scale)
{
	float *p = xmalloc(n * sizeof(float));
	for (size_t i = 0; i < n; i++)
		p[i] = (layers_randf(&rng) * 2 - 1) * scale;
	return p;
}

static float *zeros(size_t n)
{
	return xcalloc(n, sizeof(float));
}

static double proj(const float *y, const float *R, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)y[i] * R[i];
	return s;
}

typedef double (*loss_fn)(void *ctx);

/* Compare the analytic gradient g of tensor p[n] with finite differences. */
static void check_grad(const char *layer, const char *name, float *p, const float *g,
		       size_t n, loss_fn f, void *ctx)
{
	const float eps = 1e-2f;
	size_t step = n > 60 ? n / 60 : 1;
	double worst = 0;
	size_t bad = 0, checked = 0;
	for (size_t i = 0; i < n; i += step) {
		float save = p[i];
		p[i] = save + eps;
		double lp = f(ctx);
		p[i] = save - eps;
		double lm = f(ctx);
		p[i] = save;
		double num = (lp - lm) / (2 * (double)eps);
		double err = fabs(num - g[i]);
		double tol = 2e-3 + 2e-2 * fmax(fabs(num), fabs(g[i]));
		if (err > tol) {
			if (bad < 3)
				printf("#   %s %s[%zu]: analytic %.6g numeric %.6g\n", layer, name, i, g[i], num);
			bad++;
		}
		if (err > worst)
			worst = err;
		checked++;
	}
	ok(bad == 0, "%s: d%s matches finite differences (%zu elements, max abs err %.2g)",
	   layer, name, checked, worst);
}

/* ---- linear ---- */
typedef struct { int N, C, OC; float *x, *W, *b, *y, *R; } lin_ctx;
static double lin_loss(void *c_)
{
	lin_ctx *c = c_;
	linear_forward(c->y, c->x, c->W, c->b, c->N, c->C, c->OC);
	return proj(c->y, c->R, (size_t)c->N * c->OC);
}
static void test_linear(void)
{
	lin_ctx c = { 5, 7, 3, 0, 0, 0, 0, 0 };
	c.x = rnd(35, 1); c.W = rnd(21, 1); c.b = rnd(3, 1); c.y = zeros(15); c.R = rnd(15, 1);
	float *dx = zeros(35), *dW = zeros(21), *db = zeros(3);
	lin_loss(&c);
	linear_backward(dx, dW, db, c.R, c.x, c.W, c.N, c.C, c.OC);
	check_grad("linear", "x", c.x, dx, 35, lin_loss, &c);
	check_grad("linear", "W", c.W, dW, 21, lin_loss, &c);
	check_grad("linear", "b", c.b, db, 3, lin_loss, &c);
	/* exact value of one output */
	double want = c.b[1];
	for (int k = 0; k < 7; k++)
		want += (double)c.x[2 * 7 + k] * c.W[k * 3 + 1];
	is_near(c.y[2 * 3 + 1], want, 1e-5, "linear: y = xW + b");
	free(c.x); free(c.W); free(c.b); free(c.y); free(c.R); free(dx); free(dW); free(db);
}

/* ---- relu ---- */
static void test_relu(void)
{
	float x[6] = { -1, 0.5f, 2, -0.3f, 0.1f, -2 }, y[6], dx[6] = { 0 }, dy[6] = { 1, 2, 3, 4, 5, 6 };
	relu_forward(y, x, 6);
	relu_backward(dx, dy, y, 6);
	ok(y[0] == 0 && y[1] == 0.5f && y[2] == 2 && y[3] == 0 && y[4] == 0.1f && y[5] == 0, "relu: forward");
	ok(dx[0] == 0 && dx[1] == 2 && dx[2] == 3 && dx[3] == 0 && dx[4] == 5 && dx[5] == 0, "relu: backward passes dy where y > 0");
}

/* ---- multi-head attention ---- */
typedef struct { int B, T, C, E, NH, gemm; float *x, *W, *mask, *y, *qkv, *att, *R; } mha_ctx;
static double mha_loss(void *c_)
{
	mha_ctx *c = c_;
	mha_forward(c->y, c->qkv, c->att, c->x, c->mask, c->W, c->B, c->T, c->C, c->E, c->NH, c->gemm);
	return proj(c->y, c->R, (size_t)c->B * c->T * c->E);
}
static void test_mha(int with_mask, int gemm)
{
	mha_ctx c = { 3, 4, 6, 8, 2, gemm, 0, 0, 0, 0, 0, 0, 0 };
	size_t nx = (size_t)c.B * c.T * c.C, nw = (size_t)c.C * 3 * c.E, ny = (size_t)c.B * c.T * c.E;
	c.x = rnd(nx, 1); c.W = rnd(nw, 0.7f); c.y = zeros(ny); c.R = rnd(ny, 1);
	c.qkv = zeros((size_t)c.B * c.T * 3 * c.E); c.att = zeros((size_t)c.B * c.NH * c.T * c.T);
	float mask[12] = { 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0 };
	c.mask = with_mask ? mask : NULL;
	float *dx = zeros(nx), *dW = zeros(nw), *scratch = zeros((size_t)c.B * c.T * 3 * c.E);
	mha_loss(&c);
	mha_backward(dx, dW, scratch, c.R, c.qkv, c.att, c.x, c.mask, c.W, c.B, c.T, c.C, c.E, c.NH, c.gemm);
	const char *name = gemm ? (with_mask ? "mha, sgemm path (masked)" : "mha, sgemm path")
				: (with_mask ? "mha (masked)" : "mha");
	check_grad(name, "x", c.x, dx, nx, mha_loss, &c);
	check_grad(name, "Wqkv", c.W, dW, nw, mha_loss, &c);
	if (with_mask) {
		/* masked keys get weight 0, rows sum to 1, all-masked row is 0 */
		int good = 1;
		for (int h = 0; h < c.NH; h++)
			for (int i = 0; i < c.T; i++) {
				const float *a1 = c.att + (((size_t)1 * c.NH + h) * c.T + i) * c.T;
				good &= a1[0] == 0 && a1[3] == 0 && fabsf(a1[1] + a1[2] - 1) < 1e-6f;
			}
		float s = 0;
		for (int i = 0; i < c.T * c.E; i++)
			s += fabsf(c.y[(size_t)2 * c.T * c.E + i]);
		ok(good && s == 0, "mha: masked keys get weight 0; all-masked row gives 0");
	} else {
		/* one head's output checked against a direct computation */
		int b = 1, i = 2, h = 1, dh = c.E / c.NH;
		double sc[4], mx = -1e30, sum = 0;
		for (int j = 0; j < c.T; j++) {
			double d = 0;
			for (int k = 0; k < dh; k++)
				d += (double)c.qkv[((size_t)b * c.T + i) * 3 * c.E + h * dh + k] *
				     c.qkv[((size_t)b * c.T + j) * 3 * c.E + c.E + h * dh + k];
			sc[j] = d / sqrt(dh);
			if (sc[j] > mx)
				mx = sc[j];
		}
		for (int j = 0; j < c.T; j++)
			sum += exp(sc[j] - mx);
		double want = 0;
		for (int j = 0; j < c.T; j++)
			want += exp(sc[j] - mx) / sum * c.qkv[((size_t)b * c.T + j) * 3 * c.E + 2 * c.E + h * dh];
		is_near(c.y[((size_t)b * c.T + i) * c.E + h * dh], want, 1e-5, "mha: one output element by direct computation");
	}
	free(c.x); free(c.W); free(c.y); free(c.R); free(c.qkv); free(c.att);
	free(dx); free(dW); free(scratch);
}

/* The loop path and the sgemm path on a history-sized case (T 50, left
 * padding, a masked item, an empty row): outputs and gradients agree. */
static void test_mha_paths_agree(void)
{
	int B = 3, T = 50, C = 24, E = 32, NH = 4;
	size_t nx = (size_t)B * T * C, nw = (size_t)C * 3 * E, ny = (size_t)B * T * E, nq = (size_t)B * T * 3 * E;
	float *x = rnd(nx, 1), *W = rnd(nw, 0.3f), *dy = rnd(ny, 1), *mask = zeros((size_t)B * T);
	for (int t = 0; t < T; t++) {
		mask[t] = t >= 17;                 /* left padding */
		mask[T + t] = t != 30;             /* one masked item */
		mask[2 * T + t] = 0;               /* empty history */
	}
	float *y[2], *dx[2], *dW[2];
	for (int path = 0; path < 2; path++) {
		float *qkv = zeros(nq), *att = zeros((size_t)B * NH * T * T), *scratch = zeros(nq);
		y[path] = zeros(ny); dx[path] = zeros(nx); dW[path] = zeros(nw);
		mha_forward(y[path], qkv, att, x, mask, W, B, T, C, E, NH, path);
		mha_backward(dx[path], dW[path], scratch, dy, qkv, att, x, mask, W, B, T, C, E, NH, path);
		free(qkv); free(att); free(scratch);
	}
	double dmax[3] = { 0, 0, 0 };
	for (size_t i = 0; i < ny; i++) dmax[0] = fmax(dmax[0], fabs(y[0][i] - y[1][i]));
	for (size_t i = 0; i < nx; i++) dmax[1] = fmax(dmax[1], fabs(dx[0][i] - dx[1][i]));
	for (size_t i = 0; i < nw; i++) dmax[2] = fmax(dmax[2], fabs(dW[0][i] - dW[1][i]));
	ok(dmax[0] < 1e-5 && dmax[1] < 1e-4 && dmax[2] < 1e-3,
	   "mha: loop and sgemm paths agree at T 50 (max diff y %.2g, dx %.2g, dWqkv %.2g)", dmax[0], dmax[1], dmax[2]);
	for (int path = 0; path < 2; path++) { free(y[path]); free(dx[path]); free(dW[path]); }
	free(x); free(W); free(dy); free(mask);
}

/* ---- additive attention ---- */
typedef struct { int B, T, E, A; float *x, *W, *b, *q, *mask, *y, *p, *a, *R; } add_ctx;
static double add_loss(void *c_)
{
	add_ctx *c = c_;
	addatt_forward(c->y, c->p, c->a, c->x, c->mask, c->W, c->b, c->q, c->B, c->T, c->E, c->A);
	return proj(c->y, c->R, (size_t)c->B * c->E);
}
static void test_addatt(void)
{
	add_ctx c = { 3, 5, 6, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	size_t nx = (size_t)c.B * c.T * c.E;
	float mask[15] = { 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0 };
	c.x = rnd(nx, 1); c.W = rnd(24, 1); c.b = rnd(4, 1); c.q = rnd(4, 1); c.mask = mask;
	c.y = zeros(18); c.p = zeros((size_t)c.B * c.T * c.A); c.a = zeros(15); c.R = rnd(18, 1);
	float *dx = zeros(nx), *dW = zeros(24), *db = zeros(4), *dq = zeros(4), *scr = zeros((size_t)c.B * c.T * c.A);
	add_loss(&c);
	addatt_backward(dx, dW, db, dq, scr, c.R, c.p, c.a, c.x, c.mask, c.W, c.q, c.B, c.T, c.E, c.A);
	check_grad("addatt", "x", c.x, dx, nx, add_loss, &c);
	check_grad("addatt", "W", c.W, dW, 24, add_loss, &c);
	check_grad("addatt", "b", c.b, db, 4, add_loss, &c);
	check_grad("addatt", "q", c.q, dq, 4, add_loss, &c);
	double s0 = 0, y2 = 0;
	for (int t = 0; t < 5; t++)
		s0 += c.a[t];
	for (int e = 0; e < 6; e++)
		y2 += fabsf(c.y[12 + e]);
	ok(fabs(s0 - 1) < 1e-6 && c.a[6] == 0 && c.a[9] == 0 && y2 == 0,
	   "addatt: weights sum to 1, masked items 0, all-masked row gives 0");
	free(c.x); free(c.W); free(c.b); free(c.q); free(c.y); free(c.p); free(c.a); free(c.R);
	free(dx); free(dW); free(db); free(dq); free(scr);
}

/* ---- GRU ---- */
typedef struct { int B, T, G; float *x, *Wx, *Wh, *bx, *bh, *mask, *y, *gx, *hs, *gates, *R; } gru_ctx;
static double gru_loss(void *c_)
{
	gru_ctx *c = c_;
	gru_forward(c->y, c->gx, c->hs, c->gates, c->x, c->mask, c->Wx, c->Wh, c->bx, c->bh, c->B, c->T, c->G);
	return proj(c->y, c->R, (size_t)c->B * c->G);
}
static void test_gru(void)
{
	gru_ctx c = { 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	size_t nx = (size_t)c.B * c.T * c.G, nw = (size_t)c.G * 3 * c.G;
	float mask[12] = { 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0 };
	c.x = rnd(nx, 1); c.Wx = rnd(nw, 0.8f); c.Wh = rnd(nw, 0.8f); c.bx = rnd(15, 0.5f); c.bh = rnd(15, 0.5f);
	c.mask = mask; c.y = zeros(15); c.gx = zeros(nx * 3); c.hs = zeros((size_t)c.B * (c.T + 1) * c.G);
	c.gates = zeros(nx * 4); c.R = rnd(15, 1);
	float *dx = zeros(nx), *dWx = zeros(nw), *dWh = zeros(nw), *dbx = zeros(15), *dbh = zeros(15);
	float *scr = zeros(nx * 3 + 4 * (size_t)c.B * c.G);
	gru_loss(&c);
	gru_backward(dx, dWx, dWh, dbx, dbh, scr, c.R, c.gx, c.hs, c.gates, c.x, c.mask, c.Wx, c.Wh, c.B, c.T, c.G);
	check_grad("gru", "x", c.x, dx, nx, gru_loss, &c);
	check_grad("gru", "Wx", c.Wx, dWx, nw, gru_loss, &c);
	check_grad("gru", "Wh", c.Wh, dWh, nw, gru_loss, &c);
	check_grad("gru", "bx", c.bx, dbx, 15, gru_loss, &c);
	check_grad("gru", "bh", c.bh, dbh, 15, gru_loss, &c);
	/* first step by hand: h0 = 0 so h1 = (1 - z) n */
	double r = 1 / (1 + exp(-(c.gx[0] + c.bh[0])));
	double z = 1 / (1 + exp(-(c.gx[5] + c.bh[5])));
	double n = tanh(c.gx[10] + r * c.bh[10]);
	is_near(c.hs[5], (1 - z) * n, 1e-6, "gru: first step equals PyTorch's cell by hand");
	float s = 0;
	for (int k = 0; k < 5; k++)
		s += fabsf(c.y[10 + k]);
	ok(s == 0, "gru: an all-padded row keeps h = 0");
	free(c.x); free(c.Wx); free(c.Wh); free(c.bx); free(c.bh); free(c.y); free(c.gx); free(c.hs);
	free(c.gates); free(c.R); free(dx); free(dWx); free(dWh); free(dbx); free(dbh); free(scr);
}

/* ---- mean pooling ---- */
typedef struct { float *x, *mask, *y, *R; } mean_ctx;
static double mean_loss(void *c_)
{
	mean_ctx *c = c_;
	meanpool_forward(c->y, c->x, c->mask, 2, 3, 4);
	return proj(c->y, c->R, 8);
}
static void test_mean(void)
{
	float mask[6] = { 1, 0, 1, 0, 0, 0 };
	mean_ctx c = { rnd(24, 1), mask, zeros(8), rnd(8, 1) };
	float *dx = zeros(24);
	mean_loss(&c);
	meanpool_backward(dx, c.R, c.mask, 2, 3, 4);
	check_grad("meanpool", "x", c.x, dx, 24, mean_loss, &c);
	is_near(c.y[1], (c.x[1] + c.x[9]) / 2, 1e-6, "meanpool: mean of present items");
	free(c.x); free(c.y); free(c.R); free(dx);
}

/* ---- dropout ---- */
static void test_dropout(void)
{
	size_t n = 10000;
	float *x = rnd(n, 1), *y = zeros(n), *m = zeros(n), *dx = zeros(n);
	uint64_t s = 42;
	dropout_forward(y, m, x, n, 0.5f, &s);
	size_t zero = 0, good = 1;
	for (size_t i = 0; i < n; i++) {
		zero += m[i] == 0;
		good &= (m[i] == 0 && y[i] == 0) || (m[i] == 2 && y[i] == 2 * x[i]);
	}
	ok(good && zero > 4700 && zero < 5300, "dropout: p=0.5 zeroes %zu of %zu, scales the rest by 2", zero, n);
	dropout_backward(dx, x, m, n);
	good = 1;
	for (size_t i = 0; i < n; i++)
		good &= dx[i] == x[i] * m[i];
	ok(good, "dropout: backward is dy * mask");
	dropout_forward(y, m, x, n, 0, &s);
	ok(memcmp(x, y, n * sizeof(float)) == 0, "dropout: p=0 copies");
	free(x); free(y); free(m); free(dx);
}

/* ---- score ---- */
typedef struct { int both; float *o1, *o2, *e, araw, *s, *R; } score_ctx;
static double score_loss(void *c_)
{
	score_ctx *c = c_;
	score_forward(c->s, c->o1, c->both ? c->o2 : NULL, c->e, c->araw, 2, 3, 5);
	return proj(c->s, c->R, 6);
}
static void test_score(int both)
{
	score_ctx c = { both, rnd(10, 1), rnd(10, 1), rnd(30, 1), 0.3f, zeros(6), rnd(6, 1) };
	float *do1 = zeros(10), *do2 = zeros(10), *de = zeros(30), da = 0;
	score_loss(&c);
	score_backward(do1, do2, de, &da, c.R, c.o1, both ? c.o2 : NULL, c.e, c.araw, 2, 3, 5);
	const char *name = both ? "score" : "score (o1 only)";
	check_grad(name, "o1", c.o1, do1, 10, score_loss, &c);
	if (both)
		check_grad(name, "o2", c.o2, do2, 10, score_loss, &c);
	check_grad(name, "e", c.e, de, 30, score_loss, &c);
	if (both) {
		check_grad(name, "alpha_raw", &c.araw, &da, 1, score_loss, &c);
		score_loss(&c);
		double al = 1 / (1 + exp(-0.3)), d1 = 0, d2 = 0;
		for (int k = 0; k < 5; k++) {
			d1 += (double)c.o1[5 + k] * c.e[(1 * 3 + 2) * 5 + k];
			d2 += (double)c.o2[5 + k] * c.e[(1 * 3 + 2) * 5 + k];
		}
		is_near(c.s[5], al * d1 + (1 - al) * d2, 1e-5, "score: alpha o1.e + (1-alpha) o2.e");
	}
	free(c.o1); free(c.o2); free(c.e); free(c.s); free(c.R); free(do1); free(do2); free(de);
}

/* ---- softmax cross-entropy ---- */
typedef struct { float *s, *ds; } ce_ctx;
static double ce_loss(void *c_)
{
	ce_ctx *c = c_;
	return softmax_ce_forward_backward(c->ds, c->s, 3, 4);
}
static void test_ce(void)
{
	ce_ctx c = { rnd(12, 3), zeros(12) };
	float *g = zeros(12);
	ce_loss(&c);
	memcpy(g, c.ds, 12 * sizeof(float));
	check_grad("softmax_ce", "s", c.s, g, 12, ce_loss, &c);
	float s2[4] = { 0, 0, 0, 0 }, d2[4];
	is_near(softmax_ce_forward_backward(d2, s2, 1, 4), log(4.0), 1e-12, "softmax_ce: equal scores give log(1+K)");
	float s3[4] = { 1000, -1000, 0, 3 };
	double l3 = softmax_ce_forward_backward(d2, s3, 1, 4);
	ok(isfinite(l3) && l3 < 1e-6, "softmax_ce: large scores stay finite");
	free(c.s); free(c.ds); free(g);
}

/* ---- gather ---- */
static void test_gather(void)
{
	float table[6] = { 1, 2, 3, 4, 5, 6 }, y[8], dt[6] = { 0 };
	int32_t idx[4] = { 2, -1, 0, 2 };
	gather_forward(y, table, idx, 4, 2);
	ok(y[0] == 5 && y[1] == 6 && y[2] == 0 && y[3] == 0 && y[4] == 1 && y[6] == 5, "gather: rows and -1 as zero");
	float dy[8] = { 1, 1, 9, 9, 2, 3, 10, 20 };
	gather_backward(dt, dy, idx, 4, 2);
	ok(dt[0] == 2 && dt[1] == 3 && dt[2] == 0 && dt[4] == 11 && dt[5] == 21, "gather: backward scatter-adds repeated rows");
}

/* ---- Adam ---- */
static void test_adam(void)
{
	float p[2] = { 1, -1 }, g[2] = { 0.5f, -2 }, m[2] = { 0 }, v[2] = { 0 };
	adam_update(p, g, m, v, 2, 0.1f, 0.9f, 0.999f, 1e-8f, 1);
	/* step 1: m_hat = g, v_hat = g^2, so each moves by lr against sign(g) */
	is_near(p[0], 0.9, 1e-6, "adam: first step is lr * sign(g)");
	is_near(p[1], -0.9, 1e-6, "adam: first step, negative gradient");
	float g2[2] = { 0.1f, 0.1f };
	adam_update(p, g2, m, v, 2, 0.1f, 0.9f, 0.999f, 1e-8f, 2);
	double m2 = 0.9 * 0.05 + 0.1 * 0.1, v2 = 0.999 * 0.001 * 0.25 + 0.001 * 0.01;
	double want = 0.9 - 0.1 * (m2 / (1 - 0.81)) / (sqrt(v2 / (1 - 0.998001)) + 1e-8);
	is_near(p[0], want, 1e-6, "adam: second step with bias correction");
}

int main(void)
{
	test_linear();
	test_relu();
	test_mha(0, 0);
	test_mha(1, 0);
	test_mha(0, 1);   /* the same checks through the per-head sgemm path */
	test_mha(1, 1);
	test_mha_paths_agree();
	test_addatt();
	test_gru();
	test_mean();
	test_dropout();
	test_score(1);
	test_score(0);
	test_ce();
	test_gather();
	test_adam();
	return tap_done();
}
