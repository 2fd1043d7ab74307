/* vmind-report.c: vmind-report, the static HTML curation report of a provenance
 * database. It reads the database read-only and writes OUT/index.html (Table
 * 1, per-tier counts, coverage charts per tier and per category as inline
 * SVG, links to each tier's gallery pages, rejected picks apart,
 * duplicate-image groups, failures grouped by reason, training curves from
 * the trainer's CSV log, and the paper's quality figures from a folder of
 * trained models), OUT/tier-TIER-K.html (each gallery, paginated, search
 * picks first and least similar first, no gallery of placeholders; a
 * curator ticks wrong picks there and downloads the --reject file),
 * OUT/report.css, OUT/report.js (that download, the only script) and
 * OUT/thumbs/ (the resized files shown, hard-linked from --images or copied
 * when a link is impossible), so the folder can be copied or served as it
 * is. No resource from the network. All text from the database goes
 * through HTML escaping (titles are hostile input), and only http(s) URLs
 * become links. Every page is written under a temporary name and renamed. */
#include "config.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/db.h"
#include "vmind/lib/dupes.h"
#include "vmind/lib/mind.h"
#include "report-html.h"
#include "report-quality.h"
#include "vmind/lib/util.h"

#include <cjson/cJSON.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	OPT_DB = 256, OPT_IMAGES, OPT_OUT, OPT_TRAIN_LOG, OPT_TITLE, OPT_BEHAVIORS,
	OPT_PER_PAGE, OPT_MAX_ITEMS, OPT_MAX_DISTANCE, OPT_RUNS, OPT_ORACLE
};

static const vm_option options[] = {
	{ "db", OPT_DB, required_argument, "FILE", "provenance database (read-only)" },
	{ "images", OPT_IMAGES, required_argument, "DIR", "vmind-resize's --out directory (resized.path is relative to it)" },
	{ "out", OPT_OUT, required_argument, "DIR", "report directory (index.html, tier pages, report.css, thumbs/)" },
	{ "train-log", OPT_TRAIN_LOG, required_argument, "FILE", "vlsnr-train's CSV log: plot its numeric columns" },
	{ "runs", OPT_RUNS, required_argument, "DIR", "trained models with their dev metrics: Table 3, Fig. 5, Fig. 6" },
	{ "oracle", OPT_ORACLE, required_argument, "FILE", "vmind-synth --oracle --format json: the oracle's scores on the training charts" },
	{ "title", OPT_TITLE, required_argument, "TEXT", "report title (default \"vmind report\")" },
	{ "behaviors", OPT_BEHAVIORS, required_argument, "FILE", "a MIND behaviors.tsv (repeat): count users for Table 1" },
	{ "per-page", OPT_PER_PAGE, required_argument, "N", "gallery items per page (default 60)" },
	{ "max-items", OPT_MAX_ITEMS, required_argument, "N", "gallery items per tier at most, 0 = all (default 5000)" },
	{ "max-distance", OPT_MAX_DISTANCE, required_argument, "N", "pHash bits that may differ in a duplicate group (default 4)" },
	{ NULL, 0, 0, NULL, NULL }
};

/* Galleries in this order: search picks first (the ones to check). */
#define NTIERS 4
static const char *const gallery_tiers[NTIERS] = { "search", "archive", "origin", "placeholder" };

/* Coverage classes of a news item: its image's tier, or its state. */
#define NCLASS 7
static const char *const class_names[NCLASS] = {
	"origin", "archive", "search", "placeholder", "no image", "failed", "pending"
};
static const char *const class_colours[NCLASS] = {
	"#2f9e44", "#1971c2", "#e8590c", "#adb5bd", "#ffd43b", "#c92a2a", "#868e96"
};

/* The dev metrics the training charts can show beside the log's. */
static const char *const dev_metrics[4] = { "auc", "mrr", "ndcg5", "ndcg10" };

#define MAX_CATS 40      /* categories drawn; the rest are summed as "(other)" */
#define MAX_GROUPS 30    /* duplicate groups shown */
#define MAX_MEMBERS 12   /* members shown per duplicate group */
#define MAX_REASONS 30   /* failure reasons shown per table */
#define MAX_WARN 20      /* missing thumbnails named on stderr; the rest counted */

typedef struct report {
	sqlite3 *db;
	const char *db_path, *images, *out, *train_log, *title, *runs_dir;
	report_runs runs;                /* --runs */
	report_trainlog log;             /* --train-log, read before anything is written */
	const char *oracle_path;         /* --oracle */
	double oracle[4];                /* its auc, mrr, ndcg5, ndcg10 (NAN when absent) */
	char **behaviors;
	size_t nbehaviors;
	long long per_page, max_items;
	int max_distance;
	char *thumbs_dir;
	vm_u64set thumb_ok, thumb_bad;   /* news numbers already linked / missing */
	long long missing;               /* thumbnails that could not be provided */
	long long written_pages[NTIERS];
	/* counts */
	long long news, users, cls[NCLASS];
	int have_users;
	double generated;
} report;

static int class_index(const char *name)
{
	for (int k = 0; k < NCLASS; k++)
		if (name && strcmp(name, class_names[k]) == 0)
			return k;
	return -1;
}

/* ---- thumbnails ---- */

/* A lower-case alphanumeric extension of path (at most 5 characters), or
 * "img". */
static void path_ext(const char *path, char ext[8])
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	size_t n = 0;
	if (dot && (!slash || dot > slash)) {
		for (const char *p = dot + 1; *p && n < 5; p++) {
			char c = *p;
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
				n = 0;
				break;
			}
			ext[n++] = c;
		}
		if (dot[1 + n] != '\0')
			n = 0;
	}
	if (n == 0)
		strcpy(ext, "img");
	else
		ext[n] = '\0';
}

/* A relative path that stays inside its directory: not absolute, no ".."
 * component, not empty. */
static int safe_relpath(const char *p)
{
	if (!p || !*p || *p == '/')
		return 0;
	for (const char *s = p; *s; ) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 0;
		s += n;
		while (*s == '/')
			s++;
	}
	return 1;
}

/* Copy src to tmp, with src's modification time. 0 or -1 (errno). */
static int copy_file(const char *src, const char *tmp, const struct stat *ss)
{
	char buf[65536];
	int in = open(src, O_RDONLY), outfd = -1, e = 0;
	ssize_t n;
	if (in < 0)
		return -1;
	outfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (outfd < 0)
		goto fail;
	while ((n = read(in, buf, sizeof buf)) != 0) {
		char *p = buf;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		while (n > 0) {
			ssize_t w = write(outfd, p, (size_t)n);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				goto fail;
			}
			p += w;
			n -= w;
		}
	}
	{
		struct timespec ts[2] = { ss->st_atim, ss->st_mtim };
		futimens(outfd, ts);
	}
	if (close(outfd) != 0) {
		outfd = -1;
		goto fail;
	}
	close(in);
	return 0;
