/* clip-train.h: the layers of CLIP's two towers as forward/backward pairs
 * for training (llm.c style, as model/vlsnr/layers.h): patch embedding,
 * class, token and position embeddings, LayerNorm, multi-head attention
 * (causal on the text side), quick_gelu and gelu, the pre-LN encoder block
 * built from them, pooling, L2 normalisation, CLIP's symmetric contrastive
 * loss with its logit scale, and Adam. Flat row-major float arrays; the
 * caller owns every buffer; each backward ACCUMULATES (+=) into the
 * gradients it is given, and a gradient pointer that is NULL is skipped.
 * Weights are in Hugging Face's layout, [out, in] (y = x W^T + b), so that
 * they are the checkpoint's tensors as they are. Every matrix product is an
 * OpenBLAS sgemm; the caller sets OpenBLAS's thread count.
 * tests/unit/test-clip-train.c checks every backward against finite
 * differences and the whole model against tests/reference/clip-ref.py. */
#ifndef VMIND_CLIP_TRAIN_H
#define VMIND_CLIP_TRAIN_H

#include <stddef.h>
#include <stdint.h>

/* y[N,OC] = x[N,C] W[OC,C]^T + b[OC] (b may be NULL); with accumulate the
 * product and bias are added onto y (a residual branch) */
void clip_linear_forward(float *y, const float *x, const float *W, const float *b, int N, int C, int OC,
			 int accumulate);
/* dx[N,C] += dy W; dW[OC,C] += dy^T x; db[OC] += the column sums of dy */
void clip_linear_backward(float *dx, float *dW, float *db, const float *dy, const float *x, const float *W, int N,
			  int C, int OC);

/* y[N,D] = (x - mean) * rstd * w + b per row; mean[N] and rstd[N] are kept
 * for the backward (y may not be x) */
void clip_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b, int N,
			    int D, float eps);
/* dx[N,D], dw[D], db[D] += ... */
void clip_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *mean,
			     const float *rstd, const float *w, int N, int D);

/* Multi-head attention over qkv[B,T,3D] (each row q, k, v with their
 * biases; head h in columns [h*hd, (h+1)*hd) of each, hd = D/H): scores q.k
 * / sqrt(hd), keys after the query masked when causal, att[B,H,T,T] the
 * softmax (0 where masked), y[B,T,D] = att v, heads side by side. */
void clip_attention_forward(float *y, float *att, const float *qkv, int B, int T, int D, int H, int causal);
/* dqkv[B,T,3D] += ...; scratch [T*T] floats */
void clip_attention_backward(float *dqkv, float *scratch, const float *dy, const float *qkv, const float *att, int B,
			     int T, int D, int H);

/* The MLP activation, elementwise over n: quick_gelu x sigmoid(1.702 x)
 * (act 0, CLIP_QUICK_GELU) or gelu 0.5 x (1 + erf(x / sqrt 2)) (act 1,
 * CLIP_GELU); dx += dy * act'(x) */
void clip_act_forward(float *y, const float *x, size_t n, int act);
void clip_act_backward(float *dx, const float *dy, const float *x, size_t n, int act);

/* Patches of pixels[B,3,S,S] as rows patches[B*G*G, 3*P*P] (G = S/P;
 * row-major patch grid, columns channel, then ky, then kx: the layout of
 * the [Dv, 3, P, P] patch embedding weight), so that the patch embedding
 * (a convolution of stride P without bias) is one clip_linear_forward. */
void clip_patch_unfold(float *patches, const float *pixels, int B, int S, int P);

/* Vision embeddings: x[B,T,D] (T = np + 1): row 0 of each item is
 * cls[D] + pos[0], row 1 + p is pe[B,np,D] + pos[1 + p]. */
void clip_vision_embed_forward(float *x, const float *pe, const float *cls, const float *pos, int B, int np, int D);
/* dpe[B,np,D], dcls[D], dpos[T,D] += ... (dpe may be NULL: the pixels'
 * side has nothing to train when the patch weight is frozen) */
void clip_vision_embed_backward(float *dpe, float *dcls, float *dpos, const float *dx, int B, int np, int D);

/* Text embeddings: x[B,T,D] = tok[ids[b,t]] + pos[t] (ids < vocab) */
void clip_text_embed_forward(float *x, const int32_t *ids, const float *tok, const float *pos, int B, int T, int D);
void clip_text_embed_backward(float *dtok, float *dpos, const float *dx, const int32_t *ids, int B, int T, int D);

