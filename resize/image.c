/* image.c: one raw image to one exact size x size, 3-band, 8-bit sRGB output
 * with libvips (see image.h). The header is read first so that a
 * decompression bomb is refused before any pixel is decoded; then
 * vips_thumbnail_buffer() decodes with shrink-on-load (JPEG, WebP), applies
 * the EXIF orientation, takes the first page of animations and imports
 * embedded ICC profiles (CMYK included) to sRGB; the rest (16-bit, grey,
 * alpha onto white, letterbox) is done on the already small image. Loaders
 * run with fail-on=error, so a truncated file is an error instead of a
 * partly grey picture. The perceptual hash is computed from the final pixels
 * before encoding, so identical outputs always share a hash. */
#include "config.h"
#include "image.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

static const char *mode_names[] = { "crop", "attention", "pad", "stretch" };
static const char *format_names[] = { "jpg", "png", "webp" };

int resize_mode_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, mode_names[i]) == 0)
			return i;
	return -1;
}

int resize_format_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, format_names[i]) == 0)
			return i;
	if (strcmp(s, "jpeg") == 0)
		return RESIZE_JPG;
	return -1;
}

const char *resize_mode_name(resize_mode m) { return mode_names[m]; }
const char *resize_format_name(resize_format f) { return format_names[f]; }

/* The reason libvips gave, on one line, or `fallback` when another thread
 * already took the shared error buffer. */
static void vips_reason(char *err, size_t errlen, const char *fallback)
{
	char *msg = vips_error_buffer_copy();
	char *p = msg;
	size_t n;
	/* keep the last non-empty line: the most specific one */
	if (p) {
		char *line = NULL;
		for (char *q = strtok(p, "\n"); q; q = strtok(NULL, "\n"))
			if (*q)
				line = q;
		p = line;
	}
	if (p && *p) {
		snprintf(err, errlen, "%s", p);
		n = strlen(err);
		while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
	} else {
		snprintf(err, errlen, "%s", fallback);
	}
	g_free(msg);
}

