/* clip.c: CLIP ViT image and text towers in C (see clip.h): config.json
 * parsing, weight binding with shape checks, Pillow-exact bicubic resizing,
 * and forward passes where every linear layer is one OpenBLAS sgemm over the
 * whole batch (q, k and v stacked into one; the last of each residual branch
 * adding onto the residual stream); attention, LayerNorm and the activation
 * are 8-wide vector loops (AVX2 with FMA where the CPU has it). Follows
 * Hugging Face's modeling_clip.py step by step. */
#include "config.h"
#include "clip.h"
#include "clip-train.h"
#include "vmind/lib/util.h"

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
	size_t len;
	char *text = vm_read_file(path, &len);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	cJSON *root = cJSON_ParseWithLength(text, len);
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
	const float *p = vm_st_get(&b->m->st, name, nd, dims, b->err, b->errlen);
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

/* the q, k and v projections of each layer stacked into one [3D, D] weight
 * and [3D] bias, so that they are one sgemm */
static void stack_qkv(clip_layer *L, int n, int D)
{
	size_t dd = (size_t)D * D;
	for (int i = 0; i < n; i++) {
		L[i].qkv_w = xmalloc(3 * dd * sizeof *L[i].qkv_w);
		L[i].qkv_b = xmalloc(3 * (size_t)D * sizeof *L[i].qkv_b);
		const float *w[3] = {L[i].q_w, L[i].k_w, L[i].v_w}, *b[3] = {L[i].q_b, L[i].k_b, L[i].v_b};
		for (int j = 0; j < 3; j++) {
			memcpy(L[i].qkv_w + j * dd, w[j], dd * sizeof *L[i].qkv_w);
			memcpy(L[i].qkv_b + (size_t)j * D, b[j], (size_t)D * sizeof *L[i].qkv_b);
		}
	}
}

