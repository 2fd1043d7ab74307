/* image.h: the per-image work of vmind-resize, kept apart from the batch and
 * database logic so the unit tests can drive it directly: decode one raw
 * image (with libvips' shrink-on-load), bring it to exactly size x size,
 * 3-band 8-bit sRGB by one of four geometry modes, encode it without metadata,
 * and compute its 64-bit perceptual hash. Thread-safe: workers call
 * resize_image() concurrently. */
#ifndef VMIND_RESIZE_IMAGE_H
#define VMIND_RESIZE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { RESIZE_CROP, RESIZE_ATTENTION, RESIZE_PAD, RESIZE_STRETCH } resize_mode;
typedef enum { RESIZE_JPG, RESIZE_PNG, RESIZE_WEBP } resize_format;

typedef struct resize_opts {
	int size;              /* output edge in pixels */
	resize_mode mode;
	resize_format format;
	int quality;           /* 1..100, jpg and webp */
	long long max_pixels;  /* refuse inputs whose header says more (0 = no limit) */
} resize_opts;

typedef struct resize_result {
	void *data;            /* the encoded output (g_free'd by resize_result_free) */
	size_t len;
	uint64_t phash;
	uint64_t colour;          /* resize_colour_rgb of the output */
	int in_width, in_height;  /* of the input as its header says (0 for white) */
} resize_result;

/* The colour signature of w x h RGB pixels: the mean red, green and blue of
 * each quarter (top left, top right, bottom left, bottom right), 5 bits
 * each, value k of the 12 at bits 5k..5k+4 (see vmind/lib/dupes.h). */
uint64_t resize_colour_rgb(const unsigned char *rgb, int w, int h);

/* Names <-> enums; -1 when unknown. */
int resize_mode_parse(const char *s);
int resize_format_parse(const char *s);
const char *resize_mode_name(resize_mode m);
const char *resize_format_name(resize_format f);   /* also the file extension */

/* After VIPS_INIT: no operation cache (every image is seen once) and no
 * loaders libvips marks untrusted. */
void resize_setup(void);

/* One raw image in memory -> result. buf == NULL means "a white image"
 * (placeholder items without a raw file). 0, or -1 with a one-line reason in
 * err; nothing to free on failure. */
int resize_image(const resize_opts *o, const void *buf, size_t len, resize_result *res,
                 char *err, size_t errlen);
void resize_result_free(resize_result *res);

/* The perceptual hash of an 8-bit RGB image (stride = w * 3): see image.c. */
uint64_t resize_phash_rgb(const unsigned char *rgb, int w, int h);

#endif
