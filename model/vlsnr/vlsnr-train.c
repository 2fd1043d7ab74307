/* vlsnr-train.c: trains the VLSNR model (model/vlsnr/vlsnr.h) on a MIND split and
 * the features vlsnr-embed wrote. Each clicked candidate of a labelled
 * impression is one sample, scored against K non-clicks of the same
 * impression (drawn without replacement, or with replacement when the
 * impression has fewer than K); samples are shuffled each epoch; a batch's
 * news vectors are computed once per distinct news item. Adam; the model is
 * checkpointed atomically as safetensors at the end of every epoch, with the
 * optimizer state beside it (MODEL.opt), so --resume continues a killed run
 * from its last finished epoch. A NaN or infinite loss stops the run (exit 1)
 * with the last good checkpoint kept. The epoch's random stream is a function
 * of --seed and the epoch number only, so a run is reproducible with -j 1. */
#include "config.h"
#include "vmind/lib/cli.h"
#include "layers.h"
#include "vmind/lib/metrics.h"
#include "vmind/lib/util.h"
#include "vlsnr-data.h"
#include "vlsnr.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_TRAIN = 256, OPT_FEATURES, OPT_OUT, OPT_DEV, OPT_EPOCHS, OPT_BATCH, OPT_LR,
	OPT_NEGATIVES, OPT_HISTORY, OPT_DROPOUT, OPT_HEADS, OPT_DIM, OPT_ATT_DIM,
	OPT_USER, OPT_FIELDS, OPT_IMAGE_RATIO, OPT_MASK_PROB, OPT_SEED, OPT_RESUME, OPT_LOG,
	OPT_QUIET, OPT_SYNTH_FEATURES, OPT_LR_SCHEDULE
};

static const vm_option options[] = {
	{ "train", OPT_TRAIN, required_argument, "DIR", "training split: DIR/behaviors.tsv" },
	{ "features", OPT_FEATURES, required_argument, "DIR", "features from vlsnr-embed (ids.txt, *.npy)" },
	{ "out", OPT_OUT, required_argument, "MODEL", "model file (safetensors); optimizer state in MODEL.opt" },
	{ "dev", OPT_DEV, required_argument, "DIR", "score DIR/behaviors.tsv after each epoch" },
	{ "epochs", OPT_EPOCHS, required_argument, "N", "passes over the training samples (default 3)" },
	{ "batch", OPT_BATCH, required_argument, "N", "samples per step (default 256)" },
	{ "lr", OPT_LR, required_argument, "X", "Adam learning rate (default 1e-4)" },
	{ "lr-schedule", OPT_LR_SCHEDULE, required_argument, "NAME", "constant (default) or linear (decays to 0 at the end)" },
	{ "negatives", OPT_NEGATIVES, required_argument, "K", "non-clicks per click (default 3)" },
	{ "history", OPT_HISTORY, required_argument, "N", "most recent history items used (default 50)" },
	{ "dropout", OPT_DROPOUT, required_argument, "P", "dropout rate (default 0.5)" },
	{ "heads", OPT_HEADS, required_argument, "N", "attention heads (default 8)" },
	{ "dim", OPT_DIM, required_argument, "N", "news and user vector size (default 128)" },
	{ "att-dim", OPT_ATT_DIM, required_argument, "N", "additive attention size (default 128)" },
	{ "user-encoder", OPT_USER, required_argument, "NAME", "vlsnr (default), selfattn, gru, mean or none" },
	{ "fields", OPT_FIELDS, required_argument, "LIST", "news fields (default image,title,category,subcategory)" },
	{ "image-ratio", OPT_IMAGE_RATIO, required_argument, "R", "share of news keeping their image (default 1)" },
	{ "mask-prob", OPT_MASK_PROB, required_argument, "P", "history items masked as noise in training (default 0.1)" },
	{ "seed", OPT_SEED, required_argument, "N", "random seed (default 1)" },
	{ "jobs", 'j', required_argument, "N", "BLAS threads (default 1)" },
	{ "resume", OPT_RESUME, no_argument, NULL, "continue from MODEL and MODEL.opt" },
	{ "log", OPT_LOG, required_argument, "FILE", "CSV log (default MODEL.csv)" },
	{ "synth-features", OPT_SYNTH_FEATURES, required_argument, "MINDDIR", "test scaffolding: write --features DIR from a vmind-synth dataset, exit" },
	{ "quiet", 'q', no_argument, NULL, "no progress or epoch lines" },
	{ NULL, 0, 0, NULL, NULL }
};

