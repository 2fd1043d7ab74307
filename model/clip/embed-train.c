/* embed-train.c: vlsnr-embed finetune and train (embed-train.h). The pairs
 * are the news items with a real cover; a tenth of them (by the hash of
 * the id, at most 1,000) is held out for the retrieval score. The input of
 * the trained blocks, computed once through the frozen first blocks, is
 * kept on disk under OUT/cache and mapped (chunks of items recorded in
 * OUT/cache/progress as they are written, so a killed run goes on from the
 * last one); the training state (parameters, Adam moments, the position in
 * the epoch) is saved at the end of every epoch and every --save-every
 * seconds, so a killed run goes on from the last save and ends with the
 * weights an uninterrupted run gets (with the same -j). Each epoch writes
 * the checkpoint folder and a row of OUT/log.csv. */
#include "config.h"
#include "embed-train.h"
#include "bpe.h"
#include "clip-fit.h"
#include "vmind/lib/db.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/util.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CHUNK = 64, MAX_HELDOUT = 1000 };

char *embed_find_image(const char *dir, const char *id)
{
	static const char *const ext[] = {"jpg", "jpeg", "png", "webp"};
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		char *p = xasprintf("%s/%s.%s", dir, id, ext[i]);
		if (vm_regular_file_exists(p)) return p;
		free(p);
	}
	return NULL;
}

/* The (cover, title) pairs of a run. */
typedef struct pairs {
	size_t n;
	char **id, **title, **image;   /* [n] */
	char **all_titles;             /* [n_all] every item's title (train learns its vocabulary from them) */
	size_t n_all;
	int32_t *ids;                  /* [n, ctx] token ids */
	int *len, *at;                 /* [n] tokens of each, the row it is pooled at */
	int ctx, Tmax;
	size_t *held, nheld;           /* held-out pairs */
	size_t *train, ntrain;         /* the others */
} pairs;

/* A run: the pairs, the model, the cache and the state. */
typedef struct run {
	const embed_train_opts *o;
	pairs ps;
	clip_model m;
	int have_model;
	clip_fit f;
	int have_fit;
	char *cache_sig, *run_sig;     /* sha256 hex of what the cache and the state depend on */
	unsigned char *vmap;           /* OUT/cache/vision.bin mapped: [n] items of vbytes */
	size_t vbytes, vlen;
	float *tmap;                   /* OUT/cache/text.bin mapped: item i at toff[i] floats */
	size_t *toff, tlen;
	/* the state */
	int epoch;                     /* epochs done */
	long in_epoch;                 /* steps done of the current epoch */
	double loss_sum, seconds;
	long loss_n;
	/* a batch's inputs */
	float *bv, *bt, *baug;         /* baug: [3, S, S] augment's copy */
	int32_t *bids;
	int *bat;
	int tty;
	size_t undecodable;            /* covers that could not be decoded, of the whole cache */
} run;

/* ---------------------------------------------------------------- pairs */

/* news numbers of the items whose image row is a real cover (tier origin,
 * archive or search) into set. 0 or -1 (warned). */
static int real_covers(const char *db_path, vm_u64set *set)
{
	char err[512];
	sqlite3 *db = vm_db_open(db_path, VM_DB_READONLY, err, sizeof err);
	if (!db) {
		vm_warn("%s", err);
		return -1;
	}
	sqlite3_stmt *st = vm_db_prepare(db, "SELECT news_num FROM image WHERE tier IN ('origin', 'archive', 'search')");
	while (vm_db_step_row(db, st)) vm_u64set_add(set, (uint64_t)sqlite3_column_int64(st, 0) + 1);
	sqlite3_finalize(st);
	vm_db_close(db);
	return 0;
}

static void pairs_add(pairs *ps, size_t *cap, const vm_news *row, char *image)
{
	if (ps->n == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		ps->id = xrealloc(ps->id, *cap * sizeof *ps->id);
		ps->title = xrealloc(ps->title, *cap * sizeof *ps->title);
		ps->image = xrealloc(ps->image, *cap * sizeof *ps->image);
	}
	ps->id[ps->n] = xstrdup(row->id);
	ps->title[ps->n] = xstrdup(row->title);
	ps->image[ps->n++] = image;
}

/* Every item of the --news files once; the pairs are those with a cover
 * file in --images (and, with --db, a real one). 0 or -1 (warned). */
