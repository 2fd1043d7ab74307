/* metrics.c: the official MIND ranking metrics of one impression and their
 * running means (see metrics.h and doc/external.md section 3), computed as msnews/MIND's
 * evaluate.py does: AUC as sklearn's roc_auc_score (ties count one half),
 * MRR and nDCG@k over the candidates sorted by np.argsort(score)[::-1] with a
 * stable argsort, so equal scores come out in reverse index order. */
#include "config.h"
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Small impressions sort on the stack; larger ones use the heap. */
#define STACK_N 512

typedef struct {
	double s;
	size_t i;
} scored;

/* Ascending by score, equal scores by ascending index: a stable argsort. */
static int cmp_scored(const void *a, const void *b)
{
	const scored *x = a, *y = b;
	if (x->s < y->s)
		return -1;
	if (x->s > y->s)
		return 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* order[0..n) = np.argsort(scores, kind="stable")[::-1] */
static void desc_order(const double *scores, size_t n, scored *buf)
{
	for (size_t i = 0; i < n; i++) {
		buf[i].s = scores[i];
		buf[i].i = i;
	}
	qsort(buf, n, sizeof *buf, cmp_scored);
	for (size_t a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
		scored t = buf[a];
		buf[a] = buf[b];
		buf[b] = t;
	}
}

static scored *get_buf(size_t n, scored *stack)
{
	return n <= STACK_N ? stack : xmalloc(n * sizeof(scored));
}

static void put_buf(scored *buf, scored *stack)
{
	if (buf != stack)
		free(buf);
}

/* AUC by the rank sum with average ranks for ties (Mann-Whitney U), which is
 * what roc_auc_score's trapezoidal rule gives: every (positive, negative)
 * pair counts 1 when the positive scores higher and 1/2 on a tie. */
double vm_auc(const int8_t *labels, const double *scores, size_t n)
{
	scored stack[STACK_N], *b;
	size_t npos = 0, nneg = 0;
	double rank_sum = 0, auc;
	for (size_t i = 0; i < n; i++) {
		if (labels[i] > 0)
			npos++;
		else
			nneg++;
	}
	if (npos == 0 || nneg == 0)
		return -1;
	b = get_buf(n, stack);
	for (size_t i = 0; i < n; i++) {
		b[i].s = scores[i];
		b[i].i = i;
	}
	qsort(b, n, sizeof *b, cmp_scored);
	for (size_t i = 0; i < n;) {
		size_t j = i, pos_in_group = 0;
		while (j < n && b[j].s == b[i].s)
			j++;
		for (size_t k = i; k < j; k++)
			if (labels[b[k].i] > 0)
				pos_in_group++;
		/* ranks i+1 .. j share their mean (i + 1 + j) / 2 */
		rank_sum += (double)pos_in_group * (double)(i + 1 + j) / 2.0;
		i = j;
	}
	put_buf(b, stack);
	auc = (rank_sum - (double)npos * (double)(npos + 1) / 2.0) /
	      ((double)npos * (double)nneg);
	return auc;
}

double vm_mrr(const int8_t *labels, const double *scores, size_t n)
{
	scored stack[STACK_N], *b;
	double sum = 0, clicks = 0;
	for (size_t i = 0; i < n; i++)
		clicks += labels[i] > 0;
	if (clicks == 0)
		return -1;
	b = get_buf(n, stack);
	desc_order(scores, n, b);
	for (size_t r = 0; r < n; r++)
		if (labels[b[r].i] > 0)
			sum += 1.0 / (double)(r + 1);
	put_buf(b, stack);
	return sum / clicks;
}

/* DCG@k of the labels taken in the order of the sorted buffer. MIND labels
 * are 0 or 1, so the gain 2^label - 1 is the label itself. */
static double dcg(const int8_t *labels, const scored *order, size_t n, size_t k)
{
	double s = 0;
	for (size_t r = 0; r < n && r < k; r++) {
		double gain = labels[order[r].i] > 0 ? 1.0 : 0.0;  /* 2^label - 1 */
		s += gain / log2((double)r + 2.0);
	}
	return s;
}

double vm_ndcg(const int8_t *labels, const double *scores, size_t n, size_t k)
{
	scored stack[STACK_N], *b;
	double best = 0, actual;
	size_t clicks = 0;
	for (size_t i = 0; i < n; i++)
		clicks += labels[i] > 0;
	if (clicks == 0)
		return -1;
	/* the ideal order puts every click first: DCG of `clicks` gains of 1 */
	for (size_t r = 0; r < clicks && r < k; r++)
		best += 1.0 / log2((double)r + 2.0);
	b = get_buf(n, stack);
	desc_order(scores, n, b);
	actual = dcg(labels, b, n, k);
	put_buf(b, stack);
	return actual / best;
}

void vm_metrics_init(vm_metrics *m)
{
	memset(m, 0, sizeof *m);
}

void vm_metrics_add(vm_metrics *m, const int8_t *labels, const double *scores, size_t n)
{
	double auc = vm_auc(labels, scores, n);
	double mrr = vm_mrr(labels, scores, n);
	m->impressions++;
	if (auc >= 0) {
		m->auc_sum += auc;
		m->auc_n++;
	}
	if (mrr >= 0) {
		m->mrr_sum += mrr;
		m->ndcg5_sum += vm_ndcg(labels, scores, n, 5);
		m->ndcg10_sum += vm_ndcg(labels, scores, n, 10);
		m->rank_n++;
	}
}

static double mean(double sum, uint64_t n)
{
	return n ? sum / (double)n : 0.0;
}

double vm_metrics_auc(const vm_metrics *m) { return mean(m->auc_sum, m->auc_n); }
double vm_metrics_mrr(const vm_metrics *m) { return mean(m->mrr_sum, m->rank_n); }
double vm_metrics_ndcg5(const vm_metrics *m) { return mean(m->ndcg5_sum, m->rank_n); }
double vm_metrics_ndcg10(const vm_metrics *m) { return mean(m->ndcg10_sum, m->rank_n); }
