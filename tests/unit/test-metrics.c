/* test-metrics.c: the official MIND metrics of vmind/lib/metrics.c on cases
 * worked out by hand (the arithmetic is in the comments), the edge cases
 * (ties, one candidate, all clicked, no click, an impression too large for
 * the stack buffer), the running means, and 120 random impressions against
 * the golden file tests/data/metrics/random.tsv that
 * tests/reference/metrics-ref.py wrote with numpy and sklearn. */
#include "config.h"
#include "vmind/lib/metrics.h"
#include "tap.h"

#include <stdlib.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define EPS 1e-12

static void hand_cases(void)
{
	/* 1. labels 1 0 0, scores .9 .5 .1: the click is above both
	 * non-clicks, AUC 2/2 = 1; it ranks first, MRR 1/1 = 1, nDCG 1. */
	{
		int8_t l[] = { 1, 0, 0 };
		double s[] = { 0.9, 0.5, 0.1 };
		is_near(vm_auc(l, s, 3), 1.0, EPS, "perfect: AUC 1");
		is_near(vm_mrr(l, s, 3), 1.0, EPS, "perfect: MRR 1");
		is_near(vm_ndcg(l, s, 3, 5), 1.0, EPS, "perfect: nDCG@5 1");
	}
	/* 2. labels 0 1 0 1, scores .4 .3 .2 .1. Pairs (click, non-click):
	 * (.3,.4) 0, (.3,.2) 1, (.1,.4) 0, (.1,.2) 0 -> AUC 1/4. Ranks of the
	 * clicks 2 and 4: MRR (1/2 + 1/4) / 2 = 0.375. DCG@5 = 1/log2(3) +
	 * 1/log2(5) = 0.6309297535714575 + 0.43067655807339306 = 1.0616063116448505; ideal
	 * 1/log2(2) + 1/log2(3) = 1.6309297535714575; nDCG@5 = 0.6509209298...
	 * At k=2 only rank 2 counts: 0.6309297535714575 / 1.6309297535714575. */
	{
		int8_t l[] = { 0, 1, 0, 1 };
		double s[] = { 0.4, 0.3, 0.2, 0.1 };
		double ideal = 1.0 + 1.0 / log2(3.0);
		is_near(vm_auc(l, s, 4), 0.25, EPS, "case 2: AUC 1/4");
		is_near(vm_mrr(l, s, 4), 0.375, EPS, "case 2: MRR 0.375");
		is_near(vm_ndcg(l, s, 4, 5), (1.0 / log2(3.0) + 1.0 / log2(5.0)) / ideal, EPS,
			"case 2: nDCG@5");
		is_near(vm_ndcg(l, s, 4, 5), 0.65092092980713, 1e-13, "case 2: nDCG@5 = 1.0616063116448505 / 1.6309297535714575 = 0.6509209...");
		is_near(vm_ndcg(l, s, 4, 10), vm_ndcg(l, s, 4, 5), EPS, "case 2: nDCG@10 = nDCG@5 (4 items)");
		is_near(vm_ndcg(l, s, 4, 2), (1.0 / log2(3.0)) / ideal, EPS, "case 2: nDCG@2 cuts the list");
	}
	/* 3. ties: labels 1 0 0 1, scores .5 .5 .2 .5. Pairs: (.5,.5) 1/2,
	 * (.5,.2) 1, twice -> AUC 3/4. Stable argsort ascending is 2,0,1,3;
	 * reversed 3,1,0,2 with labels 1,0,1,0: MRR (1 + 1/3) / 2 = 2/3;
	 * DCG@5 = 1 + 1/log2(4) = 1.5, ideal 1 + 1/log2(3): nDCG 0.919720... */
	{
		int8_t l[] = { 1, 0, 0, 1 };
		double s[] = { 0.5, 0.5, 0.2, 0.5 };
		is_near(vm_auc(l, s, 4), 0.75, EPS, "ties: AUC counts a tie one half");
		is_near(vm_mrr(l, s, 4), 2.0 / 3.0, EPS, "ties: MRR in reverse stable order");
		is_near(vm_ndcg(l, s, 4, 5), 1.5 / (1.0 + 1.0 / log2(3.0)), EPS, "ties: nDCG@5");
	}
	/* 4. all scores equal: AUC 1/2 whatever the labels */
	{
		int8_t l[] = { 0, 1, 0, 0, 1 };
		double s[] = { 1, 1, 1, 1, 1 };
		is_near(vm_auc(l, s, 5), 0.5, EPS, "all tied: AUC 1/2");
		/* reversed stable order 4,3,2,1,0: clicks at ranks 1 and 4 */
		is_near(vm_mrr(l, s, 5), (1.0 + 0.25) / 2, EPS, "all tied: MRR (1 + 1/4) / 2");
	}
	/* 5. a single clicked candidate: no AUC; MRR 1, nDCG 1 */
	{
		int8_t l[] = { 1 };
		double s[] = { 0.3 };
		ok(vm_auc(l, s, 1) == -1, "single candidate: AUC not defined");
		is_near(vm_mrr(l, s, 1), 1.0, EPS, "single candidate: MRR 1");
		is_near(vm_ndcg(l, s, 1, 10), 1.0, EPS, "single candidate: nDCG@10 1");
	}
	/* 6. all clicked: no AUC; MRR (1 + 1/2 + 1/3) / 3 = 11/18; nDCG 1 */
	{
		int8_t l[] = { 1, 1, 1 };
		double s[] = { 0.1, 0.7, 0.4 };
		ok(vm_auc(l, s, 3) == -1, "all clicked: AUC not defined");
		is_near(vm_mrr(l, s, 3), 11.0 / 18.0, EPS, "all clicked: MRR 11/18");
		is_near(vm_ndcg(l, s, 3, 5), 1.0, EPS, "all clicked: nDCG@5 1");
	}
	/* 7. no click: nothing defined */
	{
		int8_t l[] = { 0, 0 };
		double s[] = { 0.1, 0.7 };
		ok(vm_auc(l, s, 2) == -1 && vm_mrr(l, s, 2) == -1 && vm_ndcg(l, s, 2, 5) == -1,
		   "no click: AUC, MRR, nDCG not defined");
	}
	/* 8. 1000 candidates (beyond the stack buffer): clicks at i = 10k,
	 * score i. Click 10k beats the 9k non-clicks below it: sum over
	 * k = 0..99 of 9k = 44550 of 100 * 900 pairs -> AUC 0.495. Sorted
	 * descending the clicks sit at ranks 1000 - 10k - ... : click 990 is
	 * at rank 10, click 10(99-j) at rank 10j + 10, so MRR =
	 * sum_j 1/(10j + 10) / 100 = H(100) / 1000. */
	{
		int8_t *l = calloc(1000, 1);
		double *s = calloc(1000, sizeof *s), h = 0;
		for (int i = 0; i < 1000; i++) {
			l[i] = i % 10 == 0;
			s[i] = i;
		}
		for (int j = 1; j <= 100; j++)
			h += 1.0 / j;
		is_near(vm_auc(l, s, 1000), 0.495, EPS, "1000 candidates: AUC 0.495");
		is_near(vm_mrr(l, s, 1000), h / 1000.0, EPS, "1000 candidates: MRR H(100)/1000");
		free(l);
		free(s);
	}
	/* 9. running means: cases 1, 2, 6 and 7 -> AUC over 1 and 2:
	 * (1 + 0.25) / 2; MRR over 1, 2, 6: (1 + 0.375 + 11/18) / 3 */
	{
		vm_metrics m;
		int8_t l1[] = { 1, 0, 0 }, l2[] = { 0, 1, 0, 1 }, l6[] = { 1, 1, 1 }, l7[] = { 0, 0 };
		double s1[] = { 0.9, 0.5, 0.1 }, s2[] = { 0.4, 0.3, 0.2, 0.1 }, s6[] = { 0.1, 0.7, 0.4 },
		       s7[] = { 0.1, 0.7 };
		vm_metrics_init(&m);
		vm_metrics_add(&m, l1, s1, 3);
		vm_metrics_add(&m, l2, s2, 4);
		vm_metrics_add(&m, l6, s6, 3);
		vm_metrics_add(&m, l7, s7, 2);
		ok(m.impressions == 4 && m.auc_n == 2 && m.rank_n == 3, "means: counts 4 / 2 / 3");
		is_near(vm_metrics_auc(&m), 0.625, EPS, "means: AUC 0.625");
		is_near(vm_metrics_mrr(&m), (1 + 0.375 + 11.0 / 18.0) / 3, EPS, "means: MRR");
		is_near(vm_metrics_ndcg10(&m), (1 + vm_ndcg(l2, s2, 4, 10) + 1) / 3, EPS, "means: nDCG@10");
	}
}

