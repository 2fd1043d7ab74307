/* test-resize.c: resize_image() (resize/image.c) on one synthetic input of each
 * kind the crawler can hand over: JPEG/PNG/WebP, EXIF orientation, an
 * embedded non-sRGB ICC profile, CMYK with and without a profile, alpha,
 * animations (GIF, WebP), 16-bit, greyscale, tiny, extreme aspect ratios, a
 * decompression bomb's header, truncated, zero-byte and non-image files, and
 * the white placeholder. Every output is decoded again and checked for its
 * exact size, 3 bands, sRGB and 8 bits, and where the geometry matters for
 * pixel values: a 300x100 red|green|blue image keeps only green under crop,
 * all three with white bars under pad, all three full height under stretch.
 * The inputs are made here with libvips, so nothing binary is stored. */
#include "config.h"
#include "tap.h"
#include "resize/image.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

typedef struct rgb { int r, g, b; } rgb;

static const rgb RED = { 255, 0, 0 }, GREEN = { 0, 255, 0 }, BLUE = { 0, 0, 255 },
                 WHITE = { 255, 255, 255 };

/* A W x H image of `n` equal vertical stripes of the given colours. */
static VipsImage *stripes(int w, int h, const rgb *col, int n)
{
	unsigned char *p = malloc((size_t)w * h * 3);
	VipsImage *img;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			const rgb *c = &col[x * n / w];
			unsigned char *q = p + ((size_t)y * w + x) * 3;
			q[0] = c->r; q[1] = c->g; q[2] = c->b;
		}
	img = vips_image_new_from_memory_copy(p, (size_t)w * h * 3, w, h, 3, VIPS_FORMAT_UCHAR);
	free(p);
	img->Type = VIPS_INTERPRETATION_sRGB;
	return img;
}

static VipsImage *rgb3(int w, int h)
{
	const rgb c[3] = { RED, GREEN, BLUE };
	return stripes(w, h, c, 3);
}

/* Encode with a saver suffix such as ".png[compression=1]"; takes img. */
static void *enc(VipsImage *img, const char *suffix, size_t *len)
{
	void *buf = NULL;
	if (vips_image_write_to_buffer(img, suffix, &buf, len, NULL)) {
		printf("# encode %s: %s", suffix, vips_error_buffer());
		vips_error_clear();
		buf = NULL;
	}
	g_object_unref(img);
	return buf;
}

static resize_opts opts(resize_mode mode)
{
	resize_opts o = { 224, mode, RESIZE_PNG, 90, 100000000LL };
	return o;
}

/* Run resize_image and decode the output; checks size, bands, interpretation
 * and format. NULL when it failed (and `name` is reported). */
static VipsImage *run(const char *name, const resize_opts *o, const void *buf, size_t len, uint64_t *phash)
{
	resize_result res;
	char err[512];
	VipsImage *out;
	if (resize_image(o, buf, len, &res, err, sizeof err) != 0) {
		ok(0, "%s: resized (%s)", name, err);
		return NULL;
	}
	out = vips_image_new_from_buffer(res.data, res.len, "", NULL);
	if (out) {
		/* decode now: the buffer goes away below */
		VipsImage *m = vips_image_copy_memory(out);
		g_object_unref(out);
		out = m;
	}
	if (phash)
		*phash = res.phash;
	resize_result_free(&res);
	if (!ok(out != NULL, "%s: output decodes", name))
		return NULL;
	ok(out->Xsize == o->size && out->Ysize == o->size && out->Bands == 3 &&
	   out->BandFmt == VIPS_FORMAT_UCHAR && vips_image_guess_interpretation(out) == VIPS_INTERPRETATION_sRGB,
	   "%s: %dx%d, %d bands, uchar, sRGB (got %dx%d, %d bands, format %d, %s)", name, o->size, o->size, 3,
	   out->Xsize, out->Ysize, out->Bands, out->BandFmt,
	   vips_enum_nick(VIPS_TYPE_INTERPRETATION, vips_image_guess_interpretation(out)));
	return out;
}

