/* clip.h: the CLIP model of a Hugging Face checkpoint folder (config.json,
 * model.safetensors, vocab.json, merges.txt; vlsnr-embed(1), "The
 * checkpoint folder"): configuration, weights
 * (every tensor's name and shape checked against config.json), the image
 * preprocessing of CLIPImageProcessor (short side to image_size with
 * Pillow's bicubic resampler reproduced bit for bit, centre crop, normalise)
 * and the batched forward passes of the vision and text towers, which give
 * get_image_features/get_text_features (projected, not normalised). */
#ifndef VMIND_CLIP_H
#define VMIND_CLIP_H

#include <stddef.h>
#include <stdint.h>
#include "vmind/lib/safetensors.h"
#include "bpe.h"

enum { CLIP_QUICK_GELU, CLIP_GELU };

typedef struct clip_tower_cfg {
	int hidden, inter, layers, heads;
	float eps;
	int act;               /* CLIP_QUICK_GELU or CLIP_GELU */
} clip_tower_cfg;

typedef struct clip_config {
	clip_tower_cfg v, t;
	int image_size, patch_size;   /* vision */
	int vocab_size, max_pos;      /* text */
	int proj_dim;
} clip_config;

/* The weights of a model point into its mmapped model.safetensors (st);
 * qkv_w and qkv_b are the model's own copies. */
typedef struct clip_layer {
	const float *ln1_w, *ln1_b, *ln2_w, *ln2_b;   /* [D] */
	const float *q_w, *k_w, *v_w, *o_w;           /* [D, D] (out, in) */
	const float *q_b, *k_b, *v_b, *o_b;           /* [D] */
	const float *fc1_w, *fc1_b;                   /* [I, D], [I] */
	const float *fc2_w, *fc2_b;                   /* [D, I], [D] */
	float *qkv_w, *qkv_b;     /* [3D, D], [3D]: q, k, v stacked, one sgemm */
} clip_layer;

typedef struct clip_model {
	clip_config cfg;
	vm_st_file st;
	clip_bpe_tok *tok;
	/* vision */
	const float *class_emb;     /* [Dv] */
	const float *patch_w;       /* [Dv, 3*P*P] */
	const float *vpos;          /* [np+1, Dv] */
	const float *pre_ln_w, *pre_ln_b, *post_ln_w, *post_ln_b; /* [Dv] */
	clip_layer *vl;             /* [Lv] */
	const float *vproj;         /* [proj, Dv] */
	/* text */
	const float *tok_emb;       /* [V, Dt] */
	const float *tpos;          /* [max_pos, Dt] */
	const float *final_ln_w, *final_ln_b; /* [Dt] */
	clip_layer *tl;             /* [Lt] */
	const float *tproj;         /* [proj, Dt] */
	/* 1 (clip_load's default): the 8-wide AVX2 loops where the CPU has
	 * AVX2 and FMA; 0: the portable loops everywhere (tests compare the
	 * two) */
	int simd;
} clip_model;

/* Parse config.json only. 0, or -1 with "FILE: message" in err. */
int clip_config_load(clip_config *c, const char *path, char *err, size_t errlen);
/* Load a whole checkpoint folder (the tokenizer too, into m->tok). 0, or
 * -1 with a message naming the file (m then holds nothing to free). */
int clip_load(clip_model *m, const char *dir, char *err, size_t errlen);
void clip_free(clip_model *m);

/* Image file -> interleaved 8-bit RGB, *w x *h (libvips; alpha dropped,
 * grey replicated, CMYK converted without colour management, as PIL's
 * convert("RGB")). NULL with "FILE: cannot decode image: ..." in err. */
uint8_t *clip_decode_image(const char *path, int *w, int *h, char *err, size_t errlen);
/* Pillow's Image.resize(BICUBIC) of 8-bit RGB, exactly: in [h, w, 3] ->
 * out [oh, ow, 3]. */
void clip_resize_bicubic(const uint8_t *in, int w, int h, uint8_t *out, int ow, int oh);
/* CLIPImageProcessor up to the crop: short side to S (bicubic, the long
 * side to int(S * long / short)), centre crop SxS. out is [S*S*3] uint8. */
void clip_preprocess_u8(const uint8_t *rgb, int w, int h, int S, uint8_t *out);
/* Normalised planar pixels out [3, S, S] from the cropped uint8 image:
 * scaled to [0, 1], then CLIP's mean and standard deviation. */
void clip_normalize(const uint8_t *crop, int S, float *out);

/* pixels [B, 3, S, S] -> out [B, proj]. The attention is shared among
 * threads threads; the sgemms use OpenBLAS's own thread count, which the
 * caller sets. */
void clip_image_forward(const clip_model *m, const float *pixels, int B, float *out, int threads);
/* ids [B, T] (each row: start ... end, padded with anything after the end
 * token) -> out [B, proj]; pooled at each row's first end token (the last
 * position when a row has none). Threads as clip_image_forward. */
void clip_text_forward(const clip_model *m, const int32_t *ids, int B, int T, float *out, int threads);

/* The residual stream after the embeddings (and, for images, the
 * pre-LayerNorm) and the first nlayers encoder blocks (0 <= nlayers <=
 * layers): x [B, T, D], T = (image_size / patch_size)^2 + 1 for images.
 * What a training run of the last blocks starts from (clip-fit.h). */
void clip_image_hidden(const clip_model *m, const float *pixels, int B, int nlayers, float *x, int threads);
void clip_text_hidden(const clip_model *m, const int32_t *ids, int B, int T, int nlayers, float *x, int threads);
/* The position a text of ids[T] is pooled at: its first end token, or T - 1. */
int clip_text_pool_at(const clip_model *m, const int32_t *ids, int T);

/* The same with jobs threads: a batch is split among min(jobs, B) threads,
 * each with single-threaded sgemm and attention (no barriers between
 * threads, which is what a shared machine punishes); when that is one
 * thread (a single item, or jobs 1) the batch runs with jobs OpenBLAS
 * threads and jobs attention threads. Sets the OpenBLAS thread count. */
void clip_image_forward_mt(const clip_model *m, const float *pixels, int B, float *out, int jobs);
void clip_text_forward_mt(const clip_model *m, const int32_t *ids, int B, int T, float *out, int jobs);
void clip_image_hidden_mt(const clip_model *m, const float *pixels, int B, int nlayers, float *x, int jobs);
void clip_text_hidden_mt(const clip_model *m, const int32_t *ids, int B, int T, int nlayers, float *x, int jobs);

#endif
