/* crawl-image.h: deciding whether fetched bytes are a usable cover: the
 * format is sniffed from the bytes by libvips (Content-Type is not trusted),
 * must be a raster web format, must decode completely (truncated or corrupt
 * files are refused) and be at least min_size pixels on each side. */
#ifndef VMIND_CRAWL_IMAGE_H
#define VMIND_CRAWL_IMAGE_H

#include <stddef.h>

typedef struct crawl_image_info {
	const char *mime;    /* "image/jpeg", static */
	const char *ext;     /* "jpg", static */
	int width, height;   /* as stored (before any EXIF rotation) */
} crawl_image_info;

/* Call once (VIPS_INIT); dies on failure. */
void crawl_image_init(const char *argv0);
/* 0 when buf is a usable image (info filled), else -1 with a reason in err. */
int crawl_image_probe(const void *buf, size_t len, int min_size, crawl_image_info *info,
                      char *err, size_t errlen);

#endif
