/* vlsnr.c: the VLSNR model of vlsnr.h: parameter layout and initialisation,
 * the activation block, the forward/backward pass of a training batch
 * (news encoder once per distinct news item, user encoder, click score,
 * softmax cross-entropy), Adam, and safetensors checkpoints (8-byte
 * little-endian header length, JSON header, raw data; read back with
 * vmind/lib/safetensors.h). */
#include "config.h"
#include "vlsnr.h"
#include "layers.h"
#include "vmind/lib/safetensors.h"
#include "vmind/lib/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *user_names[] = { "vlsnr", "selfattn", "gru", "mean", "none" };

const char *vlsnr_user_name(int u)
{
	return u >= 0 && u <= VLSNR_USER_NONE ? user_names[u] : "?";
}

int vlsnr_user_parse(const char *s)
{
	for (int i = 0; i <= VLSNR_USER_NONE; i++)
		if (strcmp(s, user_names[i]) == 0)
			return i;
	return -1;
}

int vlsnr_has_o1(const vlsnr_config *c)
{
	return c->user != VLSNR_USER_SELFATT;
}

int vlsnr_has_o2(const vlsnr_config *c)
{
	return c->user == VLSNR_USER_VLSNR || c->user == VLSNR_USER_SELFATT;
}

static void set_t(vlsnr_model *m, int i, const char *name, int r, int c, size_t *off)
{
	vlsnr_tensor *t = &m->t[i];
	t->name = name;
	t->ndim = c ? 2 : 1;
	t->shape[0] = r;
	t->shape[1] = c;
	t->size = (size_t)r * (c ? c : 1);
	t->offset = *off;
	*off += t->size;
}

void vlsnr_model_create(vlsnr_model *m, const vlsnr_config *cfg)
{
	memset(m, 0, sizeof *m);
	m->cfg = *cfg;
	int D = cfg->D, E = cfg->E, A = cfg->A, M = cfg->M;
	size_t off = 0;
	set_t(m, P_NEWS_WQKV, "news.Wqkv", D, 3 * E, &off);
	set_t(m, P_NEWS_ATT_W, "news.att_W", E, A, &off);
	set_t(m, P_NEWS_ATT_B, "news.att_b", A, 0, &off);
	set_t(m, P_NEWS_ATT_Q, "news.att_q", A, 0, &off);
	set_t(m, P_NEWS_W1, "news.W1", E, M, &off);
	set_t(m, P_NEWS_B1, "news.b1", M, 0, &off);
	set_t(m, P_NEWS_W2, "news.W2", M, M, &off);
	set_t(m, P_NEWS_B2, "news.b2", M, 0, &off);
	set_t(m, P_TIME_WQKV, "time.Wqkv", M, 3 * M, &off);
	set_t(m, P_GRU_WX, "gru.Wx", M, 3 * M, &off);
	set_t(m, P_GRU_WH, "gru.Wh", M, 3 * M, &off);
	set_t(m, P_GRU_BX, "gru.bx", 3 * M, 0, &off);
	set_t(m, P_GRU_BH, "gru.bh", 3 * M, 0, &off);
	set_t(m, P_USER_WQKV, "user.Wqkv", M, 3 * M, &off);
	set_t(m, P_USER_ATT_W, "user.att_W", M, A, &off);
	set_t(m, P_USER_ATT_B, "user.att_b", A, 0, &off);
	set_t(m, P_USER_ATT_Q, "user.att_q", A, 0, &off);
	set_t(m, P_ALPHA, "alpha_raw", 1, 0, &off);
	set_t(m, P_U0, "u0", M, 0, &off);
	m->nparams = off;
	m->params = xcalloc(off, sizeof(float));
	m->grads = xcalloc(off, sizeof(float));
}

static void uniform(float *p, size_t n, float lim, uint64_t *rng)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (layers_randf(rng) * 2 - 1) * lim;
}

