/* metrics.h: the official MIND ranking metrics of one impression, computed as
 * msnews/MIND's evaluate.py does (doc/external.md section 3): AUC with ties counted one half
 * (sklearn's roc_auc_score), MRR, nDCG@k with gain 2^label-1 and discount
 * log2(i+1). Ties in MRR/nDCG follow np.argsort(s)[::-1] with a stable
 * argsort: descending, equal scores in reverse index order. evaluate.py's
 * plain np.argsort is the same for lists of up to 16 candidates; on longer
 * lists with ties (which real rank lists never have: ranks are distinct) its
 * introsort may order ties differently, and we keep the defined order.
 * The reported figure of each metric
 * is the plain mean over the impressions that have both classes (AUC) or at
 * least one click (the others), which vm_metrics_add keeps track of. */
#ifndef VMIND_METRICS_H
#define VMIND_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Per-impression metrics. Return -1 (not defined) when the impression has no
 * positive label, or, for AUC, no negative one either. */
double vm_auc(const int8_t *labels, const double *scores, size_t n);
double vm_mrr(const int8_t *labels, const double *scores, size_t n);
double vm_ndcg(const int8_t *labels, const double *scores, size_t n, size_t k);

/* Running means over impressions. */
typedef struct vm_metrics {
	double auc_sum, mrr_sum, ndcg5_sum, ndcg10_sum;
	uint64_t impressions;   /* impressions added */
	uint64_t auc_n;         /* impressions where AUC was defined */
	uint64_t rank_n;        /* impressions where MRR/nDCG were defined */
} vm_metrics;
void vm_metrics_init(vm_metrics *m);
void vm_metrics_add(vm_metrics *m, const int8_t *labels, const double *scores, size_t n);
/* Each mean is 0 when no impression qualified (auc_n or rank_n is 0):
 * callers that print them check those counts. */
double vm_metrics_auc(const vm_metrics *m);
double vm_metrics_mrr(const vm_metrics *m);
double vm_metrics_ndcg5(const vm_metrics *m);
double vm_metrics_ndcg10(const vm_metrics *m);

#endif
