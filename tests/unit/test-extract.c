/* test-extract.c: the cover extractor on one small page per layout (MSN
 * 2019 style with thumbnails of other stories before the article, og:image,
 * twitter:image, JSON-LD string/object/array/@graph, link rel=image_src,
 * lazy body images with data-src JSON and srcset, relative, protocol-relative
 * and <base href> URLs, no image, broken HTML, entities, a wrong charset),
 * URL resolution, and a random-mutation fuzz run that must neither crash nor
 * return a non-http(s) URL. The pages are written here, in the layouts seen
 * on real pages, not copied from any. */
#include "config.h"
#include "crawler/lib/extract.h"
#include "tap.h"
#include "vmind/lib/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static crawl_cands ex(const char *html, const char *url)
{
	crawl_cands c;
	memset(&c, 0, sizeof c);
	crawl_extract_covers(html, strlen(html), url, &c);
	return c;
}

/* first candidate's URL, or "" */
static const char *first(const crawl_cands *c)
{
	return c->n ? c->v[0].url : "";
}

static const char msn2019[] =
	"<!DOCTYPE html><html><head><title>Story</title>\n"
	"<meta property=\"og:image\" content=\"https://img-s-msn-com.akamaized.net/tenant/amp/entityid/AAcover.img?h=630&amp;w=1200&amp;m=6\">\n"
	"</head><body>\n"
	"<header><img src=\"//c.msn.com/c.gif?udc=true&amp;rid=1\"></header>\n"
	"<nav class=\"megamenu\"><ul>\n"
	"<li><img alt=\"\" data-src=\"{&quot;default&quot;:&quot;//img-s-msn-com.akamaized.net/tenant/amp/entityid/AAthumb1.img?h=76&amp;w=138&quot;}\" src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\"></li>\n"
	"<li><img alt=\"\" data-src=\"{&quot;default&quot;:&quot;//img-s-msn-com.akamaized.net/tenant/amp/entityid/AAthumb2.img?h=76&amp;w=138&quot;}\" src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\"></li>\n"
	"</ul></nav>\n"
	"<img src=\"https://sb.scorecardresearch.com/p?c1=2\" width=\"1\" height=\"1\">\n"
	"<main><article itemscope itemtype=\"http://schema.org/NewsArticle\">\n"
	"<section class=\"articlebody\" itemprop=\"articleBody\"><p>Text.</p>\n"
	"<span class=\"storyimage\"><img alt=\"a player\" data-src=\"{&quot;default&quot;:{&quot;load&quot;:&quot;default&quot;,&quot;w&quot;:&quot;80&quot;,&quot;h&quot;:&quot;45&quot;,&quot;src&quot;:&quot;//img-s-msn-com.akamaized.net/tenant/amp/entityid/AAcover.img?h=450&amp;w=799&amp;m=6&quot;},"
	"&quot;size3column&quot;:{&quot;load&quot;:&quot;default&quot;,&quot;src&quot;:&quot;//img-s-msn-com.akamaized.net/tenant/amp/entityid/AAcover.img?h=351&amp;w=624&amp;m=6&quot;}}\" src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\"></span>\n"
	"</section></article></main>\n"
	"<aside><img src=\"https://ads.example/ad.png\"></aside>\n"
	"</body></html>\n";

/* the MSN 2019 layout: og:image, then the article image, never a thumbnail */
static void test_msn2019(void)
{
	crawl_cands c;

	c = ex(msn2019, "https://www.msn.com/en-us/sports/nfl/story/ar-AAxyz?ocid=chopendata");
	ok(c.n == 2, "msn 2019: og:image and the article image (got %zu)", c.n);
	is_str(first(&c), "https://img-s-msn-com.akamaized.net/tenant/amp/entityid/AAcover.img?h=630&w=1200&m=6",
	       "msn 2019: og:image first, entities decoded");
	ok(c.n > 0 && c.v[0].source == CRAWL_CAND_OG, "msn 2019: source is og:image");
	if (c.n == 2) {
		is_str(c.v[1].url, "https://img-s-msn-com.akamaized.net/tenant/amp/entityid/AAcover.img?h=450&w=799&m=6",
		       "msn 2019: body image from data-src JSON, largest entry, protocol-relative resolved");
		ok(c.v[1].source == CRAWL_CAND_BODY, "msn 2019: second is a body image");
	} else
		ok(0, "msn 2019: body image"), ok(0, "msn 2019: body source");
	for (size_t i = 0; i < c.n; i++)
		ok(!strstr(c.v[i].url, "thumb") && !strstr(c.v[i].url, "c.gif") && !strstr(c.v[i].url, "scorecard"),
		   "msn 2019: candidate %zu is no thumbnail or beacon", i);
	crawl_cands_free(&c);

	/* the same page without og:image: the article image, not a thumbnail */
	{
		char *p = xstrdup(msn2019);
		char *m = strstr(p, "<meta property=\"og:image\"");
		memcpy(m, "<meta property=\"og:xxxxx\"", 25);
		c = ex(p, "https://www.msn.com/en-us/a/ar-AAxyz");
		is_str(first(&c), "https://img-s-msn-com.akamaized.net/tenant/amp/entityid/AAcover.img?h=450&w=799&m=6",
		       "msn 2019 without og:image: the article image first");
		crawl_cands_free(&c);
		free(p);
	}
}

