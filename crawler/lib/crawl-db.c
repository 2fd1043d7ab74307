/* crawl-db.c: what a run reads from and writes to the provenance database,
 * from the single thread that drives it, the database's only writer:
 * registering news items, applying a reject file, the sets and titles a run
 * starts from, the stream of items not done (keyset paging in news-number
 * order), and the batched commit of results, requests and robots.txt files.
 * Crash safety: an item's raw file is renamed into place and, once per
 * batch, synced to disk before its row says done; at start the temporary
 * files and the raw files without an image row are removed. */
#include "config.h"
#include "crawl-ctx.h"
#include "vmind/lib/db.h"
#include "vmind/lib/mind.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- registering and rejecting ---- */

/* The rows of one news.tsv of this run's shard, inside the open transaction. */
static void register_file(crawl_ctx *C, const char *file)
{
	char err[512];
	vm_mind_reader *r = vm_mind_open(file, 0);
	vm_news row;
	int rc;
	if (!r) {
		vm_db_rollback(C->db);
		exit(VM_EXIT_USAGE);   /* vm_mind_open said why */
	}
	char *split = vm_split_from_path(file);
	while ((rc = vm_news_next(r, &row)) == VM_MIND_ROW) {
		if (!vm_shard_mine(&C->set.shard, row.id))
			continue;
		if (vm_db_add_news(C->db, &row, split, err, sizeof err) != 0) {
			vm_db_rollback(C->db);
			vm_die("%s: %s", file, err);
		}
	}
	if (rc == VM_MIND_ERROR) {
		vm_db_rollback(C->db);
		vm_die("%s", vm_mind_error(r));
	}
	free(split);
	vm_mind_close(r);
}

void crawl_register(crawl_ctx *C, char *const *files, int nfiles)
{
	vm_db_begin(C->db);
	for (int i = 0; i < nfiles; i++)
		register_file(C, files[i]);
	vm_db_commit(C->db);
}

/* The statements of a reject file. */
typedef struct rejecter {
	crawl_ctx *C;
	const char *file;
	long lineno;
	sqlite3_stmt *ins, *del, *pend, *bysha;
} rejecter;

/* Move item num's pick to the rejected table and make the item pending
 * again; 0 when it has no pick (a warning names FILE:LINE). */
static int reject_pick(rejecter *R, uint32_t num, const char *reason)
{
	sqlite3_bind_int64(R->ins, 1, num);
	vm_db_bind_text(R->ins, 2, reason);
	sqlite3_bind_double(R->ins, 3, vm_unix_now());
	vm_db_step_done(R->C->db, R->ins);
	if (sqlite3_changes(R->C->db) == 0) {
		vm_warn("%s:%ld: N%u has no pick to reject", R->file, R->lineno, (unsigned)num);
		return 0;
	}
	sqlite3_bind_int64(R->del, 1, num);
	vm_db_step_done(R->C->db, R->del);
	sqlite3_bind_int64(R->pend, 1, num);
	sqlite3_bind_double(R->pend, 2, vm_unix_now());
	vm_db_step_done(R->C->db, R->pend);
	return 1;
}

/* The items whose pick a key names: "N12345", or "sha256:HEX" (every item
 * with that image, which is rejected for good). At most max; -1 when key is
 * neither. */
static long picks_of(rejecter *R, const char *key, uint32_t *nums, size_t max)
{
	size_t n = 0;
	if (key[0] == 'N' && key[1] >= '1' && key[1] <= '9' && strspn(key + 1, "0123456789") == strlen(key + 1)) {
		nums[n++] = (uint32_t)strtoul(key + 1, NULL, 10);
		return (long)n;
	}
	if (strncmp(key, "sha256:", 7) != 0 || strlen(key + 7) != 64 ||
	    strspn(key + 7, "0123456789abcdefABCDEF") != 64)
		return -1;
	char hex[65];
	for (int i = 0; i < 64; i++)
		hex[i] = (char)(key[7 + i] | (key[7 + i] >= 'A' ? 32 : 0));
	hex[64] = '\0';
	vm_u64set_add(&R->C->rejected, crawl_sha_key(hex));
	vm_db_bind_text(R->bysha, 1, hex);
	while (sqlite3_step(R->bysha) == SQLITE_ROW && n < max)
		nums[n++] = (uint32_t)sqlite3_column_int64(R->bysha, 0);
	sqlite3_reset(R->bysha);
	return (long)n;
}