fail:
	e = errno;
	if (outfd >= 0)
		close(outfd);
	close(in);
	unlink(tmp);
	errno = e;
	return -1;
}

/* Put the resized file of item num into OUT/thumbs/ID.EXT: a hard link when
 * the file systems allow, else a copy; left alone when already there (same
 * inode, or same size and time). Returns the href relative to OUT in buf, or
 * NULL (counted and warned once) when the file is missing. */
static const char *thumb(report *r, long long num, const char *id, const char *relpath,
                         char *buf, size_t len)
{
	char ext[8];
	char *src = NULL, *dst = NULL, *tmp = NULL;
	struct stat ss, ds;
	const char *ret = NULL;

	if (!relpath)
		return NULL;                   /* not resized: nothing to show */
	path_ext(relpath, ext);
	snprintf(buf, len, "thumbs/%s.%s", id, ext);
	if (vm_u64set_has(&r->thumb_ok, (uint64_t)num))
		return buf;
	if (vm_u64set_has(&r->thumb_bad, (uint64_t)num))
		return NULL;
	if (!safe_relpath(relpath)) {
		if (r->missing < MAX_WARN)
			vm_warn("%s: resized path '%s' leaves the images directory; not shown", id, relpath);
		goto bad;
	}
	src = xasprintf("%s/%s", r->images, relpath);
	dst = xasprintf("%s/%s.%s", r->thumbs_dir, id, ext);
	if (stat(src, &ss) != 0) {
		if (r->missing < MAX_WARN)
			vm_warn("%s: %s: %s", id, src, strerror(errno));
		goto bad;
	}
	if (stat(dst, &ds) == 0 &&
	    ((ds.st_dev == ss.st_dev && ds.st_ino == ss.st_ino) ||
	     (ds.st_size == ss.st_size && ds.st_mtim.tv_sec == ss.st_mtim.tv_sec &&
	      ds.st_mtim.tv_nsec == ss.st_mtim.tv_nsec)))
		goto good;
	tmp = xasprintf("%s.tmp.%ld", dst, (long)getpid());
	unlink(tmp);
	if (link(src, tmp) != 0 && copy_file(src, tmp, &ss) != 0) {
		if (r->missing < MAX_WARN)
			vm_warn("%s: copying %s to %s: %s", id, src, dst, strerror(errno));
		goto bad;
	}
	if (rename(tmp, dst) != 0) {
		if (r->missing < MAX_WARN)
			vm_warn("%s: %s: %s", id, dst, strerror(errno));
		unlink(tmp);
		goto bad;
	}
good:
	vm_u64set_add(&r->thumb_ok, (uint64_t)num);
	ret = buf;
	goto out;
bad:
	vm_u64set_add(&r->thumb_bad, (uint64_t)num);
	r->missing++;
out:
	free(src);
	free(dst);
	free(tmp);
	return ret;
}

/* ---- page frame ---- */

static const char css[] =
	"/* vmind-report: no external resources */\n"
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#212529;}\n"
	"h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #dee2e6;padding-bottom:.2em;margin-top:1.6em}\n"
	"table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #dee2e6;padding:.25em .6em;text-align:left;vertical-align:top}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tr.paper td{color:#868e96}\n"
	".meta{color:#868e96;font-size:.9em}\n"
	"nav.toc a{margin-right:1em}\n"
	".gallery{display:flex;flex-wrap:wrap;gap:10px}\n"
	".item{width:150px;margin:0;font-size:.78em;line-height:1.25;overflow-wrap:anywhere}\n"
	".item img{width:150px;height:150px;object-fit:cover;display:block;background:#f1f3f5;border:1px solid #dee2e6}\n"
	".item .noimg{width:150px;height:150px;display:flex;align-items:center;justify-content:center;background:#f1f3f5;color:#868e96;border:1px dashed #adb5bd}\n"
	".item .title{font-weight:600}\n"
	".sim{font-weight:600;padding:0 .3em;border-radius:3px}\n"
	".sim-ok{background:#d3f9d8;color:#2b8a3e}.sim-check{background:#fff3bf;color:#a15c00}"
	".sim-risk{background:#ffe3e3;color:#c92a2a}\n"
	".pages a,.pages b{margin-right:.5em}\n"
	".item a.rej{color:#c92a2a}\n"
	"svg.chart{font-size:12px;display:block;margin:.5em 0}svg.chart text{fill:#212529}\n"
	".group{margin:.8em 0;padding:.4em;border:1px solid #dee2e6}\n"
	"td img{width:64px;height:64px;object-fit:cover}\n"
	"code{font-size:.9em;overflow-wrap:anywhere}\n"
	".rejectbar{position:sticky;top:0;background:#fff8e1;padding:.4em;border:1px solid #ffd43b}\n"
	"label.pick{font-size:.85em;color:#c92a2a}\n";

/* report.js, the one script of the report (no inline script: the pages'
 * CSP allows only this file): a curator ticks wrong picks in a gallery page
 * and downloads them as a file for vmind-crawl --reject, one news id a line
 * with the reason, made in the page (a data: URL; no network). */
static const char js[] =
	"/* report.js: written by vmind-report; see vmind-report(1), Rejecting picks. */\n"
	"'use strict';\n"
	"function vmindRejectUpdate() {\n"
	"  var boxes = document.querySelectorAll('input.reject:checked');\n"
	"  var lines = [];\n"
	"  for (var i = 0; i < boxes.length; i++)\n"
	"    lines.push(boxes[i].value + '\\tticked in the vmind report');\n"
	"  var a = document.getElementById('reject-download');\n"
	"  var n = document.getElementById('reject-count');\n"
	"  if (n) n.textContent = String(lines.length);\n"
	"  if (a) a.href = 'data:text/plain;charset=utf-8,' +\n"
	"    encodeURIComponent(lines.length ? lines.join('\\n') + '\\n' : '');\n"
	"}\n"
	"document.addEventListener('change', function (e) {\n"
	"  if (e.target && e.target.classList && e.target.classList.contains('reject')) vmindRejectUpdate();\n"
	"});\n"
	"document.addEventListener('DOMContentLoaded', vmindRejectUpdate);\n";

