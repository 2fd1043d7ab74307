/* layers.c: forward and backward passes of the VLSNR building blocks declared
 * in layers.h (linear, ReLU, multi-head self-attention, additive attention
 * pooling, GRU, dropout, mean pooling, the two-term click score, softmax
 * cross-entropy, row gather) and the Adam update. Flat row-major float
 * arrays, sgemm for every matrix product, loops for the small attention
 * inner products; sums that decide a softmax are accumulated in double. */
#include "config.h"
#include "layers.h"

#include "vmind/lib/util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void linear_forward(float *y, const float *x, const float *W, const float *b,
		    int N, int C, int OC)
{
	if (b) {
		for (int n = 0; n < N; n++)
			memcpy(y + (size_t)n * OC, b, (size_t)OC * sizeof(float));
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, OC, C,
		    1.0f, x, C, W, OC, b ? 1.0f : 0.0f, y, OC);
}

void linear_backward(float *dx, float *dW, float *db, const float *dy,
		     const float *x, const float *W, int N, int C, int OC)
{
	if (dx)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, C, OC,
			    1.0f, dy, OC, W, OC, 1.0f, dx, C);
	if (dW)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, OC, N,
			    1.0f, x, C, dy, OC, 1.0f, dW, OC);
	if (db) {
		for (int n = 0; n < N; n++) {
			const float *r = dy + (size_t)n * OC;
			for (int o = 0; o < OC; o++)
				db[o] += r[o];
		}
	}
}

void relu_forward(float *y, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = x[i] > 0 ? x[i] : 0;
}

void relu_backward(float *dx, const float *dy, const float *y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (y[i] > 0)
			dx[i] += dy[i];
}

static float dotf(const float *a, const float *b, int n)
{
	float s = 0;
	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/* Softmax of one row of attention scores r[T] in place over the keys whose
 * mask is not 0 (all keys when m is NULL); masked keys get 0, a row with no
 * key left is all 0. The sum is taken in double. */
static void softmax_masked(float *r, const float *m, int T)
{
	float mx = -INFINITY;
	for (int j = 0; j < T; j++)
		if (!(m && m[j] == 0) && r[j] > mx)
			mx = r[j];
	double sum = 0;
	for (int j = 0; j < T; j++) {
		if (m && m[j] == 0) {
			r[j] = 0;
			continue;
		}
		r[j] = expf(r[j] - mx);
		sum += r[j];
	}
	float inv = sum > 0 ? (float)(1.0 / sum) : 0;
	for (int j = 0; j < T; j++)
		r[j] *= inv;
}

/* Attention over long sequences (the user side's histories) as three small
 * sgemms per (item, head) on the strided q/k/v blocks of qkv [B,T,3E], so the
 * T x T x dh products run in OpenBLAS's vector kernels instead of scalar
 * dot products. Same equations as the loops below (which stay for short T,
 * the news encoder's F fields, where a call per head would cost more than
 * the work); the gemm argument of mha_forward/mha_backward chooses. */

static void mha_forward_gemm(float *y, const float *qkv, float *att, const float *mask,
			     int B, int T, int E, int NH)
{
	int dh = E / NH, ld = 3 * E;
	float scale = 1.0f / sqrtf((float)dh);
	for (int b = 0; b < B; b++) {
		const float *m = mask ? mask + (size_t)b * T : NULL;
		for (int h = 0; h < NH; h++) {
			const float *q = qkv + (size_t)b * T * ld + h * dh;
			float *a = att + ((size_t)b * NH + h) * T * T;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, dh,
				    scale, q, ld, q + E, ld, 0.0f, a, T);
			for (int i = 0; i < T; i++)
				softmax_masked(a + (size_t)i * T, m, T);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dh, T,
				    1.0f, a, T, q + 2 * E, ld, 0.0f, y + (size_t)b * T * E + h * dh, E);
		}
	}
}