/* twitter:image, link rel=image_src, JSON-LD in its forms */
static void test_head_sources(void)
{
	crawl_cands c;

	c = ex("<html><head><meta name=\"twitter:image\" content=\"/img/t.jpg\"></head><body></body></html>",
	       "http://news.test/a/b.html");
	is_str(first(&c), "http://news.test/img/t.jpg", "twitter:image only, root-relative");
	ok(c.n == 1 && c.v[0].source == CRAWL_CAND_TWITTER, "twitter:image source");
	crawl_cands_free(&c);

	c = ex("<html><head><meta property=\"twitter:image:src\" content=\"t2.png\"></head></html>",
	       "http://news.test/a/b.html");
	is_str(first(&c), "http://news.test/a/t2.png", "twitter:image:src, relative");
	crawl_cands_free(&c);

	c = ex("<html><head><link rel=\"image_src\" href=\"//cdn.test/l.jpg\"></head></html>",
	       "https://news.test/x");
	is_str(first(&c), "https://cdn.test/l.jpg", "link rel=image_src, protocol-relative takes https");
	ok(c.n == 1 && c.v[0].source == CRAWL_CAND_LINK, "image_src source");
	crawl_cands_free(&c);

	c = ex("<html><head><script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"image\":\"https://cdn.test/s.jpg\"}</script></head></html>",
	       "https://news.test/x");
	is_str(first(&c), "https://cdn.test/s.jpg", "JSON-LD image string");
	ok(c.n == 1 && c.v[0].source == CRAWL_CAND_JSONLD, "JSON-LD source");
	crawl_cands_free(&c);

	c = ex("<script type=\"application/ld+json\">{\"image\":{\"@type\":\"ImageObject\",\"url\":\"/o.jpg\",\"width\":1200}}</script>",
	       "https://news.test/x/y");
	is_str(first(&c), "https://news.test/o.jpg", "JSON-LD image object");
	crawl_cands_free(&c);

	c = ex("<script type=\"application/ld+json\">{\"image\":[\"https://cdn.test/a1.jpg\",{\"url\":\"https://cdn.test/a2.jpg\"}]}</script>",
	       "https://news.test/x");
	ok(c.n == 2 && !strcmp(c.v[0].url, "https://cdn.test/a1.jpg") && !strcmp(c.v[1].url, "https://cdn.test/a2.jpg"),
	   "JSON-LD image array, in order");
	crawl_cands_free(&c);

	c = ex("<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@graph\":[{\"@type\":\"WebPage\"},{\"@type\":\"NewsArticle\",\"image\":{\"contentUrl\":\"g.webp\"}}]}</script>",
	       "https://news.test/dir/page");
	is_str(first(&c), "https://news.test/dir/g.webp", "JSON-LD @graph, contentUrl, relative");
	crawl_cands_free(&c);

	c = ex("<script type=\"application/ld+json\">{not json</script><meta property=\"og:image\" content=\"/ok.jpg\">",
	       "https://news.test/");
	is_str(first(&c), "https://news.test/ok.jpg", "broken JSON-LD ignored");
	crawl_cands_free(&c);
}

