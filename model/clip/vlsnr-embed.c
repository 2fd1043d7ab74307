/* vlsnr-embed.c: the vlsnr-embed tool: CLIP (or the non-learned hash
 * baseline) embeddings of MIND news items (image, title, category,
 * subcategory), of text lines and of image files, and CLIP token ids. The
 * news subcommand works in chunks recorded under OUTDIR/parts so a killed run
 * restarts where it stopped; with --shard I/N it embeds only that shard's
 * items (vmind/lib/shard.h), and the merge subcommand joins the output
 * directories of the shards into one; finetune and train (embed-train.c)
 * train CLIP on a dataset's (cover, title) pairs; see vlsnr-embed(1). */
#include "config.h"
#include "bpe.h"
#include "clip.h"
#include "clip-fit.h"
#include "embed-hash.h"
#include "embed-train.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/npy.h"
#include "vmind/lib/shard.h"
#include "vmind/lib/progress.h"
#include "vmind/lib/util.h"

#include <cblas.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

enum {
	OPT_CLIP = 256, OPT_ENCODER, OPT_NEWS, OPT_IMAGES, OPT_OUT, OPT_BATCH, OPT_CHUNK, OPT_SHARD, OPT_SHARDS,
	OPT_CONFIG, OPT_DB, OPT_LAYERS, OPT_EPOCHS, OPT_LR, OPT_SEED, OPT_SAVE_EVERY, OPT_TEXT_ENCODER, OPT_NORMALIZE
};

static const vm_option options[] = {
	{ "clip", OPT_CLIP, required_argument, "DIR", "Hugging Face CLIP checkpoint folder" },
	{ "encoder", OPT_ENCODER, required_argument, "NAME", "clip (default) or hash (non-learned baseline)" },
	{ "text-encoder", OPT_TEXT_ENCODER, required_argument, "NAME", "news: hash embeds the texts with the hash encoder, the images with --clip" },
	{ "normalize", OPT_NORMALIZE, no_argument, NULL, "news, text, image: every row scaled to length 1" },
	{ "news", OPT_NEWS, required_argument, "FILE", "news: a MIND news.tsv (repeatable)" },
	{ "images", OPT_IMAGES, required_argument, "DIR", "news: the covers, DIR/<id>.jpg (or .jpeg .png .webp)" },
	{ "out", 'o', required_argument, "PATH", "output directory (news) or .npy file (text, image)" },
	{ "jobs", 'j', required_argument, "N", "threads (default: the number of CPUs)" },
	{ "batch", OPT_BATCH, required_argument, "N", "items per forward pass (default 32)" },
	{ "chunk", OPT_CHUNK, required_argument, "N", "news: items per resumable chunk (default 2048)" },
	{ "shard", OPT_SHARD, required_argument, "I/N", "news: embed only the items of shard I of N (default: from SLURM_ARRAY_TASK_ID)" },
	{ "shards", OPT_SHARDS, required_argument, "N", "news: the number of shards, for a job array index (JOB_COMPLETION_INDEX)" },
	{ "config", OPT_CONFIG, required_argument, "FILE", "train: the config.json giving the model's shape" },
	{ "db", OPT_DB, required_argument, "FILE", "finetune, train: the provenance database; only real covers are used" },
	{ "layers", OPT_LAYERS, required_argument, "N", "finetune: train the last N blocks of each tower, or all (default 1)" },
	{ "epochs", OPT_EPOCHS, required_argument, "N", "finetune, train: epochs (default 5, train 30)" },
	{ "lr", OPT_LR, required_argument, "X", "finetune, train: Adam's learning rate (default 1e-5, train 5e-4)" },
	{ "seed", OPT_SEED, required_argument, "N", "finetune, train: initialisation and batch order (default 1)" },
	{ "save-every", OPT_SAVE_EVERY, required_argument, "SECONDS", "finetune, train: save the state this often within an epoch (default 600)" },
	{ NULL, 0, 0, NULL, NULL }
};

/* Progress during news: the line (vmind/lib/progress.h, which counts the
 * items of chunks done by an earlier run as done at start) and the items
 * of the chunks this process finished before the current one (fresh). */
typedef struct progress {
	vm_progress line;
	size_t fresh;
} progress;

/* The options, parsed. */
typedef struct opts {
	const char *cmd;                /* news, text, image, tokenize, merge, finetune or train */
	const char *clipdir, *encoder, *images, *out;
	const char *text_encoder;       /* --text-encoder, or NULL */
	int normalize;                  /* --normalize */
	const char **news;              /* [n_news] --news FILE */
	size_t n_news, chunk;
	const char *shard_spec;         /* --shard I/N */
	long shards;                    /* --shards N */
	vm_shard shard;                 /* news: the one to embed */
	int jobs, batch;
	char **args;                    /* [nargs] IMAGE... or SHARDDIR... */
	size_t nargs;
	embed_train_opts train;         /* finetune and train */
	int batch_set;                  /* --batch given */
	const char *train_opt;          /* an option of finetune and train given (its name), or NULL */
} opts;

