/* embed-hash.c: the non-learned baseline encoder of vlsnr-embed (see
 * embed-hash.h for what the features are and why they are built so). */
#include "config.h"
#include "embed-hash.h"
#include "bpe.h"
#include "clip.h"
#include "vmind/lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <unistr.h>

/* The seed of the word hashes: FNV-1a's offset basis with its last digit
 * lost (the standard one is 14695981039346656037). Kept, since every hash
 * feature depends on it. */
#define WORD_HASH_SEED 1469598103934665603ull

/* add the fixed +-1 vector of feature key to v */
static void add_feature(float *v, uint64_t key, float w)
{
	uint64_t s = key;
	for (int d = 0; d < CLIP_HASH_DIM; d += 64) {
		uint64_t bits = vm_splitmix64(&s);
		for (int k = 0; k < 64; k++)
			v[d + k] += (bits >> k & 1) ? w : -w;
	}
}

void clip_hash_text(const char *text, float out[CLIP_HASH_DIM])
{
	memset(out, 0, CLIP_HASH_DIM * sizeof *out);
	char *s = clip_bpe_clean(text);
	const uint8_t *p = (const uint8_t *)s, *e = p + strlen(s);
	uint64_t prev = 0;
	int have_prev = 0;
	while (p < e) {
		ucs4_t c;
		int k = u8_mbtouc(&c, p, (size_t)(e - p));
		if (!uc_is_general_category(c, UC_CATEGORY_L) && !uc_is_general_category(c, UC_CATEGORY_N)) {
			p += k;
			continue;
		}
		const uint8_t *q = p;
		while (q < e) {
			k = u8_mbtouc(&c, q, (size_t)(e - q));
			if (!uc_is_general_category(c, UC_CATEGORY_L) && !uc_is_general_category(c, UC_CATEGORY_N)) break;
			q += k;
		}
		uint64_t h = vm_fnv1a64_more(WORD_HASH_SEED, p, (size_t)(q - p));
		add_feature(out, h ^ 0x756e696772616d31ull, 1.0f);               /* unigram */
		if (have_prev)
			add_feature(out, (prev * 0x100000001b3ull) ^ h ^ 0x62696772616d3232ull, 1.0f); /* bigram */
		prev = h;
		have_prev = 1;
		p = q;
	}
	free(s);
	double n = 0;
	for (int d = 0; d < CLIP_HASH_DIM; d++) n += (double)out[d] * out[d];
	if (n > 0) {
		float inv = (float)(1.0 / sqrt(n));
		for (int d = 0; d < CLIP_HASH_DIM; d++) out[d] *= inv;
	}
}

static void rgb2hsv(const uint8_t *px, float *h, float *s, float *v)
{
	float r = px[0] / 255.0f, g = px[1] / 255.0f, b = px[2] / 255.0f;
	float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b)), d = mx - mn;
	*v = mx;
	*s = mx > 0 ? d / mx : 0;
	float hh = 0;
	if (d > 0) {
		if (mx == r) hh = fmodf((g - b) / d, 6.0f);
		else if (mx == g) hh = (b - r) / d + 2;
		else hh = (r - g) / d + 4;
		hh *= 60;
		if (hh < 0) hh += 360;
	}
	*h = hh;
}

#define G 64

/* HSL lightness, (max + min) / 2, in [0, 1] */
static float hsl_light(const uint8_t *p)
{
	int mx = p[0] > p[1] ? p[0] : p[1], mn = p[0] < p[1] ? p[0] : p[1];
	mx = mx > p[2] ? mx : p[2];
	mn = mn < p[2] ? mn : p[2];
	return (mx + mn) / 510.0f;
}

static void erode(const uint8_t *in, uint8_t *out)
{
	for (int y = 0; y < G; y++)
		for (int x = 0; x < G; x++) {
			int i = y * G + x;
			out[i] = in[i] && x > 0 && x < G - 1 && y > 0 && y < G - 1 && in[i - 1] && in[i + 1] && in[i - G] &&
				 in[i + G];
		}
}