static void mha_backward_gemm(float *dqkv, const float *dy, const float *qkv, const float *att,
			      int B, int T, int E, int NH)
{
	int dh = E / NH, ld = 3 * E;
	float scale = 1.0f / sqrtf((float)dh);
	float *ds = xmalloc((size_t)T * T * sizeof *ds);   /* [T,T] score gradient of one head */
	for (int b = 0; b < B; b++) {
		for (int h = 0; h < NH; h++) {
			size_t o = (size_t)b * T * ld + h * dh;
			const float *q = qkv + o, *k = q + E, *v = q + 2 * E;
			const float *a = att + ((size_t)b * NH + h) * T * T;
			const float *dout = dy + (size_t)b * T * E + h * dh;
			/* datt = dout v^T, then the softmax backward row by row */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, dh,
				    1.0f, dout, E, v, ld, 0.0f, ds, T);
			for (int i = 0; i < T; i++) {
				const float *ar = a + (size_t)i * T;
				float *r = ds + (size_t)i * T;
				double s = 0;
				for (int j = 0; j < T; j++)
					s += (double)ar[j] * r[j];
				for (int j = 0; j < T; j++)
					r[j] = ar[j] * (r[j] - (float)s) * scale;
			}
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dh, T,
				    1.0f, ds, T, k, ld, 0.0f, dqkv + o, ld);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, dh, T,
				    1.0f, ds, T, q, ld, 0.0f, dqkv + o + E, ld);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, dh, T,
				    1.0f, a, T, dout, E, 0.0f, dqkv + o + 2 * E, ld);
		}
	}
	free(ds);
}

void mha_forward(float *y, float *qkv, float *att, const float *x,
		 const float *mask, const float *Wqkv, int B, int T, int C, int E, int NH, int gemm)
{
	int dh = E / NH;
	float scale = 1.0f / sqrtf((float)dh);
	linear_forward(qkv, x, Wqkv, NULL, B * T, C, 3 * E);
	if (gemm) {
		mha_forward_gemm(y, qkv, att, mask, B, T, E, NH);
		return;
	}
	for (int b = 0; b < B; b++) {
		const float *m = mask ? mask + (size_t)b * T : NULL;
		for (int h = 0; h < NH; h++) {
			for (int i = 0; i < T; i++) {
				const float *q = qkv + ((size_t)b * T + i) * 3 * E + h * dh;
				float *a = att + (((size_t)b * NH + h) * T + i) * T;
				for (int j = 0; j < T; j++) {
					const float *k = qkv + ((size_t)b * T + j) * 3 * E + E + h * dh;
					a[j] = m && m[j] == 0 ? 0 : dotf(q, k, dh) * scale;
				}
				softmax_masked(a, m, T);
				float *out = y + ((size_t)b * T + i) * E + h * dh;
				memset(out, 0, (size_t)dh * sizeof(float));
				for (int j = 0; j < T; j++) {
					if (a[j] == 0)
						continue;
					const float *v = qkv + ((size_t)b * T + j) * 3 * E + 2 * E + h * dh;
					for (int d = 0; d < dh; d++)
						out[d] += a[j] * v[d];
				}
			}
		}
	}
}

