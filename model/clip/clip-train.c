/* clip-train.c: the forward and backward passes of CLIP's layers declared in
 * clip-train.h. Every matrix product is an OpenBLAS sgemm (the attention's
 * per head, over row strides into the stacked q, k, v); LayerNorm
 * statistics and the sums that decide a softmax or the loss are
 * accumulated in double. */
#include "config.h"
#include "clip-train.h"
#include "clip.h"
#include "vmind/lib/util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- linear */

void clip_linear_forward(float *y, const float *x, const float *W, const float *b, int N, int C, int OC,
			 int accumulate)
{
	if (b) {
		for (int n = 0; n < N; n++) {
			float *r = y + (size_t)n * OC;
			if (accumulate)
				for (int o = 0; o < OC; o++) r[o] += b[o];
			else
				memcpy(r, b, (size_t)OC * sizeof *r);
		}
	}
	float beta = accumulate || b ? 1.0f : 0.0f;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, x, C, W, C, beta, y, OC);
}

void clip_linear_backward(float *dx, float *dW, float *db, const float *dy, const float *x, const float *W, int N,
			  int C, int OC)
{
	if (dx)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f, dy, OC, W, C, 1.0f, dx, C);
	if (dW)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dy, OC, x, C, 1.0f, dW, C);
	if (db)
		for (int n = 0; n < N; n++) {
			const float *r = dy + (size_t)n * OC;
			for (int o = 0; o < OC; o++) db[o] += r[o];
		}
}

/* ------------------------------------------------------------- LayerNorm */

void clip_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b, int N,
			    int D, float eps)
{
	for (int n = 0; n < N; n++) {
		const float *xr = x + (size_t)n * D;
		float *yr = y + (size_t)n * D;
		double s = 0, ss = 0;
		for (int j = 0; j < D; j++) s += xr[j];
		float mu = (float)(s / D);
		for (int j = 0; j < D; j++) {
			double d = xr[j] - mu;
			ss += d * d;
		}
		float r = (float)(1.0 / sqrt(ss / D + eps));
		for (int j = 0; j < D; j++) yr[j] = (xr[j] - mu) * r * w[j] + b[j];
		mean[n] = mu;
		rstd[n] = r;
	}
}

void clip_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *mean,
			     const float *rstd, const float *w, int N, int D)
{
	for (int n = 0; n < N; n++) {
		const float *xr = x + (size_t)n * D, *dyr = dy + (size_t)n * D;
		float mu = mean[n], r = rstd[n];
		double sg = 0, sgx = 0;   /* sums of g = dy * w and of g * xhat */
		for (int j = 0; j < D; j++) {
			float xh = (xr[j] - mu) * r, g = dyr[j] * w[j];
			sg += g;
			sgx += (double)g * xh;
			if (dw) dw[j] += dyr[j] * xh;
			if (db) db[j] += dyr[j];
		}
		if (!dx) continue;
		float mg = (float)(sg / D), mgx = (float)(sgx / D);
		float *dxr = dx + (size_t)n * D;
		for (int j = 0; j < D; j++) {
			float xh = (xr[j] - mu) * r;
			dxr[j] += (dyr[j] * w[j] - mg - xh * mgx) * r;
		}
	}
}

/* ------------------------------------------------------------- attention */

/* softmax of row s[0, n) in place, s[n, T) set to 0 (the causal mask) */
static void softmax_row(float *s, int n, int T)
{
	float mx = s[0];
	for (int j = 1; j < n; j++)
		if (s[j] > mx) mx = s[j];
	double sum = 0;
	for (int j = 0; j < n; j++) {
		s[j] = expf(s[j] - mx);
		sum += s[j];
	}
	float inv = (float)(1.0 / sum);
	for (int j = 0; j < n; j++) s[j] *= inv;
	for (int j = n; j < T; j++) s[j] = 0;
}

