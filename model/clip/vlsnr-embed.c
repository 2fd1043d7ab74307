/* vlsnr-embed.c: the vlsnr-embed tool: CLIP (or the non-learned hash
 * baseline) embeddings of MIND news items (image, title, category,
 * subcategory), of text lines and of image files, and CLIP token ids. The
 * news subcommand works in chunks recorded under OUTDIR/parts so a killed run
 * restarts where it stopped; with --shard I/N it embeds only that shard's
 * items (vmind/lib/shard.h), and the merge subcommand joins the output
 * directories of the shards into one; see vlsnr-embed(1). */
#include "config.h"
#include "bpe.h"
#include "clip.h"
#include "embed-hash.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/npy.h"
#include "vmind/lib/shard.h"
#include "vmind/lib/util.h"

#include <cblas.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

enum { OPT_CLIP = 256, OPT_ENCODER, OPT_NEWS, OPT_IMAGES, OPT_OUT, OPT_BATCH, OPT_CHUNK, OPT_SHARD, OPT_SHARDS };

static const vm_option options[] = {
	{ "clip", OPT_CLIP, required_argument, "DIR", "Hugging Face CLIP checkpoint folder" },
	{ "encoder", OPT_ENCODER, required_argument, "NAME", "clip (default) or hash (non-learned baseline)" },
	{ "news", OPT_NEWS, required_argument, "FILE", "news: a MIND news.tsv (repeatable)" },
	{ "images", OPT_IMAGES, required_argument, "DIR", "news: the covers, DIR/<id>.jpg (or .jpeg .png .webp)" },
	{ "out", 'o', required_argument, "PATH", "output directory (news) or .npy file (text, image)" },
	{ "jobs", 'j', required_argument, "N", "threads (default: the number of CPUs)" },
	{ "batch", OPT_BATCH, required_argument, "N", "items per forward pass (default 32)" },
	{ "chunk", OPT_CHUNK, required_argument, "N", "news: items per resumable chunk (default 2048)" },
	{ "shard", OPT_SHARD, required_argument, "I/N", "news: embed only the items of shard I of N (default: from SLURM_ARRAY_TASK_ID)" },
	{ "shards", OPT_SHARDS, required_argument, "N", "news: the number of shards, for a job array index (JOB_COMPLETION_INDEX)" },
	{ NULL, 0, 0, NULL, NULL }
};

/* Progress on a terminal during news: items of earlier chunks (base), of
 * the run (total), done by this process (fresh), and when it started. */
typedef struct progress {
	int on;
	size_t base, total, fresh;
	double t0;
} progress;

typedef struct ctx {
	int hash;              /* --encoder hash */
	clip_model m;
	int jobs, batch;
	int dim;               /* output width */
	progress prog;         /* news only */
} ctx;

/* ------------------------------------------------------------ text lines */

static char **read_lines(FILE *fp, size_t *n)
{
	char **v = NULL, *line = NULL;
	size_t cap = 0, len = 0, k = 0;
	ssize_t r;
	while ((r = getline(&line, &cap, fp)) >= 0) {
		if (r > 0 && line[r - 1] == '\n') line[--r] = 0;
		if (k == len) { len = len ? len * 2 : 64; v = xrealloc(v, len * sizeof *v); }
		v[k++] = xstrdup(line);
	}
	free(line);
	*n = k;
	return v;
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) free(v[i]);
	free(v);
}

/* ------------------------------------------------------------ embedding */

static int cmp_len_idx(const void *a, const void *b)
{
	const int *x = a, *y = b;
	return x[0] != y[0] ? x[0] - y[0] : x[1] - y[1];
}

/* texts[n] -> out[n, dim] */
static void embed_texts(ctx *c, char *const *texts, size_t n, float *out)
{
	if (c->hash) {
		for (size_t i = 0; i < n; i++) clip_hash_text(texts[i], out + i * CLIP_HASH_DIM);
		return;
	}
	int ctxlen = c->m.cfg.max_pos;
	int32_t *ids = xmalloc((n ? n : 1) * (size_t)ctxlen * sizeof *ids);
	int *order = xmalloc((n ? n : 1) * 2 * sizeof *order);
	for (size_t i = 0; i < n; i++) {
		order[2 * i] = clip_bpe_encode(c->m.tok, texts[i], ids + i * ctxlen, ctxlen);
		order[2 * i + 1] = (int)i;
	}
	/* batches of similar length: less padding */
	qsort(order, n, 2 * sizeof *order, cmp_len_idx);
	int32_t *bids = xmalloc((size_t)c->batch * ctxlen * sizeof *bids);
	float *bout = xmalloc((size_t)c->batch * c->dim * sizeof *bout);
	for (size_t s = 0; s < n; s += (size_t)c->batch) {
		int B = (int)(n - s < (size_t)c->batch ? n - s : (size_t)c->batch);
		int T = order[2 * (s + (size_t)B - 1)];
		for (int b = 0; b < B; b++) {
			int i = order[2 * (s + (size_t)b) + 1], L = order[2 * (s + (size_t)b)];
			for (int t = 0; t < T; t++)
				bids[b * T + t] = t < L ? ids[(size_t)i * ctxlen + t] : clip_bpe_eos(c->m.tok);
		}
		clip_text_forward_mt(&c->m, bids, B, T, bout, c->jobs);
		for (int b = 0; b < B; b++)
			memcpy(out + (size_t)order[2 * (s + (size_t)b) + 1] * c->dim, bout + (size_t)b * c->dim,
			       (size_t)c->dim * sizeof *out);
	}
	free(bids);
	free(bout);
	free(ids);
	free(order);
}