void mha_backward(float *dx, float *dWqkv, float *scratch, const float *dy,
		  const float *qkv, const float *att, const float *x,
		  const float *mask, const float *Wqkv, int B, int T, int C, int E, int NH, int gemm)
{
	int dh = E / NH;
	float scale = 1.0f / sqrtf((float)dh);
	float *dqkv = scratch;
	memset(dqkv, 0, (size_t)B * T * 3 * E * sizeof(float));
	if (gemm) {
		mha_backward_gemm(dqkv, dy, qkv, att, B, T, E, NH);
		linear_backward(dx, dWqkv, NULL, dqkv, x, Wqkv, B * T, C, 3 * E);
		return;
	}
	for (int b = 0; b < B; b++) {
		for (int h = 0; h < NH; h++) {
			for (int i = 0; i < T; i++) {
				const float *a = att + (((size_t)b * NH + h) * T + i) * T;
				const float *dout = dy + ((size_t)b * T + i) * E + h * dh;
				const float *q = qkv + ((size_t)b * T + i) * 3 * E + h * dh;
				float *dq = dqkv + ((size_t)b * T + i) * 3 * E + h * dh;
				/* sum_k a_k datt_k, datt_k = dout . v_k */
				double s = 0;
				for (int j = 0; j < T; j++) {
					if (a[j] == 0)
						continue;
					const float *v = qkv + ((size_t)b * T + j) * 3 * E + 2 * E + h * dh;
					s += (double)a[j] * dotf(dout, v, dh);
				}
				for (int j = 0; j < T; j++) {
					if (a[j] == 0)
						continue;
					size_t row = ((size_t)b * T + j) * 3 * E;
					const float *k = qkv + row + E + h * dh;
					const float *v = qkv + row + 2 * E + h * dh;
					float *dk = dqkv + row + E + h * dh;
					float *dv = dqkv + row + 2 * E + h * dh;
					float datt = dotf(dout, v, dh);
					float dpre = a[j] * (datt - (float)s) * scale;
					for (int d = 0; d < dh; d++) {
						dv[d] += a[j] * dout[d];
						dq[d] += dpre * k[d];
						dk[d] += dpre * q[d];
					}
				}
			}
		}
	}
	(void)mask;
	linear_backward(dx, dWqkv, NULL, dqkv, x, Wqkv, B * T, C, 3 * E);
}

void addatt_forward(float *y, float *p, float *a, const float *x, const float *mask,
		    const float *W, const float *b, const float *q, int B, int T, int E, int A)
{
	linear_forward(p, x, W, b, B * T, E, A);
	for (size_t i = 0; i < (size_t)B * T * A; i++)
		p[i] = tanhf(p[i]);
	for (int bb = 0; bb < B; bb++) {
		const float *m = mask ? mask + (size_t)bb * T : NULL;
		float *ab = a + (size_t)bb * T;
		for (int t = 0; t < T; t++)
			ab[t] = m && m[t] == 0 ? 0 : dotf(q, p + ((size_t)bb * T + t) * A, A);
		softmax_masked(ab, m, T);
		float *yb = y + (size_t)bb * E;
		memset(yb, 0, (size_t)E * sizeof(float));
		for (int t = 0; t < T; t++) {
			if (ab[t] == 0)
				continue;
			const float *xt = x + ((size_t)bb * T + t) * E;
			for (int e = 0; e < E; e++)
				yb[e] += ab[t] * xt[e];
		}
	}
}

void addatt_backward(float *dx, float *dW, float *db, float *dq, float *scratch,
		     const float *dy, const float *p, const float *a, const float *x,
		     const float *mask, const float *W, const float *q, int B, int T, int E, int A)
{
	float *dpre = scratch;
	memset(dpre, 0, (size_t)B * T * A * sizeof(float));
	for (int bb = 0; bb < B; bb++) {
		const float *ab = a + (size_t)bb * T;
		const float *dyb = dy + (size_t)bb * E;
		double s = 0;
		for (int t = 0; t < T; t++)
			if (ab[t] != 0)
				s += (double)ab[t] * dotf(dyb, x + ((size_t)bb * T + t) * E, E);
		for (int t = 0; t < T; t++) {
			if (ab[t] == 0)
				continue;
			const float *xt = x + ((size_t)bb * T + t) * E;
			float *dxt = dx + ((size_t)bb * T + t) * E;
			for (int e = 0; e < E; e++)
				dxt[e] += ab[t] * dyb[e];
			float ds = ab[t] * (dotf(dyb, xt, E) - (float)s);
			const float *pt = p + ((size_t)bb * T + t) * A;
			float *dpt = dpre + ((size_t)bb * T + t) * A;
			for (int k = 0; k < A; k++) {
				dq[k] += ds * pt[k];
				dpt[k] = ds * q[k] * (1.0f - pt[k] * pt[k]);
			}
		}
	}
	(void)mask;
	linear_backward(dx, dW, db, dpre, x, W, B * T, E, A);
}

