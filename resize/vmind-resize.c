/* vmind-resize.c: vmind-resize, the batch that turns every crawled image in the
 * provenance database into DIR/<newsid>.<ext>, exactly size x size, 3-band
 * sRGB, metadata stripped, and records it (path, sha256, options, perceptual
 * hash) in the `resized` table, or the reason it failed in `resize_error`.
 * One process: worker threads each take whole images (resize_image in image.c),
 * the main thread owns the database and records finished items in short
 * batched transactions, each after a syncfs() of the output directory so
 * that no committed row names an output the disk does not hold. Outputs go
 * to "<name>.tmp.<pid>" and are renamed; a lock file
 * keeps two runs off one directory, and a run first removes the temporaries a
 * killed run left. An item is skipped when its row has the same source
 * sha256 and options and the output file still hashes to the recorded sha256.
 * With --shard I/N (or a job array's index, see vmind/lib/shard.h) only the items
 * of that shard are worked, so N jobs can share one database and one output
 * directory: each takes the directory lock shared and its own shard lock. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <vips/vips.h>

#include "vmind/lib/cli.h"
#include "vmind/lib/db.h"
#include "vmind/lib/progress.h"
#include "vmind/lib/shard.h"
#include "vmind/lib/util.h"
#include "image.h"

enum { OPT_RAW = 256, OPT_SIZE, OPT_MODE, OPT_FORMAT, OPT_QUALITY, OPT_FORCE, OPT_MAX_PIXELS,
       OPT_DB, OPT_OUT, OPT_BATCH, OPT_SHARD, OPT_SHARDS };

static const vm_option options[] = {
	{ "db", OPT_DB, required_argument, "FILE", "the provenance database the crawler wrote (required)" },
	{ "out", OPT_OUT, required_argument, "DIR", "write DIR/<newsid>.<format> (required; created)" },
	{ "raw", OPT_RAW, required_argument, "DIR", "image.raw_path is relative to DIR (default: the crawl's --out as recorded, else the database's directory)" },
	{ "size", OPT_SIZE, required_argument, "N", "output edge in pixels (default 224)" },
	{ "mode", OPT_MODE, required_argument, "MODE", "crop, attention, pad or stretch (default crop)" },
	{ "format", OPT_FORMAT, required_argument, "FMT", "jpg, png or webp (default jpg)" },
	{ "quality", OPT_QUALITY, required_argument, "Q", "JPEG/WebP quality 1-100 (default 90)" },
	{ "jobs", 'j', required_argument, "N", "images worked at once (default: the number of CPUs)" },
	{ "max-pixels", OPT_MAX_PIXELS, required_argument, "N", "refuse inputs over N pixels (default 100000000; 0 = no limit)" },
	{ "batch", OPT_BATCH, required_argument, "N", "commit the database every N items (default 256)" },
	{ "shard", OPT_SHARD, required_argument, "I/N", "work only the items of shard I of N (default: from SLURM_ARRAY_TASK_ID)" },
	{ "shards", OPT_SHARDS, required_argument, "N", "the number of shards, for a job array index (JOB_COMPLETION_INDEX)" },
	{ "force", OPT_FORCE, no_argument, NULL, "redo every item, even unchanged ones" },
	{ "quiet", 'q', no_argument, NULL, "no progress line and no summary" },
	{ NULL, 0, 0, NULL, NULL }
};

static vm_cli cli = {
	"vmind-resize --db FILE --out DIR [options]",
	"Resize every crawled image to an exact square, 3-band sRGB output and record it.",
	options,
	"Exit status: 0 all done, 1 some items failed (recorded in resize_error), 2 usage or set-up error.\n",
	NULL, NULL
};

enum { ST_PENDING, ST_DONE, ST_SKIP, ST_FAIL };

typedef struct item {
	long long num;
	char *id;             /* N12345 */
	char *tier;
	char *raw_path;       /* NULL when none */
	char *db_sha;         /* image.sha256, NULL when none */
	int have_row;         /* a resized row exists: */
	char *old_path, *old_sha, *old_src;
	int old_size, old_quality;   /* old_quality -1 when NULL */
	char *old_mode, *old_format;
	/* result, written by a worker */
	int status;
	char *err;
	char src_sha[65];
	char out_sha[65];
	uint64_t phash;
	uint64_t colour;
} item;

