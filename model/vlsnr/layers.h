/* layers.h: the building blocks of the VLSNR model (model/vlsnr/vlsnr.c), in the
 * style of karpathy/llm.c: each layer is a NAME_forward/NAME_backward pair over flat
 * row-major float arrays, the caller owns every buffer (activations and
 * caches are kept for the backward pass), and every backward ACCUMULATES
 * (+=) into the gradients it is given, so a tensor used twice simply receives
 * both contributions. Matrix products go through OpenBLAS's cblas_sgemm.
 * Shapes are written [rows, cols] in the comments; B is a batch of rows, T a
 * sequence length. Weight matrices are [in, out] (y = x W + b). A mask is a
 * float array of 1 (present) and 0 (padding); NULL means all present.
 * tests/unit/test-layers.c checks every backward against finite differences. */
#ifndef VMIND_LAYERS_H
#define VMIND_LAYERS_H

#include <stddef.h>
#include <stdint.h>

/* y[N,OC] = x[N,C] W[C,OC] (+ b[OC] when b != NULL) */
void linear_forward(float *y, const float *x, const float *W, const float *b,
		    int N, int C, int OC);
/* dx[N,C] += dy W^T; dW[C,OC] += x^T dy; db[OC] += sum dy; each skipped
 * when NULL */
void linear_backward(float *dx, float *dW, float *db, const float *dy,
		     const float *x, const float *W, int N, int C, int OC);

/* y = max(x, 0), elementwise over n; dx += dy * (y > 0) */
void relu_forward(float *y, const float *x, size_t n);
void relu_backward(float *dx, const float *dy, const float *y, size_t n);

/* Multi-head scaled dot-product self-attention over a set of T vectors.
 * qkv[B,T,3E] = x[B,T,C] Wqkv[C,3E] (queries, keys, values side by side;
 * head h uses columns h*dh..h*dh+dh-1 of each, dh = E/NH);
 * att[B,NH,T,T] = softmax over keys of q.k/sqrt(dh), keys with mask 0 get
 * weight 0 (a row whose keys are all masked is all 0, so its output is 0);
 * y[B,T,E] = att v, heads concatenated. No biases, no output projection
 * (paper eq. 1-2, 7-8, 10: one query and one value matrix per head). */
/* gemm chooses how the attention products run, with the same result: 1 as
 * sgemm calls per (item, head), for long sequences; 0 as loops, for short
 * ones, where a call per head would cost more than the work. Callers take
 * gemm = T >= MHA_GEMM_MIN_T (tests compare the two). */
#define MHA_GEMM_MIN_T 12
void mha_forward(float *y, float *qkv, float *att, const float *x,
		 const float *mask, const float *Wqkv, int B, int T, int C, int E, int NH, int gemm);
/* dx[B,T,C] += ... (skipped when dx NULL), dWqkv[C,3E] += ...; scratch:
 * [B*T*3E] floats */
void mha_backward(float *dx, float *dWqkv, float *scratch, const float *dy,
		  const float *qkv, const float *att, const float *x,
		  const float *mask, const float *Wqkv, int B, int T, int C, int E, int NH, int gemm);

/* Additive attention pooling (paper eq. 3-5, 11-12):
 * p[B,T,A] = tanh(x W[E,A] + b[A]); s[b,t] = q[A].p[b,t]; a[B,T] = softmax_t
 * over present items (mask); y[B,E] = sum_t a[b,t] x[b,t]. All items masked
 * gives y = 0. */
void addatt_forward(float *y, float *p, float *a, const float *x, const float *mask,
		    const float *W, const float *b, const float *q, int B, int T, int E, int A);
/* dx[B,T,E], dW, db, dq += ...; scratch: [B*T*A] floats */
void addatt_backward(float *dx, float *dW, float *db, float *dq, float *scratch,
		     const float *dy, const float *p, const float *a, const float *x,
		     const float *mask, const float *W, const float *q, int B, int T, int E, int A);