static void page_head(report *r, FILE *f, const char *subtitle)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file:; style-src 'self' file:; script-src 'self' file:\">\n"
	      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>", f);
	report_esc(f, r->title);
	if (subtitle) {
		fputs(" \xe2\x80\x93 ", f);
		report_esc(f, subtitle);
	}
	fputs("</title>\n<link rel=\"stylesheet\" href=\"report.css\">\n"
	      "<script src=\"report.js\" defer></script>\n</head>\n<body>\n<h1>", f);
	report_esc(f, r->title);
	if (subtitle) {
		fputs(": ", f);
		report_esc(f, subtitle);
	}
	fputs("</h1>\n", f);
}

static void page_foot(FILE *f)
{
	fputs("</body>\n</html>\n", f);
}

static void fmt_utc(double t, char *buf, size_t len, int with_time)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!(t > 0) || !gmtime_r(&tt, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	strftime(buf, len, with_time ? "%Y-%m-%d %H:%M UTC" : "%Y-%m-%d", &tm);
}

/* ---- counts ---- */

static void count_users(report *r)
{
	vm_u64set users;
	vm_u64set_init(&users);
	for (size_t i = 0; i < r->nbehaviors; i++) {
		vm_mind_reader *mr = vm_mind_open(r->behaviors[i], 0);
		vm_behavior b;
		int rc;
		if (!mr)
			exit(VM_EXIT_USAGE);
		while ((rc = vm_behavior_next(mr, &b)) == VM_MIND_ROW)
			vm_u64set_add(&users, (uint64_t)b.user_num + 1);
		if (rc == VM_MIND_ERROR)
			vm_die("%s", vm_mind_error(mr));
		vm_mind_close(mr);
	}
	r->users = (long long)users.count;
	r->have_users = r->nbehaviors > 0;
	vm_u64set_free(&users);
}

/* The coverage class of every item, per category. */
static const char class_sql[] =
	"SELECT n.category, CASE WHEN i.tier IS NOT NULL THEN i.tier"
	" WHEN n.state = 'done' THEN 'no image' ELSE n.state END AS k, count(*)"
	" FROM news n LEFT JOIN image i ON i.news_num = n.num GROUP BY n.category, k";

typedef struct catrow {
	char *name;
	double v[NCLASS];
	double total;
} catrow;