static void progress_show(const progress *prog, size_t in_chunk)
{
	if (!prog->on) return;
	double dt = vm_now() - prog->t0;
	fprintf(stderr, "\r%s: %zu/%zu items, %.1f items/s   ", vm_progname, prog->base + in_chunk, prog->total,
		dt > 0 ? (prog->fresh + in_chunk) / dt : 0.0);
}

/* One image job: path (NULL = white image) -> pixels or hash features. */
typedef struct img_job {
	const char *path;
	float *pix;            /* [3*S*S] for clip */
	float *hashout;        /* [CLIP_HASH_DIM] for hash */
	int failed;
	char err[512];
} img_job;

typedef struct img_pool {
	ctx *c;
	img_job *jobs;
	size_t n;
	size_t next;
	pthread_mutex_t mu;
} img_pool;

static void white_rgb(uint8_t **rgb, int *w, int *h)
{
	*w = *h = 224;
	*rgb = xmalloc(224 * 224 * 3);
	memset(*rgb, 255, 224 * 224 * 3);
}

static void *img_worker(void *arg)
{
	img_pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n) break;
		img_job *j = &p->jobs[i];
		int w, h;
		uint8_t *rgb = NULL;
		if (j->path) {
			rgb = clip_decode_image(j->path, &w, &h, j->err, sizeof j->err);
			if (!rgb) j->failed = 1;
		}
		if (!rgb) white_rgb(&rgb, &w, &h);
		if (p->c->hash) {
			clip_hash_image(rgb, w, h, j->hashout, NULL);
		} else {
			int S = p->c->m.cfg.image_size;
			uint8_t *crop = xmalloc((size_t)S * S * 3);
			clip_preprocess_u8(rgb, w, h, S, crop);
			clip_normalize(crop, S, j->pix);
			free(crop);
		}
		free(rgb);
	}
	return NULL;
}

/* paths[n] (NULL entries: white image) -> out[n, dim]; failed[i] set for
 * files that could not be decoded (their row is the white image's). Returns
 * the number of failures. */
static size_t embed_images(ctx *c, const char *const *paths, size_t n, float *out, char *failed)
{
	size_t nfail = 0;
	int S = c->hash ? 0 : c->m.cfg.image_size;
	size_t step = c->hash ? n : (size_t)c->batch;
	if (!step) step = 1;
	img_job *jobs = xcalloc(step, sizeof *jobs);
	float *pix = c->hash ? NULL : xmalloc(step * 3 * (size_t)S * S * sizeof *pix);
	for (size_t s = 0; s < n; s += step) {
		size_t B = n - s < step ? n - s : step;
		for (size_t b = 0; b < B; b++) {
			memset(&jobs[b], 0, sizeof jobs[b]);
			jobs[b].path = paths[s + b];
			if (c->hash) jobs[b].hashout = out + (s + b) * CLIP_HASH_DIM;
			else jobs[b].pix = pix + b * 3 * (size_t)S * S;
		}
		img_pool p = {c, jobs, B, 0, PTHREAD_MUTEX_INITIALIZER};
		int nt = c->jobs < (int)B ? c->jobs : (int)B;
		pthread_t *th = xmalloc((size_t)(nt > 0 ? nt : 1) * sizeof *th);
		for (int t = 1; t < nt; t++) pthread_create(&th[t], NULL, img_worker, &p);
		img_worker(&p);
		for (int t = 1; t < nt; t++) pthread_join(th[t], NULL);
		free(th);
		for (size_t b = 0; b < B; b++)
			if (jobs[b].failed) {
				vm_warn("%s", jobs[b].err);
				if (failed) failed[s + b] = 1;
				nfail++;
			}
		if (!c->hash)
			clip_image_forward_mt(&c->m, pix, (int)B, out + s * (size_t)c->dim, c->jobs);
		progress_show(&c->prog, s + B);
	}
	free(jobs);
	free(pix);
	return nfail;
}

/* ------------------------------------------------------------ news */

typedef struct item {
	char *id, *title, *cat, *sub;
} item;

static char *underscores_to_spaces(const char *s)
{
	char *r = xstrdup(s);
	for (char *p = r; *p; p++) if (*p == '_') *p = ' ';
	return r;
}