typedef struct run {
	resize_opts o;
	const char *out_dir;
	const char *raw_dir;
	int force;
	vm_shard shard;
	item *items;
	size_t n;
	atomic_size_t next;
	/* finished item indices, a queue from the workers to the main thread */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t *done;
	size_t ndone;
} run;

static int same_str(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The item's raw file: image.raw_path, relative to --raw unless absolute;
 * NULL when none is recorded. */
static char *raw_file(const run *r, const item *it)
{
	if (!it->raw_path || !*it->raw_path)
		return NULL;
	return it->raw_path[0] == '/' ? xstrdup(it->raw_path) : xasprintf("%s/%s", r->raw_dir, it->raw_path);
}

static void set_err(item *it, const char *fmt, ...) VM_PRINTF(2, 3);
static void set_err(item *it, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&it->err, fmt, ap) < 0)
		vm_die("out of memory");
	va_end(ap);
	it->status = ST_FAIL;
}

/* Is the recorded output of this item still valid for these options? */
static int unchanged(const run *r, const item *it, const char *rel)
{
	char *data;
	size_t len;
	char sha[65], *path;
	char src[65];
	if (r->force || !it->have_row)
		return 0;
	if (it->db_sha) {
		snprintf(src, sizeof src, "%s", it->db_sha);
	} else {
		/* no sha256 in the database: the white placeholder, or hash the raw file */
		char *raw = raw_file(r, it);
		if (raw && (data = vm_read_file(raw, &len)) != NULL) {
			vm_sha256_hex(data, len, src);
			free(data);
		} else if (strcmp(it->tier, "placeholder") == 0 && (!raw || errno == ENOENT)) {
			snprintf(src, sizeof src, "white");
		} else {
			src[0] = '\0';
		}
		free(raw);
	}
	if (!same_str(it->old_src, src) || it->old_size != r->o.size ||
	    !same_str(it->old_mode, resize_mode_name(r->o.mode)) ||
	    !same_str(it->old_format, resize_format_name(r->o.format)) ||
	    !same_str(it->old_path, rel))
		return 0;
	if (r->o.format != RESIZE_PNG && it->old_quality != r->o.quality)
		return 0;
	path = xasprintf("%s/%s", r->out_dir, rel);
	data = vm_read_file(path, &len);
	free(path);
	if (!data)
		return 0;
	vm_sha256_hex(data, len, sha);
	free(data);
	return same_str(sha, it->old_sha);
}

static void remove_old_output(const run *r, const item *it, const char *rel)
{
	if (it->have_row && it->old_path && (!rel || strcmp(it->old_path, rel) != 0) &&
	    !strchr(it->old_path, '/')) {
		char *p = xasprintf("%s/%s", r->out_dir, it->old_path);
		unlink(p);
		free(p);
	}
}

static void work_item(run *r, item *it)
{
	char rel[256], err[512], *out_path = NULL, *raw = NULL;
	char *data = NULL;
	size_t len = 0;
	resize_result res = { 0 };
	int white = 0;

	snprintf(rel, sizeof rel, "%s.%s", it->id, resize_format_name(r->o.format));
	if (unchanged(r, it, rel)) {
		it->status = ST_SKIP;
		return;
	}
	raw = raw_file(r, it);
	if (!raw) {
		if (strcmp(it->tier, "placeholder") != 0) {
			set_err(it, "no raw image recorded (image.raw_path is empty)");
			goto out;
		}
		white = 1;
	} else {
		if ((data = vm_read_file(raw, &len)) == NULL) {
			if (errno == ENOENT && strcmp(it->tier, "placeholder") == 0) {
				white = 1;
			} else {
				set_err(it, "%s: %s", raw, strerror(errno));
				goto out;
			}
		}
	}
	if (white)
		snprintf(it->src_sha, sizeof it->src_sha, "%s", it->db_sha ? it->db_sha : "white");
	else
		vm_sha256_hex(data, len, it->src_sha);
	if (resize_image(&r->o, white ? NULL : data, len, &res, err, sizeof err) != 0) {
		set_err(it, "%s: %s", raw ? raw : "white", err);
		goto out;
	}
	vm_sha256_hex(res.data, res.len, it->out_sha);
	it->phash = res.phash;
	it->colour = res.colour;
	out_path = xasprintf("%s/%s", r->out_dir, rel);
	if (vm_write_file_renamed(out_path, res.data, res.len) != 0) {
		set_err(it, "%s: %s", out_path, strerror(errno));
		goto out;
	}
	remove_old_output(r, it, rel);
	it->status = ST_DONE;
out:
	if (it->status == ST_FAIL)
		remove_old_output(r, it, NULL);
	resize_result_free(&res);
	free(data);
	free(raw);
	free(out_path);
}

