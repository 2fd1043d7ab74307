/* crawl-image.c: image validation with libvips (see crawl-image.h). The
 * loader is found by sniffing (the signatures of JPEG, PNG, WebP and GIF
 * here, anything else by vips_foreign_find_load_buffer); only JPEG,
 * PNG, WebP, GIF, TIFF, HEIF/AVIF and JPEG XL are accepted (an SVG logo or a
 * PDF is not a cover). The header gives the true size; then every pixel row
 * is decoded, with failure on truncation, so a truncated or corrupt file is
 * refused. Validation runs on every fetched image, so it is made cheap:
 *  - JPEG is decoded with shrink-on-load (shrink=8: libjpeg still reads and
 *    Huffman-decodes the coefficients, but skips most of the IDCT and colour
 *    work; libvips crops a last partial row of MCUs, so the shrunk decode
 *    may stop short of the last bytes: the marker structure must also reach
 *    the EOI, which a full decode demands too), WebP with scaled
 *    decoding (scale=1/8: every macroblock is still decoded, the output is
 *    small); PNG, GIF and the rest are decoded at full size;
 *  - the loader named by the sniff is opened once (header), and that same
 *    image is decoded when no shrink applies; WebP is opened again with the
 *    scale; a JPEG is opened once, shrunk, its true size read from the SOF
 *    segment (and checked against the shrunk size libvips reports);
 *  - the rows are pulled through a region in strips on the calling thread
 *    (no libvips thread pool, no pixel arithmetic): the decode is the work.
 * libvips' operation cache is off and its concurrency 1: the crawler runs
 * its own validator threads. */
#include "config.h"
#include "crawl-image.h"
#include "vmind/lib/util.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <vips/vips.h>

static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	(void)domain;
	(void)level;
	(void)msg;
	(void)data;
}

/* How a format is decoded for validation. */
enum shrink_kind { SHRINK_NONE, SHRINK_JPEG, SHRINK_WEBP };

static const struct fmt {
	const char *loader, *mime, *ext;
	enum shrink_kind shrink;
	const char *nick;   /* its loader operation, for the formats sniffed here */
} fmts[] = {
	/* matched against the loader's class name, e.g. VipsForeignLoadJpegBuffer */
	{ "jpeg", "image/jpeg", "jpg", SHRINK_JPEG, "jpegload_buffer" },
	{ "png", "image/png", "png", SHRINK_NONE, "pngload_buffer" },
	{ "webp", "image/webp", "webp", SHRINK_WEBP, "webpload_buffer" },
	{ "gif", "image/gif", "gif", SHRINK_NONE, "gifload_buffer" },
	{ "tiff", "image/tiff", "tif", SHRINK_NONE, NULL },
	{ "heif", "image/heif", "heic", SHRINK_NONE, NULL },
	{ "jxl", "image/jxl", "jxl", SHRINK_NONE, NULL },
	{ NULL, NULL, NULL, SHRINK_NONE, NULL }
};

/* fmts[i].nick exists in this libvips: a property of the library, found
 * once (find_loaders under pthread_once) and only read afterwards, so it
 * stays file-scope. */
static int have_nick[4];
static pthread_once_t loaders_once = PTHREAD_ONCE_INIT;

static void find_loaders(void)
{
	for (int i = 0; i < 4; i++)
		have_nick[i] = vips_type_find("VipsOperation", fmts[i].nick) != 0;
}

/* The four common web formats, by the same signatures libvips' loaders
 * test (JPEG SOI, PNG signature, RIFF....WEBP, GIF87a/GIF89a): an index
 * in fmts, or -1 to ask libvips (vips_foreign_find_load_buffer, which
 * ranks every loader on each call, and costs more than this). */
static int sniff(const unsigned char *b, size_t len)
{
	int k = -1;
	if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
		k = 0;
	else if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		k = 1;
	else if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
		k = 2;
	else if (len >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
		k = 3;
	return k >= 0 && have_nick[k] ? k : -1;
}

void crawl_image_init(const char *argv0)
{
	if (VIPS_INIT(argv0 ? argv0 : "vmind-crawl"))
		vm_die("libvips could not be initialised: %s", vips_error_buffer());
	vips_cache_set_max(0);
	/* a corrupt file is refused with a reason; libvips need not say more */
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, quiet_log, NULL);
	vips_concurrency_set(1);
	pthread_once(&loaders_once, find_loaders);
}

/* The operation of a loader class, e.g. "jpegload_buffer", or NULL. */
static const char *load_nickname(const char *loader)
{
	VipsObjectClass *cls = (VipsObjectClass *)vips_class_find("VipsForeignLoad", loader);
	return cls ? cls->nickname : NULL;
}

/* Open buf with operation op (a *load_buffer), access sequential, failing on
 * truncation, with one extra option (name, int or double value) or none. */