static char *find_image(const char *dir, const char *id)
{
	static const char *ext[] = {"jpg", "jpeg", "png", "webp"};
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		char *p = xasprintf("%s/%s.%s", dir, id, ext[i]);
		if (vm_regular_file_exists(p)) return p;
		free(p);
	}
	return NULL;
}

static const char *const kinds[4] = {"image", "title", "category", "subcategory"};

/* Embed items [a, b) into parts/NNNNNN.*; 0 or -1 (write error). The image
 * part is written last: its presence marks the chunk done. */
static int do_chunk(ctx *c, const char *out, const char *images, item *it, size_t a, size_t b, size_t k)
{
	size_t n = b - a;
	float *img = xmalloc((n ? n : 1) * (size_t)c->dim * sizeof *img);
	float *e = xmalloc((n ? n : 1) * (size_t)c->dim * sizeof *e);
	char err[512];
	int rc = -1;
	char *miss_path = xasprintf("%s/parts/%06zu.missing", out, k), *p;
	vm_atomic_file af;
	const char **paths = xcalloc(n ? n : 1, sizeof *paths);
	char *failed = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++) paths[i] = images ? find_image(images, it[a + i].id) : NULL;
	embed_images(c, paths, n, img, failed);
	if (vm_atomic_open(&af, miss_path) < 0) {
		vm_warn_errno("%s", miss_path);
		goto out;
	}
	/* "id" for an item without an image, "id<TAB>undecodable" for one whose
	 * file could not be read (counted again when a restarted run ends) */
	for (size_t i = 0; i < n; i++)
		if (!paths[i] || failed[i]) fprintf(af.fp, "%s%s\n", it[a + i].id, failed[i] ? "\tundecodable" : "");
	if (vm_atomic_commit(&af) < 0) {
		vm_warn_errno("%s", miss_path);
		goto out;
	}
	for (int kind = 1; kind < 4; kind++) {
		char **t = xmalloc((n ? n : 1) * sizeof *t);
		for (size_t i = 0; i < n; i++)
			t[i] = kind == 1 ? it[a + i].title : kind == 2 ? it[a + i].cat : it[a + i].sub;
		embed_texts(c, t, n, e);
		free(t);
		p = xasprintf("%s/parts/%06zu.%s.npy", out, k, kinds[kind]);
		int w = vm_npy_write_f32(p, e, n, (size_t)c->dim, err, sizeof err);
		free(p);
		if (w) { vm_warn("%s", err); goto out; }
	}
	p = xasprintf("%s/parts/%06zu.image.npy", out, k);
	int w = vm_npy_write_f32(p, img, n, (size_t)c->dim, err, sizeof err);
	free(p);
	if (w) { vm_warn("%s", err); goto out; }
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) free((char *)paths[i]);
	free(paths);
	free(failed);
	free(miss_path);
	free(e);
	free(img);
	return rc;
}