static void *worker(void *arg)
{
	run *r = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&r->next, 1);
		if (i >= r->n)
			break;
		work_item(r, &r->items[i]);
		pthread_mutex_lock(&r->mu);
		r->done[r->ndone++] = i;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

static void load_items(sqlite3 *db, run *r)
{
	sqlite3_stmt *st;
	size_t cap = 1024;
	const char *sql =
		"SELECT i.news_num, n.id, i.tier, i.raw_path, i.sha256,"
		" r.news_num IS NOT NULL AND r.colour IS NOT NULL, r.path, r.sha256, r.source_sha256, r.size, r.quality,"
		" r.mode, r.format"
		" FROM image i JOIN news n ON n.num = i.news_num"
		" LEFT JOIN resized r ON r.news_num = i.news_num ORDER BY i.news_num";
	st = vm_db_prepare(db, sql);
	r->items = xcalloc(cap, sizeof *r->items);
	while (vm_db_step_row(db, st)) {
		item *it;
		if (r->n == cap) {
			r->items = xrealloc(r->items, 2 * cap * sizeof *r->items);
			memset(r->items + cap, 0, cap * sizeof *r->items);
			cap *= 2;
		}
		if (!vm_shard_mine(&r->shard, vm_db_column_text(st, 1) ? vm_db_column_text(st, 1) : ""))
			continue;
		it = &r->items[r->n++];
		it->num = sqlite3_column_int64(st, 0);
		it->id = vm_db_column_dup(st, 1);
		it->tier = vm_db_column_dup(st, 2);
		it->raw_path = vm_db_column_dup(st, 3);
		it->db_sha = vm_db_column_dup(st, 4);
		it->have_row = sqlite3_column_int(st, 5);
		it->old_path = vm_db_column_dup(st, 6);
		it->old_sha = vm_db_column_dup(st, 7);
		it->old_src = vm_db_column_dup(st, 8);
		it->old_size = sqlite3_column_int(st, 9);
		it->old_quality = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10);
		it->old_mode = vm_db_column_dup(st, 11);
		it->old_format = vm_db_column_dup(st, 12);
		if (!it->id || strspn(it->id, "N0123456789") != strlen(it->id) || strlen(it->id) > 32)
			vm_die("news %lld: id '%s' cannot name a file", it->num, it->id ? it->id : "");
	}
	sqlite3_finalize(st);
}

static void free_items(run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		item *it = &r->items[i];
		free(it->id); free(it->tier); free(it->raw_path); free(it->db_sha);
		free(it->old_path); free(it->old_sha); free(it->old_src);
		free(it->old_mode); free(it->old_format); free(it->err);
	}
	free(r->items);
}

/* Remove the temporaries a killed run left in the output directory (the
 * lock says no other run is writing there). */