static rgb pixel(VipsImage *img, int x, int y)
{
	unsigned char *p = VIPS_IMAGE_ADDR(img, x, y);
	rgb c = { p[0], p[1], p[2] };
	return c;
}

static int close_to(rgb a, rgb b, int tol)
{
	return abs(a.r - b.r) <= tol && abs(a.g - b.g) <= tol && abs(a.b - b.b) <= tol;
}

static void is_px(VipsImage *img, int x, int y, rgb want, int tol, const char *name)
{
	rgb got = pixel(img, x, y);
	if (!ok(close_to(got, want, tol), "%s: pixel (%d,%d) is %d,%d,%d", name, x, y, want.r, want.g, want.b))
		printf("#   got %d,%d,%d\n", got.r, got.g, got.b);
}

static void expect_error(const char *name, const resize_opts *o, const void *buf, size_t len, const char *want)
{
	resize_result res;
	char err[512] = "";
	int rc = resize_image(o, buf, len, &res, err, sizeof err);
	if (rc == 0)
		resize_result_free(&res);
	if (!ok(rc != 0 && strstr(err, want) != NULL, "%s: refused with '%s'", name, want))
		printf("#   rc %d, error '%s'\n", rc, err);
}

static int popcount64(uint64_t x) { return __builtin_popcountll(x); }

static const unsigned char anim_gif[] = {  /* 8x8, frame 1 red, frame 2 blue */
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x08, 0x00, 0x08, 0x00, 0xf0, 0x00,
	0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x21, 0xff, 0x0b, 0x4e, 0x45, 0x54, 0x53, 0x43, 0x41,
	0x50, 0x45, 0x32, 0x2e, 0x30, 0x03, 0x01, 0x00, 0x00, 0x00, 0x2c, 0x00,
	0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x00, 0x00, 0x02, 0x07, 0x84, 0x8f,
	0xa9, 0xcb, 0xed, 0x5d, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x00, 0x80,
	0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x02, 0x07, 0x84, 0x8f, 0xa9, 0xcb,
	0xed, 0x5d, 0x00, 0x00, 0x3b
};

/* A 300x100 red|green|blue image in each mode, from one input format. */
static void test_modes(const char *sfx)
{
	resize_opts o;
	VipsImage *out;
	size_t len;
	void *buf = enc(rgb3(300, 100), sfx, &len);
	char name[128];
	o = opts(RESIZE_CROP);
	snprintf(name, sizeof name, "crop %s", sfx);
	if ((out = run(name, &o, buf, len, NULL))) {
		/* short side 100 -> 224: 672 wide, the centre 224 is the green third */
		is_px(out, 8, 8, GREEN, 40, name);
		is_px(out, 112, 112, GREEN, 40, name);
		is_px(out, 215, 215, GREEN, 40, name);
		g_object_unref(out);
	}
	o = opts(RESIZE_PAD);
	snprintf(name, sizeof name, "pad %s", sfx);
	if ((out = run(name, &o, buf, len, NULL))) {
		/* fit: 224 x 75 at rows 74..148, white above and below */
		is_px(out, 20, 112, RED, 40, name);
		is_px(out, 112, 112, GREEN, 40, name);
		is_px(out, 203, 112, BLUE, 40, name);
		is_px(out, 112, 10, WHITE, 0, name);
		is_px(out, 112, 213, WHITE, 0, name);
		is_px(out, 20, 70, WHITE, 2, name);
		is_px(out, 20, 78, RED, 40, name);
		is_px(out, 20, 145, RED, 40, name);
		is_px(out, 20, 152, WHITE, 2, name);
		g_object_unref(out);
	}
	o = opts(RESIZE_STRETCH);
	snprintf(name, sizeof name, "stretch %s", sfx);
	if ((out = run(name, &o, buf, len, NULL))) {
		is_px(out, 20, 2, RED, 40, name);
		is_px(out, 20, 221, RED, 40, name);
		is_px(out, 112, 2, GREEN, 40, name);
		is_px(out, 203, 221, BLUE, 40, name);
		g_object_unref(out);
	}
	o = opts(RESIZE_ATTENTION);
	snprintf(name, sizeof name, "attention %s", sfx);
	if ((out = run(name, &o, buf, len, NULL))) {
		/* a square window of the 672 x 224 strip: full height, no white,
		 * each column one of the three colours */
		rgb c = pixel(out, 112, 112);
		ok(close_to(c, RED, 40) || close_to(c, GREEN, 40) || close_to(c, BLUE, 40),
		   "%s: centre pixel is one of the stripes (%d,%d,%d)", name, c.r, c.g, c.b);
		g_object_unref(out);
	}
	g_free(buf);
}

