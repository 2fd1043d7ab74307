/* bpe.c: CLIP's byte-level BPE tokenizer (see bpe.h for the exact steps).
 * The reference is OpenAI's simple_tokenizer.py and Hugging Face's
 * CLIPTokenizer: this file follows them step by step, with libunistring for
 * normalisation, case mapping and the Unicode classes, and Python's own
 * HTML entity tables (bpe-entities.h). Symbols are interned strings; merges
 * are a hash map from a pair of symbols to (rank, merged symbol). */
#include "config.h"
#include "bpe.h"
#include "vmind/lib/buf.h"
#include "vmind/lib/util.h"
#include "bpe-entities.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

/* c appended to b as UTF-8 */
static void buf_add_uc(vm_buf *b, ucs4_t c)
{
	uint8_t tmp[6];
	int k = u8_uctomb(tmp, c, sizeof tmp);
	if (k > 0)
		vm_buf_addn(b, tmp, (size_t)k);
}

/* ---- string interning: open addressing, FNV-1a ---- */
typedef struct strtab {
	char **str;       /* [count] */
	int32_t *slot;    /* [cap] index into str, -1 empty */
	size_t count, cap, alloc;
} strtab;

static int32_t strtab_find(const strtab *t, const char *s, size_t n)
{
	if (!t->cap)
		return -1;
	for (size_t i = vm_fnv1a64(s, n) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		int32_t k = t->slot[i];
		if (k < 0)
			return -1;
		if (strlen(t->str[k]) == n && memcmp(t->str[k], s, n) == 0)
			return k;
	}
}
static int32_t strtab_add(strtab *t, const char *s, size_t n)
{
	int32_t k = strtab_find(t, s, n);
	if (k >= 0)
		return k;
	if ((t->count + 1) * 2 > t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 1024;
		int32_t *ns = xmalloc(nc * sizeof *ns);
		for (size_t i = 0; i < nc; i++) ns[i] = -1;
		for (size_t j = 0; j < t->count; j++) {
			size_t i = vm_fnv1a64(t->str[j], strlen(t->str[j])) & (nc - 1);
			while (ns[i] >= 0) i = (i + 1) & (nc - 1);
			ns[i] = (int32_t)j;
		}
		free(t->slot);
		t->slot = ns;
		t->cap = nc;
	}
	if (t->count == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 1024;
		t->str = xrealloc(t->str, t->alloc * sizeof *t->str);
	}
	k = (int32_t)t->count++;
	t->str[k] = xstrndup(s, n);
	size_t i = vm_fnv1a64(s, n) & (t->cap - 1);
	while (t->slot[i] >= 0) i = (i + 1) & (t->cap - 1);
	t->slot[i] = k;
	return k;
}
static void strtab_free(strtab *t)
{
	for (size_t i = 0; i < t->count; i++) free(t->str[i]);
	free(t->str);
	free(t->slot);
}

/* ---- merges: (a,b) -> rank, merged symbol ---- */
typedef struct merge_ent { uint64_t key; int32_t rank, merged; } merge_ent;

struct clip_bpe_tok {
	strtab sym;            /* symbols: vocab strings, merge parts and results */
	int32_t *sym_id;       /* [sym.count at load] vocab id of a symbol, -1 none */
	merge_ent *merges;     /* [mcap] key 0 = empty (pairs are stored +1) */
	size_t mcap;
	int32_t bos, eos, vocab_size;
	char byte_enc[256][4]; /* bytes_to_unicode(): byte -> UTF-8 of its printable stand-in */
};

static uint64_t pair_key(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)(a + 1) << 32) | (uint32_t)(b + 1); }
static uint64_t mix64(uint64_t x) { x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; return x; }

static const merge_ent *merge_find(const clip_bpe_tok *t, int32_t a, int32_t b)
{
	if (a < 0 || b < 0 || !t->mcap)
		return NULL;
	uint64_t k = pair_key(a, b);
	for (size_t i = mix64(k) & (t->mcap - 1);; i = (i + 1) & (t->mcap - 1)) {
		if (t->merges[i].key == 0) return NULL;
		if (t->merges[i].key == k) return &t->merges[i];
	}
}

