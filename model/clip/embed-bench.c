/* embed-bench.c: the timing half of bench/embed.sh (not installed): loads a
 * CLIP checkpoint folder and prints images/s and texts/s of the C forward
 * passes at a given batch size and thread count (and the CPU time per
 * item, steadier than the wall clock on a shared machine), the FLOP count of
 * each pass (from config.json), and the machine's sgemm GFLOP/s on the
 * shapes of the vision tower's MLP (the best of several tries, one sgemm on
 * all threads or one single-threaded sgemm per thread), so the script can
 * state the share of peak reached.
 * Usage: embed-bench MODELDIR THREADS BATCH N [items|blas]: the threads
 * split the batch among themselves (items, what vlsnr-embed does) or all
 * work inside each sgemm (blas). embed-bench MODELDIR THREADS BATCH N
 * train LAYERS (bench/finetune.sh): training pairs/s of vlsnr-embed
 * finetune's step (forward, loss, backward, Adam) of the last LAYERS blocks
 * (a number or all) from random inputs at their boundary, texts of 20
 * tokens, as tests/reference/clip-train-ref.py bench times PyTorch. */
#include "config.h"
#include "clip.h"
#include "clip-fit.h"
#include "vmind/lib/util.h"

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vips/vips.h>

/* CPU seconds of the whole process (all threads): on a shared machine a
 * steadier measure than the wall clock */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* multiply-adds of one encoder pass of T tokens */
static double encoder_macs(const clip_tower_cfg *c, double T)
{
	double D = c->hidden, NI = c->inter;
	return c->layers * (T * (4 * D * D + 2 * D * NI) + 2 * T * T * D);
}

typedef struct sg { int M, N, K; double secs; long reps; } sg;

static void *sgemm_loop(void *arg)
{
	sg *a = arg;
	float *A = xcalloc((size_t)a->M * a->K, sizeof *A), *W = xcalloc((size_t)a->N * a->K, sizeof *W);
	float *C = xcalloc((size_t)a->M * a->N, sizeof *C);
	for (size_t i = 0; i < (size_t)a->M * a->K; i++) A[i] = (float)(i % 7) * 0.1f;
	for (size_t i = 0; i < (size_t)a->N * a->K; i++) W[i] = (float)(i % 5) * 0.1f;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, a->M, a->N, a->K, 1, A, a->K, W, a->K, 0, C, a->N);
	double t0 = vm_now();
	a->reps = 0;
	do {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, a->M, a->N, a->K, 1, A, a->K, W, a->K, 0, C, a->N);
		a->reps++;
	} while (vm_now() - t0 < 0.5);
	a->secs = vm_now() - t0;
	free(A); free(W); free(C);
	return NULL;
}

/* GFLOP/s of [M,K]x[K,N] sgemm: per_thread 0: one sgemm with threads
 * OpenBLAS threads; 1: threads single-threaded sgemms (M/threads rows each)
 * at once, summed */
static double sgemm_rate(int M, int N, int K, int threads, int per_thread)
{
	if (!per_thread || threads == 1) {
		openblas_set_num_threads(threads);
		sg a = {M, N, K, 0, 0};
		sgemm_loop(&a);
		return 2.0 * M * N * K * a.reps / a.secs / 1e9;
	}
	openblas_set_num_threads(1);
	sg *a = xcalloc((size_t)threads, sizeof *a);
	pthread_t *th = xcalloc((size_t)threads, sizeof *th);
	for (int t = 0; t < threads; t++) {
		a[t] = (sg){M / threads, N, K, 0, 0};
		if (t) pthread_create(&th[t], NULL, sgemm_loop, &a[t]);
	}
	sgemm_loop(&a[0]);
	double g = 0;
	for (int t = 0; t < threads; t++) {
		if (t) pthread_join(th[t], NULL);
		g += 2.0 * a[t].M * N * K * a[t].reps / a[t].secs / 1e9;
	}
	free(a);
	free(th);
	return g;
}

/* pseudo-random floats in [-1, 1) into x[n] */
static void fill(float *x, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) x[i] = (float)((vm_splitmix64(&seed) >> 40) / 8388608.0 - 1.0);
}

/* training pairs/s of the last layers blocks (CLIP_FIT_ALL: every tensor) */
static void bench_train(const clip_model *m, int threads, int B, int N, int layers)
{
	clip_fit f;
	char err[1024];
	int T = 20;
	if (clip_fit_init(&f, m, layers, err, sizeof err) < 0) vm_die("%s", err);
	clip_fit_prepare(&f, B, T, threads);
	size_t nv = clip_fit_in_floats(&f.v, T), nt = clip_fit_in_floats(&f.t, T);
	float *vin = xmalloc((size_t)B * nv * sizeof *vin), *tin = xmalloc((size_t)B * nt * sizeof *tin);
	int32_t *ids = xmalloc((size_t)B * T * sizeof *ids);
	int *at = xmalloc((size_t)B * sizeof *at);
	fill(vin, (size_t)B * nv, 1);
	fill(tin, (size_t)B * nt, 2);
	uint64_t s = 3;
	for (int i = 0; i < B * T; i++) ids[i] = (int32_t)(vm_splitmix64(&s) % (uint64_t)(m->cfg.vocab_size - 2));
	for (int b = 0; b < B; b++) {
		ids[b * T + T - 1] = clip_bpe_eos(m->tok);
		at[b] = T - 1;
	}
	clip_fit_batch b = {B, vin, f.t.in == CLIP_IN_RAW ? NULL : tin, f.t.in == CLIP_IN_RAW ? ids : NULL, T, at};
	clip_fit_step(&f, &b);   /* warm up */
	clip_fit_adam(&f, 1e-5f);
	double t0 = vm_now(), c0 = cpu_now();
	int done = 0;
	while (done < N) {
		clip_fit_step(&f, &b);
		clip_fit_adam(&f, 1e-5f);
		done += B;
	}
	double dt = vm_now() - t0, dc = cpu_now() - c0;
	char lname[16];
	snprintf(lname, sizeof lname, layers == CLIP_FIT_ALL ? "all" : "%d", layers);
	printf("c train_pairs_per_s %.3f layers %s batch %d threads %d params %zu cpu_ms_per_pair %.2f\n", done / dt, lname,
	       B, threads, f.nparams, 1e3 * dc / done);
	free(vin); free(tin); free(ids); free(at);
	clip_fit_free(&f);
}

