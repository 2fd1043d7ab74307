/* vlsnr-eval.c: evaluates news recommendations the way MIND's official
 * evaluate.py does. Two modes:
 *   --model MODEL --features DIR --split DIR: scores every impression of
 *     DIR/behaviors.tsv with a vlsnr-train model (news vectors once, user
 *     vectors once per impression), writes prediction.txt in the official
 *     format (labelled split or not) and, for a labelled split, prints AUC,
 *     MRR, nDCG@5 and nDCG@10 (and can write the matching truth.txt);
 *   --score TRUTH PREDICTION: the official scorer's computation on a
 *     truth.txt / prediction.txt pair (vlsnr-eval(1)): lines in truth order, ids
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

/* One impression's numbers for --score, the buffers reused line after line. */
typedef struct impression {
	long *labels, *ranks;   /* [nl] */
	size_t lcap, rcap;
	long nl;                /* labels */
	double *sc;             /* [nl] 1 / rank */
	int8_t *lab8;           /* [nl] */
	size_t scap;
} impression;

/* im->labels from truth line `line` (its id into *tid); -1 (warned) when the
 * line is not "ID [0,1,...]" */
static int read_labels(impression *im, const char *truth, size_t line, char *tl, char **tid)
{
	im->nl = parse_line(tl, tid, &im->labels, &im->lcap);
	if (im->nl < 0) {
		vm_warn("%s:%zu: invalid line (want 'ImpressionID [0,1,...]')", truth, line);
		return -1;
	}
	for (long i = 0; i < im->nl; i++)
		if (im->labels[i] != 0 && im->labels[i] != 1) {
			vm_warn("%s:%zu: label %ld is not 0 or 1", truth, line, im->labels[i]);
			return -1;
		}
	return 0;
}

/* im->ranks from prediction line pl, which must be of impression tid with
 * as many ranks as labels; every rank 1 when the line is missing (pl NULL)
 * or blank. 0 or -1 (warned). */
static int read_ranks(impression *im, const char *pred, const char *truth, size_t line, char *pl, const char *tid)
{
	char *pid;
	int blank = 1;
	for (char *q = pl; q && *q; q++)
		if (!isspace((unsigned char)*q))
			blank = 0;
	if (blank) {
		if ((size_t)im->nl > im->rcap)
			im->ranks = xrealloc(im->ranks, (im->rcap = (size_t)im->nl) * sizeof(long));
		for (long i = 0; i < im->nl; i++)
			im->ranks[i] = 1;
		return 0;
	}
	long nr = parse_line(pl, &pid, &im->ranks, &im->rcap);
	if (nr < 0) {
		vm_warn("%s:%zu: invalid line (want 'ImpressionID [r1,r2,...]')", pred, line);
		return -1;
	}
	if (strcmp(pid, tid) != 0) {
		vm_warn("%s:%zu: impression id %s, but %s:%zu has %s", pred, line, pid, truth, line, tid);
		return -1;
	}
	if (nr != im->nl) {
		vm_warn("%s:%zu: %ld ranks for the %ld labels of impression %s", pred, line, nr, im->nl, tid);
		return -1;
	}
	return 0;
}

/* The impression into m, each rank r scored 1/r. 0 or -1 (warned: a rank
 * below 1). */
static int add_impression(impression *im, vm_metrics *m, const char *pred, size_t line)
{
	if ((size_t)im->nl > im->scap) {
		im->scap = (size_t)im->nl;
		im->sc = xrealloc(im->sc, im->scap * sizeof(double));
		im->lab8 = xrealloc(im->lab8, im->scap);
	}
	for (long i = 0; i < im->nl; i++) {
		if (im->ranks[i] < 1) {
			vm_warn("%s:%zu: rank %ld: ranks start at 1", pred, line, im->ranks[i]);
			return -1;
		}
		im->sc[i] = 1.0 / (double)im->ranks[i];
		im->lab8[i] = (int8_t)im->labels[i];
	}
	vm_metrics_add(m, im->lab8, im->sc, (size_t)im->nl);
	return 0;
}