/* the bytes CLIP's byte-level symbols keep as themselves */
static int byte_printable(int b)
{
	return (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

static void bytes_to_unicode(clip_bpe_tok *t)
{
	int n = 0;
	for (int b = 0; b < 256; b++) {
		ucs4_t c = byte_printable(b) ? (ucs4_t)b : (ucs4_t)(256 + n++);
		memset(t->byte_enc[b], 0, 4);
		u8_uctomb((uint8_t *)t->byte_enc[b], c, 4);
	}
}

/* vm_read_file with "FILE: reason" in err */
static char *read_or_err(const char *path, size_t *len, char *err, size_t errlen)
{
	char *text = vm_read_file(path, len);
	if (!text)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return text;
}

/* vocab.json, an object of token -> id: the tokens interned in file order
 * (symbol i is token i), *idsp their ids (malloc'ed). The count, or -1
 * with "FILE: message" in err. */
static int load_vocab(clip_bpe_tok *t, const char *path, int32_t **idsp, char *err, size_t errlen)
{
	size_t len;
	char *text = read_or_err(path, &len, err, errlen);
	if (!text)
		return -1;
	cJSON *root = cJSON_ParseWithLength(text, len), *it;
	int32_t *ids = NULL;
	int i = 0, n = -1;
	free(text);
	if (!root || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "%s: bad JSON (an object of token -> id is expected)", path);
		goto out;
	}
	ids = xmalloc(((size_t)cJSON_GetArraySize(root) + 1) * sizeof *ids);
	cJSON_ArrayForEach(it, root) {
		if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1e8) {
			snprintf(err, errlen, "%s: token %s: id is not a number", path, it->string);
			goto out;
		}
		if (strtab_add(&t->sym, it->string, strlen(it->string)) != i) {
			snprintf(err, errlen, "%s: token %s appears twice", path, it->string);
			goto out;
		}
		ids[i++] = (int32_t)it->valuedouble;
		if (ids[i - 1] + 1 > t->vocab_size) t->vocab_size = ids[i - 1] + 1;
	}
	n = i;
out:
	if (root) cJSON_Delete(root);
	if (n < 0) {
		free(ids);
		ids = NULL;
	}
	*idsp = ids;
	return n;
}

/* The merge "a b" of a line [p, e) whose space is at sp, at rank: the pair
 * (a, b) -> a b merged; the first (lowest) rank of a pair wins. */
static void add_merge(clip_bpe_tok *t, const char *p, const char *sp, const char *e, int rank)
{
	int32_t a = strtab_add(&t->sym, p, (size_t)(sp - p));
	int32_t b = strtab_add(&t->sym, sp + 1, (size_t)(e - sp - 1));
	char *ab = xmalloc((size_t)(e - p));
	memcpy(ab, p, (size_t)(sp - p));
	memcpy(ab + (sp - p), sp + 1, (size_t)(e - sp - 1));
	int32_t m = strtab_add(&t->sym, ab, (size_t)(e - p - 1));
	free(ab);
	uint64_t k = pair_key(a, b);
	size_t s = mix64(k) & (t->mcap - 1);
	while (t->merges[s].key && t->merges[s].key != k) s = (s + 1) & (t->mcap - 1);
	if (!t->merges[s].key) {
		t->merges[s].key = k;
		t->merges[s].rank = rank;
		t->merges[s].merged = m;
	}
}

/* merges.txt, stripped then split at "\n" like HF's: line 1 is the
 * "#version" line and is skipped, as CLIP does; at most 49152-256-2 merges
 * are used (simple_tokenizer.py, HF). 0, or -1 with "FILE:LINE: message"
 * in err. */
static int load_merges(clip_bpe_tok *t, const char *path, char *err, size_t errlen)
{
	size_t len, nlines = 0;
	char *text = read_or_err(path, &len, err, errlen);
	if (!text)
		return -1;
	for (size_t k = 0; k < len; k++) nlines += text[k] == '\n';
	t->mcap = 1024;
	while (t->mcap < 2 * (nlines + 1)) t->mcap *= 2;
	t->merges = xcalloc(t->mcap, sizeof *t->merges);
	char *p = text, *end = text + len;
	while (end > p && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\t')) end--;
	int lineno = 0, rank = 0, rc = 0;
	for (; p < end && rc == 0; ) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		lineno++;
		if (lineno > 1 && rank < 49152 - 256 - 2) {
			char *sp = memchr(p, ' ', (size_t)(le - p));
			char *e2 = le;
			if (e2 > p && e2[-1] == '\r') e2--;
			if (!sp || sp == p || sp + 1 >= e2 || memchr(sp + 1, ' ', (size_t)(e2 - sp - 1))) {
				snprintf(err, errlen, "%s:%d: a merge is two symbols separated by one space", path, lineno);
				rc = -1;
			} else {
				add_merge(t, p, sp, e2, rank++);
			}
		}
		p = le + 1;
	}
	free(text);
	return rc;
}

clip_bpe_tok *clip_bpe_load(const char *vocab_json, const char *merges_txt, char *err, size_t errlen)
{
	clip_bpe_tok *t = xcalloc(1, sizeof *t);
	int32_t *ids = NULL;
	bytes_to_unicode(t);
	int n = load_vocab(t, vocab_json, &ids, err, errlen);
	if (n < 0 || load_merges(t, merges_txt, err, errlen) < 0)
		goto fail;
	t->sym_id = xmalloc((t->sym.count + 1) * sizeof *t->sym_id);
	for (size_t k = 0; k < t->sym.count; k++)
		t->sym_id[k] = (int)k < n ? ids[k] : -1;
	int32_t sb = strtab_find(&t->sym, "<|startoftext|>", 15);
	int32_t se = strtab_find(&t->sym, "<|endoftext|>", 13);
	if (sb < 0 || se < 0 || t->sym_id[sb] < 0 || t->sym_id[se] < 0) {
		snprintf(err, errlen, "%s: <|startoftext|> and <|endoftext|> must be in the vocabulary", vocab_json);
		goto fail;
	}
	t->bos = t->sym_id[sb];
	t->eos = t->sym_id[se];
	free(ids);
	return t;
fail:
	free(ids);
	clip_bpe_free(t);
	return NULL;
}