/* split a space separated list of numbers; returns the count */
static size_t parse_list(char *s, double *out, size_t cap)
{
	size_t n = 0;
	char *end;
	while (*s && n < cap) {
		double v = strtod(s, &end);
		if (end == s)
			break;
		out[n++] = v;
		s = end;
	}
	return n;
}

static void golden(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096], line[65536];
	FILE *f;
	vm_metrics m;
	int rows = 0, bad_auc = 0, bad_rank = 0, parsed = 1;
	snprintf(path, sizeof path, "%s/tests/data/metrics/random.tsv", top ? top : ".");
	f = fopen(path, "r");
	if (!ok(f != NULL, "open %s", path))
		return;
	vm_metrics_init(&m);
	while (fgets(line, sizeof line, f)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		double lab[64], sc[64], want[5];
		int8_t l8[64];
		size_t nl, ns;
		if (!t1 || !t2) {
			parsed = 0;
			break;
		}
		*t1 = *t2 = '\0';
		if (strcmp(line, "mean") == 0) {
			parse_list(t1 + 1, want, 4);
			is_near(vm_metrics_auc(&m), want[0], 1e-12, "random: mean AUC");
			is_near(vm_metrics_mrr(&m), want[1], 1e-12, "random: mean MRR");
			is_near(vm_metrics_ndcg5(&m), want[2], 1e-12, "random: mean nDCG@5");
			is_near(vm_metrics_ndcg10(&m), want[3], 1e-12, "random: mean nDCG@10");
			ok(atoi(t2 + 1) == rows && m.impressions == (uint64_t)rows, "random: %d impressions", rows);
			continue;
		}
		nl = parse_list(line, lab, 64);
		ns = parse_list(t1 + 1, sc, 64);
		if (nl != ns || parse_list(t2 + 1, want, 5) != 4) {
			parsed = 0;
			break;
		}
		for (size_t k = 0; k < nl; k++)
			l8[k] = (int8_t)lab[k];
		if (fabs(vm_auc(l8, sc, nl) - want[0]) > 1e-12)
			bad_auc++;
		if (fabs(vm_mrr(l8, sc, nl) - want[1]) > 1e-12 ||
		    fabs(vm_ndcg(l8, sc, nl, 5) - want[2]) > 1e-12 ||
		    fabs(vm_ndcg(l8, sc, nl, 10) - want[3]) > 1e-12)
			bad_rank++;
		vm_metrics_add(&m, l8, sc, nl);
		rows++;
	}
	fclose(f);
	ok(parsed && rows == 120, "random: golden file read (%d rows)", rows);
	ok(bad_auc == 0, "random: AUC of every impression as sklearn (%d differ)", bad_auc);
	ok(bad_rank == 0, "random: MRR and nDCG of every impression as numpy (%d differ)", bad_rank);
}

int main(void)
{
	hand_cases();
	golden();
	return tap_done();
}