int clip_load(clip_model *m, const char *dir, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	m->simd = 1;
	char *p = xasprintf("%s/config.json", dir);
	int rc = clip_config_load(&m->cfg, p, err, errlen);
	free(p);
	if (rc) return -1;
	char *vj = xasprintf("%s/vocab.json", dir), *mt = xasprintf("%s/merges.txt", dir);
	m->tok = clip_bpe_load(vj, mt, err, errlen);
	if (m->tok && clip_bpe_vocab_size(m->tok) > m->cfg.vocab_size) {
		snprintf(err, errlen, "%s: ids up to %d but config.json says vocab_size %d", vj,
			 clip_bpe_vocab_size(m->tok) - 1, m->cfg.vocab_size);
		clip_bpe_free(m->tok);
		m->tok = NULL;
	}
	free(vj);
	free(mt);
	if (!m->tok) return -1;
	p = xasprintf("%s/model.safetensors", dir);
	rc = vm_st_open(&m->st, p, err, errlen);
	free(p);
	if (rc) {
		clip_bpe_free(m->tok);
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
	stack_qkv(m->vl, c->v.layers, Dv);
	stack_qkv(m->tl, c->t.layers, Dt);
	return 0;
}

void clip_free(clip_model *m)
{
	for (int i = 0; m->vl && i < m->cfg.v.layers; i++) { free(m->vl[i].qkv_w); free(m->vl[i].qkv_b); }
	for (int i = 0; m->tl && i < m->cfg.t.layers; i++) { free(m->tl[i].qkv_w); free(m->tl[i].qkv_b); }
	vm_st_close(&m->st);
	clip_bpe_free(m->tok);
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

/* out[M, N] = in[M, K] * w[N, K]^T + b[N] (b may be NULL): the bias is
 * copied into out and the sgemm adds onto it, which costs no more than the
 * zeroing OpenBLAS does for beta 0 */
static void linear_forward(float *out, const float *in, const float *w, const float *b, int M, int K, int N)
{
	if (b) {
		for (int i = 0; i < M; i++) memcpy(out + (size_t)i * N, b, (size_t)N * sizeof *out);
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, in, K, w, K, b ? 1.0f : 0.0f, out, N);
}

/* The elementwise kernels (LayerNorm, activation, attention): plain C
 * (4-wide vectors in the attention), and on x86 8-wide vector code for CPUs
 * with AVX2 and FMA, chosen at run time (the 8-wide code compiled for the
 * baseline instruction set would go through memory in 4-wide halves). */
typedef float v4sf_u __attribute__((vector_size(16), aligned(4)));   /* for unaligned loads and stores */

/* y[M, D] = LayerNorm(x[M, D]) (y may equal x); then, if add is not NULL,
 * x[i] += add (y != x): the bias of the sgemm that will add onto x */
static void layernorm_base(float *y, float *x, const float *w, const float *b, const float *add, int M, int D,
			   float eps)
{
	for (int i = 0; i < M; i++) {
		float *xr = x + (size_t)i * D, *yr = y + (size_t)i * D;
		double mean = 0, var = 0;
		for (int j = 0; j < D; j++) mean += xr[j];
		mean /= D;
		for (int j = 0; j < D; j++) { double d = xr[j] - mean; var += d * d; }
		var /= D;
		float rstd = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
		for (int j = 0; j < D; j++) {
			float xv = xr[j];
			yr[j] = (xv - m) * rstd * w[j] + b[j];
			if (add) xr[j] = xv + add[j];
		}
	}
}

/* x * sigmoid(1.702 x) in place */
static void quick_gelu_base(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + expf(-1.702f * x[i]));
}

/* Multi-head attention of one item, heads [h0, h1): q, k, v [T, D] at row
 * stride ld (head h in columns [h*hd, (h+1)*hd)), out [T, D] at row stride
 * D; scores scaled by scale. ws is workspace of attention_ws(T, hd, h1 -
 * h0) floats. */
static size_t attention_ws(int T, int hd, int nh)
{
	size_t Tp = (size_t)(T + 31) & ~(size_t)31;
	return (size_t)nh * ((size_t)T * hd + (size_t)hd * Tp) + 2 * Tp;
}

static void attention_base(float *out, const float *q, const float *k, const float *v, int ld, int T, int D, int hd,
			   int h0, int h1, int causal, float scale, float *ws)
{
	float *s = ws;
	int hd4 = hd & ~3;
	for (int h = h0; h < h1; h++)
		for (int i = 0; i < T; i++) {
			const float *qi = q + (size_t)i * ld + (size_t)h * hd;
			int n = causal ? i + 1 : T;
			float mx = -INFINITY;
			for (int j = 0; j < n; j++) {
				const float *kj = k + (size_t)j * ld + (size_t)h * hd;
				v4sf_u acc = {0, 0, 0, 0};
				int e = 0;
				for (; e < hd4; e += 4) acc += *(const v4sf_u *)(qi + e) * *(const v4sf_u *)(kj + e);
				float d = acc[0] + acc[1] + acc[2] + acc[3];
				for (; e < hd; e++) d += qi[e] * kj[e];
				s[j] = d * scale;
				if (s[j] > mx) mx = s[j];
			}
			float sum = 0;
			for (int j = 0; j < n; j++) { s[j] = expf(s[j] - mx); sum += s[j]; }
			float inv = 1.0f / sum;
			float *o = out + (size_t)i * D + (size_t)h * hd;
			memset(o, 0, (size_t)hd * sizeof *o);
			for (int j = 0; j < n; j++) {
				const float *vj = v + (size_t)j * ld + (size_t)h * hd;
				float p = s[j] * inv;
				v4sf_u pv = {p, p, p, p};
				int e = 0;
				for (; e < hd4; e += 4) *(v4sf_u *)(o + e) += pv * *(const v4sf_u *)(vj + e);
				for (; e < hd; e++) o[e] += p * vj[e];
			}
		}
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
typedef float v8sf __attribute__((vector_size(32)));
typedef int32_t v8si __attribute__((vector_size(32)));
typedef float v8sf_u __attribute__((vector_size(32), aligned(4)));   /* for unaligned loads and stores */

#define INLINE static inline __attribute__((always_inline))
#define LD(p) (*(const v8sf_u *)(const void *)(p))
#define ST(p, v) (*(v8sf_u *)(void *)(p) = (v))
#define SPLAT(x) ((v8sf){(x), (x), (x), (x), (x), (x), (x), (x)})
#define SELECT(mask, a, b) ((v8sf)(((v8si)(a) & (mask)) | ((v8si)(b) & ~(mask))))

/* expf of 8 lanes in place (a pointer, not a vector by value, whose ABI
 * would depend on the instruction set): Cephes' expf, within 2 ulp of
 * expf, inputs clamped to [-87.3, 88], where the result is a normal float */
INLINE void vexp(v8sf *xp)
{
	const v8sf hi = SPLAT(88.0f), lo = SPLAT(-87.3f), magic = SPLAT(12582912.0f);  /* 1.5 * 2^23 */
	v8sf x = *xp;
	x = SELECT(x > hi, hi, x);
	x = SELECT(x < lo, lo, x);
	v8sf t = x * SPLAT(1.44269504088896341f) + magic;   /* round(x / ln 2) in the low bits */
	v8sf n = t - magic;
	v8si ni = (v8si)t - 0x4B400000;
	v8sf r = x - n * SPLAT(0.693359375f);
	r = r - n * SPLAT(-2.12194440e-4f);
	v8sf p = SPLAT(1.9875691500e-4f);
	p = p * r + SPLAT(1.3981999507e-3f);
	p = p * r + SPLAT(8.3334519073e-3f);
	p = p * r + SPLAT(4.1665795894e-2f);
	p = p * r + SPLAT(1.6666665459e-1f);
	p = p * r + SPLAT(5.0000001201e-1f);
	p = p * (r * r) + r + SPLAT(1.0f);
	*xp = p * (v8sf)((ni + 127) << 23);
}

/* y[M, D] = LayerNorm(x[M, D]) (y may equal x); then, if add is not NULL,
 * x[i] += add (y != x): the bias of the sgemm that will add onto x */
INLINE void layernorm_body(float *y, float *x, const float *w, const float *b, const float *add, int M, int D,
			   float eps)
{
	int D8 = D & ~7;
	for (int i = 0; i < M; i++) {
		float *xr = x + (size_t)i * D, *yr = y + (size_t)i * D;
		v8sf s0 = SPLAT(0.0f), s1 = s0;
		int j = 0;
		for (; j + 16 <= D8; j += 16) { s0 += LD(xr + j); s1 += LD(xr + j + 8); }
		for (; j < D8; j += 8) s0 += LD(xr + j);
		s0 += s1;
		double sum = 0;
		for (int l = 0; l < 8; l++) sum += s0[l];
		for (; j < D; j++) sum += xr[j];
		float m = (float)(sum / D);
		v8sf vm = SPLAT(m);
		s0 = s1 = SPLAT(0.0f);
		for (j = 0; j + 16 <= D8; j += 16) {
			v8sf d0 = LD(xr + j) - vm, d1 = LD(xr + j + 8) - vm;
			s0 += d0 * d0;
			s1 += d1 * d1;
		}
		for (; j < D8; j += 8) { v8sf d = LD(xr + j) - vm; s0 += d * d; }
		s0 += s1;
		double var = 0;
		for (int l = 0; l < 8; l++) var += s0[l];
		for (; j < D; j++) { double d = xr[j] - m; var += d * d; }
		float rstd = (float)(1.0 / sqrt(var / D + eps));
		v8sf vr = SPLAT(rstd);
		for (j = 0; j < D8; j += 8) {
			v8sf xv = LD(xr + j);
			ST(yr + j, (xv - vm) * vr * LD(w + j) + LD(b + j));
			if (add) ST(xr + j, xv + LD(add + j));
		}
		for (; j < D; j++) {
			float xv = xr[j];
			yr[j] = (xv - m) * rstd * w[j] + b[j];
			if (add) xr[j] = xv + add[j];
		}
	}
}

/* x * sigmoid(1.702 x) in place */
INLINE void quick_gelu_body(float *x, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		v8sf v = LD(x + i), e = v * SPLAT(-1.702f);
		vexp(&e);
		ST(x + i, v / (SPLAT(1.0f) + e));
	}
	for (; i < n; i++) x[i] = x[i] / (1.0f + expf(-1.702f * x[i]));
}

/* exp(scale * (s[j] - max s)) for s[0, n) in place, s[n, round8(n)) set
 * to 0; returns 1 / their sum, the normalisation left to the caller */
INLINE float softmax_body(float *s, int n, float scale)
{
	int n8 = (n + 7) & ~7;
	for (int j = n; j < n8; j++) s[j] = -INFINITY;
	v8sf m = LD(s);
	for (int j = 8; j < n8; j += 8) {
		v8sf a = LD(s + j);
		m = SELECT(a > m, a, m);
	}
	float mx = m[0];
	for (int l = 1; l < 8; l++)
		if (m[l] > mx) mx = m[l];
	v8sf vmx = SPLAT(mx), vs = SPLAT(scale), sum = SPLAT(0.0f);
	for (int j = 0; j < n8; j += 8) {
		v8sf e = (LD(s + j) - vmx) * vs;
		vexp(&e);
		ST(s + j, e);
	}
	for (int j = n; j < n8; j++) s[j] = 0;
	for (int j = 0; j < n8; j += 8) sum += LD(s + j);
	float t = 0;
	for (int l = 0; l < 8; l++) t += sum[l];
	return 1.0f / t;
}

/* the AVX2 attention of one item: one sweep over the rows gathers each
 * head's v into a contiguous [T, hd] block and its k transposed into [hd,
 * Tp] (Tp = T rounded up to 32); then the scores of two queries are 32 keys
 * at a time in registers, and so are their outputs 32 values at a time.
 * Scaling the scores rather than q is the same for 64-wide heads (scale
 * 1/8, a power of 2). */
/* the register block both products of the attention are made of: for t <
 * n, a += x0[t] * m[t * stride, +32) and b += x1[t] * the same 32 floats (8
 * accumulators and 4 loads per step; a and b start at 0) */
INLINE void block_2x32(v8sf a[4], v8sf b[4], const float *x0, const float *x1, int n, const float *m, size_t stride)
{
	v8sf a0 = SPLAT(0.0f), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
	for (int t = 0; t < n; t++, m += stride) {
		v8sf p = SPLAT(x0[t]), r = SPLAT(x1[t]), m0 = LD(m), m1 = LD(m + 8), m2 = LD(m + 16), m3 = LD(m + 24);
		a0 += p * m0; a1 += p * m1; a2 += p * m2; a3 += p * m3;
		b0 += r * m0; b1 += r * m1; b2 += r * m2; b3 += r * m3;
	}
	a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3;
	b[0] = b0; b[1] = b1; b[2] = b2; b[3] = b3;
}

/* one head: q at row stride ld, out at row stride ldo, vh and kt gathered,
 * s0 and s1 [Tp] workspace; queries two at a time (16 accumulators, as many
 * as there are AVX registers) */
INLINE void attention_head(float *out, int ldo, const float *q, int ld, const float *vh, const float *kt, int T,
			   int Tp, int hd, int causal, float scale, float *s0, float *s1)
{
	for (int i = 0; i < T; i += 2) {
		int two = i + 1 < T, n0 = causal ? i + 1 : T, n1 = causal ? i + 1 + two : T;
		const float *q0 = q + (size_t)i * ld, *q1 = two ? q0 + ld : q0;
		/* scores of queries i and i + 1 (row i twice for the last of odd T) */
		for (int j0 = 0; j0 < n1; j0 += 32) {
			v8sf a[4], b[4];
			block_2x32(a, b, q0, q1, hd, kt + j0, (size_t)Tp);
			for (int l = 0; l < 4; l++) {
				ST(s0 + j0 + 8 * l, a[l]);
				ST(s1 + j0 + 8 * l, b[l]);
			}
		}
		float inv0 = softmax_body(s0, n0, scale), inv1 = softmax_body(s1, n1, scale);
		for (int j = n0; j < n1; j++) s0[j] = 0;
		/* outputs of both: probabilities times v, 32 columns at a time */
		float *o0 = out + (size_t)i * ldo, *o1 = two ? o0 + ldo : o0;
		v8sf w0 = SPLAT(inv0), w1 = SPLAT(inv1);
		int e0 = 0;
		for (; e0 + 32 <= hd; e0 += 32) {
			v8sf a[4], b[4];
			block_2x32(a, b, s0, s1, n1, vh + e0, (size_t)hd);
			for (int l = 0; l < 4; l++) {
				if (two)
					ST(o1 + e0 + 8 * l, b[l] * w1);
				ST(o0 + e0 + 8 * l, a[l] * w0);
			}
		}
		for (; e0 < hd; e0++) {
			float c0 = 0, c1 = 0;
			for (int j = 0; j < n1; j++) {
				c0 += s0[j] * vh[(size_t)j * hd + e0];
				c1 += s1[j] * vh[(size_t)j * hd + e0];
			}
			if (two) o1[e0] = c1 * inv1;
			o0[e0] = c0 * inv0;
		}
	}
}

INLINE void attention_body(float *out, const float *q, const float *k, const float *v, int ld, int T, int D, int hd,
			   int h0, int h1, int causal, float scale, float *ws)
{
	int Tp = (T + 31) & ~31;
	size_t hb = (size_t)T * hd + (size_t)hd * Tp;
	for (int j = 0; j < T; j++) {
		const float *kr = k + (size_t)j * ld, *vr = v + (size_t)j * ld;
		for (int h = h0; h < h1; h++) {
			float *vh = ws + (h - h0) * hb, *kt = vh + (size_t)T * hd;
			memcpy(vh + (size_t)j * hd, vr + h * hd, (size_t)hd * sizeof *vh);
			for (int e = 0; e < hd; e++) kt[(size_t)e * Tp + j] = kr[h * hd + e];
		}
	}
	float *s0 = ws + (h1 - h0) * hb, *s1 = s0 + Tp;
	for (int h = h0; h < h1; h++) {
		float *vh = ws + (h - h0) * hb, *kt = vh + (size_t)T * hd;
		for (int e = 0; e < hd; e++)
			for (int j = T; j < Tp; j++) kt[(size_t)e * Tp + j] = 0;
		attention_head(out + (size_t)h * hd, D, q + (size_t)h * hd, ld, vh, kt, T, Tp, hd, causal, scale, s0, s1);
	}
}

#define AVX2 __attribute__((target("avx2,fma")))
static AVX2 void layernorm_avx2(float *y, float *x, const float *w, const float *b, const float *add, int M, int D,
				float eps)
{
	layernorm_body(y, x, w, b, add, M, D, eps);
}

static AVX2 void quick_gelu_avx2(float *x, size_t n)
{
	quick_gelu_body(x, n);
}

static AVX2 void attention_avx2(float *out, const float *q, const float *k, const float *v, int ld, int T, int D,
				int hd, int h0, int h1, int causal, float scale, float *ws)
{
	attention_body(out, q, k, v, ld, T, D, hd, h0, h1, causal, scale, ws);
}

static int cpu_has_avx2(void)
{
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#define DISPATCH(avx2, name, ...) ((avx2) ? name##_avx2(__VA_ARGS__) : name##_base(__VA_ARGS__))
#else
static int cpu_has_avx2(void)
{
	return 0;
}
#define DISPATCH(avx2, name, ...) ((void)(avx2), name##_base(__VA_ARGS__))
#endif

/* The layers below take avx2: 1 to run the AVX2 loops (the CPU has them
 * and the model's simd allows them), 0 for the portable ones. */

/* y[M, D] = LayerNorm(x[M, D]) (y may equal x), then x += add if add */
static void layernorm_add(int avx2, float *y, float *x, const float *w, const float *b, const float *add, int M,
			  int D, float eps)
{
	DISPATCH(avx2, layernorm, y, x, w, b, add, M, D, eps);
}

static void layernorm_forward(int avx2, float *out, const float *in, const float *w, const float *b, int M, int D,
			      float eps)
{
	layernorm_add(avx2, out, (float *)in, w, b, NULL, M, D, eps);
}

static void act_forward(int avx2, float *x, size_t n, int act)
{
	if (act == CLIP_QUICK_GELU) {
		DISPATCH(avx2, quick_gelu, x, n);
	} else {
		for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
	}
}

typedef struct attn_args {
	float *out;                /* [B*T, D] */
	const float *qkv;          /* [B*T, 3D] */
	int B, T, D, H, causal;
	float scale;
	int avx2;
	int groups;                /* head groups per item */
	int next;                  /* next (item, group) */
	pthread_mutex_t mu;
} attn_args;

static void *attention_worker(void *arg)
{
	attn_args *a = arg;
	int T = a->T, D = a->D, H = a->H, G = a->groups, hd = D / H;
	float *ws = xmalloc(attention_ws(T, hd, (H + G - 1) / G) * sizeof *ws);
	for (;;) {
		pthread_mutex_lock(&a->mu);
		int u = a->next++;
		pthread_mutex_unlock(&a->mu);
		if (u >= a->B * G) break;
		int b = u / G, g = u % G;
		const float *q = a->qkv + (size_t)b * T * 3 * D;
		DISPATCH(a->avx2, attention, a->out + (size_t)b * T * D, q, q + D, q + 2 * D, 3 * D, T, D, hd, g * H / G,
			 (g + 1) * H / G, a->causal, a->scale, ws);
	}
	free(ws);
	return NULL;
}

/* Multi-head attention: qkv [B*T, 3D] (each row q, k, v, unscaled), out
 * [B*T, D]. The items, or when there are fewer items than threads groups
 * of an item's heads, are shared among threads threads. */
static void attention_forward(float *out, const float *qkv, int B, int T, int D, int H, int causal, float scale,
			      int threads, int avx2)
{
	int nt = threads < 1 ? 1 : threads > 64 ? 64 : threads;
	int G = B >= nt ? 1 : (nt + B - 1) / B;
	if (G > H) G = H;
	if (nt > B * G) nt = B * G;
	attn_args a = {out, qkv, B, T, D, H, causal, scale, avx2, G, 0, PTHREAD_MUTEX_INITIALIZER};
	pthread_t th[64];
	int started = 1;
	for (int t = 1; t < nt; t++)
		if (pthread_create(&th[t], NULL, attention_worker, &a) == 0) started++;
		else break;
	attention_worker(&a);
	for (int t = 1; t < started; t++) pthread_join(th[t], NULL);
}

/* The pre-LN encoder over x [B*T, D] in place. Each residual branch's last
 * sgemm adds onto x (beta 1), its bias added to x by the LayerNorm pass
 * before the branch. */
static void encoder_forward(float *x, const clip_layer *L, const clip_tower_cfg *c, int nlayers, int B, int T,
			    int causal, int threads, int avx2)
{
	int D = c->hidden, NI = c->inter, M = B * T;
	float scale = 1.0f / sqrtf((float)(D / c->heads));
	float *h = xmalloc((size_t)M * D * sizeof *h);
	float *qkv = xmalloc((size_t)M * 3 * D * sizeof *qkv);
	float *f = xmalloc((size_t)M * NI * sizeof *f);
	for (int l = 0; l < nlayers; l++) {
		const clip_layer *y = &L[l];
		layernorm_add(avx2, h, x, y->ln1_w, y->ln1_b, y->o_b, M, D, c->eps);
		linear_forward(qkv, h, y->qkv_w, y->qkv_b, M, D, 3 * D);
		attention_forward(h, qkv, B, T, D, c->heads, causal, scale, threads, avx2);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, D, D, 1.0f, h, D, y->o_w, D, 1.0f, x, D);
		layernorm_add(avx2, h, x, y->ln2_w, y->ln2_b, y->fc2_b, M, D, c->eps);
		linear_forward(f, h, y->fc1_w, y->fc1_b, M, D, NI);
		act_forward(avx2, f, (size_t)M * NI, c->act);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, D, NI, 1.0f, f, NI, y->fc2_w, NI, 1.0f, x, D);
	}
	free(h); free(qkv); free(f);
}