/* The 4-connected blobs of mask m: returns the area of the largest, and
 * sets *n_big (when not NULL) to the number of blobs of at least min_area
 * pixels. */
static int blobs(const uint8_t *m, int min_area, int *n_big)
{
	int lab[G * G], stack[G * G], best = 0, n = 0;
	memset(lab, 0, sizeof lab);
	for (int s0 = 0; s0 < G * G; s0++) {
		if (!m[s0] || lab[s0]) continue;
		int top = 0, area = 0;
		stack[top++] = s0;
		lab[s0] = 1;
		while (top) {
			int i = stack[--top], x = i % G, y = i / G;
			area++;
			if (x > 0 && m[i - 1] && !lab[i - 1]) { lab[i - 1] = 1; stack[top++] = i - 1; }
			if (x < G - 1 && m[i + 1] && !lab[i + 1]) { lab[i + 1] = 1; stack[top++] = i + 1; }
			if (y > 0 && m[i - G] && !lab[i - G]) { lab[i - G] = 1; stack[top++] = i - G; }
			if (y < G - 1 && m[i + G] && !lab[i + G]) { lab[i + G] = 1; stack[top++] = i + G; }
		}
		if (area > best) best = area;
		n += area >= min_area;
	}
	if (n_big)
		*n_big = n;
	return best;
}

/* The 64 x 64 thumbnail every image statistic is taken from. */
typedef struct thumb {
	uint8_t rgb[G * G * 3];               /* Pillow's bicubic resize of the image */
	float H[G * G], S[G * G], V[G * G];   /* hue (degrees), saturation, value */
	float bgrow[G][3];                    /* each row's background colour */
	uint8_t fg[G * G];                    /* 1: far from its row's background */
	int nfg;                              /* foreground pixels */
} thumb;

/* a pixel of usable hue: saturated and bright enough */
static int chromatic(const thumb *t, int i)
{
	return t->S[i] >= 0.15f && t->V[i] >= 0.15f;
}

/* f[0..35] hue x saturation, f[36..39] achromatic value; f[40..87] a 4x4
 * grid of (s cos h, s sin h, v) */
static void colour_stats(const thumb *t, float *f)
{
	const float inv = 1.0f / (G * G);
	for (int i = 0; i < G * G; i++) {
		if (chromatic(t, i)) {
			int hb = (int)(t->H[i] / 30.0f) % 12, sb = t->S[i] < 0.45f ? 0 : t->S[i] < 0.75f ? 1 : 2;
			f[hb * 3 + sb] += inv;
		} else {
			int vb = (int)(t->V[i] * 4);
			f[36 + (vb > 3 ? 3 : vb)] += inv;
		}
	}
	for (int y = 0; y < G; y++)
		for (int x = 0; x < G; x++) {
			int i = y * G + x, c = (y / (G / 4)) * 4 + x / (G / 4);
			float a = t->H[i] * (float)M_PI / 180.0f, k = 16.0f * inv;
			f[40 + c * 3] += t->S[i] * cosf(a) * k;
			f[40 + c * 3 + 1] += t->S[i] * sinf(a) * k;
			f[40 + c * 3 + 2] += t->V[i] * k;
		}
}

/* t->bgrow: per row, the mean of the 2 leftmost and 2 rightmost pixels
 * (covers have vertical gradients); a row whose two sides disagree (a
 * shape touches the edge) takes the row above's. f[88..99] the hue of the
 * 2-pixel border; f[100..102] (s cos h, s sin h, v), f[148] saturation and
 * f[149] lightness of the mean background. */