static float sigm(float v)
{
	return 1.0f / (1.0f + expf(-v));
}

void gru_forward(float *y, float *gx, float *hs, float *gates, const float *x,
		 const float *mask, const float *Wx, const float *Wh, const float *bx,
		 const float *bh, int B, int T, int G)
{
	size_t G3 = 3 * (size_t)G, G4 = 4 * (size_t)G;
	linear_forward(gx, x, Wx, bx, B * T, G, 3 * G);
	for (int b = 0; b < B; b++)
		memset(hs + (size_t)b * (T + 1) * G, 0, (size_t)G * sizeof(float));
	for (int t = 0; t < T; t++) {
		/* gates[:, t, 0:3G] = h_t Wh + bh, rows strided */
		for (int b = 0; b < B; b++)
			memcpy(gates + ((size_t)b * T + t) * G4, bh, G3 * sizeof(float));
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, 3 * G, G,
			    1.0f, hs + (size_t)t * G, (T + 1) * G, Wh, 3 * G,
			    1.0f, gates + (size_t)t * G4, T * (int)G4);
		for (int b = 0; b < B; b++) {
			float *g = gates + ((size_t)b * T + t) * G4;
			const float *gi = gx + ((size_t)b * T + t) * G3;
			const float *h = hs + ((size_t)b * (T + 1) + t) * G;
			float *hn = hs + ((size_t)b * (T + 1) + t + 1) * G;
			int on = !mask || mask[(size_t)b * T + t] != 0;
			for (int k = 0; k < G; k++) {
				float r = sigm(gi[k] + g[k]);
				float z = sigm(gi[G + k] + g[G + k]);
				float hh = g[2 * G + k];
				float n = tanhf(gi[2 * G + k] + r * hh);
				g[k] = r;
				g[G + k] = z;
				g[2 * G + k] = n;
				g[3 * G + k] = hh;
				hn[k] = on ? (1 - z) * n + z * h[k] : h[k];
			}
		}
	}
	for (int b = 0; b < B; b++)
		memcpy(y + (size_t)b * G, hs + ((size_t)b * (T + 1) + T) * G, (size_t)G * sizeof(float));
}

void gru_backward(float *dx, float *dWx, float *dWh, float *dbx, float *dbh,
		  float *scratch, const float *dy, const float *gx, const float *hs,
		  const float *gates, const float *x, const float *mask,
		  const float *Wx, const float *Wh, int B, int T, int G)
{
	size_t G3 = 3 * (size_t)G, G4 = 4 * (size_t)G;
	float *dgx = scratch;                         /* [B,T,3G] */
	float *dh = dgx + (size_t)B * T * G3;         /* [B,G] */
	float *dgh = dh + (size_t)B * G;              /* [B,3G] */
	(void)gx;
	memcpy(dh, dy, (size_t)B * G * sizeof(float));
	for (int t = T - 1; t >= 0; t--) {
		for (int b = 0; b < B; b++) {
			const float *g = gates + ((size_t)b * T + t) * G4;
			const float *h = hs + ((size_t)b * (T + 1) + t) * G;
			float *dgi = dgx + ((size_t)b * T + t) * G3;
			float *dgb = dgh + (size_t)b * G3;
			float *dhb = dh + (size_t)b * G;
			int on = !mask || mask[(size_t)b * T + t] != 0;
			if (!on) {
				memset(dgi, 0, G3 * sizeof(float));
				memset(dgb, 0, G3 * sizeof(float));
				continue; /* dh passes through unchanged */
			}
			for (int k = 0; k < G; k++) {
				float r = g[k], z = g[G + k], n = g[2 * G + k], hh = g[3 * G + k];
				float d = dhb[k];
				float dn = d * (1 - z);
				float dz = d * (h[k] - n);
				float dnp = dn * (1 - n * n);
				float dr = dnp * hh;
				float drp = dr * r * (1 - r);
				float dzp = dz * z * (1 - z);
				dgi[k] = drp;
				dgi[G + k] = dzp;
				dgi[2 * G + k] = dnp;
				dgb[k] = drp;
				dgb[G + k] = dzp;
				dgb[2 * G + k] = dnp * r;
				dhb[k] = d * z;
			}
		}
		/* dh_t += dgh Wh^T; dWh += h_t^T dgh; dbh += sum dgh */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, G, 3 * G,
			    1.0f, dgh, 3 * G, Wh, 3 * G, 1.0f, dh, G);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, 3 * G, B,
			    1.0f, hs + (size_t)t * G, (T + 1) * G, dgh, 3 * G, 1.0f, dWh, 3 * G);
		for (int b = 0; b < B; b++)
			for (size_t k = 0; k < G3; k++)
				dbh[k] += dgh[(size_t)b * G3 + k];
	}
	linear_backward(dx, dWx, dbx, dgx, x, Wx, B * T, G, 3 * G);
}