static void remove_leftovers(const char *dir, const vm_shard *shard)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *t = strstr(e->d_name, ".tmp.");
		if (t && e->d_name[0] == 'N' && strspn(t + 5, "0123456789") == strlen(t + 5) && t[5]) {
			/* another shard's item may be in flight: leave it alone */
			char *id = xstrndup(e->d_name, strcspn(e->d_name, "."));
			int mine = vm_shard_mine(shard, id);
			free(id);
			if (!mine)
				continue;
			char *p = xasprintf("%s/%s", dir, e->d_name);
			unlink(p);
			free(p);
		}
	}
	closedir(d);
}

typedef struct stmts {
	sqlite3_stmt *put, *unerr, *puterr, *unrow;
} stmts;

static void record(sqlite3 *db, const run *r, stmts *s, const item *it)
{
	double now = (double)time(NULL);
	if (it->status == ST_DONE) {
		char *rel = xasprintf("%s.%s", it->id, resize_format_name(r->o.format));
		sqlite3_bind_int64(s->put, 1, it->num);
		vm_db_bind_text(s->put, 2, rel);
		sqlite3_bind_text(s->put, 3, it->out_sha, -1, SQLITE_STATIC);
		sqlite3_bind_text(s->put, 4, it->src_sha, -1, SQLITE_STATIC);
		sqlite3_bind_int(s->put, 5, r->o.size);
		sqlite3_bind_text(s->put, 6, resize_mode_name(r->o.mode), -1, SQLITE_STATIC);
		sqlite3_bind_text(s->put, 7, resize_format_name(r->o.format), -1, SQLITE_STATIC);
		if (r->o.format == RESIZE_PNG)
			sqlite3_bind_null(s->put, 8);
		else
			sqlite3_bind_int(s->put, 8, r->o.quality);
		sqlite3_bind_int64(s->put, 9, (sqlite3_int64)it->phash);
		sqlite3_bind_double(s->put, 10, now);
		sqlite3_bind_int64(s->put, 11, (sqlite3_int64)it->colour);
		vm_db_step_done(db, s->put);
		free(rel);
	}
	if (it->status == ST_DONE || it->status == ST_SKIP) {
		sqlite3_bind_int64(s->unerr, 1, it->num);
		vm_db_step_done(db, s->unerr);
	}
	if (it->status == ST_FAIL) {
		sqlite3_bind_int64(s->puterr, 1, it->num);
		if (it->src_sha[0])
			sqlite3_bind_text(s->puterr, 2, it->src_sha, -1, SQLITE_STATIC);
		else if (it->db_sha)
			sqlite3_bind_text(s->puterr, 2, it->db_sha, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s->puterr, 2);
		sqlite3_bind_text(s->puterr, 3, it->err, -1, SQLITE_STATIC);
		sqlite3_bind_double(s->puterr, 4, now);
		vm_db_step_done(db, s->puterr);
		sqlite3_bind_int64(s->unrow, 1, it->num);
		vm_db_step_done(db, s->unrow);
	}
}

/* Make the outputs renamed so far durable, then record the finished items
 * in one short transaction (the write lock is held for milliseconds, not
 * while images are worked, so a crawler writing the same database is not
 * kept waiting). */
static void flush(sqlite3 *db, const run *r, stmts *s, int dirfd, const size_t *pending, size_t n)
{
	if (dirfd >= 0 && syncfs(dirfd) != 0)
		vm_warn_errno("syncfs");
	vm_db_begin(db);
	for (size_t i = 0; i < n; i++)
		record(db, r, s, &r->items[pending[i]]);
	vm_db_commit(db);
}

/* The options that are not the run's own. */
typedef struct settings {
	const char *db_path;
	int jobs, quiet, batch;
	char *raw_default;   /* --raw when not given (choose_raw_dir) */
} settings;