static void background_stats(thumb *t, float *f)
{
	const uint8_t *im = t->rgb;
	float bg[3] = {0, 0, 0};
	for (int y = 0; y < G; y++) {
		float l[3] = {0, 0, 0}, r[3] = {0, 0, 0}, d = 0;
		for (int c = 0; c < 3; c++) {
			l[c] = (im[(y * G) * 3 + c] + im[(y * G + 1) * 3 + c]) / 2.0f;
			r[c] = (im[(y * G + G - 1) * 3 + c] + im[(y * G + G - 2) * 3 + c]) / 2.0f;
			d = fmaxf(d, fabsf(l[c] - r[c]));
		}
		for (int c = 0; c < 3; c++)
			t->bgrow[y][c] = d > 40 && y > 0 ? t->bgrow[y - 1][c] : (l[c] + r[c]) / 2;
		for (int c = 0; c < 3; c++) bg[c] += t->bgrow[y][c] / G;
	}
	int nb = 0;
	for (int y = 0; y < G; y++)
		for (int x = 0; x < G; x++)
			nb += x < 2 || y < 2 || x >= G - 2 || y >= G - 2;
	for (int y = 0; y < G; y++)
		for (int x = 0; x < G; x++) {
			int i = y * G + x;
			if ((x < 2 || y < 2 || x >= G - 2 || y >= G - 2) && chromatic(t, i))
				f[88 + (int)(t->H[i] / 30.0f) % 12] += 1.0f / nb;
		}
	uint8_t b8[3] = {(uint8_t)lrintf(bg[0]), (uint8_t)lrintf(bg[1]), (uint8_t)lrintf(bg[2])};
	float bh, bs, bv;
	rgb2hsv(b8, &bh, &bs, &bv);
	f[100] = bs * cosf(bh * (float)M_PI / 180.0f);
	f[101] = bs * sinf(bh * (float)M_PI / 180.0f);
	f[102] = bv;
	f[148] = bs;
	f[149] = hsl_light(b8);
}

/* t->fg, t->nfg: pixels far from their row's background colour. f[103..114]
 * their hue, f[115..117] (s cos h, s sin h, v), f[145..147] saturation,
 * value and lightness, f[118] their share. */
static void foreground_stats(thumb *t, float *f)
{
	t->nfg = 0;
	for (int i = 0; i < G * G; i++) {
		const uint8_t *p = t->rgb + i * 3;
		float d = 0;
		for (int c = 0; c < 3; c++) d = fmaxf(d, fabsf(p[c] - t->bgrow[i / G][c]));
		t->fg[i] = d > 40;
		t->nfg += t->fg[i];
	}
	int nfg = t->nfg;
	if (nfg) {
		for (int i = 0; i < G * G; i++)
			if (t->fg[i]) {
				float a = t->H[i] * (float)M_PI / 180.0f;
				if (chromatic(t, i)) f[103 + (int)(t->H[i] / 30.0f) % 12] += 1.0f / nfg;
				f[115] += t->S[i] * cosf(a) / nfg;
				f[116] += t->S[i] * sinf(a) / nfg;
				f[117] += t->V[i] / nfg;
				f[145] += t->S[i] / nfg;
				f[146] += t->V[i] / nfg;
				f[147] += hsl_light(t->rgb + i * 3) / nfg;
			}
	}
	f[118] = nfg * (1.0f / (G * G));
}

/* Sums over the foreground blobs of at least 8 pixels. */
typedef struct blob_sums {
	int n;                          /* blobs */
	double fill, aspect, compact;   /* of the bounding box; perimeter^2 / (4 pi area) */
	int holes;                      /* blobs with a hole */
} blob_sums;

/* Label the 4-connected blob of foreground pixel s0 with id in lab;
 * its area, bounding box [x0, x1] x [y0, y1] and perimeter. */
static int label_blob(const thumb *t, int *lab, int *stack, int s0, int id, int box[4], int *perim)
{
	static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
	int top = 0, area = 0;
	box[0] = box[2] = G;
	box[1] = box[3] = -1;
	*perim = 0;
	stack[top++] = s0;
	lab[s0] = id;
	while (top) {
		int i = stack[--top], x = i % G, y = i / G;
		area++;
		if (x < box[0]) box[0] = x;
		if (x > box[1]) box[1] = x;
		if (y < box[2]) box[2] = y;
		if (y > box[3]) box[3] = y;
		for (int k = 0; k < 4; k++) {
			int nx = x + dx[k], ny = y + dy[k];
			if (nx < 0 || ny < 0 || nx >= G || ny >= G || !t->fg[ny * G + nx]) { (*perim)++; continue; }
			if (!lab[ny * G + nx]) { lab[ny * G + nx] = id; stack[top++] = ny * G + nx; }
		}
	}
	return area;
}

