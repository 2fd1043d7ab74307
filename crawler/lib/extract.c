/* extract.c: cover candidates of an article page (see extract.h). The page
 * is parsed by libxml2's HTML parser in recover mode with network access off,
 * so any bytes at all give some tree. Metadata candidates come first in the
 * order of doc/external.md section 4; then body images chosen by this heuristic:
 *  - an <img>/<source> is ranked by the most specific article container it
 *    sits in: 2 inside an article body (itemprop=articleBody, or a class such
 *    as articlebody, article-body, story-body, entry-content, post-content),
 *    1 inside <article> or <main>, 0 elsewhere; images inside <header>,
 *    <nav>, <footer>, <aside> or <noscript> are never taken (that is where
 *    thumbnails of other stories and logos live, e.g. MSN 2019's megamenu);
 *  - only images of the highest rank present on the page are kept, in
 *    document order, at most CRAWL_EXTRACT_MAX_BODY of them; rank 0 images
 *    only when the page has no <article> or <main> at all (a page with an
 *    article but no image in it has no body candidate: what lies around
 *    it is other stories);
 *  - from each image one URL: the largest entry of a data-src JSON object
 *    (MSN: {"default":{"src":"//host/x.img?h=450&w=799"},...}, sized by its
 *    w=/h= query or w/h fields), else the largest srcset/data-srcset entry,
 *    else data-src, data-original, data-lazy-src, else src;
 *  - an image whose width or height attribute is below 64, whose URL is a
 *    data: URI or an .svg, or whose class says icon or logo, is skipped
 *    (1x1 beacons, spacer gifs, share buttons).
 * Entities in attributes are decoded by the parser; URLs are resolved against
 * <base href> (itself resolved against the page URL) with libcurl's URL API. */
#include "config.h"
#include "extract.h"
#include "vmind/lib/util.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

const char *crawl_cand_source_name(crawl_cand_source s)
{
	switch (s) {
	case CRAWL_CAND_OG: return "og:image";
	case CRAWL_CAND_LINK: return "image_src";
	case CRAWL_CAND_TWITTER: return "twitter:image";
	case CRAWL_CAND_JSONLD: return "json-ld";
	case CRAWL_CAND_BODY: return "body";
	}
	return "?";
}

char *crawl_url_encode(const char *s, int space_plus)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = xmalloc(3 * strlen(s) + 1), *p = o;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			*p++ = (char)c;
		else if (c == ' ' && space_plus)
			*p++ = '+';
		else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return o;
}

char *crawl_url_resolve(const char *base, const char *ref)
{
	CURLU *u = NULL;
	char *scheme = NULL, *full = NULL, *res = NULL, *r;
	size_t n;
	if (!ref)
		return NULL;
	while (*ref && isspace((unsigned char)*ref))
		ref++;
	n = strlen(ref);
	while (n && isspace((unsigned char)ref[n - 1]))
		n--;
	if (n == 0 || n > 8192)
		return NULL;
	r = xstrndup(ref, n);
	/* a fragment alone names the base itself: not an image */
	if (r[0] == '#')
		goto out;
	u = curl_url();
	if (!u)
		goto out;
	if (base && curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, r, CURLU_URLENCODE | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		goto out;
	if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
		goto out;
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK)
		goto out;
	res = xstrdup(full);
out:
	curl_free(full);
	curl_free(scheme);
	if (u)
		curl_url_cleanup(u);
	free(r);
	return res;
}

static void cands_add(crawl_cands *c, const char *base, const char *ref, crawl_cand_source src, size_t *added)
{
	char *url = crawl_url_resolve(base, ref);
	if (!url)
		return;
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].url, url) == 0) {
			free(url);
			return;
		}
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 8;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n].url = url;
	c->v[c->n].source = src;
	c->n++;
	(*added)++;
}

void crawl_cands_free(crawl_cands *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].url);
	free(c->v);
	memset(c, 0, sizeof *c);
}

