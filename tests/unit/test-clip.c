/* test-clip.c: the C CLIP against the PyTorch reference's golden files for
 * the committed tiny random model (tests/data/embed, written by
 * tests/reference/clip-ref.py): token ids exactly, the preprocessed 224x224
 * crops bit for bit (sha256, Pillow's bicubic), image and text embeddings
 * within max |diff| <= 1e-4 and cosine >= 0.9999; and clip_load's errors for
 * a broken checkpoint folder (missing, truncated or mis-shaped weights, an
 * unaccounted tensor, bad config JSON), each naming the file. */
#include "config.h"
#include "model/clip/clip.h"
#include "vmind/lib/util.h"
#include "tap.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

/* path holds exactly s[n] (the test's checkpoint copies) */
static void spit(const char *path, const char *s, size_t n)
{
	if (vm_write_file_renamed(path, s, n) != 0)
		printf("# %s: %s\n", path, strerror(errno));
}

/* next '\n'-terminated line of *p (in place) */
static char *next_line(char **p)
{
	if (!**p) return NULL;
	char *s = *p, *nl = strchr(s, '\n');
	if (nl) { *nl = 0; *p = nl + 1; } else *p += strlen(s);
	return s;
}

static void compare_rows(const char *what, const float *got, const float *want, int n, int dim)
{
	double maxd = 0, mincos = 1;
	for (int i = 0; i < n; i++) {
		double dot = 0, ng = 0, nw = 0;
		for (int j = 0; j < dim; j++) {
			double g = got[i * dim + j], w = want[i * dim + j];
			dot += g * w; ng += g * g; nw += w * w;
			if (fabs(g - w) > maxd) maxd = fabs(g - w);
		}
		double c = dot / sqrt(ng * nw);
		if (c < mincos) mincos = c;
	}
	ok(maxd <= 1e-4, "%s: max |diff| %.3g <= 1e-4", what, maxd);
	ok(mincos >= 0.9999, "%s: min cosine %.8f >= 0.9999", what, mincos);
}

static int load_fails(const char *dir, const char *want1, const char *want2, const char *what)
{
	clip_model m;
	char err[1024] = "";
	int r = clip_load(&m, dir, err, sizeof err);
	if (r == 0) clip_free(&m);
	int good = r < 0 && strstr(err, want1) && (!want2 || strstr(err, want2));
	if (!ok(good, "%s", what)) printf("#   message: %s\n", err);
	return good;
}