static int cmp_cat(const void *a, const void *b)
{
	const catrow *x = a, *y = b;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The coverage class counts into r->cls, and the same per category, in the
 * query's order (by category). */
static catrow *count_classes(report *r, size_t *ncats)
{
	sqlite3_stmt *st = vm_db_prepare(r->db, class_sql);
	catrow *cats = NULL;
	*ncats = 0;
	while (vm_db_step_row(r->db, st)) {
		const char *cat = vm_db_column_text(st, 0);
		int k = class_index(vm_db_column_text(st, 1));
		long long n = sqlite3_column_int64(st, 2);
		if (k < 0)
			continue;
		r->cls[k] += n;
		if (*ncats == 0 || strcmp(cats[*ncats - 1].name, cat ? cat : "") != 0) {
			cats = xrealloc(cats, (*ncats + 1) * sizeof *cats);
			memset(&cats[*ncats], 0, sizeof *cats);
			cats[(*ncats)++].name = xstrdup(cat ? cat : "");
		}
		cats[*ncats - 1].v[k] += (double)n;
		cats[*ncats - 1].total += (double)n;
	}
	sqlite3_finalize(st);
	return cats;
}

static void table1(const report *r, FILE *f)
{
	char a[32], b[32], c[32];
	long long images = r->cls[0] + r->cls[1] + r->cls[2], origin = r->cls[0] + r->cls[1];
	fputs("<h2 id=\"table1\">Table 1</h2>\n"
	      "<p>As in the paper: images are the items with an image of tier origin, archive or search "
	      "(placeholders apart); the origin rate is the share of news whose image is the article's own "
	      "cover, live (origin) or archived (archive). News are the rows of the database's news table.</p>\n"
	      "<table id=\"t1\">\n<tr><th>Dataset</th><th class=\"num\">News</th>", f);
	if (r->have_users)
		fputs("<th class=\"num\">Users</th>", f);
	fputs("<th class=\"num\">Image</th><th class=\"num\">Image rate</th><th class=\"num\">Origin rate</th></tr>\n", f);
	fprintf(f, "<tr class=\"measured\"><td>V-MIND (this database)</td><td class=\"num\" data-k=\"news\">%s</td>",
	        report_count(a, sizeof a, r->news));
	if (r->have_users)
		fprintf(f, "<td class=\"num\" data-k=\"users\">%s</td>", report_count(b, sizeof b, r->users));
	fprintf(f, "<td class=\"num\" data-k=\"images\">%s</td><td class=\"num\" data-k=\"image_rate\">%.2f%%</td>"
	        "<td class=\"num\" data-k=\"origin_rate\">%.2f%%</td></tr>\n",
	        report_count(c, sizeof c, images), r->news ? 100.0 * (double)images / (double)r->news : 0.0,
	        r->news ? 100.0 * (double)origin / (double)r->news : 0.0);
	fprintf(f, "<tr class=\"paper\"><td>V-MIND (paper, MIND-large)</td><td class=\"num\">130,379</td>%s"
	        "<td class=\"num\">130,379</td><td class=\"num\">100.00%%</td><td class=\"num\">98.92%%</td></tr>\n</table>\n",
	        r->have_users ? "<td class=\"num\">876,956</td>" : "");
}

static void coverage_table(const report *r, FILE *f)
{
	char a[32];
	report_bar bars[NCLASS];
	fputs("<h2 id=\"coverage\">Coverage</h2>\n<table id=\"tiers\">\n<tr><th>Class</th><th class=\"num\">Items</th><th class=\"num\">Share</th></tr>\n", f);
	for (int k = 0; k < NCLASS; k++)
		fprintf(f, "<tr><td>%s</td><td class=\"num\" data-k=\"%s\">%s</td><td class=\"num\">%.2f%%</td></tr>\n",
		        class_names[k], class_names[k], report_count(a, sizeof a, r->cls[k]),
		        r->news ? 100.0 * (double)r->cls[k] / (double)r->news : 0.0);
	fputs("</table>\n", f);
	for (int k = 0; k < NCLASS; k++) {
		bars[k].label = class_names[k];
		bars[k].value = (double)r->cls[k];
		bars[k].colour = class_colours[k];
	}
	report_svg_bars(f, "News items per tier or state", bars, NCLASS, (double)r->news);
}

/* A stacked bar per category, largest first; past MAX_CATS the rest are
 * summed as "(other)". */
static void coverage_per_category(FILE *f, catrow *cats, size_t ncats)
{
	size_t nrows;
	const char **labels;
	double *vals;
	fputs("<h3>Per category</h3>\n", f);
	if (ncats == 0) {
		fputs("<p>No news items.</p>\n", f);
		return;
	}
	qsort(cats, ncats, sizeof *cats, cmp_cat);
	nrows = ncats > MAX_CATS ? MAX_CATS + 1 : ncats;
	labels = xcalloc(nrows, sizeof *labels);
	vals = xcalloc(nrows * NCLASS, sizeof *vals);
	for (size_t i = 0; i < ncats; i++) {
		size_t row = i < MAX_CATS ? i : MAX_CATS;
		labels[row] = i < MAX_CATS ? cats[i].name : "(other)";
		for (int k = 0; k < NCLASS; k++)
			vals[row * NCLASS + k] += cats[i].v[k];
	}
	report_svg_stacked(f, "Coverage per category", labels, nrows, class_names, class_colours, NCLASS, vals);
	free(labels);
	free(vals);
}

static void section_counts(report *r, FILE *f)
{
	size_t ncats;
	catrow *cats = count_classes(r, &ncats);
	table1(r, f);
	coverage_table(r, f);
	coverage_per_category(f, cats, ncats);
	for (size_t i = 0; i < ncats; i++)
		free(cats[i].name);
	free(cats);
}

/* ---- galleries ---- */

static const char gallery_sql[] =
	"SELECT n.num, n.id, n.title, n.url, i.page_url, i.similarity, i.runner_up_similarity,"
	" i.matched_title, i.search_rank, i.capture_timestamp, i.fetched_at, rs.path, i.width, i.height,"
	" (SELECT count(*) FROM rejected rj WHERE rj.news_num = n.num)"
	" FROM image i JOIN news n ON n.num = i.news_num LEFT JOIN resized rs ON rs.news_num = i.news_num"
	" WHERE i.tier = ?1"
	" ORDER BY CASE WHEN ?1 = 'search' THEN coalesce(i.similarity, 2) ELSE 0 END, n.num"
	" LIMIT ?2";

static void link_host(FILE *f, const char *url, const char *fallback)
{
	char *host = report_host(url);
	if (report_safe_url(url)) {
		fputs("<a rel=\"noopener noreferrer\" href=\"", f);
		report_esc(f, url);
		fputs("\">", f);
		report_esc(f, host ? host : url);
		fputs("</a>", f);
	} else {
		report_esc(f, host ? host : fallback);
	}
	free(host);
}

/* The risk that a search pick is the wrong picture, from its headline
 * similarity and its margin over the runner-up: red below 0.8 or within
 * 0.15 of the runner-up, amber below 0.9 or within 0.3, green above. */
static const char *sim_class(double sim, double margin)
{
	return sim < 0.8 || margin < 0.15 ? "sim-risk" : sim < 0.9 || margin < 0.3 ? "sim-check" : "sim-ok";
}

static const char *sim_risk_text(double sim, double margin)
{
	const char *c = sim_class(sim, margin);
	return strcmp(c, "sim-risk") == 0 ? "high risk: check this pick"
	     : strcmp(c, "sim-check") == 0 ? "some risk: worth a look" : "low risk";
}

static void gallery_item(report *r, FILE *f, sqlite3_stmt *st, const char *tier, int eager)
{
	long long num = sqlite3_column_int64(st, 0);
	const char *id = vm_db_column_text(st, 1), *title = vm_db_column_text(st, 2), *url = vm_db_column_text(st, 3);
	const char *page = vm_db_column_text(st, 4), *matched = vm_db_column_text(st, 7), *cap = vm_db_column_text(st, 9);
	const char *path = vm_db_column_text(st, 11);
	char href[128], date[40];
	const char *th;
	char *nid = xstrdup(id ? id : "?");

	th = thumb(r, num, nid, path, href, sizeof href);
	fprintf(f, "<figure class=\"item tier-%s\" id=\"%s-%s\">", tier, tier, nid);
	if (th)
		fprintf(f, "<a href=\"%s\"><img src=\"%s\" alt=\"%s\"%s></a>", th, th, nid,
		        eager ? "" : " loading=\"lazy\"");
	else
		fprintf(f, "<div class=\"noimg\">%s</div>", path ? "missing file" : "not resized");
	fprintf(f, "<figcaption><label class=\"pick\"><input type=\"checkbox\" class=\"reject\" value=\"%s\"> "
	        "wrong</label> <b class=\"nid\">%s</b>", nid, nid);
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		double sim = sqlite3_column_double(st, 5);
		double margin = sqlite3_column_type(st, 6) != SQLITE_NULL ? sim - sqlite3_column_double(st, 6) : 1;
		fprintf(f, " <span class=\"sim %s\" title=\"%s\">sim %.3f</span>", sim_class(sim, margin),
		        sim_risk_text(sim, margin), sim);
	}
	fputs("<br><span class=\"title\">", f);
	report_esc(f, title);
	fputs("</span><br><span class=\"site\">", f);
	if (strcmp(tier, "archive") == 0) {
		char *orig = report_host(url);
		report_esc(f, orig ? orig : "?");
		free(orig);
		fputs(" via ", f);
		link_host(f, page, "archive");
	} else {
		link_host(f, page, "-");
	}
	fputs("</span><br><span class=\"date\">", f);
	if (cap && strlen(cap) >= 8) {
		fputs("captured ", f);
		report_escn(f, cap, 4);
		fputc('-', f);
		report_escn(f, cap + 4, 2);
		fputc('-', f);
		report_escn(f, cap + 6, 2);
	} else {
		fmt_utc(sqlite3_column_double(st, 10), date, sizeof date, 0);
		fprintf(f, "fetched %s", date);
	}
	fputs("</span>", f);
	if (matched) {
		fputs("<br><span class=\"matched\">matched: ", f);
		report_esc(f, matched);
		fputs("</span>", f);
		if (sqlite3_column_type(st, 8) != SQLITE_NULL)
			fprintf(f, " (rank %lld", (long long)sqlite3_column_int64(st, 8));
		else
			fputs(" (", f);
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			fprintf(f, "%srunner-up %.3f", sqlite3_column_type(st, 8) != SQLITE_NULL ? ", " : "",
			        sqlite3_column_double(st, 6));
		fputs(")", f);
	}
	{
		long long nrej = sqlite3_column_int64(st, 14);
		if (nrej > 0)
			fprintf(f, "<br><a class=\"rej\" href=\"index.html#rejected\">replaces %lld rejected pick%s</a>",
			        nrej, nrej == 1 ? "" : "s");
	}
	fputs("</figcaption></figure>\n", f);
	free(nid);
}