uint64_t layers_rand(uint64_t *state)
{
	uint64_t s = *state;
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	*state = s;
	return s * 0x2545F4914F6CDD1DULL;
}

float layers_randf(uint64_t *state)
{
	return (float)(layers_rand(state) >> 40) / (float)(1ULL << 24);
}

void dropout_forward(float *y, float *m, const float *x, size_t n, float p, uint64_t *rng)
{
	if (p <= 0) {
		for (size_t i = 0; i < n; i++) {
			m[i] = 1;
			y[i] = x[i];
		}
		return;
	}
	float keep = 1.0f / (1.0f - p);
	for (size_t i = 0; i < n; i++) {
		m[i] = layers_randf(rng) < p ? 0 : keep;
		y[i] = x[i] * m[i];
	}
}

void dropout_backward(float *dx, const float *dy, const float *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dx[i] += dy[i] * m[i];
}

void meanpool_forward(float *y, const float *x, const float *mask, int B, int T, int E)
{
	for (int b = 0; b < B; b++) {
		float *yb = y + (size_t)b * E;
		memset(yb, 0, (size_t)E * sizeof(float));
		int cnt = 0;
		for (int t = 0; t < T; t++) {
			if (mask && mask[(size_t)b * T + t] == 0)
				continue;
			cnt++;
			const float *xt = x + ((size_t)b * T + t) * E;
			for (int e = 0; e < E; e++)
				yb[e] += xt[e];
		}
		if (cnt > 1)
			for (int e = 0; e < E; e++)
				yb[e] /= (float)cnt;
	}
}

void meanpool_backward(float *dx, const float *dy, const float *mask, int B, int T, int E)
{
	for (int b = 0; b < B; b++) {
		int cnt = 0;
		for (int t = 0; t < T; t++)
			cnt += !mask || mask[(size_t)b * T + t] != 0;
		float w = cnt > 1 ? 1.0f / (float)cnt : 1.0f;
		for (int t = 0; t < T; t++) {
			if (mask && mask[(size_t)b * T + t] == 0)
				continue;
			float *dxt = dx + ((size_t)b * T + t) * E;
			for (int e = 0; e < E; e++)
				dxt[e] += w * dy[(size_t)b * E + e];
		}
	}
}

static void score_weights(const float *o1, const float *o2, float araw, float *w1, float *w2)
{
	if (o1 && o2) {
		*w1 = sigm(araw);
		*w2 = 1 - *w1;
	} else {
		*w1 = o1 ? 1 : 0;
		*w2 = o2 ? 1 : 0;
	}
}

