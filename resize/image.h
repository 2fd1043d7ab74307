/* image.h: the per-image work of vmind-resize, kept apart from the batch and
 * database logic so the unit tests can drive it directly: decode one raw
 * image (with libvips' shrink-on-load), bring it to exactly size x size,
 * 3-band 8-bit sRGB by one of four geometry modes, encode it without metadata,
 * and compute its 64-bit perceptual hash. Thread-safe: workers call
 * rsz_image() concurrently. */
#ifndef VMIND_RESIZE_IMAGE_H
#define VMIND_RESIZE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { RSZ_CROP, RSZ_ATTENTION, RSZ_PAD, RSZ_STRETCH } rsz_mode;
typedef enum { RSZ_JPG, RSZ_PNG, RSZ_WEBP } rsz_format;

typedef struct rsz_opts {
	int size;              /* output edge in pixels */
	rsz_mode mode;
	rsz_format format;
	int quality;           /* 1..100, jpg and webp */
	long long max_pixels;  /* refuse inputs whose header says more (0 = no limit) */
} rsz_opts;

typedef struct rsz_result {
	void *data;            /* the encoded output (g_free'd by rsz_result_free) */
	size_t len;
	uint64_t phash;
	int in_width, in_height;  /* of the input as its header says (0 for white) */
} rsz_result;

/* Names <-> enums; -1 when unknown. */
int rsz_mode_parse(const char *s);
int rsz_format_parse(const char *s);
const char *rsz_mode_name(rsz_mode m);
const char *rsz_format_name(rsz_format f);   /* also the file extension */

/* After VIPS_INIT: no operation cache (every image is seen once) and no
 * loaders libvips marks untrusted. */
void rsz_setup(void);

/* One raw image in memory -> result. buf == NULL means "a white image"
 * (placeholder items without a raw file). 0, or -1 with a one-line reason in
 * err; nothing to free on failure. */
int rsz_image(const rsz_opts *o, const void *buf, size_t len, rsz_result *res,
              char *err, size_t errlen);
void rsz_result_free(rsz_result *res);

/* The perceptual hash of an 8-bit RGB image (stride = w * 3): see image.c. */
uint64_t rsz_phash_rgb(const unsigned char *rgb, int w, int h);

#endif