static long long tier_count(report *r, int t)
{
	return r->cls[class_index(gallery_tiers[t])];
}

/* Items of tier t that the galleries show, and their pages. */
static long long shown_items(report *r, int t)
{
	long long n = tier_count(r, t);
	if (r->max_items > 0 && n > r->max_items)
		n = r->max_items;
	return n;
}

static long long npages(report *r, int t)
{
	long long n = shown_items(r, t);
	return n == 0 ? 0 : (n + r->per_page - 1) / r->per_page;
}

/* Links to the pages of tier t's gallery (current 0: from the main page). */
static void page_links(report *r, FILE *f, int t, long long current)
{
	long long np = npages(r, t);
	fputs("<p class=\"pages\">Pages: ", f);
	for (long long p = 1; p <= np; p++) {
		if (p == current)
			fprintf(f, "<b>%lld</b> ", p);
		else
			fprintf(f, "<a href=\"tier-%s-%lld.html\">%lld</a> ", gallery_tiers[t], p, p);
	}
	fputs("</p>\n", f);
}

static void write_atomic_page(report *r, const char *name, vm_atomic_file *af)
{
	char *path = xasprintf("%s/%s", r->out, name);
	if (vm_atomic_open(af, path) != 0)
		vm_die_errno("%s", path);
	free(path);
}

static void commit_page(vm_atomic_file *af)
{
	char *path = xstrdup(af->path);
	if (vm_atomic_commit(af) != 0)
		vm_die_errno("%s", path);
	free(path);
}

/* Open gallery page `page` of tier t (of np) into af. */
static void open_gallery_page(report *r, vm_atomic_file *af, int t, long long page, long long np)
{
	char name[64], sub[96];
	snprintf(name, sizeof name, "tier-%s-%lld.html", gallery_tiers[t], page);
	snprintf(sub, sizeof sub, "%s tier, page %lld of %lld", gallery_tiers[t], page, np);
	write_atomic_page(r, name, af);
	page_head(r, af->fp, sub);
	fputs("<p><a href=\"index.html\">Back to the report</a></p>\n", af->fp);
	page_links(r, af->fp, t, page);
	fputs("<p class=\"rejectbar\">Tick the wrong picks, then <a id=\"reject-download\" "
	      "download=\"reject.txt\" href=\"data:text/plain,\">download the reject file</a> "
	      "(<span id=\"reject-count\">0</span> ticked on this page) and give it to "
	      "<code>vmind-crawl --reject</code>.</p>\n<div class=\"gallery\">\n", af->fp);
}

static void close_gallery_page(report *r, vm_atomic_file *af, int t, long long page)
{
	fputs("</div>\n", af->fp);
	page_links(r, af->fp, t, page);
	page_foot(af->fp);
	commit_page(af);
}

/* The gallery of tier t: one query in gallery order, into the pages
 * tier-TIER-K.html of --per-page items each. */
static void gallery(report *r, int t)
{
	long long np = npages(r, t), k = 0, page = 0;
	sqlite3_stmt *st = vm_db_prepare(r->db, gallery_sql);
	vm_atomic_file af = { 0 };

	sqlite3_bind_text(st, 1, gallery_tiers[t], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, shown_items(r, t));
	while (vm_db_step_row(r->db, st)) {
		if (k % r->per_page == 0) {
			if (page > 0)
				close_gallery_page(r, &af, t, page);
			open_gallery_page(r, &af, t, ++page, np);
		}
		gallery_item(r, af.fp, st, gallery_tiers[t], 1);
		k++;
	}
	sqlite3_finalize(st);
	if (page > 0)
		close_gallery_page(r, &af, t, page);
	r->written_pages[t] = page;
}

/* The galleries, each on pages of its own: the main page lists them. No
 * gallery of placeholders: they are one white image. */
static void section_galleries(report *r, FILE *f)
{
	char a[32], b[32];
	fputs("<h2 id=\"galleries\">Galleries</h2>\n<p>Each tier's picks are on pages of their own. "
	      "Search-tier picks come first, least similar headline first: they are the ones to check. "
	      "Their similarity is coloured by risk: "
	      "<span class=\"sim sim-risk\">red</span> below 0.8 or within 0.15 of the runner-up, "
	      "<span class=\"sim sim-check\">amber</span> below 0.9 or within 0.3, "
	      "<span class=\"sim sim-ok\">green</span> above. Each item shows its news id, headline, the "
	      "site the image was found on and the capture (archive) or fetch date; tick the wrong picks "
	      "and download the file for <code>vmind-crawl --reject</code>.</p>\n", f);
	for (int t = 0; t < NTIERS; t++) {
		long long n = tier_count(r, t), shown = shown_items(r, t);
		fprintf(f, "<h3 id=\"gallery-%s\">%s tier: %s item%s</h3>\n", gallery_tiers[t], gallery_tiers[t],
		        report_count(a, sizeof a, n), n == 1 ? "" : "s");
		if (strcmp(gallery_tiers[t], "placeholder") == 0) {
			fputs("<p>Placeholders are one white image: no gallery.</p>\n", f);
			continue;
		}
		if (n == 0) {
			fputs("<p>None.</p>\n", f);
			continue;
		}
		if (shown < n)
			fprintf(f, "<p class=\"meta\">The galleries show the first %s (--max-items).</p>\n",
			        report_count(b, sizeof b, shown));
		gallery(r, t);
		page_links(r, f, t, 0);
	}
}

/* ---- rejected picks ---- */