void vlsnr_init(vlsnr_model *m, uint64_t seed)
{
	const vlsnr_config *c = &m->cfg;
	uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
	if (!rng)
		rng = 1;
	memset(m->params, 0, m->nparams * sizeof(float));
	for (int i = 0; i < P_COUNT; i++) {
		vlsnr_tensor *t = &m->t[i];
		float *p = m->params + t->offset;
		if (i == P_GRU_WX || i == P_GRU_WH)
			uniform(p, t->size, 1.0f / sqrtf((float)c->M), &rng);
		else if (i == P_NEWS_ATT_Q || i == P_USER_ATT_Q)
			uniform(p, t->size, sqrtf(3.0f / (float)c->A), &rng);
		else if (i == P_U0)
			uniform(p, t->size, 0.01f, &rng);
		else if (t->ndim == 2) {
			int fan_out = t->shape[1];
			if (i == P_NEWS_WQKV || i == P_TIME_WQKV || i == P_USER_WQKV)
				fan_out /= 3;
			uniform(p, t->size, sqrtf(6.0f / (float)(t->shape[0] + fan_out)), &rng);
		}
	}
}

void vlsnr_model_free(vlsnr_model *m)
{
	free(m->params);
	free(m->grads);
	free(m->m);
	free(m->v);
	memset(m, 0, sizeof *m);
}

static size_t max3(size_t a, size_t b, size_t c)
{
	size_t x = a > b ? a : b;
	return x > c ? x : c;
}

void vlsnr_acts_create(vlsnr_acts *a, const vlsnr_config *c, int Umax, int Bmax, int P, int NC)
{
	memset(a, 0, sizeof *a);
	a->Umax = Umax;
	a->Bmax = Bmax;
	a->P = P;
	a->NC = NC;
	a->mha_gemm_min_t = MHA_GEMM_MIN_T;
	size_t U = (size_t)Umax, B = (size_t)Bmax, F = c->F, D = c->D, E = c->E, A = c->A, M = c->M,
	       NH = c->NH, Pp = (size_t)P;
	size_t scratch = max3(U * F * 3 * E, U * F * A, B * Pp * 3 * M + 4 * B * M);
	if (B * Pp * A > scratch)
		scratch = B * Pp * A;
	struct { float **p; size_t n; } list[] = {
		{ &a->Ld, U * F * D }, { &a->Lm, U * F * D }, { &a->qkv, U * F * 3 * E },
		{ &a->att, U * NH * F * F }, { &a->T, U * F * E }, { &a->Td, U * F * E },
		{ &a->Tm, U * F * E }, { &a->p, U * F * A }, { &a->a, U * F }, { &a->x, U * E },
		{ &a->h1, U * M }, { &a->r1, U * M }, { &a->news, U * M },
		{ &a->H, B * Pp * M }, { &a->Ce, B * NC * M }, { &a->tqkv, B * Pp * 3 * M },
		{ &a->tatt, B * NH * Pp * Pp }, { &a->S1, B * Pp * M }, { &a->gx, B * Pp * 3 * M },
		{ &a->hs, B * (Pp + 1) * M }, { &a->gates, B * Pp * 4 * M }, { &a->o1, B * M },
		{ &a->o2, B * M }, { &a->uqkv, B * Pp * 3 * M }, { &a->uatt, B * NH * Pp * Pp },
		{ &a->S2, B * Pp * M }, { &a->up, B * Pp * A }, { &a->ua, B * Pp },
		{ &a->s, B * NC }, { &a->ds, B * NC },
		{ &a->dnews, U * M }, { &a->dH, B * Pp * M }, { &a->dCe, B * NC * M },
		{ &a->dS, B * Pp * M }, { &a->do1, B * M }, { &a->do2, B * M }, { &a->dx, U * E },
		{ &a->dh1, U * M }, { &a->dr1, U * M }, { &a->dT, U * F * E }, { &a->scratch, scratch },
	};
	size_t n = sizeof list / sizeof list[0], total = 0;
	for (size_t i = 0; i < n; i++)
		total += list[i].n;
	a->block = xcalloc(total ? total : 1, sizeof(float));
	total = 0;
	for (size_t i = 0; i < n; i++) {
		*list[i].p = a->block + total;
		total += list[i].n;
	}
}

