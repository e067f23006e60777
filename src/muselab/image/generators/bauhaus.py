"""Geometric Bauhaus compositions: a grid of cells with circles, halves, quarters, triangles and bars."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from muselab.image.generators.common import Spec, grain, supersample, to_image


def render(spec: Spec) -> Image.Image:
    w, h = spec.width, spec.height
    ss = supersample(w, h)
    W, H = w * ss, h * ss
    rng = spec.rng(40)
    pal = spec.dark_to_light
    paper = tuple(pal[-1])
    inks = [tuple(c) for c in pal[:-1]]
    k = {"sparse": 3, "dense": 7, "centered": 4, "thirds": 3}.get(spec.composition, 5)
    cell = min(W, H) / k
    cols, rows = max(1, round(W / cell)), max(1, round(H / cell))
    cw, ch = W / cols, H / rows
    canvas = Image.new("RGB", (W, H), paper)
    draw = ImageDraw.Draw(canvas)
    kinds = ["circle", "half", "quarter", "triangle", "bars", "ring", "blank", "square"]
    weights = np.array([3, 3, 3, 2, 2, 2, 1.5 if spec.composition != "sparse" else 4, 1.5])
    for r in range(rows):
        for c in range(cols):
            x0, y0, x1, y1 = c * cw, r * ch, (c + 1) * cw, (r + 1) * ch
            if rng.random() < 0.45:
                draw.rectangle([x0, y0, x1, y1], fill=inks[rng.integers(len(inks))])
                fg_choices = [p for p in inks + [paper]]
            else:
                fg_choices = inks
            fg = fg_choices[rng.integers(len(fg_choices))]
            kind = kinds[rng.choice(len(kinds), p=weights / weights.sum())]
            _shape(draw, kind, (x0, y0, x1, y1), fg, paper, rng)
    if spec.composition in ("centered", "thirds"):
        cx = W / 2 if spec.composition == "centered" else W * (1 / 3 if rng.random() < 0.5 else 2 / 3)
        cy = H / 2 if spec.composition == "centered" else H * (1 / 3 if rng.random() < 0.5 else 2 / 3)
        R = min(W, H) * 0.22
        draw.ellipse([cx - R, cy - R, cx + R, cy + R], fill=inks[rng.integers(len(inks))])
        draw.ellipse([cx - R * 0.45, cy - R * 0.45, cx + R * 0.45, cy + R * 0.45], fill=paper)
    if ss > 1:
        canvas = canvas.reduce(ss)
    arr = np.asarray(canvas, np.float32)
    return to_image(grain(arr, spec.rng(41), 3.5))


def _shape(draw: ImageDraw.ImageDraw, kind: str, box, fg, paper, rng) -> None:
    x0, y0, x1, y1 = box
    cw, ch = x1 - x0, y1 - y0
    if kind == "circle":
        m = min(cw, ch) * rng.uniform(0.05, 0.15)
        draw.ellipse([x0 + m, y0 + m, x1 - m, y1 - m], fill=fg)
    elif kind == "half":
        start = 90 * rng.integers(4)
        if start in (0, 180):
            bb = [x0, y0 - ch / 2, x1, y1 - ch / 2] if start == 0 else [x0, y0 + ch / 2, x1, y1 + ch / 2]
        else:
            bb = [x0 - cw / 2, y0, x1 - cw / 2, y1] if start == 270 else [x0 + cw / 2, y0, x1 + cw / 2, y1]
        draw.pieslice(bb, start, start + 180, fill=fg)
    elif kind == "quarter":
        corner = rng.integers(4)
        cx, cy = (x0, x1)[corner % 2], (y0, y1)[corner // 2]
        start = {0: 0, 1: 90, 2: 270, 3: 180}[corner]
        draw.pieslice([cx - cw, cy - ch, cx + cw, cy + ch], start, start + 90, fill=fg)
    elif kind == "triangle":
        pts = [(x0, y1), (x1, y1), (x0 + cw / 2, y0)] if rng.random() < 0.5 else [(x0, y0), (x1, y0), (x1, y1)]
        draw.polygon(pts, fill=fg)
    elif kind == "bars":
        n = rng.integers(3, 6)
        vertical = rng.random() < 0.5
        for i in range(n):
            if i % 2 == 0:
                if vertical:
                    draw.rectangle([x0 + i * cw / n, y0, x0 + (i + 1) * cw / n, y1], fill=fg)
                else:
                    draw.rectangle([x0, y0 + i * ch / n, x1, y0 + (i + 1) * ch / n], fill=fg)
    elif kind == "ring":
        m = min(cw, ch) * 0.12
        t = min(cw, ch) * rng.uniform(0.08, 0.16)
        draw.ellipse([x0 + m, y0 + m, x1 - m, y1 - m], outline=fg, width=max(1, int(t)))
    elif kind == "square":
        m = min(cw, ch) * 0.22
        draw.rectangle([x0 + m, y0 + m, x1 - m, y1 - m], fill=fg)