void clip_attention_forward(float *y, float *att, const float *qkv, int B, int T, int D, int H, int causal)
{
	int hd = D / H, ld = 3 * D;
	float scale = 1.0f / sqrtf((float)hd);
	for (int b = 0; b < B; b++)
		for (int h = 0; h < H; h++) {
			const float *q = qkv + (size_t)b * T * ld + (size_t)h * hd, *k = q + D, *v = q + 2 * D;
			float *p = att + ((size_t)b * H + h) * T * T;
			/* scores of every pair; the masked ones are overwritten */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd, scale, q, ld, k, ld, 0.0f, p, T);
			for (int i = 0; i < T; i++) softmax_row(p + (size_t)i * T, causal ? i + 1 : T, T);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T, 1.0f, p, T, v, ld, 0.0f,
				    y + (size_t)b * T * D + (size_t)h * hd, D);
		}
}

void clip_attention_backward(float *dqkv, float *scratch, const float *dy, const float *qkv, const float *att, int B,
			     int T, int D, int H)
{
	int hd = D / H, ld = 3 * D;
	float scale = 1.0f / sqrtf((float)hd);
	float *dp = scratch;   /* [T, T]: d loss / d probabilities, then / d scores */
	for (int b = 0; b < B; b++)
		for (int h = 0; h < H; h++) {
			size_t off = (size_t)b * T * ld + (size_t)h * hd;
			const float *q = qkv + off, *k = q + D, *v = q + 2 * D;
			const float *p = att + ((size_t)b * H + h) * T * T;
			const float *g = dy + (size_t)b * T * D + (size_t)h * hd;
			float *dq = dqkv + off, *dk = dq + D, *dv = dq + 2 * D;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd, 1.0f, g, D, v, ld, 0.0f, dp, T);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T, 1.0f, p, T, g, D, 1.0f, dv, ld);
			/* through the softmax: ds = p (dp - sum p dp); masked p are 0 */
			for (int i = 0; i < T; i++) {
				const float *pr = p + (size_t)i * T;
				float *r = dp + (size_t)i * T;
				double dot = 0;
				for (int j = 0; j < T; j++) dot += (double)pr[j] * r[j];
				for (int j = 0; j < T; j++) r[j] = pr[j] * (r[j] - (float)dot);
			}
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T, scale, dp, T, k, ld, 1.0f, dq, ld);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T, scale, dp, T, q, ld, 1.0f, dk, ld);
		}
}

/* ------------------------------------------------------------ activation */

void clip_act_forward(float *y, const float *x, size_t n, int act)
{
	if (act == CLIP_QUICK_GELU)
		for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + expf(-1.702f * x[i]));
	else
		for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}

void clip_act_backward(float *dx, const float *dy, const float *x, size_t n, int act)
{
	if (act == CLIP_QUICK_GELU) {
		for (size_t i = 0; i < n; i++) {
			float s = 1.0f / (1.0f + expf(-1.702f * x[i]));
			dx[i] += dy[i] * s * (1.0f + 1.702f * x[i] * (1.0f - s));
		}
	} else {
		const float c = 0.3989422804014327f;   /* 1 / sqrt(2 pi) */
		for (size_t i = 0; i < n; i++) {
			float cdf = 0.5f * (1.0f + erff(x[i] * (float)M_SQRT1_2));
			dx[i] += dy[i] * (cdf + x[i] * c * expf(-0.5f * x[i] * x[i]));
		}
	}
}

/* ------------------------------------------------------------ embeddings */

void clip_patch_unfold(float *patches, const float *pixels, int B, int S, int P)
{
	int G = S / P, np = G * G, K = 3 * P * P;
	for (int b = 0; b < B; b++)
		for (int p = 0; p < np; p++) {
			int py = p / G, px = p % G;
			float *row = patches + ((size_t)b * np + p) * K;
			for (int ch = 0; ch < 3; ch++)
				for (int ky = 0; ky < P; ky++)
					memcpy(row + (ch * P + ky) * P,
					       pixels + (((size_t)b * 3 + ch) * S + py * P + ky) * S + px * P,
					       (size_t)P * sizeof *row);
		}
}