/* attention looks at the busy part: a detailed square on a flat grey band */
static void test_attention_busy(void)
{
	const rgb c[8] = { { 128, 128, 128 }, { 128, 128, 128 }, { 128, 128, 128 }, { 128, 128, 128 },
	                   { 128, 128, 128 }, { 255, 0, 0 }, { 0, 0, 255 }, { 255, 255, 0 } };
	size_t len;
	void *buf = enc(stripes(800, 100, c, 8), ".png", &len);
	resize_opts o = opts(RESIZE_ATTENTION);
	VipsImage *out;
	if ((out = run("attention on the busy right end", &o, buf, len, NULL))) {
		rgb p = pixel(out, 200, 112);
		ok(!close_to(p, c[0], 30), "attention: the crop moved off the flat grey (right edge %d,%d,%d)",
		   p.r, p.g, p.b);
		g_object_unref(out);
	}
	o = opts(RESIZE_CROP);
	if ((out = run("crop of the same", &o, buf, len, NULL))) {
		is_px(out, 200, 112, c[0], 10, "crop keeps the grey centre");
		g_object_unref(out);
	}
	g_free(buf);
}

/* EXIF orientation 6: stored 200x100 red|blue, shown 100x200 red over blue */
static void test_exif_orientation(void)
{
	const rgb c[2] = { RED, BLUE };
	VipsImage *img = stripes(200, 100, c, 2), *out;
	resize_opts o = opts(RESIZE_STRETCH);
	size_t len;
	void *buf;
	vips_image_set_int(img, "orientation", 6);
	buf = enc(img, ".jpg[Q=95]", &len);
	if ((out = run("EXIF orientation 6", &o, buf, len, NULL))) {
		is_px(out, 112, 20, RED, 40, "EXIF orientation: red on top");
		is_px(out, 112, 203, BLUE, 40, "EXIF orientation: blue below");
		g_object_unref(out);
	}
	g_free(buf);
}

/* an embedded Display P3 profile: the pixels are P3 numbers for sRGB red */
static void test_icc_p3(void)
{
	VipsImage *img = rgb3(300, 300), *p3, *u8, *out;
	resize_opts o = opts(RESIZE_STRETCH);
	size_t len;
	void *buf;
	if (vips_icc_transform(img, &p3, "p3", "input_profile", "srgb", NULL) != 0) {
		ok(0, "make a P3 image: %s", vips_error_buffer());
		g_object_unref(img);
		return;
	}
	vips_cast(p3, &u8, VIPS_FORMAT_UCHAR, NULL);
	g_object_unref(p3);
	buf = enc(u8, ".png", &len);
	if ((out = run("ICC Display P3", &o, buf, len, NULL))) {
		is_px(out, 20, 112, RED, 12, "ICC profile applied: red stays red");
		is_px(out, 203, 112, BLUE, 12, "ICC profile applied: blue stays blue");
		g_object_unref(out);
	}
	g_free(buf);
	g_object_unref(img);
}

