#!/usr/bin/python3
"""quality-bound.py: how much of the oracle's gain a learner can reach on a
vmind-synth dataset when it knows every news item perfectly but, like any
recommender, has to infer the user from the history.

The oracle of vmind-synth knows each user's hidden interests, focus and
visual taste; a recommender sees only the history. This script measures the
cost of that gap with a deliberately well-informed learner: logistic
regression (and gradient-boosted trees) on hand-made features that compare a
candidate with the history, where the items' features come from the
generator's own truth (truth/news.tsv: text_bias, text_vector, theme and the
cover's attributes), not from any encoder. Rows, each a superset of the
previous one:

  observable    subcategory / category matches with the last 1, 3, 5, 10
                and all history items, hook words in the title, history
                length, the candidate's category
  + cover       the cover's true colour, lightness and shape against the
                history's (what a perfect image encoder would give)
  + item truth  the generator's text vector x and text bias of the
                candidate, x against the mean x of the last k history
                items, theme matches (what a perfect text encoder would give)

Trained on the first --train-impressions impressions of train (pointwise,
every candidate), scored with the official per-impression AUC on all of dev.
Needs numpy and scikit-learn (Debian: python3-sklearn); run by hand:

    /usr/bin/python3 bench/quality-bound.py MINDDIR [--train-impressions N]
"""
import argparse
import math
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

HOOKS = set("shocking watch photos revealed secret amazing unbelievable why "
            "exclusive must_see heartbreaking incredible".split())
RECENT = (1, 3, 5, 10)


def read_tsv_header(path):
    with open(path, encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            yield dict(zip(head, line.rstrip("\n").split("\t")))


def load_items(mind):
    cats = {}
    items = {}
    titles = {}
    for split in ("train", "dev"):
        with open(f"{mind}/{split}/news.tsv", encoding="utf-8") as f:
            for line in f:
                c = line.rstrip("\n").split("\t")
                titles[c[0]] = c[3]
    for t in read_tsv_header(f"{mind}/truth/news.tsv"):
        if "text_vector" not in t:
            sys.exit("quality-bound.py: truth/news.tsv has no text_vector column "
                     "(made by an older vmind-synth)")
        hue = float(t["vis_hue"]) * math.pi / 180
        sat = float(t["vis_sat"])
        words = [w.strip("?!.,:;\"'").lower() for w in titles.get(t["id"], "").split()]
        cats.setdefault(t["category"], len(cats))
        items[t["id"]] = dict(
            cat=t["category"], sub=t["subcategory"], theme=t["theme"],
            hooks=sum(w in HOOKS for w in words),
            colour=np.array([sat * math.cos(hue), sat * math.sin(hue)]),
            light=float(t["vis_light"]), shape=t["vis_shape"],
            bias=float(t["text_bias"]),
            x=np.array([float(v) for v in t["text_vector"].split(",")]))
    return items, cats


def features(items, cats, hist, cand):
    """three groups of features of one candidate against one history"""
    h = hist[-50:]
    n = len(h)
    c = items[cand]
    hi = [items[j] for j in h]
    share = lambda key, seq: sum(i[key] == c[key] for i in seq) / max(len(seq), 1)
    obs = []
    for k in RECENT:
        obs += [share("sub", hi[-k:]), share("cat", hi[-k:])]
    obs += [share("sub", hi), share("cat", hi), math.log1p(sum(i["cat"] == c["cat"] for i in hi)),
            c["hooks"], float(n == 0), math.log1p(n)]
    onehot = [0.0] * len(cats)
    onehot[cats[c["cat"]]] = 1.0
    obs += onehot
    cover = [c["light"]]
    for k in (10, 50):
        seq = hi[-k:]
        mc = np.mean([i["colour"] for i in seq], 0) if seq else np.zeros(2)
        cover += [float(c["colour"] @ mc), float(c["colour"] @ mc) / (np.linalg.norm(mc) + 1e-9),
                  share("shape", seq)]
    truth = [c["bias"]]
    for k in (1, 3, 5, 10, 50):
        seq = hi[-k:]
        truth.append(float(np.mean([i["x"] for i in seq], 0) @ c["x"]) if seq else 0.0)
        truth.append(share("theme", seq))
    return obs, cover, truth


def load(mind, items, cats, split, limit):
    rows, labels, group = [], [], []
    with open(f"{mind}/{split}/behaviors.tsv", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= limit:
                break
            c = line.rstrip("\n").split("\t")
            hist = c[3].split()
            for cand in c[4].split():
                nid, lab = cand.rsplit("-", 1)
                o, v, t = features(items, cats, hist, nid)
                rows.append(o + v + t)
                labels.append(int(lab))
                group.append(i)
    return np.array(rows), np.array(labels), np.array(group), (len(o), len(v), len(t))


def mean_auc(score, y, g):
    """the official metric: mean over impressions with a click and a non-click"""
    cut = np.flatnonzero(np.diff(g)) + 1
    aucs = [roc_auc_score(y[p], score[p]) for p in np.split(np.arange(len(g)), cut)
            if 0 < y[p].sum() < len(p)]
    return float(np.mean(aucs))


def oracle_auc(mind, col):
    """dev AUC of truth p (col 1) or q (col 2), from truth/dev/clicks.tsv"""
    aucs = []
    with open(f"{mind}/dev/behaviors.tsv") as b, open(f"{mind}/truth/dev/clicks.tsv") as c:
        for lb, lc in zip(b, c):
            y = [int(x.rsplit("-", 1)[1]) for x in lb.rstrip("\n").split("\t")[4].split()]
            s = [float(x) for x in lc.rstrip("\n").split("\t")[col].split()]
            if 0 < sum(y) < len(y):
                aucs.append(roc_auc_score(y, s))
    return float(np.mean(aucs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mind")
    ap.add_argument("--train-impressions", type=int, default=20000)
    a = ap.parse_args()
    items, cats = load_items(a.mind)
    Xt, yt, gt, (no, nv, nt) = load(a.mind, items, cats, "train", a.train_impressions)
    Xd, yd, gd, _ = load(a.mind, items, cats, "dev", 1 << 62)
    oracle, textonly = oracle_auc(a.mind, 1), oracle_auc(a.mind, 2)
    share = lambda auc: 100 * (auc - 0.5) / (oracle - 0.5)
    print(f"| learner | dev AUC | share of the oracle's gain |")
    print(f"|---|---|---|")
    print(f"| oracle (truth p) | {oracle:.4f} | 100% |")
    print(f"| text-only oracle (truth q) | {textonly:.4f} | {share(textonly):.1f}% |")
    for name, ncol in (("logistic, observable", no), ("logistic, + cover", no + nv),
                       ("logistic, + item truth", no + nv + nt)):
        sc = StandardScaler().fit(Xt[:, :ncol])
        m = LogisticRegression(max_iter=5000).fit(sc.transform(Xt[:, :ncol]), yt)
        auc = mean_auc(m.decision_function(sc.transform(Xd[:, :ncol])), yd, gd)
        print(f"| {name} | {auc:.4f} | {share(auc):.1f}% |", flush=True)
    m = HistGradientBoostingClassifier(max_iter=500, learning_rate=0.05, random_state=1).fit(Xt, yt)
    auc = mean_auc(m.predict_proba(Xd)[:, 1], yd, gd)
    print(f"| boosted trees, + item truth | {auc:.4f} | {share(auc):.1f}% |")


if __name__ == "__main__":
    main()