static int cmd_news(ctx *c, const char **news, size_t n_news, const char *images, const char *out, size_t chunk,
		    const vm_shard *shard)
{
	item *it = NULL;
	size_t n = 0, cap = 0, nfail = 0;
	int status = VM_EXIT_USAGE;
	char err[512];
	vm_u64set seen;
	vm_u64set_init(&seen);
	for (size_t f = 0; f < n_news; f++) {
		vm_mind_reader *r = vm_mind_open(news[f], 0);
		if (!r) goto out;
		vm_news row;
		int rc;
		while ((rc = vm_news_next(r, &row)) == VM_MIND_ROW) {
			if (!vm_u64set_add(&seen, (uint64_t)row.num + 1)) continue;   /* same item in several splits */
			if (!vm_shard_mine(shard, row.id)) continue;
			if (n == cap) { cap = cap ? cap * 2 : 1024; it = xrealloc(it, cap * sizeof *it); }
			it[n].id = xstrdup(row.id);
			it[n].title = xstrdup(row.title);
			it[n].cat = underscores_to_spaces(row.category);
			it[n].sub = underscores_to_spaces(row.subcategory);
			n++;
		}
		if (rc == VM_MIND_ERROR) {
			vm_warn("%s", vm_mind_error(r));
			vm_mind_close(r);
			goto out;
		}
		vm_mind_close(r);
	}
	if (vm_mkdir_p(out) < 0) { vm_warn_errno("%s", out); goto out; }
	char *parts = xasprintf("%s/parts", out);
	int mk = vm_mkdir_p(parts);
	free(parts);
	if (mk < 0) { vm_warn_errno("%s/parts", out); goto out; }
	/* the run's identity: a restart with other inputs or another model
	 * starts over instead of mixing chunks */
	char *sig_text = NULL;
	{
		size_t len = 0;
		FILE *m = open_memstream(&sig_text, &len);
		fprintf(m, "encoder %s\nmodel %s %zu\ndim %d\nchunk %zu\nimages %s\n", c->hash ? "hash" : "clip",
			c->hash ? "-" : c->m.st.path, c->hash ? (size_t)0 : c->m.st.size, c->dim, chunk,
			images ? images : "-");
		for (size_t i = 0; i < n; i++) fprintf(m, "%s\t%s\t%s\t%s\n", it[i].id, it[i].title, it[i].cat, it[i].sub);
		fclose(m);
		char hex[65];
		vm_sha256_hex(sig_text, len, hex);
		free(sig_text);
		sig_text = xasprintf("vlsnr-embed progress\nsignature %s\nitems %zu\n", hex, n);
	}
	char *prog_path = xasprintf("%s/parts/progress", out);
	{
		FILE *fp = fopen(prog_path, "r");
		char buf[512] = "";
		size_t got = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
		buf[got] = 0;
		if (fp) fclose(fp);
		/* temporary files of a killed run */
		{
			char *pd = xasprintf("%s/parts", out);
			DIR *d = opendir(pd);
			struct dirent *de;
			while (d && (de = readdir(d))) {
				if (!strstr(de->d_name, ".tmp.")) continue;
				char *tp = xasprintf("%s/%s", pd, de->d_name);
				unlink(tp);
				free(tp);
			}
			if (d) closedir(d);
			free(pd);
		}
		if (strcmp(buf, sig_text) != 0) {
			/* different or no previous run: forget old chunks */
			char *pd = xasprintf("%s/parts", out);
			DIR *d = opendir(pd);
			struct dirent *de;
			while (d && (de = readdir(d))) {
				if (de->d_name[0] == '.') continue;
				char *p = xasprintf("%s/%s", pd, de->d_name);
				unlink(p);
				free(p);
			}
			if (d) closedir(d);
			free(pd);
			if (vm_write_file_atomic(prog_path, sig_text, strlen(sig_text)) < 0) {
				vm_warn_errno("%s", prog_path);
				free(prog_path);
				free(sig_text);
				goto out;
			}
		}
	}
	free(sig_text);
	free(prog_path);
	size_t nchunks = (n + chunk - 1) / chunk, done_items = 0, todo = 0;
	c->prog.on = vm_stderr_is_tty();
	c->prog.total = n;
	c->prog.t0 = vm_now();
	for (size_t k = 0; k < nchunks; k++) {
		size_t a = k * chunk, b = a + chunk < n ? a + chunk : n;
		char *p = xasprintf("%s/parts/%06zu.image.npy", out, k);
		int have = vm_regular_file_exists(p);
		free(p);
		if (have) { done_items += b - a; continue; }
		c->prog.base = done_items;
		c->prog.fresh = todo;
		if (do_chunk(c, out, images, it, a, b, k) < 0) goto out;
		done_items += b - a;
		todo += b - a;
	}
	if (c->prog.on && todo) fputc('\n', stderr);
	c->prog.on = 0;
	/* the final files */
	{
		vm_atomic_file af;
		char *p = xasprintf("%s/ids.txt", out);
		if (vm_atomic_open(&af, p) < 0) { vm_warn_errno("%s", p); free(p); goto out; }
		for (size_t i = 0; i < n; i++) fprintf(af.fp, "%s\n", it[i].id);
		if (vm_atomic_commit(&af) < 0) { vm_warn_errno("%s", p); free(p); goto out; }
		free(p);
		p = xasprintf("%s/missing.txt", out);
		if (vm_atomic_open(&af, p) < 0) { vm_warn_errno("%s", p); free(p); goto out; }
		for (size_t k = 0; k < nchunks; k++) {
			char *mp = xasprintf("%s/parts/%06zu.missing", out, k);
			FILE *fp = fopen(mp, "r");
			free(mp);
			if (!fp) continue;
			char line[256];
			while (fgets(line, sizeof line, fp)) {
				char *tab = strchr(line, '\t');
				if (tab) {
					strcpy(tab, "\n");
					nfail++;
				}
				fputs(line, af.fp);
			}
			fclose(fp);
		}
		if (vm_atomic_commit(&af) < 0) { vm_warn_errno("%s", p); free(p); goto out; }
		free(p);
	}
	float *all = xmalloc((n ? n : 1) * (size_t)c->dim * sizeof *all);
	for (int kind = 0; kind < 4; kind++) {
		for (size_t k = 0; k < nchunks; k++) {
			char *p = xasprintf("%s/parts/%06zu.%s.npy", out, k, kinds[kind]);
			vm_npy_f32 a;
			if (vm_npy_read_f32(p, &a, err, sizeof err) < 0) {
				vm_warn("%s", err);
				free(p);
				free(all);
				goto out;
			}
			free(p);
			size_t rows = (k + 1) * chunk < n ? chunk : n - k * chunk;
			if (a.rows != rows || a.cols != (size_t)c->dim) {
				vm_warn("%s/parts/%06zu.%s.npy: %zu x %zu, expected %zu x %d", out, k, kinds[kind], a.rows,
					a.cols, rows, c->dim);
				vm_npy_f32_free(&a);
				free(all);
				goto out;
			}
			memcpy(all + k * chunk * (size_t)c->dim, a.data, rows * (size_t)c->dim * sizeof *all);
			vm_npy_f32_free(&a);
		}
		char *p = xasprintf("%s/%s.npy", out, kinds[kind]);
		int w = vm_npy_write_f32(p, all, n, (size_t)c->dim, err, sizeof err);
		free(p);
		if (w) { vm_warn("%s", err); free(all); goto out; }
	}
	/* white.npy: the embedding given to items without an image */
	{
		const char *none = NULL;
		embed_images(c, &none, 1, all, NULL);
		char *p = xasprintf("%s/white.npy", out);
		int w = vm_npy_write_f32(p, all, 1, (size_t)c->dim, err, sizeof err);
		free(p);
		if (w) { vm_warn("%s", err); free(all); goto out; }
	}
	free(all);
	status = nfail ? VM_EXIT_ITEMS : VM_EXIT_OK;
	if (nfail) vm_warn("%zu images could not be decoded (embedded as the white image, listed in missing.txt)", nfail);
out:
	for (size_t i = 0; i < n; i++) {
		free(it[i].id); free(it[i].title); free(it[i].cat); free(it[i].sub);
	}
	free(it);
	vm_u64set_free(&seen);
	return status;
}