/* --score TRUTH PREDICTION: the metrics on standard output; the exit
 * status. */
static int score_files(const char *truth, const char *pred, int json)
{
	FILE *tf = fopen(truth, "r"), *pf = NULL;
	char *tl = NULL, *pl = NULL, *tid;
	size_t tcap = 0, pcap = 0, line = 0, scored = 0, unpredicted = 0;
	impression im = { 0 };
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
		if (line == 1 && pred_eof) {
			vm_warn("%s: empty: no prediction to score", pred);
			goto out;
		}
		if (read_labels(&im, truth, line, tl, &tid) < 0)
			goto out;
		if (im.nl == 0)
			continue;   /* masked impression: skipped (its prediction line is consumed) */
		scored++;
		if (pred_eof || strspn(pl, " \t\r\n") == strlen(pl))
			unpredicted++;
		if (read_ranks(&im, pred, truth, line, pred_eof ? NULL : pl, tid) < 0 ||
		    add_impression(&im, &m, pred, line) < 0)
			goto out;
	}
	if (ferror(tf) || ferror(pf)) {
		vm_warn("read error");
		goto out;
	}
	if (scored == 0) {
		vm_warn("%s: %s: no labelled impression to score", truth, line ? "every label list is empty" : "empty");
		goto out;
	}
	if (unpredicted)
		vm_warn("%s: %zu of the %zu impressions scored have no prediction (missing or blank line): scored as "
		        "every rank 1, as the official scorer does", pred, unpredicted, scored);
	print_metrics(&m, json, stdout);
	rc = VM_EXIT_OK;
out:
	if (tf)
		fclose(tf);
	if (pf)
		fclose(pf);
	free(tl);
	free(pl);
	free(im.labels);
	free(im.ranks);
	free(im.lab8);
	free(im.sc);
	return rc;
}

typedef struct eval_opts {
	const char *model, *features, *split;
	const char *pred;     /* --prediction, default prediction.txt */
	const char *truth;    /* --truth or NULL */
	int json, score, jobs;
	int history;          /* 0: the model's */
} eval_opts;

static void parse_options(eval_opts *o, vm_cli *cli, int argc, char **argv)
{
	int c;
	*o = (eval_opts){ .pred = "prediction.txt", .jobs = 1 };
	while ((c = vm_cli_next(cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_MODEL: o->model = optarg; break;
		case OPT_FEATURES: o->features = optarg; break;
		case OPT_SPLIT: o->split = optarg; break;
		case OPT_PREDICTION: o->pred = optarg; break;
		case OPT_TRUTH: o->truth = optarg; break;
		case OPT_HISTORY: o->history = (int)vm_cli_int("history", optarg, 1, 10000); break;
		case OPT_SCORE: o->score = 1; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0)
				o->json = 1;
			else if (strcmp(optarg, "text") != 0)
				vm_cli_usage_error(cli, "--format: text or json, not '%s'", optarg);
			break;
		case 'j': o->jobs = (int)vm_cli_int("jobs", optarg, 1, 256); break;
		}
	}
	if (o->score) {
		if (argc - optind != 2 || o->model)
			vm_cli_usage_error(cli, "--score takes two files, TRUTH and PREDICTION");
		return;
	}
	if (optind < argc)
		vm_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (!o->model || !o->features || !o->split)
		vm_cli_usage_error(cli, "--model, --features and --split are required (or --score TRUTH PREDICTION)");
}

/* --model mode: the model, the data it was trained on, the scores. */
typedef struct scoring {
	vlsnr_model m;
	vlsnr_feats f;
	vlsnr_split s;
	int history;
	double *scores;    /* laid out like s.cand */
	char err[1024];
} scoring;

/* The model and, as its metadata says (fields, image ratio, history unless
 * --history), the features and the split. 0 or -1 (warned). */
