#!/usr/bin/python3
"""resize-pillow.py: the Pillow peer of bench/resize.sh. Resizes each file
named on standard input (one per line) to a 224x224 centre crop JPEG (Q 90)
in OUTDIR, as a careful Pillow user would: JPEG draft mode (libjpeg's DCT
scaling, Pillow's shrink-on-load) asked for the smallest scale that keeps
the short side >= 224, then a bicubic resize with reducing_gap and a centre
crop (ImageOps.fit). Usage: resize-pillow.py OUTDIR < list"""
import os
import sys

from PIL import Image, ImageOps

SIZE = 224


def one(path, outdir):
    with Image.open(path) as im:
        w, h = im.size
        s = min(w, h)
        # draft keeps both sides >= the requested ones
        im.draft("RGB", (max(1, SIZE * w // s), max(1, SIZE * h // s)))
        im = im.convert("RGB")
        out = ImageOps.fit(im, (SIZE, SIZE), method=Image.BICUBIC, centering=(0.5, 0.5))
        name = os.path.splitext(os.path.basename(path))[0] + ".jpg"
        out.save(os.path.join(outdir, name), "JPEG", quality=90)


def main():
    outdir = sys.argv[1]
    bad = 0
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        try:
            one(path, outdir)
        except Exception as e:  # a bad file must not stop the batch
            bad += 1
            print(f"{path}: {e}", file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
