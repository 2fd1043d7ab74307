/* clip.c: CLIP ViT image and text towers in C (see clip.h): config.json
 * parsing, weight binding with shape checks, Pillow-exact bicubic resizing,
 * and forward passes where every linear layer is one OpenBLAS sgemm over the
 * whole batch; attention, LayerNorm and activations are plain loops over
 * contiguous rows. Follows Hugging Face's modeling_clip.py step by step. */
#include "config.h"
#include "clip.h"
#include "vmind/util.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

/* ---------------------------------------------------------------- config */

static int cfg_int(cJSON *o, const char *key, int def, int *out, const char *path, const char *sect,
		   char *err, size_t errlen)
{
	cJSON *x = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	if (!x) { *out = def; return 0; }
	if (!cJSON_IsNumber(x) || x->valuedouble < 1 || x->valuedouble > 1e7 || x->valuedouble != (int)x->valuedouble) {
		snprintf(err, errlen, "%s: %s%s: not a positive integer", path, sect, key);
		return -1;
	}
	*out = (int)x->valuedouble;
	return 0;
}

static int tower(cJSON *o, clip_tower_cfg *t, const char *path, const char *sect, char *err, size_t errlen)
{
	if (cfg_int(o, "hidden_size", t->hidden, &t->hidden, path, sect, err, errlen) ||
	    cfg_int(o, "intermediate_size", t->inter, &t->inter, path, sect, err, errlen) ||
	    cfg_int(o, "num_hidden_layers", t->layers, &t->layers, path, sect, err, errlen) ||
	    cfg_int(o, "num_attention_heads", t->heads, &t->heads, path, sect, err, errlen))
		return -1;
	cJSON *x = o ? cJSON_GetObjectItemCaseSensitive(o, "layer_norm_eps") : NULL;
	if (x) {
		if (!cJSON_IsNumber(x) || !(x->valuedouble > 0)) {
			snprintf(err, errlen, "%s: %slayer_norm_eps: not a positive number", path, sect);
			return -1;
		}
		t->eps = (float)x->valuedouble;
	}
	x = o ? cJSON_GetObjectItemCaseSensitive(o, "hidden_act") : NULL;
	if (x) {
		if (cJSON_IsString(x) && strcmp(x->valuestring, "quick_gelu") == 0) t->act = CLIP_QUICK_GELU;
		else if (cJSON_IsString(x) && strcmp(x->valuestring, "gelu") == 0) t->act = CLIP_GELU;
		else {
			snprintf(err, errlen, "%s: %shidden_act: only quick_gelu and gelu are known", path, sect);
			return -1;
		}
	}
	if (t->hidden % t->heads) {
		snprintf(err, errlen, "%s: %shidden_size %d is not a multiple of num_attention_heads %d",
			 path, sect, t->hidden, t->heads);
		return -1;
	}
	return 0;
}

int clip_config_load(clip_config *c, const char *path, char *err, size_t errlen)
{
	/* Hugging Face's defaults (CLIPTextConfig, CLIPVisionConfig): a key
	 * missing from config.json means the default, as in transformers. */
	clip_config d = {
		.v = {768, 3072, 12, 12, 1e-5f, CLIP_QUICK_GELU},
		.t = {512, 2048, 12, 8, 1e-5f, CLIP_QUICK_GELU},
		.image_size = 224, .patch_size = 32, .vocab_size = 49408, .max_pos = 77, .proj_dim = 512,
	};
	*c = d;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = NULL;
	size_t len = 0, cap = 0, k;
	char tmp[8192];
	while ((k = fread(tmp, 1, sizeof tmp, fp)) > 0) {
		if (len + k + 1 > cap) { cap = (len + k + 1) * 2; text = xrealloc(text, cap); }
		memcpy(text + len, tmp, k);
		len += k;
	}
	fclose(fp);
	cJSON *root = text ? cJSON_ParseWithLength(text, len) : NULL;
	free(text);
	int rc = -1;
	if (!root || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "%s: bad JSON", path);
		goto out;
	}
	cJSON *vc = cJSON_GetObjectItemCaseSensitive(root, "vision_config");
	cJSON *tc = cJSON_GetObjectItemCaseSensitive(root, "text_config");
	if ((vc && !cJSON_IsObject(vc)) || (tc && !cJSON_IsObject(tc))) {
		snprintf(err, errlen, "%s: vision_config and text_config must be objects", path);
		goto out;
	}
	if (tower(vc, &c->v, path, "vision_config.", err, errlen) ||
	    tower(tc, &c->t, path, "text_config.", err, errlen) ||
	    cfg_int(vc, "image_size", c->image_size, &c->image_size, path, "vision_config.", err, errlen) ||
	    cfg_int(vc, "patch_size", c->patch_size, &c->patch_size, path, "vision_config.", err, errlen) ||
	    cfg_int(tc, "vocab_size", c->vocab_size, &c->vocab_size, path, "text_config.", err, errlen) ||
	    cfg_int(tc, "max_position_embeddings", c->max_pos, &c->max_pos, path, "text_config.", err, errlen) ||
	    cfg_int(root, "projection_dim", c->proj_dim, &c->proj_dim, path, "", err, errlen))
		goto out;
	if (c->image_size % c->patch_size) {
		snprintf(err, errlen, "%s: image_size %d is not a multiple of patch_size %d", path, c->image_size, c->patch_size);
		goto out;
	}
	rc = 0;