/* An embedding command's context: the encoder and how it runs. */
typedef struct ctx {
	int hash;              /* --encoder hash */
	int text_hash;         /* texts by the hash encoder (--encoder or --text-encoder hash) */
	int normalize;         /* --normalize */
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

/* rows out[n, dim] scaled to length 1 when --normalize (a zero row stays 0) */
static void normalize_rows(const ctx *c, float *out, size_t n)
{
	if (!c->normalize || !n) return;
	float *norm = xmalloc(n * sizeof *norm);
	clip_l2norm_forward(out, norm, out, (int)n, c->dim);
	free(norm);
}

/* texts[n] -> out[n, dim] */
static void embed_texts(ctx *c, char *const *texts, size_t n, float *out)
{
	if (c->text_hash) {
		for (size_t i = 0; i < n; i++) clip_hash_text(texts[i], out + i * CLIP_HASH_DIM);
		normalize_rows(c, out, n);
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
	normalize_rows(c, out, n);
}

static void progress_show(progress *prog, size_t in_chunk)
{
	vm_progress_update(&prog->line, prog->line.done0 + prog->fresh + in_chunk, NULL, 0);
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
				vm_progress_clear(&c->prog.line);
				vm_warn("%s", jobs[b].err);
				if (failed) failed[s + b] = 1;
				nfail++;
			}
		if (!c->hash)
			clip_image_forward_mt(&c->m, pix, (int)B, out + s * (size_t)c->dim, c->jobs);
		normalize_rows(c, out + s * (size_t)c->dim, B);
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

static const char *const kinds[4] = {"image", "title", "category", "subcategory"};

/* A news run: the items to embed and where the outputs go. */
typedef struct news_run {
	ctx *c;
	const char *out, *images;   /* OUTDIR, the covers' folder (or NULL) */
	size_t chunk;               /* items a chunk */
	item *it;                   /* [n] in row order */
	size_t n;
	size_t nchunks;
} news_run;

/* The items of the --news files (each once) that belong to shard. 0 or -1
 * (warned). */
static int read_items(news_run *r, const char **news, size_t n_news, const vm_shard *shard)
{
	size_t cap = 0;
	int status = -1;
	vm_u64set seen;
	vm_u64set_init(&seen);
	for (size_t f = 0; f < n_news; f++) {
		vm_mind_reader *mr = vm_mind_open(news[f], 0);
		if (!mr) goto out;
		vm_news row;
		int rc;
		while ((rc = vm_news_next(mr, &row)) == VM_MIND_ROW) {
			if (!vm_u64set_add(&seen, (uint64_t)row.num + 1)) continue;   /* same item in several splits */
			if (!vm_shard_mine(shard, row.id)) continue;
			if (r->n == cap) { cap = cap ? cap * 2 : 1024; r->it = xrealloc(r->it, cap * sizeof *r->it); }
			item *it = &r->it[r->n++];
			it->id = xstrdup(row.id);
			it->title = xstrdup(row.title);
			it->cat = underscores_to_spaces(row.category);
			it->sub = underscores_to_spaces(row.subcategory);
		}
		if (rc == VM_MIND_ERROR) vm_warn("%s", vm_mind_error(mr));
		vm_mind_close(mr);
		if (rc == VM_MIND_ERROR) goto out;
	}
	status = 0;
out:
	vm_u64set_free(&seen);
	return status;
}

/* The run's identity, what OUTDIR/parts/progress holds: a restart with
 * other inputs or another model starts over instead of mixing chunks. */
static char *run_signature(const news_run *r)
{
	const ctx *c = r->c;
	char *text = NULL, hex[65];
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	fprintf(m, "encoder %s%s%s\n", c->hash ? "hash" : "clip", c->text_hash ? " texts hash" : "",
		c->normalize ? " normalized" : "");
	fprintf(m, "model %s %zu\ndim %d\nchunk %zu\nimages %s\n",
		c->hash ? "-" : c->m.st.path, c->hash ? (size_t)0 : c->m.st.size, c->dim, r->chunk,
		r->images ? r->images : "-");
	for (size_t i = 0; i < r->n; i++)
		fprintf(m, "%s\t%s\t%s\t%s\n", r->it[i].id, r->it[i].title, r->it[i].cat, r->it[i].sub);
	fclose(m);
	vm_sha256_hex(text, len, hex);
	free(text);
	return xasprintf("vlsnr-embed progress\nsignature %s\nitems %zu\n", hex, r->n);
}

/* Remove from folder dir the files a killed run left under a temporary
 * name (every_file 0), or every file but the hidden ones (every_file 1). */
static void remove_files(const char *dir, int every_file)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (every_file ? de->d_name[0] == '.' : !strstr(de->d_name, ".tmp.")) continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d) closedir(d);
}

/* OUTDIR/parts ready for the run: temporary files of a killed run removed;
 * the chunks of a run with another signature (or none) removed too, and
 * this run's signature written. 0 or -1 (warned). */
static int prepare_parts(const news_run *r)
{
	if (vm_mkdir_p(r->out) < 0) { vm_warn_errno("%s", r->out); return -1; }
	char *parts = xasprintf("%s/parts", r->out), *prog_path = xasprintf("%s/parts/progress", r->out);
	char *sig = NULL, old[512] = "";
	int rc = -1;
	if (vm_mkdir_p(parts) < 0) { vm_warn_errno("%s/parts", r->out); goto out; }
	sig = run_signature(r);
	FILE *fp = fopen(prog_path, "r");
	size_t got = fp ? fread(old, 1, sizeof old - 1, fp) : 0;
	old[got] = 0;
	if (fp) fclose(fp);
	remove_files(parts, 0);
	if (strcmp(old, sig) != 0) {
		remove_files(parts, 1);
		if (vm_write_file_atomic(prog_path, sig, strlen(sig)) < 0) { vm_warn_errno("%s", prog_path); goto out; }
	}
	rc = 0;
out:
	free(sig);
	free(prog_path);
	free(parts);
	return rc;
}

/* Embed items [a, b) into parts/NNNNNN.*; 0 or -1 (write error). The image
 * part is written last: its presence marks the chunk done. */