/* The unnormalised DCT-II basis for the 8 lowest frequencies of 32 samples. */
static double dct_basis[8][32];
static pthread_once_t dct_once = PTHREAD_ONCE_INIT;
static void dct_init(void)
{
	for (int k = 0; k < 8; k++)
		for (int n = 0; n < 32; n++)
			dct_basis[k][n] = cos(M_PI * k * (2 * n + 1) / 64.0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

uint64_t resize_colour_rgb(const unsigned char *rgb, int w, int h)
{
	uint64_t sig = 0;
	for (int q = 0; q < 4; q++) {
		int x0 = (q & 1) ? w / 2 : 0, x1 = (q & 1) ? w : w / 2;
		int y0 = (q & 2) ? h / 2 : 0, y1 = (q & 2) ? h : h / 2;
		double sum[3] = { 0, 0, 0 };
		long n = 0;
		for (int y = y0; y < y1; y++)
			for (int x = x0; x < x1; x++, n++)
				for (int c = 0; c < 3; c++)
					sum[c] += rgb[((size_t)y * w + x) * 3 + c];
		for (int c = 0; c < 3; c++) {
			uint64_t level = n ? (uint64_t)(sum[c] / (double)n / 256.0 * 32.0) : 0;
			sig |= (level > 31 ? 31 : level) << (5 * (3 * q + c));
		}
	}
	return sig;
}

/* pHash in the manner of the Python imagehash package's phash(): grey
 * (ITU-R 601 luma, as Pillow's "L"), area-averaged to 32 x 32, a 2-D DCT-II,
 * the 8 x 8 lowest frequencies (DC included), each bit = coefficient >
 * median of those 64 (a coefficient within 1e-6 of the median, rounding
 * noise, counts as not above it). Bit 63 is frequency (0,0), then row-major
 * (vertical frequency first): the hash read as 16 hex digits is imagehash's
 * string for the same 32 x 32 grey. imagehash shrinks the original image
 * with Pillow; here the 32 x 32 grey is box-averaged from the output. */
uint64_t resize_phash_rgb(const unsigned char *rgb, int w, int h)
{
	double grey[32][32], rows[32][8], low[64], sorted[64], med;
	uint64_t hash = 0;

	pthread_once(&dct_once, dct_init);
	for (int i = 0; i < 32; i++) {
		int y0 = i * h / 32, y1 = (i + 1) * h / 32;
		if (y1 <= y0)
			y1 = y0 + 1;
		for (int j = 0; j < 32; j++) {
			int x0 = j * w / 32, x1 = (j + 1) * w / 32;
			double sum = 0;
			if (x1 <= x0)
				x1 = x0 + 1;
			for (int y = y0; y < y1; y++) {
				const unsigned char *p = rgb + ((size_t)y * w + x0) * 3;
				for (int x = x0; x < x1; x++, p += 3)
					sum += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
			}
			grey[i][j] = sum / ((double)(y1 - y0) * (x1 - x0));
		}
	}
	/* along each row, then down the columns */
	for (int i = 0; i < 32; i++)
		for (int v = 0; v < 8; v++) {
			double s = 0;
			for (int j = 0; j < 32; j++)
				s += grey[i][j] * dct_basis[v][j];
			rows[i][v] = 2 * s;
		}
	for (int u = 0; u < 8; u++)
		for (int v = 0; v < 8; v++) {
			double s = 0;
			for (int i = 0; i < 32; i++)
				s += rows[i][v] * dct_basis[u][i];
			low[u * 8 + v] = 2 * s;
		}
	memcpy(sorted, low, sizeof low);
	qsort(sorted, 64, sizeof *sorted, cmp_double);
	med = (sorted[31] + sorted[32]) / 2;
	/* tolerate rounding noise: a flat image has 63 coefficients of ~1e-13 */
	for (int k = 0; k < 64; k++)
		if (low[k] > med + 1e-6 * (fabs(med) + 1))
			hash |= (uint64_t)1 << (63 - k);
	return hash;
}

/* The formats a web page's cover comes in; anything else (PDF, SVG, and
 * ImageMagick's hundreds of formats) is refused, a smaller attack surface. */
static int web_loader(const char *loader)
{
	/* class names such as VipsForeignLoadJpegBuffer */
	static const char *ok[] = { "Jpeg", "Png", "Webp", "Nsgif", "Gif", "Tiff", "Heif", NULL };
	const char *pre = "VipsForeignLoad";
	if (strncmp(loader, pre, strlen(pre)) != 0)
		return 0;
	loader += strlen(pre);
	for (int i = 0; ok[i]; i++)
		if (strncmp(loader, ok[i], strlen(ok[i])) == 0)
			return 1;
	return 0;
}

/* libjpeg and libpng only warn about a file that stops early, and
 * libvips 8.14's fail-on=truncated does not catch those warnings, so the
 * end of the file is checked here. The format name when the end marker
 * is missing, else NULL:
 *  JPEG: an EOI marker (FF D9) after the last start-of-scan (FF DA); inside
 *        entropy-coded data FF is always stuffed, so neither appears there;
 *  PNG:  an IEND chunk in the last 4 KiB;
 *  WebP: the RIFF length fits in the file. */
static const char *truncated(const void *buf, size_t len, const char *loader)
{
	const unsigned char *p = buf;
	if (strstr(loader, "Jpeg")) {
		/* from the end back: the first of EOI / SOS met decides; a
		 * whole file usually ends with EOI, so this is O(1) */
		for (size_t i = len >= 2 ? len - 1 : 0; i-- > 0;)
			if (p[i] == 0xff) {
				if (p[i + 1] == 0xd9)
					return NULL;
				if (p[i + 1] == 0xda)
					return "JPEG";
			}
		return "JPEG";
	}
	if (strstr(loader, "Png")) {
		size_t stop = len > 4096 ? len - 4096 : 8;
		for (size_t i = len >= 4 ? len - 4 + 1 : 0; i-- > stop;)
			if (memcmp(p + i, "IEND", 4) == 0)
				return NULL;
		return "PNG";
	}
	if (strstr(loader, "Webp") && len >= 12) {
		size_t riff = (size_t)p[4] | (size_t)p[5] << 8 | (size_t)p[6] << 16 | (size_t)p[7] << 24;
		return len >= riff + 8 ? NULL : "WebP";
	}
	return NULL;
}

/* libvips' warnings (a loader's complaints about a file) would flood the
 * terminal in a batch; the errors that matter come back as errors. */
static void drop_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	(void)domain; (void)level; (void)msg; (void)data;
}

void resize_setup(void)
{
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, drop_log, NULL);
	vips_cache_set_max(0);
	vips_block_untrusted_set(TRUE);
}

/* Replace *img by out (taking ownership), dropping the old reference. */
static void step(VipsImage **img, VipsImage *out)
{
	g_object_unref(*img);
	*img = out;
}

/* A white size x size sRGB image, for placeholder items without a raw
 * file. */
static VipsImage *white_image(int size, char *err, size_t errlen)
{
	VipsImage *img = NULL, *t = NULL;
	if (vips_black(&img, size, size, "bands", 3, NULL) ||
	    vips_linear1(img, &t, 1, 255, "uchar", TRUE, NULL)) {
		vips_reason(err, errlen, "cannot make a white image");
		if (img)
			g_object_unref(img);
		return NULL;
	}
	step(&img, t);
	img->Type = VIPS_INTERPRETATION_sRGB;
	return img;
}