void clip_bpe_free(clip_bpe_tok *t)
{
	if (!t) return;
	strtab_free(&t->sym);
	free(t->sym_id);
	free(t->merges);
	free(t);
}

int32_t clip_bpe_bos(const clip_bpe_tok *t) { return t->bos; }
int32_t clip_bpe_eos(const clip_bpe_tok *t) { return t->eos; }
int32_t clip_bpe_vocab_size(const clip_bpe_tok *t) { return t->vocab_size; }

/* ---- cleaning ---- */

/* Valid UTF-8 with each invalid byte replaced by U+FFFD. */
static char *utf8_sanitize(const char *s)
{
	vm_buf b = {0};
	size_t n = strlen(s);
	const uint8_t *p = (const uint8_t *)s, *e = p + n;
	while (p < e) {
		ucs4_t c;
		int k = u8_mbtoucr(&c, p, (size_t)(e - p));
		if (k < 0) {
			buf_add_uc(&b, 0xfffd);
			p++;
		} else {
			vm_buf_addn(&b, p, (size_t)k);
			p += k;
		}
	}
	return vm_buf_steal(&b);
}

static int ent_cmp(const void *key, const void *elt)
{
	return strcmp((const char *)key, *(const char *const *)elt);
}
static const char *entity(const char *name)
{
	const void *r = bsearch(name, bpe_entities, sizeof bpe_entities / sizeof bpe_entities[0],
				sizeof bpe_entities[0], ent_cmp);
	return r ? ((const char *const *)r)[1] : NULL;
}

/* s with each '&' handed to one(), which appends what the reference stands
 * for (or the text as it is) and returns where the text goes on. */
static char *replace_refs(const char *s, const char *(*one)(const char *amp, vm_buf *b))
{
	vm_buf b = {0};
	const char *p = s;
	while (*p) {
		const char *amp = strchr(p, '&');
		if (!amp) {
			vm_buf_addn(&b, p, strlen(p));
			break;
		}
		vm_buf_addn(&b, p, (size_t)(amp - p));
		p = one(amp, &b);
	}
	return vm_buf_steal(&b);
}

/* One reference as Python's html.unescape reads it. */
static const char *html_ref(const char *amp, vm_buf *b)
{
	const char *q = amp + 1;
	if (*q == '#') {
		int hex = (q[1] == 'x' || q[1] == 'X');
		const char *d = q + 1 + hex, *de = d;
		while (hex ? ((*de >= '0' && *de <= '9') || ((*de | 32) >= 'a' && (*de | 32) <= 'f')) : (*de >= '0' && *de <= '9'))
			de++;
		if (de == d) { /* "&#" not followed by digits: left as is */
			vm_buf_addn(b, "&", 1);
			return q;
		}
		unsigned long long num = 0;
		for (const char *x = d; x < de; x++) {
			int v = *x <= '9' ? *x - '0' : (*x | 32) - 'a' + 10;
			num = num * (hex ? 16 : 10) + (unsigned)v;
			if (num > 0x7fffffff) num = 0x7fffffff; /* saturate: > 0x10FFFF anyway */
		}
		if (*de == ';') de++;
		int done = 0;
		for (size_t i = 0; i < sizeof bpe_invalid_charrefs / sizeof bpe_invalid_charrefs[0]; i++)
			if (bpe_invalid_charrefs[i].num == num) {
				vm_buf_addn(b, bpe_invalid_charrefs[i].utf8, strlen(bpe_invalid_charrefs[i].utf8));
				done = 1;
			}
		if (done)
			return de;
		if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) {
			buf_add_uc(b, 0xfffd);
			return de;
		}
		for (size_t i = 0; i < sizeof bpe_invalid_codepoints / sizeof bpe_invalid_codepoints[0]; i++)
			if (bpe_invalid_codepoints[i] == num) done = 1;
		if (!done)
			buf_add_uc(b, (ucs4_t)num);
		return de;
	}
	/* named: [^\t\n\f <&#;]{1,32};? counted in code points */
	const char *e = q;
	int cps = 0;
	while (*e && cps < 32 && !strchr("\t\n\f <&#;", *e)) {
		ucs4_t c;
		int k = u8_mbtouc(&c, (const uint8_t *)e, strlen(e));
		e += k > 0 ? k : 1;
		cps++;
	}
	if (cps == 0) {
		vm_buf_addn(b, "&", 1);
		return q;
	}
	if (*e == ';') e++;
	size_t len = (size_t)(e - q);
	char name[200];
	memcpy(name, q, len);
	name[len] = 0;
	const char *v = entity(name);
	if (v) {
		vm_buf_addn(b, v, strlen(v));
		return e;
	}
	/* longest prefix, at least 2 characters, not the whole */
	int found = 0;
	for (size_t x = len - 1; x > 1; x--) {
		char c = name[x];
		name[x] = 0;
		v = entity(name);
		name[x] = c;
		if (v) {
			vm_buf_addn(b, v, strlen(v));
			vm_buf_addn(b, q + x, len - x);
			found = 1;
			break;
		}
	}
	if (!found) {
		vm_buf_addn(b, "&", 1);
		vm_buf_addn(b, q, len);
	}
	return e;
}