static void section_rejected(report *r, FILE *f)
{
	static const char sql[] =
		"SELECT rj.news_num, n.id, n.title, rj.tier, rj.page_url, rj.image_url, rj.sha256, rj.similarity,"
		" rj.reason, rj.rejected_at, i.tier, rs.path"
		" FROM rejected rj JOIN news n ON n.num = rj.news_num"
		" LEFT JOIN image i ON i.news_num = rj.news_num LEFT JOIN resized rs ON rs.news_num = rj.news_num"
		" ORDER BY rj.rejected_at, rj.id LIMIT ?1";
	long long total = vm_db_query_int(r->db, "SELECT count(*) FROM rejected");
	sqlite3_stmt *st;
	char a[32], date[40], href[128];

	fprintf(f, "<h2 id=\"rejected\">Rejected picks</h2>\n<p>%s pick%s rejected by a curator "
	        "(vmind-crawl --reject), kept apart: no item gets a rejected image again. "
	        "<i>Now</i> is the item's current pick.</p>\n",
	        report_count(a, sizeof a, total), total == 1 ? "" : "s");
	if (total == 0)
		return;
	st = vm_db_prepare(r->db, sql);
	sqlite3_bind_int64(st, 1, r->max_items > 0 ? r->max_items : -1);
	fputs("<table id=\"rejected-table\">\n<tr><th>News</th><th>Headline</th><th>Rejected tier</th><th>Site</th>"
	      "<th>Image URL</th><th class=\"num\">Similarity</th><th>Reason</th><th>When</th><th>Now</th></tr>\n", f);
	while (vm_db_step_row(r->db, st)) {
		long long num = sqlite3_column_int64(st, 0);
		char *nid = xstrdup(vm_db_column_text(st, 1) ? vm_db_column_text(st, 1) : "?");
		const char *now = vm_db_column_text(st, 10), *th;
		fprintf(f, "<tr class=\"rejected\"><td>%s</td><td>", nid);
		report_esc(f, vm_db_column_text(st, 2));
		fputs("</td><td>", f);
		report_esc(f, vm_db_column_text(st, 3));
		fputs("</td><td>", f);
		link_host(f, vm_db_column_text(st, 4), "-");
		fputs("</td><td><code>", f);
		report_esc(f, vm_db_column_text(st, 5));
		fputs("</code></td><td class=\"num\">", f);
		if (sqlite3_column_type(st, 7) != SQLITE_NULL)
			fprintf(f, "%.3f", sqlite3_column_double(st, 7));
		fputs("</td><td>", f);
		report_esc(f, vm_db_column_text(st, 8));
		fmt_utc(sqlite3_column_double(st, 9), date, sizeof date, 1);
		fprintf(f, "</td><td>%s</td><td>", date);
		if (now) {
			report_esc(f, now);
			th = thumb(r, num, nid, vm_db_column_text(st, 11), href, sizeof href);
			if (th)
				fprintf(f, "<br><img src=\"%s\" alt=\"%s now\">", th, nid);
		} else {
			fputs("no image", f);
		}
		fputs("</td></tr>\n", f);
		free(nid);
	}
	sqlite3_finalize(st);
	fputs("</table>\n", f);
}

/* ---- duplicates ---- */

/* One member of a duplicate group: its thumbnail (when the news row and a
 * safe path allow one), id and headline. */
static void dupe_member(report *r, FILE *f, sqlite3_stmt *by_id, const vm_dupe_item *it)
{
	char href[128];
	const char *th = NULL, *title = NULL;
	long long num = 0;
	vm_db_bind_text(by_id, 1, it->id);
	if (vm_db_step_row(r->db, by_id)) {
		num = sqlite3_column_int64(by_id, 0);
		title = vm_db_column_text(by_id, 1);
	}
	if (num > 0 && safe_relpath(it->path))
		th = thumb(r, num, it->id, it->path, href, sizeof href);
	fputs("<figure class=\"item\">", f);
	if (th)
		fprintf(f, "<img src=\"%s\" alt=\"", th);
	else
		fputs("<div class=\"noimg\">", f);
	report_esc(f, it->id);
	fputs(th ? "\">" : "</div>", f);
	fputs("<figcaption><b>", f);
	report_esc(f, it->id);
	fputs("</b><br><span class=\"title\">", f);
	report_esc(f, title);
	fputs("</span></figcaption></figure>", f);
	sqlite3_reset(by_id);
}

static void dupe_group(report *r, FILE *f, sqlite3_stmt *by_id, const struct vm_dupe_group *g, size_t k)
{
	char hex[17];
	size_t shown = g->count < MAX_MEMBERS ? g->count : MAX_MEMBERS;
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)g->members[0]->phash);
	fprintf(f, "<div class=\"group\" id=\"dupe-%zu\"><b>Group %zu</b>: %zu items, ", k, k, g->count);
	fprintf(f, "phash <code>%s</code><div class=\"gallery\">", hex);
	for (size_t m = 0; m < shown; m++)
		dupe_member(r, f, by_id, g->members[m]);
	fputs("</div>", f);
	if (g->count > shown)
		fprintf(f, "<p class=\"meta\">and %zu more</p>", g->count - shown);
	fputs("</div>\n", f);
}

static void section_dupes(report *r, FILE *f)
{
	char err[512];
	vm_dupes d;
	sqlite3_stmt *by_id;
	int rc = vm_dupes_find(r->db, r->max_distance, &d, err, sizeof err);
	fprintf(f, "<h2 id=\"duplicates\">Duplicate images</h2>\n<p>Groups of items whose resized images are "
	        "identical or whose perceptual hashes differ in at most %d bits, largest first: an image "
	        "shared by unrelated items is a logo or a placeholder, not a cover.</p>\n", r->max_distance);
	if (rc != 0) {
		vm_warn("duplicates: %s", err);
		fputs("<p>Duplicate groups could not be computed: ", f);
		report_esc(f, err);
		fputs("</p>\n", f);
		r->missing++;
		return;
	}
	by_id = vm_db_prepare(r->db, "SELECT num, title FROM news WHERE id = ?1");
	for (size_t g = 0; g < d.ngroups && g < MAX_GROUPS; g++)
		dupe_group(r, f, by_id, &d.groups[g], g + 1);
	if (d.ngroups == 0)
		fputs("<p>No duplicate groups.</p>\n", f);
	else if (d.ngroups > MAX_GROUPS)
		fprintf(f, "<p class=\"meta\">Only the %d largest groups are shown; "
		        "<code>vmind-stats --duplicates</code> lists them all.</p>\n", MAX_GROUPS);
	sqlite3_finalize(by_id);
	vm_dupes_free(&d);
}

/* ---- failures ---- */

/* A table of (reason, count, example ids). base is a SELECT of rows
 * (reason, num, id), one per failure; one pass counts them per reason and
 * keeps the first 10 distinct items of each as examples. */
