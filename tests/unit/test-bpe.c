/* test-bpe.c: CLIP's text cleaning (model/clip/bpe.c): ftfy's table fixes on its own
 * documented examples, and against what Python's
 * html.unescape (twice), regex \s+ collapsing, str.strip and str.lower give
 * (expected bytes written down from /usr/bin/python3), and the BPE of a
 * hand-made vocabulary where merge ranks, </w> and unknown symbols matter. */
#include "config.h"
#include "model/clip/bpe.h"
#include "vmind/lib/util.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void clean_is(const char *in, const char *want, const char *what)
{
	char *got = clip_bpe_clean(in);
	is_str(got, want, "clean: %s", what);
	free(got);
}

static void fix_is(const char *in, const char *want, const char *what)
{
	char *got = clip_bpe_fix_text(in);
	is_str(got, want, "ftfy fix: %s", what);
	free(got);
}

static void ids_is(clip_bpe_tok *t, const char *text, const char *want)
{
	int32_t ids[77];
	int n = clip_bpe_encode(t, text, ids, 8);
	char got[512] = "";
	size_t o = 0;
	for (int i = 0; i < n; i++) o += (size_t)snprintf(got + o, sizeof got - o, i ? " %d" : "%d", ids[i]);
	is_str(got, want, "ids of '%s'", text);
}

int main(void)
{
	/* ftfy.fix_text's own documented examples and tables (ftfy 6) */
	fix_is("\xe2\x80\x9chere\xe2\x80\x99s a test\xe2\x80\x9d", "\"here's a test\"", "uncurl_quotes docstring");
	fix_is("\xef\xac\x82" "u\xef\xac\x83" "e\xef\xac\x86", "fluffiest", "fix_latin_ligatures docstring");
	fix_is("\xef\xbc\xac\xef\xbc\xaf\xef\xbc\xb5\xef\xbc\xa4\xe3\x80\x80\xef\xbc\xae\xef\xbc\xaf\xef\xbc\xa9\xef\xbc\xb3\xef\xbc\xa5\xef\xbc\xb3",
	       "LOUD NOISES", "fix_character_width docstring");
	fix_is("\x1b[36;44mI'm blue, da ba dee da ba doo...\x1b[0m", "I'm blue, da ba dee da ba doo...",
	       "remove_terminal_escapes docstring");
	fix_is("\xc2\x93" "C1\xc2\x94 \xc2\x96 \xc2\x81", "\"C1\" \xe2\x80\x93 \xc2\x81", "C1 controls as Windows-1252 (0x81 undefined: kept)");
	fix_is("&lt;tag&gt; &EACUTE;t&eacute; &#8217; &#abc; &amp;amp;amp;", "<tag> \xc3\x89t\xc3\xa9 ' &#abc; &",
	       "';' entities (upper-cased names too) unescaped until stable, then quotes uncurled");
	fix_is("<b>&rsquo;</b>", "<b>&rsquo;</b>", "no unescaping when the text has '<'");
	fix_is("\xef\xbb\xbf" "a\x01" "b\x0b" "c\td\r\ne\xe2\x80\xa8" "f", "abc\td\ne\nf", "BOM and control characters removed, line breaks");
	clean_is("Trump&rsquo;s", "trump's", "an entity curly quote is uncurled (ftfy unescapes first)");
	clean_is("Tom &amp;amp; Jerry", "tom & jerry", "unescaped twice, lower-cased");
	clean_is("  A\xc2\xa0 B\t\nC  ", "a b c", "whitespace (with NBSP) collapsed and stripped");
	clean_is("\xce\xa3\xce\x91\xce\xa3 \xc4\xb0", "\xcf\x83\xce\xb1\xcf\x82 i\xcc\x87", "final sigma, dotted capital I");
	clean_is("\xce\x91\xce\xa3's", "\xce\xb1\xcf\x83's", "sigma before an apostrophe and a letter is not final");
	clean_is("a'\xce\xa3.", "a'\xcf\x82.", "sigma after a letter and an apostrophe is final");
	clean_is("&notit; &ampx &#x80;&#0;", "\xc2\xac" "it; &x \xe2\x82\xac\xef\xbf\xbd", "entity prefixes, cp1252 and NUL references");
	clean_is("Cafe\xcc\x81", "caf\xc3\xa9", "NFC");
	clean_is("&#65&#x42;&bogus;&", "ab&bogus;&", "references without ';', unknown names");
	clean_is("x\x1f", "x", "U+001F stripped at the end (str.isspace)");
	clean_is("\xff" "a", "\xef\xbf\xbd" "a", "invalid UTF-8 becomes U+FFFD");
	clean_is("", "", "empty");

	/* a hand-made vocabulary: bytes a, b, c, with and without </w>; merges
	 * "a b" (rank 0), "ab c</w>" (rank 1), "b c</w>" (rank 2) */
	char dir[] = "/tmp/test-bpe.XXXXXX";
	if (!mkdtemp(dir)) return 99;
	char *vp = xasprintf("%s/vocab.json", dir), *mp = xasprintf("%s/merges.txt", dir);
	FILE *fp = fopen(vp, "w");
	fputs("{\"a\": 0, \"b\": 1, \"c\": 2, \"a</w>\": 3, \"b</w>\": 4, \"c</w>\": 5, \"ab\": 6, \"abc</w>\": 7,"
	      " \"bc</w>\": 8, \"!</w>\": 9, \"<|startoftext|>\": 10, \"<|endoftext|>\": 11}", fp);
	fclose(fp);
	fp = fopen(mp, "w");
	fputs("#version: 0.2\na b\nab c</w>\nb c</w>\n", fp);
	fclose(fp);
	char err[512];
	clip_bpe_tok *t = clip_bpe_load(vp, mp, err, sizeof err);
	if (!ok(t != NULL, "hand-made vocabulary loads")) { printf("# %s\n", err); return tap_done(); }
	ok(clip_bpe_bos(t) == 10 && clip_bpe_eos(t) == 11, "start and end ids from vocab.json");
	ids_is(t, "abc", "10 7 11");          /* a b c</w> -> ab c</w> -> abc</w> */
	ids_is(t, "bc", "10 8 11");           /* b c</w> */
	ids_is(t, "ABCA", "10 6 2 3 11");     /* ab c a</w>: no "c a</w>" merge */
	ids_is(t, "a!", "10 3 9 11");         /* letters and punctuation split */
	ids_is(t, "d", "10 11 11");           /* an unknown symbol is the end token */
	ids_is(t, "a a a a a a a a", "10 3 3 3 3 3 3 11"); /* truncated to 8 keeping the end */
	ids_is(t, "", "10 11");
	clip_bpe_free(t);
	/* errors name the file */
	fp = fopen(vp, "w");
	fputs("{\"a\": 0,", fp);
	fclose(fp);
	ok(clip_bpe_load(vp, mp, err, sizeof err) == NULL && strstr(err, vp) && strstr(err, "bad JSON"), "bad vocab.json named");
	fp = fopen(vp, "w");
	fputs("{\"a\": 0}", fp);
	fclose(fp);
	ok(clip_bpe_load(vp, mp, err, sizeof err) == NULL && strstr(err, "<|endoftext|>"), "vocabulary without the special tokens");
	unlink(vp);
	unlink(mp);
	rmdir(dir);
	free(vp);
	free(mp);
	return tap_done();
}