/* Python's html.unescape, on UTF-8. */
static char *html_unescape(const char *s)
{
	return replace_refs(s, html_ref);
}

/* ---- the deterministic part of ftfy.fix_text (ftfy 6, default settings) ----
 * OpenAI's basic_clean runs ftfy.fix_text before unescaping HTML. Its
 * table-driven fixes are done here, in ftfy's order, repeated until nothing
 * changes: unescaping of ";"-terminated HTML entities (only when the input
 * has no "<"), C1 control characters read as Windows-1252, Latin ligatures split,
 * full- and half-width forms to their normal width, curly quotes to straight
 * ones, line breaks to "\n", ANSI terminal escapes and stray control
 * characters removed, NFC. ftfy's mojibake repair (fix_encoding: guessing
 * that text was decoded with the wrong single-byte codec, by a badness
 * heuristic) is not done; vlsnr-embed(1) says so. */

/* Windows-1252 for U+0080..U+009F (the five undefined bytes stay) */
static const uint16_t c1_cp1252[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static const struct { ucs4_t c; const char *s; } latin_ligatures[] = {
	{ 0x0132, "IJ" }, { 0x0133, "ij" }, { 0x0149, "\xca\xbcn" },
	{ 0x01c4, "D\xc5\xbd" }, { 0x01c5, "D\xc5\xbe" }, { 0x01c6, "d\xc5\xbe" },
	{ 0x01c7, "LJ" }, { 0x01c8, "Lj" }, { 0x01c9, "lj" },
	{ 0x01ca, "NJ" }, { 0x01cb, "Nj" }, { 0x01cc, "nj" },
	{ 0x01f1, "DZ" }, { 0x01f2, "Dz" }, { 0x01f3, "dz" },
	{ 0xfb00, "ff" }, { 0xfb01, "fi" }, { 0xfb02, "fl" }, { 0xfb03, "ffi" },
	{ 0xfb04, "ffl" }, { 0xfb05, "\xc5\xbft" }, { 0xfb06, "st" },
};

/* ftfy's remove_control_chars set */
static int ftfy_control(ucs4_t c)
{
	return c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1f) || c == 0x7f ||
	       (c >= 0x206a && c <= 0x206f) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffc);
}

/* ftfy's unescape_html: each &#?[0-9A-Za-z]{1,24}; that is an HTML5 entity
 * (or the upper-cased form of a lower-case one that is not itself an entity),
 * or a numeric reference whose value has no ";". */
static const char *ftfy_ref(const char *amp, vm_buf *b)
{
	const char *q = amp + 1, *e;
	int num = *q == '#';
	for (e = q + num; e - (q + num) < 24 && isalnum((unsigned char)*e) && (unsigned char)*e < 0x80; e++)
		;
	if (e == q + num || *e != ';') {
		vm_buf_addn(b, "&", 1);
		return q;
	}
	size_t len = (size_t)(e + 1 - amp);        /* "&...;" */
	char ref[32];
	memcpy(ref, amp, len);
	ref[len] = 0;
	char *v = NULL;
	if (num) {
		v = html_unescape(ref);
		if (strchr(v, ';')) { free(v); v = NULL; }
	} else {
		const char *ev = entity(ref + 1);
		if (ev) {
			v = xstrdup(ev);
		} else {
			int upper = 1;
			for (const char *x = ref + 1; *x != ';'; x++)
				if (islower((unsigned char)*x)) upper = 0;
			char low[32];
			for (size_t i = 0; i <= len; i++) low[i] = (char)tolower((unsigned char)ref[i]);
			char *same = upper ? html_unescape(ref) : NULL;
			if (upper && strcmp(same, ref) == 0 && (ev = entity(low + 1)) != NULL) {
				size_t n = 0;
				uint8_t *up = u8_toupper((const uint8_t *)ev, strlen(ev), NULL, NULL, NULL, &n);
				if (up) { v = xstrndup((const char *)up, n); free(up); }
			}
			free(same);
		}
	}
	if (v) {
		vm_buf_addn(b, v, strlen(v));
		free(v);
	} else {
		vm_buf_addn(b, ref, len);
	}
	return e + 1;
}

