/* report-html.h: the small pieces of vmind-report that know nothing of the
 * database: escaping hostile text for HTML, deciding which URLs may become
 * links, the host of a URL, numbers with thousands separators, splitting one
 * CSV line, reading a training log (CSV with a header) into numeric series,
 * and drawing inline SVG charts (horizontal bars, stacked bars, lines).
 * Kept apart so tests/unit/test-report.c can check them directly. */
#ifndef VMIND_REPORT_HTML_H
#define VMIND_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

/* Write s to out with & < > " ' escaped and control characters (other
 * than tab and newline) dropped; NULL writes nothing. */
void report_esc(FILE *out, const char *s);
/* Same for at most n bytes of s. */
void report_escn(FILE *out, const char *s, size_t n);

/* 1 when url may be written as an href: http:// or https:// (any case)
 * followed by a host, and no control characters or spaces. */
int report_safe_url(const char *url);

/* The lower-cased host (without user info or port) of an http(s) URL, or
 * NULL when there is none. */
char *report_host(const char *url);

/* An error message as a class of failures: each run of digits becomes "N"
 * (but an HTTP status, a number after "HTTP" or "status"), and each run of
 * eight or more hexadecimal digits "HEX", so that "transfer closed with 512
 * bytes remaining" and "... with 2048 bytes remaining" are one row of the
 * report's failure tables. A new string; NULL for NULL. */
char *report_reason_class(const char *s);

/* "130,379": n with comma thousands separators. */
const char *report_count(char *buf, size_t len, long long n);

/* Split one CSV line (RFC 4180 quoting, no embedded newlines) in place:
 * fields[i] point into line; at most max fields. Trailing CR/LF ignored.
 * Returns the number of fields. */
size_t report_csv_split(char *line, char **fields, size_t max);

/* One numeric series of a chart: n points (x[i], y[i]). */
typedef struct report_series {
	char *name;        /* legend text, e.g. "loss (step)" */
	double *x, *y;
	size_t n, cap;
} report_series;

/* A training log read into charts: one chart per metric column (every
 * numeric column except the x columns step/epoch/seconds/time and the
 * text column kind), holding one series per value of `kind` (or one when
 * there is no kind column). x is `step` when present, else `epoch`, else
 * the row number. */
typedef struct report_chart {
	char *metric;      /* column name */
	report_series *series;
	size_t nseries;
} report_chart;

typedef struct report_trainlog {
	char *xname;       /* "step", "epoch" or "row" */
	report_chart *charts;
	size_t ncharts;
	size_t rows;       /* data rows read */
	size_t skipped;    /* lines that were neither header nor data */
} report_trainlog;

/* Read a CSV training log. Lines starting with '#', blank lines and repeated
 * header lines are skipped; cells that are empty or not numbers leave no
 * point. 0, or -1 with "FILE: message" in err (unreadable, no header). */
int report_trainlog_read(const char *path, report_trainlog *log, char *err, size_t errlen);
void report_trainlog_free(report_trainlog *log);

/* Inline SVG charts. Colours are CSS colours from the caller. Each opens
 * with report_svg_open: the <svg> element of a w x h chart and its <title>
 * (escaped); the caller closes it with "</svg>". */
void report_svg_open(FILE *out, int w, int h, const char *title);
typedef struct report_bar {
	const char *label;
	double value;
	const char *colour;
} report_bar;
/* Horizontal bars, one per row, labelled with the value and its share of
 * total (when total > 0). */
void report_svg_bars(FILE *out, const char *title, const report_bar *bars, size_t n, double total);

/* One stacked bar per row: row r has segments values[r * nseg + s]
 * coloured colours[s]; each row is scaled to 100%. */
void report_svg_stacked(FILE *out, const char *title, const char *const *row_labels, size_t nrows,
                        const char *const *seg_names, const char *const *colours, size_t nseg,
                        const double *values);

/* A line chart of the chart's series against x. */
void report_svg_lines(FILE *out, const report_chart *chart, const char *xname);
/* The same with horizontal reference lines (dashed, labelled "NAME VALUE"
 * at the right), e.g. the oracle's score and the final dev score. */
typedef struct report_ref {
	const char *name;
	double value;
	const char *colour;
} report_ref;
void report_svg_lines_refs(FILE *out, const report_chart *chart, const char *xname, const report_ref *refs,
                           size_t nrefs);

#endif