/* GRU over time, PyTorch's nn.GRU cell (gates r, z, n in that order):
 *   r = sig(x Wx_r + bx_r + h Wh_r + bh_r), z = likewise,
 *   n = tanh(x Wx_n + bx_n + r * (h Wh_n + bh_n)), h' = (1 - z) n + z h,
 * starting from h = 0; a step whose mask is 0 leaves h unchanged (padding).
 * x[B,T,G] input (input size = hidden size G), Wx, Wh [G,3G], bx, bh [3G].
 * Caches: gx[B,T,3G] (x Wx + bx), hs[B,T+1,G] (hidden states, hs[:,0] = 0),
 * gates[B,T,4G] (r, z, n, h Wh_n + bh_n). y[B,G] = last hidden state. */
void gru_forward(float *y, float *gx, float *hs, float *gates, const float *x,
		 const float *mask, const float *Wx, const float *Wh, const float *bx,
		 const float *bh, int B, int T, int G);
/* dx[B,T,G], dWx, dWh, dbx, dbh += ...; scratch: [B*T*3G + 4*B*G] floats
 * (gx is not read) */
void gru_backward(float *dx, float *dWx, float *dWh, float *dbx, float *dbh,
		  float *scratch, const float *dy, const float *gx, const float *hs,
		  const float *gates, const float *x, const float *mask,
		  const float *Wx, const float *Wh, int B, int T, int G);

/* Inverted dropout: m[n] = 0 with probability p, else 1/(1-p); y = x * m.
 * rng is the caller's xorshift state. p <= 0 (evaluation) copies, with m
 * all 1, and does not touch rng (which may then be NULL). */
void dropout_forward(float *y, float *m, const float *x, size_t n, float p, uint64_t *rng);
void dropout_backward(float *dx, const float *dy, const float *m, size_t n);

/* Mean of the present items: y[B,E] = sum_t mask x[b,t] / max(1, count). */
void meanpool_forward(float *y, const float *x, const float *mask, int B, int T, int E);
void meanpool_backward(float *dx, const float *dy, const float *mask, int B, int T, int E);

/* Click scores (paper section 3.4, the typo read as intended):
 * alpha = sigmoid(araw); s[b,c] = alpha o1[b].e[b,c] + (1 - alpha) o2[b].e[b,c]
 * with o1, o2 [B,M], e [B,NC,M]. o1 or o2 NULL means that term is absent and
 * the other gets weight 1 (ablations); then araw is unused. */
void score_forward(float *s, const float *o1, const float *o2, const float *e,
		   float araw, int B, int NC, int M);
/* do1, do2 [B,M], de [B,NC,M], *daraw += ... */
void score_backward(float *do1, float *do2, float *de, float *daraw, const float *ds,
		    const float *o1, const float *o2, const float *e, float araw,
		    int B, int NC, int M);

/* Softmax cross-entropy with the right answer at column 0 (the click, the
 * other NC-1 columns its sampled non-clicks), paper eq. 13, averaged over the
 * B rows. Returns the mean loss (computed in double); ds[B,NC] = its gradient
 * (written, not accumulated). */
double softmax_ce_forward_backward(float *ds, const float *s, int B, int NC);

/* Row gather: y[i] = table[idx[i]] ([M] rows), or 0 when idx[i] < 0;
 * backward scatter-adds dy rows into dtable. */
void gather_forward(float *y, const float *table, const int32_t *idx, int N, int M);
void gather_backward(float *dtable, const float *dy, const int32_t *idx, int N, int M);

/* Adam (Kingma & Ba) with bias correction, step t counted from 1. */
void adam_update(float *param, const float *grad, float *m, float *v, size_t n,
		 float lr, float beta1, float beta2, float eps, long t);

/* xorshift64* random numbers (reproducible across machines) */
uint64_t layers_rand(uint64_t *state);
float layers_randf(uint64_t *state);  /* uniform [0, 1) */

#endif