static int read_pairs(run *r)
{
	const embed_train_opts *o = r->o;
	vm_u64set seen, real;
	size_t cap = 0, cap_all = 0;
	int rc = -1;
	vm_u64set_init(&seen);
	vm_u64set_init(&real);
	if (o->db && real_covers(o->db, &real) < 0) goto out;
	for (size_t f = 0; f < o->n_news; f++) {
		vm_mind_reader *mr = vm_mind_open(o->news[f], 0);
		if (!mr) goto out;
		vm_news row;
		int k;
		while ((k = vm_news_next(mr, &row)) == VM_MIND_ROW) {
			if (!vm_u64set_add(&seen, (uint64_t)row.num + 1)) continue;
			if (r->ps.n_all == cap_all) {
				cap_all = cap_all ? 2 * cap_all : 1024;
				r->ps.all_titles = xrealloc(r->ps.all_titles, cap_all * sizeof *r->ps.all_titles);
			}
			r->ps.all_titles[r->ps.n_all++] = xstrdup(row.title);
			if (o->db && !vm_u64set_has(&real, (uint64_t)row.num + 1)) continue;
			char *img = embed_find_image(o->images, row.id);
			if (img) pairs_add(&r->ps, &cap, &row, img);
		}
		if (k == VM_MIND_ERROR) vm_warn("%s", vm_mind_error(mr));
		vm_mind_close(mr);
		if (k == VM_MIND_ERROR) goto out;
	}
	rc = 0;
out:
	vm_u64set_free(&seen);
	vm_u64set_free(&real);
	return rc;
}

/* Token ids of every title and the held-out split: the pairs whose id's
 * FNV-1a hash is 0 modulo 10, the first 1,000 of them. */
static void split_pairs(run *r)
{
	pairs *ps = &r->ps;
	ps->ctx = r->m.cfg.max_pos;
	ps->ids = xmalloc((ps->n ? ps->n : 1) * (size_t)ps->ctx * sizeof *ps->ids);
	ps->len = xmalloc((ps->n ? ps->n : 1) * sizeof *ps->len);
	ps->at = xmalloc((ps->n ? ps->n : 1) * sizeof *ps->at);
	ps->held = xmalloc((ps->n ? ps->n : 1) * sizeof *ps->held);
	ps->train = xmalloc((ps->n ? ps->n : 1) * sizeof *ps->train);
	ps->Tmax = 2;
	for (size_t i = 0; i < ps->n; i++) {
		ps->len[i] = clip_bpe_encode(r->m.tok, ps->title[i], ps->ids + i * ps->ctx, ps->ctx);
		ps->at[i] = clip_text_pool_at(&r->m, ps->ids + i * ps->ctx, ps->len[i]);
		if (ps->len[i] > ps->Tmax) ps->Tmax = ps->len[i];
		if (vm_fnv1a64(ps->id[i], strlen(ps->id[i])) % 10 == 0 && ps->nheld < MAX_HELDOUT)
			ps->held[ps->nheld++] = i;
		else
			ps->train[ps->ntrain++] = i;
	}
}

static void pairs_free(pairs *ps)
{
	for (size_t i = 0; i < ps->n; i++) { free(ps->id[i]); free(ps->title[i]); free(ps->image[i]); }
	for (size_t i = 0; i < ps->n_all; i++) free(ps->all_titles[i]);
	free(ps->id); free(ps->title); free(ps->image); free(ps->all_titles);
	free(ps->ids); free(ps->len); free(ps->at); free(ps->held); free(ps->train);
}

/* ------------------------------------------------------- the model */

/* OUT/config.json of train: --config with text_config's vocab_size, bos
 * and eos token ids set to the learned vocabulary's. 0 or -1 (warned). */
static int write_config(const char *config, int vocab, const char *path)
{
	size_t len;
	char *text = vm_read_file(config, &len);
	if (!text) { vm_warn_errno("%s", config); return -1; }
	cJSON *root = cJSON_ParseWithLength(text, len);
	free(text);
	if (!root || !cJSON_IsObject(root)) {
		vm_warn("%s: bad JSON", config);
		cJSON_Delete(root);
		return -1;
	}
	cJSON *tc = cJSON_GetObjectItemCaseSensitive(root, "text_config");
	if (!tc) tc = cJSON_AddObjectToObject(root, "text_config");
	const char *keys[3] = {"vocab_size", "bos_token_id", "eos_token_id"};
	int vals[3] = {vocab, vocab - 2, vocab - 1};
	for (int i = 0; i < 3; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(tc, keys[i]);
		cJSON_AddNumberToObject(tc, keys[i], vals[i]);
	}
	char *out = cJSON_Print(root);
	cJSON_Delete(root);
	int rc = vm_write_file_atomic(path, out, strlen(out));
	if (rc < 0) vm_warn_errno("%s", path);
	free(out);
	return rc;
}

/* train's starting folder: a vocabulary learned from the titles, the
 * config and random weights, in OUT. 0 or -1 (warned). */
