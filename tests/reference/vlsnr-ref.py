#!/usr/bin/python3
"""vlsnr-ref.py: the PyTorch reference of the VLSNR model that model/vlsnr/vlsnr.c
implements (same parameter names, shapes and equations; see vlsnr.h), used
two ways, by hand, never by `make check`:

  vlsnr-ref.py golden [OUTDIR]   write tests/data/train/tiny-<encoder>.safetensors:
      for a tiny configuration and each user encoder, the initial parameters
      (float32), a batch (features, history indices and mask, candidates), and
      what float64 PyTorch computes from them: the loss, every parameter
      gradient ("grad.NAME") and the losses of the first 10 Adam steps on that
      batch ("adam_losses"). tests/unit/test-vlsnr.c compares the C model.
  vlsnr-ref.py bench --train SPLITDIR --features FEATDIR [--batch 256
                      --history 50 --negatives 3 --dim 128 --steps N --threads T]
      training samples/s (a sample: one click and its K non-clicks) of the
      same model in float32 PyTorch, batches built as vlsnr-train builds
      them, the peer of bench/train.sh.

Needs Debian's python3-torch and python3-numpy (/usr/bin/python3). The
safetensors files are read and written with struct + json (format: 8-byte
little-endian header length, JSON header, raw little-endian data)."""
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch

NAMES = [  # name, shape as a function of the config (matches vlsnr.c)
    ("news.Wqkv", lambda c: (c["D"], 3 * c["E"])),
    ("news.att_W", lambda c: (c["E"], c["A"])),
    ("news.att_b", lambda c: (c["A"],)),
    ("news.att_q", lambda c: (c["A"],)),
    ("news.W1", lambda c: (c["E"], c["M"])),
    ("news.b1", lambda c: (c["M"],)),
    ("news.W2", lambda c: (c["M"], c["M"])),
    ("news.b2", lambda c: (c["M"],)),
    ("time.Wqkv", lambda c: (c["M"], 3 * c["M"])),
    ("gru.Wx", lambda c: (c["M"], 3 * c["M"])),
    ("gru.Wh", lambda c: (c["M"], 3 * c["M"])),
    ("gru.bx", lambda c: (3 * c["M"],)),
    ("gru.bh", lambda c: (3 * c["M"],)),
    ("user.Wqkv", lambda c: (c["M"], 3 * c["M"])),
    ("user.att_W", lambda c: (c["M"], c["A"])),
    ("user.att_b", lambda c: (c["A"],)),
    ("user.att_q", lambda c: (c["A"],)),
    ("alpha_raw", lambda c: (1,)),
    ("u0", lambda c: (c["M"],)),
]

DTYPES = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i4"): "I32"}


def st_write(path, tensors, meta):
    header, off, blobs = {"__metadata__": {k: str(v) for k, v in meta.items()}}, 0, []
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        b = arr.tobytes()
        header[name] = {"dtype": DTYPES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.rename(tmp, path)


def st_read(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    inv = {"F32": "<f4", "F64": "<f8", "I32": "<i4"}
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + a:8 + n + b], dtype=inv[e["dtype"]]).reshape(e["shape"])
    return out, meta


def mha(x, mask, Wqkv, NH):
    """multi-head self-attention, no biases or output projection; masked keys
    get weight 0, an all-masked row gives 0 (as layers.c)"""
    B, T, _ = x.shape
    E = Wqkv.shape[1] // 3
    dh = E // NH
    q, k, v = (x @ Wqkv).split(E, dim=-1)
    q, k, v = (t.reshape(B, T, NH, dh).transpose(1, 2) for t in (q, k, v))
    s = q @ k.transpose(-1, -2) / math.sqrt(dh)
    if mask is not None:
        s = s.masked_fill(mask[:, None, None, :] == 0, -1e30)
    a = torch.softmax(s, dim=-1)
    if mask is not None:
        a = a * mask[:, None, None, :]
    return (a @ v).transpose(1, 2).reshape(B, T, E)


def addatt(x, mask, W, b, q):
    s = torch.tanh(x @ W + b) @ q
    if mask is not None:
        s = s.masked_fill(mask == 0, -1e30)
    a = torch.softmax(s, dim=-1)
    if mask is not None:
        a = a * mask
    return (a[..., None] * x).sum(1)


def gru(x, mask, Wx, Wh, bx, bh):
    """PyTorch's GRU cell; a step with mask 0 keeps h"""
    B, T, G = x.shape
    h = x.new_zeros(B, G)
    gx = x @ Wx + bx
    for t in range(T):
        gh = h @ Wh + bh
        r = torch.sigmoid(gx[:, t, :G] + gh[:, :G])
        z = torch.sigmoid(gx[:, t, G:2 * G] + gh[:, G:2 * G])
        n = torch.tanh(gx[:, t, 2 * G:] + r * gh[:, 2 * G:])
        hn = (1 - z) * n + z * h
        m = mask[:, t:t + 1]
        h = m * hn + (1 - m) * h
    return h