/* Split a reject line into its key and reason (NULL when none); 0 for a
 * blank or '#' line. */
static int reject_line_fields(char *line, char **key, char **reason)
{
	char *p = line;
	line[strcspn(line, "\r\n")] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return 0;
	*key = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	*reason = *p ? p : NULL;
	return 1;
}

/* Each line "N12345 [reason]" (that item's current pick) or "sha256:HEX
 * [reason]" (that image, for every item); '#' comments and blank lines are
 * skipped. A rejected pick moves to the rejected table, its image row goes
 * and its item is pending again. */
long crawl_apply_rejects(crawl_ctx *C, const char *file)
{
	rejecter R = { .C = C, .file = file };
	FILE *f = fopen(file, "r");
	char line[1024];
	long n = 0;
	if (!f)
		vm_die_errno("%s", file);
	R.ins = vm_db_prepare(C->db, "INSERT INTO rejected (news_num, tier, page_url, image_url, sha256, "
	                      "similarity, reason, rejected_at) SELECT news_num, tier, page_url, image_url, "
	                      "sha256, similarity, ?2, ?3 FROM image WHERE news_num = ?1");
	R.del = vm_db_prepare(C->db, "DELETE FROM image WHERE news_num = ?1");
	R.pend = vm_db_prepare(C->db, "UPDATE news SET state = 'pending', outcome = NULL, updated_at = ?2 "
	                       "WHERE num = ?1");
	R.bysha = vm_db_prepare(C->db, "SELECT news_num FROM image WHERE sha256 = ?1 ORDER BY news_num");
	vm_db_begin(C->db);
	while (fgets(line, sizeof line, f)) {
		char *key, *reason;
		uint32_t nums[4096];
		R.lineno++;
		if (!reject_line_fields(line, &key, &reason))
			continue;
		long nn = picks_of(&R, key, nums, sizeof nums / sizeof nums[0]);
		if (nn < 0) {
			vm_db_rollback(C->db);
			vm_die("%s:%ld: '%s' is neither N<number> nor sha256:<64 hex digits>", file, R.lineno, key);
		}
		for (long i = 0; i < nn; i++)
			n += reject_pick(&R, nums[i], reason);
	}
	if (ferror(f)) {
		vm_db_rollback(C->db);
		vm_die_errno("%s", file);
	}
	vm_db_commit(C->db);
	fclose(f);
	sqlite3_finalize(R.ins);
	sqlite3_finalize(R.del);
	sqlite3_finalize(R.pend);
	sqlite3_finalize(R.bysha);
	return n;
}

/* ---- what a run starts from ---- */

/* The first column of every row of sql, as sha256 keys, into set. */
static void load_sha_keys(crawl_ctx *C, const char *sql, vm_u64set *set)
{
	sqlite3_stmt *s = vm_db_prepare(C->db, sql);
	while (sqlite3_step(s) == SQLITE_ROW)
		vm_u64set_add(set, crawl_sha_key(vm_db_column_text(s, 0)));
	sqlite3_finalize(s);
}

void crawl_ctx_titles(crawl_ctx *C, void (*each)(const char *title, void *arg), void *arg)
{
	sqlite3_stmt *s = vm_db_prepare(C->db, "SELECT title FROM news");
	while (sqlite3_step(s) == SQLITE_ROW)
		each(vm_db_column_text(s, 0), arg);
	sqlite3_finalize(s);
}

void crawl_db_load_sets(crawl_ctx *C)
{
	/* every image ever rejected stays rejected (except the placeholder) */
	load_sha_keys(C, "SELECT DISTINCT sha256 FROM rejected WHERE sha256 IS NOT NULL "
	              "AND tier != 'placeholder'", &C->rejected);
	/* the images already chosen (a search result may not take them) */
	load_sha_keys(C, "SELECT sha256 FROM image WHERE sha256 IS NOT NULL AND tier != 'placeholder'",
	              &C->used);
}