static int make_scratch(run *r)
{
	const embed_train_opts *o = r->o;
	char err[1024];
	clip_config c;
	if (clip_config_load(&c, o->config, err, sizeof err) < 0) { vm_warn("%s", err); return -1; }
	char *vj = xasprintf("%s/vocab.json", o->out), *mt = xasprintf("%s/merges.txt", o->out);
	char *cj = xasprintf("%s/config.json", o->out), *st = xasprintf("%s/model.safetensors", o->out);
	int rc = -1, vocab = clip_bpe_learn(r->ps.all_titles, r->ps.n_all, c.vocab_size, vj, mt, err, sizeof err);
	if (vocab < 0) { vm_warn("%s", err); goto out; }
	if (write_config(o->config, vocab, cj) < 0) goto out;
	if (clip_config_load(&c, cj, err, sizeof err) < 0) { vm_warn("%s", err); goto out; }
	if (clip_fit_write_random(&c, st, o->seed, err, sizeof err) < 0) { vm_warn("%s", err); goto out; }
	rc = 0;
out:
	free(vj); free(mt); free(cj); free(st);
	return rc;
}

/* finetune: config.json, vocab.json and merges.txt of --clip into OUT */
static int copy_tokenizer(run *r)
{
	static const char *const files[3] = {"config.json", "vocab.json", "merges.txt"};
	for (int i = 0; i < 3; i++) {
		char *a = xasprintf("%s/%s", r->o->clipdir, files[i]), *b = xasprintf("%s/%s", r->o->out, files[i]);
		size_t len;
		char *x = vm_read_file(a, &len);
		int bad = !x || vm_write_file_atomic(b, x, len) < 0;
		if (bad) vm_warn_errno("%s", x ? b : a);
		free(x); free(a); free(b);
		if (bad) return -1;
	}
	return 0;
}

/* The run's identities: the cache's (the trained blocks' input: the model,
 * the boundary, the pairs) and the state's (also what orders the batches). */
static void signatures(run *r)
{
	const embed_train_opts *o = r->o;
	char *text = NULL, hex[65];
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (o->scratch) fprintf(m, "scratch %s\n", o->config);
	else fprintf(m, "model %s %zu\n", r->m.st.path, r->m.st.size);
	fprintf(m, "layers %d\nimage_size %d\n", o->layers, r->m.cfg.image_size);
	for (size_t i = 0; i < r->ps.n; i++) fprintf(m, "%s\t%s\t%s\n", r->ps.id[i], r->ps.title[i], r->ps.image[i]);
	fflush(m);
	vm_sha256_hex(text, len, hex);
	r->cache_sig = xstrdup(hex);
	fprintf(m, "batch %d\nseed %llu\n", o->batch, (unsigned long long)o->seed);
	fclose(m);
	vm_sha256_hex(text, len, hex);
	r->run_sig = xstrdup(hex);
	free(text);
}

/* ---------------------------------------------------------- the cache */

/* Bytes an item takes in vision.bin, floats in text.bin (offsets toff). */
static void cache_layout(run *r)
{
	const clip_fit_tower *v = &r->f.v, *t = &r->f.t;
	int S = r->m.cfg.image_size;
	r->vbytes = v->in == CLIP_IN_RAW ? (size_t)S * S * 3 : clip_fit_in_floats(v, 0) * sizeof(float);
	r->toff = xmalloc((r->ps.n + 1) * sizeof *r->toff);
	r->toff[0] = 0;
	for (size_t i = 0; i < r->ps.n; i++)
		r->toff[i + 1] = r->toff[i] + (t->in == CLIP_IN_RAW ? 0 : clip_fit_in_floats(t, r->ps.len[i]));
}

/* the cropped cover of pair i (S x S x 3); the white image when it cannot
 * be decoded (warned, counted in r->undecodable) */
static uint8_t *pair_crop(run *r, size_t i)
{
	int S = r->m.cfg.image_size, w, h;
	char err[512];
	uint8_t *crop = xmalloc((size_t)S * S * 3);
	uint8_t *rgb = clip_decode_image(r->ps.image[i], &w, &h, err, sizeof err);
	if (!rgb) {
		vm_warn("%s (a white cover is used)", err);
		r->undecodable++;
		memset(crop, 255, (size_t)S * S * 3);
		return crop;
	}
	clip_preprocess_u8(rgb, w, h, S, crop);
	free(rgb);
	return crop;
}

/* Pairs [a, b) into the cache files (vf, tf): crops, or the hidden states
 * (or pooled rows) at the boundary through the frozen blocks. */
