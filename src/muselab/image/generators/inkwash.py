"""Ink-wash mountains and mist in the Chinese 水墨 manner: ink pooled at the ridges, fading into
mist and empty paper (留白), fibre texture, an optional red seal (印章)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from muselab.image.generators.common import Flock, Spec, draw_birds, mix, noise_1d, to_image, value_noise
from muselab.image.palettes import luminance

# a few ink birds, high in the sky
BIRDS = Flock(salt=24, x=(0.25, 0.75), y=(0.1, 0.25), count=(2, 6), spread=(0.06, 0.03), span=(0.006, 0.012),
              wings=(0.5, 0.6), stroke=0.0025)


def render(spec: Spec) -> Image.Image:
    w, h = spec.width, spec.height
    pal = spec.dark_to_light
    paper = np.asarray(pal[-1], np.float32)
    if luminance(pal[-1]) < 200:  # ink needs light paper
        paper = mix(paper, (243, 236, 220), 0.7)
    ink_near = np.asarray(pal[0], np.float32)
    ink_far = mix(pal[min(2, len(pal) - 1)], paper, 0.35)
    ys = (np.arange(h, dtype=np.float32) / h)[:, None]

    # rice paper: warm base, fibres, soft vignette
    fib = value_noise(h, w, 60, spec.rng(20), octaves=2)
    xs = (np.arange(w, dtype=np.float32) / w)[None, :]
    vignette = 1 - 0.06 * (((xs - 0.5) * 2) ** 2 + ((ys - 0.5) * 2) ** 2)
    img = (np.broadcast_to(paper, (h, w, 3)) * ((0.97 + 0.04 * fib) * vignette)[..., None]).astype(np.float32)

    # texture for the ink: coarse blotches plus vertical brush streaks
    blot = value_noise(h, w, 6, spec.rng(21), octaves=4)
    streak_small = value_noise(max(8, h // 16), w, 40, spec.rng(22), octaves=2)
    streak = np.asarray(Image.fromarray(streak_small, "F").resize((w, h), Image.BICUBIC))
    texture = np.clip(0.7 + 0.4 * blot + 0.3 * (streak - 0.5), 0, 1.3)

    layers = int(np.clip(round(4 * spec.density()), 2, 7))
    left_heavy = spec.rng(23).random() < 0.5
    for i in range(layers):
        depth = i / max(1, layers - 1)  # 0 far .. 1 near
        lrng = spec.rng(200 + i)
        cells = 1.5 + 2.0 * depth
        ridged = 1 - np.abs(noise_1d(w, cells, lrng, octaves=6, persistence=0.55))
        ridged = ridged**2.2  # sharp peaks
        tilt = np.linspace(1, 0.35, w) if left_heavy ^ (i % 2 == 1) else np.linspace(0.35, 1, w)
        if spec.composition == "centered":
            tilt = 1 - 0.65 * np.abs(np.linspace(-1, 1, w))
        amp = 0.18 + 0.28 * (1 - depth) if spec.composition != "sparse" else 0.15 + 0.2 * (1 - depth)
        base = 0.42 + 0.5 * depth
        top = base - amp * ridged * tilt.astype(np.float32)
        # only the rows from the highest peak down can hold ink
        y0 = max(0, int(np.floor(float(top.min()) * h)) - 1)
        below = ys[y0:] - top[None, :]
        fade_len = 0.05 + 0.12 * (1 - depth)
        density = np.exp(-np.clip(below, 0, None) / fade_len) * (below > -1.0 / h)
        edge = np.clip(below * h + 0.5, 0, 1)
        strength = 0.3 + 0.68 * depth
        d = np.clip(density * edge * strength * texture[y0:], 0, 1)
        ink = mix(ink_far, ink_near, depth)
        _blend(img[y0:], ink, d)
        # mist drifting in front of this layer, in a band around the layer's foot
        if i < layers - 1:
            centre, sigma = base + 0.02, 0.07
            r0, r1 = max(0, int((centre - 2.7 * sigma) * h)), min(h, int((centre + 2.7 * sigma) * h) + 1)
            if r1 - r0 > 2:
                # two mist features across the picture's longer side, as for a full-size noise field
                mist = value_noise(r1 - r0, w, 2.0 * max(w, r1 - r0) / max(w, h), spec.rng(300 + i), octaves=3)
                band = np.exp(-(((ys[r0:r1] - centre) / sigma) ** 2))
                _blend(img[r0:r1], paper, np.clip(mist * 1.4 - 0.35, 0, 1) * band * 0.85)

    pil = to_image(img)
    if "birds" in spec.features:
        draw_birds(pil, spec, BIRDS, tuple(int(c) for c in ink_near))
    if "boat" in spec.features:
        _boat(pil, spec, tuple(int(c) for c in ink_near))
    if "seal" in spec.features:
        _seal(pil, spec)
    return pil


def _blend(region: np.ndarray, color, t: np.ndarray) -> None:
    """region += (color - region) * t, in place (region is a view into the picture)."""
    tmp = np.subtract(np.asarray(color, np.float32), region)
    tmp *= t[..., None]
    region += tmp


def _boat(pil: Image.Image, spec: Spec, color) -> None:
    draw = ImageDraw.Draw(pil)
    rng = spec.rng(25)
    s = spec.min_side
    x, y = rng.uniform(0.3, 0.7) * spec.width, 0.9 * spec.height
    L = 0.05 * s
    draw.polygon([(x - L, y), (x + L, y), (x + L * 0.6, y + L * 0.18), (x - L * 0.6, y + L * 0.18)], fill=color)
    draw.line([(x - L * 0.2, y), (x - L * 0.2, y - L * 0.55)], fill=color, width=max(1, int(s * 0.002)))


def _seal(pil: Image.Image, spec: Spec) -> None:
    """A red square seal with a character (or a geometric mark when no CJK font is installed)."""
    from muselab.image.fonts import find_font

    s = spec.min_side
    size = int(0.075 * s)
    red = (178, 34, 34)
    for c in spec.colors:
        if c[0] > 150 and c[1] < 90 and c[2] < 90:
            red = c
            break
    margin = int(0.05 * s)
    corner = spec.rng(26).random() < 0.5
    x0 = spec.width - margin - size if corner else margin
    y0 = spec.height - margin - size
    seal = Image.new("RGBA", (size, size), red + (235,))
    d = ImageDraw.Draw(seal)
    char = next((ch for ch in spec.title + "山水" if "\u4e00" <= ch <= "\u9fff"), "印")
    try:
        from PIL import ImageFont

        font = ImageFont.truetype(find_font(spec.font_path), int(size * 0.72))
        d.text((size / 2, size / 2), char, font=font, fill=(250, 240, 230, 255), anchor="mm")
    except Exception:  # no font: a plain mark keeps the picture usable
        d.rectangle(
            [size * 0.25, size * 0.25, size * 0.75, size * 0.75], outline=(250, 240, 230, 255), width=max(1, size // 12)
        )
    d.rectangle([0, 0, size - 1, size - 1], outline=(250, 240, 230, 200), width=max(1, size // 20))
    pil.paste(seal, (x0, y0), seal)
