#!/usr/bin/python3
"""clip-ref.py: the PyTorch reference of vlsnr-embed (run by hand with Debian's
/usr/bin/python3, python3-torch, python3-numpy, python3-pil, python3-regex;
never by `make check`).

It builds the CLIP architecture of Hugging Face's modeling_clip.py from a
checkpoint folder (config.json, model.safetensors, vocab.json, merges.txt)
without transformers (which Debian does not package), tokenizes exactly as
OpenAI's simple_tokenizer.py with ftfy.fix_text replaced by its table-driven
fixes written out below (ftfy 6 defaults without the mojibake heuristic,
fix_encoding; ftfy is not packaged by Debian; see vlsnr-embed(1)), preprocesses images as CLIPImageProcessor does (PIL
bicubic, centre crop, normalise), and

  make-tiny DIR        writes the tiny random test model (2 layers, small
                       widths, a BPE vocabulary learned here from a small
                       synthetic corpus) in fp16
  make-full DIR        writes a ViT-B/32-shaped model with random weights (fp32)
  images DIR           writes the test images
  golden MODEL DATA    writes DATA/tokens.txt, DATA/crops.txt,
                       DATA/golden-text.txt, DATA/golden-image.txt from
                       DATA/strings.txt, DATA/texts.txt, DATA/img/*.png
  tokenize MODEL       token ids of each stdin line
  embed-text MODEL OUT.npy < lines; embed-image MODEL OUT.npy IMAGE...
  compare A.npy B.npy  max abs diff and min cosine (exit 1 if cosine < 0.9999)
  bench MODEL THREADS BATCH N   images/s and texts/s of the forward passes
"""
import hashlib
import html
import html.entities
import json
import math
import os
import struct
import sys
import time
import unicodedata

import numpy as np
import regex as re
import torch
from PIL import Image

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


# ---------------------------------------------------------------- safetensors
def st_save(path, tensors, dtype):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().cpu().numpy().astype(np.float16 if dtype == "F16" else np.float32)
        b = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def st_load(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, en = e["data_offsets"]
        dt = {"F32": np.float32, "F16": np.float16}[e["dtype"]]
        a = np.frombuffer(data[base + b:base + en], dtype=dt).reshape(e["shape"]).astype(np.float32)
        out[name] = torch.from_numpy(a.copy())
    return out


# ------------------------------------------------------------------ tokenizer
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


PAT = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
                 re.IGNORECASE)


# ftfy 6's tables (chardata.py): Windows-1252 for C1 controls, Latin
# ligatures, width map, curly quotes, control characters
C1 = {c: bytes([c]).decode("cp1252", errors="ignore") or chr(c) for c in range(0x80, 0xa0)}
LIGATURES = {"\u0132": "IJ", "\u0133": "ij", "\u0149": "\u02bcn", "\u01f1": "DZ", "\u01f2": "Dz",
             "\u01f3": "dz", "\u01c4": "D\u017d", "\u01c5": "D\u017e", "\u01c6": "d\u017e",
             "\u01c7": "LJ", "\u01c8": "Lj", "\u01c9": "lj", "\u01ca": "NJ", "\u01cb": "Nj",
             "\u01cc": "nj", "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
             "\ufb04": "ffl", "\ufb05": "\u017ft", "\ufb06": "st"}
WIDTH = {0x3000: " "}
WIDTH.update({i: unicodedata.normalize("NFKC", chr(i)) for i in range(0xff01, 0xfff0)
              if unicodedata.normalize("NFKC", chr(i)) != chr(i)})
CONTROL = {i: None for i in list(range(0, 9)) + [0x0b] + list(range(0x0e, 0x20)) + [0x7f] +
           list(range(0x206a, 0x2070)) + [0xfeff] + list(range(0xfff9, 0xfffd))}
ENTITIES = {}
for _n, _c in html.entities.html5.items():
    if _n.endswith(";"):
        ENTITIES["&" + _n] = _c
        if _n == _n.lower() and html.unescape("&" + _n.upper()) == "&" + _n.upper():
            ENTITIES["&" + _n.upper()] = _c.upper()


def ftfy_unescape(m):
    t = m.group(0)
    if t in ENTITIES:
        return ENTITIES[t]
    if t.startswith("&#"):
        u = html.unescape(t)
        return t if ";" in u else u
    return t