static VipsImage *open_with(const char *op, const void *buf, size_t len, const char *opt, double val)
{
	VipsOperation *o = vips_operation_new(op);
	VipsBlob *blob = NULL;
	VipsImage *out = NULL;
	if (!o)
		return NULL;
	blob = vips_blob_new(NULL, buf, len);   /* borrowed: the bytes outlive the image */
	g_object_set(o, "buffer", blob, "fail_on", VIPS_FAIL_ON_TRUNCATED,
	             "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	vips_area_unref(VIPS_AREA(blob));
	if (opt && strcmp(opt, "shrink") == 0)
		g_object_set(o, "shrink", (int)val, NULL);
	else if (opt)
		g_object_set(o, opt, val, NULL);
	if (vips_cache_operation_buildp(&o) != 0) {
		vips_object_unref_outputs(VIPS_OBJECT(o));
		g_object_unref(o);
		return NULL;
	}
	g_object_get(o, "out", &out, NULL);   /* a new reference */
	vips_object_unref_outputs(VIPS_OBJECT(o));
	g_object_unref(o);
	return out;
}

/* Decode every pixel of im, strip by strip, on this thread. */
static int decode_all(VipsImage *im)
{
	VipsRegion *reg = vips_region_new(im);
	int w = vips_image_get_width(im), h = vips_image_get_height(im), rc = 0;
	int bytes_per_line = (int)VIPS_IMAGE_SIZEOF_LINE(im);
	int strip = bytes_per_line > 0 ? (1 << 20) / bytes_per_line : 1;
	if (!reg)
		return -1;
	if (strip < 16)
		strip = 16;
	for (int y = 0; y < h && rc == 0; y += strip) {
		VipsRect r = { 0, y, w, h - y < strip ? h - y : strip };
		rc = vips_region_prepare(reg, &r);
	}
	g_object_unref(reg);
	return rc;
}

/* 1 unless the JPEG visibly ends early: its header segments are walked from
 * SOI to the first SOS, and an EOI marker must follow somewhere after it
 * (entropy-coded data cannot contain one: 0xFF is stuffed as FF 00). A
 * shrunk decode may finish without reading the last bytes of the data, so
 * a file cut short by a few bytes would pass it; a full decode refuses such
 * a file (premature end of data), and so does this check. A header that
 * cannot be walked is left to libjpeg, which already read it. */
static int jpeg_has_eoi(const unsigned char *b, size_t len)
{
	size_t p = 2, sos = 0;   /* after SOI */
	while (p + 4 <= len && b[p] == 0xFF) {
		unsigned m = b[p + 1];
		if (m == 0xFF) {                  /* fill byte */
			p++;
			continue;
		}
		size_t seglen = (size_t)b[p + 2] << 8 | b[p + 3];
		if (seglen < 2)
			return 1;
		if (m == 0xDA) {
			sos = p + 2 + seglen;
			break;
		}
		p += 2 + seglen;
	}
	if (sos == 0 || sos > len)
		return sos == 0;
	for (size_t q = len; q >= sos + 2; q--)
		if (b[q - 2] == 0xFF && b[q - 1] == 0xD9)
			return 1;
	return 0;
}

/* The size in a JPEG's SOF segment (segments walked from SOI), or 0. */
static int jpeg_sof_size(const unsigned char *b, size_t len, int *w, int *h)
{
	size_t p = 2;
	while (p + 4 <= len && b[p] == 0xFF) {
		unsigned m = b[p + 1];
		if (m == 0xFF) {
			p++;
			continue;
		}
		size_t seglen = (size_t)b[p + 2] << 8 | b[p + 3];
		if (seglen < 2 || m == 0xDA || m == 0xD9)
			return 0;
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			if (seglen < 8 || p + 9 > len)
				return 0;
			*h = b[p + 5] << 8 | b[p + 6];
			*w = b[p + 7] << 8 | b[p + 8];
			return *w > 0 && *h > 0;
		}
		p += 2 + seglen;
	}
	return 0;
}

/* The format of buf (sniffed, else as libvips finds it) and the loader
 * operation to open it with; 0, or -1 with the reason in err. */