void clip_vision_embed_forward(float *x, const float *pe, const float *cls, const float *pos, int B, int np, int D)
{
	int T = np + 1;
	for (int b = 0; b < B; b++) {
		float *xb = x + (size_t)b * T * D;
		for (int j = 0; j < D; j++) xb[j] = cls[j] + pos[j];
		for (int p = 0; p < np; p++) {
			const float *e = pe + ((size_t)b * np + p) * D, *ps = pos + (size_t)(p + 1) * D;
			float *r = xb + (size_t)(p + 1) * D;
			for (int j = 0; j < D; j++) r[j] = e[j] + ps[j];
		}
	}
}

void clip_vision_embed_backward(float *dpe, float *dcls, float *dpos, const float *dx, int B, int np, int D)
{
	int T = np + 1;
	for (int b = 0; b < B; b++) {
		const float *g = dx + (size_t)b * T * D;
		for (int j = 0; j < D; j++) dcls[j] += g[j];
		for (size_t i = 0; i < (size_t)T * D; i++) dpos[i] += g[i];
		if (dpe)
			for (size_t i = 0; i < (size_t)np * D; i++) dpe[(size_t)b * np * D + i] += g[D + i];
	}
}

void clip_text_embed_forward(float *x, const int32_t *ids, const float *tok, const float *pos, int B, int T, int D)
{
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			const float *e = tok + (size_t)ids[(size_t)b * T + t] * D, *ps = pos + (size_t)t * D;
			float *r = x + ((size_t)b * T + t) * D;
			for (int j = 0; j < D; j++) r[j] = e[j] + ps[j];
		}
}

void clip_text_embed_backward(float *dtok, float *dpos, const float *dx, const int32_t *ids, int B, int T, int D)
{
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			const float *g = dx + ((size_t)b * T + t) * D;
			float *e = dtok + (size_t)ids[(size_t)b * T + t] * D, *ps = dpos + (size_t)t * D;
			for (int j = 0; j < D; j++) {
				e[j] += g[j];
				ps[j] += g[j];
			}
		}
}

void clip_pool_forward(float *y, const float *x, const int *at, int B, int T, int D)
{
	for (int b = 0; b < B; b++)
		memcpy(y + (size_t)b * D, x + ((size_t)b * T + at[b]) * D, (size_t)D * sizeof *y);
}

void clip_pool_backward(float *dx, const float *dy, const int *at, int B, int T, int D)
{
	for (int b = 0; b < B; b++) {
		float *r = dx + ((size_t)b * T + at[b]) * D;
		const float *g = dy + (size_t)b * D;
		for (int j = 0; j < D; j++) r[j] += g[j];
	}
}

/* ------------------------------------------------------------------ loss */

void clip_l2norm_forward(float *y, float *norm, const float *x, int N, int D)
{
	for (int n = 0; n < N; n++) {
		const float *xr = x + (size_t)n * D;
		double s = 0;
		for (int j = 0; j < D; j++) s += (double)xr[j] * xr[j];
		float nr = (float)sqrt(s);
		float inv = nr > 0 ? 1.0f / nr : 0.0f;
		for (int j = 0; j < D; j++) y[(size_t)n * D + j] = xr[j] * inv;
		norm[n] = nr;
	}
}

void clip_l2norm_backward(float *dx, const float *dy, const float *y, const float *norm, int N, int D)
{
	for (int n = 0; n < N; n++) {
		const float *yr = y + (size_t)n * D, *g = dy + (size_t)n * D;
		if (!(norm[n] > 0)) continue;
		double d = 0;
		for (int j = 0; j < D; j++) d += (double)yr[j] * g[j];
		float inv = 1.0f / norm[n];
		for (int j = 0; j < D; j++) dx[(size_t)n * D + j] += (g[j] - yr[j] * (float)d) * inv;
	}
}

