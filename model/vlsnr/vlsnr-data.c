/* vlsnr-data.c: feature directories, behaviors held as feature rows, and the
 * scoring of a whole split for vlsnr-train (dev metrics) and vlsnr-eval; see
 * vlsnr-data.h. */
#include "config.h"
#include "vlsnr-data.h"
#include "layers.h"
#include "vmind/lib/mind.h"
#include "vmind/lib/npy.h"
#include "vmind/lib/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *field_names[NFIELDS] = { "image", "title", "category", "subcategory" };

int vlsnr_parse_fields(const char *s, int fields[NFIELDS], char *err, size_t errlen)
{
	int n = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		int id = -1;
		for (int i = 0; i < NFIELDS; i++)
			if (strlen(field_names[i]) == len && strncmp(s, field_names[i], len) == 0)
				id = i;
		if (id < 0) {
			snprintf(err, errlen, "unknown field '%.*s' (image, title, category, subcategory)", (int)len, s);
			return -1;
		}
		for (int i = 0; i < n; i++)
			if (fields[i] == id) {
				snprintf(err, errlen, "field '%s' given twice", field_names[id]);
				return -1;
			}
		fields[n++] = id;
		s += len;
		if (*s == ',')
			s++;
	}
	if (n == 0) {
		snprintf(err, errlen, "no fields");
		return -1;
	}
	return n;
}

void vlsnr_fields_text(const int *fields, int nf, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (int i = 0; i < nf && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "", field_names[fields[i]]);
}

int vlsnr_meta_fields(const char *path, const char *def, int fields[NFIELDS], char *err, size_t errlen)
{
	char *v = vlsnr_st_meta(path, "fields");
	int nf = vlsnr_parse_fields(v ? v : def, fields, err, errlen);
	free(v);
	return nf;
}

void vlsnr_feats_free(vlsnr_feats *f)
{
	for (int i = 0; i < NFIELDS; i++)
		free(f->data[i]);
	free(f->white);
	free(f->row_of);
	free(f->num);
	memset(f, 0, sizeof *f);
}

/* f->num, f->n and f->maxnum from the ids file path, then f->row_of. 0, or
 * -1 with "FILE:LINE: message" in err. */
static int read_ids(vlsnr_feats *f, const char *path, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0, ncap = 0, lineno = 0;
	ssize_t len;
	int rc = -1;
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		uint32_t num;
		if (vm_parse_news_id(line, (size_t)len, &num) != 0) {
			snprintf(err, errlen, "%s:%zu: not a news id: '%.40s'", path, lineno, line);
			goto out;
		}
		if (f->n == ncap)
			f->num = xrealloc(f->num, (ncap = ncap ? 2 * ncap : 4096) * sizeof *f->num);
		f->num[f->n++] = num;
		if (num > f->maxnum)
			f->maxnum = num;
	}
	if (f->n == 0) {
		snprintf(err, errlen, "%s: no news ids", path);
		goto out;
	}
	f->row_of = xmalloc(((size_t)f->maxnum + 1) * sizeof(int32_t));
	memset(f->row_of, 0xff, ((size_t)f->maxnum + 1) * sizeof(int32_t));
	for (size_t i = 0; i < f->n; i++) {
		if (f->row_of[f->num[i]] >= 0) {
			snprintf(err, errlen, "%s:%zu: N%u listed twice", path, i + 1, f->num[i]);
			goto out;
		}
		f->row_of[f->num[i]] = (int32_t)i;
	}
	rc = 0;
out:
	fclose(fp);
	free(line);
	return rc;
}

int vlsnr_feats_load(vlsnr_feats *f, const char *dir, const int *fields, int nf,
		     double image_ratio, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	f->nf = nf;
	memcpy(f->fields, fields, (size_t)nf * sizeof(int));
	f->image_ratio = image_ratio;
	char *path = xasprintf("%s/ids.txt", dir);
	int rc = -1;
	if (read_ids(f, path, err, errlen) != 0)
		goto fail;
	int need_white = 0;
	for (int i = 0; i < nf; i++) {
		free(path);
		path = xasprintf("%s/%s.npy", dir, field_names[fields[i]]);
		vm_npy_f32 a;
		if (vm_npy_read_f32(path, &a, err, errlen) != 0)
			goto fail;
		if (a.rows != f->n || (f->D && a.cols != (size_t)f->D)) {
			snprintf(err, errlen, "%s: %zu x %zu, wanted %zu rows (ids.txt) x %d", path,
				 a.rows, a.cols, f->n, f->D ? f->D : (int)a.cols);
			vm_npy_f32_free(&a);
			goto fail;
		}
		f->D = (int)a.cols;
		f->data[fields[i]] = a.data;
		if (fields[i] == FIELD_IMAGE && image_ratio < 1)
			need_white = 1;
	}
	if (need_white) {
		free(path);
		path = xasprintf("%s/white.npy", dir);
		vm_npy_f32 a;
		if (vm_npy_read_f32(path, &a, err, errlen) != 0)
			goto fail;
		if (a.rows != 1 || a.cols != (size_t)f->D) {
			snprintf(err, errlen, "%s: %zu x %zu, wanted 1 x %d", path, a.rows, a.cols, f->D);
			vm_npy_f32_free(&a);
			goto fail;
		}
		f->white = a.data;
	}
	rc = 0;
fail:
	free(path);
	if (rc != 0)
		vlsnr_feats_free(f);
	return rc;
}