static int find_format(const void *buf, size_t len, const struct fmt **fp, const char **opp,
                       char *err, size_t errlen)
{
	const char *loader, *cls;
	const struct fmt *f;
	int k = sniff(buf, len);
	if (k >= 0) {
		*fp = &fmts[k];
		*opp = fmts[k].nick;
		return 0;
	}
	loader = vips_foreign_find_load_buffer(buf, len);
	if (!loader) {
		vips_error_clear();
		snprintf(err, errlen, "not an image");
		return -1;
	}
	cls = loader;
	if (strncmp(cls, "VipsForeignLoad", 15) == 0)
		cls += 15;
	for (f = fmts; f->loader; f++)
		if (strncasecmp(cls, f->loader, strlen(f->loader)) == 0 ||
		    (strncasecmp(cls, "ns", 2) == 0 && strncasecmp(cls + 2, f->loader, strlen(f->loader)) == 0) ||
		    (strncasecmp(cls, "s", 1) == 0 && strncasecmp(cls + 1, f->loader, strlen(f->loader)) == 0))
			break;
	if (!f->loader) {
		snprintf(err, errlen, "not a raster image format (%s)", cls);
		return -1;
	}
	*fp = f;
	*opp = load_nickname(loader);
	if (!*opp) {
		snprintf(err, errlen, "unreadable %s header", f->ext);
		vips_error_clear();
		return -1;
	}
	return 0;
}

/* A JPEG large enough to gain from it, opened shrunk (shrink=8) with its
 * size read from the SOF segment, which saves opening the file twice
 * (libvips parses the EXIF on every open); NULL when the shrunk size does
 * not agree (or the JPEG is small). */
static VipsImage *open_jpeg_shrunk(const char *op, const void *buf, size_t len, int min_size,
                                   crawl_image_info *info)
{
	int w, h;
	VipsImage *im;
	if (!jpeg_sof_size(buf, len, &w, &h) || w < 128 || h < 128 || w < min_size || h < min_size)
		return NULL;
	im = open_with(op, buf, len, "shrink", 8);
	/* libvips 8.14 crops the shrunk image to w / 8, older ones keep
	 * libjpeg's (w + 7) / 8 */
	int sw = im ? vips_image_get_width(im) : -1, sh = im ? vips_image_get_height(im) : -1;
	if ((sw == w / 8 || sw == (w + 7) / 8) && (sh == h / 8 || sh == (h + 7) / 8)) {
		info->width = w;
		info->height = h;
	} else if (im) {
		g_object_unref(im);
		im = NULL;
	}
	vips_error_clear();
	return im;
}

/* Open buf for its size, refuse it when too small, and open it again shrunk
 * when its format decodes smaller (*shrunk set); NULL with the reason in
 * err. */
static VipsImage *open_sized(const struct fmt *f, const char *op, const void *buf, size_t len,
                             int min_size, crawl_image_info *info, int *shrunk, char *err, size_t errlen)
{
	VipsImage *im = open_with(op, buf, len, NULL, 0);
	if (!im) {
		/* the header alone, without failing on truncation, says which */
		VipsImage *hd = vips_image_new_from_buffer(buf, len, "", NULL);
		snprintf(err, errlen, hd ? "corrupt or truncated %s" : "unreadable %s header", f->ext);
		if (hd)
			g_object_unref(hd);
		return NULL;
	}
	info->width = vips_image_get_width(im);
	info->height = vips_image_get_height(im);
	if (info->width < min_size || info->height < min_size) {
		snprintf(err, errlen, "too small (%dx%d)", info->width, info->height);
		g_object_unref(im);
		return NULL;
	}
	/* a small image gains nothing from shrinking */
	if (f->shrink != SHRINK_NONE && info->width >= 128 && info->height >= 128) {
		g_object_unref(im);
		im = f->shrink == SHRINK_JPEG ? open_with(op, buf, len, "shrink", 8)
		                              : open_with(op, buf, len, "scale", 0.125);
		*shrunk = 1;
		if (!im)
			snprintf(err, errlen, "corrupt or truncated %s", f->ext);
	}
	return im;
}

int crawl_image_probe(const void *buf, size_t len, int min_size, crawl_image_info *info,
                      char *err, size_t errlen)
{
	const struct fmt *f;
	const char *op;
	VipsImage *im = NULL;
	int rc = -1, shrunk = 0;
	if (!buf || len == 0) {
		snprintf(err, errlen, "empty body");
		return -1;
	}
	if (find_format(buf, len, &f, &op, err, errlen) != 0)
		return -1;
	info->mime = f->mime;
	info->ext = f->ext;
	if (f->shrink == SHRINK_JPEG && (im = open_jpeg_shrunk(op, buf, len, min_size, info)))
		shrunk = 1;
	else if (!(im = open_sized(f, op, buf, len, min_size, info, &shrunk, err, errlen)))
		goto out;
	/* decode everything: a truncated or corrupt file fails here */
	if (decode_all(im) != 0 || (shrunk && f->shrink == SHRINK_JPEG && !jpeg_has_eoi(buf, len))) {
		snprintf(err, errlen, "corrupt or truncated %s", f->ext);
		goto out;
	}
	rc = 0;
out:
	if (im)
		g_object_unref(im);
	if (rc != 0)
		vips_error_clear();
	return rc;
}