/* CMYK JPEG with its profile, or without (libvips' fallback CMYK profile) */
static void test_cmyk(int strip)
{
	VipsImage *img = rgb3(300, 300), *cmyk, *u8, *out;
	resize_opts o = opts(RESIZE_STRETCH);
	char name[128];
	size_t len;
	void *buf;
	snprintf(name, sizeof name, "CMYK JPEG %s profile", strip ? "without" : "with");
	if (vips_icc_transform(img, &cmyk, "cmyk", "input_profile", "srgb", NULL) != 0) {
		ok(0, "make a CMYK image: %s", vips_error_buffer());
		g_object_unref(img);
		return;
	}
	vips_cast(cmyk, &u8, VIPS_FORMAT_UCHAR, NULL);
	g_object_unref(cmyk);
	if (strip)
		vips_image_remove(u8, VIPS_META_ICC_NAME);
	u8->Type = VIPS_INTERPRETATION_CMYK;
	buf = enc(u8, ".jpg[Q=95]", &len);
	if ((out = run(name, &o, buf, len, NULL))) {
		/* CMYK's gamut has no pure sRGB red: red-ish is what we ask */
		rgb p = pixel(out, 20, 112), q = pixel(out, 203, 112);
		ok(p.r > 180 && p.g < 90 && p.b < 90, "%s: left is red (%d,%d,%d)", name, p.r, p.g, p.b);
		ok(q.b > 140 && q.r < 100 && q.g < 110, "%s: right is blue (%d,%d,%d)", name, q.r, q.g, q.b);
		g_object_unref(out);
	}
	g_free(buf);
	g_object_unref(img);
}

/* alpha onto white: RGBA or grey+alpha, left half opaque, right transparent black */
static void test_alpha(int grey)
{
	int nb = grey ? 2 : 4, w = 100, h = 100;
	unsigned char *p = calloc((size_t)w * h, nb);
	resize_opts o = opts(RESIZE_STRETCH);
	VipsImage *img, *out;
	char name[128];
	size_t len;
	void *buf;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w / 2; x++) {
			unsigned char *q = p + ((size_t)y * w + x) * nb;
			if (grey) { q[0] = 60; q[1] = 255; }
			else { q[0] = 255; q[1] = 0; q[2] = 0; q[3] = 255; }
		}
	img = vips_image_new_from_memory_copy(p, (size_t)w * h * nb, w, h, nb, VIPS_FORMAT_UCHAR);
	img->Type = grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
	free(p);
	buf = enc(img, ".png", &len);
	snprintf(name, sizeof name, "alpha (%s)", grey ? "grey + alpha" : "RGBA");
	if ((out = run(name, &o, buf, len, NULL))) {
		rgb want = grey ? (rgb){ 60, 60, 60 } : RED;
		is_px(out, 20, 112, want, 6, name);
		is_px(out, 203, 112, WHITE, 2, name);
		g_object_unref(out);
	}
	g_free(buf);
}

/* animations: the first frame */
static void test_animations(void)
{
	const rgb r1[1] = { RED }, b1[1] = { BLUE };
	VipsImage *f[2] = { stripes(64, 64, r1, 1), stripes(64, 64, b1, 1) }, *anim, *out;
	resize_opts o = opts(RESIZE_CROP);
	size_t len;
	void *buf;
	if ((out = run("animated GIF", &o, anim_gif, sizeof anim_gif, NULL))) {
		is_px(out, 112, 112, RED, 10, "animated GIF: first frame (red)");
		g_object_unref(out);
	}
	vips_arrayjoin(f, &anim, 2, "across", 1, NULL);
	g_object_unref(f[0]);
	g_object_unref(f[1]);
	vips_image_set_int(anim, "page-height", 64);
	buf = enc(anim, ".webp[lossless]", &len);
	if ((out = run("animated WebP", &o, buf, len, NULL))) {
		is_px(out, 112, 112, RED, 10, "animated WebP: first frame (red)");
		g_object_unref(out);
	}
	g_free(buf);
}

