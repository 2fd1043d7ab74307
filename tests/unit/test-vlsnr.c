/* test-vlsnr.c: the C model (model/vlsnr/vlsnr.c) against the PyTorch reference
 * tests/reference/vlsnr-ref.py. For each user encoder the golden file
 * tests/data/train/tiny-<encoder>.safetensors holds initial parameters, one
 * batch and float64 PyTorch's loss, parameter gradients and first 10 Adam
 * losses on that batch (lr in the metadata). Tolerances (C computes in
 * float32, the reference in float64):
 *   loss:            |c - ref| <= 1e-5 * max(1, |ref|)
 *   each gradient:   max_i |c_i - ref_i| <= 1e-5 + 1e-3 * max_i |ref_i|
 *   Adam losses:     |c - ref| <= 1e-4 * max(1, |ref|) for each of the 10.
 * Also: a checkpoint written by vlsnr_save and read back by vlsnr_load holds
 * the same bits; the optimizer state round-trips; a bad file is an error. */
#include "config.h"
#include "tap.h"
#include "model/vlsnr/vlsnr.h"
#include "model/vlsnr/layers.h"
#include "vmind/lib/safetensors.h"
#include "vmind/lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *path_label = "";   /* which attention path is under test */
static int gemm_min_t = MHA_GEMM_MIN_T;  /* and its vlsnr_acts.mha_gemm_min_t */

static const void *need(const vm_st_file *st, const char *name, int dtype, size_t *count)
{
	const vm_st_tensor *t = vm_st_find(st, name);
	if (!t || t->dtype != dtype) {
		printf("# golden tensor %s missing or not of dtype %d\n", name, dtype);
		exit(1);
	}
	if (count)
		*count = t->nbytes / (size_t)vm_st_dtype_size(dtype);
	return t->data;
}

/* a F64 tensor copied out (the data in the file is not 8-byte aligned) */
static double *need_f64(const vm_st_file *st, const char *name, size_t *count)
{
	size_t n;
	const void *p = need(st, name, VM_ST_F64, &n);
	double *d = xmalloc((n ? n : 1) * sizeof(double));
	memcpy(d, p, n * sizeof(double));
	if (count)
		*count = n;
	return d;
}

static void *copy(const void *p, size_t bytes)
{
	void *q = xmalloc(bytes ? bytes : 1);
	memcpy(q, p, bytes);
	return q;
}