int vlsnr_keeps_image(const vlsnr_feats *f, size_t row)
{
	if (f->image_ratio >= 1)
		return 1;
	uint64_t z = vm_mix64(f->num[row]);
	return (double)(z >> 11) / 9007199254740992.0 < f->image_ratio;
}

void vlsnr_feats_fill(const vlsnr_feats *f, const int32_t *rows, int U, float *out)
{
	size_t D = (size_t)f->D;
	for (int u = 0; u < U; u++) {
		for (int i = 0; i < f->nf; i++) {
			float *dst = out + ((size_t)u * f->nf + i) * D;
			const float *src = f->data[f->fields[i]] + (size_t)rows[u] * D;
			if (f->fields[i] == FIELD_IMAGE && f->white && !vlsnr_keeps_image(f, (size_t)rows[u]))
				src = f->white;
			memcpy(dst, src, D * sizeof(float));
		}
	}
}

void vlsnr_split_free(vlsnr_split *s)
{
	free(s->imp_id);
	free(s->hist_off);
	free(s->hist);
	free(s->cand_off);
	free(s->cand);
	free(s->label);
	memset(s, 0, sizeof *s);
}

int vlsnr_split_load(vlsnr_split *s, const char *dir, const vlsnr_feats *f, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	char *path = xasprintf("%s/behaviors.tsv", dir);
	vm_mind_reader *r = vm_mind_open(path, 0);
	if (!r) {
		snprintf(err, errlen, "%s: cannot open", path);
		free(path);
		return -1;
	}
	free(path);
	size_t icap = 0, hcap = 0, ccap = 0, nh = 0, nc = 0;
	vm_behavior b;
	int rc, labelled = 1;
	s->hist_off = xmalloc(sizeof(size_t));
	s->cand_off = xmalloc(sizeof(size_t));
	s->hist_off[0] = s->cand_off[0] = 0;
	while ((rc = vm_behavior_next(r, &b)) == VM_MIND_ROW) {
		if (s->n == icap) {
			icap = icap ? 2 * icap : 4096;
			s->imp_id = xrealloc(s->imp_id, icap * sizeof *s->imp_id);
			s->hist_off = xrealloc(s->hist_off, (icap + 1) * sizeof(size_t));
			s->cand_off = xrealloc(s->cand_off, (icap + 1) * sizeof(size_t));
		}
		while (nh + b.n_history > hcap) {
			hcap = hcap ? 2 * hcap : 65536;
			s->hist = xrealloc(s->hist, hcap * sizeof *s->hist);
		}
		while (nc + b.n_impressions > ccap) {
			ccap = ccap ? 2 * ccap : 65536;
			s->cand = xrealloc(s->cand, ccap * sizeof *s->cand);
			s->label = xrealloc(s->label, ccap);
		}
		for (size_t i = 0; i < b.n_history; i++) {
			int32_t row = vlsnr_feats_row(f, b.history[i]);
			s->missing += row < 0;
			s->hist[nh++] = row;
		}
		for (size_t i = 0; i < b.n_impressions; i++) {
			int32_t row = vlsnr_feats_row(f, b.impressions[i].news);
			s->missing += row < 0;
			s->cand[nc] = row;
			s->label[nc++] = b.impressions[i].label;
		}
		labelled &= b.labelled;
		s->imp_id[s->n++] = b.impression_id;
		s->hist_off[s->n] = nh;
		s->cand_off[s->n] = nc;
	}
	if (rc == VM_MIND_ERROR) {
		snprintf(err, errlen, "%s", vm_mind_error(r));
		vm_mind_close(r);
		vlsnr_split_free(s);
		return -1;
	}
	vm_mind_close(r);
	s->labelled = labelled && s->n > 0;
	return 0;
}

void vlsnr_split_history(const vlsnr_split *s, size_t i, int P, int32_t *rows)
{
	size_t h0 = s->hist_off[i], hn = s->hist_off[i + 1] - h0;
	size_t take = hn < (size_t)P ? hn : (size_t)P;
	int pad = P - (int)take;
	for (int t = 0; t < P; t++)
		rows[t] = t < pad ? -1 : s->hist[h0 + hn - take + (size_t)(t - pad)];
}