int main(int argc, char **argv)
{
	vm_set_progname(argv[0]);
	int train = argc == 7 && strcmp(argv[5], "train") == 0;
	if (argc != 5 && argc != 6 && !train) {
		fprintf(stderr, "usage: embed-bench MODELDIR THREADS BATCH N [items|blas|train LAYERS]\n");
		return 2;
	}
	if (VIPS_INIT(argv[0])) return 2;
	int threads = atoi(argv[2]), B = atoi(argv[3]), N = atoi(argv[4]);
	int blas = argc == 6 && strcmp(argv[5], "blas") == 0;
	const char *mode = blas ? "blas" : "items";
	openblas_set_num_threads(threads);
	clip_model m;
	char err[1024];
	if (clip_load(&m, argv[1], err, sizeof err) < 0) vm_die("%s", err);
	if (train) {
		bench_train(&m, threads, B, N, strcmp(argv[6], "all") ? atoi(argv[6]) : CLIP_FIT_ALL);
		clip_free(&m);
		vips_shutdown();
		return 0;
	}
	const clip_config *c = &m.cfg;
	int S = c->image_size, P = c->patch_size, np = (S / P) * (S / P);
	float *pix = xmalloc((size_t)B * 3 * S * S * sizeof *pix);
	uint64_t s = 1;
	for (size_t i = 0; i < (size_t)B * 3 * S * S; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		pix[i] = (float)((s >> 40) & 0xffff) / 32768.0f - 1.0f;
	}
	float *out = xmalloc((size_t)B * c->proj_dim * sizeof *out);
	double img_flop = 2 * ((double)np * 3 * P * P * c->v.hidden + encoder_macs(&c->v, np + 1) +
			       (double)c->v.hidden * c->proj_dim);
	/* the same 12-word text as the PyTorch side */
	int32_t ids[77];
	int T = clip_bpe_encode(m.tok, "a photo of a fox number 7 on the grass near the river", ids, c->max_pos);
	int32_t *bids = xmalloc((size_t)B * T * sizeof *bids);
	for (int b = 0; b < B; b++) memcpy(bids + (size_t)b * T, ids, (size_t)T * sizeof *ids);
	double txt_flop = 2 * (encoder_macs(&c->t, T) + (double)c->t.hidden * c->proj_dim);

#define IMG() (blas ? clip_image_forward(&m, pix, B, out, threads) : clip_image_forward_mt(&m, pix, B, out, threads))
#define TXT() (blas ? clip_text_forward(&m, bids, B, T, out, threads) \
		    : clip_text_forward_mt(&m, bids, B, T, out, threads))
	IMG();   /* warm up */
	double t0 = vm_now(), c0 = cpu_now();
	int done = 0;
	while (done < N) { IMG(); done += B; }
	double dt = vm_now() - t0, dc = cpu_now() - c0;
	printf("c images_per_s %.3f batch %d threads %d mode %s gflops %.2f cpu_ms_per_item %.2f\n", done / dt, B,
	       threads, mode, img_flop * done / dt / 1e9, 1e3 * dc / done);
	TXT();
	t0 = vm_now();
	c0 = cpu_now();
	done = 0;
	while (done < N) { TXT(); done += B; }
	dt = vm_now() - t0;
	dc = cpu_now() - c0;
	printf("c texts_per_s %.3f batch %d threads %d mode %s tokens %d gflops %.2f cpu_ms_per_item %.2f\n", done / dt,
	       B, threads, mode, T, txt_flop * done / dt / 1e9, 1e3 * dc / done);
	/* sgemm peak on the MLP's shape, M = the batch's tokens (at least 512):
	 * the best of 3 tries each of one sgemm on all threads and of one
	 * single-threaded sgemm per thread at once (what the items mode does) */
	int M = B * (np + 1) < 512 ? 512 : B * (np + 1);
	double best = 0;
	for (int rep = 0; rep < 3; rep++) {
		double g = sgemm_rate(M, c->v.inter, c->v.hidden, threads, 0);
		if (g > best) best = g;
		g = sgemm_rate(M, c->v.inter, c->v.hidden, threads, 1);
		if (g > best) best = g;
	}
	printf("sgemm_gflops %.2f m %d n %d k %d threads %d\n", best, M, c->v.inter, c->v.hidden, threads);
	free(pix); free(out); free(bids);
	clip_free(&m);
	vips_shutdown();
	return 0;
}