/* cross-entropy of the B rows of z (row i's answer at column i, elements
 * at z[i*rs + j*cs]): the loss summed over rows, and dz += softmax - onehot
 * scaled by w */
static double ce_diag(const double *z, double *dz, int B, int rs, int cs, double w)
{
	double loss = 0;
	for (int i = 0; i < B; i++) {
		const double *r = z + (size_t)i * rs;
		double mx = r[0];
		for (int j = 1; j < B; j++)
			if (r[(size_t)j * cs] > mx) mx = r[(size_t)j * cs];
		double sum = 0;
		for (int j = 0; j < B; j++) sum += exp(r[(size_t)j * cs] - mx);
		loss += mx + log(sum) - r[(size_t)i * cs];
		for (int j = 0; j < B; j++)
			dz[(size_t)i * rs + (size_t)j * cs] += w * (exp(r[(size_t)j * cs] - mx) / sum - (i == j));
	}
	return loss;
}

double clip_contrastive_forward_backward(float *dimg, float *dtxt, float *dscale, double *scratch, const float *img,
					 const float *txt, float logit_scale, int B, int P)
{
	double *z = scratch, *dz = scratch + (size_t)B * B;   /* [B,B] logits, texts as rows */
	double e = exp((double)logit_scale);
	for (int i = 0; i < B; i++)
		for (int j = 0; j < B; j++) {
			double s = 0;
			for (int k = 0; k < P; k++) s += (double)txt[(size_t)i * P + k] * img[(size_t)j * P + k];
			z[(size_t)i * B + j] = e * s;
			dz[(size_t)i * B + j] = 0;
		}
	double w = 0.5 / B;
	double loss = w * (ce_diag(z, dz, B, B, 1, w) + ce_diag(z, dz, B, 1, B, w));
	double ds = 0;
	for (size_t i = 0; i < (size_t)B * B; i++) ds += dz[i] * z[i];
	*dscale = (float)ds;
	for (int i = 0; i < B; i++)
		for (int k = 0; k < P; k++) {
			double gt = 0, gi = 0;
			for (int j = 0; j < B; j++) {
				gt += dz[(size_t)i * B + j] * img[(size_t)j * P + k];
				gi += dz[(size_t)j * B + i] * txt[(size_t)j * P + k];
			}
			dtxt[(size_t)i * P + k] = (float)(e * gt);
			dimg[(size_t)i * P + k] = (float)(e * gi);
		}
	return loss;
}

/* ----------------------------------------------------------------- block */

size_t clip_block_acts_floats(int B, int T, int D, int NI, int H)
{
	size_t M = (size_t)B * T;
	return M * D * 5 + M * 4 + M * 3 * D + (size_t)B * H * T * T + M * NI * 2;
}

size_t clip_block_scratch_floats(int B, int T, int D, int NI)
{
	size_t M = (size_t)B * T;
	return M * D * 2 + M * 3 * D + M * NI * 2 + (size_t)T * T;
}

void clip_block_acts_bind(clip_block_acts *a, float *mem, int B, int T, int D, int NI, int H)
{
	size_t M = (size_t)B * T;
	float *p = mem;
	a->ln1 = p; p += M * D;
	a->ln1_mean = p; p += M;
	a->ln1_rstd = p; p += M;
	a->qkv = p; p += M * 3 * D;
	a->att = p; p += (size_t)B * H * T * T;
	a->atty = p; p += M * D;
	a->res1 = p; p += M * D;
	a->ln2 = p; p += M * D;
	a->ln2_mean = p; p += M;
	a->ln2_rstd = p; p += M;
	a->fc1 = p; p += M * NI;
	a->act = p;
}