out:
	if (root) cJSON_Delete(root);
	return rc;
}

/* --------------------------------------------------------------- weights */

typedef struct binder {
	clip_model *m;
	char *err;
	size_t errlen;
	int failed;
} binder;

static const float *bind(binder *b, const char *name, int nd, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
	if (b->failed) return NULL;
	int64_t dims[4] = {d0, d1, d2, d3};
	const float *p = st_get(&b->m->st, name, nd, dims, b->err, b->errlen);
	if (!p) b->failed = 1;
	return p;
}

static void bind_layers(binder *b, const char *pre, clip_layer *L, int n, int D, int NI)
{
	char name[256];
#define BL(field, suffix, nd, a, c) \
	snprintf(name, sizeof name, "%s.encoder.layers.%d.%s", pre, i, suffix); \
	L[i].field = bind(b, name, nd, a, c, 0, 0)
	for (int i = 0; i < n; i++) {
		BL(ln1_w, "layer_norm1.weight", 1, D, 0);
		BL(ln1_b, "layer_norm1.bias", 1, D, 0);
		BL(ln2_w, "layer_norm2.weight", 1, D, 0);
		BL(ln2_b, "layer_norm2.bias", 1, D, 0);
		BL(q_w, "self_attn.q_proj.weight", 2, D, D);
		BL(q_b, "self_attn.q_proj.bias", 1, D, 0);
		BL(k_w, "self_attn.k_proj.weight", 2, D, D);
		BL(k_b, "self_attn.k_proj.bias", 1, D, 0);
		BL(v_w, "self_attn.v_proj.weight", 2, D, D);
		BL(v_b, "self_attn.v_proj.bias", 1, D, 0);
		BL(o_w, "self_attn.out_proj.weight", 2, D, D);
		BL(o_b, "self_attn.out_proj.bias", 1, D, 0);
		BL(fc1_w, "mlp.fc1.weight", 2, NI, D);
		BL(fc1_b, "mlp.fc1.bias", 1, NI, 0);
		BL(fc2_w, "mlp.fc2.weight", 2, D, NI);
		BL(fc2_b, "mlp.fc2.bias", 1, D, 0);
	}
#undef BL
}

