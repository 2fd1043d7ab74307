/* report-quality.c: the model-quality section of vmind-report (see
 * report-quality.h): runs read from a folder, grouped as the paper's Table
 * 3, Fig. 5 and Fig. 6 group them, and drawn. */
#include "config.h"
#include "report-quality.h"
#include "report-html.h"
#include "vmind/lib/safetensors.h"
#include "vmind/lib/util.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ALL_FIELDS "image,title,category,subcategory"
#define DEFAULT_USER "vlsnr"

/* ---- reading ---- */

static double json_number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int read_metrics(const char *path, report_run *r, char *err, size_t errlen)
{
	char *text = vm_read_file(path, NULL);
	cJSON *o = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!o) {
		snprintf(err, errlen, "%s: not the JSON of vlsnr-eval --format json", path);
		return -1;
	}
	r->auc = json_number(o, "auc");
	r->mrr = json_number(o, "mrr");
	r->ndcg5 = json_number(o, "ndcg5");
	r->ndcg10 = json_number(o, "ndcg10");
	cJSON_Delete(o);
	if (isnan(r->auc)) {
		snprintf(err, errlen, "%s: no \"auc\"", path);
		return -1;
	}
	return 0;
}

static int read_model(const char *path, report_run *r, char *err, size_t errlen)
{
	vm_st_file st;
	if (vm_st_open(&st, path, err, errlen) != 0)
		return -1;
	const char *user = vm_st_meta(&st, "user_encoder"), *fields = vm_st_meta(&st, "fields");
	const char *ratio = vm_st_meta(&st, "image_ratio"), *seed = vm_st_meta(&st, "seed");
	if (!user) {
		snprintf(err, errlen, "%s: no user_encoder in its metadata: not a vlsnr-train model", path);
		vm_st_close(&st);
		return -1;
	}
	r->user = xstrdup(user);
	r->fields = xstrdup(fields ? fields : ALL_FIELDS);
	r->image_ratio = ratio ? atof(ratio) : 1;
	r->seed = seed ? atol(seed) : 0;
	vm_st_close(&st);
	return 0;
}

/* The model beside DIR/NAME.json, or NULL */
static char *model_path(const char *dir, const char *name)
{
	static const char *const ext[] = { "st", "safetensors" };
	for (size_t i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s.%s", dir, name, ext[i]);
		if (vm_regular_file_exists(p))
			return p;
		free(p);
	}
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const report_run *)a)->name, ((const report_run *)b)->name);
}

/* One run from DIR/FILE (a .json); 1 read, 0 skipped (no model), -1 error */
static int read_run(const char *dir, const char *file, report_run *r, char *err, size_t errlen)
{
	size_t len = strlen(file);
	memset(r, 0, sizeof *r);
	r->name = xstrndup(file, len - 5);
	char *model = model_path(dir, r->name), *metrics = xasprintf("%s/%s", dir, file);
	int rc = 0;
	if (model)
		rc = read_metrics(metrics, r, err, errlen) == 0 && read_model(model, r, err, errlen) == 0 ? 1 : -1;
	free(model);
	free(metrics);
	return rc;
}