void vlsnr_acts_free(vlsnr_acts *a)
{
	free(a->block);
	memset(a, 0, sizeof *a);
}

void vlsnr_news_forward(const vlsnr_model *m, vlsnr_acts *a, const float *feats, int U,
			float dropout, uint64_t *rng)
{
	const vlsnr_config *c = &m->cfg;
	int F = c->F, D = c->D, E = c->E, A = c->A, M = c->M;
	size_t nL = (size_t)U * F * D, nT = (size_t)U * F * E;
	dropout_forward(a->Ld, a->Lm, feats, nL, dropout, rng);
	mha_forward(a->T, a->qkv, a->att, a->Ld, NULL, vlsnr_param(m, P_NEWS_WQKV), U, F, D, E, c->NH,
		    F >= a->mha_gemm_min_t);
	dropout_forward(a->Td, a->Tm, a->T, nT, dropout, rng);
	addatt_forward(a->x, a->p, a->a, a->Td, NULL, vlsnr_param(m, P_NEWS_ATT_W),
		       vlsnr_param(m, P_NEWS_ATT_B), vlsnr_param(m, P_NEWS_ATT_Q), U, F, E, A);
	linear_forward(a->h1, a->x, vlsnr_param(m, P_NEWS_W1), vlsnr_param(m, P_NEWS_B1), U, E, M);
	relu_forward(a->r1, a->h1, (size_t)U * M);
	linear_forward(a->news, a->r1, vlsnr_param(m, P_NEWS_W2), vlsnr_param(m, P_NEWS_B2), U, M, M);
}

static void news_backward(vlsnr_model *m, vlsnr_acts *a, int U)
{
	const vlsnr_config *c = &m->cfg;
	int F = c->F, D = c->D, E = c->E, A = c->A, M = c->M;
	size_t nT = (size_t)U * F * E;
	memset(a->dr1, 0, (size_t)U * M * sizeof(float));
	memset(a->dh1, 0, (size_t)U * M * sizeof(float));
	memset(a->dx, 0, (size_t)U * E * sizeof(float));
	memset(a->dT, 0, nT * sizeof(float));
	linear_backward(a->dr1, vlsnr_grad(m, P_NEWS_W2), vlsnr_grad(m, P_NEWS_B2), a->dnews,
			a->r1, vlsnr_param(m, P_NEWS_W2), U, M, M);
	relu_backward(a->dh1, a->dr1, a->r1, (size_t)U * M);
	linear_backward(a->dx, vlsnr_grad(m, P_NEWS_W1), vlsnr_grad(m, P_NEWS_B1), a->dh1,
			a->x, vlsnr_param(m, P_NEWS_W1), U, E, M);
	addatt_backward(a->dT, vlsnr_grad(m, P_NEWS_ATT_W), vlsnr_grad(m, P_NEWS_ATT_B),
			vlsnr_grad(m, P_NEWS_ATT_Q), a->scratch, a->dx, a->p, a->a, a->Td, NULL,
			vlsnr_param(m, P_NEWS_ATT_W), vlsnr_param(m, P_NEWS_ATT_Q), U, F, E, A);
	for (size_t i = 0; i < nT; i++)
		a->dT[i] *= a->Tm[i];
	/* the features are fixed: no gradient for the input fields */
	mha_backward(NULL, vlsnr_grad(m, P_NEWS_WQKV), a->scratch, a->dT, a->qkv, a->att, a->Ld,
		     NULL, vlsnr_param(m, P_NEWS_WQKV), U, F, D, E, c->NH, F >= a->mha_gemm_min_t);
}