int main(void)
{
	const char *top = getenv("top_srcdir");
	if (!top) top = ".";
	if (VIPS_INIT("test-clip")) return 99;
	char *data = xasprintf("%s/tests/data/embed", top);
	char *model = xasprintf("%s/tiny-clip", data);
	char err[1024];
	clip_model m;
	if (!ok(clip_load(&m, model, err, sizeof err) == 0, "tiny model loads")) {
		printf("#   %s\n", err);
		return tap_done();
	}
	int dim = m.cfg.proj_dim, ctx = m.cfg.max_pos;
	ok(dim == 16 && m.cfg.v.layers == 2 && m.cfg.t.layers == 2, "config: projection 16, 2+2 layers");

	/* token ids */
	char *p1 = xasprintf("%s/strings.txt", data), *p2 = xasprintf("%s/tokens.txt", data);
	char *strings = vm_read_file(p1, NULL), *tokens = vm_read_file(p2, NULL);
	char *sp = strings, *tp = tokens, *s, *t;
	int nstr = 0, nsame = 0;
	int32_t *ids = xmalloc((size_t)ctx * sizeof *ids);
	while ((s = next_line(&sp)) && (t = next_line(&tp))) {
		int k = clip_bpe_encode(m.tok, s, ids, ctx);
		char line[2048] = "";
		size_t o = 0;
		for (int j = 0; j < k; j++) o += (size_t)snprintf(line + o, sizeof line - o, j ? " %d" : "%d", ids[j]);
		nstr++;
		if (strcmp(line, t) == 0) nsame++;
		else printf("#   string %d: got %s\n#   want %s\n", nstr, line, t);
	}
	ok(nstr >= 20 && nsame == nstr, "token ids of %d tricky strings equal the reference's", nstr);
	free(p1); free(p2); free(strings); free(tokens);

	/* crops and image embeddings */
	p1 = xasprintf("%s/crops.txt", data);
	p2 = xasprintf("%s/golden-image.txt", data);
	char *crops = vm_read_file(p1, NULL), *gimg = vm_read_file(p2, NULL);
	char *cp = crops, *gp = gimg, *c, *g;
	int S = m.cfg.image_size, n = 0;
	float *pix = xmalloc(16 * 3 * (size_t)S * S * sizeof *pix);
	float *want = xmalloc(16 * (size_t)dim * sizeof *want), *got = xmalloc(16 * (size_t)dim * sizeof *got);
	uint8_t *crop = xmalloc((size_t)S * S * 3);
	while ((c = next_line(&cp)) && (g = next_line(&gp)) && n < 16) {
		char name[256], hash[65];
		if (sscanf(c, "%255s %64s", name, hash) != 2) break;
		char *ip = xasprintf("%s/img/%s", data, name);
		int w, h;
		uint8_t *rgb = clip_decode_image(ip, &w, &h, err, sizeof err);
		free(ip);
		if (!ok(rgb != NULL, "%s decodes", name)) { printf("#   %s\n", err); continue; }
		clip_preprocess_u8(rgb, w, h, S, crop);
		free(rgb);
		char hex[65];
		vm_sha256_hex(crop, (size_t)S * S * 3, hex);
		is_str(hex, hash, "%s: %dx%d -> crop identical to Pillow's (sha256)", name, w, h);
		clip_normalize(crop, S, pix + (size_t)n * 3 * S * S);
		char *q = strchr(g, ' ');
		for (int j = 0; j < dim; j++) want[n * dim + j] = strtof(q, &q);
		n++;
	}
	ok(n == 9, "9 test images (PNG: RGB, grey, RGBA; JPEG: RGB, CMYK)");
	clip_image_forward(&m, pix, n, got, 1);
	compare_rows("image embeddings (batch of 9)", got, want, n, dim);
	m.simd = 0;   /* the portable loops (what a CPU without AVX2 runs) */
	clip_image_forward(&m, pix, n, got, 1);
	compare_rows("image embeddings, portable loops", got, want, n, dim);
	m.simd = 1;
	/* batch 1 gives the same as in a batch */
	float one[64];
	clip_image_forward(&m, pix + 3 * (size_t)S * S, 1, one, 1);
	compare_rows("image embedding (batch of 1)", one, want + dim, 1, dim);
	free(p1); free(p2); free(crops); free(gimg); free(crop);

	/* text embeddings (padded with the end token to the longest) */
	p1 = xasprintf("%s/texts.txt", data);
	p2 = xasprintf("%s/golden-text.txt", data);
	char *texts = vm_read_file(p1, NULL), *gtext = vm_read_file(p2, NULL);
	char *xp = texts;
	gp = gtext;
	int nt = 0, T = 0;
	int32_t *all = xmalloc(16 * (size_t)ctx * sizeof *all);
	int lens[16];
	while ((s = next_line(&xp)) && (g = next_line(&gp)) && nt < 16) {
		lens[nt] = clip_bpe_encode(m.tok, s, all + (size_t)nt * ctx, ctx);
		if (lens[nt] > T) T = lens[nt];
		char *q = g;
		for (int j = 0; j < dim; j++) want[nt * dim + j] = strtof(q, &q);
		nt++;
	}
	int32_t *batch = xmalloc((size_t)nt * T * sizeof *batch);
	for (int i = 0; i < nt; i++)
		for (int j = 0; j < T; j++)
			batch[i * T + j] = j < lens[i] ? all[(size_t)i * ctx + j] : clip_bpe_eos(m.tok);
	clip_text_forward(&m, batch, nt, T, got, 1);
	compare_rows("text embeddings", got, want, nt, dim);
	m.simd = 0;
	clip_text_forward(&m, batch, nt, T, got, 1);
	compare_rows("text embeddings, portable loops", got, want, nt, dim);
	m.simd = 1;
	/* unpadded, one at a time: the same (causal mask, pooled at the end token) */
	clip_text_forward(&m, all, 1, lens[0], one, 1);
	compare_rows("text embedding unpadded", one, want, 1, dim);
	ok(lens[nt - 1] == ctx, "a long text is truncated to %d tokens", ctx);
	free(p1); free(p2); free(texts); free(gtext); free(all); free(batch);
	free(pix); free(want); free(got); free(ids);
	clip_free(&m);

	/* broken checkpoint folders */
	char tmpl[] = "/tmp/test-clip.XXXXXX";
	char *tmp = mkdtemp(tmpl);
	if (!tmp) return 99;
	size_t clen, slen;
	char *cfgp = xasprintf("%s/config.json", model), *stp = xasprintf("%s/model.safetensors", model);
	char *cfg = vm_read_file(cfgp, &clen), *st = vm_read_file(stp, &slen);
	const char *files[] = {"vocab.json", "merges.txt"};
	for (int i = 0; i < 2; i++) {
		char *a = xasprintf("%s/%s", model, files[i]), *b = xasprintf("%s/%s", tmp, files[i]);
		size_t l;
		char *x = vm_read_file(a, &l);
		spit(b, x, l);
		free(x); free(a); free(b);
	}
	char *tc = xasprintf("%s/config.json", tmp), *ts = xasprintf("%s/model.safetensors", tmp);
	spit(tc, cfg, clen);
	load_fails(tmp, ts, "No such file", "missing model.safetensors is named");
	spit(ts, st, slen / 2);
	load_fails(tmp, ts, "truncated", "truncated model.safetensors");
	/* rename a tensor in the header (same length) */
	char *st2 = xmalloc(slen);
	memcpy(st2, st, slen);
	size_t hl = 8;
	for (int i = 7; i >= 0; i--) hl = hl + ((size_t)(unsigned char)st[i] << (8 * i));
	char *at = memmem(st2, hl, "text_projection.weight", 22);
	if (at) at[21] = 'X';
	spit(ts, st2, slen);
	load_fails(tmp, ts, "missing tensor text_projection.weight", "missing tensor");
	/* the dtype string of one tensor changed */
	memcpy(st2, st, slen);
	at = memmem(st2, hl, "\"F16\"", 5);
	if (at) memcpy(at, "\"I16\"", 5);
	spit(ts, st2, slen);
	load_fails(tmp, ts, "unknown or unsupported dtype I16", "unknown dtype");
	free(st2);
	spit(ts, st, slen);
	ok(clip_load(&m, tmp, err, sizeof err) == 0, "the copied folder loads");
	clip_free(&m);
	/* config.json implies other shapes */
	char *cfg2 = xmalloc(clen + 1);
	memcpy(cfg2, cfg, clen + 1);
	at = strstr(cfg2, "\"projection_dim\": 16");
	if (at) at[19] = '7';
	spit(tc, cfg2, clen);
	load_fails(tmp, "visual_projection.weight has shape [16,48], config.json implies [17,48]", NULL,
		   "wrong shape against config.json");
	memcpy(cfg2, cfg, clen + 1);
	at = strstr(cfg2, "\"num_hidden_layers\": 2");
	if (at) at[21] = '1';
	spit(tc, cfg2, clen);
	load_fails(tmp, ts, "is not part of the architecture", "a tensor config.json does not account for");
	spit(tc, cfg, clen - 5);
	load_fails(tmp, tc, "bad JSON", "bad config.json");
	free(cfg2);
	char *cmd = xasprintf("rm -rf '%s'", tmp);
	if (system(cmd) != 0) return 99;
	free(cmd); free(tc); free(ts); free(cfg); free(st); free(cfgp); free(stp);
	free(data); free(model);
	vips_shutdown();
	return tap_done();
}