def fix_text(text):
    """ftfy.fix_text's deterministic steps, in its order, until stable"""
    unescape = "<" not in text   # decided once, on the input
    while True:
        orig = text
        if unescape:
            text = re.sub(r"&#?[0-9A-Za-z]{1,24};", ftfy_unescape, text)
        text = re.sub("[\x80-\x9f]", lambda m: C1[ord(m.group(0))], text)
        text = "".join(LIGATURES.get(ch, ch) for ch in text)
        text = text.translate(WIDTH)
        text = re.sub("[\u02bc\u2018-\u201b]", "'", re.sub("[\u201c-\u201f]", '"', text))
        text = re.sub("[\r\u2028\u2029\u0085]", "\n", text.replace("\r\n", "\n"))
        text = re.sub("\033\\[((?:\\d|;)*)([a-zA-Z])", "", text)
        text = text.translate(CONTROL)
        text = unicodedata.normalize("NFC", text)
        if text == orig:
            return text


def clean(text):
    # simple_tokenizer.py: basic_clean (ftfy.fix_text, html.unescape twice,
    # strip), whitespace_clean, lower
    text = fix_text(text)
    text = html.unescape(html.unescape(text)).strip()
    text = re.sub(r"\s+", " ", text).strip()
    return text.lower()


class Tokenizer:
    def __init__(self, d):
        self.encoder = json.load(open(os.path.join(d, "vocab.json"), encoding="utf-8"))
        merges = open(os.path.join(d, "merges.txt"), encoding="utf-8").read().strip().split("\n")[1:49152 - 256 - 2 + 1]
        merges = [tuple(m.split()) for m in merges]
        self.ranks = {}
        for i, m in enumerate(merges):
            self.ranks.setdefault(m, i)
        self.byte_encoder = bytes_to_unicode()
        self.bos = self.encoder["<|startoftext|>"]
        self.eos = self.encoder["<|endoftext|>"]
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = set(zip(word, word[1:]))
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if bigram not in self.ranks:
                break
            first, second = bigram
            new, i = [], 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new.extend(word[i:j])
                    i = j
                except ValueError:
                    new.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new.append(first + second)
                    i += 2
                else:
                    new.append(word[i])
                    i += 1
            word = tuple(new)
            if len(word) == 1:
                break
            pairs = set(zip(word, word[1:]))
        w = " ".join(word)
        self.cache[token] = w
        return w

    def encode(self, text):
        out = []
        for tok in re.findall(PAT, clean(text)):
            tok = "".join(self.byte_encoder[b] for b in tok.encode("utf-8"))
            out.extend(self.encoder.get(t, self.eos) for t in self.bpe(tok).split(" "))
        return out

    def __call__(self, text, ctx=77):
        ids = [self.bos] + self.encode(text)[:ctx - 2] + [self.eos]
        return ids


# ---------------------------------------------------------------------- model
class Config:
    def __init__(self, path):
        c = json.load(open(path))
        v, t = c.get("vision_config", {}), c.get("text_config", {})
        self.v = dict(hidden=v.get("hidden_size", 768), inter=v.get("intermediate_size", 3072),
                      layers=v.get("num_hidden_layers", 12), heads=v.get("num_attention_heads", 12),
                      eps=v.get("layer_norm_eps", 1e-5), act=v.get("hidden_act", "quick_gelu"))
        self.t = dict(hidden=t.get("hidden_size", 512), inter=t.get("intermediate_size", 2048),
                      layers=t.get("num_hidden_layers", 12), heads=t.get("num_attention_heads", 8),
                      eps=t.get("layer_norm_eps", 1e-5), act=t.get("hidden_act", "quick_gelu"))
        self.image_size = v.get("image_size", 224)
        self.patch_size = v.get("patch_size", 32)
        self.vocab_size = t.get("vocab_size", 49408)
        self.max_pos = t.get("max_position_embeddings", 77)
        self.proj = c.get("projection_dim", 512)


def act(x, name):
    if name == "quick_gelu":
        return x * torch.sigmoid(1.702 * x)
    return torch.nn.functional.gelu(x)


