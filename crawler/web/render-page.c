/* render-page.c: the HTML of the simulated web's article pages, one
 * function per family of layouts. The MSN 2019 layout follows the structure
 * of a real msn.com article page of the time (og:image in the head; in the
 * body, lazy <img> tags whose data-src attribute holds HTML-escaped JSON with
 * protocol-relative URLs, the first ones thumbnails of other stories); the
 * others are a generic news site with the cover in og:image, twitter:image,
 * JSON-LD, link rel=image_src, lazy srcset images, relative URLs under a
 * <base href>, deliberately broken markup, or no image at all. Text is our
 * own; titles and abstracts come from the (synthetic) dataset. */
#include "config.h"
#include "render.h"
#include "vmind/lib/util.h"

#include <ctype.h>
#include <string.h>

const char *const web_layout_names[RL_N] = {
	"msn2019", "og", "twitter", "jsonld-string", "jsonld-object", "jsonld-array",
	"image-src", "lazy-srcset", "og-protocol-relative", "relative", "base-href", "broken",
	"noimage" };

static const char PLACEHOLDER[] =
	"data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

static const char *const FILLER[] = {
	"Officials said more details would be released later this week.",
	"The announcement drew a mixed reaction from people who follow the issue closely.",
	"Analysts expect the effects to be felt well into next year.",
	"Several people familiar with the matter spoke on condition of anonymity.",
	"It was not immediately clear how the change would be carried out.",
	"Local residents gathered on Tuesday to hear the first reports.",
};

static void slug(vm_buf *b, const char *title)
{
	int dash = 0;
	size_t start = b->len;
	for (const char *p = title; *p && b->len - start < 60; p++) {
		if (isalnum((unsigned char)*p)) {
			char c = (char)tolower((unsigned char)*p);
			vm_buf_addn(b, &c, 1);
			dash = 0;
		} else if (!dash && b->len > start) {
			vm_buf_add(b, "-");
			dash = 1;
		}
	}
}

static void paragraphs(vm_buf *b, const web_item *it, int broken)
{
	web_rng r = { it->rnd ^ 0x5eed };
	vm_buf_add(b, broken ? "<p>" : "<p>");
	vm_buf_add_html(b, it->abstract[0] ? it->abstract : it->title);
	vm_buf_add(b, broken ? "\n" : "</p>\n");
	for (int i = 0, n = web_range(&r, 2, 4); i < n; i++) {
		vm_buf_add(b, "<p>");
		vm_buf_add(b, FILLER[web_rand(&r) % (sizeof FILLER / sizeof FILLER[0])]);
		vm_buf_add(b, " ");
		vm_buf_add(b, FILLER[web_rand(&r) % (sizeof FILLER / sizeof FILLER[0])]);
		vm_buf_add(b, broken ? "\n" : "</p>\n");
	}
}