void clip_image_hidden(const clip_model *m, const float *pixels, int B, int nlayers, float *x, int threads)
{
	const clip_config *c = &m->cfg;
	int avx2 = m->simd && cpu_has_avx2();
	int S = c->image_size, P = c->patch_size, G = S / P, np = G * G, T = np + 1, D = c->v.hidden;
	int K = 3 * P * P;
	float *patches = xmalloc((size_t)B * np * K * sizeof *patches);
	clip_patch_unfold(patches, pixels, B, S, P);
	float *pe = xmalloc((size_t)B * np * D * sizeof *pe);
	linear_forward(pe, patches, m->patch_w, NULL, B * np, K, D);
	free(patches);
	for (int b = 0; b < B; b++) {
		float *x0 = x + (size_t)b * T * D;
		for (int j = 0; j < D; j++) x0[j] = m->class_emb[j] + m->vpos[j];
		for (int p = 0; p < np; p++)
			for (int j = 0; j < D; j++)
				x0[(size_t)(p + 1) * D + j] = pe[((size_t)b * np + p) * D + j] + m->vpos[(size_t)(p + 1) * D + j];
	}
	free(pe);
	layernorm_forward(avx2, x, x, m->pre_ln_w, m->pre_ln_b, B * T, D, c->v.eps);
	encoder_forward(x, m->vl, &c->v, nlayers, B, T, 0, threads, avx2);
}