static int cache_chunk(run *r, int vf, int tf, size_t a, size_t b)
{
	const clip_fit_tower *v = &r->f.v, *t = &r->f.t;
	int S = r->m.cfg.image_size, n = (int)(b - a), T = 2, Tv = v->np + 1;
	unsigned char *vb = xmalloc((size_t)n * r->vbytes);
	float *pix = xmalloc((size_t)n * 3 * S * S * sizeof *pix);
	for (int k = 0; k < n; k++) {
		uint8_t *crop = pair_crop(r, a + (size_t)k);
		if (v->in == CLIP_IN_RAW) memcpy(vb + (size_t)k * r->vbytes, crop, r->vbytes);
		else clip_normalize(crop, S, pix + (size_t)k * 3 * S * S);
		free(crop);
		if (r->ps.len[a + (size_t)k] > T) T = r->ps.len[a + (size_t)k];
	}
	float *tb = NULL;
	if (v->in != CLIP_IN_RAW) {
		float *h = xmalloc((size_t)n * Tv * v->D * sizeof *h);
		clip_image_hidden_mt(&r->m, pix, n, v->L - v->n, h, r->o->jobs);
		for (int k = 0; k < n; k++)   /* POOLED keeps the class token's row */
			memcpy(vb + (size_t)k * r->vbytes, h + (size_t)k * Tv * v->D, r->vbytes);
		free(h);
	}
	if (t->in != CLIP_IN_RAW) {
		int32_t *ids = xmalloc((size_t)n * T * sizeof *ids);
		for (int k = 0; k < n; k++)
			for (int j = 0; j < T; j++)
				ids[k * T + j] = j < r->ps.len[a + (size_t)k] ? r->ps.ids[(a + (size_t)k) * r->ps.ctx + j]
									      : clip_bpe_eos(r->m.tok);
		float *h = xmalloc((size_t)n * T * t->D * sizeof *h);
		clip_text_hidden_mt(&r->m, ids, n, T, t->L - t->n, h, r->o->jobs);
		tb = xmalloc((r->toff[b] - r->toff[a] + 1) * sizeof *tb);
		for (int k = 0; k < n; k++) {
			size_t i = a + (size_t)k;
			size_t row = t->in == CLIP_IN_POOLED ? (size_t)r->ps.at[i] : 0;
			const float *src = h + ((size_t)k * T + row) * t->D;
			memcpy(tb + r->toff[i] - r->toff[a], src, (r->toff[i + 1] - r->toff[i]) * sizeof *tb);
		}
		free(ids);
		free(h);
	}
	size_t tbytes = (r->toff[b] - r->toff[a]) * sizeof(float);
	int rc = pwrite(vf, vb, (size_t)n * r->vbytes, (off_t)(a * r->vbytes)) == (ssize_t)((size_t)n * r->vbytes) &&
		 (!tbytes || pwrite(tf, tb, tbytes, (off_t)(r->toff[a] * sizeof(float))) == (ssize_t)tbytes) ? 0 : -1;
	free(vb); free(pix); free(tb);
	return rc;
}

/* the pairs the cache holds: its progress file's count when the signature
 * is this run's, else 0; r->undecodable from it too */
static size_t cache_done(run *r, const char *progress)
{
	char *text = vm_read_file(progress, NULL), *want = xasprintf("vlsnr-embed cache %s done ", r->cache_sig);
	size_t done = 0, bad = 0;
	if (text && !strncmp(text, want, strlen(want)) &&
	    sscanf(text + strlen(want), "%zu undecodable %zu", &done, &bad) != 2)
		done = 0;
	free(text);
	free(want);
	if (done > r->ps.n) done = 0;
	r->undecodable = done ? bad : 0;
	return done;
}

/* path opened for writing at its full size; -1 (warned) */
static int open_sized(const char *path, size_t size, int truncate)
{
	int fd = open(path, O_RDWR | O_CREAT | (truncate ? O_TRUNC : 0), 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		vm_warn_errno("%s", path);
		if (fd >= 0) close(fd);
		return -1;
	}
	return fd;
}

static void *map_file(const char *path, size_t len)
{
	if (!len) return NULL;
	int fd = open(path, O_RDONLY);
	void *p = fd < 0 ? MAP_FAILED : mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (fd >= 0) close(fd);
	if (p == MAP_FAILED) vm_die("%s: %s", path, strerror(errno));
	return p;
}

/* OUT/cache complete (going on from a killed run's chunks) and mapped. 0 or
 * -1 (warned). */