static void msn_page(vm_buf *b, const web_item *it, const web_item *items,
		     const web_page_urls *u)
{
	const char *s = it->scheme;
	vm_buf_add(b, "<!DOCTYPE html>\n<html prefix=\"og: http://ogp.me/ns#\" lang=\"en-us\" dir=\"ltr\">\n"
	              "<head data-info=\"f:msnallexpusers,prg-sp-artflex,article\">\n"
	              "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">\n"
	              "<meta name=\"application-name\" content=\"");
	vm_buf_add_html(b, it->title);
	vm_buf_add(b, "\">\n<meta name=\"Search.Interest\" content=\"");
	vm_buf_add_html(b, it->category);
	vm_buf_add(b, "\">\n<meta name=\"robots\" content=\"index, follow\">\n"
	              "<meta name=\"msapplication-TileImage\" content=\"//static-entertainment-wus-s-msn-com.akamaized.net/sc/1f/08ced4.png\">\n"
	              "<meta name=\"description\" content=\"");
	vm_buf_add_html(b, it->abstract);
	vm_buf_addf(b, "\">\n<meta name=\"viewport\" content=\"width=device-width,initial-scale=1.0\">\n"
	               "<meta property=\"sharing_url\" content=\"http://a.msn.com/02/en-us/%s\">\n"
	               "<meta property=\"og:url\" content=\"%s://www.msn.com/en-us/%s/%s/",
		it->msn_id, s, it->category, it->subcategory);
	slug(b, it->title);
	vm_buf_addf(b, "/ar-%s\">\n<meta property=\"og:title\" content=\"", it->msn_id);
	vm_buf_add_html(b, it->title);
	vm_buf_add(b, "\">\n<meta property=\"og:description\" content=\"");
	vm_buf_add_html(b, it->abstract);
	vm_buf_add(b, "\">\n<meta property=\"twitter:card\" content=\"summary_large_image\">\n"
	              "<meta property=\"og:type\" content=\"article\">\n"
	              "<meta property=\"og:site_name\" content=\"MSN\">\n"
	              "<meta property=\"og:image\" content=\"");
	vm_buf_add_html(b, u->meta);
	vm_buf_add(b, "\">\n<meta property=\"fb:app_id\" content=\"125117174535490\">\n<title>");
	vm_buf_add_html(b, it->title);
	vm_buf_add(b, "</title>\n<link rel=\"stylesheet\" href=\"//static-entertainment-wus-s-msn-com.akamaized.net/_h/de1f5f39/webcore/externalscripts/css/article.css\">\n"
	              "</head>\n<body class=\"article prime ltr\">\n");
	vm_buf_addf(b, "<img src=\"//c.msn.com/c.gif?udc=true&amp;rid=%016llx&amp;pg.n=articleflex&amp;pg.t=article\" alt=\"image beacon\" width=\"1\" height=\"1\" />\n",
		(unsigned long long)it->rnd);
	vm_buf_add(b, "<header class=\"header\"><nav><ul><li><a href=\"/en-us/news\">News</a></li>"
	              "<li><a href=\"/en-us/sports\">Sports</a></li><li><a href=\"/en-us/money\">Money</a></li>"
	              "</ul></nav></header>\n<div id=\"maincontent\">\n<ul class=\"trending\" data-m=\"{&quot;i&quot;:1}\">\n");
	for (int k = 0; k < 4; k++) {
		const web_item *o = &items[it->others[k]];
		vm_buf_addf(b, "<li><a href=\"%s://www.msn.com/en-us/%s/%s/ar-%s\">"
		               "<img alt=\"\" data-src=\"{&quot;default&quot;:&quot;//img-s-msn-com.akamaized.net/tenant/amp/entityid/%s.img?h=76&amp;w=138&amp;m=6&amp;q=60&amp;u=t&amp;o=t&amp;l=f&quot;}\" role=\"presentation\" src=\"%s\">"
		               "<h3>", s, o->category, o->subcategory, o->msn_id, o->imgid, PLACEHOLDER);
		vm_buf_add_html(b, o->title);
		vm_buf_add(b, "</h3></a></li>\n");
	}
	vm_buf_add(b, "</ul>\n<article>\n<header class=\"collection-headline\"><h1>");
	vm_buf_add_html(b, it->title);
	vm_buf_add(b, "</h1></header>\n<div class=\"authorinfo\"><span class=\"partnerlogo\">"
	              "<img elementtiming=\"TTVR\" style=\"height: 4rem\" alt=\"Partner\" src=\"");
	vm_buf_add_html(b, u->logo);
	vm_buf_add(b, "\"></span></div>\n<section class=\"articlebody\" data-parsely-title=\"\">\n"
	              "<span class=\"storyimage\"><img alt=\"");
	vm_buf_add_html(b, it->title);
	vm_buf_add(b, "\" data-src=\"");
	{
		vm_buf j = { 0 };
		vm_buf_addf(&j, "{\"default\":{\"load\":\"default\",\"w\":\"80\",\"h\":\"45\",\"src\":\"%s\"},"
		                "\"size3column\":{\"load\":\"default\",\"w\":\"62\",\"h\":\"35\",\"src\":\"%s\"}}",
			u->msn_variant, u->msn_variant);
		vm_buf_add_html(b, j.p);
		vm_buf_free(&j);
	}
	vm_buf_addf(b, "\" src=\"%s\" style=\"width:80rem;height:45rem;\"></span>\n", PLACEHOLDER);
	paragraphs(b, it, 0);
	vm_buf_add(b, "</section>\n</article>\n</div>\n<footer><p>&copy; 2019 Microsoft</p></footer>\n</body>\n</html>\n");
}