/* one pass of the character fixes over UTF-8 s */
static char *ftfy_chars(const char *s)
{
	vm_buf b = {0};
	const uint8_t *p = (const uint8_t *)s, *e = p + strlen(s);
	while (p < e) {
		ucs4_t c;
		int k = u8_mbtouc(&c, p, (size_t)(e - p));
		if (k <= 0) k = 1;
		p += k;
		if (c >= 0x80 && c <= 0x9f)
			c = c1_cp1252[c - 0x80];
		int lig = 0;
		for (size_t i = 0; i < sizeof latin_ligatures / sizeof latin_ligatures[0]; i++)
			if (latin_ligatures[i].c == c) {
				vm_buf_addn(&b, latin_ligatures[i].s, strlen(latin_ligatures[i].s));
				lig = 1;
			}
		if (lig)
			continue;
		if (c == 0x3000) {
			c = ' ';
		} else if (c >= 0xff01 && c <= 0xffef) {
			size_t n = 0;
			uint8_t one[4];
			int m = u8_uctomb(one, c, 4);
			uint8_t *w = m > 0 ? u8_normalize(UNINORM_NFKC, one, (size_t)m, NULL, &n) : NULL;
			if (w) {
				vm_buf_addn(&b, w, n);
				free(w);
				continue;
			}
		}
		if (c == 0x02bc || (c >= 0x2018 && c <= 0x201b))
			c = '\'';
		else if (c >= 0x201c && c <= 0x201f)
			c = '"';
		if (c == '\r') {
			if (p < e && *p == '\n') p++;
			c = '\n';
		} else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
			c = '\n';
		}
		buf_add_uc(&b, c);
	}
	/* ANSI escapes: ESC [ (digits or ;)* letter */
	char *fixed = vm_buf_steal(&b);
	vm_buf o = {0};
	for (const char *x = fixed; *x; ) {
		if (*x == 0x1b && x[1] == '[') {
			const char *y = x + 2;
			while ((*y >= '0' && *y <= '9') || *y == ';') y++;
			if (isalpha((unsigned char)*y) && (unsigned char)*y < 0x80) {
				x = y + 1;
				continue;
			}
		}
		ucs4_t c;
		int k = u8_mbtouc(&c, (const uint8_t *)x, strlen(x));
		if (k <= 0) k = 1;
		if (!ftfy_control(c))
			vm_buf_addn(&o, x, (size_t)k);
		x += k;
	}
	free(fixed);
	char *kept = vm_buf_steal(&o);
	size_t n = 0;
	uint8_t *nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)kept, strlen(kept), NULL, &n);
	if (nfc) {
		free(kept);
		kept = xstrndup((const char *)nfc, n);
		free(nfc);
	}
	return kept;
}

char *clip_bpe_fix_text(const char *text)
{
	char *s = utf8_sanitize(text);
	int unescape = strchr(s, '<') == NULL;   /* decided once, on the input */
	for (int pass = 0; pass < 16; pass++) {
		char *u = unescape ? replace_refs(s, ftfy_ref) : xstrdup(s);
		char *f = ftfy_chars(u);
		free(u);
		int same = strcmp(f, s) == 0;
		free(s);
		s = f;
		if (same)
			break;
	}
	return s;
}

static int is_ws(ucs4_t c) { return uc_is_property_white_space(c); }
/* Python's str.isspace (used by strip()): White_Space plus U+001C..U+001F */
static int is_pyspace(ucs4_t c) { return is_ws(c) || (c >= 0x1c && c <= 0x1f); }
static int is_L(ucs4_t c) { return uc_is_general_category(c, UC_CATEGORY_L); }
static int is_N(ucs4_t c) { return uc_is_general_category(c, UC_CATEGORY_N); }

/* re.sub(r'\s+', ' ', s).strip() */
static char *whitespace_clean(const char *s)
{
	vm_buf b = {0};
	const uint8_t *p = (const uint8_t *)s, *e = p + strlen(s);
	while (p < e) {
		ucs4_t c;
		int k = u8_mbtouc(&c, p, (size_t)(e - p));
		if (is_ws(c)) {
			while (p < e) {
				k = u8_mbtouc(&c, p, (size_t)(e - p));
				if (!is_ws(c)) break;
				p += k;
			}
			vm_buf_addn(&b, " ", 1);
			continue;
		}
		vm_buf_addn(&b, p, (size_t)k);
		p += k;
	}
	/* strip */
	size_t len = b.len;
	char *collapsed = vm_buf_steal(&b);
	const uint8_t *st = (const uint8_t *)collapsed, *en = st + len;
	while (st < en) {
		ucs4_t c;
		int k = u8_mbtouc(&c, st, (size_t)(en - st));
		if (!is_pyspace(c)) break;
		st += k;
	}
	while (en > st) {
		const uint8_t *pr = en - 1;
		while (pr > st && (*pr & 0xc0) == 0x80) pr--;
		ucs4_t c;
		u8_mbtouc(&c, pr, (size_t)(en - pr));
		if (!is_pyspace(c)) break;
		en = pr;
	}
	char *r = xstrndup((const char *)st, (size_t)(en - st));
	free(collapsed);
	return r;
}

/* Python's str.lower(): full case mapping (u8_tolower) of the runs between
 * capital sigmas, and each U+03A3 decided by Python's Final_Sigma rule
 * (cased, case-ignorables, SIGMA, not followed by case-ignorables and a
 * cased letter), which libunistring's context check does not match when an
 * apostrophe or another case-ignorable stands next to the sigma. */