/* Is DIR/raw/name stale: a temporary, or an item's raw file that no image
 * row names? */
static int stale_raw(sqlite3_stmt *named, const char *name)
{
	char *end;
	unsigned long num;
	int stale;
	if (strstr(name, ".tmp."))
		return 1;
	if (name[0] != 'N')
		return 0;
	num = strtoul(name + 1, &end, 10);
	if (end == name + 1 || *end != '.')
		return 0;
	char *rel = xasprintf("raw/%s", name);
	sqlite3_bind_int64(named, 1, (sqlite3_int64)num);
	vm_db_bind_text(named, 2, rel);
	stale = sqlite3_step(named) != SQLITE_ROW;
	sqlite3_reset(named);
	free(rel);
	return stale;
}

void crawl_db_clean_raw(crawl_ctx *C)
{
	char *rawdir = xasprintf("%s/raw", C->set.o.out_dir);
	DIR *d = opendir(rawdir);
	struct dirent *e;
	sqlite3_stmt *named;
	if (!d)
		vm_die_errno("%s", rawdir);
	named = vm_db_prepare(C->db, "SELECT 1 FROM image WHERE news_num = ?1 AND raw_path = ?2");
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !stale_raw(named, e->d_name))
			continue;
		char *path = xasprintf("%s/%s", rawdir, e->d_name);
		if (unlink(path) != 0 && errno != ENOENT)
			vm_warn_errno("%s", path);
		free(path);
	}
	sqlite3_finalize(named);
	closedir(d);
	free(rawdir);
}

void crawl_db_prepare(crawl_ctx *C)
{
	/* keyset paging in num order; both forms are plain range searches (an
	 * OR of states would sort all remaining items for every batch) */
	if (C->set.retry_failed)
		C->st_select = vm_db_prepare(C->db, "SELECT num, id, url, title, category FROM news NOT INDEXED "
		                             "WHERE num > ?1 AND state IN ('pending', 'failed') ORDER BY num LIMIT ?2");
	else
		C->st_select = vm_db_prepare(C->db, "SELECT num, id, url, title, category FROM news "
		                             "WHERE state = 'pending' AND num > ?1 ORDER BY num LIMIT ?2");
	C->st_news = vm_db_prepare(C->db, "UPDATE news SET state = ?1, outcome = ?2, last_error = ?3, "
	                           "attempts = attempts + 1, updated_at = ?4 WHERE num = ?5");
	C->st_image = vm_db_prepare(C->db, "INSERT OR REPLACE INTO image (news_num, tier, page_url, image_url, "
	                            "final_url, http_status, mime, bytes, sha256, width, height, raw_path, "
	                            "fetched_at, capture_timestamp, capture_url, image_capture_timestamp, "
	                            "search_backend, search_query, search_rank, matched_title, similarity, "
	                            "runner_up_similarity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	                            "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)");
	C->st_req = vm_db_prepare(C->db, "INSERT INTO request (news_num, time, tier, purpose, url, status, "
	                          "error, bytes, ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	C->st_robots = vm_db_prepare(C->db, "INSERT OR REPLACE INTO robots (host, status, body, fetched_at) "
	                             "VALUES (?1, ?2, ?3, ?4)");
	C->st.total = (uint64_t)vm_db_query_int(C->db, C->set.retry_failed
		? "SELECT count(*) FROM news WHERE state IN ('pending', 'failed')"
		: "SELECT count(*) FROM news WHERE state = 'pending'");
}

void crawl_db_load_robots(crawl_ctx *C)
{
	sqlite3_stmt *s = vm_db_prepare(C->db, "SELECT host, status, body FROM robots");
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *h = vm_db_column_text(s, 0);
		const char *b = vm_db_column_text(s, 2);
		crawl_fetch_set_robots(C->fetch, h, (long)sqlite3_column_int64(s, 1), b,
		                       b ? (size_t)sqlite3_column_bytes(s, 2) : 0);
	}
	sqlite3_finalize(s);
}

long long crawl_failed_items(crawl_ctx *C)
{
	return vm_db_query_int(C->db, "SELECT count(*) FROM news WHERE state = 'failed'");
}

