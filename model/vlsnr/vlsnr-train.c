/* vlsnr-train.c: trains the VLSNR model (model/vlsnr/vlsnr.h) on a MIND split
 * and the features vlsnr-embed wrote, with batches from the data loader
 * (loader.h: each clicked candidate of a labelled impression scored against
 * K non-clicks of the same impression, samples shuffled each epoch; a
 * batch's news vectors are computed once per distinct news item). Adam; the
 * model is checkpointed atomically as safetensors at the end of every epoch,
 * with the optimizer state beside it (MODEL.opt), so --resume continues a
 * killed run from its last finished epoch. A NaN or infinite loss stops the
 * run (exit 1) with the last good checkpoint kept. The epoch's random stream
 * is a function of --seed and the epoch number only, so a run is
 * reproducible with -j 1. */
#include "config.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/metrics.h"
#include "vmind/lib/progress.h"
#include "vmind/lib/util.h"
#include "loader.h"
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
	const char *synth;        /* --synth-features MINDDIR */
	const char *fields_text;  /* --fields */
	int epochs, batch, negatives, history, heads, dim, att_dim, user, jobs, resume, quiet;
	int lr_linear;    /* --lr-schedule linear */
	double lr, dropout, image_ratio, mask_prob;
	uint64_t seed;
	int fields[NFIELDS], nf;
	uint64_t given;           /* bit c - OPT_TRAIN: option c was on the command line */
} opts;

/* A training run: its options and everything it holds. */
typedef struct trainer {
	opts o;
	char *opt_path, *log_path;   /* MODEL.opt, the CSV log */
	int start_epoch;             /* epochs finished before this run */
	vlsnr_feats f;
	vlsnr_split tr, dev;
	vlsnr_model m;
	vlsnr_acts a;
	vlsnr_loader l;
	FILE *logf;
	vm_progress line;            /* the progress line (steps of the whole run) */
	char err[1024];
} trainer;

/* The xorshift state of an epoch: splitmix64's output function of seed *
 * golden + epoch * 0xD1B54A32D192ED03 + 1 (vm_mix64 adds the golden ratio
 * itself, hence seed - 1); never 0. */
