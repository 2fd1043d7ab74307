#!/usr/bin/python3
"""train-metrics-ref.py: writes the larger random case of tests/t0702-eval.sh
(run by hand, never by `make check`): tests/data/train/metrics-truth.txt and
metrics-prediction.txt (300 impressions of 1 to 60 candidates, random labels
with at least one click, random rank permutations, a few all-clicked and
single-candidate impressions, some empty label lists and some prediction lines
left empty), and metrics-expected.txt with the figures computed the way
msnews/MIND's evaluate.py does, with sklearn's roc_auc_score for AUC.
Impressions where AUC is undefined (one class) are left out of the AUC mean
(evaluate.py itself would stop with an error there); the others need a click.
Ties (only from the empty prediction lines) are ordered by a reversed STABLE
argsort, the rule of doc/external.md section 3 and vmind/lib/metrics.h; evaluate.py's plain
np.argsort is numpy's introsort, which for more than 16 tied candidates is not
stable, so evaluate.py itself can differ there (measured: MRR 0.21092 instead
of 0.21108 on this file). Needs Debian's python3-numpy and python3-sklearn."""
import os

import numpy as np
from sklearn.metrics import roc_auc_score


def dcg(y, s, k):
    order = np.argsort(s, kind="stable")[::-1]
    y = np.take(y, order[:k])
    return np.sum((2 ** y - 1) / np.log2(np.arange(len(y)) + 2))


def ndcg(y, s, k):
    return dcg(y, s, k) / dcg(y, y, k)


def mrr(y, s):
    order = np.argsort(s, kind="stable")[::-1]
    y = np.take(y, order)
    return np.sum(y / (np.arange(len(y)) + 1)) / np.sum(y)


def main():
    rng = np.random.default_rng(2026)
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "train")
    truth, pred = [], []
    aucs, mrrs, n5, n10 = [], [], [], []
    for i in range(1, 301):
        kind = rng.integers(0, 20)
        if kind == 0:
            truth.append("%d []" % i)
            pred.append("%d []" % i)
            continue
        n = 1 if kind == 1 else int(rng.integers(2, 61))
        y = (rng.random(n) < 0.15).astype(int)
        if kind == 2:
            y[:] = 1
        if y.sum() == 0:
            y[rng.integers(0, n)] = 1
        ranks = rng.permutation(n) + 1
        if kind == 3:
            ranks = np.ones(n, dtype=int)   # an empty prediction line counts as all ranks 1
            pred.append("")
        else:
            pred.append("%d [%s]" % (i, ",".join(str(r) for r in ranks)))
        truth.append("%d [%s]" % (i, ",".join(str(v) for v in y)))
        s = 1.0 / ranks
        if 0 < y.sum() < n:
            aucs.append(roc_auc_score(y, s))
        mrrs.append(mrr(y, s))
        n5.append(ndcg(y, s, 5))
        n10.append(ndcg(y, s, 10))
    with open(os.path.join(here, "metrics-truth.txt"), "w") as f:
        f.write("\n".join(truth) + "\n")
    with open(os.path.join(here, "metrics-prediction.txt"), "w") as f:
        f.write("\n".join(pred) + "\n")
    with open(os.path.join(here, "metrics-expected.txt"), "w") as f:
        f.write("auc %.10f\nmrr %.10f\nndcg5 %.10f\nndcg10 %.10f\nimpressions %d\n"
                % (np.mean(aucs), np.mean(mrrs), np.mean(n5), np.mean(n10), len(mrrs)))


if __name__ == "__main__":
    main()