/* ---- the items to work ---- */

/* A text column copied, "" for NULL. */
static char *column_or_empty(sqlite3_stmt *s, int i)
{
	const char *t = vm_db_column_text(s, i);
	return xstrdup(t ? t : "");
}

crawl_item *crawl_db_next_items(crawl_ctx *C, size_t want)
{
	sqlite3_stmt *s = C->st_select;
	crawl_item *list = NULL, **tail = &list;
	size_t got = 0;
	int rc;
	sqlite3_bind_int64(s, 1, C->cursor);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)want);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		crawl_item *it = xcalloc(1, sizeof *it);
		it->num = (uint32_t)sqlite3_column_int64(s, 0);
		snprintf(it->id, sizeof it->id, "%s", vm_db_column_text(s, 1));
		it->url = column_or_empty(s, 2);
		it->title = column_or_empty(s, 3);
		it->category = column_or_empty(s, 4);
		C->cursor = it->num;
		got++;
		if (!vm_shard_mine(&C->set.shard, it->id)) {   /* registered by another run */
			crawl_item_free(it);
			continue;
		}
		*tail = it;
		tail = &it->next;
	}
	if (rc != SQLITE_DONE)
		vm_die("database: %s", sqlite3_errmsg(C->db));
	sqlite3_reset(s);
	if (got < want)
		C->exhausted = 1;
	return list;
}

/* ---- recording ---- */

void crawl_db_on_request(const crawl_fetch_record *rec, void *arg)
{
	crawl_ctx *C = arg;
	if (C->nreqs == C->capreqs) {
		C->capreqs = C->capreqs ? 2 * C->capreqs : 1024;
		C->reqs = xrealloc(C->reqs, C->capreqs * sizeof *C->reqs);
	}
	crawl_reqrow *q = &C->reqs[C->nreqs++];
	q->news_num = rec->news_num;
	q->time = rec->time;
	q->ms = rec->ms;
	q->tier = rec->tier;
	q->purpose = rec->purpose;
	q->url = xstrdup(rec->url);
	q->error = rec->error ? xstrdup(rec->error) : NULL;
	q->status = rec->status;
	q->bytes = rec->bytes;
}

void crawl_db_on_robots(const char *host, long status, const char *body, size_t len, void *arg)
{
	crawl_ctx *C = arg;
	if (C->nrobots == C->caprobots) {
		C->caprobots = C->caprobots ? 2 * C->caprobots : 16;
		C->robots = xrealloc(C->robots, C->caprobots * sizeof *C->robots);
	}
	crawl_robotsrow *b = &C->robots[C->nrobots++];
	b->host = xstrdup(host);
	b->status = status;
	b->body = body ? xstrndup(body, len) : NULL;
	b->at = vm_unix_now();
}

static void insert_image(crawl_ctx *C, const crawl_item *it)
{
	const crawl_item_image *im = &it->img;
	sqlite3_stmt *s = C->st_image;
	sqlite3_bind_int64(s, 1, it->num);
	vm_db_bind_text(s, 2, im->tier);
	vm_db_bind_text(s, 3, im->page_url);
	vm_db_bind_text(s, 4, im->image_url);
	vm_db_bind_text(s, 5, im->final_url);
	sqlite3_bind_int64(s, 6, im->http_status);
	vm_db_bind_text(s, 7, im->mime);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)im->bytes);
	vm_db_bind_text(s, 9, im->sha256);
	sqlite3_bind_int(s, 10, im->width);
	sqlite3_bind_int(s, 11, im->height);
	vm_db_bind_text(s, 12, im->raw_path);
	sqlite3_bind_double(s, 13, im->fetched_at);
	vm_db_bind_text(s, 14, im->capture_timestamp);
	vm_db_bind_text(s, 15, im->capture_url);
	vm_db_bind_text(s, 16, im->image_capture_timestamp);
	vm_db_bind_text(s, 17, im->search_backend);
	vm_db_bind_text(s, 18, im->search_query);
	if (im->search_rank > 0)
		sqlite3_bind_int(s, 19, im->search_rank);
	vm_db_bind_text(s, 20, im->matched_title);
	if (im->similarity >= 0)
		sqlite3_bind_double(s, 21, im->similarity);
	if (im->runner_up >= 0)
		sqlite3_bind_double(s, 22, im->runner_up);
	vm_db_step_done(C->db, s);
}