static char *py_lower(const char *s)
{
	size_t len = strlen(s), ncp = 0;
	ucs4_t *cp = xmalloc((len + 1) * sizeof *cp);
	const uint8_t *p = (const uint8_t *)s, *e = p + len;
	while (p < e) {
		int k = u8_mbtouc(&cp[ncp++], p, (size_t)(e - p));
		p += k;
	}
	vm_buf b = {0};
	p = (const uint8_t *)s;
	const uint8_t *run = p;
	for (size_t i = 0; i < ncp; i++) {
		ucs4_t c;
		int k = u8_mbtouc(&c, p, (size_t)(e - p));
		if (c == 0x3a3) {
			if (p > run) {
				size_t n = 0;
				uint8_t *low = u8_tolower(run, (size_t)(p - run), NULL, NULL, NULL, &n);
				if (low) { vm_buf_addn(&b, low, n); free(low); }
				else vm_buf_addn(&b, run, (size_t)(p - run));
			}
			size_t j = i;
			while (j > 0 && uc_is_property_case_ignorable(cp[j - 1])) j--;
			int fin = j > 0 && uc_is_property_cased(cp[j - 1]);
			if (fin) {
				j = i + 1;
				while (j < ncp && uc_is_property_case_ignorable(cp[j])) j++;
				fin = j == ncp || !uc_is_property_cased(cp[j]);
			}
			buf_add_uc(&b, fin ? 0x3c2 : 0x3c3);
			run = p + k;
		}
		p += k;
	}
	if (p > run) {
		size_t n = 0;
		uint8_t *low = u8_tolower(run, (size_t)(p - run), NULL, NULL, NULL, &n);
		if (low) { vm_buf_addn(&b, low, n); free(low); }
		else vm_buf_addn(&b, run, (size_t)(p - run));
	}
	free(cp);
	return vm_buf_steal(&b);
}

char *clip_bpe_clean(const char *text)
{
	char *s = clip_bpe_fix_text(text);
	char *u1 = html_unescape(s);
	char *u2 = html_unescape(u1);
	free(s);
	free(u1);
	char *w = whitespace_clean(u2);
	free(u2);
	char *r = py_lower(w);
	free(w);
	return r;
}

/* ---- BPE of one pre-token ---- */

/* s[len] as CLIP's printable byte symbols, appended to out */
static void byte_encode(const clip_bpe_tok *t, const char *s, size_t len, vm_buf *out)
{
	for (size_t i = 0; i < len; i++)
		vm_buf_add(out, t->byte_enc[(unsigned char)s[i]]);
}

/* The symbols of byte-encoded s[len]: its characters, the last with </w>;
 * interned in sym when add, else looked up (-1 when unknown). malloc'ed,
 * count in *n. */
static int32_t *symbols_of(strtab *sym, const char *s, size_t len, int add, size_t *n)
{
	int32_t *out = xmalloc((len + 1) * sizeof *out);
	size_t k = 0;
	for (const uint8_t *p = (const uint8_t *)s, *e = p + len; p < e;) {
		ucs4_t c;
		int cl = u8_mbtouc(&c, p, (size_t)(e - p));
		char last[16];
		const char *sp = (const char *)p;
		size_t sl = (size_t)cl;
		if (p + cl >= e) {
			memcpy(last, p, (size_t)cl);
			memcpy(last + cl, "</w>", 4);
			sp = last;
			sl += 4;
		}
		out[k++] = add ? strtab_add(sym, sp, sl) : strtab_find(sym, sp, sl);
		p += cl;
	}
	*n = k;
	return out;
}

static void bpe_word(const clip_bpe_tok *t, const char *tok, size_t len, int32_t **out, size_t *nout, size_t *cap)
{
	vm_buf enc = {0};
	byte_encode(t, tok, len, &enc);
	size_t nw;
	int32_t *w = symbols_of((strtab *)&t->sym, enc.p ? enc.p : "", enc.len, 0, &nw);
	vm_buf_free(&enc);
	while (nw > 1) {
		int32_t best = -1, brank = 0x7fffffff;
		for (size_t i = 0; i + 1 < nw; i++) {
			const merge_ent *m = merge_find(t, w[i], w[i + 1]);
			if (m && m->rank < brank) {
				brank = m->rank;
				best = (int32_t)i;
			}
		}
		if (best < 0)
			break;
		int32_t a = w[best], b = w[best + 1];
		const merge_ent *m = merge_find(t, a, b);
		size_t j = 0;
		for (size_t i = 0; i < nw;) {
			if (w[i] == a && i + 1 < nw && w[i + 1] == b) {
				w[j++] = m->merged;
				i += 2;
			} else {
				w[j++] = w[i++];
			}
		}
		nw = j;
	}
	for (size_t i = 0; i < nw; i++) {
		if (*nout == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*out = xrealloc(*out, *cap * sizeof **out);
		}
		int32_t id = w[i] >= 0 ? t->sym_id[w[i]] : -1;
		(*out)[(*nout)++] = id >= 0 ? id : t->eos;
	}
	free(w);
}

/* The pieces of cleaned text s by CLIP's split pattern, in order: piece(ctx,
 * p, len, special) for each, special 1 for <|startoftext|>, 2 for
 * <|endoftext|>, else 0 (a word, a digit or a run of other symbols, or a
 * contraction). */