static int do_chunk(const news_run *r, size_t a, size_t b, size_t k)
{
	ctx *c = r->c;
	const char *out = r->out;
	const item *it = r->it;
	size_t n = b - a;
	float *img = xmalloc((n ? n : 1) * (size_t)c->dim * sizeof *img);
	float *e = xmalloc((n ? n : 1) * (size_t)c->dim * sizeof *e);
	char err[512];
	int rc = -1;
	char *miss_path = xasprintf("%s/parts/%06zu.missing", out, k), *p;
	vm_atomic_file af;
	const char **paths = xcalloc(n ? n : 1, sizeof *paths);
	char *failed = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++) paths[i] = r->images ? embed_find_image(r->images, it[a + i].id) : NULL;
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

/* Every chunk not done yet (its image part missing), with the progress
 * line. 0 or -1 (warned). */
static int embed_chunks(news_run *r)
{
	progress *prog = &r->c->prog;
	size_t done_items = 0;
	int rc = 0;
	char *have = xcalloc(r->nchunks + 1, 1);
	for (size_t k = 0; k < r->nchunks; k++) {
		char *p = xasprintf("%s/parts/%06zu.image.npy", r->out, k);
		if ((have[k] = (char)vm_regular_file_exists(p)))
			done_items += (k + 1) * r->chunk < r->n ? r->chunk : r->n - k * r->chunk;
		free(p);
	}
	vm_progress_start(&prog->line, "items", done_items, r->n, 0, NULL);
	prog->fresh = 0;
	for (size_t k = 0; k < r->nchunks && rc == 0; k++) {
		size_t a = k * r->chunk, b = a + r->chunk < r->n ? a + r->chunk : r->n;
		if (have[k])
			continue;
		if ((rc = do_chunk(r, a, b, k)) < 0)
			break;
		prog->fresh += b - a;
	}
	vm_progress_end(&prog->line);
	free(have);
	return rc;
}

/* OUTDIR/ids.txt, and OUTDIR/missing.txt from the chunks' lists; *nfail =
 * the items whose image could not be decoded, *nmissing = the items
 * without an image (those and the ones with no file). 0 or -1 (warned). */
static int write_lists(const news_run *r, size_t *nfail, size_t *nmissing)
{
	vm_atomic_file af;
	char *p = xasprintf("%s/ids.txt", r->out);
	int rc = -1;
	if (vm_atomic_open(&af, p) < 0) goto out;
	for (size_t i = 0; i < r->n; i++) fprintf(af.fp, "%s\n", r->it[i].id);
	if (vm_atomic_commit(&af) < 0) goto out;
	free(p);
	p = xasprintf("%s/missing.txt", r->out);
	if (vm_atomic_open(&af, p) < 0) goto out;
	for (size_t k = 0; k < r->nchunks; k++) {
		char *mp = xasprintf("%s/parts/%06zu.missing", r->out, k);
		FILE *fp = fopen(mp, "r");
		free(mp);
		if (!fp) continue;
		char line[256];
		while (fgets(line, sizeof line, fp)) {
			char *tab = strchr(line, '\t');
			(*nmissing)++;
			if (tab) {
				strcpy(tab, "\n");
				(*nfail)++;
			}
			fputs(line, af.fp);
		}
		fclose(fp);
	}
	if (vm_atomic_commit(&af) < 0) goto out;
	rc = 0;
out:
	if (rc < 0) vm_warn_errno("%s", p);
	free(p);
	return rc;
}

/* all[n, dim] = the chunks' parts of one kind, checked; 0 or -1 (warned) */
static int join_kind(const news_run *r, int kind, float *all)
{
	const ctx *c = r->c;
	char err[512];
	for (size_t k = 0; k < r->nchunks; k++) {
		char *p = xasprintf("%s/parts/%06zu.%s.npy", r->out, k, kinds[kind]);
		vm_npy_f32 a;
		int rc = vm_npy_read_f32(p, &a, err, sizeof err);
		free(p);
		if (rc < 0) { vm_warn("%s", err); return -1; }
		size_t rows = (k + 1) * r->chunk < r->n ? r->chunk : r->n - k * r->chunk;
		if (a.rows != rows || a.cols != (size_t)c->dim) {
			vm_warn("%s/parts/%06zu.%s.npy: %zu x %zu, expected %zu x %d", r->out, k, kinds[kind], a.rows,
				a.cols, rows, c->dim);
			vm_npy_f32_free(&a);
			return -1;
		}
		memcpy(all + k * r->chunk * (size_t)c->dim, a.data, rows * (size_t)c->dim * sizeof *all);
		vm_npy_f32_free(&a);
	}
	return 0;
}

/* OUTDIR/KIND.npy of the four kinds, joined from the chunks, and
 * OUTDIR/white.npy, the embedding given to items without an image. 0 or -1
 * (warned). */
static int write_features(news_run *r)
{
	ctx *c = r->c;
	char err[512];
	float *all = xmalloc((r->n ? r->n : 1) * (size_t)c->dim * sizeof *all);
	int rc = -1;
	for (int kind = 0; kind < 4; kind++) {
		if (join_kind(r, kind, all) < 0) goto out;
		char *p = xasprintf("%s/%s.npy", r->out, kinds[kind]);
		int w = vm_npy_write_f32(p, all, r->n, (size_t)c->dim, err, sizeof err);
		free(p);
		if (w) { vm_warn("%s", err); goto out; }
	}
	const char *none = NULL;
	embed_images(c, &none, 1, all, NULL);
	char *p = xasprintf("%s/white.npy", r->out);
	int w = vm_npy_write_f32(p, all, 1, (size_t)c->dim, err, sizeof err);
	free(p);
	if (w) { vm_warn("%s", err); goto out; }
	rc = 0;
out:
	free(all);
	return rc;
}

/* Most items without a cover is more likely a wrong --images than a crawl
 * that found so little: say so, loudly, with the count. */
