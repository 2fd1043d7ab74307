#!/usr/bin/python3
"""metrics-ref.py: writes tests/data/metrics/random.tsv, the golden file of
tests/unit/test-metrics.c: random impressions and their MIND metrics computed
the way msnews/MIND's evaluate.py does (AUC with sklearn's roc_auc_score,
MRR and nDCG@5/10 over np.argsort(score)[::-1]), so the C implementation in
vmind/lib/metrics.c is checked against an independent computation.

Run by hand (never by make check), with Debian's python3-numpy and
python3-sklearn:  /usr/bin/python3 tests/reference/metrics-ref.py

Choices: argsort uses kind="stable" (evaluate.py uses numpy's default, which
is only stable for short arrays; vmind/lib/metrics.h specifies the stable order).
An impression with one class only has no AUC (roc_auc_score refuses it) and
one with no click has no MRR/nDCG; they are written as -1 and left out of the
means, as vm_metrics_add does.

File format, one impression per line, tab separated:
  labels (space separated 0/1)  scores (space separated, as printed)
  auc  mrr  ndcg5  ndcg10       (%.17g, -1 = not defined)
and a last line: "mean", the four means, and the impression count.
"""
import os
import sys

import numpy as np
from sklearn.metrics import roc_auc_score


def dcg(y_true, y_score, k):
    order = np.argsort(y_score, kind="stable")[::-1]
    y = np.take(y_true, order[:k])
    gains = 2 ** y - 1
    discounts = np.log2(np.arange(len(y)) + 2)
    return float(np.sum(gains / discounts))


def ndcg(y_true, y_score, k):
    best = dcg(y_true, y_true, k)
    if best == 0:
        return -1.0
    return dcg(y_true, y_score, k) / best


def mrr(y_true, y_score):
    if y_true.sum() == 0:
        return -1.0
    order = np.argsort(y_score, kind="stable")[::-1]
    y = np.take(y_true, order)
    return float(np.sum(y / (np.arange(len(y)) + 1)) / np.sum(y))


def auc(y_true, y_score):
    if y_true.min() == y_true.max():
        return -1.0
    return float(roc_auc_score(y_true, y_score))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "data", "metrics", "random.tsv")
    rng = np.random.RandomState(20191115)
    rows = []
    for i in range(120):
        n = int(rng.randint(1, 41))
        if i % 3 == 0:
            # coarse scores: many ties
            scores = rng.randint(0, 6, size=n) / 5.0
        else:
            scores = np.round(rng.rand(n), 4)
        if i % 17 == 5:
            labels = np.ones(n, dtype=np.int64)
        elif i % 19 == 7:
            labels = np.zeros(n, dtype=np.int64)
        else:
            labels = (rng.rand(n) < 0.2).astype(np.int64)
            if labels.sum() == 0:
                labels[rng.randint(0, n)] = 1
        rows.append((labels, scores))
    sums = [0.0, 0.0, 0.0, 0.0]
    counts = [0, 0]
    with open(out, "w") as f:
        for labels, scores in rows:
            m = (auc(labels, scores), mrr(labels, scores),
                 ndcg(labels, scores, 5), ndcg(labels, scores, 10))
            if m[0] >= 0:
                sums[0] += m[0]
                counts[0] += 1
            if m[1] >= 0:
                for k in range(1, 4):
                    sums[k] += m[k]
                counts[1] += 1
            f.write("%s\t%s\t%s\n" % (
                " ".join(str(int(x)) for x in labels),
                " ".join("%g" % x for x in scores),
                " ".join("%.17g" % x for x in m)))
        means = (sums[0] / counts[0], sums[1] / counts[1],
                 sums[2] / counts[1], sums[3] / counts[1])
        f.write("mean\t%s\t%d\n" % (" ".join("%.17g" % x for x in means), len(rows)))
    print("wrote", os.path.normpath(out), file=sys.stderr)


if __name__ == "__main__":
    main()