def news_encoder(p, feats, NH, dropout, training):
    drop = training and dropout > 0
    if drop:
        feats = torch.nn.functional.dropout(feats, dropout)
    T = mha(feats, None, p["news.Wqkv"], NH)
    if drop:
        T = torch.nn.functional.dropout(T, dropout)
    x = addatt(T, None, p["news.att_W"], p["news.att_b"], p["news.att_q"])
    return torch.relu(x @ p["news.W1"] + p["news.b1"]) @ p["news.W2"] + p["news.b2"]


def forward(p, cfg, feats, hist, hmask, cand, dropout=0.0, training=False):
    news = news_encoder(p, feats, cfg["NH"], dropout, training)
    valid = (hist >= 0).to(news.dtype)[..., None]
    H = news[hist.clamp(min=0)] * valid
    Ce = news[cand]
    user = cfg["user_encoder"]
    o1 = o2 = None
    if user == "vlsnr":
        S1 = mha(H, hmask, p["time.Wqkv"], cfg["NH"])
        o1 = gru(S1, hmask, p["gru.Wx"], p["gru.Wh"], p["gru.bx"], p["gru.bh"])
    if user in ("vlsnr", "selfattn"):
        S2 = mha(H, hmask, p["user.Wqkv"], cfg["NH"])
        o2 = addatt(S2, hmask, p["user.att_W"], p["user.att_b"], p["user.att_q"])
    if user == "gru":
        o1 = gru(H, hmask, p["gru.Wx"], p["gru.Wh"], p["gru.bx"], p["gru.bh"])
    if user == "mean":
        o1 = (H * hmask[..., None]).sum(1) / hmask.sum(1, keepdim=True).clamp(min=1)
    if user == "none":
        o1 = p["u0"].expand(hist.shape[0], -1)
    if o1 is not None and o2 is not None:
        al = torch.sigmoid(p["alpha_raw"][0])
        s = al * (Ce @ o1[..., None])[..., 0] + (1 - al) * (Ce @ o2[..., None])[..., 0]
    else:
        u = o1 if o1 is not None else o2
        s = (Ce @ u[..., None])[..., 0]
    target = torch.zeros(s.shape[0], dtype=torch.long)
    return torch.nn.functional.cross_entropy(s, target)


def tiny_case(user, seed=7):
    cfg = {"D": 16, "F": 4, "NH": 2, "E": 8, "A": 6, "M": 8, "user_encoder": user}
    B, P, NC, U = 5, 6, 4, 20
    rng = np.random.default_rng(seed)
    params = {}
    for name, shp in NAMES:
        shape = shp(cfg)
        scale = 0.6 if len(shape) == 2 else 0.3
        params[name] = (rng.uniform(-scale, scale, size=shape)).astype("<f4")
    params["alpha_raw"][0] = 0.25
    feats = rng.normal(size=(U, cfg["F"], cfg["D"])).astype("<f4")
    hist = rng.integers(0, U, size=(B, P)).astype("<i4")
    hmask = np.ones((B, P), dtype="<f4")
    hist[1, :2] = -1          # left padding
    hist[3, :] = -1           # empty history
    hmask[hist < 0] = 0
    hmask[0, 3] = 0           # history noise: a present item masked out
    hmask[2, 1] = 0
    cand = rng.integers(0, U, size=(B, NC)).astype("<i4")
    cand[4, 2] = cand[4, 0]   # a repeated candidate
    return cfg, params, feats, hist, hmask, cand