static void warn_missing(const news_run *r, size_t nmissing)
{
	if (r->n == 0 || nmissing * 2 <= r->n)
		return;
	if (!r->images)
		vm_warn("WARNING: no --images: all %zu items were embedded with the white image", r->n);
	else
		vm_warn("WARNING: %zu of %zu items (%.0f%%) have no cover in %s and were embedded with the white "
		        "image (listed in %s/missing.txt): is %s the folder vmind-resize wrote?", nmissing, r->n,
		        100.0 * (double)nmissing / (double)r->n, r->images, r->out, r->images);
}

/* vlsnr-embed news: see the man page. */
static int cmd_news(ctx *c, const opts *o)
{
	news_run r = { c, o->out, o->images, o->chunk, NULL, 0, 0 };
	size_t nfail = 0, nmissing = 0;
	int status = VM_EXIT_USAGE;
	if (read_items(&r, o->news, o->n_news, &o->shard) < 0 || prepare_parts(&r) < 0)
		goto out;
	r.nchunks = (r.n + r.chunk - 1) / r.chunk;
	if (embed_chunks(&r) < 0 || write_lists(&r, &nfail, &nmissing) < 0 || write_features(&r) < 0)
		goto out;
	status = nfail ? VM_EXIT_ITEMS : VM_EXIT_OK;
	if (nfail) vm_warn("%zu images could not be decoded (embedded as the white image, listed in missing.txt)", nfail);
	warn_missing(&r, nmissing);
out:
	for (size_t i = 0; i < r.n; i++) {
		free(r.it[i].id); free(r.it[i].title); free(r.it[i].cat); free(r.it[i].sub);
	}
	free(r.it);
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

/* A merge: the shard directories read, their items indexed and ordered. */
typedef struct merge {
	char **dirs;                 /* [nd] SHARDDIR... */
	size_t nd;
	char ***ids;                 /* [nd][nids[d]] each shard's ids.txt */
	size_t *nids;                /* [nd] */
	vm_npy_f32 (*feat)[4];       /* [nd][kind] each shard's features */
	int dim;                     /* their width (-1 until the first is read) */
	char *white;                 /* [white_len] the bytes of the first shard's white.npy */
	size_t white_len;
	size_t total;                /* items of all shards */
	mrow *rows;                  /* [total] sorted by news number */
	mrow *order;                 /* [total] the final order */
	char *missing;               /* [total] by final position: 1 when listed in a missing.txt */
} merge;

/* DIR/KIND.npy of the four kinds of shard d: rows as its ids, the width of
 * the first. 0 or -1 (warned). */
static int merge_read_features(merge *mg, size_t d)
{
	char err[512];
	for (int k = 0; k < 4; k++) {
		char *p = xasprintf("%s/%s.npy", mg->dirs[d], kinds[k]);
		vm_npy_f32 *a = &mg->feat[d][k];
		int rc = -1;
		if (vm_npy_read_f32(p, a, err, sizeof err) < 0) {
			vm_warn("%s", err);
		} else if (a->rows != mg->nids[d]) {
			vm_warn("%s: %zu rows, but ids.txt has %zu ids", p, a->rows, mg->nids[d]);
		} else {
			if (mg->dim < 0) mg->dim = (int)a->cols;
			if (a->cols != (size_t)mg->dim)
				vm_warn("%s: %zu columns, but %s/%s.npy has %d", p, a->cols, mg->dirs[0], kinds[0], mg->dim);
			else
				rc = 0;
		}
		free(p);
		if (rc < 0) return -1;
	}
	return 0;
}

/* DIR/white.npy of shard d: 1 x dim for the first shard, the same bytes
 * for every other. 0 or -1 (warned). */
static int merge_read_white(merge *mg, size_t d)
{
	char err[512], *p = xasprintf("%s/white.npy", mg->dirs[d]);
	size_t len;
	int rc = -1;
	char *w = vm_read_file(p, &len);
	if (!w) {
		vm_warn_errno("%s", p);
	} else if (!mg->white) {
		vm_npy_f32 a;
		if (vm_npy_read_f32(p, &a, err, sizeof err) < 0) {
			vm_warn("%s", err);
		} else {
			if (a.rows != 1 || a.cols != (size_t)mg->dim)
				vm_warn("%s: %zu x %zu, expected 1 x %d", p, a.rows, a.cols, mg->dim);
			else
				rc = 0;
			vm_npy_f32_free(&a);
		}
		if (rc == 0) {
			mg->white = w;
			mg->white_len = len;
			w = NULL;
		}
	} else if (len == mg->white_len && !memcmp(w, mg->white, len)) {
		rc = 0;
	} else {
		vm_warn("%s differs from %s/white.npy: the shards were embedded with other models or encoders", p,
			mg->dirs[0]);
	}
	free(w);
	free(p);
	return rc;
}

/* Every shard's ids, features and white.npy, checked. 0 or -1 (warned). */
static int merge_read(merge *mg)
{
	for (size_t d = 0; d < mg->nd; d++) {
		if (!(mg->ids[d] = read_lines_file(mg->dirs[d], "ids.txt", &mg->nids[d]))) return -1;
		mg->total += mg->nids[d];
		if (merge_read_features(mg, d) < 0 || merge_read_white(mg, d) < 0) return -1;
	}
	return 0;
}

/* mg->rows: every item once, sorted by news number. 0 or -1 (warned). */
static int merge_index(merge *mg)
{
	size_t k = 0;
	mg->rows = xmalloc((mg->total ? mg->total : 1) * sizeof *mg->rows);
	for (size_t d = 0; d < mg->nd; d++)
		for (size_t i = 0; i < mg->nids[d]; i++) {
			long long v = id_num(mg->ids[d][i]);
			if (v < 0) {
				vm_warn("%s/ids.txt:%zu: '%s' is not a news id", mg->dirs[d], i + 1, mg->ids[d][i]);
				return -1;
			}
			mg->rows[k++] = (mrow){(uint32_t)v, (uint32_t)d, (uint32_t)i};
		}
	qsort(mg->rows, mg->total, sizeof *mg->rows, cmp_mrow);
	for (size_t i = 1; i < mg->total; i++)
		if (mg->rows[i].num == mg->rows[i - 1].num) {
			vm_warn("N%u is in two shards: %s and %s", mg->rows[i].num, mg->dirs[mg->rows[i - 1].shard],
				mg->dirs[mg->rows[i].shard]);
			return -1;
		}
	return 0;
}

/* Items of one --news file, in its order, appended to mg->order (each
 * once: seen). 0 or -1 (warned). */
static int merge_order_file(merge *mg, const char *news, vm_u64set *seen, size_t *norder)
{
	vm_mind_reader *r = vm_mind_open(news, 0);
	if (!r) return -1;
	vm_news row;
	int rc;
	while ((rc = vm_news_next(r, &row)) == VM_MIND_ROW) {
		if (!vm_u64set_add(seen, (uint64_t)row.num + 1)) continue;
		mrow key = {row.num, 0, 0}, *hit = bsearch(&key, mg->rows, mg->total, sizeof *mg->rows, cmp_mrow);
		if (!hit) {
			vm_warn("%s: %s is in no shard", news, row.id);
			vm_mind_close(r);
			return -1;
		}
		mg->order[(*norder)++] = *hit;
	}
	if (rc == VM_MIND_ERROR) vm_warn("%s", vm_mind_error(r));
	vm_mind_close(r);
	return rc == VM_MIND_ERROR ? -1 : 0;
}

/* mg->order: the --news files' order (as one run over them), where every
 * item of the shards must be; without --news, ascending news number. 0 or
 * -1 (warned). */
static int merge_order(merge *mg, const char **news, size_t n_news)
{
	if (!n_news) {
		mg->order = mg->rows;
		mg->rows = NULL;
		return 0;
	}
	vm_u64set seen;
	size_t norder = 0;
	int rc = 0;
	vm_u64set_init(&seen);
	mg->order = xmalloc((mg->total ? mg->total : 1) * sizeof *mg->order);
	for (size_t f = 0; f < n_news && rc == 0; f++)
		rc = merge_order_file(mg, news[f], &seen, &norder);
	for (size_t i = 0; i < mg->total && rc == 0; i++)
		if (!vm_u64set_has(&seen, (uint64_t)mg->rows[i].num + 1)) {
			vm_warn("%s/ids.txt: N%u is in none of the --news files", mg->dirs[mg->rows[i].shard],
				mg->rows[i].num);
			rc = -1;
		}
	vm_u64set_free(&seen);
	return rc;
}

/* mg->missing from each shard's missing.txt, which lists ids of that shard
 * only. 0 or -1 (warned). */
static int merge_missing(merge *mg)
{
	size_t total = mg->total;
	int rc = 0;
	mrow *pos = xmalloc((total ? total : 1) * sizeof *pos);   /* num -> final position, sorted by num */
	mg->missing = xcalloc(total ? total : 1, 1);
	for (size_t i = 0; i < total; i++) pos[i] = (mrow){mg->order[i].num, 0, (uint32_t)i};
	qsort(pos, total, sizeof *pos, cmp_mrow);
	for (size_t d = 0; d < mg->nd && rc == 0; d++) {
		size_t n;
		char **m = read_lines_file(mg->dirs[d], "missing.txt", &n);
		if (!m) { rc = -1; break; }
		for (size_t i = 0; i < n; i++) {
			long long v = id_num(m[i]);
			mrow key = {(uint32_t)(v < 0 ? 0 : v), 0, 0}, *hit = v < 0 ? NULL
				: bsearch(&key, pos, total, sizeof *pos, cmp_mrow);
			if (!hit || mg->order[hit->row].shard != d) {
				vm_warn("%s/missing.txt:%zu: '%s' is not an item of that shard", mg->dirs[d], i + 1, m[i]);
				rc = -1;
				break;
			}
			mg->missing[hit->row] = 1;
		}
		free_lines(m, n);
	}
	free(pos);
	return rc;
}

/* OUTDIR/KIND.npy of the four kinds in the final order. 0 or -1 (warned). */
static int merge_write_features(const merge *mg, const char *out)
{
	char err[512];
	size_t dim = (size_t)mg->dim;
	float *all = xmalloc((mg->total ? mg->total : 1) * dim * sizeof *all);
	int rc = 0;
	for (int k = 0; k < 4 && rc == 0; k++) {
		for (size_t i = 0; i < mg->total; i++)
			memcpy(all + i * dim, mg->feat[mg->order[i].shard][k].data + (size_t)mg->order[i].row * dim,
			       dim * sizeof *all);
		char *p = xasprintf("%s/%s.npy", out, kinds[k]);
		if (vm_npy_write_f32(p, all, mg->total, dim, err, sizeof err)) { vm_warn("%s", err); rc = -1; }
		free(p);
	}
	free(all);
	return rc;
}

/* OUTDIR/missing.txt, white.npy and, last, ids.txt. 0 or -1 (warned). */
static int merge_write_lists(const merge *mg, const char *out)
{
	vm_atomic_file af;
	char *p = xasprintf("%s/missing.txt", out);
	int rc = -1;
	if (vm_atomic_open(&af, p) < 0) goto out;
	for (size_t i = 0; i < mg->total; i++)
		if (mg->missing[i]) fprintf(af.fp, "N%u\n", mg->order[i].num);
	if (vm_atomic_commit(&af) < 0) goto out;
	free(p);
	p = xasprintf("%s/white.npy", out);
	if (vm_write_file_atomic(p, mg->white, mg->white_len) < 0) goto out;
	free(p);
	p = xasprintf("%s/ids.txt", out);
	if (vm_atomic_open(&af, p) < 0) goto out;
	for (size_t i = 0; i < mg->total; i++)
		fprintf(af.fp, "%s\n", mg->ids[mg->order[i].shard][mg->order[i].row]);
	if (vm_atomic_commit(&af) < 0) goto out;
	rc = 0;
out:
	if (rc < 0) vm_warn_errno("%s", p);
	free(p);
	return rc;
}

static void merge_free(merge *mg)
{
	for (size_t d = 0; d < mg->nd; d++) {
		if (mg->ids[d]) free_lines(mg->ids[d], mg->nids[d]);
		for (int k = 0; k < 4; k++) vm_npy_f32_free(&mg->feat[d][k]);
	}
	free(mg->ids);
	free(mg->nids);
	free(mg->feat);
	free(mg->white);
	free(mg->rows);
	free(mg->order);
	free(mg->missing);
}

/* vlsnr-embed merge --out OUTDIR [--news FILE...] SHARDDIR...: see the man
 * page. Everything is read and checked before anything is written. */
static int cmd_merge(const opts *o)
{
	merge mg = { .dirs = o->args, .nd = o->nargs, .dim = -1 };
	int status = VM_EXIT_USAGE;
	mg.ids = xcalloc(mg.nd, sizeof *mg.ids);
	mg.nids = xcalloc(mg.nd, sizeof *mg.nids);
	mg.feat = xcalloc(mg.nd, sizeof *mg.feat);
	if (merge_read(&mg) < 0 || merge_index(&mg) < 0 || merge_order(&mg, o->news, o->n_news) < 0 ||
	    merge_missing(&mg) < 0)
		goto out;
	if (vm_mkdir_p(o->out) < 0) { vm_warn_errno("%s", o->out); goto out; }
	if (merge_write_features(&mg, o->out) < 0 || merge_write_lists(&mg, o->out) < 0)
		goto out;
	status = VM_EXIT_OK;
out:
	merge_free(&mg);
	return status;
}

/* ------------------------------------------------------------ text, image, tokenize */

/* vlsnr-embed tokenize: the token ids of each line of standard input */
static int cmd_tokenize(ctx *c)
{
	size_t n;
	int status = VM_EXIT_OK;
	char **lines = read_lines(stdin, &n);
	int32_t *ids = xmalloc((size_t)c->m.cfg.max_pos * sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		int k = clip_bpe_encode(c->m.tok, lines[i], ids, c->m.cfg.max_pos);
		for (int j = 0; j < k; j++) printf(j ? " %d" : "%d", ids[j]);
		putchar('\n');
	}
	free(ids);
	free_lines(lines, n);
	if (fflush(stdout) != 0 || ferror(stdout)) { vm_warn_errno("standard output"); status = VM_EXIT_USAGE; }
	return status;
}

/* vlsnr-embed text: the embedding of each line of standard input */
static int cmd_text(ctx *c, const char *out)
{
	size_t n;
	int status = VM_EXIT_OK;
	char err[1024];
	char **lines = read_lines(stdin, &n);
	float *e = xmalloc((n ? n : 1) * (size_t)c->dim * sizeof *e);
	embed_texts(c, lines, n, e);
	if (vm_npy_write_f32(out, e, n, (size_t)c->dim, err, sizeof err) < 0) {
		vm_warn("%s", err);
		status = VM_EXIT_USAGE;
	}
	free(e);
	free_lines(lines, n);
	return status;
}

/* vlsnr-embed image: the embedding of each IMAGE (zeros for one that
 * cannot be decoded, exit 1) */
static int cmd_image(ctx *c, const char *out, char *const *paths, size_t n)
{
	int status = VM_EXIT_OK;
	char err[1024];
	if (!n) vm_die("image: give at least one IMAGE");
	float *e = xcalloc(n, (size_t)c->dim * sizeof *e);
	char *failed = xcalloc(n, 1);
	size_t nf = embed_images(c, (const char *const *)paths, n, e, failed);
	for (size_t i = 0; i < n; i++)
		if (failed[i]) memset(e + i * c->dim, 0, (size_t)c->dim * sizeof *e);
	if (vm_npy_write_f32(out, e, n, (size_t)c->dim, err, sizeof err) < 0) {
		vm_warn("%s", err);
		status = VM_EXIT_USAGE;
	} else if (nf) {
		status = VM_EXIT_ITEMS;
	}
	free(failed);
	free(e);
	return status;
}

/* ------------------------------------------------------------ main */

/* --layers N or all */
static int parse_layers(const char *text)
{
	if (!strcmp(text, "all")) return CLIP_FIT_ALL;
	return (int)vm_cli_int("layers", text, 0, 1000);
}

static void parse_options(opts *o, vm_cli *cli, int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int opt;
	embed_train_opts *t = &o->train;
	*o = (opts){ .encoder = "clip", .chunk = 2048, .shard = {0, 1}, .jobs = ncpu > 0 ? (int)ncpu : 1, .batch = 32 };
	*t = (embed_train_opts){ .layers = -2, .seed = 1, .save_every = 600 };
	while ((opt = vm_cli_next(cli, argc, argv)) != -1) {
		switch (opt) {
		case OPT_CLIP: o->clipdir = optarg; break;
		case OPT_ENCODER: o->encoder = optarg; break;
		case OPT_TEXT_ENCODER: o->text_encoder = optarg; break;
		case OPT_NORMALIZE: o->normalize = 1; break;
		case OPT_NEWS:
			o->news = xrealloc(o->news, (o->n_news + 1) * sizeof *o->news);
			o->news[o->n_news++] = optarg;
			break;
		case OPT_IMAGES: o->images = optarg; break;
		case 'o': o->out = optarg; break;
		case 'j': o->jobs = (int)vm_cli_int("jobs", optarg, 1, 256); break;
		case OPT_BATCH: o->batch = (int)vm_cli_int("batch", optarg, 1, 4096); o->batch_set = 1; break;
		case OPT_CHUNK: o->chunk = (size_t)vm_cli_int("chunk", optarg, 1, 100000000); break;
		case OPT_SHARD: o->shard_spec = optarg; break;
		case OPT_SHARDS: o->shards = (long)vm_cli_int("shards", optarg, 1, 0xffffffffLL); break;
		case OPT_CONFIG: t->config = optarg; o->train_opt = "--config"; break;
		case OPT_DB: t->db = optarg; o->train_opt = "--db"; break;
		case OPT_LAYERS: t->layers = parse_layers(optarg); o->train_opt = "--layers"; break;
		case OPT_EPOCHS: t->epochs = (int)vm_cli_int("epochs", optarg, 1, 1000000); o->train_opt = "--epochs"; break;
		case OPT_LR: t->lr = vm_cli_double("lr", optarg, 1e-12, 1); o->train_opt = "--lr"; break;
		case OPT_SEED: t->seed = (uint64_t)vm_cli_int("seed", optarg, 0, INT64_MAX); o->train_opt = "--seed"; break;
		case OPT_SAVE_EVERY:
			t->save_every = vm_cli_double("save-every", optarg, 0, 1e9);
			o->train_opt = "--save-every";
			break;
		}
	}
	if (optind >= argc)
		vm_cli_usage_error(cli, "give a subcommand: news, text, image, tokenize, merge, finetune or train");
	o->cmd = argv[optind++];
	o->args = argv + optind;
	o->nargs = (size_t)(argc - optind);
}

/* finetune and train: what they need, the defaults of what is not given
 * (usage errors exit 2) */
static void check_train_options(opts *o, vm_cli *cli)
{
	embed_train_opts *t = &o->train;
	t->scratch = !strcmp(o->cmd, "train");
	if (o->shard_spec || o->shards || o->nargs || strcmp(o->encoder, "clip") || o->text_encoder || o->normalize)
		vm_cli_usage_error(cli, "%s takes no --shard, --shards, --encoder, --text-encoder, --normalize or arguments",
				   o->cmd);
	if (t->scratch ? (!t->config || o->clipdir) : (!o->clipdir || t->config))
		vm_cli_usage_error(cli, t->scratch ? "train needs --config FILE and takes no --clip"
						   : "finetune needs --clip DIR and takes no --config");
	if (!o->n_news || !o->images || !o->out)
		vm_cli_usage_error(cli, "%s needs --news FILE, --images DIR and --out DIR", o->cmd);
	if (o->clipdir && !strcmp(o->clipdir, o->out))
		vm_cli_usage_error(cli, "--out must be another folder than --clip");
	if (t->scratch && t->layers != -2 && t->layers != CLIP_FIT_ALL)
		vm_cli_usage_error(cli, "train trains every layer (--layers all)");
	if (t->layers == -2) t->layers = t->scratch ? CLIP_FIT_ALL : 1;
	if (!t->epochs) t->epochs = t->scratch ? 30 : 5;
	if (t->lr == 0) t->lr = t->scratch ? 5e-4 : 1e-5;
	t->batch = o->batch_set ? o->batch : t->scratch ? 128 : 64;
	if (t->batch < 2) vm_cli_usage_error(cli, "--batch: a batch is at least 2 pairs");
	t->clipdir = o->clipdir;
	t->news = o->news;
	t->n_news = o->n_news;
	t->images = o->images;
	t->out = o->out;
	t->jobs = o->jobs;
}

/* The options the subcommand takes and needs (usage errors exit 2); the
 * shard of news resolved. */
static void check_options(opts *o, vm_cli *cli)
{
	const char *cmd = o->cmd;
	int is_news = !strcmp(cmd, "news"), is_text = !strcmp(cmd, "text"), is_image = !strcmp(cmd, "image"),
	    is_tok = !strcmp(cmd, "tokenize"), is_merge = !strcmp(cmd, "merge"), hash = !strcmp(o->encoder, "hash");
	if (!strcmp(cmd, "finetune") || !strcmp(cmd, "train")) {
		check_train_options(o, cli);
		return;
	}
	if (!is_news && !is_text && !is_image && !is_tok && !is_merge)
		vm_cli_usage_error(cli, "unknown subcommand '%s'", cmd);
	if (o->train_opt)
		vm_cli_usage_error(cli, "%s belongs to finetune and train", o->train_opt);
	if (o->text_encoder && (strcmp(o->text_encoder, "hash") || !is_news || hash))
		vm_cli_usage_error(cli, "--text-encoder: only hash, for news with --clip");
	if (o->normalize && (is_merge || is_tok))
		vm_cli_usage_error(cli, "--normalize belongs to news, text and image");
	if (!is_news && (o->shard_spec || o->shards))
		vm_cli_usage_error(cli, "--shard and --shards belong to the news subcommand");
	if (is_merge) {
		if (o->clipdir || strcmp(o->encoder, "clip") || o->images)
			vm_cli_usage_error(cli, "merge takes no --clip, --encoder or --images");
		if (!o->out)
			vm_cli_usage_error(cli, "give --out");
		if (!o->nargs)
			vm_cli_usage_error(cli, "merge needs at least one SHARDDIR");
		return;
	}
	if (is_news) {
		char serr[512];
		if (vm_shard_resolve(o->shard_spec, o->shards, &o->shard, serr, sizeof serr) != 0)
			vm_cli_usage_error(cli, "%s", serr);
		if (o->shard_spec && o->shards > 0 && (long)o->shard.count != o->shards)
			vm_cli_usage_error(cli, "--shard %s disagrees with --shards %ld", o->shard_spec, o->shards);
	}
	if (strcmp(o->encoder, "clip") && !hash)
		vm_cli_usage_error(cli, "--encoder: '%s' is not clip or hash", o->encoder);
	if (hash && o->clipdir)
		vm_cli_usage_error(cli, "--encoder hash takes no --clip");
	if (!hash && !o->clipdir)
		vm_cli_usage_error(cli, "give --clip DIR (or --encoder hash)");
	if (hash && is_tok)
		vm_cli_usage_error(cli, "tokenize needs --clip DIR");
	if (!is_image && o->nargs)
		vm_cli_usage_error(cli, "unexpected argument '%s'", o->args[0]);
	if ((is_news || is_text || is_image) && !o->out)
		vm_cli_usage_error(cli, "give --out");
	if (is_news && !o->n_news)
		vm_cli_usage_error(cli, "news needs at least one --news FILE");
	if (!is_news && (o->n_news || o->images))
		vm_cli_usage_error(cli, "--news and --images belong to the news subcommand");
	struct stat sb;
	if (o->images && (stat(o->images, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		vm_die("--images %s: no such folder (the folder vmind-resize wrote the covers to)", o->images);
}

/* news, text, image or tokenize: libvips and OpenBLAS started, the encoder
 * loaded (death on failure), the subcommand run; the exit status. */
static int run_encoder(const opts *o, const char *argv0)
{
	ctx c = { .hash = !strcmp(o->encoder, "hash"), .jobs = o->jobs, .batch = o->batch, .normalize = o->normalize };
	c.text_hash = c.hash || o->text_encoder;
	char err[1024];
	int status;
	if (VIPS_INIT(argv0))
		vm_die("cannot start libvips");
	openblas_set_num_threads(c.jobs);
	if (!c.hash) {
		if (clip_load(&c.m, o->clipdir, err, sizeof err) < 0)
			vm_die("%s", err);
		c.dim = c.m.cfg.proj_dim;
		if (c.text_hash && c.dim != CLIP_HASH_DIM)
			vm_die("--text-encoder hash: %s/config.json has projection_dim %d, the hash encoder's texts have %d",
			       o->clipdir, c.dim, CLIP_HASH_DIM);
	} else {
		c.dim = CLIP_HASH_DIM;
	}
	if (!strcmp(o->cmd, "tokenize"))
		status = cmd_tokenize(&c);
	else if (!strcmp(o->cmd, "text"))
		status = cmd_text(&c, o->out);
	else if (!strcmp(o->cmd, "image"))
		status = cmd_image(&c, o->out, o->args, o->nargs);
	else
		status = cmd_news(&c, o);
	if (!c.hash) clip_free(&c.m);
	vips_shutdown();
	return status;
}

/* finetune or train, with libvips started */
static int run_train(const opts *o, const char *argv0)
{
	if (VIPS_INIT(argv0))
		vm_die("cannot start libvips");
	int status = embed_train(&o->train);
	vips_shutdown();
	return status;
}

int main(int argc, char **argv)
{
	static vm_cli cli = {
		.synopsis = "vlsnr-embed news|text|image|tokenize (--clip DIR | --encoder hash) [options] [IMAGE...]\n"
			    "       vlsnr-embed merge --out OUTDIR [--news FILE...] SHARDDIR...\n"
			    "       vlsnr-embed finetune|train (--clip DIR | --config FILE) --news FILE... --images DIR --out DIR2 [options]",
		.summary = "CLIP ViT-B/32 (or hash baseline) embeddings of MIND news, text lines and images; CLIP token ids; CLIP trained on a dataset's (cover, title) pairs.",
		.options = options,
		.footer = "Subcommands:\n"
			  "  news --news FILE... --images DIR --out OUTDIR   ids.txt, {image,title,category,subcategory}.npy,\n"
			  "                                                  missing.txt, white.npy\n"
			  "  news ... --shard I/N (or SLURM_ARRAY_TASK_ID)     only the items of shard I of N\n"
			  "  merge --out OUTDIR [--news FILE...] SHARDDIR...  join the shards' news outputs\n"
			  "  text --out FILE.npy < lines      image --out FILE.npy IMAGE...      tokenize < lines\n"
			  "  finetune --clip DIR --news FILE... --images DIR --out DIR2 [--layers N|all]\n"
			  "                                   CLIP's contrastive loss on the (cover, title) pairs\n"
			  "  train --config FILE --news FILE... --images DIR --out DIR2\n"
			  "                                   the same from a random initialisation of that shape\n"
			  "Exit status: 0 done, 1 some images could not be read, 2 usage or input error.\n",
	};
	opts o;
	int status;
	vm_set_progname(argv[0]);
	parse_options(&o, &cli, argc, argv);
	check_options(&o, &cli);
	vm_cli_free(&cli);
	if (!strcmp(o.cmd, "merge")) status = cmd_merge(&o);
	else if (!strcmp(o.cmd, "finetune") || !strcmp(o.cmd, "train")) status = run_train(&o, argv[0]);
	else status = run_encoder(&o, argv[0]);
	free(o.news);
	return status;
}
