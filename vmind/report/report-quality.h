/* report-quality.h: the model-quality part of vmind-report. A folder of
 * runs (bench/train.sh --quality writes one: NAME.json, the metrics
 * vlsnr-eval --format json printed, beside NAME.st, the model) is read into
 * rows that know their user encoder, fields, image ratio and seed from the
 * model's own metadata, and drawn as the paper draws them: Table 3 (AUC,
 * MRR, nDCG by news fields), Fig. 5 (AUC by user encoder, bars) and Fig. 6
 * (AUC by the share of news with their real cover, a curve), each the mean
 * over the runs' seeds with its standard error. No database involved, so
 * tests/unit/test-report.c checks it directly. */
#ifndef VMIND_REPORT_QUALITY_H
#define VMIND_REPORT_QUALITY_H

#include <stddef.h>
#include <stdio.h>

typedef struct report_run {
	char *name;          /* the metrics file's name without ".json" */
	char *user;          /* user_encoder of the model */
	char *fields;        /* its fields, "image,title,category,subcategory" */
	double image_ratio;  /* share of news that kept their cover */
	long seed;
	double auc, mrr, ndcg5, ndcg10;
} report_run;

typedef struct report_runs {
	report_run *run;     /* [n], sorted by name */
	size_t n;
} report_runs;

/* Read every DIR/NAME.json with a model DIR/NAME.st (or NAME.safetensors)
 * beside it; a .json without a model is skipped. 0, or -1 with
 * "FILE: message" in err (an unreadable folder, bad JSON, a model without
 * the metadata vlsnr-train writes). */
int report_runs_read(const char *dir, report_runs *runs, char *err, size_t errlen);
void report_runs_free(report_runs *runs);

/* The three figures as HTML with inline SVG; a figure without runs says so. */
void report_quality_html(FILE *out, const report_runs *runs);

/* Horizontal bars of means with standard-error whiskers on an axis from lo
 * to hi (so that AUCs between 0.5 and 0.75 are told apart), labelled with
 * the mean and the count. */
void report_svg_mean_bars(FILE *out, const char *title, const char *const *labels, const double *mean,
                          const double *se, const size_t *count, size_t n, double lo, double hi);

#endif