typedef struct opts {
	const char *train, *features, *out, *dev, *log;
	int epochs, batch, negatives, history, heads, dim, att_dim, user, jobs, resume, quiet;
	int lr_linear;    /* --lr-schedule linear */
	double lr, dropout, image_ratio, mask_prob;
	uint64_t seed;
	int fields[NFIELDS], nf;
} opts;

/* one training sample: impression and the position of its click */
typedef struct sample {
	uint32_t imp;
	uint32_t pos;   /* index into cand of the split */
} sample;

/* The xorshift state of an epoch: splitmix64's output function of seed *
 * golden + epoch * 0xD1B54A32D192ED03 + 1 (vm_mix64 adds the golden ratio
 * itself, hence seed - 1); never 0. */
static uint64_t epoch_seed(uint64_t seed, int epoch)
{
	uint64_t z = vm_mix64((seed - 1) * 0x9E3779B97F4A7C15ULL + (uint64_t)epoch * 0xD1B54A32D192ED03ULL + 1);
	return z ? z : 1;
}

static uint32_t below(uint64_t *rng, uint32_t n)
{
	return (uint32_t)((layers_rand(rng) >> 32) % n);
}

/* the training options a checkpoint records (metadata key/value pairs) */
static int meta_of(const opts *o, int epoch, char bufs[][64], const char **kv)
{
	int n = 0;
#define KV(key, ...) (snprintf(bufs[n], 64, __VA_ARGS__), kv[2 * n] = (key), kv[2 * n + 1] = bufs[n], n++)
	KV("epoch", "%d", epoch);
	KV("image_ratio", "%.17g", o->image_ratio);
	KV("history", "%d", o->history);
	KV("negatives", "%d", o->negatives);
	KV("batch", "%d", o->batch);
	KV("lr", "%.17g", o->lr);
	KV("lr_schedule", "%s", o->lr_linear ? "linear" : "constant");
	KV("dropout", "%.17g", o->dropout);
	KV("mask_prob", "%.17g", o->mask_prob);
	KV("seed", "%llu", (unsigned long long)o->seed);
#undef KV
	vlsnr_fields_text(o->fields, o->nf, bufs[n], 64);
	kv[2 * n] = "fields";
	kv[2 * n + 1] = bufs[n];
	return n + 1;
}

static int save_all(const vlsnr_model *m, const opts *o, int epoch, char *err, size_t errlen)
{
	char bufs[16][64];
	const char *kv[32];
	int n = meta_of(o, epoch, bufs, kv);
	char *op = xasprintf("%s.opt", o->out);
	/* the optimizer file first: it holds everything a resume needs */
	int rc = vlsnr_save_opt(m, op, kv, n, err, errlen);
	if (rc == 0)
		rc = vlsnr_save(m, o->out, kv, n, err, errlen);
	free(op);
	return rc;
}

static void dev_metrics(const vlsnr_model *m, const vlsnr_feats *f, const vlsnr_split *dev,
			int history, vm_metrics *mt)
{
	double *scores = xmalloc((dev->cand_off[dev->n] + 1) * sizeof(double));
	vlsnr_score_split(m, f, dev, history, scores);
	vm_metrics_init(mt);
	for (size_t i = 0; i < dev->n; i++) {
		size_t k0 = dev->cand_off[i], n = dev->cand_off[i + 1] - k0;
		vm_metrics_add(mt, dev->label + k0, scores + k0, n);
	}
	free(scores);
}

static void fmt_eta(double s, char *buf, size_t len)
{
	if (s < 90)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 5400)
		snprintf(buf, len, "%.0fm", s / 60);
	else
		snprintf(buf, len, "%.1fh", s / 3600);
}

