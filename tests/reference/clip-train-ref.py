#!/usr/bin/python3
"""clip-train-ref.py: the PyTorch reference of CLIP's training in vlsnr-embed
(model/clip/clip-train.c, clip-fit.c), run by hand with Debian's
/usr/bin/python3, python3-torch, python3-numpy, python3-pil and
python3-regex; never by `make check`. It reuses clip-ref.py's model
(Hugging Face's modeling_clip.py without transformers) and tokenizer, with
autograd, and

  golden MODEL DATA OUT    writes OUT (safetensors, F32): the loss of CLIP's
                           symmetric contrastive loss over the pairs (the
                           first 6 images of DATA/img, sorted, and the 6
                           lines of DATA/texts.txt, padded with the end
                           token), in float64; the gradient of every tensor
                           of the model ("grad.NAME"); and the losses of the
                           first 10 Adam steps (lr 1e-3, betas 0.9 0.98, eps
                           1e-6, the logit scale clamped to [0, ln 100]
                           after each, as CLIP trains) on that batch when
                           the last 0, 1 or every block and the embeddings
                           are trained ("adam.0", "adam.1", "adam.all")
  bench MODEL LAYERS THREADS BATCH STEPS
                           training pairs per second of the same loop in
                           float32 PyTorch: the last LAYERS blocks (a
                           number or "all") from their input activations
                           (random, of the right shape: the frozen prefix
                           is computed once, as vlsnr-embed does), the
                           final LayerNorms, the projections and the logit
                           scale, Adam; one warm-up step, then STEPS timed
"""
import importlib.util
import math
import os
import sys
import time

import numpy as np
import torch