void vlsnr_score_split(const vlsnr_model *m, const vlsnr_feats *f, const vlsnr_split *s,
		       int history, double *scores)
{
	const vlsnr_config *c = &m->cfg;
	int M = c->M, UB = 512, BB = 256, P = history;
	vlsnr_acts a;
	vlsnr_acts_create(&a, c, UB, BB, P, 1);
	float *table = xmalloc(f->n * (size_t)M * sizeof(float));
	float *feats = xmalloc((size_t)UB * c->F * c->D * sizeof(float));
	int32_t *rows = xmalloc((size_t)UB * sizeof(int32_t));
	for (size_t u0 = 0; u0 < f->n; u0 += (size_t)UB) {
		int U = (int)(f->n - u0 < (size_t)UB ? f->n - u0 : (size_t)UB);
		for (int u = 0; u < U; u++)
			rows[u] = (int32_t)(u0 + (size_t)u);
		vlsnr_feats_fill(f, rows, U, feats);
		vlsnr_news_forward(m, &a, feats, U, 0, NULL);
		memcpy(table + u0 * M, a.news, (size_t)U * M * sizeof(float));
	}
	int32_t *hidx = xmalloc((size_t)BB * P * sizeof(int32_t));
	float *hmask = xmalloc((size_t)BB * P * sizeof(float));
	int h1 = vlsnr_has_o1(c), h2 = vlsnr_has_o2(c);
	float w1 = 1, w2 = 1;
	if (h1 && h2) {
		w1 = 1.0f / (1.0f + expf(-vlsnr_param(m, P_ALPHA)[0]));
		w2 = 1 - w1;
	}
	for (size_t i0 = 0; i0 < s->n; i0 += (size_t)BB) {
		int B = (int)(s->n - i0 < (size_t)BB ? s->n - i0 : (size_t)BB);
		for (int b = 0; b < B; b++) {
			int32_t *hb = hidx + (size_t)b * P;
			vlsnr_split_history(s, i0 + (size_t)b, P, hb);
			for (int t = 0; t < P; t++)
				hmask[(size_t)b * P + t] = hb[t] >= 0;
		}
		gather_forward(a.H, table, hidx, B * P, M);
		vlsnr_user_forward(m, &a, hmask, B);
		for (int b = 0; b < B; b++) {
			size_t i = i0 + (size_t)b;
			for (size_t k = s->cand_off[i]; k < s->cand_off[i + 1]; k++) {
				double v = 0;
				if (s->cand[k] >= 0) {
					const float *e = table + (size_t)s->cand[k] * M;
					for (int d = 0; d < M; d++) {
						float u = 0;
						if (h1)
							u += w1 * a.o1[(size_t)b * M + d];
						if (h2)
							u += w2 * a.o2[(size_t)b * M + d];
						v += (double)u * e[d];
					}
				}
				scores[k] = v;
			}
		}
	}
	free(hidx);
	free(hmask);
	free(rows);
	free(feats);
	free(table);
	vlsnr_acts_free(&a);
}

void vlsnr_split_metrics(const vlsnr_split *s, const double *scores, vm_metrics *mt)
{
	vm_metrics_init(mt);
	for (size_t i = 0; i < s->n; i++) {
		size_t k0 = s->cand_off[i], n = s->cand_off[i + 1] - k0;
		vm_metrics_add(mt, s->label + k0, scores + k0, n);
	}
}

void vlsnr_write_prediction(FILE *fp, const vlsnr_split *s, const double *scores)
{
	for (size_t i = 0; i < s->n; i++) {
		size_t k0 = s->cand_off[i], n = s->cand_off[i + 1] - k0;
		fprintf(fp, "%llu [", (unsigned long long)s->imp_id[i]);
		for (size_t k = 0; k < n; k++) {
			/* rank = 1 + candidates scored higher, or equal and earlier */
			size_t rank = 1;
			for (size_t j = 0; j < n; j++)
				if (scores[k0 + j] > scores[k0 + k] || (scores[k0 + j] == scores[k0 + k] && j < k))
					rank++;
			fprintf(fp, "%s%zu", k ? "," : "", rank);
		}
		fputs("]\n", fp);
	}
}

void vlsnr_write_truth(FILE *fp, const vlsnr_split *s)
{
	for (size_t i = 0; i < s->n; i++) {
		fprintf(fp, "%llu [", (unsigned long long)s->imp_id[i]);
		for (size_t k = s->cand_off[i]; k < s->cand_off[i + 1]; k++)
			fprintf(fp, "%s%d", k > s->cand_off[i] ? "," : "", s->label[k]);
		fputs("]\n", fp);
	}
}
