/* extract.h: finds the cover image candidates of an article page. Given the
 * page's bytes and its final URL, returns absolute http(s) image URLs in the
 * order they should be tried: og:image, link rel=image_src, twitter:image,
 * JSON-LD "image", then images of the article body (lazy data-src JSON, the
 * largest srcset entry, data-src, src). Every tier that meets a page (origin,
 * archive captures, search results) extracts through this one function. */
#ifndef VMIND_EXTRACT_H
#define VMIND_EXTRACT_H

#include <stddef.h>

/* Where a candidate was found, in order of preference. */
typedef enum crawl_cand_source {
	CRAWL_CAND_OG = 0,       /* <meta property="og:image"> (and :url, :secure_url) */
	CRAWL_CAND_LINK,         /* <link rel="image_src"> */
	CRAWL_CAND_TWITTER,      /* <meta name="twitter:image"> (and twitter:image:src) */
	CRAWL_CAND_JSONLD,       /* <script type="application/ld+json"> "image" */
	CRAWL_CAND_BODY          /* an <img> (or <source>) of the article body */
} crawl_cand_source;

typedef struct crawl_cand {
	char *url;                /* absolute http or https URL, no fragment */
	crawl_cand_source source;
} crawl_cand;

typedef struct crawl_cands {
	crawl_cand *v;               /* [n] in order of preference, no duplicates */
	size_t n, cap;
} crawl_cands;

/* At most this many body images are returned (the first ones). */
#define CRAWL_EXTRACT_MAX_BODY 6

/* Parse html[0..len) (any bytes at all: broken or hostile HTML is fine) found
 * at page_url and append its candidates to out (which the caller zeroes
 * first). Returns the number of candidates appended. */
size_t crawl_extract_covers(const char *html, size_t len, const char *page_url, crawl_cands *out);
void crawl_cands_free(crawl_cands *c);

/* The name of a source ("og:image", ...). */
const char *crawl_cand_source_name(crawl_cand_source s);

/* Resolve ref (trimmed of surrounding white space) against the absolute URL
 * base. Returns a new absolute URL without fragment, or NULL
 * when ref is empty, unparsable, or not http/https (data:, javascript:...). */
char *crawl_url_resolve(const char *base, const char *ref);

/* s percent-encoded for a URL's query: letters, digits and -_.~ are kept,
 * every other byte is %XX, except a space, which is '+' when space_plus. */
char *crawl_url_encode(const char *s, int space_plus);

#endif