static int build_cache(run *r)
{
	char *dir = xasprintf("%s/cache", r->o->out), *vp = xasprintf("%s/vision.bin", dir);
	char *tp = xasprintf("%s/text.bin", dir), *pp = xasprintf("%s/progress", dir);
	int rc = -1, vf = -1, tf = -1;
	cache_layout(r);
	r->vlen = r->ps.n * r->vbytes;
	r->tlen = r->toff[r->ps.n] * sizeof(float);
	size_t done = cache_done(r, pp);
	if (vm_mkdir_p(dir) < 0) { vm_warn_errno("%s", dir); goto out; }
	if ((vf = open_sized(vp, r->vlen, !done)) < 0 || (tf = open_sized(tp, r->tlen, !done)) < 0) goto out;
	double t0 = vm_now();
	for (size_t a = done; a < r->ps.n; a += CHUNK) {
		size_t b = a + CHUNK < r->ps.n ? a + CHUNK : r->ps.n;
		if (cache_chunk(r, vf, tf, a, b) < 0 || fdatasync(vf) < 0 || fdatasync(tf) < 0) {
			vm_warn_errno("%s", dir);
			goto out;
		}
		char *line = xasprintf("vlsnr-embed cache %s done %zu undecodable %zu\n", r->cache_sig, b, r->undecodable);
		int w = vm_write_file_atomic(pp, line, strlen(line));
		free(line);
		if (w < 0) { vm_warn_errno("%s", pp); goto out; }
		if (r->tty)
			fprintf(stderr, "\r%s: cache %zu/%zu pairs, %.1f/s   ", vm_progname, b, r->ps.n,
				(double)(b - done) / (vm_now() - t0 + 1e-9));
	}
	if (r->tty && done < r->ps.n) fputc('\n', stderr);
	r->vmap = map_file(vp, r->vlen);
	r->tmap = map_file(tp, r->tlen);
	rc = 0;
out:
	if (vf >= 0) close(vf);
	if (tf >= 0) close(tf);
	free(dir); free(vp); free(tp); free(pp);
	return rc;
}

/* ------------------------------------------------------------ batches */

/* Training's augmentation of a cover, when the pixels are the input (the
 * cached boundary of a frozen prefix cannot have one): crop [3, S, S]
 * flipped left to right with probability 1/2 and shifted by up to S/8
 * pixels each way, the edge repeated; the draws from *rng. Titles are
 * unique, so the pairs of a batch can always be told apart by memorising
 * where the shapes lie; with the covers moved about only what a cover is
 * (its colours, shapes, their number) tells it from the others. */
static void augment(float *pix, float *tmp, int S, uint64_t *rng)
{
	uint64_t x = vm_splitmix64(rng);
	int flip = (int)(x & 1), m = S / 8, dx = (int)((x >> 8) % (uint64_t)(2 * m + 1)) - m;
	int dy = (int)((x >> 24) % (uint64_t)(2 * m + 1)) - m;
	memcpy(tmp, pix, 3 * (size_t)S * S * sizeof *tmp);
	for (int c = 0; c < 3; c++)
		for (int y = 0; y < S; y++) {
			int sy = y - dy < 0 ? 0 : y - dy >= S ? S - 1 : y - dy;
			for (int xx = 0; xx < S; xx++) {
				int sx = (flip ? S - 1 - xx : xx) - dx;
				sx = sx < 0 ? 0 : sx >= S ? S - 1 : sx;
				pix[((size_t)c * S + y) * S + xx] = tmp[((size_t)c * S + sy) * S + sx];
			}
		}
}

/* the inputs of the pairs idx[0, B) at the trained blocks' boundary into
 * the run's batch buffers, described by *b; covers augmented when rng is
 * not NULL (and the pixels are the input) */
static void gather(run *r, const size_t *idx, int B, clip_fit_batch *b, uint64_t *rng)
{
	const clip_fit_tower *v = &r->f.v, *t = &r->f.t;
	int S = r->m.cfg.image_size, T = 1, raw_text = t->in == CLIP_IN_RAW;
	for (int k = 0; k < B; k++)
		if (r->ps.len[idx[k]] > T) T = r->ps.len[idx[k]];
	size_t vin = clip_fit_in_floats(v, T), tin = clip_fit_in_floats(t, T);
	for (int k = 0; k < B; k++) {
		size_t i = idx[k];
		const unsigned char *src = r->vmap + i * r->vbytes;
		if (v->in == CLIP_IN_RAW) {
			clip_normalize(src, S, r->bv + (size_t)k * vin);
			if (rng) augment(r->bv + (size_t)k * vin, r->baug, S, rng);
		} else {
			memcpy(r->bv + (size_t)k * vin, src, r->vbytes);
		}
		r->bat[k] = r->ps.at[i];
		if (raw_text) {
			for (int j = 0; j < T; j++)
				r->bids[k * T + j] = j < r->ps.len[i] ? r->ps.ids[i * r->ps.ctx + j] : clip_bpe_eos(r->m.tok);
			continue;
		}
		size_t n = r->toff[i + 1] - r->toff[i];
		memcpy(r->bt + (size_t)k * tin, r->tmap + r->toff[i], n * sizeof *r->bt);
		memset(r->bt + (size_t)k * tin + n, 0, (tin - n) * sizeof *r->bt);
	}
	*b = (clip_fit_batch){B, r->bv, raw_text ? NULL : r->bt, raw_text ? r->bids : NULL, T, r->bat};
}