def encoder(x, W, pre, cfg, mask):
    # CLIPEncoderLayer: pre-LN, attention (q scaled after its bias), MLP
    D, H = cfg["hidden"], cfg["heads"]
    hd = D // H
    B, T, _ = x.shape
    F = torch.nn.functional
    for i in range(cfg["layers"]):
        p = "%s.encoder.layers.%d." % (pre, i)
        h = F.layer_norm(x, (D,), W[p + "layer_norm1.weight"], W[p + "layer_norm1.bias"], cfg["eps"])
        q = F.linear(h, W[p + "self_attn.q_proj.weight"], W[p + "self_attn.q_proj.bias"]) * hd ** -0.5
        k = F.linear(h, W[p + "self_attn.k_proj.weight"], W[p + "self_attn.k_proj.bias"])
        v = F.linear(h, W[p + "self_attn.v_proj.weight"], W[p + "self_attn.v_proj.bias"])
        q, k, v = (z.view(B, T, H, hd).transpose(1, 2) for z in (q, k, v))
        s = q @ k.transpose(-1, -2)
        if mask is not None:
            s = s + mask
        a = torch.softmax(s, dim=-1) @ v
        a = a.transpose(1, 2).reshape(B, T, D)
        x = x + F.linear(a, W[p + "self_attn.out_proj.weight"], W[p + "self_attn.out_proj.bias"])
        h = F.layer_norm(x, (D,), W[p + "layer_norm2.weight"], W[p + "layer_norm2.bias"], cfg["eps"])
        h = act(F.linear(h, W[p + "mlp.fc1.weight"], W[p + "mlp.fc1.bias"]), cfg["act"])
        x = x + F.linear(h, W[p + "mlp.fc2.weight"], W[p + "mlp.fc2.bias"])
    return x


class CLIP:
    def __init__(self, d):
        self.cfg = Config(os.path.join(d, "config.json"))
        self.W = st_load(os.path.join(d, "model.safetensors"))
        self.tok = Tokenizer(d)

    @torch.no_grad()
    def image_features(self, pixels):
        c, W, F = self.cfg, self.W, torch.nn.functional
        D = c.v["hidden"]
        pe = F.conv2d(pixels, W["vision_model.embeddings.patch_embedding.weight"], stride=c.patch_size)
        pe = pe.flatten(2).transpose(1, 2)
        cls = W["vision_model.embeddings.class_embedding"].expand(pixels.shape[0], 1, -1)
        x = torch.cat([cls, pe], dim=1) + W["vision_model.embeddings.position_embedding.weight"]
        x = F.layer_norm(x, (D,), W["vision_model.pre_layrnorm.weight"], W["vision_model.pre_layrnorm.bias"], c.v["eps"])
        x = encoder(x, W, "vision_model", c.v, None)
        pooled = F.layer_norm(x[:, 0, :], (D,), W["vision_model.post_layernorm.weight"],
                              W["vision_model.post_layernorm.bias"], c.v["eps"])
        return F.linear(pooled, W["visual_projection.weight"])

    @torch.no_grad()
    def text_features(self, ids):
        # ids: LongTensor [B, T], padded with the end token
        c, W, F = self.cfg, self.W, torch.nn.functional
        D = c.t["hidden"]
        B, T = ids.shape
        x = W["text_model.embeddings.token_embedding.weight"][ids] + W["text_model.embeddings.position_embedding.weight"][:T]
        mask = torch.full((T, T), torch.finfo(torch.float32).min).triu(1)
        x = encoder(x, W, "text_model", c.t, mask)
        x = F.layer_norm(x, (D,), W["text_model.final_layer_norm.weight"], W["text_model.final_layer_norm.bias"], c.t["eps"])
        # the first end token (HF: (input_ids == eos_token_id).int().argmax(-1))
        pos = (ids == self.tok.eos).int().argmax(dim=-1)
        pooled = x[torch.arange(B), pos]
        return F.linear(pooled, W["text_projection.weight"])

    def encode_texts(self, lines):
        toks = [self.tok(s, self.cfg.max_pos) for s in lines]
        T = max(len(t) for t in toks)
        ids = torch.tensor([t + [self.tok.eos] * (T - len(t)) for t in toks], dtype=torch.long)
        return self.text_features(ids)

    def crop(self, path):
        return preprocess_u8(Image.open(path), self.cfg.image_size)

    def encode_images(self, paths):
        px = torch.stack([normalize(self.crop(p)) for p in paths])
        return self.image_features(px)


