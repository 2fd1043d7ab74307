/* report-html.c: the database-free helpers of vmind-report (see
 * report-html.h): HTML escaping of hostile text, safe links, URL hosts,
 * counts with separators, CSV lines, the training-log reader and the inline
 * SVG charts. Every string that reaches the page goes through report_esc; the
 * charts use no script and no external resource. */
#include "config.h"
#include "report-html.h"
#include "vmind/lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void report_escn(FILE *out, const char *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n')
				break;
			if (c == 0x7f)
				break;
			fputc(c, out);
		}
	}
}

void report_esc(FILE *out, const char *s)
{
	if (s)
		report_escn(out, s, strlen(s));
}

int report_safe_url(const char *url)
{
	const char *p;
	if (!url)
		return 0;
	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return 0;
	if (!*p || *p == '/')
		return 0;
	for (const char *q = url; *q; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return 0;
	return 1;
}

char *report_host(const char *url)
{
	const char *p, *end, *at, *start;
	char *h;
	if (!url)
		return NULL;
	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return NULL;
	end = p + strcspn(p, "/?#");
	start = p;
	/* user info ends at the last '@' before the path */
	for (at = p; at < end; at++)
		if (*at == '@')
			start = at + 1;
	if (*start == '[') {                 /* IPv6 literal */
		const char *rb = memchr(start, ']', (size_t)(end - start));
		if (!rb)
			return NULL;
		end = rb + 1;
	} else {
		const char *colon = memchr(start, ':', (size_t)(end - start));
		if (colon)
			end = colon;
	}
	if (end <= start)
		return NULL;
	h = xstrndup(start, (size_t)(end - start));
	for (char *q = h; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return h;
}

char *report_reason_class(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(n + 1);
	for (size_t i = 0; i < n;) {
		size_t hex = 0, dig = 0;
		while (i + hex < n && isxdigit((unsigned char)s[i + hex]))
			hex++;
		while (i + dig < n && isdigit((unsigned char)s[i + dig]))
			dig++;
		int word_start = i == 0 || !isalnum((unsigned char)s[i - 1]);
		if (word_start && hex >= 8 && (i + hex == n || !isalnum((unsigned char)s[i + hex]))) {
			memcpy(out + o, "HEX", 3);
			o += 3;
			i += hex;
		} else if (dig > 0 && word_start && (i + dig == n || !isalpha((unsigned char)s[i + dig]))) {
			int status = (o >= 5 && strncasecmp(out + o - 5, "HTTP ", 5) == 0) ||
			             (o >= 5 && strncasecmp(out + o - 5, "HTTP/", 5) == 0) ||
			             (o >= 7 && strncasecmp(out + o - 7, "status ", 7) == 0);
			if (status) {
				memcpy(out + o, s + i, dig);
				o += dig;
			} else {
				out[o++] = 'N';
			}
			i += dig;
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
	return out;
}

const char *report_count(char *buf, size_t len, long long n)
{
	char digits[32];
	unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
	size_t nd = (size_t)snprintf(digits, sizeof digits, "%llu", u), o = 0;
	if (len == 0)
		return buf;
	if (n < 0 && o + 1 < len)
		buf[o++] = '-';
	for (size_t i = 0; i < nd && o + 1 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0 && o + 2 < len)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

size_t report_csv_split(char *line, char **fields, size_t max)
{
	size_t n = 0, len = strlen(line);
	char *r = line, *w;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (max == 0)
		return 0;
	for (;;) {
		fields[n++] = w = r;
		if (*r == '"') {
			r++;
			for (;;) {
				if (*r == '\0')
					break;
				if (*r == '"') {
					if (r[1] == '"') {
						*w++ = '"';
						r += 2;
						continue;
					}
					r++;
					break;
				}
				*w++ = *r++;
			}
			/* anything after the closing quote up to the comma is kept */
			while (*r && *r != ',')
				*w++ = *r++;
		} else {
			while (*r && *r != ',')
				*w++ = *r++;
		}
		if (*r == ',') {
			*w = '\0';
			r++;
			if (n == max)
				return n;
			continue;
		}
		*w = '\0';
		return n;
	}
}

/* ---- training log ---- */

static int is_x_column(const char *name)
{
	return strcmp(name, "step") == 0 || strcmp(name, "epoch") == 0 ||
	       strcmp(name, "seconds") == 0 || strcmp(name, "time") == 0 ||
	       strcmp(name, "kind") == 0;
}

static int parse_num(const char *s, double *v)
{
	char *end;
	while (*s == ' ')
		s++;
	if (!*s)
		return 0;
	errno = 0;
	*v = strtod(s, &end);
	while (*end == ' ')
		end++;
	return errno == 0 && *end == '\0' && isfinite(*v);
}

static void series_add(report_series *s, double x, double y)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->x = xrealloc(s->x, s->cap * sizeof *s->x);
		s->y = xrealloc(s->y, s->cap * sizeof *s->y);
	}
	s->x[s->n] = x;
	s->y[s->n] = y;
	s->n++;
}

static report_series *chart_series(report_chart *c, const char *metric, const char *kind)
{
	char *name = kind && *kind ? xasprintf("%s (%s)", metric, kind) : xstrdup(metric);
	for (size_t i = 0; i < c->nseries; i++)
		if (strcmp(c->series[i].name, name) == 0) {
			free(name);
			return &c->series[i];
		}
	c->series = xrealloc(c->series, (c->nseries + 1) * sizeof *c->series);
	memset(&c->series[c->nseries], 0, sizeof *c->series);
	c->series[c->nseries].name = name;
	return &c->series[c->nseries++];
}

#define MAX_COLS 64

/* The header of a training log, cut into its column names. */
typedef struct log_header {
	char *text;                 /* the line, cut in place into cols */
	char *cols[MAX_COLS];
	size_t ncols;
	int xcol, kindcol;          /* -1 when there is none */
	int chart_of[MAX_COLS];     /* the chart of each column, -1 none yet */
} log_header;

/* The header line; x is step when there is one, else epoch, else the row
 * number. */
static void read_header(log_header *h, const char *line, report_trainlog *log)
{
	h->text = xstrdup(line);
	h->ncols = report_csv_split(h->text, h->cols, MAX_COLS);
	h->xcol = h->kindcol = -1;
	for (size_t i = 0; i < h->ncols; i++) {
		h->chart_of[i] = -1;
		if (strcmp(h->cols[i], "kind") == 0)
			h->kindcol = (int)i;
	}
	for (size_t i = 0; i < h->ncols && h->xcol < 0; i++)
		if (strcmp(h->cols[i], "step") == 0)
			h->xcol = (int)i;
	for (size_t i = 0; i < h->ncols && h->xcol < 0; i++)
		if (strcmp(h->cols[i], "epoch") == 0)
			h->xcol = (int)i;
	log->xname = xstrdup(h->xcol >= 0 ? h->cols[h->xcol] : "row");
}

/* One data row: a point on the chart of every numeric metric cell. */
static void add_row(report_trainlog *log, log_header *h, char *line)
{
	char *f[MAX_COLS];
	size_t n = report_csv_split(line, f, MAX_COLS);
	double xv;
	if (n > 0 && strcmp(f[0], h->cols[0]) == 0)
		return;                     /* header again (an appended log) */
	if (h->xcol < 0) {
		xv = (double)(log->rows + 1);
	} else if ((size_t)h->xcol >= n || !parse_num(f[h->xcol], &xv)) {
		log->skipped++;
		return;
	}
	log->rows++;
	for (size_t i = 0; i < n && i < h->ncols; i++) {
		double yv;
		if ((int)i == h->xcol || is_x_column(h->cols[i]) || !parse_num(f[i], &yv))
			continue;
		if (h->chart_of[i] < 0) {
			log->charts = xrealloc(log->charts, (log->ncharts + 1) * sizeof *log->charts);
			memset(&log->charts[log->ncharts], 0, sizeof *log->charts);
			log->charts[log->ncharts].metric = xstrdup(h->cols[i]);
			h->chart_of[i] = (int)log->ncharts++;
		}
		series_add(chart_series(&log->charts[h->chart_of[i]], h->cols[i],
		                        h->kindcol >= 0 && (size_t)h->kindcol < n ? f[h->kindcol] : NULL),
		           xv, yv);
	}
}

int report_trainlog_read(const char *path, report_trainlog *log, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	log_header h = { 0 };
	int ret = -1;

	memset(log, 0, sizeof *log);
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		if (!h.text)
			read_header(&h, p, log);
		else
			add_row(log, &h, p);
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!h.text) {
		snprintf(err, errlen, "%s: no header line (expected CSV such as kind,epoch,step,loss,auc)", path);
		goto out;
	}
	ret = 0;
out:
	free(line);
	free(h.text);
	fclose(fp);
	if (ret < 0)
		report_trainlog_free(log);
	return ret;
}

void report_trainlog_free(report_trainlog *log)
{
	for (size_t c = 0; c < log->ncharts; c++) {
		for (size_t s = 0; s < log->charts[c].nseries; s++) {
			free(log->charts[c].series[s].name);
			free(log->charts[c].series[s].x);
			free(log->charts[c].series[s].y);
		}
		free(log->charts[c].series);
		free(log->charts[c].metric);
	}
	free(log->charts);
	free(log->xname);
	memset(log, 0, sizeof *log);
}

/* ---- SVG ---- */

/* A short number for an axis label. */
static void num_label(char *buf, size_t len, double v)
{
	if (v != 0 && (fabs(v) >= 1e6 || fabs(v) < 1e-3))
		snprintf(buf, len, "%.3g", v);
	else if (fabs(v - rint(v)) < 1e-9)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.4g", v);
}

void report_svg_open(FILE *out, int w, int h, const char *title)
{
	fprintf(out, "<svg class=\"chart\" role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
	        w, h, w, h);
	fputs("<title>", out);
	report_esc(out, title);
	fputs("</title>\n", out);
}

void report_svg_bars(FILE *out, const char *title, const report_bar *bars, size_t n, double total)
{
	const int lw = 130, bw = 360, rh = 22, w = lw + bw + 150;
	int h = (int)n * rh + 10;
	double max = 0;
	for (size_t i = 0; i < n; i++)
		if (bars[i].value > max)
			max = bars[i].value;
	report_svg_open(out, w, h, title);
	for (size_t i = 0; i < n; i++) {
		int y = 5 + (int)i * rh;
		double len = max > 0 ? bars[i].value / max * bw : 0;
		char c[32];
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 6, y + 15);
		report_esc(out, bars[i].label);
		fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
		        lw, y + 2, len, rh - 6, bars[i].colour ? bars[i].colour : "#4c6ef5");
		fprintf(out, "<text x=\"%.1f\" y=\"%d\">%s", lw + len + 6, y + 15,
		        report_count(c, sizeof c, (long long)llround(bars[i].value)));
		if (total > 0)
			fprintf(out, " (%.2f%%)", 100.0 * bars[i].value / total);
		fputs("</text>\n", out);
	}
	fputs("</svg>\n", out);
}