static void check_case(const char *dir, const char *user)
{
	char path[4096], err[512];
	snprintf(path, sizeof path, "%s/tests/data/train/tiny-%s.safetensors", dir, user);
	vm_st_file st;
	if (vm_st_open(&st, path, err, sizeof err) != 0) {
		ok(0, "%s%s: golden file readable (%s)", path_label, user, err);
		return;
	}
	vlsnr_config c;
	char *v;
	const char *keys[] = { "D", "F", "NH", "E", "A", "M" };
	int *vals[] = { &c.D, &c.F, &c.NH, &c.E, &c.A, &c.M };
	for (int i = 0; i < 6; i++) {
		v = vlsnr_st_meta(path, keys[i]);
		*vals[i] = v ? atoi(v) : 0;
		free(v);
	}
	v = vlsnr_st_meta(path, "user_encoder");
	c.user = vlsnr_user_parse(v ? v : "?");
	free(v);
	v = vlsnr_st_meta(path, "lr");
	float lr = v ? (float)atof(v) : 0;
	free(v);

	vlsnr_model m;
	vlsnr_model_create(&m, &c);
	for (int i = 0; i < P_COUNT; i++) {
		char name[128];
		size_t n;
		snprintf(name, sizeof name, "param.%s", m.t[i].name);
		const float *p = need(&st, name, VM_ST_F32, &n);
		if (n != m.t[i].size) {
			printf("# %s: size %zu, model wants %zu\n", name, n, m.t[i].size);
			exit(1);
		}
		memcpy(vlsnr_param(&m, i), p, n * sizeof(float));
	}
	size_t nf, nh, nm, nc;
	const void *pf = need(&st, "feats", VM_ST_F32, &nf), *ph = need(&st, "hist", VM_ST_I32, &nh);
	const void *pm = need(&st, "hmask", VM_ST_F32, &nm), *pc = need(&st, "cand", VM_ST_I32, &nc);
	float *feats = copy(pf, nf * sizeof(float)), *hmask = copy(pm, nm * sizeof(float));
	int32_t *hist = copy(ph, nh * 4), *cand = copy(pc, nc * 4);
	int U = (int)(nf / ((size_t)c.F * c.D));
	int B = 5, P = (int)(nh / 5), NC = (int)(nc / 5);
	double *want_loss = need_f64(&st, "loss", NULL);

	vlsnr_acts a;
	vlsnr_acts_create(&a, &c, U, B, P, NC);
	a.mha_gemm_min_t = gemm_min_t;
	vlsnr_zero_grad(&m);
	double loss = vlsnr_forward_backward(&m, &a, feats, U, hist, hmask, cand, B, 0, NULL, 1);
	is_near(loss, *want_loss, 1e-5 * fmax(1, fabs(*want_loss)), "%s%s: loss matches PyTorch", path_label, user);

	int bad = 0;
	double worst = 0;
	for (int i = 0; i < P_COUNT; i++) {
		char name[128];
		size_t n;
		snprintf(name, sizeof name, "grad.%s", m.t[i].name);
		double *g = need_f64(&st, name, &n);
		const float *cg = vlsnr_grad(&m, i);
		double mx = 0, err_ = 0;
		for (size_t k = 0; k < n; k++) {
			mx = fmax(mx, fabs(g[k]));
			err_ = fmax(err_, fabs(cg[k] - g[k]));
		}
		if (err_ > 1e-5 + 1e-3 * mx) {
			printf("#   %s: max abs error %.3g (max |ref| %.3g)\n", name, err_, mx);
			bad++;
		}
		worst = fmax(worst, err_);
		free(g);
	}
	ok(bad == 0, "%s%s: all %d parameter gradients match PyTorch (max abs err %.2g)", path_label, user, P_COUNT, worst);

	/* 10 Adam steps on the same batch from the same start */
	size_t nl;
	double *want = need_f64(&st, "adam_losses", &nl);
	bad = 0;
	for (size_t s = 0; s < nl; s++) {
		vlsnr_zero_grad(&m);
		double l = vlsnr_forward_backward(&m, &a, feats, U, hist, hmask, cand, B, 0, NULL, 1);
		if (fabs(l - want[s]) > 1e-4 * fmax(1, fabs(want[s]))) {
			printf("#   step %zu: loss %.9g, PyTorch %.9g\n", s, l, want[s]);
			bad++;
		}
		vlsnr_adam_step(&m, lr);
	}
	ok(bad == 0 && nl == 10, "%s%s: losses of the first %zu Adam steps match PyTorch", path_label, user, nl);
	free(want);
	free(want_loss);

	if (strcmp(user, "vlsnr") == 0) {
		char tmpl[] = "/tmp/test-vlsnr.XXXXXX";
		if (!mkdtemp(tmpl)) {
			ok(0, "mkdtemp");
			goto out;
		}
		char *mp = xasprintf("%s/m.safetensors", tmpl), *op = xasprintf("%s/m.opt.safetensors", tmpl);
		const char *meta[] = { "fields", "image,title,category,subcategory" };
		int rc = vlsnr_save(&m, mp, meta, 1, err, sizeof err);
		rc |= vlsnr_save_opt(&m, op, NULL, 0, err, sizeof err);
		vlsnr_model m2;
		rc |= vlsnr_load(&m2, mp, err, sizeof err);
		ok(rc == 0 && m2.nparams == m.nparams && memcmp(m2.params, m.params, m.nparams * 4) == 0 &&
		   m2.cfg.user == m.cfg.user && m2.cfg.D == m.cfg.D && m2.step == 10,
		   "checkpoint round-trips bit for bit, with config and step");
		char *f = vlsnr_st_meta(mp, "fields");
		is_str(f, "image,title,category,subcategory", "checkpoint keeps extra metadata");
		free(f);
		rc = vlsnr_load_opt(&m2, op, err, sizeof err);
		ok(rc == 0 && memcmp(m2.m, m.m, m.nparams * 4) == 0 && memcmp(m2.v, m.v, m.nparams * 4) == 0,
		   "optimizer state round-trips");
		vlsnr_model_free(&m2);
		FILE *fp = fopen(mp, "wb");
		fputs("not a model", fp);
		fclose(fp);
		rc = vlsnr_load(&m2, mp, err, sizeof err);
		ok(rc == -1 && strstr(err, mp) != NULL, "a bad checkpoint is an error naming the file: %s", err);
		unlink(mp);
		unlink(op);
		rmdir(tmpl);
		free(mp);
		free(op);
	}
out:
	vlsnr_acts_free(&a);
	vlsnr_model_free(&m);
	vm_st_close(&st);
	free(feats);
	free(hist);
	free(hmask);
	free(cand);
}

int main(void)
{
	const char *dir = getenv("top_srcdir");
	if (!dir)
		dir = ".";
	const char *users[] = { "vlsnr", "selfattn", "gru", "mean", "none" };
	for (int i = 0; i < 5; i++)
		check_case(dir, users[i]);
	/* again with the attention products as per-head sgemm calls */
	gemm_min_t = 1;
	path_label = "sgemm attention, ";
	for (int i = 0; i < 5; i++)
		check_case(dir, users[i]);
	return tap_done();
}