def preprocess_u8(im, S):
    # CLIPImageProcessor: convert("RGB"), shortest_edge resize (bicubic,
    # get_resize_output_image_size), center_crop (floor), as uint8 HWC
    im = im.convert("RGB")
    w, h = im.size
    if w <= h:
        nw, nh = S, int(S * h / w)
    else:
        nw, nh = int(S * w / h), S
    if (nw, nh) != (w, h):
        im = im.resize((nw, nh), resample=Image.BICUBIC, reducing_gap=None)
    a = np.asarray(im, dtype=np.uint8)
    top, left = (nh - S) // 2, (nw - S) // 2
    return np.ascontiguousarray(a[top:top + S, left:left + S])


def normalize(a):
    x = a.astype(np.float32) * np.float32(1 / 255.0)
    x = (x - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return torch.from_numpy(x.transpose(2, 0, 1).copy())


# --------------------------------------------------------------- model making
CORPUS = """a photo of a fox on the grass . the quick brown fox jumps over the lazy dog .
news sports politics weather finance health lifestyle entertainment travel autos video music movies tv
foodanddrink kids middleeast northamerica weekend football basketball baseball soccer hockey tennis golf
breaking story world election president government market stocks economy climate storm rain snow wind
the president said on monday that the market would recover , experts say it's not clear when .
they're saying we'll see what you've got and i'm sure she'd like it . don't can't won't isn't
café naïve résumé straße istanbul tokyo 東京 オリンピック 2020 emoji 🦊 🔥 numbers 12345 3.14159
hello world ! what's new ? 100 % of people & tom and jerry < b > show < / b >
red green blue yellow orange purple circle square triangle stripes ring cross background colour
""" * 3


def learn_bpe(n_merges):
    be = bytes_to_unicode()
    from collections import Counter
    words = Counter()
    for tok in re.findall(PAT, clean(CORPUS)):
        s = "".join(be[b] for b in tok.encode("utf-8"))
        words[tuple(s[:-1]) + (s[-1] + "</w>",)] += 1
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for w, c in words.items():
            for p in zip(w, w[1:]):
                pairs[p] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        if pairs[best] < 2:
            break
        merges.append(best)
        nw = Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i < len(w) - 1 and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            nw[tuple(out)] += c
        words = nw
    vocab = list(be.values())
    vocab = vocab + [v + "</w>" for v in vocab]
    seen = set(vocab)
    for a, b in merges:
        if a + b not in seen:
            vocab.append(a + b)
            seen.add(a + b)
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {v: i for i, v in enumerate(vocab)}, merges


def random_weights(cfg, g, std=0.02):
    W = {}

    def n(*shape, s=std):
        return torch.randn(*shape, generator=g) * s

    def ln(name, D):
        W[name + ".weight"] = 1 + n(D, s=0.1)
        W[name + ".bias"] = n(D, s=0.1)

    def layers(pre, c):
        D, I = c["hidden_size"], c["intermediate_size"]
        for i in range(c["num_hidden_layers"]):
            p = "%s.encoder.layers.%d." % (pre, i)
            for k in ("q", "k", "v", "out"):
                W[p + "self_attn.%s_proj.weight" % k] = n(D, D, s=D ** -0.5)
                W[p + "self_attn.%s_proj.bias" % k] = n(D)
            ln(p + "layer_norm1", D)
            ln(p + "layer_norm2", D)
            W[p + "mlp.fc1.weight"] = n(I, D, s=D ** -0.5)
            W[p + "mlp.fc1.bias"] = n(I)
            W[p + "mlp.fc2.weight"] = n(D, I, s=I ** -0.5)
            W[p + "mlp.fc2.bias"] = n(D)

    v, t = cfg["vision_config"], cfg["text_config"]
    Dv, Dt, P = v["hidden_size"], t["hidden_size"], v["patch_size"]
    npatch = (v["image_size"] // P) ** 2
    W["vision_model.embeddings.class_embedding"] = n(Dv, s=1.0)
    W["vision_model.embeddings.patch_embedding.weight"] = n(Dv, 3, P, P, s=(3 * P * P) ** -0.5)
    W["vision_model.embeddings.position_embedding.weight"] = n(npatch + 1, Dv, s=0.5)
    ln("vision_model.pre_layrnorm", Dv)
    layers("vision_model", v)
    ln("vision_model.post_layernorm", Dv)
    W["visual_projection.weight"] = n(cfg["projection_dim"], Dv, s=Dv ** -0.5)
    W["text_model.embeddings.token_embedding.weight"] = n(t["vocab_size"], Dt, s=1.0)
    W["text_model.embeddings.position_embedding.weight"] = n(t["max_position_embeddings"], Dt, s=0.5)
    layers("text_model", t)
    ln("text_model.final_layer_norm", Dt)
    W["text_projection.weight"] = n(cfg["projection_dim"], Dt, s=Dt ** -0.5)
    W["logit_scale"] = torch.tensor(math.log(1 / 0.07))
    return W


def write_model(d, cfg, vocab, merges, dtype, seed):
    os.makedirs(d, exist_ok=True)
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=2)
    json.dump(vocab, open(os.path.join(d, "vocab.json"), "w", encoding="utf-8"), ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write("%s %s\n" % (a, b))
    g = torch.Generator().manual_seed(seed)
    st_save(os.path.join(d, "model.safetensors"), random_weights(cfg, g), dtype)


def make_tiny(d):
    vocab, merges = learn_bpe(400)
    cfg = {
        "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 16,
        "text_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                        "num_attention_heads": 2, "vocab_size": len(vocab), "max_position_embeddings": 77,
                        "layer_norm_eps": 1e-5, "hidden_act": "quick_gelu", "projection_dim": 16,
                        "bos_token_id": vocab["<|startoftext|>"], "eos_token_id": vocab["<|endoftext|>"]},
        "vision_config": {"hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 2,
                          "num_attention_heads": 3, "image_size": 224, "patch_size": 32,
                          "layer_norm_eps": 1e-5, "hidden_act": "quick_gelu", "projection_dim": 16},
    }
    write_model(d, cfg, vocab, merges, "F16", 1234)


def make_full(d):
    # ViT-B/32 shapes; a learned 49408-entry vocabulary cannot be made here,
    # so the tiny BPE vocabulary is used (ids < 49408, end token id 49407)
    vocab, merges = learn_bpe(400)
    specials = ["<|startoftext|>", "<|endoftext|>"]
    vocab = {k: v for k, v in vocab.items() if k not in specials}
    vocab["<|startoftext|>"] = 49406
    vocab["<|endoftext|>"] = 49407
    cfg = {
        "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 512,
        "text_config": {"hidden_size": 512, "intermediate_size": 2048, "num_hidden_layers": 12,
                        "num_attention_heads": 8, "vocab_size": 49408, "max_position_embeddings": 77,
                        "layer_norm_eps": 1e-5, "hidden_act": "quick_gelu", "eos_token_id": 2},
        "vision_config": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                          "num_attention_heads": 12, "image_size": 224, "patch_size": 32,
                          "layer_norm_eps": 1e-5, "hidden_act": "quick_gelu"},
    }
    write_model(d, cfg, vocab, merges, "F32", 4321)