/* The item's news row: done (image or no-image) or failed (its class). */
static void update_news(crawl_ctx *C, const crawl_item *it, double now)
{
	const char *state = "done", *outcome = "no-image";
	sqlite3_stmt *s = C->st_news;
	if (it->has_image)
		outcome = "image";
	else if (it->had_error) {
		state = "failed";
		outcome = it->error_class[0] ? it->error_class : "error";
	}
	vm_db_bind_text(s, 1, state);
	vm_db_bind_text(s, 2, outcome);
	vm_db_bind_text(s, 3, it->last_error[0] ? it->last_error : NULL);
	sqlite3_bind_double(s, 4, now);
	sqlite3_bind_int64(s, 5, it->num);
	vm_db_step_done(C->db, s);
}

static void insert_request(crawl_ctx *C, const crawl_reqrow *q)
{
	sqlite3_stmt *s = C->st_req;
	if (q->news_num)
		sqlite3_bind_int64(s, 1, q->news_num);
	else
		sqlite3_bind_null(s, 1);
	sqlite3_bind_double(s, 2, q->time);
	vm_db_bind_text(s, 3, q->tier);
	vm_db_bind_text(s, 4, q->purpose);
	vm_db_bind_text(s, 5, q->url);
	sqlite3_bind_int64(s, 6, q->status);
	vm_db_bind_text(s, 7, q->error);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)q->bytes);
	sqlite3_bind_double(s, 9, q->ms);
	vm_db_step_done(C->db, s);
}

static void insert_robots(crawl_ctx *C, const crawl_robotsrow *b)
{
	sqlite3_stmt *s = C->st_robots;
	vm_db_bind_text(s, 1, b->host);
	sqlite3_bind_int64(s, 2, b->status);
	vm_db_bind_text(s, 3, b->body);
	sqlite3_bind_double(s, 4, b->at);
	vm_db_step_done(C->db, s);
}

/* Free what was committed. */
static void clear_buffers(crawl_ctx *C)
{
	for (crawl_item *it = C->results, *nx; it; it = nx) {
		nx = it->next;
		crawl_item_free(it);
	}
	C->results = C->results_tail = NULL;
	C->nresults = 0;
	for (size_t i = 0; i < C->nreqs; i++) {
		free(C->reqs[i].url);
		free(C->reqs[i].error);
	}
	C->nreqs = 0;
	for (size_t i = 0; i < C->nrobots; i++) {
		free(C->robots[i].host);
		free(C->robots[i].body);
	}
	C->nrobots = 0;
}

void crawl_db_commit(crawl_ctx *C)
{
	double now = vm_unix_now();
	if (!C->nresults && !C->nreqs && !C->nrobots)
		return;
	if (C->unsynced) {
		/* the files of this batch reach the disk before their rows */
		if (syncfs(C->out_fd) != 0)
			vm_die_errno("%s: syncfs", C->set.o.out_dir);
		C->unsynced = 0;
	}
	vm_db_begin(C->db);
	for (crawl_item *it = C->results; it; it = it->next) {
		if (it->has_image)
			insert_image(C, it);
		update_news(C, it, now);
	}
	for (size_t i = 0; i < C->nreqs; i++)
		insert_request(C, &C->reqs[i]);
	for (size_t i = 0; i < C->nrobots; i++)
		insert_robots(C, &C->robots[i]);
	vm_db_commit(C->db);
	clear_buffers(C);
	C->last_commit = vm_now();
}

void crawl_db_finalize(crawl_ctx *C)
{
	sqlite3_finalize(C->st_select);
	sqlite3_finalize(C->st_news);
	sqlite3_finalize(C->st_image);
	sqlite3_finalize(C->st_req);
	sqlite3_finalize(C->st_robots);
	C->st_select = C->st_news = C->st_image = C->st_req = C->st_robots = NULL;
}
