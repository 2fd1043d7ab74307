/* test-report.c: unit tests of vmind/report/report-html.c, the database-free part of
 * vmind-report: HTML escaping of hostile text, which URLs may become links,
 * URL hosts, counts with separators, CSV splitting, the training-log reader
 * (the vlsnr-train layout, an appended log with a repeated header, a log
 * without step) and that the SVG charts hold escaped text only. */
#include "config.h"
#include "vmind/report/report-html.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static char *esc(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	report_esc(f, s);
	fclose(f);
	return buf;
}

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;
	snprintf(path, sizeof path, "/tmp/test-report.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	return path;
}

int main(void)
{
	char *s, buf[64], line[128], *f[8], err[256], *p;
	size_t n;
	report_trainlog log;

	s = esc("<script>alert(1)</script> & \"x\" 'y'");
	is_str(s, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;", "escaping");
	free(s);
	s = esc("a\x01" "b\x7f" "c\td");
	is_str(s, "abc\td", "control characters dropped, tab kept");
	free(s);

	ok(report_safe_url("https://example.org/x?a=1"), "https URL is linkable");
	ok(report_safe_url("HTTP://Example.org"), "scheme in any case");
	ok(!report_safe_url("javascript:alert(1)"), "javascript: is not");
	ok(!report_safe_url("data:text/html,<b>"), "data: is not");
	ok(!report_safe_url("https:///path"), "no host is not");
	ok(!report_safe_url("https://a.org/x y"), "a space is not");
	ok(!report_safe_url(NULL), "NULL is not");

	s = report_host("https://user:pw@Img.Example.ORG:8080/a/b?c#d");
	is_str(s, "img.example.org", "host without user info, port, in lower case");
	free(s);
	s = report_host("http://[::1]:80/x");
	is_str(s, "[::1]", "IPv6 literal host");
	free(s);
	s = report_host("http://a.b");
	is_str(s, "a.b", "host alone");
	free(s);
	ok(report_host("ftp://x/y") == NULL, "no host for other schemes");

	is_str(report_count(buf, sizeof buf, 130379), "130,379", "130,379");
	is_str(report_count(buf, sizeof buf, 876956123), "876,956,123", "876,956,123");
	is_str(report_count(buf, sizeof buf, 999), "999", "999");
	{
		static const char *const cases[][2] = {
			{ "page: transfer closed with 1234 bytes remaining to read", "page: transfer closed with N bytes remaining to read" },
			{ "page: transfer closed with 99 bytes remaining to read", "page: transfer closed with N bytes remaining to read" },
			{ "page: HTTP 503", "page: HTTP 503" },
			{ "image rejected by a curator (sha256 1a2b3c4d5e6f...)", "image rejected by a curator (sha256 HEX...)" },
			{ "Operation timed out after 30001 milliseconds with 0 bytes received", "Operation timed out after N milliseconds with N bytes received" },
			{ "http-5xx", "http-5xx" },
		};
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			char *c = report_reason_class(cases[i][0]);
			is_str(c, cases[i][1], "reason class of '%s'", cases[i][0]);
			free(c);
		}
		ok(report_reason_class(NULL) == NULL, "reason class of NULL is NULL");
	}
	is_str(report_count(buf, sizeof buf, -1000), "-1,000", "-1,000");
	is_str(report_count(buf, sizeof buf, 0), "0", "0");

	snprintf(line, sizeof line, "1,\"a,b\",\"say \"\"hi\"\"\",,last\r\n");
	n = report_csv_split(line, f, 8);
	ok(n == 5, "5 CSV fields (got %zu)", n);
	is_str(f[1], "a,b", "quoted comma");
	is_str(f[2], "say \"hi\"", "doubled quote");
	is_str(f[3], "", "empty field");
	is_str(f[4], "last", "CR LF stripped");

	p = write_tmp("kind,epoch,step,loss,auc,mrr,ndcg5,ndcg10,seconds\n"
	              "step,1,10,0.9,,,,,1.0\n"
	              "epoch,1,10,0.85,0.61,0.3,0.31,0.37,1.1\n"
	              "kind,epoch,step,loss,auc,mrr,ndcg5,ndcg10,seconds\n"
	              "# resumed\n"
	              "step,2,20,0.7,,,,,2.0\n"
	              "epoch,2,20,0.65,0.64,0.32,0.33,0.39,2.1\n"
	              "garbage line\n");
	ok(p && report_trainlog_read(p, &log, err, sizeof err) == 0, "vlsnr-train log read");
	is_str(log.xname, "step", "x is step");
	ok(log.rows == 4 && log.skipped == 1, "4 rows, 1 skipped (got %zu, %zu)", log.rows, log.skipped);
	ok(log.ncharts == 5, "charts loss auc mrr ndcg5 ndcg10 (got %zu)", log.ncharts);
	if (log.ncharts == 5) {
		is_str(log.charts[0].metric, "loss", "first chart is loss");
		ok(log.charts[0].nseries == 2, "loss has a step and an epoch series");
		is_str(log.charts[0].series[1].name, "loss (epoch)", "series named by kind");
		ok(log.charts[0].series[1].n == 2 && log.charts[0].series[1].x[1] == 20 &&
		   log.charts[0].series[1].y[1] == 0.65, "epoch loss points");
		is_str(log.charts[1].metric, "auc", "second chart is auc");
		ok(log.charts[1].nseries == 1 && log.charts[1].series[0].n == 2, "auc: 2 points");
	}
	report_trainlog_free(&log);
	unlink(p);

	p = write_tmp("epoch,dev_auc,<b>loss</b>\n1,0.6,2\n2,0.65,1.5\n3,0.7,1\n");
	ok(p && report_trainlog_read(p, &log, err, sizeof err) == 0, "log without step read");
	is_str(log.xname, "epoch", "x is epoch");
	ok(log.ncharts == 2 && log.charts[0].series[0].n == 3, "dev_auc: 3 points");
	{
		char *out = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&out, &len);
		for (size_t c = 0; c < log.ncharts; c++)
			report_svg_lines(m, &log.charts[c], log.xname);
		fclose(m);
		ok(out && strstr(out, "&lt;b&gt;loss&lt;/b&gt;") && !strstr(out, "<b>"), "column names escaped in the SVG");
		ok(out && strstr(out, "<polyline") != NULL, "a polyline");
		free(out);
	}
	report_trainlog_free(&log);
	unlink(p);

	p = write_tmp("");
	ok(p && report_trainlog_read(p, &log, err, sizeof err) == -1 && strstr(err, "no header"), "empty log refused: %s", err);
	unlink(p);
	ok(report_trainlog_read("/nonexistent/x.csv", &log, err, sizeof err) == -1, "missing log refused");

	{
		char *out = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&out, &len);
		report_bar bars[2] = { { "<i>a</i>", 3, "#000" }, { "b", 1, NULL } };
		report_svg_bars(m, "t&t", bars, 2, 4);
		fclose(m);
		ok(out && strstr(out, "&lt;i&gt;a&lt;/i&gt;") && strstr(out, "3 (75.00%)") && strstr(out, "t&amp;t"),
		   "bar chart: escaped labels, value and share");
		free(out);
	}
	return tap_done();
}