def make_images(d):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(7)

    def scene(w, h, seed):
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        r = np.random.default_rng(seed)
        a = np.zeros((h, w, 3), np.float32)
        a[..., 0] = 255 * x / max(w - 1, 1)
        a[..., 1] = 255 * y / max(h - 1, 1)
        a[..., 2] = 128 + 100 * np.sin(x / 7.0) * np.cos(y / 5.0)
        for _ in range(4):
            cx, cy, rr = r.uniform(0, w), r.uniform(0, h), r.uniform(5, min(w, h) / 3)
            m = (x - cx) ** 2 + (y - cy) ** 2 < rr ** 2
            a[m] = r.uniform(0, 255, 3)
        # a small noisy patch, hard edges for the antialiasing filter
        nh, nw = max(h // 8, 2), max(w // 8, 2)
        a[:nh, :nw] = r.uniform(0, 255, (nh, nw, 3))
        return np.clip(a, 0, 255).astype(np.uint8)

    Image.fromarray(scene(224, 224, 1)).save(os.path.join(d, "a-square224.png"))
    Image.fromarray(scene(320, 240, 2)).save(os.path.join(d, "b-landscape.png"))
    Image.fromarray(scene(150, 203, 3)).save(os.path.join(d, "c-portrait-up.png"))
    Image.fromarray(scene(900, 301, 4)).save(os.path.join(d, "d-wide.png"))
    Image.fromarray(scene(97, 61, 5)[..., 0]).save(os.path.join(d, "e-grey.png"))
    rgba = np.dstack([scene(64, 80, 6), rng.integers(0, 256, (80, 64), dtype=np.uint8)])
    Image.fromarray(rgba, "RGBA").save(os.path.join(d, "f-alpha.png"))
    Image.fromarray(np.full((224, 224, 3), 255, np.uint8)).save(os.path.join(d, "g-white.png"))
    # JPEG (as covers usually are) and CMYK JPEG (PIL converts it without
    # colour management; vlsnr-embed must do the same)
    Image.fromarray(scene(200, 150, 8)).save(os.path.join(d, "h-photo.jpg"), quality=85)
    Image.fromarray(scene(130, 170, 9)).convert("CMYK").save(os.path.join(d, "i-cmyk.jpg"), quality=85)


def golden(model, data):
    m = CLIP(model)
    strings = open(os.path.join(data, "strings.txt"), encoding="utf-8", newline="").read().split("\n")
    if strings and strings[-1] == "":
        strings.pop()
    with open(os.path.join(data, "tokens.txt"), "w") as f:
        for s in strings:
            f.write(" ".join(map(str, m.tok(s, m.cfg.max_pos))) + "\n")
    imgdir = os.path.join(data, "img")
    paths = sorted(os.path.join(imgdir, p) for p in os.listdir(imgdir) if p.endswith((".png", ".jpg")))
    with open(os.path.join(data, "crops.txt"), "w") as f:
        for p in paths:
            f.write("%s %s\n" % (os.path.basename(p), hashlib.sha256(m.crop(p).tobytes()).hexdigest()))
    e = m.encode_images(paths).numpy()
    with open(os.path.join(data, "golden-image.txt"), "w") as f:
        for p, row in zip(paths, e):
            f.write(os.path.basename(p) + " " + " ".join("%.9g" % v for v in row) + "\n")
    texts = open(os.path.join(data, "texts.txt"), encoding="utf-8").read().rstrip("\n").split("\n")
    e = m.encode_texts(texts).numpy()
    with open(os.path.join(data, "golden-text.txt"), "w") as f:
        for row in e:
            f.write(" ".join("%.9g" % v for v in row) + "\n")


def compare(a, b):
    x, y = np.load(a).astype(np.float64), np.load(b).astype(np.float64)
    if x.shape != y.shape:
        print("shapes differ: %s %s" % (x.shape, y.shape))
        return 1
    cos = (x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))
    print("rows %d max_abs_diff %.3g min_cosine %.8f" % (x.shape[0], np.abs(x - y).max(), cos.min()))
    return 0 if cos.min() >= 0.9999 else 1