static void pretokenize(const char *s, void (*piece)(void *, const char *, size_t, int), void *ctx)
{
	const uint8_t *p = (const uint8_t *)s, *e = p + strlen(s);
	static const char *const contractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
	while (p < e) {
		size_t rest = (size_t)(e - p);
		if (rest >= 15 && memcmp(p, "<|startoftext|>", 15) == 0) {
			piece(ctx, (const char *)p, 15, 1);
			p += 15;
			continue;
		}
		if (rest >= 13 && memcmp(p, "<|endoftext|>", 13) == 0) {
			piece(ctx, (const char *)p, 13, 2);
			p += 13;
			continue;
		}
		if (*p == '\'') {
			size_t ml = 0;
			for (size_t i = 0; i < 7 && !ml; i++) {
				size_t cl = strlen(contractions[i]);
				if (rest >= cl && memcmp(p, contractions[i], cl) == 0) ml = cl;
			}
			/* the pattern is compiled with IGNORECASE: U+017F (long s)
			 * folds to s and U+212A (Kelvin) never survives lower() */
			if (!ml && rest >= 3 && p[1] == 0xc5 && p[2] == 0xbf) ml = 3;
			if (ml) {
				piece(ctx, (const char *)p, ml, 0);
				p += ml;
				continue;
			}
		}
		ucs4_t c;
		int k = u8_mbtouc(&c, p, rest);
		if (is_ws(c)) {
			p += k;
			continue;
		}
		const uint8_t *q = p;
		if (is_L(c)) {
			while (q < e) {
				k = u8_mbtouc(&c, q, (size_t)(e - q));
				if (!is_L(c)) break;
				q += k;
			}
		} else if (is_N(c)) {
			q += k;
		} else {
			while (q < e) {
				k = u8_mbtouc(&c, q, (size_t)(e - q));
				if (is_ws(c) || is_L(c) || is_N(c)) break;
				q += k;
			}
		}
		piece(ctx, (const char *)p, (size_t)(q - p), 0);
		p = q;
	}
}

/* clip_bpe_encode_all's pieces into ids */
typedef struct enc_ctx {
	const clip_bpe_tok *t;
	int32_t *out;
	size_t n, cap;
} enc_ctx;

static void enc_piece(void *arg, const char *p, size_t len, int special)
{
	enc_ctx *c = arg;
	if (!special) {
		bpe_word(c->t, p, len, &c->out, &c->n, &c->cap);
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->out = xrealloc(c->out, c->cap * sizeof *c->out);
	}
	c->out[c->n++] = special == 1 ? c->t->bos : c->t->eos;
}

int32_t *clip_bpe_encode_all(const clip_bpe_tok *t, const char *text, size_t *n)
{
	char *s = clip_bpe_clean(text);
	enc_ctx c = {t, NULL, 0, 0};
	pretokenize(s, enc_piece, &c);
	free(s);
	*n = c.n;
	if (!c.out) c.out = xmalloc(sizeof *c.out);
	return c.out;
}

int clip_bpe_encode(const clip_bpe_tok *t, const char *text, int32_t *ids, int max_len)
{
	size_t n;
	int32_t *all = clip_bpe_encode_all(t, text, &n);
	int k = 0;
	ids[k++] = t->bos;
	for (size_t i = 0; i < n && k < max_len - 1; i++)
		ids[k++] = all[i];
	ids[k++] = t->eos;
	free(all);
	return k;
}

/* ---- learning a vocabulary ---- */

/* The words of a corpus, each once with its count, as symbol sequences. */
typedef struct corpus {
	const clip_bpe_tok *enc;    /* for byte_enc only */
	strtab words;               /* byte-encoded pieces */
	uint32_t *count;            /* [words.count] */
	size_t count_cap;
} corpus;

static void corpus_piece(void *arg, const char *p, size_t len, int special)
{
	corpus *c = arg;
	if (special) return;
	vm_buf enc = {0};
	byte_encode(c->enc, p, len, &enc);
	int32_t k = strtab_add(&c->words, enc.p ? enc.p : "", enc.len);
	vm_buf_free(&enc);
	if ((size_t)k >= c->count_cap) {
		size_t nc = c->count_cap ? 2 * c->count_cap : 1024;
		c->count = xrealloc(c->count, nc * sizeof *c->count);
		memset(c->count + c->count_cap, 0, (nc - c->count_cap) * sizeof *c->count);
		c->count_cap = nc;
	}
	c->count[k]++;
}

/* the most frequent adjacent pair over the words (ties: the pair whose
 * symbols sort first), its count in *best; 0 when there is no pair */
static uint64_t best_pair(const strtab *sym, int32_t *const *w, const size_t *wn, const uint32_t *count, size_t nw,
			  uint32_t *best)
{
	vm_u64count pairs;
	vm_u64count_init(&pairs);
	for (size_t i = 0; i < nw; i++)
		for (size_t j = 0; j + 1 < wn[i]; j++) *vm_u64count_at(&pairs, pair_key(w[i][j], w[i][j + 1])) += count[i];
	uint64_t key = 0;
	*best = 0;
	for (size_t s = 0; s < pairs.cap; s++) {
		uint64_t k = pairs.keys[s];
		if (!k) continue;
		uint32_t c = pairs.counts[s];
		int better = c > *best;
		if (c == *best && key) {
			int d = strcmp(sym->str[(k >> 32) - 1], sym->str[(key >> 32) - 1]);
			if (!d) d = strcmp(sym->str[(uint32_t)k - 1], sym->str[(uint32_t)key - 1]);
			better = d < 0;
		}
		if (better) { *best = c; key = k; }
	}
	vm_u64count_free(&pairs);
	return key;
}

