/* embed-hash.h: the `--encoder hash` baseline of vlsnr-embed: deterministic,
 * non-learned 512-dimensional features for where no CLIP weights can be had.
 * Text: hashed word unigrams and bigrams of the cleaned text (clip_bpe_clean),
 * each projected by a fixed pseudo-random +-1 vector, L2-normalised. Image:
 * colour (HSV histograms of the whole image, its border and its foreground),
 * a 4x4 layout of mean colours, the number of foreground blobs, their fill,
 * aspect, compactness and holes, blobs left after erosion, runs of
 * foreground rows and columns, and an edge-orientation histogram: 170
 * statistics mapped to 512 by a fixed full-rank +-1 matrix, so each
 * statistic stays linearly recoverable (not normalised). */
#ifndef VMIND_EMBED_HASH_H
#define VMIND_EMBED_HASH_H

#include <stdint.h>

#define CLIP_HASH_DIM 512
#define CLIP_HASH_IMG_STATS 170

/* The empty text (or one without letters and digits) gives the zero vector. */
void clip_hash_text(const char *text, float out[CLIP_HASH_DIM]);
/* rgb: 8-bit RGB interleaved, w x h, any size (resized to 64x64 with
 * clip_resize_bicubic first). stats, when not NULL, receives the
 * CLIP_HASH_IMG_STATS statistics. */
void clip_hash_image(const uint8_t *rgb, int w, int h, float out[CLIP_HASH_DIM], float *stats);

#endif
