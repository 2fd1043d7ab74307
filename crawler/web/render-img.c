/* render-img.c: draws the cover pictures of the simulated web and encodes
 * them with libvips. A picture is vis_count shapes of kind vis_shape in the
 * colour (vis_hue, vis_sat, vis_light) on a vertical gradient of hue
 * vis_bg_hue, drawn straight into a pixel buffer (fast: only each shape's
 * bounding box is visited); the shape positions and sizes come from a
 * per-item key, so no two items share a picture. libvips encodes it as
 * baseline, progressive, CMYK or EXIF-rotated JPEG, PNG (RGB, alpha,
 * palette), WebP or an animated GIF. */
#include "config.h"
#include "render.h"
#include "vmind/lib/util.h"

#include <vips/vips.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const web_format_names[RF_N] = {
	"jpeg", "jpeg", "jpeg", "jpeg", "png", "png", "png", "webp", "gif" };
const char *const web_variant_names[RF_N] = {
	"baseline", "progressive", "cmyk", "exif-rotated", "rgb", "alpha", "palette", "lossy",
	"animated" };
const char *const web_format_ext[RF_N] = {
	"jpg", "jpg", "jpg", "jpg", "png", "png", "png", "webp", "gif" };
const char *const web_format_ctype[RF_N] = {
	"image/jpeg", "image/jpeg", "image/jpeg", "image/jpeg", "image/png", "image/png",
	"image/png", "image/webp", "image/gif" };
const char *const web_shape_names[SH_N] = {
	"circle", "square", "triangle", "stripes", "ring", "cross" };

int web_image_init(const char *argv0)
{
	if (VIPS_INIT(argv0))
		return -1;
	vips_concurrency_set(1);   /* we run our own threads */
	vips_cache_set_max(0);
	return 0;
}

static void hsl_rgb(double h, double s, double l, uint8_t out[3])
{
	double c = (1 - fabs(2 * l - 1)) * s, hp = fmod(h, 360) / 60;
	double x = c * (1 - fabs(fmod(hp, 2) - 1)), m = l - c / 2, r = 0, g = 0, b = 0;
	if (hp < 1) { r = c; g = x; }
	else if (hp < 2) { r = x; g = c; }
	else if (hp < 3) { g = c; b = x; }
	else if (hp < 4) { g = x; b = c; }
	else if (hp < 5) { r = x; b = c; }
	else { r = c; b = x; }
	out[0] = (uint8_t)lrint(255 * fmin(1, fmax(0, r + m)));
	out[1] = (uint8_t)lrint(255 * fmin(1, fmax(0, g + m)));
	out[2] = (uint8_t)lrint(255 * fmin(1, fmax(0, b + m)));
}

static int inside(int shape, int dx, int dy, int r)
{
	int ax = dx < 0 ? -dx : dx, ay = dy < 0 ? -dy : dy;
	long d2 = (long)dx * dx + (long)dy * dy;
	switch (shape) {
	case SH_CIRCLE: return d2 <= (long)r * r;
	case SH_SQUARE: return ax <= r && ay <= r;
	case SH_TRIANGLE: return dy >= -r && dy <= r && 2 * ax <= dy + r;
	case SH_STRIPES: {
		int band = r / 3 > 0 ? r / 3 : 1;
		return ax <= r && ay <= r && (((dx + dy + 4 * r) / band) % 2 == 0);
	}
	case SH_RING: return d2 <= (long)r * r && d2 >= (long)(r * 6 / 10) * (r * 6 / 10);
	case SH_CROSS: return (ax <= r / 3 && ay <= r) || (ay <= r / 3 && ax <= r);
	}
	return 0;
}

/* Draw one frame of w x h into px (bands 3 or 4, rows of w*bands bytes). */
static void draw(uint8_t *px, int w, int h, int bands, const web_visual *v, uint64_t key,
		 int frame)
{
	web_rng rng = { key };
	uint8_t fg[3], row[3];
	double bl = v->light > 0.55 ? 0.22 : 0.82;
	hsl_rgb(v->hue, v->sat, v->light, fg);
	for (int y = 0; y < h; y++) {
		uint8_t *p = px + (size_t)y * w * bands;
		hsl_rgb(v->bg_hue, 0.35, bl - 0.06 + 0.12 * y / (h > 1 ? h - 1 : 1), row);
		for (int x = 0; x < w; x++, p += bands) {
			p[0] = row[0];
			p[1] = row[1];
			p[2] = row[2];
			if (bands == 4)
				p[3] = 190;
		}
	}
	int m = w < h ? w : h;
	for (int k = 0; k < v->count; k++) {
		double sz = (0.14 + 0.14 * web_unif(&rng)) / (v->count > 2 ? 1.3 : 1.0);
		int r = (int)(m * sz) > 2 ? (int)(m * sz) : 2;
		int cx = r + (int)(web_unif(&rng) * (w - 2 * r > 1 ? w - 2 * r : 1));
		int cy = r + (int)(web_unif(&rng) * (h - 2 * r > 1 ? h - 2 * r : 1));
		cx += frame * r / 3;
		for (int y = cy - r; y <= cy + r; y++) {
			if (y < 0 || y >= h)
				continue;
			uint8_t *p = px + ((size_t)y * w) * bands;
			for (int x = cx - r; x <= cx + r; x++) {
				if (x < 0 || x >= w || !inside(v->shape, x - cx, y - cy, r))
					continue;
				uint8_t *q = p + (size_t)x * bands;
				q[0] = fg[0];
				q[1] = fg[1];
				q[2] = fg[2];
				if (bands == 4)
					q[3] = 255;
			}
		}
	}
}