void clip_image_forward(const clip_model *m, const float *pixels, int B, float *out, int threads)
{
	const clip_config *c = &m->cfg;
	int avx2 = m->simd && cpu_has_avx2();
	int G = c->image_size / c->patch_size, T = G * G + 1, D = c->v.hidden;
	float *x = xmalloc((size_t)B * T * D * sizeof *x);
	clip_image_hidden(m, pixels, B, c->v.layers, x, threads);
	float *pooled = xmalloc((size_t)B * D * sizeof *pooled);
	for (int b = 0; b < B; b++)
		layernorm_forward(avx2, pooled + (size_t)b * D, x + (size_t)b * T * D, m->post_ln_w, m->post_ln_b, 1, D,
				  c->v.eps);
	linear_forward(out, pooled, m->vproj, NULL, B, D, c->proj_dim);
	free(pooled);
	free(x);
}

void clip_text_hidden(const clip_model *m, const int32_t *ids, int B, int T, int nlayers, float *x, int threads)
{
	const clip_config *c = &m->cfg;
	int avx2 = m->simd && cpu_has_avx2();
	int D = c->t.hidden;
	int32_t eos = clip_bpe_eos(m->tok);
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			int32_t id = ids[(size_t)b * T + t];
			if (id < 0 || id >= c->vocab_size) id = eos;
			float *xr = x + ((size_t)b * T + t) * D;
			const float *te = m->tok_emb + (size_t)id * D, *pe = m->tpos + (size_t)t * D;
			for (int j = 0; j < D; j++) xr[j] = te[j] + pe[j];
		}
	encoder_forward(x, m->tl, &c->t, nlayers, B, T, 1, threads, avx2);
}