static void test_16bit_rgb(void)
{
	VipsImage *img = rgb3(300, 100), *wide, *out;
	resize_opts o = opts(RESIZE_STRETCH);
	size_t len;
	void *buf;
	vips_cast(img, &wide, VIPS_FORMAT_USHORT, NULL);
	g_object_unref(img);
	img = wide;
	vips_linear1(img, &wide, 257, 0, NULL);
	g_object_unref(img);
	vips_cast(wide, &img, VIPS_FORMAT_USHORT, NULL);
	g_object_unref(wide);
	img->Type = VIPS_INTERPRETATION_RGB16;
	buf = enc(img, ".png", &len);
	if ((out = run("16-bit RGB PNG", &o, buf, len, NULL))) {
		is_px(out, 20, 112, RED, 3, "16-bit RGB: red");
		is_px(out, 112, 112, GREEN, 3, "16-bit RGB: green");
		g_object_unref(out);
	}
	g_free(buf);
}

static void test_16bit_grey(void)
{
	unsigned short *p = malloc(100 * 100 * 2);
	resize_opts o = opts(RESIZE_STRETCH);
	VipsImage *img, *out;
	size_t len;
	void *buf;
	for (int i = 0; i < 100 * 100; i++)
		p[i] = (i % 100) < 50 ? 0 : 65535;
	img = vips_image_new_from_memory_copy(p, 100 * 100 * 2, 100, 100, 1, VIPS_FORMAT_USHORT);
	free(p);
	img->Type = VIPS_INTERPRETATION_GREY16;
	buf = enc(img, ".png", &len);
	if ((out = run("16-bit grey PNG", &o, buf, len, NULL))) {
		is_px(out, 20, 112, (rgb){ 0, 0, 0 }, 3, "16-bit grey: black half");
		is_px(out, 203, 112, WHITE, 3, "16-bit grey: white half");
		g_object_unref(out);
	}
	g_free(buf);
}

/* 8-bit greyscale JPEG: 3 equal bands */
static void test_greyscale_jpeg(void)
{
	VipsImage *img = rgb3(90, 90), *g, *out;
	resize_opts o = opts(RESIZE_CROP);
	double *gv = NULL;
	int ng = 0, want;
	size_t len;
	void *buf;
	vips_colourspace(img, &g, VIPS_INTERPRETATION_B_W, NULL);
	g_object_unref(img);
	vips_getpoint(g, &gv, &ng, 45, 45, NULL);
	want = ng ? (int)gv[0] : -1;
	g_free(gv);
	buf = enc(g, ".jpg[Q=95]", &len);
	if ((out = run("greyscale JPEG", &o, buf, len, NULL))) {
		rgb p = pixel(out, 112, 112);
		ok(p.r == p.g && p.g == p.b && abs(p.r - want) <= 3,
		   "greyscale: equal bands, the input's grey %d (%d,%d,%d)", want, p.r, p.g, p.b);
		g_object_unref(out);
	}
	g_free(buf);
}

/* tiny inputs are upscaled */
static void test_tiny(void)
{
	const rgb c[3] = { RED, GREEN, BLUE };
	resize_opts o = opts(RESIZE_STRETCH);
	VipsImage *out;
	size_t len;
	void *buf = enc(stripes(3, 1, c, 3), ".png", &len);
	if ((out = run("3x1 PNG", &o, buf, len, NULL))) {
		is_px(out, 10, 112, RED, 40, "3x1 stretched: red left");
		is_px(out, 213, 112, BLUE, 40, "3x1 stretched: blue right");
		g_object_unref(out);
	}
	o = opts(RESIZE_CROP);
	if ((out = run("3x1 PNG crop", &o, buf, len, NULL))) {
		is_px(out, 112, 112, GREEN, 40, "3x1 cropped: green centre");
		g_object_unref(out);
	}
	g_free(buf);
	buf = enc(stripes(1, 1, c + 2, 1), ".png", &len);
	if ((out = run("1x1 PNG", &o, buf, len, NULL))) {
		is_px(out, 0, 0, BLUE, 0, "1x1: blue everywhere");
		is_px(out, 223, 223, BLUE, 0, "1x1: blue everywhere");
		g_object_unref(out);
	}
	g_free(buf);
}

