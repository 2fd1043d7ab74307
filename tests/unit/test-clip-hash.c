/* test-clip-hash.c: the `--encoder hash` baseline (model/clip/embed-hash.c).
 * Text vectors are deterministic, unit length, equal for texts CLIP's
 * cleaning makes equal, and closer for texts sharing words. Image vectors of
 * synthetic covers (shape of one hue, 1-4 copies, on a background of another
 * hue, like vmind-synth's) let a linear model, fitted on 300 covers and
 * scored on 150 others, recover the shape hue, the background hue, the
 * count and the shape: what the trainer must be able to learn from. */
#include "config.h"
#include "model/clip/embed-hash.h"
#include "vmind/lib/util.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double dotp(const float *a, const float *b)
{
	double s = 0;
	for (int i = 0; i < CLIP_HASH_DIM; i++) s += (double)a[i] * b[i];
	return s;
}

static uint64_t rng = 88172645463325252ull;
static double urand(void)
{
	rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static void hsv2rgb(double h, double s, double v, uint8_t *o)
{
	double c = v * s, x = c * (1 - fabs(fmod(h / 60.0, 2) - 1)), m = v - c, r, g, b;
	int k = (int)(h / 60) % 6;
	r = k == 0 || k == 5 ? c : k == 1 || k == 4 ? x : 0;
	g = k == 1 || k == 2 ? c : k == 0 || k == 3 ? x : 0;
	b = k == 3 || k == 4 ? c : k == 2 || k == 5 ? x : 0;
	o[0] = (uint8_t)lrint((r + m) * 255);
	o[1] = (uint8_t)lrint((g + m) * 255);
	o[2] = (uint8_t)lrint((b + m) * 255);
}

#define W 160
/* shape: 0 circle 1 square 2 triangle 3 stripes 4 ring 5 cross */
static int inside(int shape, double u, double v) /* u, v in [-1, 1] */
{
	switch (shape) {
	case 0: return u * u + v * v <= 1;
	case 1: return fabs(u) <= 0.8 && fabs(v) <= 0.8;
	case 2: return v <= 0.9 && v >= -0.9 && fabs(u) <= (v + 0.9) / 1.8 * 0.95;
	case 3: return fabs(u) <= 0.95 && fabs(v) <= 0.95 && ((int)floor((v + 1) * 3)) % 2 == 0;
	case 4: { double r = u * u + v * v; return r <= 1 && r >= 0.36; }
	default: return (fabs(u) <= 0.3 && fabs(v) <= 0.95) || (fabs(v) <= 0.3 && fabs(u) <= 0.95);
	}
}

static void cover(uint8_t *im, int shape, int count, double hue, double bghue)
{
	uint8_t fg[3], bg[3];
	hsv2rgb(hue, 0.85, 0.9, fg);
	hsv2rgb(bghue, 0.35, 0.85, bg);
	static const double cx[4][4] = {{0.5}, {0.27, 0.73}, {0.25, 0.75, 0.5}, {0.27, 0.73, 0.27, 0.73}};
	static const double cy[4][4] = {{0.5}, {0.5, 0.5}, {0.28, 0.28, 0.73}, {0.27, 0.27, 0.73, 0.73}};
	double rad = count == 1 ? 0.33 : 0.2;
	for (int y = 0; y < W; y++)
		for (int x = 0; x < W; x++) {
			const uint8_t *c = bg;
			for (int k = 0; k < count; k++) {
				double u = ((x + 0.5) / W - cx[count - 1][k]) / rad, v = ((y + 0.5) / W - cy[count - 1][k]) / rad;
				if (inside(shape, u, v)) c = fg;
			}
			memcpy(im + (y * W + x) * 3, c, 3);
		}
}

/* ridge regression y ~ X b (with intercept), solve by Cholesky */
static double *ridge(const float *X, const double *y, int n, int d, double lambda)
{
	int D = d + 1;
	double *A = calloc((size_t)D * D, sizeof *A), *r = calloc((size_t)D, sizeof *r);
	for (int i = 0; i < n; i++)
		for (int a = 0; a < D; a++) {
			double xa = a < d ? X[(size_t)i * d + a] : 1;
			r[a] += xa * y[i];
			for (int b = 0; b <= a; b++) A[a * D + b] += xa * (b < d ? X[(size_t)i * d + b] : 1);
		}
	for (int a = 0; a < D; a++) A[a * D + a] += lambda;
	for (int j = 0; j < D; j++) {          /* Cholesky, lower */
		double s = A[j * D + j];
		for (int k = 0; k < j; k++) s -= A[j * D + k] * A[j * D + k];
		A[j * D + j] = sqrt(s);
		for (int i = j + 1; i < D; i++) {
			double t = A[i * D + j];
			for (int k = 0; k < j; k++) t -= A[i * D + k] * A[j * D + k];
			A[i * D + j] = t / A[j * D + j];
		}
	}
	for (int i = 0; i < D; i++) {          /* forward */
		double t = r[i];
		for (int k = 0; k < i; k++) t -= A[i * D + k] * r[k];
		r[i] = t / A[i * D + i];
	}
	for (int i = D - 1; i >= 0; i--) {     /* backward */
		double t = r[i];
		for (int k = i + 1; k < D; k++) t -= A[k * D + i] * r[k];
		r[i] = t / A[i * D + i];
	}
	free(A);
	return r;
}

static double predict(const double *b, const float *x, int d)
{
	double s = b[d];
	for (int i = 0; i < d; i++) s += b[i] * x[i];
	return s;
}

/* R^2 on the test rows of a target fitted on the train rows */
static double r2(const float *X, const double *y, int ntr, int nte, int d, double **coef)
{
	double *b = ridge(X, y, ntr, d, 1e-3);
	double mean = 0, ss = 0, se = 0;
	for (int i = ntr; i < ntr + nte; i++) mean += y[i];
	mean /= nte;
	for (int i = ntr; i < ntr + nte; i++) {
		double p = predict(b, X + (size_t)i * d, d);
		se += (p - y[i]) * (p - y[i]);
		ss += (y[i] - mean) * (y[i] - mean);
	}
	if (coef) *coef = b; else free(b);
	return 1 - se / ss;
}

int main(void)
{
	float a[CLIP_HASH_DIM], b[CLIP_HASH_DIM], c[CLIP_HASH_DIM], e[CLIP_HASH_DIM];
	clip_hash_text("Tom &amp; Jerry chase the cat", a);
	clip_hash_text("  tom & JERRY   chase the cat", b);
	clip_hash_text("Tom and Jerry chase a mouse", c);
	clip_hash_text("", e);
	is_near(dotp(a, a), 1.0, 1e-5, "text vector has unit length");
	ok(memcmp(a, b, sizeof a) == 0, "texts equal after cleaning give equal vectors");
	double s1 = dotp(a, c);
	clip_hash_text("stock markets fell sharply on monday", c);
	double s2 = dotp(a, c);
	ok(s1 > 0.3 && fabs(s2) < 0.3 && s1 > s2, "shared words give a higher cosine (%.3f vs %.3f)", s1, s2);
	ok(dotp(e, e) == 0, "the empty text is the zero vector");
	/* fixed: this value changes only if the encoder changes (documented) */
	clip_hash_text("news", c);
	float first = c[0];
	clip_hash_text("news", c);
	ok(c[0] == first && fabsf(first) > 0, "deterministic");

	/* synthetic covers */
	enum { NTR = 300, NTE = 150, N = NTR + NTE };
	float *X = xmalloc((size_t)N * CLIP_HASH_DIM * sizeof *X);
	double *yh_c = xmalloc(N * sizeof(double)), *yh_s = xmalloc(N * sizeof(double));
	double *yb_c = xmalloc(N * sizeof(double)), *yb_s = xmalloc(N * sizeof(double));
	double *ycount = xmalloc(N * sizeof(double));
	int *shape = xmalloc(N * sizeof(int));
	uint8_t *im = xmalloc(W * W * 3);
	for (int i = 0; i < N; i++) {
		double hue = urand() * 360, bgh = fmod(hue + 60 + urand() * 240, 360);
		int count = 1 + (int)(urand() * 4), sh = (int)(urand() * 6);
		cover(im, sh, count, hue, bgh);
		clip_hash_image(im, W, W, X + (size_t)i * CLIP_HASH_DIM, NULL);
		yh_c[i] = cos(hue * M_PI / 180);
		yh_s[i] = sin(hue * M_PI / 180);
		yb_c[i] = cos(bgh * M_PI / 180);
		yb_s[i] = sin(bgh * M_PI / 180);
		ycount[i] = count;
		shape[i] = sh;
	}
	clip_hash_image(im, W, W, a, NULL);
	ok(memcmp(a, X + (size_t)(N - 1) * CLIP_HASH_DIM, sizeof a) == 0, "image features are deterministic");
	double r;
	r = r2(X, yh_c, NTR, NTE, CLIP_HASH_DIM, NULL);
	ok(r > 0.9, "shape hue (cos) recovered linearly: R^2 %.3f > 0.9", r);
	r = r2(X, yh_s, NTR, NTE, CLIP_HASH_DIM, NULL);
	ok(r > 0.9, "shape hue (sin) recovered linearly: R^2 %.3f > 0.9", r);
	r = r2(X, yb_c, NTR, NTE, CLIP_HASH_DIM, NULL);
	ok(r > 0.9, "background hue (cos) recovered linearly: R^2 %.3f > 0.9", r);
	r = r2(X, yb_s, NTR, NTE, CLIP_HASH_DIM, NULL);
	ok(r > 0.9, "background hue (sin) recovered linearly: R^2 %.3f > 0.9", r);
	r = r2(X, ycount, NTR, NTE, CLIP_HASH_DIM, NULL);
	ok(r > 0.8, "count recovered linearly: R^2 %.3f > 0.8", r);
	/* shape: one-vs-rest linear scores, argmax */
	double *coef[6], *y = xmalloc(N * sizeof(double));
	for (int k = 0; k < 6; k++) {
		for (int i = 0; i < N; i++) y[i] = shape[i] == k;
		r2(X, y, NTR, NTE, CLIP_HASH_DIM, &coef[k]);
	}
	int right = 0;
	for (int i = NTR; i < N; i++) {
		int best = 0;
		double bs = -1e9;
		for (int k = 0; k < 6; k++) {
			double p = predict(coef[k], X + (size_t)i * CLIP_HASH_DIM, CLIP_HASH_DIM);
			if (p > bs) { bs = p; best = k; }
		}
		right += best == shape[i];
	}
	ok(right > NTE * 0.7, "shape recovered by a linear classifier: %d/%d right (chance 1/6)", right, NTE);
	for (int k = 0; k < 6; k++) free(coef[k]);
	free(y); free(X); free(yh_c); free(yh_s); free(yb_c); free(yb_s); free(ycount); free(shape); free(im);
	return tap_done();
}