/* 1 when blob id has a hole: a background pixel inside its bounding box
 * with the blob on all four sides */
static int has_hole(const thumb *t, const int *lab, int id, const int box[4])
{
	int x0 = box[0], x1 = box[1], y0 = box[2], y1 = box[3], hole = 0;
	for (int y = y0 + 1; y < y1 && !hole; y++)
		for (int x = x0 + 1; x < x1 && !hole; x++) {
			if (t->fg[y * G + x]) continue;
			int l = 0, r = 0, u = 0, d = 0;
			for (int k = x0; k < x; k++) l |= lab[y * G + k] == id;
			for (int k = x + 1; k <= x1; k++) r |= lab[y * G + k] == id;
			for (int k = y0; k < y; k++) u |= lab[k * G + x] == id;
			for (int k = y + 1; k <= y1; k++) d |= lab[k * G + x] == id;
			hole = l && r && u && d;
		}
	return hole;
}

/* f[119..125] the number of foreground blobs (4-connected, >= 8 pixels)
 * one-hot, f[126] a quarter of it; f[135] their mean fill, f[136..140]
 * the fill near 5 centres, f[141] the share with a hole, f[142] aspect,
 * f[143] compactness, f[144] 1 */
static void blob_stats(const thumb *t, float *f)
{
	int lab[G * G], box[4], perim;
	int *stack = xmalloc(G * G * sizeof *stack);
	blob_sums b = {0, 0, 0, 0, 0};
	memset(lab, 0, sizeof lab);
	for (int s0 = 0; s0 < G * G; s0++) {
		if (!t->fg[s0] || lab[s0]) continue;
		int id = b.n + 1, area = label_blob(t, lab, stack, s0, id, box, &perim);
		if (area < 8) {
			/* too small to count: mark as visited with a negative label */
			for (int i = 0; i < G * G; i++) if (lab[i] == id) lab[i] = -1;
			continue;
		}
		b.n++;
		int bw = box[1] - box[0] + 1, bh = box[3] - box[2] + 1;
		b.fill += (double)area / (bw * bh);
		b.aspect += (double)(bw < bh ? bw : bh) / (bw > bh ? bw : bh);
		b.compact += (double)perim * perim / (4 * M_PI * area);
		b.holes += has_hole(t, lab, id, box);
	}
	free(stack);
	f[119 + (b.n > 6 ? 6 : b.n)] = 1;
	f[126] = b.n / 4.0f;
	if (b.n) {
		b.fill /= b.n;
		b.aspect /= b.n;
		b.compact /= b.n;
	}
	f[135] = (float)b.fill;
	static const float centres[5] = {0.3f, 0.5f, 0.65f, 0.8f, 1.0f};
	for (int k = 0; k < 5 && b.n; k++) f[136 + k] = expf(-powf(((float)b.fill - centres[k]) / 0.08f, 2));
	f[141] = b.n ? (float)b.holes / b.n : 0;
	f[142] = (float)b.aspect;
	f[143] = (float)(b.compact > 10 ? 1.0 : b.compact / 10);
	f[144] = 1;
}