static void parse_options(run *r, settings *op, int argc, char **argv)
{
	const char *shard_spec = NULL;
	long shards = 0;
	char err[512];
	int c;
	r->o = (resize_opts){ .size = 224, .mode = RESIZE_CROP, .format = RESIZE_JPG, .quality = 90,
	                      .max_pixels = 100000000LL };
	op->batch = 256;
	while ((c = vm_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_DB: op->db_path = optarg; break;
		case OPT_OUT: r->out_dir = optarg; break;
		case OPT_RAW: r->raw_dir = optarg; break;
		case OPT_SIZE: r->o.size = (int)vm_cli_int("size", optarg, 8, 8192); break;
		case OPT_MODE:
			if ((c = resize_mode_parse(optarg)) < 0)
				vm_cli_usage_error(&cli, "--mode: '%s' is not crop, attention, pad or stretch", optarg);
			r->o.mode = c;
			break;
		case OPT_FORMAT:
			if ((c = resize_format_parse(optarg)) < 0)
				vm_cli_usage_error(&cli, "--format: '%s' is not jpg, png or webp", optarg);
			r->o.format = c;
			break;
		case OPT_QUALITY: r->o.quality = (int)vm_cli_int("quality", optarg, 1, 100); break;
		case 'j': op->jobs = (int)vm_cli_int("jobs", optarg, 1, 256); break;
		case OPT_MAX_PIXELS: r->o.max_pixels = vm_cli_int("max-pixels", optarg, 0, 1LL << 50); break;
		case OPT_BATCH: op->batch = (int)vm_cli_int("batch", optarg, 1, 1000000); break;
		case OPT_SHARD: shard_spec = optarg; break;
		case OPT_SHARDS: shards = (long)vm_cli_int("shards", optarg, 1, 0xffffffffLL); break;
		case OPT_FORCE: r->force = 1; break;
		case 'q': op->quiet = 1; break;
		}
	}
	if (optind < argc)
		vm_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if (!op->db_path || !r->out_dir)
		vm_cli_usage_error(&cli, "--db and --out are required");
	if (vm_shard_resolve(shard_spec, shards, &r->shard, err, sizeof err) != 0)
		vm_cli_usage_error(&cli, "%s", err);
	if (shard_spec && shards > 0 && (long)r->shard.count != shards)
		vm_cli_usage_error(&cli, "--shard %s disagrees with --shards %ld", shard_spec, shards);
}

/* --raw when not given: the crawl's --out as it recorded it (meta.crawl_out)
 * when that folder exists, else the database's folder. Then the folder of
 * the raw files is checked once, up front, rather than failing every item. */
static void choose_raw_dir(sqlite3 *db, run *r, settings *op)
{
	if (!r->raw_dir) {
		sqlite3_stmt *st = vm_db_prepare(db, "SELECT value FROM meta WHERE key = 'crawl_out'");
		char *rec = vm_db_step_row(db, st) ? vm_db_column_dup(st, 0) : NULL;
		sqlite3_finalize(st);
		struct stat sb;
		if (rec && stat(rec, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			op->raw_default = rec;
		} else {
			const char *slash = strrchr(op->db_path, '/');
			free(rec);
			op->raw_default = slash ? xstrndup(op->db_path, slash == op->db_path ? 1 : (size_t)(slash - op->db_path))
			                        : xstrdup(".");
		}
		r->raw_dir = op->raw_default;
	}
	sqlite3_stmt *st = vm_db_prepare(db, "SELECT raw_path FROM image WHERE raw_path LIKE '%/%'"
	                                     " AND substr(raw_path, 1, 1) <> '/' LIMIT 1");
	if (vm_db_step_row(db, st)) {
		const char *rel = vm_db_column_text(st, 0);
		char *dir = xasprintf("%s/%.*s", r->raw_dir, (int)(strrchr(rel, '/') - rel), rel);
		struct stat sb;
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
			vm_die("%s: no such folder, where the crawl's raw files (image.raw_path '%s') should be: "
			       "give the crawl's --out folder with --raw DIR", dir, rel);
		free(dir);
	}
	sqlite3_finalize(st);
}

/* libvips, with the CPUs shared out: whole images in parallel beat libvips'
 * threads inside one small image, so -j images at once with CPUs / -j
 * libvips threads each (at least one). VIPS_CONCURRENCY in the
 * environment still wins. Sets jobs to the CPUs when not given. */
static void start_vips(const char *argv0, int *jobs)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	if (*jobs <= 0)
		*jobs = (int)ncpu;
	if (VIPS_INIT(argv0))
		vm_die("cannot start libvips");
	resize_setup();
	if (!getenv("VIPS_CONCURRENCY"))
		vips_concurrency_set(ncpu / *jobs > 1 ? (int)(ncpu / *jobs) : 1);
}

