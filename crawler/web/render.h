/* render.h: the parts of `vmind-web render` shared by its files: one news
 * item with its plan (layout, cover format and size, fate, fault, decoy),
 * the drawing and encoding of pictures (render-img.c) and the HTML of the
 * article pages (render-page.c). web-render.c plans, runs and writes. */
#ifndef VMIND_RENDER_H
#define VMIND_RENDER_H

#include "web.h"
#include <stddef.h>
#include <stdint.h>

enum web_layout {
	RL_MSN2019, RL_OG, RL_TWITTER, RL_JSONLD_STRING, RL_JSONLD_OBJECT, RL_JSONLD_ARRAY,
	RL_IMAGE_SRC, RL_LAZY_SRCSET, RL_OG_PROTOREL, RL_RELATIVE, RL_BASE_HREF, RL_BROKEN,
	RL_NOIMAGE, RL_N
};
extern const char *const web_layout_names[RL_N];

enum web_format {
	RF_JPEG, RF_JPEG_PROGRESSIVE, RF_JPEG_CMYK, RF_JPEG_EXIF, RF_PNG, RF_PNG_ALPHA,
	RF_PNG_PALETTE, RF_WEBP, RF_GIF_ANIMATED, RF_N
};
extern const char *const web_format_names[RF_N];    /* jpeg, png, webp, gif */
extern const char *const web_variant_names[RF_N];   /* baseline, progressive, ... */
extern const char *const web_format_ext[RF_N];
extern const char *const web_format_ctype[RF_N];

enum web_shape { SH_CIRCLE, SH_SQUARE, SH_TRIANGLE, SH_STRIPES, SH_RING, SH_CROSS, SH_N };
extern const char *const web_shape_names[SH_N];

/* What a picture shows (truth/news.tsv's vis_* columns). */
typedef struct web_visual {
	int hue, bg_hue;       /* 0..359 */
	double sat, light;     /* 0..1 */
	int shape;             /* enum web_shape */
	int count;             /* 1..4 */
} web_visual;

/* Draw and encode a picture of w x h (as displayed) in format fmt; variety
 * (shape positions and sizes) comes from key. Returns a malloc'ed buffer or
 * NULL after setting *err. */
void *web_image(const web_visual *v, uint64_t key, int w, int h, int fmt, size_t *len,
		   const char **err);
/* A plain baseline JPEG/PNG of the same picture scaled to w x h. */
void *web_image_simple(const web_visual *v, uint64_t key, int w, int h, int png,
			  size_t *len, const char **err);
int web_image_init(const char *argv0);

/* fates of an item */
enum web_fate { FATE_ALIVE, FATE_DEAD, FATE_MOVED, FATE_LOOP, FATE_FAULT, FATE_ROBOTS };

/* faults an item may get (web-render.c's table) */
enum web_plan_fault {
	RFT_NONE, RFT_DELAY, RFT_DRIP, RFT_RETRY429, RFT_RETRY503, RFT_RESET, RFT_TRUNCATE,
	RFT_BADLENGTH, RFT_HUGE, RFT_PRIVATE, RFT_REDIRECT_LOOP, RFT_N
};

enum web_decoy { DC_NONE, DC_PIXEL, DC_LOGO, DC_TRUNCATED, DC_CORRUPT, DC_HTML, DC_N };
extern const char *const web_decoy_names[DC_N];

typedef struct web_item {
	/* from the dataset */
	char id[16];
	uint32_t num;
	char *msn_id, *category, *subcategory, *title, *abstract, *url;
	web_visual vis;
	/* plan */
	char scheme[8];
	char *host, *path;       /* of url */
	char *final_host, *final_path;  /* after redirects (== host/path when not moved) */
	char imgid[12];
	int layout, fmt, w, h;
	int fate, fault, fault_on_cover, decoy, dead_status, hops, cover_alive;
	int wrong_ctype;
	int others[4];           /* indices of other stories (MSN layout thumbnails) */
	uint64_t key;            /* drawing variety */
	uint64_t rnd;            /* per-item random stream seed */
	/* results */
	char *cover_url;         /* absolute, or NULL */
	char sha[65];
	char *page_file;
	vm_buf routes;           /* routes.tsv rows */
	vm_buf truth;            /* truth.tsv row */
	vm_buf captures;         /* captures.tsv rows (archive) */
	vm_buf search;           /* search.tsv rows (search corpus) */
	vm_buf extra_truth;      /* archived, archive_cover, search_url, search_img, search_img_alive */
	char *error;             /* set when the item could not be rendered */
} web_item;

/* Page HTML for item it (others = all items, for story thumbnails). URLs the
 * page names are given by the caller. */
typedef struct web_page_urls {
	const char *cover;       /* as written in the page's main slot (may be relative) */
	const char *meta;        /* the URL in the first-candidate slot (decoy or cover) */
	const char *body_img;    /* a body <img> (cover when the meta holds a decoy), or NULL */
	const char *small, *mid; /* srcset entries */
	int small_w, mid_w;
	const char *logo;        /* shared logo, absolute */
	const char *base;        /* <base href> or NULL */
	const char *msn_variant; /* MSN body copy of the cover */
} web_page_urls;
void web_page(vm_buf *b, const web_item *it, const web_item *items, const web_page_urls *u);

#endif