/* The broken layout: wrong charset (the bytes are UTF-8), upper-case and
 * unquoted attributes, entities in attribute values, unclosed elements. */
static void broken_page(vm_buf *b, const web_item *it, const web_page_urls *u)
{
	vm_buf_add(b, "<HTML><HEAD>\n<META HTTP-EQUIV=Content-Type CONTENT=\"text/html; charset=iso-8859-1\">\n<TITLE>");
	vm_buf_add_html(b, it->title);
	vm_buf_add(b, " \xe2\x80\x94 The Daily Sim</TITLE>\n<META PROPERTY=og:image CONTENT=");
	vm_buf_add_html(b, u->meta);
	vm_buf_add(b, ">\n<META NAME=description CONTENT='");
	vm_buf_add_html(b, it->abstract);
	vm_buf_add(b, "'>\n<BODY><DIV CLASS=page><DIV CLASS=masthead><IMG SRC=");
	vm_buf_add_html(b, u->logo);
	vm_buf_add(b, " WIDTH=200 HEIGHT=50 ALT=logo>\n<H1>");
	vm_buf_add_html(b, it->title);
	vm_buf_add(b, "\n<DIV CLASS=story>\n");
	paragraphs(b, it, 1);
	vm_buf_add(b, "<TABLE><TR><TD>More news<TD><A HREF=/>Home</A>\n</BODY>\n");
}

/* The JSON-LD layouts' NewsArticle, its image a string, an ImageObject or
 * an array. */
static void jsonld(vm_buf *b, const web_item *it, const web_page_urls *u)
{
	int L = it->layout;
	vm_buf_add(b, "<script type=\"application/ld+json\">\n{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\",\"headline\":\"");
	vm_buf_add_json(b, it->title);
	vm_buf_add(b, "\",\"image\":");
	if (L == RL_JSONLD_STRING)
		vm_buf_addf(b, "\"%s\"", u->meta);
	else if (L == RL_JSONLD_OBJECT)
		vm_buf_addf(b, "{\"@type\":\"ImageObject\",\"url\":\"%s\",\"width\":%d,\"height\":%d}",
			u->meta, it->w, it->h);
	else
		vm_buf_addf(b, "[\"%s\",\"%s\"]", u->meta, u->logo);
	vm_buf_add(b, ",\"publisher\":{\"@type\":\"Organization\",\"name\":\"The Daily Sim\",\"logo\":{\"@type\":\"ImageObject\",\"url\":\"");
	vm_buf_add(b, u->logo);
	vm_buf_add(b, "\"}}}\n</script>\n");
}

/* The article's image: a lazy srcset, or the body copy of the cover. */
static void figure(vm_buf *b, const web_item *it, const web_page_urls *u)
{
	if (it->layout == RL_LAZY_SRCSET) {
		vm_buf_addf(b, "<figure><img class=\"lazyload\" src=\"%s\" data-src=\"", PLACEHOLDER);
		vm_buf_add_html(b, u->mid);
		vm_buf_add(b, "\" srcset=\"");
		vm_buf_add_html(b, u->small);
		vm_buf_addf(b, " %dw, ", u->small_w);
		vm_buf_add_html(b, u->cover);
		vm_buf_addf(b, " %dw, ", it->w);
		vm_buf_add_html(b, u->mid);
		vm_buf_addf(b, " %dw\" sizes=\"(max-width: 600px) 100vw, 800px\" alt=\"", u->mid_w);
		vm_buf_add_html(b, it->title);
		vm_buf_add(b, "\"></figure>\n");
	} else if (u->body_img) {
		vm_buf_add(b, "<figure><img src=\"");
		vm_buf_add_html(b, u->body_img);
		vm_buf_addf(b, "\" width=\"%d\" height=\"%d\" alt=\"", it->w, it->h);
		vm_buf_add_html(b, it->title);
		vm_buf_add(b, "\"><figcaption>Photo: The Daily Sim</figcaption></figure>\n");
	}
}