def bench(model, threads, batch, n):
    torch.set_num_threads(threads)
    m = CLIP(model)
    S = m.cfg.image_size
    px = torch.randn(batch, 3, S, S)
    lines = ["a photo of a fox number %d on the grass near the river" % i for i in range(batch)]
    for kind in ("image", "text"):
        f = (lambda: m.image_features(px)) if kind == "image" else (lambda: m.encode_texts(lines))
        f()
        t0, done = time.time(), 0
        while done < n:
            f()
            done += batch
        dt = time.time() - t0
        print("%ss_per_s %.3f batch %d threads %d" % (kind, done / dt, batch, threads))


def main(a):
    if not a:
        print(__doc__)
        return 2
    cmd = a[0]
    if cmd == "make-tiny":
        make_tiny(a[1])
    elif cmd == "make-full":
        make_full(a[1])
    elif cmd == "images":
        make_images(a[1])
    elif cmd == "golden":
        golden(a[1], a[2])
    elif cmd == "tokenize":
        t = Tokenizer(a[1])
        for line in sys.stdin.read().split("\n")[:-1]:
            print(" ".join(map(str, t(line))))
    elif cmd == "embed-text":
        m = CLIP(a[1])
        lines = sys.stdin.read().split("\n")[:-1]
        np.save(a[2], m.encode_texts(lines).numpy())
    elif cmd == "embed-image":
        m = CLIP(a[1])
        np.save(a[2], m.encode_images(a[3:]).numpy())
    elif cmd == "compare":
        return compare(a[1], a[2])
    elif cmd == "bench":
        bench(a[1], int(a[2]), int(a[3]), int(a[4]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