void score_forward(float *s, const float *o1, const float *o2, const float *e,
		   float araw, int B, int NC, int M)
{
	float w1, w2;
	score_weights(o1, o2, araw, &w1, &w2);
	for (int b = 0; b < B; b++)
		for (int c = 0; c < NC; c++) {
			const float *ec = e + ((size_t)b * NC + c) * M;
			float v = 0;
			if (o1)
				v += w1 * dotf(o1 + (size_t)b * M, ec, M);
			if (o2)
				v += w2 * dotf(o2 + (size_t)b * M, ec, M);
			s[(size_t)b * NC + c] = v;
		}
}

void score_backward(float *do1, float *do2, float *de, float *daraw, const float *ds,
		    const float *o1, const float *o2, const float *e, float araw,
		    int B, int NC, int M)
{
	float w1, w2;
	score_weights(o1, o2, araw, &w1, &w2);
	double da = 0;
	for (int b = 0; b < B; b++)
		for (int c = 0; c < NC; c++) {
			float g = ds[(size_t)b * NC + c];
			const float *ec = e + ((size_t)b * NC + c) * M;
			float *dec = de + ((size_t)b * NC + c) * M;
			if (o1) {
				const float *u = o1 + (size_t)b * M;
				float *du = do1 + (size_t)b * M;
				for (int k = 0; k < M; k++) {
					du[k] += g * w1 * ec[k];
					dec[k] += g * w1 * u[k];
				}
			}
			if (o2) {
				const float *u = o2 + (size_t)b * M;
				float *du = do2 + (size_t)b * M;
				for (int k = 0; k < M; k++) {
					du[k] += g * w2 * ec[k];
					dec[k] += g * w2 * u[k];
				}
			}
			if (o1 && o2)
				da += (double)g * (dotf(o1 + (size_t)b * M, ec, M) - dotf(o2 + (size_t)b * M, ec, M));
		}
	if (o1 && o2)
		*daraw += (float)(da * w1 * w2);
}

double softmax_ce_forward_backward(float *ds, const float *s, int B, int NC)
{
	double loss = 0;
	for (int b = 0; b < B; b++) {
		const float *sb = s + (size_t)b * NC;
		float *db = ds + (size_t)b * NC;
		double mx = sb[0];
		for (int c = 1; c < NC; c++)
			if (sb[c] > mx)
				mx = sb[c];
		double sum = 0;
		for (int c = 0; c < NC; c++)
			sum += exp(sb[c] - mx);
		loss += mx + log(sum) - sb[0];
		for (int c = 0; c < NC; c++)
			db[c] = (float)((exp(sb[c] - mx) / sum - (c == 0)) / B);
	}
	return loss / B;
}

void gather_forward(float *y, const float *table, const int32_t *idx, int N, int M)
{
	for (int i = 0; i < N; i++) {
		if (idx[i] < 0)
			memset(y + (size_t)i * M, 0, (size_t)M * sizeof(float));
		else
			memcpy(y + (size_t)i * M, table + (size_t)idx[i] * M, (size_t)M * sizeof(float));
	}
}

void gather_backward(float *dtable, const float *dy, const int32_t *idx, int N, int M)
{
	for (int i = 0; i < N; i++) {
		if (idx[i] < 0)
			continue;
		float *d = dtable + (size_t)idx[i] * M;
		const float *g = dy + (size_t)i * M;
		for (int k = 0; k < M; k++)
			d[k] += g[k];
	}
}

void adam_update(float *param, const float *grad, float *m, float *v, size_t n,
		 float lr, float beta1, float beta2, float eps, long t)
{
	double bc1 = 1.0 - pow(beta1, (double)t), bc2 = 1.0 - pow(beta2, (double)t);
	for (size_t i = 0; i < n; i++) {
		float g = grad[i];
		m[i] = beta1 * m[i] + (1 - beta1) * g;
		v[i] = beta2 * v[i] + (1 - beta2) * g * g;
		double mh = m[i] / bc1, vh = v[i] / bc2;
		param[i] -= (float)(lr * mh / (sqrt(vh) + eps));
	}
}