/* extreme aspect ratios, in mode m */
static void test_extreme_aspect(resize_mode m)
{
	resize_opts o = opts(m);
	VipsImage *out;
	char name[128];
	size_t len;
	void *buf = enc(rgb3(3000, 6), ".png", &len);
	snprintf(name, sizeof name, "3000x6 %s", resize_mode_name(m));
	if ((out = run(name, &o, buf, len, NULL))) {
		if (m == RESIZE_PAD) {
			/* 224 x 1 on row (224 - 1) / 2 */
			is_px(out, 20, 111, RED, 60, name);
			is_px(out, 112, 20, WHITE, 0, name);
		} else if (m == RESIZE_CROP) {
			is_px(out, 112, 112, GREEN, 40, name);
		}
		g_object_unref(out);
	}
	g_free(buf);
	buf = enc(rgb3(6, 3000), ".png", &len);
	snprintf(name, sizeof name, "6x3000 %s", resize_mode_name(m));
	if ((out = run(name, &o, buf, len, NULL))) {
		if (m == RESIZE_PAD)
			is_px(out, 10, 112, WHITE, 0, name);
		g_object_unref(out);
	}
	g_free(buf);
}

/* pixel limit: from the header, before decoding */
static void test_pixel_limit(void)
{
	resize_opts o = opts(RESIZE_CROP);
	VipsImage *out;
	unsigned char *j;
	size_t len;
	void *buf = enc(rgb3(30, 30), ".png", &len);
	o.max_pixels = 899;
	expect_error("30x30 over --max-pixels 899", &o, buf, len, "900 pixels, over the limit of 899");
	o.max_pixels = 900;
	if ((out = run("30x30 at --max-pixels 900", &o, buf, len, NULL)))
		g_object_unref(out);
	g_free(buf);
	/* a JPEG whose header claims 60000 x 60000: refused at once */
	buf = enc(rgb3(16, 16), ".jpg", &len);
	j = buf;
	for (size_t i = 0; i + 9 < len; i++)
		if (j[i] == 0xff && (j[i + 1] == 0xc0 || j[i + 1] == 0xc2)) {
			j[i + 5] = 60000 >> 8; j[i + 6] = 60000 & 255;
			j[i + 7] = 60000 >> 8; j[i + 8] = 60000 & 255;
			break;
		}
	o = opts(RESIZE_CROP);
	expect_error("JPEG bomb header 60000x60000", &o, buf, len, "3600000000 pixels, over the limit");
	g_free(buf);
}

/* a noisy picture cut short, in format sfx: the end marker is missing */
static void test_truncated(const char *sfx, const char *want)
{
	resize_opts o = opts(RESIZE_CROP);
	VipsImage *img, *noise, *t, *out;
	char name[128];
	size_t len;
	void *buf;
	vips_gaussnoise(&noise, 400, 300, "sigma", 60.0, NULL);
	vips_cast(noise, &t, VIPS_FORMAT_UCHAR, NULL);
	g_object_unref(noise);
	{
		VipsImage *b3[3] = { t, t, t };
		vips_bandjoin(b3, &img, 3, NULL);
	}
	g_object_unref(t);
	img->Type = VIPS_INTERPRETATION_sRGB;
	buf = enc(img, sfx, &len);
	snprintf(name, sizeof name, "truncated %s", sfx);
	expect_error(name, &o, buf, len / 2, want);
	snprintf(name, sizeof name, "%s cut 10 bytes short", sfx);
	expect_error(name, &o, buf, len - 10, want);
	snprintf(name, sizeof name, "whole %s", sfx);
	if ((out = run(name, &o, buf, len, NULL)))
		g_object_unref(out);
	g_free(buf);
}