/* ------------------------------------------------------------ merge */

/* One item of a shard directory: its news number, shard and row there. */
typedef struct mrow {
	uint32_t num;
	uint32_t shard, row;
} mrow;

static int cmp_mrow(const void *a, const void *b)
{
	const mrow *x = a, *y = b;
	return x->num < y->num ? -1 : x->num > y->num;
}

/* "N12345" -> 12345; -1 when the id is not N and digits */
static long long id_num(const char *id)
{
	if (id[0] != 'N' || !id[1] || strspn(id + 1, "0123456789") != strlen(id + 1) || strlen(id) > 11) return -1;
	long long v = strtoll(id + 1, NULL, 10);
	return v > 0xffffffffLL ? -1 : v;
}

/* Read DIR/NAME as lines; NULL (with a warning) when unreadable. */
static char **read_lines_file(const char *dir, const char *name, size_t *n)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(p, "r");
	if (!fp) { vm_warn_errno("%s", p); free(p); return NULL; }
	char **v = read_lines(fp, n);
	int bad = ferror(fp);
	fclose(fp);
	if (bad) { vm_warn_errno("%s", p); free_lines(v, *n); free(p); return NULL; }
	free(p);
	if (!v) v = xmalloc(sizeof *v);
	return v;
}

/* vlsnr-embed merge --out OUTDIR [--news FILE...] SHARDDIR...: see the man
 * page. Everything is read and checked before anything is written. */
