"""Soft mesh gradients: a few coloured light sources blended smoothly, with film grain."""

from __future__ import annotations

import numpy as np
from PIL import Image

from muselab.image.generators.common import Spec, grain, to_image, value_noise


def render(spec: Spec) -> Image.Image:
    rng = spec.rng(1)
    w, h = spec.width, spec.height
    # compute the field small and scale it up: it is smooth by construction
    scale = 256 / max(w, h)
    sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
    ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float32)
    xs /= max(sw, sh)
    ys /= max(sw, sh)
    colors = spec.colors
    k = int(np.clip(round(len(colors) * spec.density()), 3, 9))
    acc = np.zeros((sh, sw, 3), np.float32)
    wsum = np.full((sh, sw), 1e-6, np.float32)
    warp = value_noise(sh, sw, 2.0, rng, octaves=2) - 0.5
    for i in range(k):
        color = np.asarray(colors[i % len(colors)], np.float32)
        if spec.composition == "centered" and i == 0:
            cx, cy = sw / max(sw, sh) / 2, sh / max(sw, sh) / 2
        else:
            cx, cy = rng.uniform(-0.1, 1.1) * sw / max(sw, sh), rng.uniform(-0.1, 1.1) * sh / max(sw, sh)
        sigma = rng.uniform(0.18, 0.42) / np.sqrt(spec.density())
        d2 = (xs - cx + 0.25 * warp) ** 2 + (ys - cy - 0.25 * warp) ** 2
        wt = np.exp(-d2 / (2 * sigma**2)) ** 1.5
        acc += wt[..., None] * color
        wsum += wt
    small = acc / wsum[..., None]
    if spec.mood == "dreamy" or "aurora" in spec.features:
        band = np.sin((ys * 6 + warp * 4) * np.pi) * 0.5 + 0.5
        small = small * (0.85 + 0.15 * band[..., None])
    big = np.stack(
        [np.asarray(Image.fromarray(small[..., c], "F").resize((w, h), Image.BICUBIC)) for c in range(3)], axis=-1
    )
    return to_image(grain(big, spec.rng(2), 3.0))