void report_svg_stacked(FILE *out, const char *title, const char *const *row_labels, size_t nrows,
                        const char *const *seg_names, const char *const *colours, size_t nseg,
                        const double *values)
{
	const int lw = 160, bw = 400, rh = 20;
	int w = lw + bw + 90;
	int legend_h = 24;
	int h = (int)nrows * rh + legend_h + 10;
	size_t lx = (size_t)lw;
	for (size_t s = 0; s < nseg; s++)
		lx += 16 + 8 * strlen(seg_names[s]) + 14;
	if ((int)lx > w)
		w = (int)lx;
	report_svg_open(out, w, h, title);
	/* legend */
	for (size_t s = 0, x = (size_t)lw; s < nseg; s++) {
		fprintf(out, "<rect x=\"%zu\" y=\"6\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%zu\" y=\"17\">",
		        x, colours[s], x + 16);
		report_esc(out, seg_names[s]);
		fputs("</text>\n", out);
		x += 16 + 8 * strlen(seg_names[s]) + 14;
	}
	for (size_t r = 0; r < nrows; r++) {
		int y = legend_h + 5 + (int)r * rh;
		double sum = 0, x = lw;
		char c[32];
		for (size_t s = 0; s < nseg; s++)
			sum += values[r * nseg + s];
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 6, y + 14);
		report_esc(out, row_labels[r]);
		fputs("</text>", out);
		for (size_t s = 0; s < nseg && sum > 0; s++) {
			double v = values[r * nseg + s], len = v / sum * bw;
			if (v <= 0)
				continue;
			fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>",
			        x, y + 2, len, rh - 5, colours[s]);
			report_esc(out, row_labels[r]);
			fprintf(out, ": %s %.0f (%.1f%%)</title></rect>", seg_names[s], v, 100 * v / sum);
			x += len;
		}
		fprintf(out, "<text x=\"%d\" y=\"%d\">%s</text>\n", lw + bw + 6, y + 14,
		        report_count(c, sizeof c, (long long)llround(sum)));
	}
	fputs("</svg>\n", out);
}