/* The output directory's locks: one run of the whole directory, or any
 * number of shard runs (each shard at most once). */
typedef struct locks {
	char *path, *shard_path;
	int fd, shard_fd;
} locks;

static void lock_output(const run *r, locks *lk)
{
	*lk = (locks){ .shard_fd = -1 };
	lk->path = xasprintf("%s/.vmind-resize.lock", r->out_dir);
	lk->fd = open(lk->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lk->fd < 0)
		vm_die_errno("%s", lk->path);
	if (flock(lk->fd, (r->shard.count > 1 ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0)
		vm_die("%s: another vmind-resize is writing to %s", lk->path, r->out_dir);
	if (r->shard.count <= 1)
		return;
	lk->shard_path = xasprintf("%s/.vmind-resize.shard-%u-of-%u.lock", r->out_dir,
	                           (unsigned)r->shard.index, (unsigned)r->shard.count);
	lk->shard_fd = open(lk->shard_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lk->shard_fd < 0)
		vm_die_errno("%s", lk->shard_path);
	if (flock(lk->shard_fd, LOCK_EX | LOCK_NB) != 0)
		vm_die("%s: another vmind-resize is working shard %u/%u in %s", lk->shard_path,
		       (unsigned)r->shard.index, (unsigned)r->shard.count, r->out_dir);
}

static void unlock_output(locks *lk)
{
	if (lk->shard_fd >= 0)
		close(lk->shard_fd);
	close(lk->fd);
	free(lk->path);
	free(lk->shard_path);
}

/* The items to work and the statements that record them. Errors of items
 * that no longer have an image are stale and go first. */
static void prepare_work(sqlite3 *db, const char *db_path, run *r, stmts *s)
{
	char err[512];
	if (vm_db_exec(db, "DELETE FROM resize_error WHERE news_num NOT IN (SELECT news_num FROM image)",
	               err, sizeof err) != 0)
		vm_die("%s: %s", db_path, err);
	load_items(db, r);
	s->put = vm_db_prepare(db, "INSERT OR REPLACE INTO resized (news_num, path, sha256, source_sha256, size,"
	                           " mode, format, quality, phash, created_at, colour) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
	s->unerr = vm_db_prepare(db, "DELETE FROM resize_error WHERE news_num = ?");
	s->puterr = vm_db_prepare(db, "INSERT OR REPLACE INTO resize_error (news_num, source_sha256, error, at)"
	                              " VALUES (?,?,?,?)");
	s->unrow = vm_db_prepare(db, "DELETE FROM resized WHERE news_num = ?");
}

static void finalize_stmts(stmts *s)
{
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->unerr);
	sqlite3_finalize(s->puterr);
	sqlite3_finalize(s->unrow);
}

/* What the main thread has seen of the items. */
typedef struct progress {
	size_t resized, unchanged, failed, handled;
	double t0;
	vm_progress line;     /* on the terminal */
} progress;

/* Up to max finished item indices from the workers' queue, waiting a
 * quarter of a second at most for the first. */
static size_t take_finished(run *r, size_t *take, size_t max)
{
	size_t k = 0;
	pthread_mutex_lock(&r->mu);
	if (r->ndone == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	}
	while (r->ndone > 0 && k < max)
		take[k++] = r->done[--r->ndone];
	pthread_mutex_unlock(&r->mu);
	return k;
}

static void count_item(progress *pg, const item *it)
{
	if (it->status == ST_DONE) {
		pg->resized++;
	} else if (it->status == ST_SKIP) {
		pg->unchanged++;
	} else {
		pg->failed++;
		vm_progress_clear(&pg->line);
		vm_warn("%s: %s", it->id, it->err);
	}
	pg->handled++;
}

static void draw_progress(progress *pg, int force)
{
	char detail[96];
	snprintf(detail, sizeof detail, "%zu resized, %zu unchanged, %zu failed", pg->resized, pg->unchanged,
	         pg->failed);
	vm_progress_update(&pg->line, pg->handled, detail, force);
}

/* Take the items as the workers finish them and record them in batches:
 * every `batch` items, or 5 seconds after the last commit. */
static void record_all(sqlite3 *db, run *r, stmts *s, int dirfd, int batch, progress *pg)
{
	size_t npending = 0, *pending = xcalloc(r->n + 1, sizeof *pending);
	double last_commit = pg->t0;
	while (pg->handled < r->n) {
		size_t take[256], k = take_finished(r, take, 256);
		for (size_t j = 0; j < k; j++) {
			pending[npending++] = take[j];
			count_item(pg, &r->items[take[j]]);
		}
		if (npending >= (size_t)batch || (npending && vm_now() - last_commit > 5)) {
			flush(db, r, s, dirfd, pending, npending);
			npending = 0;
			last_commit = vm_now();
		}
		draw_progress(pg, pg->handled == r->n);
	}
	if (npending)
		flush(db, r, s, dirfd, pending, npending);
	free(pending);
}

static void print_summary(const run *r, const progress *pg)
{
	double el = vm_now() - pg->t0;
	if (r->shard.count > 1)
		fprintf(stderr, "%s: shard %u/%u\n", vm_progname, (unsigned)r->shard.index, (unsigned)r->shard.count);
	fprintf(stderr, "%s: %zu images: %zu resized, %zu unchanged, %zu failed in %.1f s (%.1f images/s)\n",
	        vm_progname, r->n, pg->resized, pg->unchanged, pg->failed, el,
	        el > 0 ? (pg->resized + pg->failed) / el : 0.0);
}

/* The workers over the items, the main thread recording what they finish. */
static void resize_all(sqlite3 *db, run *r, stmts *s, int dirfd, const settings *op, progress *pg)
{
	int jobs = op->jobs;
	pthread_t *th;
	r->done = xcalloc(r->n + 1, sizeof *r->done);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	atomic_init(&r->next, 0);
	if ((size_t)jobs > r->n)
		jobs = r->n ? (int)r->n : 1;
	th = xcalloc(jobs, sizeof *th);
	pg->t0 = vm_now();
	vm_progress_start(&pg->line, "images", 0, r->n, op->quiet, NULL);
	for (int i = 0; i < jobs; i++)
		if (pthread_create(&th[i], NULL, worker, r) != 0)
			vm_die("cannot start a thread");
	record_all(db, r, s, dirfd, op->batch, pg);
	for (int i = 0; i < jobs; i++)
		pthread_join(th[i], NULL);
	vm_progress_end(&pg->line);
	free(th);
	free(r->done);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
}

int main(int argc, char **argv)
{
	run r;
	settings op = { 0 };
	locks lk;
	progress pg = { 0 };
	stmts s;
	sqlite3 *db;
	char err[512];
	int dirfd;

	vm_set_progname(argv[0]);
	memset(&r, 0, sizeof r);
	parse_options(&r, &op, argc, argv);
	start_vips(argv[0], &op.jobs);
	db = vm_db_open(op.db_path, 0, err, sizeof err);
	if (!db)
		vm_die("%s", err);
	choose_raw_dir(db, &r, &op);
	if (vm_mkdir_p(r.out_dir) != 0)
		vm_die_errno("%s", r.out_dir);
	lock_output(&r, &lk);
	remove_leftovers(r.out_dir, &r.shard);
	dirfd = open(r.out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	prepare_work(db, op.db_path, &r, &s);
	resize_all(db, &r, &s, dirfd, &op, &pg);
	if (!op.quiet)
		print_summary(&r, &pg);

	finalize_stmts(&s);
	vm_db_close(db);
	if (dirfd >= 0)
		close(dirfd);
	unlock_output(&lk);
	free_items(&r);
	free(op.raw_default);
	vm_cli_free(&cli);
	vips_shutdown();
	return pg.failed ? VM_EXIT_ITEMS : VM_EXIT_OK;
}