int clip_text_pool_at(const clip_model *m, const int32_t *ids, int T)
{
	int32_t eos = clip_bpe_eos(m->tok);
	for (int t = 0; t < T; t++)
		if (ids[t] == eos) return t;
	return T - 1;
}

void clip_text_forward(const clip_model *m, const int32_t *ids, int B, int T, float *out, int threads)
{
	const clip_config *c = &m->cfg;
	int avx2 = m->simd && cpu_has_avx2();
	int D = c->t.hidden;
	float *x = xmalloc((size_t)B * T * D * sizeof *x);
	clip_text_hidden(m, ids, B, T, c->t.layers, x, threads);
	float *pooled = xmalloc((size_t)B * D * sizeof *pooled);
	for (int b = 0; b < B; b++) {
		int pos = clip_text_pool_at(m, ids + (size_t)b * T, T);
		layernorm_forward(avx2, pooled + (size_t)b * D, x + ((size_t)b * T + pos) * D, m->final_ln_w,
				  m->final_ln_b, 1, D, c->t.eps);
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
	int nlayers;             /* -1: the features; else the hidden states after nlayers blocks */
	float *out;              /* [B, proj] or [B, T, D] */
	int threads;             /* for the attention */
} fwd_job;

static void *fwd_worker(void *arg)
{
	fwd_job *j = arg;
	if (j->pix && j->nlayers >= 0) clip_image_hidden(j->m, j->pix, j->B, j->nlayers, j->out, j->threads);
	else if (j->pix) clip_image_forward(j->m, j->pix, j->B, j->out, j->threads);
	else if (j->nlayers >= 0) clip_text_hidden(j->m, j->ids, j->B, j->T, j->nlayers, j->out, j->threads);
	else clip_text_forward(j->m, j->ids, j->B, j->T, j->out, j->threads);
	return NULL;
}

/* B items split among min(jobs, B) threads, each running single-threaded
 * sgemm; a single item uses jobs OpenBLAS threads instead. */
static void forward_mt(const clip_model *m, const float *pix, const int32_t *ids, int B, int T, int nlayers,
		       float *out, int jobs)
{
	const clip_config *c = &m->cfg;
	int nt = jobs < B ? jobs : B;
	if (nt <= 1) {
		openblas_set_num_threads(jobs);
		fwd_job j = {m, pix, ids, B, T, nlayers, out, jobs};
		fwd_worker(&j);
		return;
	}
	openblas_set_num_threads(1);
	fwd_job *jobv = xcalloc((size_t)nt, sizeof *jobv);
	pthread_t *th = xcalloc((size_t)nt, sizeof *th);
	size_t per_item = pix ? 3 * (size_t)c->image_size * c->image_size : (size_t)T;
	int G = c->image_size / c->patch_size;
	size_t per_out = nlayers < 0 ? (size_t)c->proj_dim
			 : pix ? (size_t)(G * G + 1) * c->v.hidden : (size_t)T * c->t.hidden;
	int start = 0;
	for (int t = 0; t < nt; t++) {
		int n = B / nt + (t < B % nt);
		jobv[t] = (fwd_job){m, pix ? pix + (size_t)start * per_item : NULL, pix ? NULL : ids + (size_t)start * per_item,
				    n, T, nlayers, out + (size_t)start * per_out, 1};
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
	forward_mt(m, pixels, NULL, B, 0, -1, out, jobs);
}

void clip_text_forward_mt(const clip_model *m, const int32_t *ids, int B, int T, float *out, int jobs)
{
	forward_mt(m, NULL, ids, B, T, -1, out, jobs);
}

void clip_image_hidden_mt(const clip_model *m, const float *pixels, int B, int nlayers, float *x, int jobs)
{
	forward_mt(m, pixels, NULL, B, 0, nlayers, x, jobs);
}

void clip_text_hidden_mt(const clip_model *m, const int32_t *ids, int B, int T, int nlayers, float *x, int jobs)
{
	forward_mt(m, NULL, ids, B, T, nlayers, x, jobs);
}