static void reason_table(report *r, FILE *f, const char *id, const char *head, const char *base)
{
	char *sql = xasprintf(
		"WITH b0 AS (%s),"
		" b AS (SELECT report_reason(reason) AS reason, num, id FROM b0),"
		" c AS (SELECT reason, count(*) AS n FROM b GROUP BY reason),"
		" e AS (SELECT reason, group_concat(id, ' ') AS ex FROM"
		"  (SELECT reason, id, row_number() OVER (PARTITION BY reason ORDER BY num) AS rn"
		"   FROM (SELECT DISTINCT reason, num, id FROM b WHERE id IS NOT NULL) ORDER BY reason, num)"
		"  WHERE rn <= 10 GROUP BY reason)"
		" SELECT c.reason, c.n, e.ex FROM c LEFT JOIN e ON e.reason IS c.reason ORDER BY c.n DESC, c.reason",
		base);
	sqlite3_stmt *st = vm_db_prepare(r->db, sql);
	long long rows = 0, other = 0;
	char a[32];
	while (vm_db_step_row(r->db, st)) {
		const char *reason = vm_db_column_text(st, 0);
		long long n = sqlite3_column_int64(st, 1);
		if (rows == MAX_REASONS) {
			other += n;
			continue;
		}
		if (rows++ == 0)
			fprintf(f, "<table id=\"%s\">\n<tr><th>%s</th><th class=\"num\">Count</th><th>Examples</th></tr>\n",
			        id, head);
		fputs("<tr><td><code>", f);
		report_esc(f, reason ? reason : "(none)");
		fprintf(f, "</code></td><td class=\"num\">%s</td><td>", report_count(a, sizeof a, n));
		report_esc(f, vm_db_column_text(st, 2));
		fputs("</td></tr>\n", f);
	}
	if (rows == 0)
		fputs("<p>None.</p>\n", f);
	else {
		if (other)
			fprintf(f, "<tr><td>(other reasons)</td><td class=\"num\">%s</td><td></td></tr>\n",
			        report_count(a, sizeof a, other));
		fputs("</table>\n", f);
	}
	sqlite3_finalize(st);
	free(sql);
}

static void section_failures(report *r, FILE *f)
{
	fputs("<h2 id=\"failures\">Failures</h2>\n<h3>Crawl failures by error class</h3>\n", f);
	reason_table(r, f, "failed-crawl", "Error class (news.outcome)",
	             "SELECT outcome AS reason, num, id FROM news WHERE state = 'failed'");
	fputs("<h3>Done without an image, by last error</h3>\n", f);
	reason_table(r, f, "no-image", "Last error",
	             "SELECT last_error AS reason, num, id FROM news n WHERE state = 'done'"
	             " AND NOT EXISTS (SELECT 1 FROM image i WHERE i.news_num = n.num)");
	fputs("<h3>Resize errors</h3>\n", f);
	reason_table(r, f, "resize-errors", "Error",
	             "SELECT e.error AS reason, n.num, n.id FROM resize_error e JOIN news n ON n.num = e.news_num");
	fputs("<h3>Failed requests by error</h3>\n", f);
	reason_table(r, f, "request-errors", "Error (tier, purpose)",
	             "SELECT coalesce(q.tier, '-') || ' ' || coalesce(q.purpose, '-') || ': ' || q.error AS reason,"
	             " q.news_num AS num, n.id FROM request q LEFT JOIN news n ON n.num = q.news_num"
	             " WHERE q.error IS NOT NULL");
}

/* ---- training ---- */

/* A dev metric's chart shows the oracle's score (--oracle) and the final
 * dev score (the last point of the per-epoch series) as dashed lines. */
static size_t chart_refs(const report *r, const report_chart *ch, report_ref refs[2])
{
	size_t n = 0;
	for (int k = 0; k < 4; k++) {
		if (strcmp(ch->metric, dev_metrics[k]) != 0)
			continue;
		if (!isnan(r->oracle[k]))
			refs[n++] = (report_ref){ "oracle", r->oracle[k], "#c92a2a" };
		for (size_t s = 0; s < ch->nseries; s++)
			if (strstr(ch->series[s].name, "epoch") && ch->series[s].n > 0) {
				refs[n++] = (report_ref){ "final dev", ch->series[s].y[ch->series[s].n - 1], "#2b8a3e" };
				break;
			}
	}
	return n;
}

static void section_training(report *r, FILE *f)
{
	const report_trainlog *log = &r->log;
	fputs("<h2 id=\"training\">Training</h2>\n", f);
	if (!r->train_log) {
		fputs("<p>No training log given (--train-log).</p>\n", f);
		return;
	}
	fprintf(f, "<p>From <code>");
	report_esc(f, r->train_log);
	fprintf(f, "</code>: %zu rows, every numeric column against %s.</p>\n", log->rows, log->xname);
	if (log->ncharts == 0)
		fputs("<p>No numeric columns to plot.</p>\n", f);
	for (size_t c = 0; c < log->ncharts; c++) {
		report_ref refs[2];
		size_t nrefs = chart_refs(r, &log->charts[c], refs);
		fputs("<h3>", f);
		report_esc(f, log->charts[c].metric);
		fputs("</h3>\n", f);
		report_svg_lines_refs(f, &log->charts[c], log->xname, refs, nrefs);
	}
}

/* ---- model quality: the paper's Table 3, Fig. 5 and Fig. 6 ---- */

static void section_quality(report *r, FILE *f)
{
	fputs("<h2 id=\"quality\">Model quality</h2>\n", f);
	if (!r->runs_dir) {
		fputs("<p>No runs given (--runs).</p>\n", f);
		return;
	}
	fputs("<p>From <code>", f);
	report_esc(f, r->runs_dir);
	fputs("</code>.</p>\n", f);
	report_quality_html(f, &r->runs);
}

/* ---- stale pages of an earlier, larger report ---- */

static void remove_stale(report *r)
{
	DIR *d = opendir(r->out);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char tier[32];
		long long p;
		int end = 0, t;
		if (sscanf(de->d_name, "tier-%31[a-z]-%lld.html%n", tier, &p, &end) != 2 ||
		    de->d_name[end] != '\0')
			continue;
		for (t = 0; t < NTIERS; t++)
			if (strcmp(tier, gallery_tiers[t]) == 0)
				break;
		if (t == NTIERS || p < 1 || p > r->written_pages[t]) {
			char *path = xasprintf("%s/%s", r->out, de->d_name);
			unlink(path);
			free(path);
		}
	}
	closedir(d);
}

static vm_cli cli = {
	.synopsis = "vmind-report --db FILE --images DIR --out DIR [options]",
	.summary = "Write a static HTML curation report of a provenance database.",
	.options = options,
	.footer = "Exit status: 0 report written; 1 written, but some thumbnails were missing;\n"
	          "2 usage or input error.\n",
};