/* the order of the sources, and the images of the article body */
static void test_body_images(void)
{
	crawl_cands c;

	/* order of preference across all sources */
	c = ex("<html><head>"
	       "<script type=\"application/ld+json\">{\"image\":\"/4.jpg\"}</script>"
	       "<meta name=\"twitter:image\" content=\"/3.jpg\">"
	       "<link rel=\"image_src\" href=\"/2.jpg\">"
	       "<meta property=\"og:image\" content=\"/1.jpg\">"
	       "</head><body><article><img src=\"/5.jpg\"></article></body></html>",
	       "http://n.test/p");
	ok(c.n == 5, "five sources, five candidates");
	int order_ok = c.n == 5;
	for (size_t i = 0; i < c.n && order_ok; i++) {
		char want[64];
		snprintf(want, sizeof want, "http://n.test/%zu.jpg", i + 1);
		order_ok = strcmp(c.v[i].url, want) == 0 && c.v[i].source == (crawl_cand_source)i;
	}
	ok(order_ok, "og:image, image_src, twitter:image, JSON-LD, body, in that order");
	crawl_cands_free(&c);

	/* lazy body images: srcset's largest, data-src, placeholder src skipped */
	c = ex("<html><body><article>"
	       "<img src=\"/spacer.gif\" width=\"1\" height=\"1\">"
	       "<img src=\"data:image/gif;base64,R0lG\" srcset=\"/s-480.jpg 480w, /s-1200.jpg 1200w, /s-800.jpg 800w\">"
	       "<img src=\"/p.gif\" data-src=\"/lazy.jpg\">"
	       "<img srcset=\"/d1.jpg, /d2.jpg 2x\">"
	       "</article></body></html>", "http://n.test/a/");
	ok(c.n == 3, "lazy: three body candidates (got %zu)", c.n);
	if (c.n == 3) {
		is_str(c.v[0].url, "http://n.test/s-1200.jpg", "srcset: the widest entry");
		is_str(c.v[1].url, "http://n.test/lazy.jpg", "data-src before the placeholder src");
		is_str(c.v[2].url, "http://n.test/d2.jpg", "srcset densities: 2x");
	} else
		ok(0, "srcset"), ok(0, "data-src"), ok(0, "density");
	crawl_cands_free(&c);

	/* icons in the article body are no covers */
	c = ex("<article><img src=\"/share/FacebookText.svg\"><img class=\"icon-share\" src=\"/fb.png\">"
	       "<img class=\"site-logo\" src=\"/l.png\"><img src=\"/photo.jpg\"></article>", "http://n.test/");
	ok(c.n == 1 && !strcmp(first(&c), "http://n.test/photo.jpg"), "svg, icon and logo images skipped");
	crawl_cands_free(&c);

	/* <picture><source srcset> */
	c = ex("<article><picture><source srcset=\"/w.webp 1000w\"><img src=\"/w.jpg\"></picture></article>", "http://n.test/");
	is_str(first(&c), "http://n.test/w.webp", "picture source srcset");
	crawl_cands_free(&c);
}

/* <base href>, pages without a cover, broken HTML, entities, charsets, schemes */
static void test_odd_pages(void)
{
	crawl_cands c;

	/* <base href> */
	c = ex("<html><head><base href=\"https://static.test/assets/\"><meta property=\"og:image\" content=\"img/c.png\"></head></html>",
	       "http://n.test/story.html");
	is_str(first(&c), "https://static.test/assets/img/c.png", "relative URL against <base href>");
	crawl_cands_free(&c);
	c = ex("<base href=\"/root/\"><meta property=\"og:image\" content=\"c.png\">", "http://n.test/a/story.html");
	is_str(first(&c), "http://n.test/root/c.png", "relative <base href> against the page URL");
	crawl_cands_free(&c);

	/* no image at all */
	c = ex("<html><head><title>x</title><meta property=\"og:title\" content=\"t\"></head><body><p>hi</p>"
	       "<img src=\"/logo.png\" width=\"40\" height=\"40\"></body></html>", "http://n.test/");
	ok(c.n == 0, "no image: no candidate (got %zu)", c.n);
	crawl_cands_free(&c);

	/* body images outside the article are not taken when there is one */
	c = ex("<body><div class=\"related\"><img src=\"/other-story.jpg\"></div><article><p>no pic</p></article></body>",
	       "http://n.test/");
	ok(c.n == 0, "images outside the article container are ignored");
	crawl_cands_free(&c);
	/* ... but are when the page has no container */
	c = ex("<body><div><img src=\"/only.jpg\"></div><footer><img src=\"/foot.jpg\"></footer></body>", "http://n.test/");
	ok(c.n == 1 && !strcmp(first(&c), "http://n.test/only.jpg"), "no container: body images, footer excluded");
	crawl_cands_free(&c);

	/* broken HTML: unclosed tags, attributes without quotes, stray '<' */
	c = ex("<html><head><meta property=og:image content=http://n.test/u.jpg><title>a < b</head>"
	       "<body><div><p><article><img src='/x.jpg' <p>", "http://n.test/");
	is_str(first(&c), "http://n.test/u.jpg", "broken HTML: unquoted attributes");
	crawl_cands_free(&c);

	/* entities in attributes and spaces around URLs */
	c = ex("<meta property=\"og:image\" content=\"  https://n.test/a.jpg?x=1&amp;y=&#50;&#x33;  \">", "http://n.test/");
	is_str(first(&c), "https://n.test/a.jpg?x=1&y=23", "numeric and named entities decoded, spaces trimmed");
	crawl_cands_free(&c);

	/* a wrong charset declaration */
	c = ex("<html><head><meta charset=\"utf-16\"><meta property=\"og:image\" content=\"/cs.jpg\"></head></html>",
	       "http://n.test/");
	is_str(first(&c), "http://n.test/cs.jpg", "wrong charset declaration (utf-16 on ASCII)");
	crawl_cands_free(&c);
	c = ex("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=x-bogus\"><meta property=\"og:image\" content=\"/bogus.jpg\"></head></html>",
	       "http://n.test/");
	is_str(first(&c), "http://n.test/bogus.jpg", "unknown charset declaration");
	crawl_cands_free(&c);

	/* non-http schemes are dropped; duplicates once */
	c = ex("<meta property=\"og:image\" content=\"javascript:alert(1)\">"
	       "<meta property=\"og:image\" content=\"ftp://n.test/f.jpg\">"
	       "<meta property=\"og:image\" content=\"/d.jpg\"><meta name=\"twitter:image\" content=\"http://n.test/d.jpg\">",
	       "http://n.test/");
	ok(c.n == 1 && !strcmp(first(&c), "http://n.test/d.jpg"), "javascript:, ftp: dropped; duplicate kept once");
	crawl_cands_free(&c);

	c = ex("", "http://n.test/");
	ok(c.n == 0, "empty page");
	crawl_cands_free(&c);
}