int main(int argc, char **argv)
{
	static vm_cli cli = {
		.synopsis = "vlsnr-train --train DIR --features DIR --out MODEL [--dev DIR] [--epochs N] "
		            "[--batch N] [--lr X] [--negatives K] [--history N] [--dropout P] [--heads N] "
		            "[--user-encoder vlsnr|selfattn|gru|mean|none] [--fields LIST] [--image-ratio R] "
		            "[--seed N] [-j N] [--resume]",
		.summary = "Train the VLSNR news recommendation model on MIND behaviors and news features.",
		.options = options,
		.footer = "Exit status: 0 done, 1 stopped on a NaN/Inf loss (last checkpoint kept), 2 usage or input error.\n",
	};
	opts o = { 0 };
	o.epochs = 3; o.batch = 256; o.negatives = 3; o.history = 50; o.heads = 8; o.dim = 128;
	o.att_dim = 128; o.user = VLSNR_USER_VLSNR; o.jobs = 1; o.lr = 1e-4; o.dropout = 0.5;
	o.image_ratio = 1; o.mask_prob = 0.1; o.seed = 1;
	const char *fields_text = "image,title,category,subcategory", *synth = NULL;
	char err[1024];
	int c, status = VM_EXIT_USAGE;
	vlsnr_feats f = { 0 };
	vlsnr_split tr = { 0 }, dev = { 0 };
	vlsnr_model m = { 0 };
	vlsnr_acts a = { 0 };
	sample *samples = NULL;
	uint32_t *perm = NULL, *negbuf = NULL;
	int32_t *local_of = NULL, *rows = NULL, *hist = NULL, *cand = NULL;
	uint32_t *stamp = NULL;
	float *hmask = NULL, *feats = NULL;
	char *log_path = NULL, *opt_path = NULL;
	FILE *logf = NULL;

	vm_set_progname(argv[0]);
	while ((c = vm_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_TRAIN: o.train = optarg; break;
		case OPT_FEATURES: o.features = optarg; break;
		case OPT_OUT: o.out = optarg; break;
		case OPT_DEV: o.dev = optarg; break;
		case OPT_EPOCHS: o.epochs = (int)vm_cli_int("epochs", optarg, 1, 100000); break;
		case OPT_BATCH: o.batch = (int)vm_cli_int("batch", optarg, 1, 1 << 16); break;
		case OPT_LR: o.lr = vm_cli_double("lr", optarg, 0, 1e300); break;
		case OPT_LR_SCHEDULE:
			if (strcmp(optarg, "constant") == 0) o.lr_linear = 0;
			else if (strcmp(optarg, "linear") == 0) o.lr_linear = 1;
			else vm_cli_usage_error(&cli, "--lr-schedule: '%s' is not constant or linear", optarg);
			break;
		case OPT_NEGATIVES: o.negatives = (int)vm_cli_int("negatives", optarg, 1, 1000); break;
		case OPT_HISTORY: o.history = (int)vm_cli_int("history", optarg, 1, 10000); break;
		case OPT_DROPOUT: o.dropout = vm_cli_double("dropout", optarg, 0, 0.95); break;
		case OPT_HEADS: o.heads = (int)vm_cli_int("heads", optarg, 1, 256); break;
		case OPT_DIM: o.dim = (int)vm_cli_int("dim", optarg, 1, 1 << 14); break;
		case OPT_ATT_DIM: o.att_dim = (int)vm_cli_int("att-dim", optarg, 1, 1 << 14); break;
		case OPT_USER:
			if ((o.user = vlsnr_user_parse(optarg)) < 0)
				vm_cli_usage_error(&cli, "--user-encoder: unknown '%s'", optarg);
			break;
		case OPT_FIELDS: fields_text = optarg; break;
		case OPT_IMAGE_RATIO: o.image_ratio = vm_cli_double("image-ratio", optarg, 0, 1); break;
		case OPT_MASK_PROB: o.mask_prob = vm_cli_double("mask-prob", optarg, 0, 0.95); break;
		case OPT_SEED: o.seed = (uint64_t)vm_cli_int("seed", optarg, 0, INT64_MAX); break;
		case 'j': o.jobs = (int)vm_cli_int("jobs", optarg, 1, 256); break;
		case OPT_RESUME: o.resume = 1; break;
		case OPT_LOG: o.log = optarg; break;
		case 'q': o.quiet = 1; break;
		case OPT_SYNTH_FEATURES: synth = optarg; break;
		default: vm_cli_usage_error(&cli, NULL);
		}
	}
	if (optind < argc)
		vm_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if (synth) {
		if (!o.features)
			vm_cli_usage_error(&cli, "--synth-features needs --features DIR to write");
		vlsnr_fake_features(synth, o.features, 512);
		vm_cli_free(&cli);
		return 0;
	}
	if (!o.train || !o.features || !o.out)
		vm_cli_usage_error(&cli, "--train, --features and --out are required");
	if ((o.nf = vlsnr_parse_fields(fields_text, o.fields, err, sizeof err)) < 0)
		vm_cli_usage_error(&cli, "--fields: %s", err);
	if (o.dim % o.heads)
		vm_cli_usage_error(&cli, "--dim (%d) must be a multiple of --heads (%d)", o.dim, o.heads);
	openblas_set_num_threads(o.jobs);
	opt_path = xasprintf("%s.opt", o.out);
	log_path = o.log ? xstrdup(o.log) : xasprintf("%s.csv", o.out);

	/* resume: the architecture, fields and image ratio come from the checkpoint */
	int start_epoch = 0;
	if (o.resume && vm_file_exists(opt_path)) {
		if (vlsnr_load(&m, opt_path, err, sizeof err) != 0 || vlsnr_load_opt(&m, opt_path, err, sizeof err) != 0) {
			vm_warn("%s", err);
			goto out;
		}
		char *v = vlsnr_st_meta(opt_path, "epoch");
		start_epoch = v ? atoi(v) : 0;
		free(v);
		v = vlsnr_st_meta(opt_path, "fields");
		if (v && (o.nf = vlsnr_parse_fields(v, o.fields, err, sizeof err)) < 0) {
			vm_warn("%s: fields: %s", opt_path, err);
			free(v);
			goto out;
		}
		free(v);
		v = vlsnr_st_meta(opt_path, "image_ratio");
		if (v)
			o.image_ratio = atof(v);
		free(v);
		o.user = m.cfg.user;
		char *mv = vlsnr_st_meta(o.out, "epoch");
		int model_epoch = mv ? atoi(mv) : -1;
		free(mv);
		if (model_epoch != start_epoch && save_all(&m, &o, start_epoch, err, sizeof err) != 0) {
			vm_warn("%s", err);
			goto out;
		}
		if (!o.quiet)
			fprintf(stderr, "%s: resuming %s after epoch %d of %d\n", vm_progname, o.out, start_epoch, o.epochs);
	} else if (o.resume && !o.quiet) {
		fprintf(stderr, "%s: nothing to resume (%s absent): starting afresh\n", vm_progname, opt_path);
	}

	if (vlsnr_feats_load(&f, o.features, o.fields, o.nf, o.image_ratio, err, sizeof err) != 0) {
		vm_warn("%s", err);
		goto out;
	}
	char *bp = xasprintf("%s/behaviors.tsv", o.train);
	int lrc = vlsnr_split_load(&tr, bp, &f, err, sizeof err);
	free(bp);
	if (lrc != 0) {
		vm_warn("%s", err);
		goto out;
	}
	if (o.dev) {
		bp = xasprintf("%s/behaviors.tsv", o.dev);
		lrc = vlsnr_split_load(&dev, bp, &f, err, sizeof err);
		free(bp);
		if (lrc != 0) {
			vm_warn("%s", err);
			goto out;
		}
		if (!dev.labelled) {
			vm_warn("%s/behaviors.tsv: not labelled: cannot report dev metrics", o.dev);
			goto out;
		}
	}
	if (!m.params) {
		vlsnr_config cfg = { f.D, o.nf, o.heads, o.dim, o.att_dim, o.dim, o.user };
		vlsnr_model_create(&m, &cfg);
		vlsnr_init(&m, o.seed);
	} else if (m.cfg.D != f.D || m.cfg.F != o.nf) {
		vm_warn("%s: model has D=%d F=%d, features D=%d F=%d", opt_path, m.cfg.D, m.cfg.F, f.D, o.nf);
		goto out;
	}

	/* samples: each click with a feature row in an impression that has a
	 * non-click with one */
	size_t ns = 0, scap = 0, maxneg = 1, skipped = 0;
	for (size_t i = 0; i < tr.n; i++) {
		size_t nneg = 0;
		for (size_t k = tr.cand_off[i]; k < tr.cand_off[i + 1]; k++)
			nneg += tr.label[k] == 0 && tr.cand[k] >= 0;
		if (nneg > maxneg)
			maxneg = nneg;
		for (size_t k = tr.cand_off[i]; k < tr.cand_off[i + 1]; k++) {
			if (tr.label[k] != 1)
				continue;
			if (tr.cand[k] < 0 || nneg == 0) {
				skipped++;
				continue;
			}
			if (ns == scap)
				samples = xrealloc(samples, (scap = scap ? 2 * scap : 4096) * sizeof *samples);
			samples[ns].imp = (uint32_t)i;
			samples[ns++].pos = (uint32_t)k;
		}
	}
	if (ns == 0) {
		vm_warn("%s/behaviors.tsv: no clicked candidate with features and a non-click to train on", o.train);
		goto out;
	}
	if (skipped && !o.quiet)
		vm_warn("%zu clicks skipped (no features, or no non-click in the impression)", skipped);

	int B = o.batch < (int)ns ? o.batch : (int)ns, P = o.history, K = o.negatives, NC = K + 1;
	int Umax = B * (P + NC);
	if ((size_t)Umax > f.n)
		Umax = (int)f.n;
	vlsnr_acts_create(&a, &m.cfg, Umax, B, P, NC);
	perm = xmalloc(ns * sizeof *perm);
	negbuf = xmalloc(maxneg * sizeof *negbuf);
	local_of = xmalloc(f.n * sizeof *local_of);
	stamp = xcalloc(f.n, sizeof *stamp);
	rows = xmalloc((size_t)Umax * sizeof *rows);
	hist = xmalloc((size_t)B * P * sizeof *hist);
	cand = xmalloc((size_t)B * NC * sizeof *cand);
	hmask = xmalloc((size_t)B * P * sizeof *hmask);
	feats = xmalloc((size_t)Umax * m.cfg.F * m.cfg.D * sizeof(float));

	int new_log = !vm_file_exists(log_path);
	logf = fopen(log_path, o.resume ? "a" : "w");
	if (!logf) {
		vm_warn_errno("%s", log_path);
		goto out;
	}
	if (new_log || !o.resume)
		fprintf(logf, "kind,epoch,step,loss,auc,mrr,ndcg5,ndcg10,seconds\n");

	int tty = !o.quiet && vm_stderr_is_tty();
	size_t steps = (ns + (size_t)B - 1) / (size_t)B;
	uint32_t batch_no = 0;
	status = VM_EXIT_OK;
	for (int ep = start_epoch; ep < o.epochs; ep++) {
		uint64_t rng = epoch_seed(o.seed, ep);
		double t0 = vm_now(), loss_sum = 0, last_draw = 0;
		for (size_t i = 0; i < ns; i++)
			perm[i] = (uint32_t)i;
		for (size_t i = ns - 1; i > 0; i--) {
			uint32_t j = below(&rng, (uint32_t)(i + 1)), t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
		for (size_t st = 0; st < steps; st++) {
			size_t s0 = st * (size_t)B;
			int Bn = (int)(ns - s0 < (size_t)B ? ns - s0 : (size_t)B);
			int U = 0;
			batch_no++;
#define LOCAL(row) (stamp[row] == batch_no ? local_of[row] : \
		    (stamp[row] = batch_no, rows[U] = (row), local_of[row] = U++))
			for (int b = 0; b < Bn; b++) {
				const sample *sp = &samples[perm[s0 + (size_t)b]];
				size_t h0 = tr.hist_off[sp->imp], hn = tr.hist_off[sp->imp + 1] - h0;
				size_t take = hn < (size_t)P ? hn : (size_t)P;
				int pad = P - (int)take;
				for (int t = 0; t < P; t++) {
					int32_t row = t < pad ? -1 : tr.hist[h0 + hn - take + (size_t)(t - pad)];
					if (row >= 0 && o.mask_prob > 0 && layers_randf(&rng) < o.mask_prob)
						row = -1;   /* history noise: masked out */
					hist[(size_t)b * P + t] = row >= 0 ? LOCAL(row) : -1;
					hmask[(size_t)b * P + t] = row >= 0;
				}
				int32_t *cb = cand + (size_t)b * NC;
				cb[0] = LOCAL(tr.cand[sp->pos]);
				uint32_t nneg = 0;
				for (size_t k = tr.cand_off[sp->imp]; k < tr.cand_off[sp->imp + 1]; k++)
					if (tr.label[k] == 0 && tr.cand[k] >= 0)
						negbuf[nneg++] = (uint32_t)tr.cand[k];
				for (int k = 0; k < K; k++) {
					uint32_t j;
					if (nneg >= (uint32_t)K) {   /* without replacement */
						j = (uint32_t)k + below(&rng, nneg - (uint32_t)k);
						uint32_t t = negbuf[k];
						negbuf[k] = negbuf[j];
						negbuf[j] = t;
						j = (uint32_t)k;
					} else {
						j = below(&rng, nneg);
					}
					cb[1 + k] = LOCAL((int32_t)negbuf[j]);
				}
			}
#undef LOCAL
			vlsnr_feats_fill(&f, rows, U, feats);
			vlsnr_zero_grad(&m);
			double loss = vlsnr_forward_backward(&m, &a, feats, U, hist, hmask, cand, Bn,
							     (float)o.dropout, &rng, 1);
			if (!isfinite(loss)) {
				if (tty)
					fputc('\n', stderr);
				vm_warn("epoch %d step %zu: the loss is %g: stopping; %s", ep + 1, st + 1, loss,
					ep > 0 ? "the checkpoint of the last finished epoch is kept"
					       : "no epoch finished, no checkpoint written");
				status = VM_EXIT_ITEMS;
				goto out;
			}
			/* linear: lr (1 - t / T) over the T steps of the whole run */
			double lr_now = o.lr;
			if (o.lr_linear)
				lr_now = o.lr * (1.0 - (double)((size_t)ep * steps + st) / ((double)o.epochs * (double)steps));
			vlsnr_adam_step(&m, (float)lr_now);
			loss_sum += loss;
			fprintf(logf, "step,%d,%ld,%.6f,,,,,%.3f\n", ep + 1, m.step, loss, vm_now() - t0);
			double now = vm_now();
			if (tty && (now - last_draw > 0.5 || st + 1 == steps)) {
				double rate = (double)(s0 + (size_t)Bn) / (now - t0);
				char eta[32];
				fmt_eta((double)(ns - s0 - (size_t)Bn) / rate + (double)(o.epochs - ep - 1) * ns / rate,
					eta, sizeof eta);
				fprintf(stderr, "\repoch %d/%d step %zu/%zu loss %.4f  %.0f samples/s  ETA %s   ",
					ep + 1, o.epochs, st + 1, steps, loss_sum / (double)(st + 1), rate, eta);
				last_draw = now;
			}
		}
		if (tty)
			fputc('\n', stderr);
		vm_metrics mt;
		int have_dev = 0;
		if (o.dev) {
			dev_metrics(&m, &f, &dev, P, &mt);
			have_dev = 1;
		}
		double secs = vm_now() - t0;
		if (have_dev)
			fprintf(logf, "epoch,%d,%ld,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f\n", ep + 1, m.step, loss_sum / (double)steps,
				vm_metrics_auc(&mt), vm_metrics_mrr(&mt), vm_metrics_ndcg5(&mt), vm_metrics_ndcg10(&mt), secs);
		else
			fprintf(logf, "epoch,%d,%ld,%.6f,,,,,%.3f\n", ep + 1, m.step, loss_sum / (double)steps, secs);
		fflush(logf);
		if (save_all(&m, &o, ep + 1, err, sizeof err) != 0) {
			vm_warn("%s", err);
			status = VM_EXIT_USAGE;
			goto out;
		}
		if (!o.quiet) {
			fprintf(stderr, "%s: epoch %d/%d: loss %.4f, %zu samples in %.1fs (%.0f/s)", vm_progname,
				ep + 1, o.epochs, loss_sum / (double)steps, ns, secs, (double)ns / secs);
			if (have_dev)
				fprintf(stderr, ", dev AUC %.4f MRR %.4f nDCG@5 %.4f nDCG@10 %.4f", vm_metrics_auc(&mt),
					vm_metrics_mrr(&mt), vm_metrics_ndcg5(&mt), vm_metrics_ndcg10(&mt));
			fputc('\n', stderr);
		}
	}
out:
	if (logf && fclose(logf) != 0 && status == VM_EXIT_OK) {
		vm_warn_errno("%s", log_path);
		status = VM_EXIT_USAGE;
	}
	vlsnr_acts_free(&a);
	vlsnr_model_free(&m);
	vlsnr_feats_free(&f);
	vlsnr_split_free(&tr);
	vlsnr_split_free(&dev);
	free(samples);
	free(perm);
	free(negbuf);
	free(local_of);
	free(stamp);
	free(rows);
	free(hist);
	free(cand);
	free(hmask);
	free(feats);
	free(log_path);
	free(opt_path);
	vm_cli_free(&cli);
	return status;
}
