/* vlsnr-eval.c: evaluates news recommendations the way MIND's official
 * evaluate.py does. Two modes:
 *   --model MODEL --features DIR --split DIR: scores every impression of
 *     DIR/behaviors.tsv with a vlsnr-train model (news vectors once, user
 *     vectors once per impression), writes prediction.txt in the official
 *     format (labelled split or not) and, for a labelled split, prints AUC,
 *     MRR, nDCG@5 and nDCG@10 (and can write the matching truth.txt);
 *   --score TRUTH PREDICTION: the official scorer's computation on a
 *     truth.txt / prediction.txt pair (NOTES 3): lines in truth order, ids
 *     must match, a missing or empty prediction line counts as all ranks 1,
 *     impressions with an empty label list are skipped, and each rank r
 *     becomes the score 1/r. */
#include "config.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/metrics.h"
#include "vmind/lib/util.h"
#include "vlsnr-data.h"
#include "vlsnr.h"

#include <cblas.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_MODEL = 256, OPT_FEATURES, OPT_SPLIT, OPT_PREDICTION, OPT_TRUTH, OPT_FORMAT, OPT_SCORE, OPT_HISTORY };

static const vm_option options[] = {
	{ "model", OPT_MODEL, required_argument, "MODEL", "a vlsnr-train model (safetensors)" },
	{ "features", OPT_FEATURES, required_argument, "DIR", "features from vlsnr-embed" },
	{ "split", OPT_SPLIT, required_argument, "DIR", "split to score: DIR/behaviors.tsv" },
	{ "prediction", OPT_PREDICTION, required_argument, "FILE", "with --model: write the ranks here (default prediction.txt)" },
	{ "truth", OPT_TRUTH, required_argument, "FILE", "with --model: also write the split's labels as truth.txt" },
	{ "history", OPT_HISTORY, required_argument, "N", "history items used (default: the model's)" },
	{ "score", OPT_SCORE, no_argument, NULL, "score TRUTH PREDICTION files (the two arguments)" },
	{ "format", OPT_FORMAT, required_argument, "FMT", "text (default) or json" },
	{ "jobs", 'j', required_argument, "N", "BLAS threads (default 1)" },
	{ NULL, 0, 0, NULL, NULL }
};

static void print_metrics(const vm_metrics *m, int json, FILE *fp)
{
	if (json)
		fprintf(fp, "{\"auc\": %.10f, \"mrr\": %.10f, \"ndcg5\": %.10f, \"ndcg10\": %.10f, \"impressions\": %llu}\n",
			vm_metrics_auc(m), vm_metrics_mrr(m), vm_metrics_ndcg5(m), vm_metrics_ndcg10(m),
			(unsigned long long)m->impressions);
	else
		fprintf(fp, "AUC %.6f\nMRR %.6f\nnDCG@5 %.6f\nnDCG@10 %.6f\nimpressions %llu\n",
			vm_metrics_auc(m), vm_metrics_mrr(m), vm_metrics_ndcg5(m), vm_metrics_ndcg10(m),
			(unsigned long long)m->impressions);
}

/* "ID [a,b,...]" as evaluate.py's parse_line reads it: two whitespace-
 * separated tokens, the second a JSON list of integers. Returns the count,
 * or -1 on bad syntax. *id points into line (NUL-terminated). */
static long parse_line(char *line, char **id, long **vals, size_t *cap)
{
	char *p = line;
	while (isspace((unsigned char)*p))
		p++;
	*id = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	if (p == *id || !*p)
		return -1;
	*p++ = 0;
	while (isspace((unsigned char)*p))
		p++;
	char *end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = 0;
	if (*p != '[' || end[-1] != ']' || strpbrk(p, " \t"))
		return -1;
	p++;
	long n = 0;
	while (*p != ']') {
		char *e;
		errno = 0;
		long v = strtol(p, &e, 10);
		if (e == p || errno)
			return -1;
		if ((size_t)n == *cap)
			*vals = xrealloc(*vals, (*cap = *cap ? 2 * *cap : 64) * sizeof(long));
		(*vals)[n++] = v;
		p = e;
		if (*p == ',' && p[1] != ']')
			p++;
		else if (*p != ']')
			return -1;
	}
	return n;
}

