"""Flow fields: thousands of strokes following a smooth angle field, coloured by region."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from muselab.image.generators.common import Spec, supersample, value_noise
from muselab.image.palettes import luminance


def render(spec: Spec) -> Image.Image:
    w, h = spec.width, spec.height
    ss = supersample(w, h)
    W, H = w * ss, h * ss
    pal = spec.dark_to_light
    light_bg = spec.mood in ("calm", "dreamy") or (
        spec.mood == "natural" and luminance(pal[-1]) > 235 and spec.rng(30).random() < 0.5
    )
    bg = pal[-1] if light_bg else pal[0]
    inks = [c for c in spec.colors if c != bg] or spec.colors

    # angle field on a small grid, sampled by nearest cell
    g = 192
    gh, gw = max(8, round(g * h / max(w, h))), max(8, round(g * w / max(w, h)))
    turns = {"sparse": 1.0, "dense": 2.2}.get(spec.composition, 1.6)
    field = value_noise(gh, gw, 1.6, spec.rng(31), octaves=3) * np.pi * 2 * turns
    if spec.composition == "centered":  # a vortex around the centre
        yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
        field = field * 0.35 + np.arctan2(yy - gh / 2, xx - gw / 2) + np.pi / 2
    hue = value_noise(gh, gw, 1.2, spec.rng(32), octaves=2)

    rng = spec.rng(33)
    area = (w * h) / (1024 * 1024)
    n = int(np.clip(1400 * spec.density() * area**0.75, 200, 9000))
    steps = 90
    step = 0.0035 * max(W, H)
    px = rng.uniform(0, W, n).astype(np.float32)
    py = rng.uniform(0, H, n).astype(np.float32)
    pts = np.empty((steps, n, 2), np.float32)
    alive = np.ones(n, bool)
    lengths = np.full(n, steps)
    for s in range(steps):
        pts[s, :, 0], pts[s, :, 1] = px, py
        gx = np.clip((px / W * gw).astype(int), 0, gw - 1)
        gy = np.clip((py / H * gh).astype(int), 0, gh - 1)
        a = field[gy, gx]
        px = px + np.cos(a) * step
        py = py + np.sin(a) * step
        out = (px < 0) | (px >= W) | (py < 0) | (py >= H)
        died = alive & out
        lengths[died] = s + 1
        alive &= ~out
    life = rng.integers(steps // 3, steps + 1, n)
    lengths = np.minimum(lengths, life)
    gx0 = np.clip((pts[0, :, 0] / W * gw).astype(int), 0, gw - 1)
    gy0 = np.clip((pts[0, :, 1] / H * gh).astype(int), 0, gh - 1)
    color_idx = np.minimum((hue[gy0, gx0] * len(inks)).astype(int), len(inks) - 1)
    widths = (rng.uniform(0.6, 1.0, n) ** 2 * 0.0045 * max(W, H) / spec.density() ** 0.3).clip(1, None).astype(int)
    alpha = int(170 if light_bg else 200)

    canvas = Image.new("RGB", (W, H), tuple(bg))
    draw = ImageDraw.Draw(canvas, "RGBA")
    order = np.argsort(widths)[::-1]  # wide strokes first, fine ones on top
    for i in order:
        L = lengths[i]
        if L < 3:
            continue
        seg = pts[:L, i, :]
        # no rounded joints: the segments are short enough that the joins don't show, and PIL draws each
        # rounded joint as a separate pie slice from Python (most of the time at 1024²)
        draw.line(seg.ravel().tolist(), fill=tuple(inks[color_idx[i]]) + (alpha,), width=int(widths[i]))
    if ss > 1:
        canvas = canvas.reduce(ss)
    return canvas