/* Before any pixel is decoded: a web photo format, a whole file, and not
 * more pixels than allowed (the header's size goes to res). */
static int check_input(const resize_opts *o, const void *buf, size_t len, resize_result *res,
                       char *err, size_t errlen)
{
	const char *loader;
	VipsImage *t;
	if (len == 0) {
		snprintf(err, errlen, "empty file");
		return -1;
	}
	loader = vips_foreign_find_load_buffer(buf, len);
	if (!loader) {
		vips_error_clear();
		snprintf(err, errlen, "not a recognised image format");
		return -1;
	}
	if (!web_loader(loader)) {
		snprintf(err, errlen, "unsupported image format (%s)", loader);
		return -1;
	}
	if (truncated(buf, len, loader)) {
		snprintf(err, errlen, "truncated file (%s end marker missing)", truncated(buf, len, loader));
		return -1;
	}
	t = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!t) {
		vips_reason(err, errlen, "cannot read the image header");
		return -1;
	}
	res->in_width = t->Xsize;
	res->in_height = vips_image_get_page_height(t);
	g_object_unref(t);
	if (o->max_pixels > 0 && (long long)res->in_width * res->in_height > o->max_pixels) {
		snprintf(err, errlen, "image is %dx%d = %lld pixels, over the limit of %lld (--max-pixels)",
		         res->in_width, res->in_height, (long long)res->in_width * res->in_height, o->max_pixels);
		return -1;
	}
	return 0;
}

/* Decode with shrink-on-load to the mode's geometry (the EXIF orientation
 * applied, the first page, CMYK imported). NULL with a reason. */
static VipsImage *thumbnail(const resize_opts *o, const void *buf, size_t len, char *err, size_t errlen)
{
	VipsImage *img = NULL;
	int size = o->size, rc;
	if (o->mode == RESIZE_STRETCH)
		rc = vips_thumbnail_buffer((void *)buf, len, &img, size, "height", size,
		                           "size", VIPS_SIZE_FORCE,
		                           "fail_on", VIPS_FAIL_ON_ERROR, NULL);
	else if (o->mode == RESIZE_PAD)
		rc = vips_thumbnail_buffer((void *)buf, len, &img, size, "height", size,
		                           "fail_on", VIPS_FAIL_ON_ERROR, NULL);
	else
		rc = vips_thumbnail_buffer((void *)buf, len, &img, size, "height", size,
		                           "crop", o->mode == RESIZE_ATTENTION ?
		                           VIPS_INTERESTING_ATTENTION : VIPS_INTERESTING_CENTRE,
		                           "fail_on", VIPS_FAIL_ON_ERROR, NULL);
	if (rc) {
		vips_reason(err, errlen, "cannot decode the image");
		return NULL;
	}
	return img;
}

/* An embedded profile (Display P3, Adobe RGB, a grey one; CMYK was
 * imported by the thumbnail already): to sRGB, on the small image.
 * (vips_thumbnail's own export_profile path goes through Lab and shifts
 * saturated blues in libvips 8.14, so it is not used.) A profile that does
 * not fit the image is ignored, as browsers do. */
static void apply_profile(VipsImage **img)
{
	VipsImage *t = NULL;
	if (!vips_image_get_typeof(*img, VIPS_META_ICC_NAME))
		return;
	if (vips_icc_transform(*img, &t, "srgb", "embedded", TRUE, "input_profile", "srgb",
	                       "intent", VIPS_INTENT_RELATIVE, NULL) == 0)
		step(img, t);
	else
		vips_error_clear();
}

/* 16-bit, grey, CMYK left over, Lab...: to 3-band 8-bit sRGB, alpha
 * flattened onto bg. -1 when libvips fails (its reason is left to the
 * caller). */