static int cmd_merge(const char **news, size_t n_news, const char *out, char **dirs, size_t nd)
{
	int status = VM_EXIT_USAGE;
	char err[512];
	size_t total = 0, nmiss = 0, norder = 0;
	int dim = -1;
	char *white = NULL;
	size_t white_len = 0;
	char ***ids = xcalloc(nd, sizeof *ids);
	size_t *nids = xcalloc(nd, sizeof *nids);
	vm_npy_f32 (*feat)[4] = xcalloc(nd, sizeof *feat);
	mrow *rows = NULL, *order = NULL;
	char *missing = NULL;   /* by final position: 1 when listed in a missing.txt */
	float *all = NULL;

	for (size_t d = 0; d < nd; d++) {
		if (!(ids[d] = read_lines_file(dirs[d], "ids.txt", &nids[d]))) goto out;
		total += nids[d];
		for (int k = 0; k < 4; k++) {
			char *p = xasprintf("%s/%s.npy", dirs[d], kinds[k]);
			int rc = vm_npy_read_f32(p, &feat[d][k], err, sizeof err);
			if (rc < 0) { vm_warn("%s", err); free(p); goto out; }
			if (feat[d][k].rows != nids[d]) {
				vm_warn("%s: %zu rows, but ids.txt has %zu ids", p, feat[d][k].rows, nids[d]);
				free(p);
				goto out;
			}
			if (dim < 0) dim = (int)feat[d][k].cols;
			if (feat[d][k].cols != (size_t)dim) {
				vm_warn("%s: %zu columns, but %s/%s.npy has %d", p, feat[d][k].cols, dirs[0], kinds[0], dim);
				free(p);
				goto out;
			}
			free(p);
		}
		char *p = xasprintf("%s/white.npy", dirs[d]);
		size_t len;
		char *w = vm_read_file(p, &len);
		if (!w) { vm_warn_errno("%s", p); free(p); goto out; }
		if (!white) {
			vm_npy_f32 a;
			if (vm_npy_read_f32(p, &a, err, sizeof err) < 0) { vm_warn("%s", err); free(w); free(p); goto out; }
			int bad = a.rows != 1 || a.cols != (size_t)dim;
			if (bad) vm_warn("%s: %zu x %zu, expected 1 x %d", p, a.rows, a.cols, dim);
			vm_npy_f32_free(&a);
			if (bad) { free(w); free(p); goto out; }
			white = w;
			white_len = len;
		} else {
			int same = len == white_len && !memcmp(w, white, len);
			free(w);
			if (!same) {
				vm_warn("%s differs from %s/white.npy: the shards were embedded with other models or encoders",
					p, dirs[0]);
				free(p);
				goto out;
			}
		}
		free(p);
	}
	/* every item once, sorted by news number */
	rows = xmalloc((total ? total : 1) * sizeof *rows);
	{
		size_t k = 0;
		for (size_t d = 0; d < nd; d++)
			for (size_t i = 0; i < nids[d]; i++) {
				long long v = id_num(ids[d][i]);
				if (v < 0) { vm_warn("%s/ids.txt:%zu: '%s' is not a news id", dirs[d], i + 1, ids[d][i]); goto out; }
				rows[k++] = (mrow){(uint32_t)v, (uint32_t)d, (uint32_t)i};
			}
		qsort(rows, total, sizeof *rows, cmp_mrow);
		for (size_t i = 1; i < total; i++)
			if (rows[i].num == rows[i - 1].num) {
				vm_warn("N%u is in two shards: %s and %s", rows[i].num, dirs[rows[i - 1].shard],
					dirs[rows[i].shard]);
				goto out;
			}
	}
	/* the final order: the --news files' (as one run over them), or ascending news number */
	if (n_news) {
		vm_u64set seen;
		vm_u64set_init(&seen);
		order = xmalloc((total ? total : 1) * sizeof *order);
		for (size_t f = 0; f < n_news; f++) {
			vm_mind_reader *r = vm_mind_open(news[f], 0);
			if (!r) { vm_u64set_free(&seen); goto out; }
			vm_news row;
			int rc;
			while ((rc = vm_news_next(r, &row)) == VM_MIND_ROW) {
				if (!vm_u64set_add(&seen, (uint64_t)row.num + 1)) continue;
				mrow key = {row.num, 0, 0}, *hit = bsearch(&key, rows, total, sizeof *rows, cmp_mrow);
				if (!hit) {
					vm_warn("%s: %s is in no shard", news[f], row.id);
					vm_mind_close(r);
					vm_u64set_free(&seen);
					goto out;
				}
				order[norder++] = *hit;
			}
			if (rc == VM_MIND_ERROR) {
				vm_warn("%s", vm_mind_error(r));
				vm_mind_close(r);
				vm_u64set_free(&seen);
				goto out;
			}
			vm_mind_close(r);
		}
		for (size_t i = 0; i < total; i++)
			if (!vm_u64set_has(&seen, (uint64_t)rows[i].num + 1)) {
				vm_warn("%s/ids.txt: N%u is in none of the --news files", dirs[rows[i].shard], rows[i].num);
				vm_u64set_free(&seen);
				goto out;
			}
		vm_u64set_free(&seen);
	} else {
		order = rows;
		rows = NULL;
		norder = total;
	}
	/* missing.txt of every shard: ids of that shard only */
	missing = xcalloc(total ? total : 1, 1);
	{
		mrow *pos = xmalloc((total ? total : 1) * sizeof *pos);   /* num -> final position, sorted by num */
		for (size_t i = 0; i < total; i++) pos[i] = (mrow){order[i].num, 0, (uint32_t)i};
		qsort(pos, total, sizeof *pos, cmp_mrow);
		for (size_t d = 0; d < nd; d++) {
			size_t n;
			char **m = read_lines_file(dirs[d], "missing.txt", &n);
			if (!m) { free(pos); goto out; }
			for (size_t i = 0; i < n; i++) {
				long long v = id_num(m[i]);
				mrow key = {(uint32_t)(v < 0 ? 0 : v), 0, 0}, *hit = v < 0 ? NULL
					: bsearch(&key, pos, total, sizeof *pos, cmp_mrow);
				if (!hit || order[hit->row].shard != d) {
					vm_warn("%s/missing.txt:%zu: '%s' is not an item of that shard", dirs[d], i + 1, m[i]);
					free_lines(m, n);
					free(pos);
					goto out;
				}
				if (!missing[hit->row]) nmiss++;
				missing[hit->row] = 1;
			}
			free_lines(m, n);
		}
		free(pos);
	}
	/* write: the features, missing.txt and white.npy, then ids.txt */
	if (vm_mkdir_p(out) < 0) { vm_warn_errno("%s", out); goto out; }
	all = xmalloc((total ? total : 1) * (size_t)dim * sizeof *all);
	for (int k = 0; k < 4; k++) {
		for (size_t i = 0; i < total; i++)
			memcpy(all + i * (size_t)dim, feat[order[i].shard][k].data + (size_t)order[i].row * dim,
			       (size_t)dim * sizeof *all);
		char *p = xasprintf("%s/%s.npy", out, kinds[k]);
		int w = vm_npy_write_f32(p, all, total, (size_t)dim, err, sizeof err);
		free(p);
		if (w) { vm_warn("%s", err); goto out; }
	}
	{
		vm_atomic_file af;
		char *p = xasprintf("%s/missing.txt", out);
		if (vm_atomic_open(&af, p) < 0) { vm_warn_errno("%s", p); free(p); goto out; }
		for (size_t i = 0; i < total; i++)
			if (missing[i]) fprintf(af.fp, "N%u\n", order[i].num);
		if (vm_atomic_commit(&af) < 0) { vm_warn_errno("%s", p); free(p); goto out; }
		free(p);
		p = xasprintf("%s/white.npy", out);
		if (vm_write_file_atomic(p, white, white_len) < 0) { vm_warn_errno("%s", p); free(p); goto out; }
		free(p);
		p = xasprintf("%s/ids.txt", out);
		if (vm_atomic_open(&af, p) < 0) { vm_warn_errno("%s", p); free(p); goto out; }
		for (size_t i = 0; i < total; i++)
			fprintf(af.fp, "%s\n", ids[order[i].shard][order[i].row]);
		if (vm_atomic_commit(&af) < 0) { vm_warn_errno("%s", p); free(p); goto out; }
		free(p);
	}
	(void)nmiss;
	(void)norder;
	status = VM_EXIT_OK;
out:
	for (size_t d = 0; d < nd; d++) {
		if (ids[d]) free_lines(ids[d], nids[d]);
		for (int k = 0; k < 4; k++) vm_npy_f32_free(&feat[d][k]);
	}
	free(ids);
	free(nids);
	free(feat);
	free(rows);
	free(order);
	free(missing);
	free(white);
	free(all);
	return status;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	static vm_cli cli = {
		.synopsis = "vlsnr-embed news|text|image|tokenize (--clip DIR | --encoder hash) [options] [IMAGE...]\n"
			    "       vlsnr-embed merge --out OUTDIR [--news FILE...] SHARDDIR...",
		.summary = "CLIP ViT-B/32 (or hash baseline) embeddings of MIND news, text lines and images; CLIP token ids.",
		.options = options,
		.footer = "Subcommands:\n"
			  "  news --news FILE... --images DIR --out OUTDIR   ids.txt, {image,title,category,subcategory}.npy,\n"
			  "                                                  missing.txt, white.npy\n"
			  "  news ... --shard I/N (or SLURM_ARRAY_TASK_ID)     only the items of shard I of N\n"
			  "  merge --out OUTDIR [--news FILE...] SHARDDIR...  join the shards' news outputs\n"
			  "  text --out FILE.npy < lines      image --out FILE.npy IMAGE...      tokenize < lines\n"
			  "Exit status: 0 done, 1 some images could not be read, 2 usage or input error.\n",
	};
	vm_set_progname(argv[0]);
	const char *clipdir = NULL, *encoder = "clip", *images = NULL, *out = NULL;
	const char **news = NULL;
	size_t n_news = 0, chunk = 2048;
	const char *shard_spec = NULL;
	long shards = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	ctx c;
	memset(&c, 0, sizeof c);
	c.jobs = ncpu > 0 ? (int)ncpu : 1;
	c.batch = 32;
	int opt;
	while ((opt = vm_cli_next(&cli, argc, argv)) != -1) {
		switch (opt) {
		case OPT_CLIP: clipdir = optarg; break;
		case OPT_ENCODER: encoder = optarg; break;
		case OPT_NEWS:
			news = xrealloc(news, (n_news + 1) * sizeof *news);
			news[n_news++] = optarg;
			break;
		case OPT_IMAGES: images = optarg; break;
		case 'o': out = optarg; break;
		case 'j': c.jobs = (int)vm_cli_int("jobs", optarg, 1, 256); break;
		case OPT_BATCH: c.batch = (int)vm_cli_int("batch", optarg, 1, 4096); break;
		case OPT_CHUNK: chunk = (size_t)vm_cli_int("chunk", optarg, 1, 100000000); break;
		case OPT_SHARD: shard_spec = optarg; break;
		case OPT_SHARDS: shards = (long)vm_cli_int("shards", optarg, 1, 0xffffffffLL); break;
		default:
			vm_cli_usage_error(&cli, NULL);
		}
	}
	if (optind >= argc)
		vm_cli_usage_error(&cli, "give a subcommand: news, text, image or tokenize");
	const char *cmd = argv[optind++];
	int is_news = !strcmp(cmd, "news"), is_text = !strcmp(cmd, "text"), is_image = !strcmp(cmd, "image"),
	    is_tok = !strcmp(cmd, "tokenize"), is_merge = !strcmp(cmd, "merge");
	if (!is_news && !is_text && !is_image && !is_tok && !is_merge)
		vm_cli_usage_error(&cli, "unknown subcommand '%s'", cmd);
	if (!is_news && (shard_spec || shards))
		vm_cli_usage_error(&cli, "--shard and --shards belong to the news subcommand");
	if (is_merge) {
		if (clipdir || strcmp(encoder, "clip") || images)
			vm_cli_usage_error(&cli, "merge takes no --clip, --encoder or --images");
		if (!out)
			vm_cli_usage_error(&cli, "give --out");
		if (optind >= argc)
			vm_cli_usage_error(&cli, "merge needs at least one SHARDDIR");
		vm_cli_free(&cli);
		int st = cmd_merge(news, n_news, out, argv + optind, (size_t)(argc - optind));
		free(news);
		return st;
	}
	vm_shard shard = {0, 1};
	if (is_news) {
		char serr[512];
		if (vm_shard_resolve(shard_spec, shards, &shard, serr, sizeof serr) != 0)
			vm_cli_usage_error(&cli, "%s", serr);
		if (shard_spec && shards > 0 && (long)shard.count != shards)
			vm_cli_usage_error(&cli, "--shard %s disagrees with --shards %ld", shard_spec, shards);
	}
	if (strcmp(encoder, "clip") && strcmp(encoder, "hash"))
		vm_cli_usage_error(&cli, "--encoder: '%s' is not clip or hash", encoder);
	c.hash = !strcmp(encoder, "hash");
	if (c.hash && clipdir)
		vm_cli_usage_error(&cli, "--encoder hash takes no --clip");
	if (!c.hash && !clipdir)
		vm_cli_usage_error(&cli, "give --clip DIR (or --encoder hash)");
	if (c.hash && is_tok)
		vm_cli_usage_error(&cli, "tokenize needs --clip DIR");
	if (!is_image && optind < argc)
		vm_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if ((is_news || is_text || is_image) && !out)
		vm_cli_usage_error(&cli, "give --out");
	if (is_news && !n_news)
		vm_cli_usage_error(&cli, "news needs at least one --news FILE");
	if (!is_news && (n_news || images))
		vm_cli_usage_error(&cli, "--news and --images belong to the news subcommand");
	vm_cli_free(&cli);

	if (VIPS_INIT(argv[0]))
		vm_die("cannot start libvips");
	openblas_set_num_threads(c.jobs);
	char err[1024];
	if (!c.hash) {
		if (clip_load(&c.m, clipdir, err, sizeof err) < 0)
			vm_die("%s", err);
		c.dim = c.m.cfg.proj_dim;
	} else {
		c.dim = CLIP_HASH_DIM;
	}
	int status = VM_EXIT_OK;
	if (is_tok) {
		size_t n;
		char **lines = read_lines(stdin, &n);
		int32_t *ids = xmalloc((size_t)c.m.cfg.max_pos * sizeof *ids);
		for (size_t i = 0; i < n; i++) {
			int k = clip_bpe_encode(c.m.tok, lines[i], ids, c.m.cfg.max_pos);
			for (int j = 0; j < k; j++) printf(j ? " %d" : "%d", ids[j]);
			putchar('\n');
		}
		free(ids);
		free_lines(lines, n);
		if (fflush(stdout) != 0 || ferror(stdout)) { vm_warn_errno("standard output"); status = VM_EXIT_USAGE; }
	} else if (is_text) {
		size_t n;
		char **lines = read_lines(stdin, &n);
		float *e = xmalloc((n ? n : 1) * (size_t)c.dim * sizeof *e);
		embed_texts(&c, lines, n, e);
		if (vm_npy_write_f32(out, e, n, (size_t)c.dim, err, sizeof err) < 0) {
			vm_warn("%s", err);
			status = VM_EXIT_USAGE;
		}
		free(e);
		free_lines(lines, n);
	} else if (is_image) {
		size_t n = (size_t)(argc - optind);
		if (!n) vm_die("image: give at least one IMAGE");
		float *e = xcalloc(n, (size_t)c.dim * sizeof *e);
		char *failed = xcalloc(n, 1);
		size_t nf = embed_images(&c, (const char *const *)argv + optind, n, e, failed);
		for (size_t i = 0; i < n; i++)
			if (failed[i]) memset(e + i * c.dim, 0, (size_t)c.dim * sizeof *e);
		if (vm_npy_write_f32(out, e, n, (size_t)c.dim, err, sizeof err) < 0) {
			vm_warn("%s", err);
			status = VM_EXIT_USAGE;
		} else if (nf) {
			status = VM_EXIT_ITEMS;
		}
		free(failed);
		free(e);
	} else {
		status = cmd_news(&c, news, n_news, images, out, chunk, &shard);
	}
	if (!c.hash) clip_free(&c.m);
	free(news);
	vips_shutdown();
	return status;
}