static int load_model_and_data(const eval_opts *o, scoring *r)
{
	int fields[NFIELDS], nf;
	if (vlsnr_load(&r->m, o->model, r->err, sizeof r->err) != 0) {
		vm_warn("%s", r->err);
		return -1;
	}
	nf = vlsnr_meta_fields(o->model, "image,title,category,subcategory", fields, r->err, sizeof r->err);
	if (nf != r->m.cfg.F) {
		vm_warn("%s: metadata 'fields' does not match the model", o->model);
		return -1;
	}
	double ratio = vlsnr_st_meta_double(o->model, "image_ratio", 1);
	r->history = o->history;
	if (!r->history) {
		r->history = vlsnr_st_meta_int(o->model, "history", 50);
		if (r->history < 1)
			r->history = 50;
	}
	if (vlsnr_feats_load(&r->f, o->features, fields, nf, ratio, r->err, sizeof r->err) != 0) {
		vm_warn("%s", r->err);
		return -1;
	}
	if (r->f.D != r->m.cfg.D) {
		vm_warn("%s: features are %d-d, the model wants %d", o->features, r->f.D, r->m.cfg.D);
		return -1;
	}
	if (vlsnr_split_load(&r->s, o->split, &r->f, r->err, sizeof r->err) != 0) {
		vm_warn("%s", r->err);
		return -1;
	}
	return 0;
}

/* path written atomically by write(fp, s, scores). 0 or -1 (warned). */
static int write_atomic(const char *path, const scoring *r,
			void (*write)(FILE *fp, const vlsnr_split *s, const double *scores))
{
	vm_atomic_file af;
	if (vm_atomic_open(&af, path) != 0) {
		vm_warn_errno("%s", path);
		return -1;
	}
	write(af.fp, &r->s, r->scores);
	if (vm_atomic_commit(&af) != 0) {
		vm_warn_errno("%s", path);
		return -1;
	}
	return 0;
}

static void write_truth(FILE *fp, const vlsnr_split *s, const double *scores)
{
	(void)scores;
	vlsnr_write_truth(fp, s);
}

/* Score o->split with o->model: prediction.txt (and truth.txt), then the
 * metrics or, for an unlabelled split, the impression count. */
static int score_model(const eval_opts *o)
{
	scoring r = { 0 };
	int status = VM_EXIT_USAGE;
	openblas_set_num_threads(o->jobs);
	if (load_model_and_data(o, &r))
		goto out;
	if (r.s.missing)
		vm_warn("%zu history or candidate items have no features (scored as empty)", r.s.missing);
	r.scores = xmalloc((r.s.cand_off[r.s.n] + 1) * sizeof(double));
	vlsnr_score_split(&r.m, &r.f, &r.s, r.history, r.scores);
	if (write_atomic(o->pred, &r, vlsnr_write_prediction))
		goto out;
	if (o->truth && !r.s.labelled) {
		vm_warn("%s/behaviors.tsv is not labelled: no %s written", o->split, o->truth);
		goto out;
	}
	if (o->truth && write_atomic(o->truth, &r, write_truth))
		goto out;
	if (r.s.labelled) {
		vm_metrics mt;
		vlsnr_split_metrics(&r.s, r.scores, &mt);
		print_metrics(&mt, o->json, stdout);
	} else if (o->json) {
		printf("{\"impressions\": %zu}\n", r.s.n);
	} else {
		printf("impressions %zu (unlabelled: ranks written to %s)\n", r.s.n, o->pred);
	}
	status = VM_EXIT_OK;
out:
	free(r.scores);
	vlsnr_split_free(&r.s);
	vlsnr_feats_free(&r.f);
	vlsnr_model_free(&r.m);
	return status;
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
	eval_opts o;
	vm_set_progname(argv[0]);
	parse_options(&o, &cli, argc, argv);
	int status = o.score ? score_files(argv[optind], argv[optind + 1], o.json) : score_model(&o);
	vm_cli_free(&cli);
	return status;
}