static void batch_buffers(run *r)
{
	int B = r->f.Bmax, T = r->ps.Tmax;
	size_t vin = clip_fit_in_floats(&r->f.v, T), tin = clip_fit_in_floats(&r->f.t, T);
	r->bv = xmalloc((size_t)B * vin * sizeof *r->bv);
	r->bt = xmalloc((size_t)B * tin * sizeof *r->bt);
	r->bids = xmalloc((size_t)B * T * sizeof *r->bids);
	r->bat = xmalloc((size_t)B * sizeof *r->bat);
	r->baug = xmalloc(3 * (size_t)r->m.cfg.image_size * r->m.cfg.image_size * sizeof *r->baug);
}

/* Title -> cover retrieval among the held-out pairs with the model as it
 * is: the share of titles whose own cover is the most similar (cosine) of
 * all held-out covers, and among the 10 most; NAN with fewer than 2. */
static void heldout_recall(run *r, double *r1, double *r10)
{
	size_t n = r->ps.nheld, P = (size_t)r->f.v.P, hit1 = 0, hit10 = 0;
	*r1 = *r10 = NAN;
	if (n < 2) return;
	float *img = xmalloc(2 * n * P * sizeof *img), *txt = img + n * P, *norm = xmalloc(2 * n * sizeof *norm);
	float *sim = xmalloc(n * n * sizeof *sim);
	for (size_t a = 0; a < n; a += (size_t)r->f.Bmax) {
		int B = (int)(n - a < (size_t)r->f.Bmax ? n - a : (size_t)r->f.Bmax);
		clip_fit_batch b;
		gather(r, r->ps.held + a, B, &b, NULL);
		clip_fit_features(&r->f, &b, img + a * P, txt + a * P);
	}
	clip_l2norm_forward(img, norm, img, (int)n, (int)P);
	clip_l2norm_forward(txt, norm + n, txt, (int)n, (int)P);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)P, 1.0f, txt, (int)P, img, (int)P, 0.0f,
		    sim, (int)n);
	for (size_t i = 0; i < n; i++) {
		size_t above = 0;
		for (size_t j = 0; j < n; j++) above += sim[i * n + j] > sim[i * n + i];
		hit1 += above < 1;
		hit10 += above < 10;
	}
	*r1 = (double)hit1 / n;
	*r10 = (double)hit10 / n;
	free(img); free(norm); free(sim);
}

/* -------------------------------------------------------------- state */

static char *state_path(const run *r)
{
	return xasprintf("%s/train-state.safetensors", r->o->out);
}

static int save_state(run *r)
{
	char v[5][40], err[1024], *p = state_path(r);
	snprintf(v[0], sizeof v[0], "%d", r->epoch);
	snprintf(v[1], sizeof v[1], "%ld", r->in_epoch);
	snprintf(v[2], sizeof v[2], "%.17g", r->loss_sum);
	snprintf(v[3], sizeof v[3], "%ld", r->loss_n);
	snprintf(v[4], sizeof v[4], "%.3f", r->seconds);
	const char *meta[12] = {"signature", r->run_sig, "epoch", v[0], "in_epoch", v[1], "loss_sum", v[2],
				"loss_n", v[3], "seconds", v[4]};
	int rc = clip_fit_write_state(&r->f, p, meta, 6, err, sizeof err);
	if (rc < 0) vm_warn("%s", err);
	free(p);
	return rc;
}

/* 1: the state of an earlier run of the same inputs was read; 0: none; -1:
 * a state of other inputs, or unreadable (warned) */
static int load_state(run *r)
{
	char err[1024], *p = state_path(r);
	vm_st_file st;
	int rc = 0;
	if (!vm_file_exists(p)) goto out;
	rc = -1;
	if (clip_fit_read_state(&r->f, p, &st, err, sizeof err) < 0) {
		vm_warn("%s", err);
		goto out;
	}
	const char *sig = vm_st_meta(&st, "signature");
	if (!sig || strcmp(sig, r->run_sig)) {
		vm_warn("%s: the state of a run with other inputs, model, --layers, --batch or --seed: give another "
			"--out, or remove it to start over", p);
	} else {
		const char *e = vm_st_meta(&st, "epoch"), *s = vm_st_meta(&st, "in_epoch"), *ls = vm_st_meta(&st, "loss_sum");
		const char *ln = vm_st_meta(&st, "loss_n"), *sec = vm_st_meta(&st, "seconds");
		r->epoch = e ? atoi(e) : 0;
		r->in_epoch = s ? atol(s) : 0;
		r->loss_sum = ls ? atof(ls) : 0;
		r->loss_n = ln ? atol(ln) : 0;
		r->seconds = sec ? atof(sec) : 0;
		rc = 1;
	}
	vm_st_close(&st);
out:
	free(p);
	return rc;
}