static void parse_options(report *r, int argc, char **argv)
{
	int c;
	r->title = "vmind report";
	r->per_page = 60;
	r->max_items = 5000;
	r->max_distance = VM_DUPES_DEFAULT_DISTANCE;
	while ((c = vm_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_DB: r->db_path = optarg; break;
		case OPT_IMAGES: r->images = optarg; break;
		case OPT_OUT: r->out = optarg; break;
		case OPT_TRAIN_LOG: r->train_log = optarg; break;
		case OPT_RUNS: r->runs_dir = optarg; break;
		case OPT_ORACLE: r->oracle_path = optarg; break;
		case OPT_TITLE: r->title = optarg; break;
		case OPT_BEHAVIORS:
			r->behaviors = xrealloc(r->behaviors, (r->nbehaviors + 1) * sizeof *r->behaviors);
			r->behaviors[r->nbehaviors++] = optarg;
			break;
		case OPT_PER_PAGE: r->per_page = vm_cli_int("per-page", optarg, 1, 100000); break;
		case OPT_MAX_ITEMS: r->max_items = vm_cli_int("max-items", optarg, 0, 1000000000); break;
		case OPT_MAX_DISTANCE: r->max_distance = (int)vm_cli_int("max-distance", optarg, 0, 64); break;
		}
	}
	if (optind < argc)
		vm_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if (!r->db_path || !r->images || !r->out)
		vm_cli_usage_error(&cli, "--db, --images and --out are required");
	vm_cli_free(&cli);
}

/* --oracle FILE, vmind-synth --oracle --format json's object: its
 * "oracle" scores into r->oracle (dies on an unreadable or other file). */
static void read_oracle(report *r)
{
	for (int k = 0; k < 4; k++)
		r->oracle[k] = NAN;
	if (!r->oracle_path)
		return;
	char *text = vm_read_file(r->oracle_path, NULL);
	if (!text)
		vm_die_errno("%s", r->oracle_path);
	cJSON *o = cJSON_Parse(text), *sc = cJSON_GetObjectItemCaseSensitive(o, "oracle");
	for (int k = 0; k < 4; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(sc, dev_metrics[k]);
		if (cJSON_IsNumber(v))
			r->oracle[k] = v->valuedouble;
	}
	cJSON_Delete(o);
	free(text);
	if (isnan(r->oracle[0]))
		vm_die("%s: not the JSON of vmind-synth --oracle --format json (no oracle.auc)", r->oracle_path);
}

/* report_reason(TEXT): report_reason_class in SQL, for the failure tables. */
static void sql_reason(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	char *c = report_reason_class((const char *)sqlite3_value_text(argv[0]));
	if (c)
		sqlite3_result_text(ctx, c, -1, free);
	else
		sqlite3_result_null(ctx);
}

/* The inputs checked, read and opened, then (only then) the output's
 * thumbnail folder made: an input error leaves nothing behind. */
static void open_inputs(report *r)
{
	struct stat sb;
	char err[1024];
	if (stat(r->images, &sb) != 0 || !S_ISDIR(sb.st_mode))
		vm_die("%s: %s", r->images, stat(r->images, &sb) != 0 ? strerror(errno) : "not a directory");
	if (r->train_log && report_trainlog_read(r->train_log, &r->log, err, sizeof err) != 0)
		vm_die("%s", err);
	read_oracle(r);
	if (r->runs_dir && report_runs_read(r->runs_dir, &r->runs, err, sizeof err) != 0)
		vm_die("%s", err);
	r->db = vm_db_open(r->db_path, VM_DB_READONLY, err, sizeof err);
	if (!r->db)
		vm_die("%s", err);
	if (sqlite3_create_function(r->db, "report_reason", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	                            sql_reason, NULL, NULL) != SQLITE_OK)
		vm_die("%s: %s", r->db_path, sqlite3_errmsg(r->db));
	r->thumbs_dir = xasprintf("%s/thumbs", r->out);
	if (vm_mkdir_p(r->thumbs_dir) != 0)
		vm_die_errno("%s", r->thumbs_dir);
	vm_u64set_init(&r->thumb_ok);
	vm_u64set_init(&r->thumb_bad);
}

static void write_css(report *r)
{
	vm_atomic_file af;
	write_atomic_page(r, "report.css", &af);
	fputs(css, af.fp);
	commit_page(&af);
	write_atomic_page(r, "report.js", &af);
	fputs(js, af.fp);
	commit_page(&af);
}

static void write_index(report *r)
{
	vm_atomic_file af;
	char when[40], a[32];
	write_atomic_page(r, "index.html", &af);
	page_head(r, af.fp, NULL);
	fmt_utc(r->generated, when, sizeof when, 1);
	fprintf(af.fp, "<p class=\"meta\">Database <code>");
	report_esc(af.fp, r->db_path);
	fprintf(af.fp, "</code>, %s news items; written %s by vmind-report %s.</p>\n",
	        report_count(a, sizeof a, r->news), when, PACKAGE_VERSION);
	fputs("<nav class=\"toc\"><a href=\"#table1\">Table 1</a><a href=\"#coverage\">Coverage</a>"
	      "<a href=\"#galleries\">Galleries</a><a href=\"#rejected\">Rejected</a>"
	      "<a href=\"#duplicates\">Duplicates</a><a href=\"#failures\">Failures</a>"
	      "<a href=\"#training\">Training</a><a href=\"#quality\">Model quality</a></nav>\n", af.fp);
	section_counts(r, af.fp);
	section_galleries(r, af.fp);
	section_rejected(r, af.fp);
	section_dupes(r, af.fp);
	section_failures(r, af.fp);
	section_training(r, af.fp);
	section_quality(r, af.fp);
	page_foot(af.fp);
	commit_page(&af);
}

int main(int argc, char **argv)
{
	report r;
	char err[1024];

	memset(&r, 0, sizeof r);
	vm_set_progname(argv[0]);
	parse_options(&r, argc, argv);
	open_inputs(&r);
	r.generated = (double)time(NULL);
	count_users(&r);
	/* one read transaction: every section sees the same database state,
	 * even while a crawl writes to it */
	if (vm_db_exec(r.db, "BEGIN", err, sizeof err) != 0)
		vm_die("%s: %s", r.db_path, err);
	r.news = vm_db_query_int(r.db, "SELECT count(*) FROM news");
	write_css(&r);
	write_index(&r);
	vm_db_exec(r.db, "COMMIT", NULL, 0);
	remove_stale(&r);

	if (r.missing)
		vm_warn("%s: report written; %lld thumbnail%s missing%s", r.out, r.missing,
		        r.missing == 1 ? " was" : "s were", r.missing > MAX_WARN ? " (the first 20 named above)" : "");
	vm_u64set_free(&r.thumb_ok);
	vm_u64set_free(&r.thumb_bad);
	free(r.thumbs_dir);
	free(r.behaviors);
	report_runs_free(&r.runs);
	if (r.train_log)
		report_trainlog_free(&r.log);
	vm_db_close(r.db);
	return r.missing ? VM_EXIT_ITEMS : VM_EXIT_OK;
}
