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

static void slug(sbuf *b, const char *title)
{
	int dash = 0;
	size_t start = b->len;
	for (const char *p = title; *p && b->len - start < 60; p++) {
		if (isalnum((unsigned char)*p)) {
			char c = (char)tolower((unsigned char)*p);
			sb_addn(b, &c, 1);
			dash = 0;
		} else if (!dash && b->len > start) {
			sb_add(b, "-");
			dash = 1;
		}
	}
}

static void paragraphs(sbuf *b, const web_item *it, int broken)
{
	web_rng r = { it->rnd ^ 0x5eed };
	sb_add(b, broken ? "<p>" : "<p>");
	sb_add_html(b, it->abstract[0] ? it->abstract : it->title);
	sb_add(b, broken ? "\n" : "</p>\n");
	for (int i = 0, n = web_range(&r, 2, 4); i < n; i++) {
		sb_add(b, "<p>");
		sb_add(b, FILLER[web_rand(&r) % (sizeof FILLER / sizeof FILLER[0])]);
		sb_add(b, " ");
		sb_add(b, FILLER[web_rand(&r) % (sizeof FILLER / sizeof FILLER[0])]);
		sb_add(b, broken ? "\n" : "</p>\n");
	}
}

static void msn_page(sbuf *b, const web_item *it, const web_item *items,
		     const web_page_urls *u)
{
	const char *s = it->scheme;
	sb_add(b, "<!DOCTYPE html>\n<html prefix=\"og: http://ogp.me/ns#\" lang=\"en-us\" dir=\"ltr\">\n"
		  "<head data-info=\"f:msnallexpusers,prg-sp-artflex,article\">\n"
		  "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">\n"
		  "<meta name=\"application-name\" content=\"");
	sb_add_html(b, it->title);
	sb_add(b, "\">\n<meta name=\"Search.Interest\" content=\"");
	sb_add_html(b, it->category);
	sb_add(b, "\">\n<meta name=\"robots\" content=\"index, follow\">\n"
		  "<meta name=\"msapplication-TileImage\" content=\"//static-entertainment-wus-s-msn-com.akamaized.net/sc/1f/08ced4.png\">\n"
		  "<meta name=\"description\" content=\"");
	sb_add_html(b, it->abstract);
	sb_addf(b, "\">\n<meta name=\"viewport\" content=\"width=device-width,initial-scale=1.0\">\n"
		   "<meta property=\"sharing_url\" content=\"http://a.msn.com/02/en-us/%s\">\n"
		   "<meta property=\"og:url\" content=\"%s://www.msn.com/en-us/%s/%s/",
		it->msn_id, s, it->category, it->subcategory);
	slug(b, it->title);
	sb_addf(b, "/ar-%s\">\n<meta property=\"og:title\" content=\"", it->msn_id);
	sb_add_html(b, it->title);
	sb_add(b, "\">\n<meta property=\"og:description\" content=\"");
	sb_add_html(b, it->abstract);
	sb_add(b, "\">\n<meta property=\"twitter:card\" content=\"summary_large_image\">\n"
		  "<meta property=\"og:type\" content=\"article\">\n"
		  "<meta property=\"og:site_name\" content=\"MSN\">\n"
		  "<meta property=\"og:image\" content=\"");
	sb_add_html(b, u->meta);
	sb_add(b, "\">\n<meta property=\"fb:app_id\" content=\"125117174535490\">\n<title>");
	sb_add_html(b, it->title);
	sb_add(b, "</title>\n<link rel=\"stylesheet\" href=\"//static-entertainment-wus-s-msn-com.akamaized.net/_h/de1f5f39/webcore/externalscripts/css/article.css\">\n"
		  "</head>\n<body class=\"article prime ltr\">\n");
	sb_addf(b, "<img src=\"//c.msn.com/c.gif?udc=true&amp;rid=%016llx&amp;pg.n=articleflex&amp;pg.t=article\" alt=\"image beacon\" width=\"1\" height=\"1\" />\n",
		(unsigned long long)it->rnd);
	sb_add(b, "<header class=\"header\"><nav><ul><li><a href=\"/en-us/news\">News</a></li>"
		  "<li><a href=\"/en-us/sports\">Sports</a></li><li><a href=\"/en-us/money\">Money</a></li>"
		  "</ul></nav></header>\n<div id=\"maincontent\">\n<ul class=\"trending\" data-m=\"{&quot;i&quot;:1}\">\n");
	for (int k = 0; k < 4; k++) {
		const web_item *o = &items[it->others[k]];
		sb_addf(b, "<li><a href=\"%s://www.msn.com/en-us/%s/%s/ar-%s\">"
			   "<img alt=\"\" data-src=\"{&quot;default&quot;:&quot;//img-s-msn-com.akamaized.net/tenant/amp/entityid/%s.img?h=76&amp;w=138&amp;m=6&amp;q=60&amp;u=t&amp;o=t&amp;l=f&quot;}\" role=\"presentation\" src=\"%s\">"
			   "<h3>", s, o->category, o->subcategory, o->msn_id, o->imgid, PLACEHOLDER);
		sb_add_html(b, o->title);
		sb_add(b, "</h3></a></li>\n");
	}
	sb_add(b, "</ul>\n<article>\n<header class=\"collection-headline\"><h1>");
	sb_add_html(b, it->title);
	sb_add(b, "</h1></header>\n<div class=\"authorinfo\"><span class=\"partnerlogo\">"
		  "<img elementtiming=\"TTVR\" style=\"height: 4rem\" alt=\"Partner\" src=\"");
	sb_add_html(b, u->logo);
	sb_add(b, "\"></span></div>\n<section class=\"articlebody\" data-parsely-title=\"\">\n"
		  "<span class=\"storyimage\"><img alt=\"");
	sb_add_html(b, it->title);
	sb_add(b, "\" data-src=\"");
	{
		sbuf j;
		sb_init(&j);
		sb_addf(&j, "{\"default\":{\"load\":\"default\",\"w\":\"80\",\"h\":\"45\",\"src\":\"%s\"},"
			    "\"size3column\":{\"load\":\"default\",\"w\":\"62\",\"h\":\"35\",\"src\":\"%s\"}}",
			u->msn_variant, u->msn_variant);
		sb_add_html(b, j.s);
		sb_free(&j);
	}
	sb_addf(b, "\" src=\"%s\" style=\"width:80rem;height:45rem;\"></span>\n", PLACEHOLDER);
	paragraphs(b, it, 0);
	sb_add(b, "</section>\n</article>\n</div>\n<footer><p>&copy; 2019 Microsoft</p></footer>\n</body>\n</html>\n");
}