/* OUT/log.csv with the row of epoch (the rows of later epochs, from a run
 * killed after writing them, dropped). 0 or -1 (warned). */
static int log_epoch(const run *r, int epoch, double loss, double r1, double r10)
{
	char *p = xasprintf("%s/log.csv", r->o->out), *old = vm_read_file(p, NULL), *line = old;
	vm_atomic_file af;
	int rc = -1;
	if (vm_atomic_open(&af, p) < 0) goto out;
	fputs("epoch,steps,pairs,train_loss,heldout,recall_at_1,recall_at_10,logit_scale,seconds\n", af.fp);
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl) *nl = 0;
		if (line[0] >= '0' && line[0] <= '9' && atoi(line) < epoch) fprintf(af.fp, "%s\n", line);
		line = nl ? nl + 1 : NULL;
	}
	fprintf(af.fp, "%d,%ld,%zu,", epoch, r->f.step, r->ps.ntrain);
	if (epoch) fprintf(af.fp, "%.6f", loss);
	fprintf(af.fp, ",%zu,", r->ps.nheld);
	if (!isnan(r1)) fprintf(af.fp, "%.4f,%.4f", r1, r10);
	else fputc(',', af.fp);
	fprintf(af.fp, ",%.4f,%.1f\n", *r->f.logit_scale, r->seconds);
	rc = vm_atomic_commit(&af);
out:
	if (rc < 0) vm_warn_errno("%s", p);
	free(old);
	free(p);
	return rc;
}

/* ------------------------------------------------------------ epochs */