int report_runs_read(const char *dir, report_runs *runs, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;
	memset(runs, 0, sizeof *runs);
	if (!d) {
		snprintf(err, errlen, "%s: cannot open the folder of runs", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (runs->n == cap)
			runs->run = xrealloc(runs->run, (cap = cap ? 2 * cap : 16) * sizeof *runs->run);
		int rc = read_run(dir, de->d_name, &runs->run[runs->n], err, errlen);
		if (rc > 0)
			runs->n++;
		else
			free(runs->run[runs->n].name);
		if (rc < 0) {
			closedir(d);
			report_runs_free(runs);
			return -1;
		}
	}
	closedir(d);
	qsort(runs->run, runs->n, sizeof *runs->run, by_name);
	return 0;
}

void report_runs_free(report_runs *runs)
{
	for (size_t i = 0; i < runs->n; i++) {
		free(runs->run[i].name);
		free(runs->run[i].user);
		free(runs->run[i].fields);
	}
	free(runs->run);
	memset(runs, 0, sizeof *runs);
}

/* ---- groups: the runs that differ only in their seed ---- */

typedef struct group {
	const char *label;       /* what the group varies (fields, encoder, ratio) */
	double ratio;            /* image ratio (Fig. 6's x) */
	size_t n;
	double mean[4], se[4];   /* auc, mrr, ndcg5, ndcg10 */
	const report_run *run[64];
} group;

static double metric(const report_run *r, int k)
{
	const double v[4] = { r->auc, r->mrr, r->ndcg5, r->ndcg10 };
	return v[k];
}

static void group_stats(group *g)
{
	for (int k = 0; k < 4; k++) {
		double s = 0, ss = 0;
		for (size_t i = 0; i < g->n; i++)
			s += metric(g->run[i], k);
		g->mean[k] = s / (double)g->n;
		for (size_t i = 0; i < g->n; i++)
			ss += pow(metric(g->run[i], k) - g->mean[k], 2);
		g->se[k] = g->n > 1 ? sqrt(ss / (double)(g->n - 1) / (double)g->n) : 0;
	}
}

enum { BY_FIELDS, BY_USER, BY_RATIO };

/* Table 3 varies the fields of the default encoder with every cover; Fig. 5
 * the encoder over all fields with every cover; Fig. 6 the covers kept. */
static int in_figure(const report_run *r, int by)
{
	int all = strcmp(r->fields, ALL_FIELDS) == 0, vlsnr = strcmp(r->user, DEFAULT_USER) == 0;
	int covers = fabs(r->image_ratio - 1) < 1e-9;
	return by == BY_FIELDS ? vlsnr && covers : by == BY_USER ? all && covers : vlsnr && all;
}

static int same_group(const report_run *r, const group *g, int by)
{
	return by == BY_FIELDS ? strcmp(r->fields, g->label) == 0
	       : by == BY_USER ? strcmp(r->user, g->label) == 0 : fabs(r->image_ratio - g->ratio) < 1e-9;
}

static size_t make_groups(const report_runs *runs, int by, group *gs, size_t max)
{
	size_t ng = 0;
	for (size_t i = 0; i < runs->n; i++) {
		const report_run *r = &runs->run[i];
		size_t k;
		if (!in_figure(r, by))
			continue;
		for (k = 0; k < ng && !same_group(r, &gs[k], by); k++)
			;
		if (k == ng) {
			if (ng == max)
				continue;
			memset(&gs[ng], 0, sizeof gs[ng]);
			gs[ng].label = by == BY_FIELDS ? r->fields : by == BY_USER ? r->user : "";
			gs[ng].ratio = r->image_ratio;
			ng++;
		}
		if (gs[k].n < sizeof gs[k].run / sizeof gs[k].run[0])
			gs[k].run[gs[k].n++] = r;
	}
	for (size_t k = 0; k < ng; k++)
		group_stats(&gs[k]);
	return ng;
}

static int by_auc(const void *a, const void *b)
{
	double x = ((const group *)a)->mean[0], y = ((const group *)b)->mean[0];
	return (x > y) - (x < y);
}

static int by_ratio(const void *a, const void *b)
{
	double x = ((const group *)a)->ratio, y = ((const group *)b)->ratio;
	return (x > y) - (x < y);
}

/* ---- drawing ---- */

void report_svg_mean_bars(FILE *out, const char *title, const char *const *labels, const double *mean,
                          const double *se, const size_t *count, size_t n, double lo, double hi)
{
	const int lw = 130, bw = 360, rh = 24, w = lw + bw + 170;
	int h = (int)n * rh + 30;
	double span = hi > lo ? hi - lo : 1;
	report_svg_open(out, w, h, title);
	for (size_t i = 0; i < n; i++) {
		int y = 5 + (int)i * rh;
		double len = fmax(0, fmin(1, (mean[i] - lo) / span)) * bw;
		double e0 = fmax(0, (mean[i] - se[i] - lo) / span) * bw, e1 = fmin(1, (mean[i] + se[i] - lo) / span) * bw;
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 6, y + 15);
		report_esc(out, labels[i]);
		fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#4c6ef5\"/>",
		        lw, y + 2, len, rh - 8);
		if (se[i] > 0)
			fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#212529\"/>",
			        lw + e0, lw + e1, y + 2 + (rh - 8) / 2, y + 2 + (rh - 8) / 2);
		fprintf(out, "<text x=\"%.1f\" y=\"%d\">%.4f &#177; %.4f (%zu)</text>\n", lw + len + 6, y + 15,
		        mean[i], se[i], count[i]);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\">%.2f</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.2f</text>\n",
	        lw, h - 6, lo, lw + bw, h - 6, hi);
	fputs("</svg>\n", out);
}