static void test_not_images(void)
{
	resize_opts o = opts(RESIZE_CROP);
	expect_error("zero bytes", &o, "", 0, "empty file");
	expect_error("text file", &o, "<html><body>not found</body></html>\n", 36, "not a recognised image format");
	expect_error("SVG (not a web photo format)", &o,
	             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>", 64, "format");
}

/* the white placeholder and the hash of a flat image */
static void test_white(void)
{
	resize_opts o = opts(RESIZE_CROP);
	VipsImage *out;
	uint64_t h = 0;
	if ((out = run("white placeholder", &o, NULL, 0, &h))) {
		is_px(out, 0, 0, WHITE, 0, "white: (0,0)");
		is_px(out, 223, 223, WHITE, 0, "white: (223,223)");
		g_object_unref(out);
	}
	ok(h == (uint64_t)1 << 63, "flat image: only the DC bit is set (%016llx)", (unsigned long long)h);
}

static void test_output_formats(void)
{
	const resize_format fm[3] = { RESIZE_JPG, RESIZE_PNG, RESIZE_WEBP };
	const char *magic[3] = { "\xff\xd8\xff", "\x89PNG", "RIFF" };
	size_t len;
	void *buf = enc(rgb3(300, 100), ".png", &len);
	for (int f = 0; f < 3; f++) {
		resize_opts o = opts(RESIZE_CROP);
		resize_result res;
		char err[256];
		o.format = fm[f];
		ok(resize_image(&o, buf, len, &res, err, sizeof err) == 0 && res.len > 4 &&
		   memcmp(res.data, magic[f], strlen(magic[f])) == 0, "format %s: right magic", resize_format_name(fm[f]));
		if (f == 0) {
			VipsImage *m = vips_image_new_from_buffer(res.data, res.len, "", NULL);
			ok(m && !vips_image_get_typeof(m, "exif-data") && !vips_image_get_typeof(m, VIPS_META_ICC_NAME),
			   "jpg output carries no EXIF and no ICC profile");
			if (m)
				g_object_unref(m);
		}
		resize_result_free(&res);
	}
	g_free(buf);
}

/* metadata is stripped even when the input had EXIF and a profile */
static void test_metadata_stripped(void)
{
	VipsImage *img = rgb3(300, 300), *p3, *u8, *m;
	resize_opts o = opts(RESIZE_CROP);
	resize_result res;
	char err[256];
	size_t len;
	void *buf;
	vips_icc_transform(img, &p3, "p3", "input_profile", "srgb", NULL);
	vips_cast(p3, &u8, VIPS_FORMAT_UCHAR, NULL);
	g_object_unref(p3);
	g_object_unref(img);
	vips_image_set_int(u8, "orientation", 3);
	buf = enc(u8, ".jpg", &len);
	o.format = RESIZE_JPG;
	if (ok(resize_image(&o, buf, len, &res, err, sizeof err) == 0, "input with EXIF and ICC: resized")) {
		m = vips_image_new_from_buffer(res.data, res.len, "", NULL);
		ok(m && !vips_image_get_typeof(m, "exif-data") && !vips_image_get_typeof(m, VIPS_META_ICC_NAME) &&
		   !vips_image_get_typeof(m, "orientation"), "output: EXIF, orientation and ICC gone");
		if (m)
			g_object_unref(m);
		resize_result_free(&res);
	}
	g_free(buf);
}

/* The hash of resizing img (a reference taken) encoded with sfx. */
static uint64_t phash_of(VipsImage *img, const char *sfx, const char *name)
{
	resize_opts o = opts(RESIZE_CROP);
	VipsImage *out;
	uint64_t h = 0;
	size_t len;
	void *buf = enc(img, sfx, &len);
	if ((out = run(name, &o, buf, len, &h)))
		g_object_unref(out);
	g_free(buf);
	return h;
}

/* the perceptual hash: stable under re-encoding, far for other pictures */
static void test_phash_stable(void)
{
	VipsImage *noise, *n8, *img, *t;
	uint64_t h1, h2, h3, h4;
	vips_gaussnoise(&noise, 64, 48, "sigma", 80.0, "mean", 128.0, NULL);
	vips_cast(noise, &n8, VIPS_FORMAT_UCHAR, NULL);
	g_object_unref(noise);
	{
		VipsImage *b3[3] = { n8, n8, n8 };
		vips_bandjoin(b3, &img, 3, NULL);
	}
	g_object_unref(n8);
	img->Type = VIPS_INTERPRETATION_sRGB;
	vips_resize(img, &t, 10, NULL);   /* smooth blobs 640x480 */
	g_object_unref(img);
	img = t;
	g_object_ref(img);
	h1 = phash_of(img, ".png", "phash: original");
	g_object_ref(img);
	h2 = phash_of(img, ".jpg[Q=40]", "phash: JPEG Q=40 copy");
	vips_flip(img, &t, VIPS_DIRECTION_HORIZONTAL, NULL);
	h3 = phash_of(t, ".png", "phash: mirrored");
	h4 = phash_of(rgb3(300, 300), ".png", "phash: stripes");
	g_object_unref(img);
	ok(popcount64(h1 ^ h2) <= 4, "phash: JPEG copy within 4 bits (%d)", popcount64(h1 ^ h2));
	ok(popcount64(h1 ^ h3) >= 12, "phash: mirror image far (%d bits)", popcount64(h1 ^ h3));
	ok(popcount64(h1 ^ h4) >= 12, "phash: other picture far (%d bits)", popcount64(h1 ^ h4));
}

/* resize_phash_rgb on crafted pixels: a left-dark/right-bright image has
 * positive DC, and its (0,1) coefficient is strongly negative */
static void test_phash_crafted(void)
{
	static unsigned char px[64 * 64 * 3];
	uint64_t h;
	for (int y = 0; y < 64; y++)
		for (int x = 0; x < 64; x++)
			memset(px + (y * 64 + x) * 3, x < 32 ? 0 : 255, 3);
	h = resize_phash_rgb(px, 64, 64);
	ok(h >> 63 == 1, "crafted: DC bit set");
	ok(((h >> 62) & 1) == 0, "crafted: horizontal first harmonic below the median");
	ok(((h >> 55) & 1) == 0, "crafted: vertical first harmonic (zero) not above the median");
}

int main(int argc, char **argv)
{
	(void)argc;
	if (VIPS_INIT(argv[0]))
		return 2;
	resize_setup();
	test_modes(".png");
	test_modes(".jpg[Q=95]");
	test_modes(".webp[lossless]");
	test_attention_busy();
	test_exif_orientation();
	test_icc_p3();
	test_cmyk(0);
	test_cmyk(1);
	test_alpha(0);
	test_alpha(1);
	test_animations();
	test_16bit_rgb();
	test_16bit_grey();
	test_greyscale_jpeg();
	test_tiny();
	for (int m = 0; m < 4; m++)
		test_extreme_aspect(m);
	test_pixel_limit();
	test_truncated(".jpg", "truncated file (JPEG");
	test_truncated(".png", "truncated file (PNG");
	test_truncated(".webp", "truncated file (WebP");
	test_not_images();
	test_white();
	test_output_formats();
	test_metadata_stripped();
	test_phash_stable();
	test_phash_crafted();
	vips_shutdown();
	return tap_done();
}