int clip_load(clip_model *m, const char *dir, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	char *p = xasprintf("%s/config.json", dir);
	int rc = clip_config_load(&m->cfg, p, err, errlen);
	free(p);
	if (rc) return -1;
	char *vj = xasprintf("%s/vocab.json", dir), *mt = xasprintf("%s/merges.txt", dir);
	m->tok = bpe_load(vj, mt, err, errlen);
	if (m->tok && bpe_vocab_size(m->tok) > m->cfg.vocab_size) {
		snprintf(err, errlen, "%s: ids up to %d but config.json says vocab_size %d", vj,
			 bpe_vocab_size(m->tok) - 1, m->cfg.vocab_size);
		bpe_free(m->tok);
		m->tok = NULL;
	}
	free(vj);
	free(mt);
	if (!m->tok) return -1;
	p = xasprintf("%s/model.safetensors", dir);
	rc = st_open(&m->st, p, err, errlen);
	free(p);
	if (rc) {
		bpe_free(m->tok);
		m->tok = NULL;
		return -1;
	}
	const clip_config *c = &m->cfg;
	binder b = {m, err, errlen, 0};
	int Dv = c->v.hidden, Dt = c->t.hidden, P = c->patch_size, np = (c->image_size / P) * (c->image_size / P);
	m->class_emb = bind(&b, "vision_model.embeddings.class_embedding", 1, Dv, 0, 0, 0);
	m->patch_w = bind(&b, "vision_model.embeddings.patch_embedding.weight", 4, Dv, 3, P, P);
	m->vpos = bind(&b, "vision_model.embeddings.position_embedding.weight", 2, np + 1, Dv, 0, 0);
	m->pre_ln_w = bind(&b, "vision_model.pre_layrnorm.weight", 1, Dv, 0, 0, 0);
	m->pre_ln_b = bind(&b, "vision_model.pre_layrnorm.bias", 1, Dv, 0, 0, 0);
	m->post_ln_w = bind(&b, "vision_model.post_layernorm.weight", 1, Dv, 0, 0, 0);
	m->post_ln_b = bind(&b, "vision_model.post_layernorm.bias", 1, Dv, 0, 0, 0);
	m->vl = xcalloc((size_t)c->v.layers, sizeof *m->vl);
	bind_layers(&b, "vision_model", m->vl, c->v.layers, Dv, c->v.inter);
	m->vproj = bind(&b, "visual_projection.weight", 2, c->proj_dim, Dv, 0, 0);
	m->tok_emb = bind(&b, "text_model.embeddings.token_embedding.weight", 2, c->vocab_size, Dt, 0, 0);
	m->tpos = bind(&b, "text_model.embeddings.position_embedding.weight", 2, c->max_pos, Dt, 0, 0);
	m->final_ln_w = bind(&b, "text_model.final_layer_norm.weight", 1, Dt, 0, 0, 0);
	m->final_ln_b = bind(&b, "text_model.final_layer_norm.bias", 1, Dt, 0, 0, 0);
	m->tl = xcalloc((size_t)c->t.layers, sizeof *m->tl);
	bind_layers(&b, "text_model", m->tl, c->t.layers, Dt, c->t.inter);
	m->tproj = bind(&b, "text_projection.weight", 2, c->proj_dim, Dt, 0, 0);
	if (!b.failed) {
		/* a tensor the config does not account for means a different
		 * architecture (more layers than num_hidden_layers, ...) */
		for (size_t i = 0; i < m->st.count; i++) {
			const char *n = m->st.tensors[i].name;
			if (!m->st.tensors[i].used && strcmp(n, "logit_scale") != 0 &&
			    !strstr(n, "position_ids")) {
				snprintf(err, errlen, "%s: tensor %s is not part of the architecture config.json describes",
					 m->st.path, n);
				b.failed = 1;
				break;
			}
		}
	}
	if (b.failed) {
		clip_free(m);
		return -1;
	}
	return 0;
}