static void *save(VipsImage *im, int fmt, size_t *len)
{
	void *buf = NULL;
	int rc = -1;
	switch (fmt) {
	case RF_JPEG: case RF_JPEG_EXIF:
		rc = vips_jpegsave_buffer(im, &buf, len, "Q", 82, NULL);
		break;
	case RF_JPEG_CMYK:   /* without the 0.5 MB CMYK profile libvips would embed */
		rc = vips_jpegsave_buffer(im, &buf, len, "Q", 82, "strip", TRUE, NULL);
		break;
	case RF_JPEG_PROGRESSIVE:
		rc = vips_jpegsave_buffer(im, &buf, len, "Q", 80, "interlace", TRUE, NULL);
		break;
	case RF_PNG: case RF_PNG_ALPHA:
		rc = vips_pngsave_buffer(im, &buf, len, "compression", 3, NULL);
		break;
	case RF_PNG_PALETTE:
		rc = vips_pngsave_buffer(im, &buf, len, "compression", 3, "palette", TRUE, "effort", 2, NULL);
		break;
	case RF_WEBP:
		rc = vips_webpsave_buffer(im, &buf, len, "Q", 75, "effort", 1, NULL);
		break;
	case RF_GIF_ANIMATED:
		rc = vips_gifsave_buffer(im, &buf, len, "effort", 2, NULL);
		break;
	}
	return rc ? NULL : buf;
}

void *web_image(const web_visual *v, uint64_t key, int w, int h, int fmt, size_t *len,
		   const char **err)
{
	int bands = fmt == RF_PNG_ALPHA ? 4 : 3, frames = fmt == RF_GIF_ANIMATED ? 3 : 1;
	size_t frame_bytes = (size_t)w * h * bands;
	uint8_t *px = xmalloc(frame_bytes * frames);
	VipsImage *im = NULL, *t1 = NULL, *t2 = NULL;
	void *out = NULL, *g = NULL;

	for (int f = 0; f < frames; f++)
		draw(px + f * frame_bytes, w, h, bands, v, key, f);
	im = vips_image_new_from_memory(px, frame_bytes * frames, w, h * frames, bands,
					VIPS_FORMAT_UCHAR);
	if (!im || vips_copy(im, &t1, "interpretation", VIPS_INTERPRETATION_sRGB, NULL))
		goto fail;
	if (fmt == RF_JPEG_CMYK) {
		if (vips_icc_transform(t1, &t2, "cmyk", NULL))
			goto fail;
	} else if (fmt == RF_JPEG_EXIF) {
		/* stored turned a quarter anticlockwise; orientation 6 turns it back */
		VipsImage *rot = NULL;
		if (vips_rot(t1, &rot, VIPS_ANGLE_D270, NULL))
			goto fail;
		if (vips_copy(rot, &t2, NULL)) {
			g_object_unref(rot);
			goto fail;
		}
		g_object_unref(rot);
		vips_image_set_int(t2, VIPS_META_ORIENTATION, 6);
	} else if (fmt == RF_GIF_ANIMATED) {
		int delays[3] = { 300, 300, 300 };
		if (vips_copy(t1, &t2, NULL))
			goto fail;
		vips_image_set_int(t2, VIPS_META_PAGE_HEIGHT, h);
		vips_image_set_int(t2, VIPS_META_N_PAGES, frames);
		vips_image_set_array_int(t2, "delay", delays, 3);
		vips_image_set_int(t2, "loop", 0);
	} else {
		t2 = t1;
		g_object_ref(t2);
	}
	g = save(t2, fmt, len);
	if (!g)
		goto fail;
	out = xmalloc(*len);
	memcpy(out, g, *len);
	g_free(g);
	goto out;
fail:
	vm_warn("libvips: %s", vips_error_buffer());
	vips_error_clear();
	*err = "libvips could not draw or encode the picture";
out:
	if (t2)
		g_object_unref(t2);
	if (t1)
		g_object_unref(t1);
	if (im)
		g_object_unref(im);
	free(px);
	return out;
}

void *web_image_simple(const web_visual *v, uint64_t key, int w, int h, int png,
			  size_t *len, const char **err)
{
	return web_image(v, key, w, h, png ? RF_PNG : RF_JPEG, len, err);
}
