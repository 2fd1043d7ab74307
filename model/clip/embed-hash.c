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

void clip_hash_image(const uint8_t *rgb, int w, int h, float out[CLIP_HASH_DIM], float *stats)
{
	float f[CLIP_HASH_IMG_STATS];
	memset(f, 0, sizeof f);
	uint8_t *im = xmalloc(G * G * 3);
	clip_resize_bicubic(rgb, w, h, im, G, G);
	float H[G * G], S[G * G], V[G * G];
	for (int i = 0; i < G * G; i++) rgb2hsv(im + i * 3, &H[i], &S[i], &V[i]);
	const float inv = 1.0f / (G * G);
	/* 0..35 hue x saturation, 36..39 achromatic value */
	for (int i = 0; i < G * G; i++) {
		if (S[i] >= 0.15f && V[i] >= 0.15f) {
			int hb = (int)(H[i] / 30.0f) % 12, sb = S[i] < 0.45f ? 0 : S[i] < 0.75f ? 1 : 2;
			f[hb * 3 + sb] += inv;
		} else {
			int vb = (int)(V[i] * 4);
			f[36 + (vb > 3 ? 3 : vb)] += inv;
		}
	}
	/* 40..87 4x4 grid of (s cos h, s sin h, v) */
	for (int y = 0; y < G; y++)
		for (int x = 0; x < G; x++) {
			int i = y * G + x, c = (y / (G / 4)) * 4 + x / (G / 4);
			float a = H[i] * (float)M_PI / 180.0f, k = 16.0f * inv;
			f[40 + c * 3] += S[i] * cosf(a) * k;
			f[40 + c * 3 + 1] += S[i] * sinf(a) * k;
			f[40 + c * 3 + 2] += V[i] * k;
		}
	/* background: per row, the mean of the 2 leftmost and 2 rightmost
	 * pixels (covers have vertical gradients); a row whose two sides
	 * disagree (a shape touches the edge) takes the row above's */
	float bgrow[G][3], bg[3] = {0, 0, 0};
	for (int y = 0; y < G; y++) {
		float l[3] = {0, 0, 0}, r[3] = {0, 0, 0}, d = 0;
		for (int c = 0; c < 3; c++) {
			l[c] = (im[(y * G) * 3 + c] + im[(y * G + 1) * 3 + c]) / 2.0f;
			r[c] = (im[(y * G + G - 1) * 3 + c] + im[(y * G + G - 2) * 3 + c]) / 2.0f;
			d = fmaxf(d, fabsf(l[c] - r[c]));
		}
		for (int c = 0; c < 3; c++)
			bgrow[y][c] = d > 40 && y > 0 ? bgrow[y - 1][c] : (l[c] + r[c]) / 2;
		for (int c = 0; c < 3; c++) bg[c] += bgrow[y][c] / G;
	}
	int nb = 0;
	for (int y = 0; y < G; y++)
		for (int x = 0; x < G; x++)
			nb += x < 2 || y < 2 || x >= G - 2 || y >= G - 2;
	for (int y = 0; y < G; y++)
		for (int x = 0; x < G; x++) {
			int i = y * G + x;
			if ((x < 2 || y < 2 || x >= G - 2 || y >= G - 2) && S[i] >= 0.15f && V[i] >= 0.15f)
				f[88 + (int)(H[i] / 30.0f) % 12] += 1.0f / nb;
		}
	{
		uint8_t b8[3] = {(uint8_t)lrintf(bg[0]), (uint8_t)lrintf(bg[1]), (uint8_t)lrintf(bg[2])};
		float bh, bs, bv;
		rgb2hsv(b8, &bh, &bs, &bv);
		f[100] = bs * cosf(bh * (float)M_PI / 180.0f);
		f[101] = bs * sinf(bh * (float)M_PI / 180.0f);
		f[102] = bv;
		f[148] = bs;
		f[149] = hsl_light(b8);
	}
	/* foreground: pixels far from their row's background colour */
	uint8_t fg[G * G];
	int nfg = 0;
	for (int i = 0; i < G * G; i++) {
		const uint8_t *p = im + i * 3;
		float d = 0;
		for (int c = 0; c < 3; c++) d = fmaxf(d, fabsf(p[c] - bgrow[i / G][c]));
		fg[i] = d > 40;
		nfg += fg[i];
	}
	if (nfg) {
		for (int i = 0; i < G * G; i++)
			if (fg[i]) {
				float a = H[i] * (float)M_PI / 180.0f;
				if (S[i] >= 0.15f && V[i] >= 0.15f) f[103 + (int)(H[i] / 30.0f) % 12] += 1.0f / nfg;
				f[115] += S[i] * cosf(a) / nfg;
				f[116] += S[i] * sinf(a) / nfg;
				f[117] += V[i] / nfg;
				f[145] += S[i] / nfg;
				f[146] += V[i] / nfg;
				f[147] += hsl_light(im + i * 3) / nfg;
			}
	}
	f[118] = nfg * inv;
	/* connected foreground blobs (4-connected, >= 8 pixels) */
	int lab[G * G];
	int *stack = xmalloc(G * G * sizeof *stack);
	memset(lab, 0, sizeof lab);
	int ncomp = 0;
	double fill = 0, aspect = 0, compact = 0;
	int holes = 0;
	for (int s0 = 0; s0 < G * G; s0++) {
		if (!fg[s0] || lab[s0]) continue;
		int top = 0, area = 0, x0 = G, y0 = G, x1 = -1, y1 = -1, perim = 0, id = ncomp + 1;
		stack[top++] = s0;
		lab[s0] = id;
		while (top) {
			int i = stack[--top], x = i % G, y = i / G;
			area++;
			if (x < x0) x0 = x;
			if (x > x1) x1 = x;
			if (y < y0) y0 = y;
			if (y > y1) y1 = y;
			static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
			for (int k = 0; k < 4; k++) {
				int nx = x + dx[k], ny = y + dy[k];
				if (nx < 0 || ny < 0 || nx >= G || ny >= G || !fg[ny * G + nx]) { perim++; continue; }
				if (!lab[ny * G + nx]) { lab[ny * G + nx] = id; stack[top++] = ny * G + nx; }
			}
		}
		if (area < 8) {
			/* too small to count: mark as visited with a negative label */
			for (int i = 0; i < G * G; i++) if (lab[i] == id) lab[i] = -1;
			continue;
		}
		ncomp++;
		int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
		fill += (double)area / (bw * bh);
		aspect += (double)(bw < bh ? bw : bh) / (bw > bh ? bw : bh);
		compact += (double)perim * perim / (4 * M_PI * area);
		/* a hole: a background region inside the bounding box not reaching it */
		int hole = 0;
		for (int y = y0 + 1; y < y1 && !hole; y++)
			for (int x = x0 + 1; x < x1 && !hole; x++) {
				if (fg[y * G + x]) continue;
				int l = 0, r = 0, u = 0, d = 0;
				for (int k = x0; k < x; k++) l |= lab[y * G + k] == id;
				for (int k = x + 1; k <= x1; k++) r |= lab[y * G + k] == id;
				for (int k = y0; k < y; k++) u |= lab[k * G + x] == id;
				for (int k = y + 1; k <= y1; k++) d |= lab[k * G + x] == id;
				hole = l && r && u && d;
			}
		holes += hole;
	}
	free(stack);
	f[119 + (ncomp > 6 ? 6 : ncomp)] = 1;
	f[126] = ncomp / 4.0f;
	if (ncomp) {
		fill /= ncomp;
		aspect /= ncomp;
		compact /= ncomp;
	}
	/* 127..134 edge orientation (undirected) weighted by gradient magnitude */
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
	f[135] = (float)fill;
	static const float centres[5] = {0.3f, 0.5f, 0.65f, 0.8f, 1.0f};
	for (int b = 0; b < 5 && ncomp; b++) f[136 + b] = expf(-powf(((float)fill - centres[b]) / 0.08f, 2));
	f[141] = ncomp ? (float)holes / ncomp : 0;
	f[142] = (float)aspect;
	f[143] = (float)(compact > 10 ? 1.0 : compact / 10);
	f[144] = 1;
	/* touching or overlapping shapes: blobs left after eroding the
	 * foreground once and twice (4-neighbourhood) */
	{
		uint8_t e1[G * G], e2[G * G];
		erode(fg, e1);
		erode(e1, e2);
		int c1, c2;
		blobs(e1, 6, &c1);
		blobs(e2, 4, &c2);
		f[150 + (c1 > 6 ? 6 : c1)] = 1;
		f[157] = c1 / 4.0f;
		f[158] = c2 / 4.0f;
		int perim = 0;
		for (int i = 0; i < G * G; i++) perim += fg[i] && !e1[i];
		f[159] = nfg ? perim / sqrtf((float)nfg) / 10.0f : 0;
		/* shapes side by side: runs of foreground columns and rows (of
		 * the once-eroded mask), and the foreground over the largest
		 * blob's area (about the count for equal, separate shapes) */
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
		int largest = blobs(fg, 0, NULL);
		f[168] = largest ? (float)nfg / largest / 4.0f : 0;
		f[169] = xr * yr / 8.0f;
	}
	free(im);
	if (stats) memcpy(stats, f, sizeof f);
	/* fixed +-1 matrix [512, CLIP_HASH_IMG_STATS], scaled by 1/sqrt(CLIP_HASH_IMG_STATS) */
	memset(out, 0, CLIP_HASH_DIM * sizeof *out);
	const float sc = 1.0f / sqrtf((float)CLIP_HASH_IMG_STATS);
	for (int i = 0; i < CLIP_HASH_IMG_STATS; i++)
		if (f[i] != 0) add_feature(out, 0x696d616765000000ull + (uint64_t)i, f[i] * sc);
}