/* f[127..134] edge orientation (undirected) weighted by gradient magnitude */
static void edge_stats(const thumb *t, float *f)
{
	const uint8_t *im = t->rgb;
	const float *V = t->V;
	double tot = 0;
	for (int y = 1; y < G - 1; y++)
		for (int x = 1; x < G - 1; x++) {
			float gx = V[y * G + x + 1] - V[y * G + x - 1], gy = V[(y + 1) * G + x] - V[(y - 1) * G + x];
			for (int c = 0; c < 3; c++) {
				float cx = (float)im[(y * G + x + 1) * 3 + c] - im[(y * G + x - 1) * 3 + c];
				float cy = (float)im[((y + 1) * G + x) * 3 + c] - im[((y - 1) * G + x) * 3 + c];
				gx += cx / 255.0f;
				gy += cy / 255.0f;
			}
			float mag = sqrtf(gx * gx + gy * gy);
			if (mag < 0.05f) continue;
			float ang = atan2f(gy, gx);
			if (ang < 0) ang += (float)M_PI;
			int b = (int)(ang / (float)M_PI * 8) % 8;
			f[127 + b] += mag;
			tot += mag;
		}
	if (tot > 0) for (int b = 0; b < 8; b++) f[127 + b] /= (float)tot;
}

/* Touching or overlapping shapes: f[150..156] blobs left after eroding the
 * foreground once (4-neighbourhood) one-hot, f[157] and f[158] a quarter
 * of the blobs after one and two erosions, f[159] the eroded-away border
 * per sqrt of the foreground. Shapes side by side: f[160..163] and
 * f[164..167] runs of foreground columns and rows of the once-eroded mask
 * one-hot, f[168] the foreground over the largest blob's area (about the
 * count for equal, separate shapes), f[169] the two runs' product. */
static void erosion_stats(const thumb *t, float *f)
{
	uint8_t e1[G * G], e2[G * G];
	erode(t->fg, e1);
	erode(e1, e2);
	int c1, c2;
	blobs(e1, 6, &c1);
	blobs(e2, 4, &c2);
	f[150 + (c1 > 6 ? 6 : c1)] = 1;
	f[157] = c1 / 4.0f;
	f[158] = c2 / 4.0f;
	int perim = 0;
	for (int i = 0; i < G * G; i++) perim += t->fg[i] && !e1[i];
	f[159] = t->nfg ? perim / sqrtf((float)t->nfg) / 10.0f : 0;
	int xr = 0, yr = 0, inx = 0, iny = 0;
	for (int x = 0; x < G; x++) {
		int any = 0;
		for (int y = 0; y < G && !any; y++) any = e1[y * G + x];
		xr += any && !inx;
		inx = any;
	}
	for (int y = 0; y < G; y++) {
		int any = 0;
		for (int x = 0; x < G && !any; x++) any = e1[y * G + x];
		yr += any && !iny;
		iny = any;
	}
	if (xr) f[160 + (xr > 4 ? 4 : xr) - 1] = 1;
	if (yr) f[164 + (yr > 4 ? 4 : yr) - 1] = 1;
	int largest = blobs(t->fg, 0, NULL);
	f[168] = largest ? (float)t->nfg / largest / 4.0f : 0;
	f[169] = xr * yr / 8.0f;
}

void clip_hash_image(const uint8_t *rgb, int w, int h, float out[CLIP_HASH_DIM], float *stats)
{
	float f[CLIP_HASH_IMG_STATS];
	memset(f, 0, sizeof f);
	thumb *t = xmalloc(sizeof *t);
	clip_resize_bicubic(rgb, w, h, t->rgb, G, G);
	for (int i = 0; i < G * G; i++) rgb2hsv(t->rgb + i * 3, &t->H[i], &t->S[i], &t->V[i]);
	colour_stats(t, f);
	background_stats(t, f);
	foreground_stats(t, f);
	blob_stats(t, f);
	edge_stats(t, f);
	erosion_stats(t, f);
	free(t);
	if (stats) memcpy(stats, f, sizeof f);
	/* fixed +-1 matrix [512, CLIP_HASH_IMG_STATS], scaled by 1/sqrt(CLIP_HASH_IMG_STATS) */
	memset(out, 0, CLIP_HASH_DIM * sizeof *out);
	const float sc = 1.0f / sqrtf((float)CLIP_HASH_IMG_STATS);
	for (int i = 0; i < CLIP_HASH_IMG_STATS; i++)
		if (f[i] != 0) add_feature(out, 0x696d616765000000ull + (uint64_t)i, f[i] * sc);
}