static int score_files(const char *truth, const char *pred, int json)
{
	FILE *tf = fopen(truth, "r"), *pf = NULL;
	char *tl = NULL, *pl = NULL;
	size_t tcap = 0, pcap = 0, lcap = 0, rcap = 0, line = 0;
	long *labels = NULL, *ranks = NULL;
	int8_t *lab8 = NULL;
	double *sc = NULL;
	size_t scap = 0;
	int rc = VM_EXIT_USAGE, pred_eof = 0;
	vm_metrics m;
	vm_metrics_init(&m);
	if (!tf) {
		vm_warn_errno("%s", truth);
		goto out;
	}
	if (!(pf = fopen(pred, "r"))) {
		vm_warn_errno("%s", pred);
		goto out;
	}
	while (getline(&tl, &tcap, tf) > 0) {
		line++;
		ssize_t pn = pred_eof ? -1 : getline(&pl, &pcap, pf);
		if (pn <= 0)
			pred_eof = 1;
		char *tid, *pid;
		long nl = parse_line(tl, &tid, &labels, &lcap);
		if (nl < 0) {
			vm_warn("%s:%zu: invalid line (want 'ImpressionID [0,1,...]')", truth, line);
			goto out;
		}
		for (long i = 0; i < nl; i++)
			if (labels[i] != 0 && labels[i] != 1) {
				vm_warn("%s:%zu: label %ld is not 0 or 1", truth, line, labels[i]);
				goto out;
			}
		if (nl == 0)
			continue;   /* masked impression: skipped (its prediction line is consumed) */
		long nr;
		int blank = 1;
		for (char *q = pl; !pred_eof && q && *q; q++)
			if (!isspace((unsigned char)*q))
				blank = 0;
		if (pred_eof || blank) {
			/* missing line: every rank 1 */
			if ((size_t)nl > rcap)
				ranks = xrealloc(ranks, (rcap = (size_t)nl) * sizeof(long));
			for (long i = 0; i < nl; i++)
				ranks[i] = 1;
			nr = nl;
		} else {
			nr = parse_line(pl, &pid, &ranks, &rcap);
			if (nr < 0) {
				vm_warn("%s:%zu: invalid line (want 'ImpressionID [r1,r2,...]')", pred, line);
				goto out;
			}
			if (strcmp(pid, tid) != 0) {
				vm_warn("%s:%zu: impression id %s, but %s:%zu has %s", pred, line, pid, truth, line, tid);
				goto out;
			}
			if (nr != nl) {
				vm_warn("%s:%zu: %ld ranks for the %ld labels of impression %s", pred, line, nr, nl, tid);
				goto out;
			}
		}
		if ((size_t)nl > scap) {
			scap = (size_t)nl;
			sc = xrealloc(sc, scap * sizeof(double));
			lab8 = xrealloc(lab8, scap);
		}
		for (long i = 0; i < nl; i++) {
			if (ranks[i] < 1) {
				vm_warn("%s:%zu: rank %ld: ranks start at 1", pred, line, ranks[i]);
				goto out;
			}
			sc[i] = 1.0 / (double)ranks[i];
			lab8[i] = (int8_t)labels[i];
		}
		vm_metrics_add(&m, lab8, sc, (size_t)nl);
	}
	if (ferror(tf) || ferror(pf)) {
		vm_warn("read error");
		goto out;
	}
	print_metrics(&m, json, stdout);
	rc = VM_EXIT_OK;
out:
	if (tf)
		fclose(tf);
	if (pf)
		fclose(pf);
	free(tl);
	free(pl);
	free(labels);
	free(ranks);
	free(lab8);
	free(sc);
	return rc;
}