/* The value of attribute name (case-insensitive) of an element, as a newly
 * allocated string with entities decoded, or NULL. */
static char *attr(xmlNode *n, const char *name)
{
	for (xmlAttr *a = n->properties; a; a = a->next) {
		if (a->name && strcasecmp((const char *)a->name, name) == 0) {
			xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
			char *s = xstrdup(v ? (const char *)v : "");
			xmlFree(v);
			return s;
		}
	}
	return NULL;
}

static int name_is(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name && strcasecmp((const char *)n->name, name) == 0;
}

/* 1 when the space-separated list contains token (case-insensitive). */
static int has_token(const char *list, const char *token)
{
	size_t tl = strlen(token);
	const char *p = list;
	while (p && *p) {
		while (*p && isspace((unsigned char)*p))
			p++;
		const char *e = p;
		while (*e && !isspace((unsigned char)*e))
			e++;
		if ((size_t)(e - p) == tl && strncasecmp(p, token, tl) == 0)
			return 1;
		p = e;
	}
	return 0;
}

static int class_is_article_body(const char *cls)
{
	static const char *const names[] = { "articlebody", "article-body", "article__body",
		"story-body", "storybody", "entry-content", "post-content", "article-content",
		"articlecontent", "story-content", NULL };
	for (int i = 0; names[i]; i++)
		if (has_token(cls, names[i]))
			return 1;
	return 0;
}

/* Rank of an element's position: -1 never take, 2 article body, 1 article or
 * main, 0 elsewhere. */
static int body_rank(xmlNode *n)
{
	int rank = 0;
	for (xmlNode *p = n->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent) {
		if (name_is(p, "header") || name_is(p, "nav") || name_is(p, "footer") ||
		    name_is(p, "aside") || name_is(p, "noscript"))
			return -1;
		if (rank < 2) {
			char *ip = attr(p, "itemprop"), *cls = attr(p, "class");
			if ((ip && has_token(ip, "articleBody")) || (cls && class_is_article_body(cls)))
				rank = 2;
			free(ip);
			free(cls);
		}
		if (rank < 1 && (name_is(p, "article") || name_is(p, "main")))
			rank = 1;
	}
	return rank;
}

/* w=NNN and h=NNN query parameters of a URL (MSN image service), 0 when absent */
static double url_area(const char *url)
{
	const char *q = strchr(url, '?');
	double w = 0, h = 0;
	while (q && *q) {
		q++;
		if ((q[0] == 'w' || q[0] == 'W') && q[1] == '=')
			w = atof(q + 2);
		else if ((q[0] == 'h' || q[0] == 'H') && q[1] == '=')
			h = atof(q + 2);
		q = strchr(q, '&');
	}
	return w * h;
}

/* The best URL of a data-src JSON value (borrowed from the cJSON tree). */
static const char *json_src(cJSON *j)
{
	const char *best = NULL;
	double best_area = -1;
	if (cJSON_IsString(j))
		return j->valuestring;
	if (!cJSON_IsObject(j))
		return NULL;
	cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "src");
	if (cJSON_IsString(src))
		return src->valuestring;
	/* an object of named sizes: take the largest, "default" on ties */
	cJSON *e;
	cJSON_ArrayForEach(e, j) {
		const char *u = NULL;
		double area = 0;
		if (cJSON_IsString(e))
			u = e->valuestring;
		else if (cJSON_IsObject(e)) {
			cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "src");
			if (!cJSON_IsString(s))
				s = cJSON_GetObjectItemCaseSensitive(e, "url");
			if (cJSON_IsString(s))
				u = s->valuestring;
		}
		if (!u)
			continue;
		area = url_area(u);
		if (area == 0 && cJSON_IsObject(e)) {
			cJSON *w = cJSON_GetObjectItemCaseSensitive(e, "width");
			cJSON *h = cJSON_GetObjectItemCaseSensitive(e, "height");
			if (cJSON_IsNumber(w) && cJSON_IsNumber(h))
				area = w->valuedouble * h->valuedouble;
		}
		if (area > best_area || (area == best_area && e->string && strcmp(e->string, "default") == 0)) {
			best = u;
			best_area = area;
		}
	}
	return best;
}