static void test_resolve(void)
{
	struct { const char *base, *ref, *want; } t[] = {
		{ "https://a.test/x/y.html", "//b.test/i.jpg", "https://b.test/i.jpg" },
		{ "http://a.test/x/y.html", "../i.jpg", "http://a.test/i.jpg" },
		{ "http://a.test/x/y.html", "i j.jpg", "http://a.test/x/i%20j.jpg" },
		{ "http://a.test/x/y.html", "/i.jpg#frag", "http://a.test/i.jpg" },
		{ "http://a.test/x/y.html", "?v=2", "http://a.test/x/y.html?v=2" },
		{ "http://a.test/", "data:image/png;base64,AA", NULL },
		{ "http://a.test/", "mailto:a@b", NULL },
		{ "http://a.test/", "   ", NULL },
		{ "http://a.test/", "#top", NULL },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *got = crawl_url_resolve(t[i].base, t[i].ref);
		if (t[i].want)
			is_str(got, t[i].want, "resolve '%s' against %s", t[i].ref, t[i].base);
		else
			ok(got == NULL, "resolve '%s' refused", t[i].ref);
		free(got);
	}
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random mutations of the layouts: byte flips, cuts, splices, inserted tags. */
static void test_fuzz(void)
{
	static const char *const inserts[] = { "<", ">", "\"", "'", "&amp;", "&#", "<img src=", "<article>",
		"</article>", "{\"default\":", "srcset=\"", " 99999999999w,", "<base href=\"//x\">",
		"<script type=\"application/ld+json\">[[[[", "\0", "\xff\xfe", "<!--", "<![CDATA[" };
	size_t base_len = strlen(msn2019);
	int bad = 0;
	for (int iter = 0; iter < 3000; iter++) {
		size_t cap = base_len * 2 + 64, len = base_len;
		char *buf = xmalloc(cap);
		memcpy(buf, msn2019, base_len);
		int nmut = 1 + (int)(next_rand() % 8);
		for (int m = 0; m < nmut && len > 0; m++) {
			size_t pos = next_rand() % len;
			switch (next_rand() % 4) {
			case 0:
				buf[pos] = (char)(next_rand() & 255);
				break;
			case 1:
				len = pos;
				break;
			case 2: {
				const char *ins = inserts[next_rand() % (sizeof inserts / sizeof inserts[0])];
				size_t il = strlen(ins);
				if (il == 0)
					il = 1;
				if (len + il < cap) {
					memmove(buf + pos + il, buf + pos, len - pos);
					memcpy(buf + pos, ins, il);
					len += il;
				}
				break;
			}
			default: {
				size_t from = next_rand() % len, n = next_rand() % 64;
				if (from + n > len)
					n = len - from;
				if (len + n < cap) {
					memmove(buf + pos + n, buf + pos, len - pos);
					memmove(buf + pos, buf + from + (from >= pos ? n : 0), n);
					len += n;
				}
			}
			}
		}
		crawl_cands c;
		memset(&c, 0, sizeof c);
		crawl_extract_covers(buf, len, "https://www.msn.com/en-us/a/ar-X", &c);
		for (size_t i = 0; i < c.n; i++)
			if (strncmp(c.v[i].url, "http://", 7) != 0 && strncmp(c.v[i].url, "https://", 8) != 0)
				bad++;
		crawl_cands_free(&c);
		free(buf);
	}
	ok(bad == 0, "fuzz: 3000 mutated pages parsed, every candidate http(s) (%d bad)", bad);
}

int main(void)
{
	test_msn2019();
	test_head_sources();
	test_body_images();
	test_odd_pages();
	test_resolve();
	test_fuzz();
	return tap_done();
}