/* A generic news site's article page. */
static void generic_page(vm_buf *b, const web_item *it, const web_page_urls *u)
{
	int L = it->layout;
	int logo_in_body = L != RL_NOIMAGE;
	if (L == RL_BROKEN) {
		broken_page(b, it, u);
		return;
	}
	vm_buf_add(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
	if (u->base) {
		vm_buf_add(b, "<base href=\"");
		vm_buf_add_html(b, u->base);
		vm_buf_add(b, "\">\n");
	}
	vm_buf_add(b, "<title>");
	vm_buf_add_html(b, it->title);
	vm_buf_add(b, " | The Daily Sim</title>\n<meta name=\"description\" content=\"");
	vm_buf_add_html(b, it->abstract);
	vm_buf_add(b, "\">\n<meta property=\"og:title\" content=\"");
	vm_buf_add_html(b, it->title);
	vm_buf_add(b, "\">\n<meta property=\"og:type\" content=\"article\">\n");
	if (L == RL_OG || L == RL_OG_PROTOREL || L == RL_RELATIVE) {
		vm_buf_add(b, "<meta property=\"og:image\" content=\"");
		vm_buf_add_html(b, u->meta);
		vm_buf_add(b, "\">\n");
	}
	if (L == RL_TWITTER) {
		vm_buf_add(b, "<meta name=\"twitter:card\" content=\"summary_large_image\">\n"
		              "<meta name=\"twitter:image\" content=\"");
		vm_buf_add_html(b, u->meta);
		vm_buf_add(b, "\">\n");
	} else {
		vm_buf_add(b, "<meta name=\"twitter:card\" content=\"summary\">\n");
	}
	if (L == RL_IMAGE_SRC || L == RL_BASE_HREF) {
		vm_buf_add(b, "<link rel=\"image_src\" href=\"");
		vm_buf_add_html(b, u->meta);
		vm_buf_add(b, "\">\n");
	}
	vm_buf_add(b, "<link rel=\"icon\" href=\"/favicon.ico\">\n");
	if (L == RL_JSONLD_STRING || L == RL_JSONLD_OBJECT || L == RL_JSONLD_ARRAY)
		jsonld(b, it, u);
	vm_buf_add(b, "</head>\n<body>\n<header class=\"site\">");
	if (logo_in_body) {
		vm_buf_add(b, "<a href=\"/\"><img class=\"logo\" src=\"");
		vm_buf_add_html(b, u->logo);
		vm_buf_add(b, "\" width=\"200\" height=\"50\" alt=\"The Daily Sim\"></a>");
	}
	vm_buf_add(b, "<nav><a href=\"/news\">News</a> <a href=\"/sport\">Sport</a></nav></header>\n<main>\n<article>\n<h1>");
	vm_buf_add_html(b, it->title);
	vm_buf_add(b, "</h1>\n");
	figure(b, it, u);
	paragraphs(b, it, 0);
	vm_buf_addf(b, "</article>\n</main>\n<img src=\"%s://pixel.stats-sim.test/t.gif?p=%s&amp;r=%08x\" width=\"1\" height=\"1\" alt=\"\">\n"
	               "</body>\n</html>\n", it->scheme, it->id, (unsigned)(it->rnd & 0xffffffffu));
}

void web_page(vm_buf *b, const web_item *it, const web_item *items, const web_page_urls *u)
{
	if (it->layout == RL_MSN2019)
		msn_page(b, it, items, u);
	else
		generic_page(b, it, u);
}