/* The largest entry of a srcset ("a.jpg 480w, b.jpg 800w" or "1x, 2x"); a
 * new string or NULL. An entry without descriptor counts as 1x. */
static char *srcset_best(const char *s)
{
	char *best = NULL;
	double best_v = -1;
	const char *p = s;
	while (*p) {
		while (*p && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (!*p)
			break;
		const char *u = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		size_t ul = (size_t)(p - u);
		/* a URL may end with the comma that separates entries */
		int ended = 0;
		if (ul && u[ul - 1] == ',') {
			ul--;
			ended = 1;
		}
		double v = 1;
		if (!ended) {
			while (*p && isspace((unsigned char)*p))
				p++;
			const char *d = p;
			while (*p && *p != ',')
				p++;
			if (p > d) {
				double x = atof(d);
				const char *q = d;
				while (q < p && (isdigit((unsigned char)*q) || *q == '.'))
					q++;
				if (x > 0 && q < p && (*q == 'w' || *q == 'W'))
					v = x;           /* widths: compare as is */
				else if (x > 0 && q < p && (*q == 'x' || *q == 'X'))
					v = x;           /* densities: mixing is unusual */
			}
		}
		if (ul && v > best_v) {
			free(best);
			best = xstrndup(u, ul);
			best_v = v;
		}
	}
	return best;
}

static int small_dim(xmlNode *n, const char *name)
{
	char *v = attr(n, name);
	int small = 0;
	if (v) {
		char *end;
		long x = strtol(v, &end, 10);
		if (end != v && (*end == '\0' || strcmp(end, "px") == 0) && x < 64)
			small = 1;
		free(v);
	}
	return small;
}

/* The URL to take from an <img> or <source>, newly allocated, or NULL. */
static char *img_url(xmlNode *n)
{
	char *v, *res = NULL;
	if (small_dim(n, "width") || small_dim(n, "height"))
		return NULL;
	static const char *const json_attrs[] = { "data-src", "data-srcs", "data-image", NULL };
	for (int i = 0; json_attrs[i] && !res; i++) {
		v = attr(n, json_attrs[i]);
		if (v) {
			const char *t = v;
			while (isspace((unsigned char)*t))
				t++;
			if (*t == '{' || *t == '"') {
				cJSON *j = cJSON_Parse(t);
				const char *u = j ? json_src(j) : NULL;
				if (u)
					res = xstrdup(u);
				cJSON_Delete(j);
			}
			free(v);
		}
	}
	static const char *const set_attrs[] = { "srcset", "data-srcset", "data-lazy-srcset", NULL };
	for (int i = 0; set_attrs[i] && !res; i++) {
		v = attr(n, set_attrs[i]);
		if (v) {
			res = srcset_best(v);
			free(v);
		}
	}
	static const char *const url_attrs[] = { "data-src", "data-original", "data-lazy-src", "data-url", "src", NULL };
	for (int i = 0; url_attrs[i] && !res; i++) {
		v = attr(n, url_attrs[i]);
		if (v) {
			const char *t = v;
			while (isspace((unsigned char)*t))
				t++;
			if (*t && *t != '{')
				res = xstrdup(t);
			free(v);
		}
	}
	if (res && strncasecmp(res, "data:", 5) == 0) {
		free(res);
		res = NULL;
	}
	/* icons: an SVG, or a class that says icon or logo */
	if (res) {
		size_t plen = strcspn(res, "?#");
		char *cls = attr(n, "class");
		int icon = (plen >= 4 && strncasecmp(res + plen - 4, ".svg", 4) == 0) ||
		           (cls && (strcasestr(cls, "icon") || strcasestr(cls, "logo")));
		free(cls);
		if (icon) {
			free(res);
			res = NULL;
		}
	}
	return res;
}

static void jsonld_one(cJSON *e, const char *base, crawl_cands *out, size_t *added)
{
	if (cJSON_IsString(e))
		cands_add(out, base, e->valuestring, CRAWL_CAND_JSONLD, added);
	else if (cJSON_IsObject(e)) {
		cJSON *u = cJSON_GetObjectItemCaseSensitive(e, "url");
		if (!cJSON_IsString(u))
			u = cJSON_GetObjectItemCaseSensitive(e, "contentUrl");
		if (cJSON_IsString(u))
			cands_add(out, base, u->valuestring, CRAWL_CAND_JSONLD, added);
	}
}

/* JSON-LD: the "image" of every object, array member and @graph member. */
static void jsonld_images(cJSON *j, const char *base, crawl_cands *out, size_t *added, int depth)
{
	if (!j || depth > 8)
		return;
	if (cJSON_IsArray(j)) {
		cJSON *e;
		cJSON_ArrayForEach(e, j)
			jsonld_images(e, base, out, added, depth + 1);
		return;
	}
	if (!cJSON_IsObject(j))
		return;
	cJSON *img = cJSON_GetObjectItemCaseSensitive(j, "image"), *e;
	if (cJSON_IsArray(img)) {
		cJSON_ArrayForEach(e, img)
			jsonld_one(e, base, out, added);
	} else if (img)
		jsonld_one(img, base, out, added);
	jsonld_images(cJSON_GetObjectItemCaseSensitive(j, "@graph"), base, out, added, depth + 1);
}

/* Everything found in one walk of the tree. */
typedef struct found {
	char **og, **link, **tw, **ld;         /* raw attribute values / JSON texts */
	size_t nog, nlink, ntw, nld;
	char *body[3][CRAWL_EXTRACT_MAX_BODY];    /* by rank */
	size_t nbody[3];
	char *base;                            /* first <base href> */
	int has_container;                     /* an <article> or <main> exists */
} found;

static void push(char ***v, size_t *n, char *s)
{
	if (*n >= 16) {
		free(s);
		return;
	}
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = s;
}

static void visit(xmlNode *n, found *f)
{
	if (name_is(n, "meta")) {
		char *prop = attr(n, "property"), *name = attr(n, "name"), *content = NULL;
		const char *key = prop && *prop ? prop : name;
		if (key) {
			if (!strcasecmp(key, "og:image") || !strcasecmp(key, "og:image:url") ||
			    !strcasecmp(key, "og:image:secure_url")) {
				if ((content = attr(n, "content")))
					push(&f->og, &f->nog, content);
			} else if (!strcasecmp(key, "twitter:image") || !strcasecmp(key, "twitter:image:src")) {
				if ((content = attr(n, "content")))
					push(&f->tw, &f->ntw, content);
			} else if (name && prop && (!strcasecmp(name, "twitter:image") || !strcasecmp(name, "og:image"))) {
				if ((content = attr(n, "content")))
					push(!strcasecmp(name, "og:image") ? &f->og : &f->tw,
					     !strcasecmp(name, "og:image") ? &f->nog : &f->ntw, content);
			}
		}
		free(prop);
		free(name);
	} else if (name_is(n, "link")) {
		char *rel = attr(n, "rel");
		if (rel && has_token(rel, "image_src")) {
			char *href = attr(n, "href");
			if (href)
				push(&f->link, &f->nlink, href);
		}
		free(rel);
	} else if (name_is(n, "base")) {
		if (!f->base)
			f->base = attr(n, "href");
	} else if (name_is(n, "script")) {
		char *type = attr(n, "type");
		if (type && strcasecmp(type, "application/ld+json") == 0) {
			xmlChar *text = xmlNodeGetContent(n);
			if (text)
				push(&f->ld, &f->nld, xstrdup((const char *)text));
			xmlFree(text);
		}
		free(type);
	} else if (name_is(n, "article") || name_is(n, "main")) {
		f->has_container = 1;
	} else if (name_is(n, "img") || (name_is(n, "source") && n->parent && name_is(n->parent, "picture"))) {
		int rank = body_rank(n);
		if (rank >= 0 && f->nbody[rank] < CRAWL_EXTRACT_MAX_BODY) {
			char *u = img_url(n);
			if (u)
				f->body[rank][f->nbody[rank]++] = u;
		}
	}
}

static void walk(xmlNode *root, found *f)
{
	/* iterative pre-order walk: hostile pages may nest deeply */
	xmlNode *n = root;
	while (n) {
		if (n->type == XML_ELEMENT_NODE)
			visit(n, f);
		if (n->children && n->type == XML_ELEMENT_NODE && !name_is(n, "script")) {
			n = n->children;
			continue;
		}
		while (n && !n->next && n != root)
			n = n->parent;
		if (!n || n == root)
			break;
		n = n->next;
	}
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static size_t extract_doc(htmlDocPtr doc, const char *page_url, crawl_cands *out)
{
	found f;
	size_t added = 0;
	char *base = NULL;
	memset(&f, 0, sizeof f);
	xmlNode *root = xmlDocGetRootElement(doc);
	if (root)
		walk(root, &f);
	if (f.base)
		base = crawl_url_resolve(page_url, f.base);
	if (!base)
		base = xstrdup(page_url);
	for (size_t i = 0; i < f.nog; i++)
		cands_add(out, base, f.og[i], CRAWL_CAND_OG, &added);
	for (size_t i = 0; i < f.nlink; i++)
		cands_add(out, base, f.link[i], CRAWL_CAND_LINK, &added);
	for (size_t i = 0; i < f.ntw; i++)
		cands_add(out, base, f.tw[i], CRAWL_CAND_TWITTER, &added);
	for (size_t i = 0; i < f.nld; i++) {
		cJSON *j = cJSON_Parse(f.ld[i]);
		if (j)
			jsonld_images(j, base, out, &added, 0);
		cJSON_Delete(j);
	}
	for (int r = 2; r >= (f.has_container ? 1 : 0); r--) {
		if (f.nbody[r] == 0)
			continue;
		for (size_t i = 0; i < f.nbody[r]; i++)
			cands_add(out, base, f.body[r][i], CRAWL_CAND_BODY, &added);
		break;
	}
	for (int r = 0; r < 3; r++)
		for (size_t i = 0; i < f.nbody[r]; i++)
			free(f.body[r][i]);
	free_list(f.og, f.nog);
	free_list(f.link, f.nlink);
	free_list(f.tw, f.ntw);
	free_list(f.ld, f.nld);
	free(f.base);
	free(base);
	return added;
}

size_t crawl_extract_covers(const char *html, size_t len, const char *page_url, crawl_cands *out)
{
	const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	                 HTML_PARSE_NONET | HTML_PARSE_NOBLANKS | HTML_PARSE_COMPACT;
	size_t added = 0;
	htmlDocPtr doc;
	if (!html || len == 0 || !page_url)
		return 0;
	if (len > INT_MAX)
		len = INT_MAX;
	doc = htmlReadMemory(html, (int)len, page_url, NULL, opts);
	if (doc) {
		added = extract_doc(doc, page_url, out);
		xmlFreeDoc(doc);
	}
	/* A page that declares a charset it is not written in may come out as
	 * garbage; URLs are ASCII, so read it again as UTF-8. */
	if (added == 0) {
		doc = htmlReadMemory(html, (int)len, page_url, "UTF-8", opts);
		if (doc) {
			added = extract_doc(doc, page_url, out);
			xmlFreeDoc(doc);
		}
	}
	return added;
}