/* the training pairs in epoch e's order (Fisher-Yates from the seed) */
static size_t *epoch_order(const run *r, int e)
{
	size_t n = r->ps.ntrain, *perm = xmalloc((n ? n : 1) * sizeof *perm);
	uint64_t state = vm_mix64(r->o->seed * 0x9e3779b97f4a7c15ULL + (uint64_t)e);
	memcpy(perm, r->ps.train, n * sizeof *perm);
	for (size_t i = n; i > 1; i--) {
		size_t j = vm_splitmix64(&state) % i, t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	return perm;
}

/* The steps of epoch e not done yet, the state saved every --save-every
 * seconds. 0 or -1 (warned). */
static int train_steps(run *r, int e)
{
	const embed_train_opts *o = r->o;
	size_t n = r->ps.ntrain, *perm = epoch_order(r, e);
	long steps = (long)((n + (size_t)o->batch - 1) / (size_t)o->batch);
	double t0 = vm_now(), mark = t0;
	long fresh = 0;
	int rc = 0;
	for (long s = r->in_epoch; s < steps && rc == 0; s++) {
		size_t a = (size_t)s * (size_t)o->batch;
		int B = (int)(n - a < (size_t)o->batch ? n - a : (size_t)o->batch);
		if (B >= 2) {
			clip_fit_batch b;
			uint64_t rng = vm_mix64(r->o->seed ^ vm_mix64(((uint64_t)e << 32) + (uint64_t)s));
			gather(r, perm + a, B, &b, &rng);
			double loss = clip_fit_step(&r->f, &b);
			if (!isfinite(loss)) {
				vm_warn("epoch %d step %ld: the loss is %g: stopping (a lower --lr?)", e + 1, s + 1, loss);
				rc = -1;
				break;
			}
			clip_fit_adam(&r->f, (float)o->lr);
			r->loss_sum += loss;
			r->loss_n++;
			fresh += B;
		}
		r->in_epoch = s + 1;
		if (r->tty)
			fprintf(stderr, "\r%s: epoch %d/%d, step %ld/%ld, loss %.4f, %.1f pairs/s   ", vm_progname, e + 1,
				o->epochs, s + 1, steps, r->loss_n ? r->loss_sum / r->loss_n : 0.0,
				fresh / (vm_now() - t0 + 1e-9));
		if (s + 1 < steps && vm_now() - mark >= o->save_every) {
			r->seconds += vm_now() - mark;
			mark = vm_now();
			rc = save_state(r);
		}
	}
	r->seconds += vm_now() - mark;
	if (r->tty) fputc('\n', stderr);
	free(perm);
	return rc;
}

/* the checkpoint folder's weights, the log's row and the state at the end
 * of epoch e (0: before the first), in that order. 0 or -1 (warned). */
static int end_epoch(run *r, int e)
{
	char err[1024], *p = xasprintf("%s/model.safetensors", r->o->out);
	double r1, r10, loss = r->loss_n ? r->loss_sum / r->loss_n : NAN;
	heldout_recall(r, &r1, &r10);
	int rc = clip_fit_write_model(&r->f, p, err, sizeof err);
	free(p);
	if (rc < 0) { vm_warn("%s", err); return -1; }
	if (log_epoch(r, e, loss, r1, r10) < 0) return -1;
	r->epoch = e;
	r->in_epoch = 0;
	r->loss_sum = 0;
	r->loss_n = 0;
	if (save_state(r) < 0) return -1;
	if (e) fprintf(stderr, "%s: epoch %d/%d: loss %.4f, %zu pairs, %.1fs in all;", vm_progname, e, r->o->epochs, loss,
		       r->ps.ntrain, r->seconds);
	else fprintf(stderr, "%s: %zu training pairs, before training:", vm_progname, r->ps.ntrain);
	if (isnan(r1)) fprintf(stderr, " no held-out pairs\n");
	else fprintf(stderr, " held-out title->cover recall@1 %.3f, @10 %.3f (%zu pairs)\n", r1, r10, r->ps.nheld);
	return 0;
}

/* ------------------------------------------------------------- a run */

/* The pairs read and split, the model loaded (train: its starting folder
 * made unless a state shows it was), the fit and its state. 0 or -1
 * (warned). */
static int set_up(run *r)
{
	const embed_train_opts *o = r->o;
	char err[1024], *sp = state_path(r);
	int have_state = vm_file_exists(sp);
	free(sp);
	if (vm_mkdir_p(o->out) < 0) { vm_warn_errno("%s", o->out); return -1; }
	if (read_pairs(r) < 0) return -1;
	if (r->ps.n < 2) {
		vm_warn("%zu news items with a cover in %s%s: at least 2 pairs are needed", r->ps.n, o->images,
			o->db ? " (a real one, by the database)" : "");
		return -1;
	}
	if (o->scratch && !have_state && make_scratch(r) < 0) return -1;
	if (clip_load(&r->m, o->scratch ? o->out : o->clipdir, err, sizeof err) < 0) {
		vm_warn("%s", err);
		return -1;
	}
	r->have_model = 1;
	if (!o->scratch && copy_tokenizer(r) < 0) return -1;
	split_pairs(r);
	if (r->ps.ntrain < 2) {
		vm_warn("%zu pairs, %zu of them held out: at least 2 are needed for training", r->ps.n, r->ps.nheld);
		return -1;
	}
	signatures(r);
	if (clip_fit_init(&r->f, &r->m, o->layers, err, sizeof err) < 0) {
		vm_warn("--layers: %s", err);
		return -1;
	}
	r->have_fit = 1;
	clip_fit_prepare(&r->f, o->batch, r->ps.Tmax, o->jobs);
	int st = load_state(r);
	if (st < 0) return -1;
	if (st) fprintf(stderr, "%s: resuming %s after epoch %d, step %ld\n", vm_progname, o->out, r->epoch, r->in_epoch);
	return st;
}

static void run_free(run *r)
{
	if (r->vmap) munmap(r->vmap, r->vlen);
	if (r->tmap) munmap(r->tmap, r->tlen);
	if (r->have_fit) clip_fit_free(&r->f);
	if (r->have_model) clip_free(&r->m);
	pairs_free(&r->ps);
	free(r->cache_sig); free(r->run_sig); free(r->toff);
	free(r->bv); free(r->bt); free(r->baug); free(r->bids); free(r->bat);
}

int embed_train(const embed_train_opts *o)
{
	run r = {.o = o, .tty = vm_stderr_is_tty()};
	int status = VM_EXIT_USAGE, resumed = set_up(&r);
	if (resumed < 0 || build_cache(&r) < 0) goto out;
	batch_buffers(&r);
	if (!resumed && end_epoch(&r, 0) < 0) goto out;
	for (int e = r.epoch; e < o->epochs; e++)
		if (train_steps(&r, e) < 0 || end_epoch(&r, e + 1) < 0) goto out;
	status = VM_EXIT_OK;
	if (r.undecodable) {
		vm_warn("%zu covers could not be decoded (trained on as white covers)", r.undecodable);
		status = VM_EXIT_ITEMS;
	}
out:
	run_free(&r);
	return status;
}