void vlsnr_user_forward(const vlsnr_model *m, vlsnr_acts *a, const float *hmask, int B)
{
	const vlsnr_config *c = &m->cfg;
	int P = a->P, M = c->M, A = c->A, NH = c->NH, gemm = P >= a->mha_gemm_min_t;
	switch (c->user) {
	case VLSNR_USER_VLSNR:
		mha_forward(a->S1, a->tqkv, a->tatt, a->H, hmask, vlsnr_param(m, P_TIME_WQKV), B, P, M, M, NH, gemm);
		gru_forward(a->o1, a->gx, a->hs, a->gates, a->S1, hmask, vlsnr_param(m, P_GRU_WX),
			    vlsnr_param(m, P_GRU_WH), vlsnr_param(m, P_GRU_BX), vlsnr_param(m, P_GRU_BH), B, P, M);
		/* fall through: o2 as in selfattn */
		/* FALLTHROUGH */
	case VLSNR_USER_SELFATT:
		mha_forward(a->S2, a->uqkv, a->uatt, a->H, hmask, vlsnr_param(m, P_USER_WQKV), B, P, M, M, NH, gemm);
		addatt_forward(a->o2, a->up, a->ua, a->S2, hmask, vlsnr_param(m, P_USER_ATT_W),
			       vlsnr_param(m, P_USER_ATT_B), vlsnr_param(m, P_USER_ATT_Q), B, P, M, A);
		break;
	case VLSNR_USER_GRU:
		gru_forward(a->o1, a->gx, a->hs, a->gates, a->H, hmask, vlsnr_param(m, P_GRU_WX),
			    vlsnr_param(m, P_GRU_WH), vlsnr_param(m, P_GRU_BX), vlsnr_param(m, P_GRU_BH), B, P, M);
		break;
	case VLSNR_USER_MEAN:
		meanpool_forward(a->o1, a->H, hmask, B, P, M);
		break;
	default:
		for (int b = 0; b < B; b++)
			memcpy(a->o1 + (size_t)b * M, vlsnr_param(m, P_U0), (size_t)M * sizeof(float));
		break;
	}
}

static void user_backward(vlsnr_model *m, vlsnr_acts *a, const float *hmask, int B)
{
	const vlsnr_config *c = &m->cfg;
	int P = a->P, M = c->M, A = c->A, NH = c->NH, gemm = P >= a->mha_gemm_min_t;
	size_t nH = (size_t)B * P * M;
	switch (c->user) {
	case VLSNR_USER_VLSNR:
		memset(a->dS, 0, nH * sizeof(float));
		gru_backward(a->dS, vlsnr_grad(m, P_GRU_WX), vlsnr_grad(m, P_GRU_WH), vlsnr_grad(m, P_GRU_BX),
			     vlsnr_grad(m, P_GRU_BH), a->scratch, a->do1, a->gx, a->hs, a->gates, a->S1, hmask,
			     vlsnr_param(m, P_GRU_WX), vlsnr_param(m, P_GRU_WH), B, P, M);
		mha_backward(a->dH, vlsnr_grad(m, P_TIME_WQKV), a->scratch, a->dS, a->tqkv, a->tatt, a->H,
			     hmask, vlsnr_param(m, P_TIME_WQKV), B, P, M, M, NH, gemm);
		/* FALLTHROUGH */
	case VLSNR_USER_SELFATT:
		memset(a->dS, 0, nH * sizeof(float));
		addatt_backward(a->dS, vlsnr_grad(m, P_USER_ATT_W), vlsnr_grad(m, P_USER_ATT_B),
				vlsnr_grad(m, P_USER_ATT_Q), a->scratch, a->do2, a->up, a->ua, a->S2, hmask,
				vlsnr_param(m, P_USER_ATT_W), vlsnr_param(m, P_USER_ATT_Q), B, P, M, A);
		mha_backward(a->dH, vlsnr_grad(m, P_USER_WQKV), a->scratch, a->dS, a->uqkv, a->uatt, a->H,
			     hmask, vlsnr_param(m, P_USER_WQKV), B, P, M, M, NH, gemm);
		break;
	case VLSNR_USER_GRU:
		gru_backward(a->dH, vlsnr_grad(m, P_GRU_WX), vlsnr_grad(m, P_GRU_WH), vlsnr_grad(m, P_GRU_BX),
			     vlsnr_grad(m, P_GRU_BH), a->scratch, a->do1, a->gx, a->hs, a->gates, a->H, hmask,
			     vlsnr_param(m, P_GRU_WX), vlsnr_param(m, P_GRU_WH), B, P, M);
		break;
	case VLSNR_USER_MEAN:
		meanpool_backward(a->dH, a->do1, hmask, B, P, M);
		break;
	default: {
		float *g = vlsnr_grad(m, P_U0);
		for (int b = 0; b < B; b++)
			for (int k = 0; k < M; k++)
				g[k] += a->do1[(size_t)b * M + k];
		break;
	}
	}
}