static void table3(FILE *out, const report_runs *runs)
{
	group gs[16];
	size_t ng = make_groups(runs, BY_FIELDS, gs, 16);
	fputs("<h3>Table 3: news fields</h3>\n", out);
	if (!ng) {
		fputs("<p>No runs of the vlsnr encoder with every cover.</p>\n", out);
		return;
	}
	qsort(gs, ng, sizeof *gs, by_auc);
	fputs("<table><tr><th>fields</th><th>seeds</th><th>AUC</th><th>MRR</th><th>nDCG@5</th><th>nDCG@10</th></tr>\n", out);
	for (size_t k = 0; k < ng; k++) {
		fputs("<tr><td>", out);
		report_esc(out, gs[k].label);
		fprintf(out, "</td><td>%zu</td>", gs[k].n);
		for (int m = 0; m < 4; m++)
			fprintf(out, "<td>%.4f &#177; %.4f</td>", gs[k].mean[m], gs[k].se[m]);
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void figure5(FILE *out, const report_runs *runs)
{
	static const char *const order[] = { "none", "mean", "gru", "selfattn", DEFAULT_USER };
	group gs[16];
	const char *labels[16];
	double mean[16], se[16], hi = 0.5;
	size_t count[16], nb = 0, ng = make_groups(runs, BY_USER, gs, 16);
	fputs("<h3>Fig. 5: user encoders</h3>\n", out);
	for (size_t o = 0; o < sizeof order / sizeof *order; o++)
		for (size_t k = 0; k < ng; k++)
			if (strcmp(gs[k].label, order[o]) == 0) {
				labels[nb] = gs[k].label;
				mean[nb] = gs[k].mean[0];
				se[nb] = gs[k].se[0];
				count[nb] = gs[k].n;
				hi = fmax(hi, mean[nb] + se[nb]);
				nb++;
			}
	if (!nb) {
		fputs("<p>No runs with every field and every cover.</p>\n", out);
		return;
	}
	report_svg_mean_bars(out, "dev AUC by user encoder", labels, mean, se, count, nb, 0.5,
	                     ceil(hi * 50) / 50);
}

static void figure6(FILE *out, const report_runs *runs)
{
	group gs[32];
	size_t ng = make_groups(runs, BY_RATIO, gs, 32);
	report_series series[1];
	report_chart chart = { "dev AUC", series, 0 };
	fputs("<h3>Fig. 6: share of news with their real cover</h3>\n", out);
	if (ng < 2) {
		fputs("<p>Fewer than two image ratios among the runs of the vlsnr encoder with every field.</p>\n", out);
		return;
	}
	qsort(gs, ng, sizeof *gs, by_ratio);
	memset(series, 0, sizeof series);
	series[0].name = "mean over seeds";
	series[0].x = xcalloc(ng, sizeof(double));
	series[0].y = xcalloc(ng, sizeof(double));
	for (size_t k = 0; k < ng; k++) {
		series[0].x[series[0].n] = gs[k].ratio;
		series[0].y[series[0].n++] = gs[k].mean[0];
	}
	chart.nseries = 1;
	report_svg_lines(out, &chart, "image ratio");
	fputs("<table><tr><th>image ratio</th><th>seeds</th><th>AUC</th></tr>\n", out);
	for (size_t k = 0; k < ng; k++)
		fprintf(out, "<tr><td>%.2f</td><td>%zu</td><td>%.4f &#177; %.4f</td></tr>\n", gs[k].ratio, gs[k].n,
		        gs[k].mean[0], gs[k].se[0]);
	fputs("</table>\n", out);
	free(series[0].x);
	free(series[0].y);
}

void report_quality_html(FILE *out, const report_runs *runs)
{
	fprintf(out, "<p>%zu runs; each row is the mean over its seeds &#177; the standard error.</p>\n", runs->n);
	table3(out, runs);
	figure5(out, runs);
	figure6(out, runs);
}