int main(int argc, char **argv)
{
	static vm_cli cli = {
		.synopsis = "vlsnr-eval --model MODEL --features DIR --split DIR [--prediction FILE] [--truth FILE] "
		            "[--format text|json]\n       vlsnr-eval --score TRUTH PREDICTION [--format text|json]",
		.summary = "Score MIND impressions with a VLSNR model, or score prediction.txt against truth.txt "
		           "as MIND's evaluate.py does.",
		.options = options,
		.footer = "Exit status: 0 done, 2 usage or input error (bad or mismatched lines included).\n",
	};
	const char *model = NULL, *features = NULL, *split = NULL, *pred = "prediction.txt", *truth = NULL;
	int c, json = 0, score = 0, jobs = 1, history = 0, status = VM_EXIT_USAGE;
	char err[1024];
	vlsnr_model m = { 0 };
	vlsnr_feats f = { 0 };
	vlsnr_split s = { 0 };
	double *scores = NULL;

	vm_set_progname(argv[0]);
	while ((c = vm_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_MODEL: model = optarg; break;
		case OPT_FEATURES: features = optarg; break;
		case OPT_SPLIT: split = optarg; break;
		case OPT_PREDICTION: pred = optarg; break;
		case OPT_TRUTH: truth = optarg; break;
		case OPT_HISTORY: history = (int)vm_cli_int("history", optarg, 1, 10000); break;
		case OPT_SCORE: score = 1; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0)
				json = 1;
			else if (strcmp(optarg, "text") != 0)
				vm_cli_usage_error(&cli, "--format: text or json, not '%s'", optarg);
			break;
		case 'j': jobs = (int)vm_cli_int("jobs", optarg, 1, 256); break;
		default: vm_cli_usage_error(&cli, NULL);
		}
	}
	if (score) {
		if (argc - optind != 2 || model)
			vm_cli_usage_error(&cli, "--score takes two files, TRUTH and PREDICTION");
		status = score_files(argv[optind], argv[optind + 1], json);
		vm_cli_free(&cli);
		return status;
	}
	if (optind < argc)
		vm_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if (!model || !features || !split)
		vm_cli_usage_error(&cli, "--model, --features and --split are required (or --score TRUTH PREDICTION)");
	openblas_set_num_threads(jobs);

	if (vlsnr_load(&m, model, err, sizeof err) != 0) {
		vm_warn("%s", err);
		goto out;
	}
	int fields[NFIELDS], nf;
	char *v = vlsnr_st_meta(model, "fields");
	nf = vlsnr_parse_fields(v ? v : "image,title,category,subcategory", fields, err, sizeof err);
	free(v);
	if (nf != m.cfg.F) {
		vm_warn("%s: metadata 'fields' does not match the model", model);
		goto out;
	}
	v = vlsnr_st_meta(model, "image_ratio");
	double ratio = v ? atof(v) : 1;
	free(v);
	if (!history) {
		v = vlsnr_st_meta(model, "history");
		history = v ? atoi(v) : 50;
		free(v);
		if (history < 1)
			history = 50;
	}
	if (vlsnr_feats_load(&f, features, fields, nf, ratio, err, sizeof err) != 0) {
		vm_warn("%s", err);
		goto out;
	}
	if (f.D != m.cfg.D) {
		vm_warn("%s: features are %d-d, the model wants %d", features, f.D, m.cfg.D);
		goto out;
	}
	char *bp = xasprintf("%s/behaviors.tsv", split);
	int lrc = vlsnr_split_load(&s, bp, &f, err, sizeof err);
	free(bp);
	if (lrc != 0) {
		vm_warn("%s", err);
		goto out;
	}
	if (s.missing)
		vm_warn("%zu history or candidate items have no features (scored as empty)", s.missing);
	scores = xmalloc((s.cand_off[s.n] + 1) * sizeof(double));
	vlsnr_score_split(&m, &f, &s, history, scores);

	vm_atomic_file af;
	if (vm_atomic_open(&af, pred) != 0) {
		vm_warn_errno("%s", pred);
		goto out;
	}
	vlsnr_write_prediction(af.fp, &s, scores);
	if (vm_atomic_commit(&af) != 0) {
		vm_warn_errno("%s", pred);
		goto out;
	}
	if (truth) {
		if (!s.labelled) {
			vm_warn("%s/behaviors.tsv is not labelled: no %s written", split, truth);
			goto out;
		}
		if (vm_atomic_open(&af, truth) != 0) {
			vm_warn_errno("%s", truth);
			goto out;
		}
		for (size_t i = 0; i < s.n; i++) {
			fprintf(af.fp, "%llu [", (unsigned long long)s.imp_id[i]);
			for (size_t k = s.cand_off[i]; k < s.cand_off[i + 1]; k++)
				fprintf(af.fp, "%s%d", k > s.cand_off[i] ? "," : "", s.label[k]);
			fputs("]\n", af.fp);
		}
		if (vm_atomic_commit(&af) != 0) {
			vm_warn_errno("%s", truth);
			goto out;
		}
	}
	if (s.labelled) {
		vm_metrics mt;
		vm_metrics_init(&mt);
		for (size_t i = 0; i < s.n; i++)
			vm_metrics_add(&mt, s.label + s.cand_off[i], scores + s.cand_off[i],
				       s.cand_off[i + 1] - s.cand_off[i]);
		print_metrics(&mt, json, stdout);
	} else if (json) {
		printf("{\"impressions\": %zu}\n", s.n);
	} else {
		printf("impressions %zu (unlabelled: ranks written to %s)\n", s.n, pred);
	}
	status = VM_EXIT_OK;
out:
	free(scores);
	vlsnr_split_free(&s);
	vlsnr_feats_free(&f);
	vlsnr_model_free(&m);
	vm_cli_free(&cli);
	return status;
}