void vlsnr_zero_grad(vlsnr_model *m)
{
	memset(m->grads, 0, m->nparams * sizeof(float));
}

double vlsnr_forward_backward(vlsnr_model *m, vlsnr_acts *a, const float *feats, int U,
			      const int32_t *hist, const float *hmask, const int32_t *cand,
			      int B, float dropout, uint64_t *rng, int backward)
{
	const vlsnr_config *c = &m->cfg;
	int P = a->P, NC = a->NC, M = c->M;
	int h1 = vlsnr_has_o1(c), h2 = vlsnr_has_o2(c);
	float araw = vlsnr_param(m, P_ALPHA)[0];
	vlsnr_news_forward(m, a, feats, U, dropout, rng);
	gather_forward(a->H, a->news, hist, B * P, M);
	gather_forward(a->Ce, a->news, cand, B * NC, M);
	vlsnr_user_forward(m, a, hmask, B);
	score_forward(a->s, h1 ? a->o1 : NULL, h2 ? a->o2 : NULL, a->Ce, araw, B, NC, M);
	double loss = softmax_ce_forward_backward(a->ds, a->s, B, NC);
	if (!backward)
		return loss;
	memset(a->do1, 0, (size_t)B * M * sizeof(float));
	memset(a->do2, 0, (size_t)B * M * sizeof(float));
	memset(a->dCe, 0, (size_t)B * NC * M * sizeof(float));
	memset(a->dH, 0, (size_t)B * P * M * sizeof(float));
	score_backward(a->do1, a->do2, a->dCe, vlsnr_grad(m, P_ALPHA), a->ds, h1 ? a->o1 : NULL,
		       h2 ? a->o2 : NULL, a->Ce, araw, B, NC, M);
	user_backward(m, a, hmask, B);
	memset(a->dnews, 0, (size_t)U * M * sizeof(float));
	gather_backward(a->dnews, a->dH, hist, B * P, M);
	gather_backward(a->dnews, a->dCe, cand, B * NC, M);
	news_backward(m, a, U);
	return loss;
}

void vlsnr_adam_step(vlsnr_model *m, float lr)
{
	if (!m->m) {
		m->m = xcalloc(m->nparams, sizeof(float));
		m->v = xcalloc(m->nparams, sizeof(float));
	}
	m->step++;
	adam_update(m->params, m->grads, m->m, m->v, m->nparams, lr, 0.9f, 0.999f, 1e-8f, m->step);
}

/* ---- safetensors ---- */

static void add_meta(cJSON *meta, const char *k, const char *v)
{
	cJSON_AddStringToObject(meta, k, v);
}