/* The pooled rows: y[B,D] = x[b, at[b]] of x[B,T,D] (the class token, row
 * 0, for images; the first end token for texts); backward scatters dy. */
void clip_pool_forward(float *y, const float *x, const int *at, int B, int T, int D);
void clip_pool_backward(float *dx, const float *dy, const int *at, int B, int T, int D);

/* y[N,D] = x / |x| per row, norm[N] = |x| kept; dx += (dy - y (y.dy)) / |x| */
void clip_l2norm_forward(float *y, float *norm, const float *x, int N, int D);
void clip_l2norm_backward(float *dx, const float *dy, const float *y, const float *norm, int N, int D);

/* CLIP's loss over B pairs of L2-normalised embeddings img[B,P], txt[B,P]:
 * logits = exp(logit_scale) txt img^T [B,B] (texts as rows), the mean of
 * the cross-entropy of each row and of each column with the pair on the
 * diagonal (Hugging Face's clip_loss, computed in double). Returns it and
 * WRITES dimg, dtxt [B,P] and *dscale (d loss / d logit_scale); scratch
 * [2*B*B] doubles. */
double clip_contrastive_forward_backward(float *dimg, float *dtxt, float *dscale, double *scratch, const float *img,
					 const float *txt, float logit_scale, int B, int P);

/* One encoder block's trainable tensors (of a parameter block, or of its
 * gradient block): q, k and v stacked, in that order, as [3D, D] and [3D]. */
typedef struct clip_block_w {
	float *ln1_w, *ln1_b;   /* [D] */
	float *qkv_w, *qkv_b;   /* [3D, D], [3D] */
	float *o_w, *o_b;       /* [D, D], [D] */
	float *ln2_w, *ln2_b;   /* [D] */
	float *fc1_w, *fc1_b;   /* [NI, D], [NI] */
	float *fc2_w, *fc2_b;   /* [D, NI], [D] */
} clip_block_w;

/* What one block's forward keeps for its backward, for M = B*T rows. */
typedef struct clip_block_acts {
	float *ln1, *ln1_mean, *ln1_rstd;   /* [M,D], [M], [M] */
	float *qkv;                         /* [M,3D] */
	float *att;                         /* [B,H,T,T] */
	float *atty;                        /* [M,D] attention output, before out_proj */
	float *res1;                        /* [M,D] x + the attention branch */
	float *ln2, *ln2_mean, *ln2_rstd;   /* [M,D], [M], [M] */
	float *fc1, *act;                   /* [M,NI] before and after the activation */
} clip_block_acts;
/* Floats of a block's clip_block_acts (and the scratch of its backward:
 * clip_block_scratch_floats). */
size_t clip_block_acts_floats(int B, int T, int D, int NI, int H);
size_t clip_block_scratch_floats(int B, int T, int D, int NI);
/* Points a's fields into mem[clip_block_acts_floats(...)]. */
void clip_block_acts_bind(clip_block_acts *a, float *mem, int B, int T, int D, int NI, int H);

/* CLIPEncoderLayer: x1 = x + out_proj(attention(LN1(x))), y = x1 +
 * fc2(act(fc1(LN2(x1)))); x, y [B,T,D] */
void clip_block_forward(float *y, clip_block_acts *a, const float *x, const clip_block_w *w, int B, int T, int D,
			int NI, int H, float eps, int act, int causal);
/* dx [B,T,D] holds dL/dy on entry and dL/dx on return (the residual stream
 * in place); the weights' gradients are added to g; with need_dx 0 the
 * gradient that would flow back through LN1 into dx is not computed (the
 * first trained block of a tower with a frozen prefix) and dx is left with
 * only the residual part. scratch: clip_block_scratch_floats floats. */
void clip_block_backward(float *dx, const clip_block_w *g, float *scratch, const float *x, const clip_block_acts *a,
			 const clip_block_w *w, int B, int T, int D, int NI, int H, int act, int need_dx);

/* Adam (Kingma and Ba) with bias correction over n parameters, step t from 1
 * (beta1 0.9, beta2 0.98, eps 1e-6: CLIP's); the moments m, v [n] start at 0. */
void clip_adam_update(float *param, const float *grad, float *m, float *v, size_t n, float lr, long t);

#endif