static int to_rgb8(VipsImage **img, VipsArrayDouble *bg)
{
	VipsImage *t;
	if ((*img)->Type != VIPS_INTERPRETATION_sRGB || (*img)->BandFmt != VIPS_FORMAT_UCHAR) {
		VipsInterpretation in = vips_image_guess_interpretation(*img);
		if (in == VIPS_INTERPRETATION_MULTIBAND)   /* 2 bands of unknown meaning: grey + alpha */
			in = (*img)->Bands <= 2 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
		if (vips_colourspace(*img, &t, VIPS_INTERPRETATION_sRGB, "source_space", in, NULL))
			return -1;
		step(img, t);
	}
	if (vips_image_hasalpha(*img) || (*img)->Bands > 3) {
		if ((*img)->Bands > 4) {
			if (vips_extract_band(*img, &t, 0, "n", 4, NULL))
				return -1;
			step(img, t);
		}
		if (vips_flatten(*img, &t, "background", bg, NULL))
			return -1;
		step(img, t);
	}
	if ((*img)->Bands == 1) {
		VipsImage *b3[3] = { *img, *img, *img };
		if (vips_bandjoin(b3, &t, 3, NULL))
			return -1;
		step(img, t);
	}
	if ((*img)->BandFmt != VIPS_FORMAT_UCHAR) {
		if (vips_cast(*img, &t, VIPS_FORMAT_UCHAR, NULL))
			return -1;
		step(img, t);
	}
	return 0;
}

/* The decoded, exact size x size RGB pixels, the hash taken from them and
 * the encoded output into res. */
static int hash_and_encode(const resize_opts *o, VipsImage *mem, resize_result *res, char *err, size_t errlen)
{
	void *out = NULL;
	size_t outlen = 0;
	int rc = -1;
	if (mem->Bands != 3 || mem->BandFmt != VIPS_FORMAT_UCHAR || mem->Xsize != o->size || mem->Ysize != o->size) {
		snprintf(err, errlen, "internal: output is %dx%d with %d bands", mem->Xsize, mem->Ysize, mem->Bands);
		return -1;
	}
	mem->Type = VIPS_INTERPRETATION_sRGB;
	res->phash = resize_phash_rgb(VIPS_IMAGE_ADDR(mem, 0, 0), o->size, o->size);
	res->colour = resize_colour_rgb(VIPS_IMAGE_ADDR(mem, 0, 0), o->size, o->size);
	switch (o->format) {
	case RESIZE_JPG:
		rc = vips_jpegsave_buffer(mem, &out, &outlen, "Q", o->quality, "strip", TRUE, NULL);
		break;
	case RESIZE_PNG:
		rc = vips_pngsave_buffer(mem, &out, &outlen, "strip", TRUE, "compression", 6, NULL);
		break;
	case RESIZE_WEBP:
		rc = vips_webpsave_buffer(mem, &out, &outlen, "Q", o->quality, "strip", TRUE, NULL);
		break;
	}
	if (rc) {
		vips_reason(err, errlen, "cannot encode the output");
		return -1;
	}
	res->data = out;
	res->len = outlen;
	return 0;
}

/* The decoded image (or NULL for white) to exactly size x size RGB: colour
 * conversion, then a letterbox, which is also a guard for the exact
 * geometry in every mode. Consumes *img into the returned in-memory image. */
static VipsImage *finish_pixels(VipsImage **img, int decoded, int size, VipsArrayDouble *bg,
                                char *err, size_t errlen)
{
	VipsImage *t, *mem;
	if (decoded) {
		apply_profile(img);
		if (to_rgb8(img, bg) < 0)
			goto vfail;
	}
	if ((*img)->Xsize != size || (*img)->Ysize != size) {
		if (vips_gravity(*img, &t, VIPS_COMPASS_DIRECTION_CENTRE, size, size,
		                 "extend", VIPS_EXTEND_BACKGROUND, "background", bg, NULL))
			goto vfail;
		step(img, t);
	}
	/* decode once, into memory: both the hash and the encoder read it */
	mem = vips_image_copy_memory(*img);
	if (!mem)
		vips_reason(err, errlen, "cannot decode the image");
	return mem;
vfail:
	vips_reason(err, errlen, "image processing failed");
	return NULL;
}

int resize_image(const resize_opts *o, const void *buf, size_t len, resize_result *res,
                 char *err, size_t errlen)
{
	VipsImage *img = NULL, *mem = NULL;
	double white[3] = { 255, 255, 255 };
	VipsArrayDouble *bg = vips_array_double_new(white, 3);
	int rc = -1;

	memset(res, 0, sizeof *res);
	if (!buf)
		img = white_image(o->size, err, errlen);
	else if (check_input(o, buf, len, res, err, errlen) == 0)
		img = thumbnail(o, buf, len, err, errlen);
	if (img && (mem = finish_pixels(&img, buf != NULL, o->size, bg, err, errlen)) != NULL)
		rc = hash_and_encode(o, mem, res, err, errlen);
	vips_area_unref(VIPS_AREA(bg));
	if (mem)
		g_object_unref(mem);
	if (img)
		g_object_unref(img);
	return rc;
}

void resize_result_free(resize_result *res)
{
	g_free(res->data);
	res->data = NULL;
	res->len = 0;
}