static void config_meta(const vlsnr_model *m, cJSON *meta)
{
	char buf[32];
	const vlsnr_config *c = &m->cfg;
	const struct { const char *k; int v; } kv[] = {
		{ "D", c->D }, { "F", c->F }, { "NH", c->NH }, { "E", c->E }, { "A", c->A }, { "M", c->M },
	};
	add_meta(meta, "format", "vlsnr-1");
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
		snprintf(buf, sizeof buf, "%d", kv[i].v);
		add_meta(meta, kv[i].k, buf);
	}
	add_meta(meta, "user_encoder", vlsnr_user_name(c->user));
	snprintf(buf, sizeof buf, "%ld", m->step);
	add_meta(meta, "step", buf);
}

/* Write tensors (names[i] with prefix, data blocks) as one safetensors file. */
static int st_write(const char *path, const vlsnr_model *m, const char *const *prefix,
		    float *const *blocks, int nblocks, const char *const *meta_kv, int nmeta,
		    char *err, size_t errlen)
{
	cJSON *root = cJSON_CreateObject(), *meta = cJSON_CreateObject();
	config_meta(m, meta);
	for (int i = 0; i + 1 < 2 * nmeta; i += 2)
		add_meta(meta, meta_kv[i], meta_kv[i + 1]);
	cJSON_AddItemToObject(root, "__metadata__", meta);
	size_t off = 0;
	for (int b = 0; b < nblocks; b++)
		for (int i = 0; i < P_COUNT; i++) {
			const vlsnr_tensor *t = &m->t[i];
			char name[96];
			snprintf(name, sizeof name, "%s%s", prefix[b], t->name);
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "dtype", "F32");
			cJSON *shape = cJSON_CreateArray();
			for (int d = 0; d < t->ndim; d++)
				cJSON_AddItemToArray(shape, cJSON_CreateNumber(t->shape[d]));
			cJSON_AddItemToObject(e, "shape", shape);
			cJSON *offs = cJSON_CreateArray();
			cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
			cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(off + t->size * 4)));
			cJSON_AddItemToObject(e, "data_offsets", offs);
			cJSON_AddItemToObject(root, name, e);
			off += t->size * 4;
		}
	char *json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	size_t hlen = strlen(json), padded = (hlen + 7) / 8 * 8;
	int rc = -1;
	vm_atomic_file af;
	if (vm_atomic_open(&af, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(json);
		return -1;
	}
	unsigned char len8[8];
	for (int i = 0; i < 8; i++)
		len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
	fwrite(len8, 1, 8, af.fp);
	fwrite(json, 1, hlen, af.fp);
	for (size_t i = hlen; i < padded; i++)
		fputc(' ', af.fp);
	for (int b = 0; b < nblocks; b++)
		fwrite(blocks[b], sizeof(float), m->nparams, af.fp); /* little-endian hosts only */
	if (ferror(af.fp)) {
		snprintf(err, errlen, "%s: write error", path);
		vm_atomic_abort(&af);
		goto out;
	}
	if (vm_atomic_commit(&af) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(json);
	return rc;
}

int vlsnr_save(const vlsnr_model *m, const char *path, const char *const *meta_kv, int nmeta,
	       char *err, size_t errlen)
{
	const char *prefix[] = { "" };
	float *blocks[] = { m->params };
	return st_write(path, m, prefix, blocks, 1, meta_kv, nmeta, err, errlen);
}

int vlsnr_save_opt(const vlsnr_model *m, const char *path, const char *const *meta_kv, int nmeta,
		   char *err, size_t errlen)
{
	if (!m->m) {
		snprintf(err, errlen, "%s: no optimizer state yet", path);
		return -1;
	}
	const char *prefix[] = { "", "m.", "v." };
	float *blocks[] = { m->params, m->m, m->v };
	return st_write(path, m, prefix, blocks, 3, meta_kv, nmeta, err, errlen);
}

char *vlsnr_st_meta(const char *path, const char *key)
{
	vm_st_file st;
	char err[256];
	if (vm_st_open(&st, path, err, sizeof err) != 0)
		return NULL;
	const char *v = vm_st_meta(&st, key);
	char *r = v ? xstrdup(v) : NULL;
	vm_st_close(&st);
	return r;
}

int vlsnr_st_meta_int(const char *path, const char *key, int def)
{
	char *v = vlsnr_st_meta(path, key);
	int r = v ? atoi(v) : def;
	free(v);
	return r;
}

double vlsnr_st_meta_double(const char *path, const char *key, double def)
{
	char *v = vlsnr_st_meta(path, key);
	double r = v ? atof(v) : def;
	free(v);
	return r;
}

/* Copy tensors PREFIX+name into block; -1 when one is missing or misshapen. */
static int st_read_block(const vm_st_file *st, const vlsnr_model *m, const char *prefix, float *block,
			 const char *path, char *err, size_t errlen)
{
	for (int i = 0; i < P_COUNT; i++) {
		const vlsnr_tensor *t = &m->t[i];
		char name[96];
		snprintf(name, sizeof name, "%s%s", prefix, t->name);
		const vm_st_tensor *x = vm_st_find(st, name);
		if (!x) {
			snprintf(err, errlen, "%s: tensor %s missing", path, name);
			return -1;
		}
		if (x->dtype != VM_ST_F32 || x->nbytes != t->size * sizeof(float)) {
			snprintf(err, errlen, "%s: tensor %s is not float32 of %zu elements, as the config needs",
				 path, name, t->size);
			return -1;
		}
		memcpy(block + t->offset, x->data, x->nbytes);
	}
	return 0;
}

int vlsnr_load(vlsnr_model *m, const char *path, char *err, size_t errlen)
{
	vm_st_file st;
	if (vm_st_open(&st, path, err, errlen) != 0)
		return -1;
	vlsnr_config c;
	const char *keys[] = { "D", "F", "NH", "E", "A", "M" };
	int *vals[] = { &c.D, &c.F, &c.NH, &c.E, &c.A, &c.M };
	for (int i = 0; i < 6; i++) {
		const char *v = vm_st_meta(&st, keys[i]);
		if (!v || (*vals[i] = atoi(v)) <= 0) {
			snprintf(err, errlen, "%s: metadata %s missing: not a vlsnr-train model", path, keys[i]);
			vm_st_close(&st);
			return -1;
		}
	}
	const char *u = vm_st_meta(&st, "user_encoder");
	if (!u || (c.user = vlsnr_user_parse(u)) < 0) {
		snprintf(err, errlen, "%s: metadata user_encoder missing or unknown", path);
		vm_st_close(&st);
		return -1;
	}
	if (c.E % c.NH || c.M % c.NH) {
		snprintf(err, errlen, "%s: E and M must be multiples of NH", path);
		vm_st_close(&st);
		return -1;
	}
	vlsnr_model_create(m, &c);
	const char *step = vm_st_meta(&st, "step");
	m->step = step ? atol(step) : 0;
	int rc = st_read_block(&st, m, "", m->params, path, err, errlen);
	vm_st_close(&st);
	if (rc != 0)
		vlsnr_model_free(m);
	return rc;
}

int vlsnr_load_opt(vlsnr_model *m, const char *path, char *err, size_t errlen)
{
	vm_st_file st;
	if (vm_st_open(&st, path, err, errlen) != 0)
		return -1;
	if (!m->m) {
		m->m = xcalloc(m->nparams, sizeof(float));
		m->v = xcalloc(m->nparams, sizeof(float));
	}
	int rc = st_read_block(&st, m, "m.", m->m, path, err, errlen);
	if (rc == 0)
		rc = st_read_block(&st, m, "v.", m->v, path, err, errlen);
	const char *step = vm_st_meta(&st, "step");
	if (rc == 0)
		m->step = step ? atol(step) : 0;
	vm_st_close(&st);
	return rc;
}