void clip_block_forward(float *y, clip_block_acts *a, const float *x, const clip_block_w *w, int B, int T, int D,
			int NI, int H, float eps, int act, int causal)
{
	int M = B * T;
	clip_layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, x, w->ln1_w, w->ln1_b, M, D, eps);
	clip_linear_forward(a->qkv, a->ln1, w->qkv_w, w->qkv_b, M, D, 3 * D, 0);
	clip_attention_forward(a->atty, a->att, a->qkv, B, T, D, H, causal);
	memcpy(a->res1, x, (size_t)M * D * sizeof *x);
	clip_linear_forward(a->res1, a->atty, w->o_w, w->o_b, M, D, D, 1);
	clip_layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->res1, w->ln2_w, w->ln2_b, M, D, eps);
	clip_linear_forward(a->fc1, a->ln2, w->fc1_w, w->fc1_b, M, D, NI, 0);
	clip_act_forward(a->act, a->fc1, (size_t)M * NI, act);
	memcpy(y, a->res1, (size_t)M * D * sizeof *y);
	clip_linear_forward(y, a->act, w->fc2_w, w->fc2_b, M, NI, D, 1);
}

void clip_block_backward(float *dx, const clip_block_w *g, float *scratch, const float *x, const clip_block_acts *a,
			 const clip_block_w *w, int B, int T, int D, int NI, int H, int act, int need_dx)
{
	size_t M = (size_t)B * T;
	float *dln = scratch, *datty = dln + M * D, *dqkv = datty + M * D, *dact = dqkv + M * 3 * D;
	float *dfc = dact + M * NI, *att_scratch = dfc + M * NI;
	/* MLP branch; dx holds dL/dy, whose residual part is dL/dres1's */
	memset(dact, 0, M * NI * sizeof *dact);
	clip_linear_backward(dact, g->fc2_w, g->fc2_b, dx, a->act, w->fc2_w, (int)M, NI, D);
	memset(dfc, 0, M * NI * sizeof *dfc);
	clip_act_backward(dfc, dact, a->fc1, M * NI, act);
	memset(dln, 0, M * D * sizeof *dln);
	clip_linear_backward(dln, g->fc1_w, g->fc1_b, dfc, a->ln2, w->fc1_w, (int)M, D, NI);
	clip_layernorm_backward(dx, g->ln2_w, g->ln2_b, dln, a->res1, a->ln2_mean, a->ln2_rstd, w->ln2_w, (int)M, D);
	/* attention branch; dx is now dL/dres1, whose residual part is dL/dx's */
	memset(datty, 0, M * D * sizeof *datty);
	clip_linear_backward(datty, g->o_w, g->o_b, dx, a->atty, w->o_w, (int)M, D, D);
	memset(dqkv, 0, M * 3 * D * sizeof *dqkv);
	clip_attention_backward(dqkv, att_scratch, datty, a->qkv, a->att, B, T, D, H);
	memset(dln, 0, M * D * sizeof *dln);
	clip_linear_backward(dln, g->qkv_w, g->qkv_b, dqkv, a->ln1, w->qkv_w, (int)M, D, 3 * D);
	clip_layernorm_backward(need_dx ? dx : NULL, g->ln1_w, g->ln1_b, dln, x, a->ln1_mean, a->ln1_rstd, w->ln1_w,
				(int)M, D);
}

/* ------------------------------------------------------------------ Adam */

void clip_adam_update(float *param, const float *grad, float *m, float *v, size_t n, float lr, long t)
{
	const double b1 = 0.9, b2 = 0.98, eps = 1e-6;
	double c1 = 1.0 - pow(b1, (double)t), c2 = 1.0 - pow(b2, (double)t);
	double step = lr / c1, vscale = 1.0 / c2;
	for (size_t i = 0; i < n; i++) {
		float gi = grad[i];
		m[i] = (float)(b1 * m[i] + (1 - b1) * gi);
		v[i] = (float)(b2 * v[i] + (1 - b2) * (double)gi * gi);
		param[i] -= (float)(step * m[i] / (sqrt(v[i] * vscale) + eps));
	}
}