/* vocab.json of CLIP's layout: the 256 byte symbols in bytes_to_unicode's
 * order, the same with </w>, the merged symbols in merge order (each once),
 * <|startoftext|>, <|endoftext|>. The vocabulary's size, or -1 (errno). */
static int write_vocab(const clip_bpe_tok *enc, const strtab *sym, const int32_t *merged, size_t nmerges,
		       const char *path)
{
	cJSON *v = cJSON_CreateObject();
	int id = 0, order[256], k = 0;
	char s[16];
	for (int printable = 1; printable >= 0; printable--)
		for (int b = 0; b < 256; b++)
			if (byte_printable(b) == printable) order[k++] = b;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 256; i++) {
			snprintf(s, sizeof s, "%s%s", enc->byte_enc[order[i]], pass ? "</w>" : "");
			cJSON_AddNumberToObject(v, s, id++);
		}
	for (size_t i = 0; i < nmerges; i++)
		if (!cJSON_GetObjectItemCaseSensitive(v, sym->str[merged[i]]))
			cJSON_AddNumberToObject(v, sym->str[merged[i]], id++);
	cJSON_AddNumberToObject(v, "<|startoftext|>", id++);
	cJSON_AddNumberToObject(v, "<|endoftext|>", id++);
	char *json = cJSON_PrintUnformatted(v);
	cJSON_Delete(v);
	int rc = vm_write_file_atomic(path, json, strlen(json));
	free(json);
	return rc < 0 ? -1 : id;
}

/* merges.txt: the version line, then "a b" per merge */
static int write_merges(const strtab *sym, const int32_t (*pair)[2], size_t nmerges, const char *path)
{
	vm_buf b = {0};
	vm_buf_add(&b, "#version: 0.2\n");
	for (size_t i = 0; i < nmerges; i++) {
		vm_buf_add(&b, sym->str[pair[i][0]]);
		vm_buf_addn(&b, " ", 1);
		vm_buf_add(&b, sym->str[pair[i][1]]);
		vm_buf_addn(&b, "\n", 1);
	}
	int rc = vm_write_file_atomic(path, b.p ? b.p : "", b.len);
	vm_buf_free(&b);
	return rc;
}

/* every occurrence of the pair (a, b) in word w[n] merged into m, left to right */
static void merge_word(int32_t *w, size_t *n, int32_t a, int32_t b, int32_t m)
{
	size_t j = 0;
	for (size_t i = 0; i < *n;) {
		if (i + 1 < *n && w[i] == a && w[i + 1] == b) {
			w[j++] = m;
			i += 2;
		} else {
			w[j++] = w[i++];
		}
	}
	*n = j;
}

int clip_bpe_learn(char *const *texts, size_t n, int vocab_size, const char *vocab_json, const char *merges_txt,
		   char *err, size_t errlen)
{
	clip_bpe_tok enc = {0};
	bytes_to_unicode(&enc);
	corpus c = {&enc, {0}, NULL, 0};
	for (size_t i = 0; i < n; i++) {
		char *s = clip_bpe_clean(texts[i]);
		pretokenize(s, corpus_piece, &c);
		free(s);
	}
	size_t nw = c.words.count, nmerges = 0, maxm = vocab_size > 514 ? (size_t)vocab_size - 514 : 0;
	strtab sym = {0};
	int32_t **w = xmalloc((nw ? nw : 1) * sizeof *w), (*pair)[2] = xmalloc((maxm ? maxm : 1) * sizeof *pair);
	int32_t *merged = xmalloc((maxm ? maxm : 1) * sizeof *merged);
	size_t *wn = xmalloc((nw ? nw : 1) * sizeof *wn);
	for (size_t i = 0; i < nw; i++) w[i] = symbols_of(&sym, c.words.str[i], strlen(c.words.str[i]), 1, &wn[i]);
	while (nmerges < maxm) {
		uint32_t cnt;
		uint64_t key = best_pair(&sym, w, wn, c.count, nw, &cnt);
		if (!key || cnt < 2) break;
		int32_t a = (int32_t)(key >> 32) - 1, b = (int32_t)(uint32_t)key - 1;
		char *ab = xasprintf("%s%s", sym.str[a], sym.str[b]);
		int32_t m = strtab_add(&sym, ab, strlen(ab));
		free(ab);
		for (size_t i = 0; i < nw; i++) merge_word(w[i], &wn[i], a, b, m);
		pair[nmerges][0] = a;
		pair[nmerges][1] = b;
		merged[nmerges++] = m;
	}
	int size = write_vocab(&enc, &sym, merged, nmerges, vocab_json);
	if (size < 0) snprintf(err, errlen, "%s: %s", vocab_json, strerror(errno));
	else if (write_merges(&sym, (const int32_t (*)[2])pair, nmerges, merges_txt) < 0) {
		snprintf(err, errlen, "%s: %s", merges_txt, strerror(errno));
		size = -1;
	}
	for (size_t i = 0; i < nw; i++) free(w[i]);
	free(w); free(wn); free(pair); free(merged); free(c.count);
	strtab_free(&sym);
	strtab_free(&c.words);
	return size;
}