F = torch.nn.functional
HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("clip_ref", os.path.join(HERE, "clip-ref.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


def trained(name, cfg, layers):
    """the rule of clip-fit.c: the last N blocks of each tower (a tower
    with fewer blocks trains all of its), the final LayerNorms when N > 0,
    the projections and the logit scale; "all": everything"""
    if layers == "all":
        return True
    if name.startswith(("visual_projection", "text_projection", "logit_scale")):
        return True
    vision = name.startswith("vision_model")
    L = cfg.v["layers"] if vision else cfg.t["layers"]
    n = min(layers, L)
    if "final_layer_norm" in name or "post_layernorm" in name:
        return n > 0
    if ".encoder.layers." in name:
        i = int(name.split(".encoder.layers.")[1].split(".")[0])
        return i >= L - n
    return False


def hidden_image(W, c, pixels, upto):
    """the residual stream after the embeddings, pre-LN and blocks [0, upto)"""
    D = c.v["hidden"]
    pe = F.conv2d(pixels, W["vision_model.embeddings.patch_embedding.weight"], stride=c.patch_size)
    pe = pe.flatten(2).transpose(1, 2)
    cls = W["vision_model.embeddings.class_embedding"].expand(pixels.shape[0], 1, -1)
    x = torch.cat([cls, pe], dim=1) + W["vision_model.embeddings.position_embedding.weight"]
    x = F.layer_norm(x, (D,), W["vision_model.pre_layrnorm.weight"], W["vision_model.pre_layrnorm.bias"], c.v["eps"])
    return blocks(x, W, "vision_model", c.v, None, 0, upto)


def blocks(x, W, pre, cfg, mask, first, last):
    sub = dict(cfg)
    out = x
    for i in range(first, last):
        # clip-ref's encoder runs layers [0, layers); rename block i to 0
        Wi = {k.replace("%s.encoder.layers.%d." % (pre, i), "%s.encoder.layers.0." % pre): v
              for k, v in W.items() if k.startswith("%s.encoder.layers.%d." % (pre, i))}
        sub["layers"] = 1
        out = ref.encoder(out, Wi, pre, sub, mask)
    return out


def causal_mask(T, dtype):
    return torch.full((T, T), torch.finfo(dtype).min, dtype=dtype).triu(1)


def features(W, c, pixels, ids, eos):
    B, T = ids.shape
    x = hidden_image(W, c, pixels, c.v["layers"])
    img = F.layer_norm(x[:, 0, :], (c.v["hidden"],), W["vision_model.post_layernorm.weight"],
                       W["vision_model.post_layernorm.bias"], c.v["eps"])
    img = F.linear(img, W["visual_projection.weight"])
    t = W["text_model.embeddings.token_embedding.weight"][ids] + W["text_model.embeddings.position_embedding.weight"][:T]
    t = blocks(t, W, "text_model", c.t, causal_mask(T, t.dtype), 0, c.t["layers"])
    pos = (ids == eos).int().argmax(dim=-1)
    t = F.layer_norm(t[torch.arange(B), pos], (c.t["hidden"],), W["text_model.final_layer_norm.weight"],
                     W["text_model.final_layer_norm.bias"], c.t["eps"])
    return img, F.linear(t, W["text_projection.weight"])


def clip_loss(img, txt, logit_scale):
    img = img / img.norm(dim=-1, keepdim=True)
    txt = txt / txt.norm(dim=-1, keepdim=True)
    logits = logit_scale.exp() * txt @ img.t()
    labels = torch.arange(img.shape[0])
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


def golden_batch(model, data):
    m = ref.CLIP(model)
    imgdir = os.path.join(data, "img")
    paths = sorted(os.path.join(imgdir, p) for p in os.listdir(imgdir) if p.endswith((".png", ".jpg")))[:6]
    px = torch.stack([ref.normalize(m.crop(p)) for p in paths]).double()
    lines = open(os.path.join(data, "texts.txt"), encoding="utf-8").read().rstrip("\n").split("\n")
    toks = [m.tok(s, m.cfg.max_pos) for s in lines]
    T = max(len(t) for t in toks)
    ids = torch.tensor([t + [m.tok.eos] * (T - len(t)) for t in toks], dtype=torch.long)
    W = {k: v.double() for k, v in m.W.items()}
    if "logit_scale" not in W:
        W["logit_scale"] = torch.tensor(math.log(1 / 0.07), dtype=torch.float64)
    W["logit_scale"] = W["logit_scale"].reshape(())
    return m, W, px, ids


def adam_losses(m, W0, px, ids, layers, steps=10):
    W = {k: v.clone().requires_grad_(trained(k, m.cfg, layers)) for k, v in W0.items()}
    params = [v for v in W.values() if v.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.98), eps=1e-6)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = clip_loss(*features(W, m.cfg, px, ids, m.tok.eos), W["logit_scale"])
        loss.backward()
        opt.step()
        with torch.no_grad():
            W["logit_scale"].clamp_(0, math.log(100))
        out.append(loss.item())
    return out


def golden(model, data, out):
    m, W0, px, ids = golden_batch(model, data)
    W = {k: v.clone().requires_grad_(True) for k, v in W0.items()}
    loss = clip_loss(*features(W, m.cfg, px, ids, m.tok.eos), W["logit_scale"])
    loss.backward()
    T = {"loss": torch.tensor([loss.item()])}
    for k, v in W.items():
        if "position_ids" not in k:
            T["grad." + k] = v.grad.reshape(v.shape)
    for layers in (0, 1, "all"):
        T["adam.%s" % layers] = torch.tensor(adam_losses(m, W0, px, ids, layers))
        print("adam.%s: %s" % (layers, " ".join("%.6f" % x for x in T["adam.%s" % layers].tolist())))
    T["logit_scale_grad"] = W["logit_scale"].grad.reshape(1)
    ref.st_save(out, T, "F32")
    print("loss %.9f, %d gradients written to %s" % (loss.item(), len(T) - 5, out))


def bench(model, layers, threads, batch, steps):
    torch.set_num_threads(threads)
    m = ref.CLIP(model)
    c = m.cfg
    layers = "all" if layers == "all" else int(layers)
    W = {k: v.clone().requires_grad_(trained(k, c, layers)) for k, v in m.W.items() if "position_ids" not in k}
    if "logit_scale" not in W:
        W["logit_scale"] = torch.tensor(math.log(1 / 0.07), requires_grad=True)
    W["logit_scale"] = W["logit_scale"].detach().reshape(()).requires_grad_(True)
    params = [v for v in W.values() if v.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-5, betas=(0.9, 0.98), eps=1e-6)
    g = torch.Generator().manual_seed(1)
    S, T = c.image_size, 20
    Tv = (S // c.patch_size) ** 2 + 1
    ids = torch.randint(0, c.vocab_size - 2, (batch, T), generator=g)
    ids[:, -1] = m.tok.eos
    px = torch.randn(batch, 3, S, S, generator=g)
    nv = c.v["layers"] if layers == "all" else min(layers, c.v["layers"])
    nt = c.t["layers"] if layers == "all" else min(layers, c.t["layers"])
    hv = torch.randn(batch, Tv, c.v["hidden"], generator=g)
    ht = torch.randn(batch, T, c.t["hidden"], generator=g)

    def step():
        opt.zero_grad()
        if layers == "all":
            img, txt = features(W, c, px, ids, m.tok.eos)
        else:
            xv = blocks(hv, W, "vision_model", c.v, None, c.v["layers"] - nv, c.v["layers"])
            xt = blocks(ht, W, "text_model", c.t, causal_mask(T, torch.float32), c.t["layers"] - nt, c.t["layers"])
            img = F.layer_norm(xv[:, 0], (c.v["hidden"],), W["vision_model.post_layernorm.weight"],
                               W["vision_model.post_layernorm.bias"], c.v["eps"])
            txt = F.layer_norm(xt[:, -1], (c.t["hidden"],), W["text_model.final_layer_norm.weight"],
                               W["text_model.final_layer_norm.bias"], c.t["eps"])
            img = F.linear(img, W["visual_projection.weight"])
            txt = F.linear(txt, W["text_projection.weight"])
        loss = clip_loss(img, txt, W["logit_scale"])
        loss.backward()
        opt.step()
    step()
    t0 = time.time()
    for _ in range(steps):
        step()
    dt = time.time() - t0
    print("pairs_per_s %.3f layers %s batch %d threads %d steps %d" % (batch * steps / dt, layers, batch, threads, steps))


def main(a):
    if len(a) == 4 and a[0] == "golden":
        golden(a[1], a[2], a[3])
    elif len(a) == 6 and a[0] == "bench":
        bench(a[1], a[2], int(a[3]), int(a[4]), int(a[5]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