void clip_free(clip_model *m)
{
	st_close(&m->st);
	bpe_free(m->tok);
	free(m->vl);
	free(m->tl);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------- preprocessing */

uint8_t *clip_decode_image(const char *path, int *w, int *h, char *err, size_t errlen)
{
	VipsImage *im = vips_image_new_from_file(path, NULL), *t = NULL;
	uint8_t *out = NULL;
	if (!im) goto fail;
	if (im->Type == VIPS_INTERPRETATION_CMYK && im->Bands >= 4 && im->BandFmt == VIPS_FORMAT_UCHAR) {
		/* PIL's convert("RGB") of CMYK is no colour management but
		 * cmyk2rgb: x = 255 - k; out = x - x * c / 255 (rounded as
		 * Pillow's MULDIV255) */
		if (im->Bands > 4) {
			if (vips_extract_band(im, &t, 0, "n", 4, NULL)) goto fail;
			g_object_unref(im); im = t; t = NULL;
		}
		size_t sz;
		uint8_t *mem = vips_image_write_to_memory(im, &sz);
		if (!mem) goto fail;
		*w = im->Xsize;
		*h = im->Ysize;
		size_t n = (size_t)*w * *h;
		out = xmalloc(n * 3);
		for (size_t i = 0; i < n; i++) {
			int nk = 255 - mem[i * 4 + 3];
			for (int ch = 0; ch < 3; ch++) {
				int tmp = mem[i * 4 + ch] * nk + 128;
				int v = nk - (((tmp >> 8) + tmp) >> 8);
				out[i * 3 + ch] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
		g_free(mem);
		g_object_unref(im);
		return out;
	}
	if (im->Bands == 2 || im->Bands == 4 || (im->Bands == 5 && im->Type == VIPS_INTERPRETATION_CMYK)) {
		if (vips_extract_band(im, &t, 0, "n", im->Bands - 1, NULL)) goto fail;
		g_object_unref(im); im = t; t = NULL;
	}
	if (vips_colourspace(im, &t, VIPS_INTERPRETATION_sRGB, NULL)) goto fail;
	g_object_unref(im); im = t; t = NULL;
	if (im->Bands > 3) {
		if (vips_extract_band(im, &t, 0, "n", 3, NULL)) goto fail;
		g_object_unref(im); im = t; t = NULL;
	}
	if (vips_cast_uchar(im, &t, NULL)) goto fail;
	g_object_unref(im); im = t; t = NULL;
	if (im->Bands != 3) {
		vips_error("vlsnr-embed", "%d bands after conversion to sRGB", im->Bands);
		goto fail;
	}
	size_t sz;
	void *mem = vips_image_write_to_memory(im, &sz);
	if (!mem) goto fail;
	*w = im->Xsize;
	*h = im->Ysize;
	out = xmalloc(sz);
	memcpy(out, mem, sz);
	g_free(mem);
	g_object_unref(im);
	return out;
fail:
	{
		const char *ve = vips_error_buffer();
		size_t n = strlen(ve);
		while (n && ve[n - 1] == '\n') n--;
		snprintf(err, errlen, "%s: cannot decode image: %.*s", path, (int)(n > 300 ? 300 : n), ve);
		vips_error_clear();
	}
	if (im) g_object_unref(im);
	if (t) g_object_unref(t);
	return NULL;
}

/* Pillow's Resample.c, 8 bits per channel: coefficients in double, then
 * fixed point with PRECISION_BITS, horizontal pass first (only the rows the
 * vertical pass needs), clip to uint8 between the passes. */
#define PRECISION_BITS (32 - 8 - 2)

static double bicubic_filter(double x)
{
	const double a = -0.5;
	if (x < 0.0) x = -x;
	if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
	if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
	return 0.0;
}

/* returns ksize; bounds [out*2], kk [out*ksize] as fixed point */
static int precompute_coeffs(int inSize, double in0, double in1, int outSize, int **boundsp, int32_t **kkp)
{
	double support, scale, filterscale, center, ww, ss;
	int xx, x, ksize, xmin, xmax;
	filterscale = scale = (in1 - in0) / outSize;
	if (filterscale < 1.0) filterscale = 1.0;
	support = 2.0 * filterscale;
	ksize = (int)ceil(support) * 2 + 1;
	double *kk = xmalloc((size_t)outSize * (size_t)ksize * sizeof *kk);
	int *bounds = xmalloc((size_t)outSize * 2 * sizeof *bounds);
	for (xx = 0; xx < outSize; xx++) {
		center = in0 + (xx + 0.5) * scale;
		ww = 0.0;
		ss = 1.0 / filterscale;
		xmin = (int)(center - support + 0.5);
		if (xmin < 0) xmin = 0;
		xmax = (int)(center + support + 0.5);
		if (xmax > inSize) xmax = inSize;
		xmax -= xmin;
		double *k = &kk[xx * ksize];
		for (x = 0; x < xmax; x++) {
			double w = bicubic_filter((x + xmin - center + 0.5) * ss);
			k[x] = w;
			ww += w;
		}
		for (x = 0; x < xmax; x++)
			if (ww != 0.0) k[x] /= ww;
		for (; x < ksize; x++) k[x] = 0;
		bounds[xx * 2 + 0] = xmin;
		bounds[xx * 2 + 1] = xmax;
	}
	int32_t *ik = xmalloc((size_t)outSize * (size_t)ksize * sizeof *ik);
	for (x = 0; x < outSize * ksize; x++) {
		if (kk[x] < 0) ik[x] = (int32_t)(-0.5 + kk[x] * (1 << PRECISION_BITS));
		else ik[x] = (int32_t)(0.5 + kk[x] * (1 << PRECISION_BITS));
	}
	free(kk);
	*boundsp = bounds;
	*kkp = ik;
	return ksize;
}

static inline uint8_t clip8(int32_t in)
{
	int32_t v = in >> PRECISION_BITS; /* arithmetic shift, as Pillow's lookup table index */
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

void clip_resize_bicubic(const uint8_t *in, int w, int h, uint8_t *out, int ow, int oh)
{
	int *bh, *bv;
	int32_t *kh, *kv;
	if (ow == w && oh == h) {
		memcpy(out, in, (size_t)w * h * 3);
		return;
	}
	int ksh = precompute_coeffs(w, 0, w, ow, &bh, &kh);
	int ksv = precompute_coeffs(h, 0, h, oh, &bv, &kv);
	int need_h = ow != w, need_v = oh != h;
	const uint8_t *src = in;
	int sh = h;
	uint8_t *tmp = NULL;
	if (need_h) {
		int yfirst = bv[0], ylast = bv[oh * 2 - 2] + bv[oh * 2 - 1];
		if (need_v) {
			for (int i = 0; i < oh; i++) bv[i * 2] -= yfirst;
		} else {
			yfirst = 0;
			ylast = h;
		}
		sh = ylast - yfirst;
		tmp = xmalloc((size_t)ow * sh * 3);
		for (int y = 0; y < sh; y++) {
			const uint8_t *row = in + (size_t)(y + yfirst) * w * 3;
			uint8_t *orow = tmp + (size_t)y * ow * 3;
			for (int xx = 0; xx < ow; xx++) {
				int xmin = bh[xx * 2], xmax = bh[xx * 2 + 1];
				const int32_t *k = &kh[xx * ksh];
				int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
				for (int x = 0; x < xmax; x++) {
					const uint8_t *px = row + (size_t)(x + xmin) * 3;
					s0 += px[0] * k[x];
					s1 += px[1] * k[x];
					s2 += px[2] * k[x];
				}
				orow[xx * 3] = clip8(s0);
				orow[xx * 3 + 1] = clip8(s1);
				orow[xx * 3 + 2] = clip8(s2);
			}
		}
		src = tmp;
	}
	int sw = need_h ? ow : w;
	if (need_v) {
		for (int yy = 0; yy < oh; yy++) {
			int ymin = bv[yy * 2], ymax = bv[yy * 2 + 1];
			const int32_t *k = &kv[yy * ksv];
			uint8_t *orow = out + (size_t)yy * ow * 3;
			for (int xx = 0; xx < sw * 3; xx++) {
				int32_t s = 1 << (PRECISION_BITS - 1);
				for (int y = 0; y < ymax; y++)
					s += src[(size_t)(y + ymin) * sw * 3 + xx] * k[y];
				orow[xx] = clip8(s);
			}
		}
	} else {
		memcpy(out, src, (size_t)ow * oh * 3);
	}
	free(tmp);
	free(bh); free(bv); free(kh); free(kv);
}

void clip_preprocess_u8(const uint8_t *rgb, int w, int h, int S, uint8_t *out)
{
	int nw, nh;
	/* transformers' get_resize_output_image_size(default_to_square=False) */
	if (w <= h) {
		nw = S;
		nh = (int)((double)S * h / w);
	} else {
		nh = S;
		nw = (int)((double)S * w / h);
	}
	uint8_t *r = xmalloc((size_t)nw * nh * 3);
	clip_resize_bicubic(rgb, w, h, r, nw, nh);
	/* center_crop: top = (h - S) // 2 (floor; pads with 0 if smaller, which
	 * cannot happen after the resize above) */
	int top = (nh - S) / 2, left = (nw - S) / 2;
	for (int y = 0; y < S; y++)
		memcpy(out + (size_t)y * S * 3, r + ((size_t)(y + top) * nw + left) * 3, (size_t)S * 3);
	free(r);
}

void clip_normalize(const uint8_t *crop, int S, float *out)
{
	static const float mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
	static const float std[3] = {0.26862954f, 0.26130258f, 0.27577711f};
	for (int c = 0; c < 3; c++)
		for (int i = 0; i < S * S; i++)
			out[(size_t)c * S * S + i] = ((float)crop[(size_t)i * 3 + c] * (1.0f / 255.0f) - mean[c]) / std[c];
}

/* ---------------------------------------------------------------- layers */

/* out[M, N] = in[M, K] * w[N, K]^T + b[N] (b may be NULL) */
static void linear_forward(float *out, const float *in, const float *w, const float *b, int M, int K, int N)
{
	if (b) {
		for (int i = 0; i < M; i++) memcpy(out + (size_t)i * N, b, (size_t)N * sizeof *out);
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, in, K, w, K, b ? 1.0f : 0.0f, out, N);
}

/* out[M, D] = LayerNorm(in[M, D]) (out may equal in) */
static void layernorm_forward(float *out, const float *in, const float *w, const float *b, int M, int D, float eps)
{
	for (int i = 0; i < M; i++) {
		const float *x = in + (size_t)i * D;
		float *y = out + (size_t)i * D;
		double mean = 0, var = 0;
		for (int j = 0; j < D; j++) mean += x[j];
		mean /= D;
		for (int j = 0; j < D; j++) { double d = x[j] - mean; var += d * d; }
		var /= D;
		float rstd = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
		for (int j = 0; j < D; j++) y[j] = (x[j] - m) * rstd * w[j] + b[j];
	}
}

static void act_forward(float *x, size_t n, int act)
{
	if (act == CLIP_QUICK_GELU) {
		for (size_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + expf(-1.702f * x[i]));
	} else {
		for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
	}
}

/* Multi-head attention core: q, k, v [B*T, D] (q already scaled), out
 * [B*T, D]. Each (item, head) is gathered into contiguous [T, hd] blocks and
 * done with 4-wide vector code; the (item, head) pairs are shared among
 * clip_threads threads. */
typedef float v4sf __attribute__((vector_size(16)));

int clip_threads = 1;

typedef struct attn_args {
	float *out;
	const float *q, *k, *v;
	int B, T, D, H, causal;
	int next;                  /* next (item, head) pair */
	pthread_mutex_t mu;
} attn_args;

static void *attention_worker(void *arg)
{
	attn_args *a = arg;
	int T = a->T, D = a->D, hd = D / a->H;
	int vec = hd % 4 == 0;
	float *kh = aligned_alloc(16, ((size_t)T * hd * sizeof(float) + 15) / 16 * 16);
	float *vh = aligned_alloc(16, ((size_t)T * hd * sizeof(float) + 15) / 16 * 16);
	float *qi = aligned_alloc(16, ((size_t)hd * sizeof(float) + 15) / 16 * 16);
	float *acc = aligned_alloc(16, ((size_t)hd * sizeof(float) + 15) / 16 * 16);
	float *s = xmalloc((size_t)T * sizeof *s);
	if (!kh || !vh || !qi || !acc) vm_die("out of memory");
	for (;;) {
		pthread_mutex_lock(&a->mu);
		int pair = a->next++;
		pthread_mutex_unlock(&a->mu);
		if (pair >= a->B * a->H) break;
		int b = pair / a->H, h = pair % a->H;
		for (int t = 0; t < T; t++) {
			memcpy(kh + (size_t)t * hd, a->k + ((size_t)b * T + t) * D + h * hd, (size_t)hd * sizeof *kh);
			memcpy(vh + (size_t)t * hd, a->v + ((size_t)b * T + t) * D + h * hd, (size_t)hd * sizeof *vh);
		}
		for (int i = 0; i < T; i++) {
			memcpy(qi, a->q + ((size_t)b * T + i) * D + h * hd, (size_t)hd * sizeof *qi);
			int n = a->causal ? i + 1 : T;
			float mx = -INFINITY;
			for (int j = 0; j < n; j++) {
				const float *kj = kh + (size_t)j * hd;
				float d = 0;
				if (vec) {
					v4sf sum = {0, 0, 0, 0};
					for (int e = 0; e < hd; e += 4)
						sum += *(const v4sf *)(qi + e) * *(const v4sf *)(kj + e);
					d = sum[0] + sum[1] + sum[2] + sum[3];
				} else {
					for (int e = 0; e < hd; e++) d += qi[e] * kj[e];
				}
				s[j] = d;
				if (d > mx) mx = d;
			}
			float sum = 0;
			for (int j = 0; j < n; j++) { s[j] = expf(s[j] - mx); sum += s[j]; }
			float inv = 1.0f / sum;
			memset(acc, 0, (size_t)hd * sizeof *acc);
			for (int j = 0; j < n; j++) {
				const float *vj = vh + (size_t)j * hd;
				float p = s[j] * inv;
				if (vec) {
					v4sf pv = {p, p, p, p};
					for (int e = 0; e < hd; e += 4)
						*(v4sf *)(acc + e) += pv * *(const v4sf *)(vj + e);
				} else {
					for (int e = 0; e < hd; e++) acc[e] += p * vj[e];
				}
			}
			memcpy(a->out + ((size_t)b * T + i) * D + h * hd, acc, (size_t)hd * sizeof *acc);
		}
	}
	free(kh); free(vh); free(qi); free(acc); free(s);
	return NULL;
}

static void attention_forward(float *out, const float *q, const float *k, const float *v, int B, int T, int D,
			      int H, int causal)
{
	attn_args a = {out, q, k, v, B, T, D, H, causal, 0, PTHREAD_MUTEX_INITIALIZER};
	int nt = clip_threads < B * H ? clip_threads : B * H;
	if (nt < 1) nt = 1;
	pthread_t th[64];
	if (nt > 64) nt = 64;
	int started = 1;
	for (int t = 1; t < nt; t++)
		if (pthread_create(&th[t], NULL, attention_worker, &a) == 0) started++;
		else break;
	attention_worker(&a);
	for (int t = 1; t < started; t++) pthread_join(th[t], NULL);
}

/* The pre-LN encoder over x [B*T, D] in place. */
static void encoder_forward(float *x, const clip_layer *L, const clip_tower_cfg *c, int B, int T, int causal)
{
	int D = c->hidden, NI = c->inter, M = B * T;
	float scale = 1.0f / sqrtf((float)(D / c->heads));
	float *h = xmalloc((size_t)M * D * sizeof *h);
	float *q = xmalloc((size_t)M * D * sizeof *q);
	float *k = xmalloc((size_t)M * D * sizeof *k);
	float *v = xmalloc((size_t)M * D * sizeof *v);
	float *f = xmalloc((size_t)M * NI * sizeof *f);
	for (int l = 0; l < c->layers; l++) {
		const clip_layer *y = &L[l];
		layernorm_forward(h, x, y->ln1_w, y->ln1_b, M, D, c->eps);
		linear_forward(q, h, y->q_w, y->q_b, M, D, D);
		linear_forward(k, h, y->k_w, y->k_b, M, D, D);
		linear_forward(v, h, y->v_w, y->v_b, M, D, D);
		for (size_t i = 0; i < (size_t)M * D; i++) q[i] *= scale;
		attention_forward(h, q, k, v, B, T, D, c->heads, causal);
		linear_forward(q, h, y->o_w, y->o_b, M, D, D);
		for (size_t i = 0; i < (size_t)M * D; i++) x[i] += q[i];
		layernorm_forward(h, x, y->ln2_w, y->ln2_b, M, D, c->eps);
		linear_forward(f, h, y->fc1_w, y->fc1_b, M, D, NI);
		act_forward(f, (size_t)M * NI, c->act);
		linear_forward(q, f, y->fc2_w, y->fc2_b, M, NI, D);
		for (size_t i = 0; i < (size_t)M * D; i++) x[i] += q[i];
	}
	free(h); free(q); free(k); free(v); free(f);
}

void clip_image_forward(const clip_model *m, const float *pixels, int B, float *out)
{
	const clip_config *c = &m->cfg;
	int S = c->image_size, P = c->patch_size, G = S / P, np = G * G, T = np + 1, D = c->v.hidden;
	int K = 3 * P * P;
	/* unfold patches: row (b, py*G+px), column c*P*P + ky*P + kx */
	float *patches = xmalloc((size_t)B * np * K * sizeof *patches);
	for (int b = 0; b < B; b++)
		for (int py = 0; py < G; py++)
			for (int px = 0; px < G; px++) {
				float *row = patches + ((size_t)b * np + py * G + px) * K;
				for (int ch = 0; ch < 3; ch++)
					for (int ky = 0; ky < P; ky++)
						memcpy(row + ch * P * P + ky * P,
						       pixels + (((size_t)b * 3 + ch) * S + py * P + ky) * S + px * P,
						       (size_t)P * sizeof *row);
			}
	float *pe = xmalloc((size_t)B * np * D * sizeof *pe);
	linear_forward(pe, patches, m->patch_w, NULL, B * np, K, D);
	free(patches);
	float *x = xmalloc((size_t)B * T * D * sizeof *x);
	for (int b = 0; b < B; b++) {
		float *x0 = x + (size_t)b * T * D;
		for (int j = 0; j < D; j++) x0[j] = m->class_emb[j] + m->vpos[j];
		for (int p = 0; p < np; p++)
			for (int j = 0; j < D; j++)
				x0[(size_t)(p + 1) * D + j] = pe[((size_t)b * np + p) * D + j] + m->vpos[(size_t)(p + 1) * D + j];
	}
	free(pe);
	layernorm_forward(x, x, m->pre_ln_w, m->pre_ln_b, B * T, D, c->v.eps);
	encoder_forward(x, m->vl, &c->v, B, T, 0);
	float *pooled = xmalloc((size_t)B * D * sizeof *pooled);
	for (int b = 0; b < B; b++)
		layernorm_forward(pooled + (size_t)b * D, x + (size_t)b * T * D, m->post_ln_w, m->post_ln_b, 1, D, c->v.eps);
	linear_forward(out, pooled, m->vproj, NULL, B, D, c->proj_dim);
	free(pooled);
	free(x);
}

void clip_text_forward(const clip_model *m, const int32_t *ids, int B, int T, float *out)
{
	const clip_config *c = &m->cfg;
	int D = c->t.hidden;
	int32_t eos = bpe_eos(m->tok);
	float *x = xmalloc((size_t)B * T * D * sizeof *x);
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			int32_t id = ids[(size_t)b * T + t];
			if (id < 0 || id >= c->vocab_size) id = eos;
			float *xr = x + ((size_t)b * T + t) * D;
			const float *te = m->tok_emb + (size_t)id * D, *pe = m->tpos + (size_t)t * D;
			for (int j = 0; j < D; j++) xr[j] = te[j] + pe[j];
		}
	encoder_forward(x, m->tl, &c->t, B, T, 1);
	float *pooled = xmalloc((size_t)B * D * sizeof *pooled);
	for (int b = 0; b < B; b++) {
		int pos = T - 1;
		for (int t = 0; t < T; t++)
			if (ids[(size_t)b * T + t] == eos) { pos = t; break; }
		layernorm_forward(pooled + (size_t)b * D, x + ((size_t)b * T + pos) * D, m->final_ln_w, m->final_ln_b,
				  1, D, c->t.eps);
	}
	linear_forward(out, pooled, m->tproj, NULL, B, D, c->proj_dim);
	free(pooled);
	free(x);
}

/* ------------------------------------------------------ threads: per item */

typedef struct fwd_job {
	const clip_model *m;
	const float *pix;        /* image: [B, 3, S, S] or NULL */
	const int32_t *ids;      /* text: [B, T] */
	int B, T;
	float *out;              /* [B, proj] */
} fwd_job;

static void *fwd_worker(void *arg)
{
	fwd_job *j = arg;
	if (j->pix) clip_image_forward(j->m, j->pix, j->B, j->out);
	else clip_text_forward(j->m, j->ids, j->B, j->T, j->out);
	return NULL;
}

/* B items split among min(jobs, B) threads, each running single-threaded
 * sgemm; a single item uses jobs OpenBLAS threads instead. */
static void forward_mt(const clip_model *m, const float *pix, const int32_t *ids, int B, int T, float *out, int jobs)
{
	const clip_config *c = &m->cfg;
	int nt = jobs < B ? jobs : B;
	if (nt <= 1) {
		openblas_set_num_threads(jobs);
		clip_threads = jobs;
		fwd_job j = {m, pix, ids, B, T, out};
		fwd_worker(&j);
		return;
	}
	openblas_set_num_threads(1);
	clip_threads = 1;
	fwd_job *jobv = xcalloc((size_t)nt, sizeof *jobv);
	pthread_t *th = xcalloc((size_t)nt, sizeof *th);
	size_t per_item = pix ? 3 * (size_t)c->image_size * c->image_size : (size_t)T;
	int start = 0;
	for (int t = 0; t < nt; t++) {
		int n = B / nt + (t < B % nt);
		jobv[t] = (fwd_job){m, pix ? pix + (size_t)start * per_item : NULL, pix ? NULL : ids + (size_t)start * per_item,
				    n, T, out + (size_t)start * c->proj_dim};
		start += n;
	}
	char *running = xcalloc((size_t)nt, 1);
	for (int t = 1; t < nt; t++)
		running[t] = pthread_create(&th[t], NULL, fwd_worker, &jobv[t]) == 0;
	fwd_worker(&jobv[0]);
	for (int t = 1; t < nt; t++) {
		if (running[t]) pthread_join(th[t], NULL);
		else fwd_worker(&jobv[t]);   /* no thread: that share is done here */
	}
	free(running);
	free(jobv);
	free(th);
}

void clip_image_forward_mt(const clip_model *m, const float *pixels, int B, float *out, int jobs)
{
	forward_mt(m, pixels, NULL, B, 0, out, jobs);
}

void clip_text_forward_mt(const clip_model *m, const int32_t *ids, int B, int T, float *out, int jobs)
{
	forward_mt(m, NULL, ids, B, T, out, jobs);
}