def golden(outdir):
    torch.set_default_dtype(torch.float64)
    lr = 0.01
    os.makedirs(outdir, exist_ok=True)
    for user in ("vlsnr", "selfattn", "gru", "mean", "none"):
        cfg, params, feats, hist, hmask, cand = tiny_case(user)
        tf = torch.from_numpy(feats.astype("f8"))
        th, tm, tc = torch.from_numpy(hist).long(), torch.from_numpy(hmask.astype("f8")), torch.from_numpy(cand).long()
        p = {k: torch.tensor(v.astype("f8"), requires_grad=True) for k, v in params.items()}
        loss = forward(p, cfg, tf, th, tm, tc)
        loss.backward()
        out = {"param." + k: v for k, v in params.items()}
        out.update({"feats": feats, "hist": hist, "hmask": hmask, "cand": cand,
                    "loss": np.array([loss.item()], dtype="<f8")})
        for k, v in p.items():
            out["grad." + k] = (v.grad if v.grad is not None else torch.zeros_like(v)).numpy().astype("<f8")
        opt = torch.optim.Adam(p.values(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
        losses = []
        for _ in range(10):
            opt.zero_grad()
            lo = forward(p, cfg, tf, th, tm, tc)
            losses.append(lo.item())
            lo.backward()
            for v in p.values():   # unused parameters: zero gradient, as in C
                if v.grad is None:
                    v.grad = torch.zeros_like(v)
            opt.step()
        out["adam_losses"] = np.array(losses, dtype="<f8")
        meta = dict(cfg)
        meta["lr"] = lr
        path = os.path.join(outdir, "tiny-%s.safetensors" % user)
        st_write(path, out, meta)
        print("%s: loss %.9f, adam losses %s" % (path, loss.item(), " ".join("%.6f" % x for x in losses)))


def load_split(mind_split, featdir, fields):
    """behaviors.tsv as feature rows, and the [N,F,D] features"""
    ids = [l.strip() for l in open(os.path.join(featdir, "ids.txt"))]
    row = {n: i for i, n in enumerate(ids)}
    feats = np.stack([np.load(os.path.join(featdir, f + ".npy")) for f in fields], axis=1)
    imps = []
    for line in open(os.path.join(mind_split, "behaviors.tsv")):
        c = line.rstrip("\n").split("\t")
        hist = [row[h] for h in c[3].split() if h in row]
        cand = [(row[x.split("-")[0]], int(x.split("-")[1])) for x in c[4].split() if x.split("-")[0] in row]
        imps.append((hist, cand))
    return feats, imps


def bench(argv):
    """training samples/s on a vmind-synth split with the same batch
    construction as vlsnr-train (last H history items, left-padded; a click
    and K non-clicks of its impression; news vectors once per distinct item)"""
    import argparse
    ap = argparse.ArgumentParser(prog="vlsnr-ref.py bench")
    ap.add_argument("--train", required=True, help="split directory (behaviors.tsv)")
    ap.add_argument("--features", required=True)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--history", type=int, default=50)
    ap.add_argument("--negatives", type=int, default=3)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--att-dim", type=int, default=128)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    fields = ["image", "title", "category", "subcategory"]
    feats, imps = load_split(a.train, a.features, fields)
    cfg = {"D": feats.shape[2], "F": 4, "NH": a.heads, "E": a.dim, "A": a.att_dim, "M": a.dim,
           "user_encoder": "vlsnr"}
    samples = [(i, r) for i, (h, c) in enumerate(imps) if any(l == 0 for _, l in c)
               for r, l in c if l == 1]
    p = {k: (torch.rand(shp(cfg)) * 0.2 - 0.1).requires_grad_() for k, shp in NAMES}
    opt = torch.optim.Adam(p.values(), lr=1e-4)
    table = torch.from_numpy(feats)
    B, P, K = a.batch, a.history, a.negatives
    times = []
    for step in range(a.steps + 1):
        t0 = time.perf_counter()
        hist = np.full((B, P), -1, dtype=np.int64)
        cand = np.zeros((B, K + 1), dtype=np.int64)
        for b, si in enumerate(rng.integers(0, len(samples), B)):
            i, pos = samples[si]
            h = imps[i][0][-P:]
            if h:
                hist[b, P - len(h):] = h
            neg = [r for r, l in imps[i][1] if l == 0]
            cand[b, 0] = pos
            cand[b, 1:] = rng.choice(neg, K, replace=len(neg) < K)
        flat = np.concatenate([hist[hist >= 0], cand.ravel()])
        ids, inv = np.unique(flat, return_inverse=True)
        lh = np.full((B, P), -1, dtype=np.int64)
        lh[hist >= 0] = inv[:int((hist >= 0).sum())]
        lc = inv[int((hist >= 0).sum()):].reshape(B, K + 1)
        hmask = torch.from_numpy((lh >= 0).astype(np.float32))
        opt.zero_grad()
        loss = forward(p, cfg, table[torch.from_numpy(ids)], torch.from_numpy(lh), hmask,
                       torch.from_numpy(lc), dropout=0.5, training=True)
        loss.backward()
        opt.step()
        if step > 0:   # the first step warms up
            times.append(time.perf_counter() - t0)
    sps = B * len(times) / sum(times)
    print(json.dumps({"peer": "pytorch %s" % torch.__version__, "threads": a.threads,
                      "batch": B, "history": P, "negatives": K, "dim": a.dim, "steps": len(times),
                      "samples_per_s": round(sps, 1)}))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "golden":
        here = os.path.dirname(os.path.abspath(__file__))
        golden(sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "data", "train"))
    elif len(sys.argv) >= 2 and sys.argv[1] == "bench":
        bench(sys.argv[2:])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