static const char *const line_colours[] = {
	"#1971c2", "#e8590c", "#2f9e44", "#ae3ec9", "#c92a2a", "#0c8599", "#5c940d", "#495057"
};

void report_svg_lines(FILE *out, const report_chart *chart, const char *xname)
{
	report_svg_lines_refs(out, chart, xname, NULL, 0);
}

/* The dashed reference lines of report_svg_lines_refs, in its plot area. */
static void draw_refs(FILE *out, const report_ref *refs, size_t nrefs, int ml, int mt, int pw, int ph, double ymin,
                      double ymax)
{
	char a[32];
	for (size_t k = 0; k < nrefs; k++) {
		double y = mt + ph - (refs[k].value - ymin) / (ymax - ymin) * ph;
		num_label(a, sizeof a, refs[k].value);
		fprintf(out, "<line class=\"ref\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
		        "stroke-dasharray=\"6 4\" stroke-width=\"1.5\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
		        "fill=\"%s\">", ml, y, ml + pw, y, refs[k].colour, ml + pw - 4, y - 3, refs[k].colour);
		report_esc(out, refs[k].name);
		fprintf(out, " %s</text>\n", a);
	}
}

void report_svg_lines_refs(FILE *out, const report_chart *chart, const char *xname, const report_ref *refs,
                           size_t nrefs)
{
	const int w = 560, ml = 60, mr = 20, mb = 40, ph = 190;
	const int mt = 10 + 16 * (int)((chart->nseries + 2) / 3), pw = w - ml - mr, h = mt + ph + mb;
	double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
	char a[32], b[32];
	size_t npts = 0;

	for (size_t s = 0; s < chart->nseries; s++)
		for (size_t i = 0; i < chart->series[s].n; i++) {
			double x = chart->series[s].x[i], y = chart->series[s].y[i];
			xmin = fmin(xmin, x); xmax = fmax(xmax, x);
			ymin = fmin(ymin, y); ymax = fmax(ymax, y);
			npts++;
		}
	if (npts == 0)
		return;
	for (size_t k = 0; k < nrefs; k++) {
		ymin = fmin(ymin, refs[k].value);
		ymax = fmax(ymax, refs[k].value);
	}
	if (xmax <= xmin) { xmin -= 1; xmax += 1; }
	if (ymax <= ymin) { double d = fabs(ymin) > 0 ? fabs(ymin) * 0.05 : 1; ymin -= d; ymax += d; }
	char *title = xasprintf("%s against %s", chart->metric, xname);
	report_svg_open(out, w, h, title);
	free(title);
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#adb5bd\"/>\n",
	        ml, mt, pw, ph);
	num_label(a, sizeof a, ymax);
	num_label(b, sizeof b, ymin);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
	        ml - 4, mt + 10, a, ml - 4, mt + ph, b);
	num_label(a, sizeof a, xmin);
	num_label(b, sizeof b, xmax);
	fprintf(out, "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
	        ml, mt + ph + 16, a, ml + pw, mt + ph + 16, b);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", ml + pw / 2, mt + ph + 34);
	report_esc(out, xname);
	fputs("</text>\n", out);
	for (size_t s = 0; s < chart->nseries; s++) {
		const report_series *se = &chart->series[s];
		const char *col = line_colours[s % (sizeof line_colours / sizeof *line_colours)];
		fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", col);
		for (size_t i = 0; i < se->n; i++)
			fprintf(out, "%s%.1f,%.1f", i ? " " : "", ml + (se->x[i] - xmin) / (xmax - xmin) * pw,
			        mt + ph - (se->y[i] - ymin) / (ymax - ymin) * ph);
		fputs("\"/>\n", out);
		if (se->n <= 60)
			for (size_t i = 0; i < se->n; i++)
				fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>",
				        ml + (se->x[i] - xmin) / (xmax - xmin) * pw,
				        mt + ph - (se->y[i] - ymin) / (ymax - ymin) * ph, col);
		fprintf(out, "\n<text x=\"%d\" y=\"%d\" fill=\"%s\">", ml + (int)(s % 3) * 170,
		        14 + (int)(s / 3) * 16, col);
		report_esc(out, se->name);
		fprintf(out, " (%zu)</text>\n", se->n);
	}
	draw_refs(out, refs, nrefs, ml, mt, pw, ph, ymin, ymax);
	fputs("</svg>\n", out);
}