static uint64_t epoch_seed(uint64_t seed, int epoch)
{
	uint64_t z = vm_mix64((seed - 1) * 0x9E3779B97F4A7C15ULL + (uint64_t)epoch * 0xD1B54A32D192ED03ULL + 1);
	return z ? z : 1;
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

static void parse_options(opts *o, vm_cli *cli, int argc, char **argv)
{
	int c;
	*o = (opts){ 0 };
	o->epochs = 3; o->batch = 256; o->negatives = 3; o->history = 50; o->heads = 8; o->dim = 128;
	o->att_dim = 128; o->user = VLSNR_USER_VLSNR; o->jobs = 1; o->lr = 1e-4; o->dropout = 0.5;
	o->image_ratio = 1; o->mask_prob = 0.1; o->seed = 1;
	o->fields_text = "image,title,category,subcategory";
	while ((c = vm_cli_next(cli, argc, argv)) != -1) {
		if (c >= OPT_TRAIN && c < OPT_TRAIN + 64)
			o->given |= 1ULL << (c - OPT_TRAIN);
		switch (c) {
		case OPT_TRAIN: o->train = optarg; break;
		case OPT_FEATURES: o->features = optarg; break;
		case OPT_OUT: o->out = optarg; break;
		case OPT_DEV: o->dev = optarg; break;
		case OPT_EPOCHS: o->epochs = (int)vm_cli_int("epochs", optarg, 1, 100000); break;
		case OPT_BATCH: o->batch = (int)vm_cli_int("batch", optarg, 1, 1 << 16); break;
		case OPT_LR: o->lr = vm_cli_double("lr", optarg, 0, 1e300); break;
		case OPT_LR_SCHEDULE:
			if (strcmp(optarg, "constant") == 0) o->lr_linear = 0;
			else if (strcmp(optarg, "linear") == 0) o->lr_linear = 1;
			else vm_cli_usage_error(cli, "--lr-schedule: '%s' is not constant or linear", optarg);
			break;
		case OPT_NEGATIVES: o->negatives = (int)vm_cli_int("negatives", optarg, 1, 1000); break;
		case OPT_HISTORY: o->history = (int)vm_cli_int("history", optarg, 1, 10000); break;
		case OPT_DROPOUT: o->dropout = vm_cli_double("dropout", optarg, 0, 0.95); break;
		case OPT_HEADS: o->heads = (int)vm_cli_int("heads", optarg, 1, 256); break;
		case OPT_DIM: o->dim = (int)vm_cli_int("dim", optarg, 1, 1 << 14); break;
		case OPT_ATT_DIM: o->att_dim = (int)vm_cli_int("att-dim", optarg, 1, 1 << 14); break;
		case OPT_USER:
			if ((o->user = vlsnr_user_parse(optarg)) < 0)
				vm_cli_usage_error(cli, "--user-encoder: unknown '%s'", optarg);
			break;
		case OPT_FIELDS: o->fields_text = optarg; break;
		case OPT_IMAGE_RATIO: o->image_ratio = vm_cli_double("image-ratio", optarg, 0, 1); break;
		case OPT_MASK_PROB: o->mask_prob = vm_cli_double("mask-prob", optarg, 0, 0.95); break;
		case OPT_SEED: o->seed = (uint64_t)vm_cli_int("seed", optarg, 0, INT64_MAX); break;
		case 'j': o->jobs = (int)vm_cli_int("jobs", optarg, 1, 256); break;
		case OPT_RESUME: o->resume = 1; break;
		case OPT_LOG: o->log = optarg; break;
		case 'q': o->quiet = 1; break;
		case OPT_SYNTH_FEATURES: o->synth = optarg; break;
		default: vm_cli_usage_error(cli, NULL);
		}
	}
	if (optind < argc)
		vm_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
}

/* The options a training run needs, checked (usage errors exit 2). */
static void check_options(opts *o, vm_cli *cli)
{
	char err[1024];
	if (!o->train || !o->features || !o->out)
		vm_cli_usage_error(cli, "--train, --features and --out are required");
	if ((o->nf = vlsnr_parse_fields(o->fields_text, o->fields, err, sizeof err)) < 0)
		vm_cli_usage_error(cli, "--fields: %s", err);
	if (o->dim % o->heads)
		vm_cli_usage_error(cli, "--dim (%d) must be a multiple of --heads (%d)", o->dim, o->heads);
}

/* The architecture options given with --resume must be the checkpoint's
 * (they come from it): a difference is an error, not silently ignored.
 * 0 or -1 (warned). */
static int resume_agrees(const trainer *t)
{
	const opts *o = &t->o;
	const vlsnr_config *cfg = &t->m.cfg;
	struct { int opt; const char *name; long want, have; } arch[] = {
		{ OPT_DIM, "dim", o->dim, cfg->M },
		{ OPT_HEADS, "heads", o->heads, cfg->NH },
		{ OPT_ATT_DIM, "att-dim", o->att_dim, cfg->A },
		{ OPT_USER, "user-encoder", o->user, cfg->user },
	};
	for (size_t i = 0; i < sizeof arch / sizeof arch[0]; i++) {
		if (!(o->given & 1ULL << (arch[i].opt - OPT_TRAIN)) || arch[i].want == arch[i].have)
			continue;
		if (arch[i].opt == OPT_USER)
			vm_warn("%s: --resume: the checkpoint's user encoder is %s, not the --user-encoder %s given: "
			        "drop the option, or start afresh without --resume", t->opt_path, vlsnr_user_name((int)arch[i].have),
			        vlsnr_user_name((int)arch[i].want));
		else
			vm_warn("%s: --resume: the checkpoint has --%s %ld, not the %ld given: drop the option, or start "
			        "afresh without --resume", t->opt_path, arch[i].name, arch[i].have, arch[i].want);
		return -1;
	}
	return 0;
}

/* --resume with MODEL.opt present: the model, its optimizer state and the
 * epochs done; the architecture, fields and image ratio come from the
 * checkpoint. A model file behind its .opt (killed between the two writes)
 * is written again. 0 or -1 (warned). */
static int resume(trainer *t)
{
	opts *o = &t->o;
	if (!o->resume)
		return 0;
	if (!vm_file_exists(t->opt_path)) {
		if (!o->quiet)
			fprintf(stderr, "%s: nothing to resume (%s absent): starting afresh\n", vm_progname, t->opt_path);
		return 0;
	}
	if (vlsnr_load(&t->m, t->opt_path, t->err, sizeof t->err) != 0 ||
	    vlsnr_load_opt(&t->m, t->opt_path, t->err, sizeof t->err) != 0) {
		vm_warn("%s", t->err);
		return -1;
	}
	if (resume_agrees(t) != 0)
		return -1;
	t->start_epoch = vlsnr_st_meta_int(t->opt_path, "epoch", 0);
	char want[64], have[64];
	vlsnr_fields_text(o->fields, o->nf, want, sizeof want);
	if ((o->nf = vlsnr_meta_fields(t->opt_path, o->fields_text, o->fields, t->err, sizeof t->err)) < 0) {
		vm_warn("%s: fields: %s", t->opt_path, t->err);
		return -1;
	}
	vlsnr_fields_text(o->fields, o->nf, have, sizeof have);
	double ratio = vlsnr_st_meta_double(t->opt_path, "image_ratio", o->image_ratio);
	if (((o->given & 1ULL << (OPT_FIELDS - OPT_TRAIN)) && strcmp(want, have) != 0) ||
	    ((o->given & 1ULL << (OPT_IMAGE_RATIO - OPT_TRAIN)) && ratio != o->image_ratio)) {
		vm_warn("%s: --resume: the checkpoint has --fields %s --image-ratio %g, not the %s given: drop the option, "
		        "or start afresh without --resume", t->opt_path, have, ratio,
		        strcmp(want, have) != 0 ? "--fields" : "--image-ratio");
		return -1;
	}
	o->image_ratio = ratio;
	o->user = t->m.cfg.user;
	int model_epoch = vlsnr_st_meta_int(o->out, "epoch", -1);
	if (model_epoch != t->start_epoch && save_all(&t->m, o, t->start_epoch, t->err, sizeof t->err) != 0) {
		vm_warn("%s", t->err);
		return -1;
	}
	if (!o->quiet)
		fprintf(stderr, "%s: resuming %s after epoch %d of %d\n", vm_progname, o->out, t->start_epoch, o->epochs);
	return 0;
}

/* The features and the train (and dev) split. 0 or -1 (warned). */
static int load_data(trainer *t)
{
	const opts *o = &t->o;
	if (vlsnr_feats_load(&t->f, o->features, o->fields, o->nf, o->image_ratio, t->err, sizeof t->err) != 0 ||
	    vlsnr_split_load(&t->tr, o->train, &t->f, t->err, sizeof t->err) != 0 ||
	    (o->dev && vlsnr_split_load(&t->dev, o->dev, &t->f, t->err, sizeof t->err) != 0)) {
		vm_warn("%s", t->err);
		return -1;
	}
	if (o->dev && !t->dev.labelled) {
		vm_warn("%s/behaviors.tsv: not labelled: cannot report dev metrics", o->dev);
		return -1;
	}
	return 0;
}

/* A new model from the options and --seed, or the resumed one checked
 * against the features. 0 or -1 (warned). */
static int ready_model(trainer *t)
{
	const opts *o = &t->o;
	if (!t->m.params) {
		vlsnr_config cfg = { t->f.D, o->nf, o->heads, o->dim, o->att_dim, o->dim, o->user };
		vlsnr_model_create(&t->m, &cfg);
		vlsnr_init(&t->m, o->seed);
	} else if (t->m.cfg.D != t->f.D || t->m.cfg.F != o->nf) {
		vm_warn("%s: model has D=%d F=%d, features D=%d F=%d", t->opt_path, t->m.cfg.D, t->m.cfg.F, t->f.D,
			o->nf);
		return -1;
	}
	return 0;
}

/* The samples, and the activations sized for a batch. 0 or -1 (warned). */
static int ready_batches(trainer *t)
{
	const opts *o = &t->o;
	if (!vlsnr_loader_init(&t->l, &t->tr, &t->f, o->batch, o->history, o->negatives, o->mask_prob)) {
		vm_warn("%s/behaviors.tsv: no clicked candidate with features and a non-click to train on", o->train);
		return -1;
	}
	if (t->l.skipped && !o->quiet)
		vm_warn("%zu clicks skipped (no features, or no non-click in the impression)", t->l.skipped);
	vlsnr_acts_create(&t->a, &t->m.cfg, t->l.Umax, t->l.B, o->history, o->negatives + 1);
	return 0;
}

/* The CSV log: appended to on --resume, with the header when it is new. */
static int open_log(trainer *t)
{
	int new_log = !vm_file_exists(t->log_path);
	t->logf = fopen(t->log_path, t->o.resume ? "a" : "w");
	if (!t->logf) {
		vm_warn_errno("%s", t->log_path);
		return -1;
	}
	if (new_log || !t->o.resume)
		fprintf(t->logf, "kind,epoch,step,loss,auc,mrr,ndcg5,ndcg10,seconds\n");
	return 0;
}

/* The progress line after step st of epoch ep. */
static void show_progress(trainer *t, int ep, size_t st, double loss_sum)
{
	char detail[64];
	snprintf(detail, sizeof detail, "epoch %d/%d, loss %.4f", ep + 1, t->o.epochs, loss_sum / (double)(st + 1));
	vm_progress_update(&t->line, (uint64_t)ep * t->l.steps + st + 1, detail, st + 1 == t->l.steps);
}

/* One pass over the samples, from time t0: every step logged, the loss
 * summed into *loss_sum. VM_EXIT_OK, or VM_EXIT_ITEMS on a NaN or infinite
 * loss (warned). */
static int train_epoch(trainer *t, int ep, double t0, double *loss_sum)
{
	const opts *o = &t->o;
	vlsnr_loader *l = &t->l;
	uint64_t rng = epoch_seed(o->seed, ep);
	vlsnr_loader_shuffle(l, &rng);
	for (size_t st = 0; st < l->steps; st++) {
		vlsnr_loader_next(l, st, &rng);
		vlsnr_zero_grad(&t->m);
		double loss = vlsnr_forward_backward(&t->m, &t->a, l->x, l->U, l->hist, l->hmask, l->cand, l->Bn,
						     (float)o->dropout, &rng, 1);
		if (!isfinite(loss)) {
			vm_progress_clear(&t->line);
			vm_warn("epoch %d step %zu: the loss is %g: stopping; %s", ep + 1, st + 1, loss,
				ep > 0 ? "the checkpoint of the last finished epoch is kept"
				       : "no epoch finished, no checkpoint written");
			return VM_EXIT_ITEMS;
		}
		/* linear: lr (1 - t / T) over the T steps of the whole run */
		double lr_now = o->lr;
		if (o->lr_linear)
			lr_now = o->lr * (1.0 - (double)((size_t)ep * l->steps + st) / ((double)o->epochs * (double)l->steps));
		vlsnr_adam_step(&t->m, (float)lr_now);
		*loss_sum += loss;
		fprintf(t->logf, "step,%d,%ld,%.6f,,,,,%.3f\n", ep + 1, t->m.step, loss, vm_now() - t0);
		show_progress(t, ep, st, *loss_sum);
	}
	return VM_EXIT_OK;
}

/* After epoch ep (started at t0, summed loss loss_sum): dev metrics, the
 * epoch's log line, the checkpoint, the summary on stderr. VM_EXIT_OK, or
 * VM_EXIT_USAGE when the checkpoint cannot be written (warned). */
static int finish_epoch(trainer *t, int ep, double t0, double loss_sum)
{
	const opts *o = &t->o;
	size_t ns = t->l.n, steps = t->l.steps;
	vm_metrics mt;
	if (o->dev) {
		double *scores = xmalloc((t->dev.cand_off[t->dev.n] + 1) * sizeof(double));
		vlsnr_score_split(&t->m, &t->f, &t->dev, o->history, scores);
		vlsnr_split_metrics(&t->dev, scores, &mt);
		free(scores);
	}
	double secs = vm_now() - t0;
	if (o->dev)
		fprintf(t->logf, "epoch,%d,%ld,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f\n", ep + 1, t->m.step,
			loss_sum / (double)steps, vm_metrics_auc(&mt), vm_metrics_mrr(&mt), vm_metrics_ndcg5(&mt),
			vm_metrics_ndcg10(&mt), secs);
	else
		fprintf(t->logf, "epoch,%d,%ld,%.6f,,,,,%.3f\n", ep + 1, t->m.step, loss_sum / (double)steps, secs);
	fflush(t->logf);
	if (save_all(&t->m, o, ep + 1, t->err, sizeof t->err) != 0) {
		vm_warn("%s", t->err);
		return VM_EXIT_USAGE;
	}
	vm_progress_clear(&t->line);
	if (!o->quiet) {
		fprintf(stderr, "%s: epoch %d/%d: loss %.4f, %zu samples in %.1fs (%.0f/s)", vm_progname, ep + 1,
			o->epochs, loss_sum / (double)steps, ns, secs, (double)ns / secs);
		if (o->dev)
			fprintf(stderr, ", dev AUC %.4f MRR %.4f nDCG@5 %.4f nDCG@10 %.4f", vm_metrics_auc(&mt),
				vm_metrics_mrr(&mt), vm_metrics_ndcg5(&mt), vm_metrics_ndcg10(&mt));
		fputc('\n', stderr);
	}
	return VM_EXIT_OK;
}

/* The epochs left after start_epoch; the exit status. */
static int train(trainer *t)
{
	for (int ep = t->start_epoch; ep < t->o.epochs; ep++) {
		double t0 = vm_now(), loss_sum = 0;
		int status = train_epoch(t, ep, t0, &loss_sum);
		if (status == VM_EXIT_OK)
			status = finish_epoch(t, ep, t0, loss_sum);
		if (status != VM_EXIT_OK)
			return status;
	}
	return VM_EXIT_OK;
}

/* The model, its .opt and the log can be written: found before the first
 * step, not after the first epoch. 0 or -1 (warned). */
static int check_outputs(trainer *t)
{
	const char *paths[] = { t->o.out, t->opt_path, t->log_path };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (vm_probe_writable(paths[i]) != 0) {
			vm_warn_errno("%s: cannot be written", paths[i]);
			return -1;
		}
	return 0;
}

/* A training run of the checked options; the exit status. */
static int run(const opts *o)
{
	trainer t = { 0 };
	int status = VM_EXIT_USAGE;
	t.o = *o;
	openblas_set_num_threads(o->jobs);
	t.opt_path = xasprintf("%s.opt", o->out);
	t.log_path = o->log ? xstrdup(o->log) : xasprintf("%s.csv", o->out);
	if (check_outputs(&t) || resume(&t) || load_data(&t) || ready_model(&t) || ready_batches(&t) || open_log(&t))
		goto out;
	vm_progress_start(&t.line, "steps", (uint64_t)t.start_epoch * t.l.steps, (uint64_t)o->epochs * t.l.steps,
	                  o->quiet, "run it again with --resume to go on after the last finished epoch");
	status = train(&t);
	vm_progress_end(&t.line);
out:
	if (t.logf && fclose(t.logf) != 0 && status == VM_EXIT_OK) {
		vm_warn_errno("%s", t.log_path);
		status = VM_EXIT_USAGE;
	}
	vlsnr_acts_free(&t.a);
	vlsnr_model_free(&t.m);
	vlsnr_feats_free(&t.f);
	vlsnr_split_free(&t.tr);
	vlsnr_split_free(&t.dev);
	vlsnr_loader_free(&t.l);
	free(t.log_path);
	free(t.opt_path);
	return status;
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
	opts o;
	vm_set_progname(argv[0]);
	parse_options(&o, &cli, argc, argv);
	if (o.synth) {
		if (!o.features)
			vm_cli_usage_error(&cli, "--synth-features needs --features DIR to write");
		vlsnr_fake_features(o.synth, o.features, 512);
		vm_cli_free(&cli);
		return 0;
	}
	check_options(&o, &cli);
	int status = run(&o);
	vm_cli_free(&cli);
	return status;
}