static void generic_page(sbuf *b, const web_item *it, const web_page_urls *u)
{
	int L = it->layout, broken = L == RL_BROKEN;
	int logo_in_body = L != RL_NOIMAGE;
	if (broken) {
		/* wrong charset (the bytes are UTF-8), upper-case and unquoted
		 * attributes, entities in attribute values, unclosed elements */
		sb_add(b, "<HTML><HEAD>\n<META HTTP-EQUIV=Content-Type CONTENT=\"text/html; charset=iso-8859-1\">\n<TITLE>");
		sb_add_html(b, it->title);
		sb_add(b, " \xe2\x80\x94 The Daily Sim</TITLE>\n<META PROPERTY=og:image CONTENT=");
		sb_add_html(b, u->meta);
		sb_add(b, ">\n<META NAME=description CONTENT='");
		sb_add_html(b, it->abstract);
		sb_add(b, "'>\n<BODY><DIV CLASS=page><DIV CLASS=masthead><IMG SRC=");
		sb_add_html(b, u->logo);
		sb_add(b, " WIDTH=200 HEIGHT=50 ALT=logo>\n<H1>");
		sb_add_html(b, it->title);
		sb_add(b, "\n<DIV CLASS=story>\n");
		paragraphs(b, it, 1);
		sb_add(b, "<TABLE><TR><TD>More news<TD><A HREF=/>Home</A>\n</BODY>\n");
		return;
	}
	sb_add(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
	if (u->base) {
		sb_add(b, "<base href=\"");
		sb_add_html(b, u->base);
		sb_add(b, "\">\n");
	}
	sb_add(b, "<title>");
	sb_add_html(b, it->title);
	sb_add(b, " | The Daily Sim</title>\n<meta name=\"description\" content=\"");
	sb_add_html(b, it->abstract);
	sb_add(b, "\">\n<meta property=\"og:title\" content=\"");
	sb_add_html(b, it->title);
	sb_add(b, "\">\n<meta property=\"og:type\" content=\"article\">\n");
	if (L == RL_OG || L == RL_OG_PROTOREL || L == RL_RELATIVE) {
		sb_add(b, "<meta property=\"og:image\" content=\"");
		sb_add_html(b, u->meta);
		sb_add(b, "\">\n");
	}
	if (L == RL_TWITTER) {
		sb_add(b, "<meta name=\"twitter:card\" content=\"summary_large_image\">\n"
			  "<meta name=\"twitter:image\" content=\"");
		sb_add_html(b, u->meta);
		sb_add(b, "\">\n");
	} else {
		sb_add(b, "<meta name=\"twitter:card\" content=\"summary\">\n");
	}
	if (L == RL_IMAGE_SRC || L == RL_BASE_HREF) {
		sb_add(b, "<link rel=\"image_src\" href=\"");
		sb_add_html(b, u->meta);
		sb_add(b, "\">\n");
	}
	sb_add(b, "<link rel=\"icon\" href=\"/favicon.ico\">\n");
	if (L == RL_JSONLD_STRING || L == RL_JSONLD_OBJECT || L == RL_JSONLD_ARRAY) {
		sb_add(b, "<script type=\"application/ld+json\">\n{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\",\"headline\":\"");
		sb_add_json(b, it->title);
		sb_add(b, "\",\"image\":");
		if (L == RL_JSONLD_STRING)
			sb_addf(b, "\"%s\"", u->meta);
		else if (L == RL_JSONLD_OBJECT)
			sb_addf(b, "{\"@type\":\"ImageObject\",\"url\":\"%s\",\"width\":%d,\"height\":%d}",
				u->meta, it->w, it->h);
		else
			sb_addf(b, "[\"%s\",\"%s\"]", u->meta, u->logo);
		sb_add(b, ",\"publisher\":{\"@type\":\"Organization\",\"name\":\"The Daily Sim\",\"logo\":{\"@type\":\"ImageObject\",\"url\":\"");
		sb_add(b, u->logo);
		sb_add(b, "\"}}}\n</script>\n");
	}
	sb_add(b, "</head>\n<body>\n<header class=\"site\">");
	if (logo_in_body) {
		sb_add(b, "<a href=\"/\"><img class=\"logo\" src=\"");
		sb_add_html(b, u->logo);
		sb_add(b, "\" width=\"200\" height=\"50\" alt=\"The Daily Sim\"></a>");
	}
	sb_add(b, "<nav><a href=\"/news\">News</a> <a href=\"/sport\">Sport</a></nav></header>\n<main>\n<article>\n<h1>");
	sb_add_html(b, it->title);
	sb_add(b, "</h1>\n");
	if (L == RL_LAZY_SRCSET) {
		sb_addf(b, "<figure><img class=\"lazyload\" src=\"%s\" data-src=\"", PLACEHOLDER);
		sb_add_html(b, u->mid);
		sb_add(b, "\" srcset=\"");
		sb_add_html(b, u->small);
		sb_addf(b, " %dw, ", u->small_w);
		sb_add_html(b, u->cover);
		sb_addf(b, " %dw, ", it->w);
		sb_add_html(b, u->mid);
		sb_addf(b, " %dw\" sizes=\"(max-width: 600px) 100vw, 800px\" alt=\"", u->mid_w);
		sb_add_html(b, it->title);
		sb_add(b, "\"></figure>\n");
	} else if (u->body_img) {
		sb_add(b, "<figure><img src=\"");
		sb_add_html(b, u->body_img);
		sb_addf(b, "\" width=\"%d\" height=\"%d\" alt=\"", it->w, it->h);
		sb_add_html(b, it->title);
		sb_add(b, "\"><figcaption>Photo: The Daily Sim</figcaption></figure>\n");
	}
	paragraphs(b, it, 0);
	sb_addf(b, "</article>\n</main>\n<img src=\"%s://pixel.stats-sim.test/t.gif?p=%s&amp;r=%08x\" width=\"1\" height=\"1\" alt=\"\">\n"
		   "</body>\n</html>\n", it->scheme, it->id, (unsigned)(it->rnd & 0xffffffffu));
}

void web_page(sbuf *b, const web_item *it, const web_item *items, const web_page_urls *u)
{
	if (it->layout == RL_MSN2019)
		msn_page(b, it, items, u);
	else
		generic_page(b, it, u);
}
