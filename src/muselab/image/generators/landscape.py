"""Layered landscapes: sky, sun or moon, ridges fading into the distance, an optional sea."""

from __future__ import annotations

import numpy as np
from PIL import Image

from muselab.image.generators.common import Flock, Spec, draw_birds, grain, mix, noise_1d, to_image, value_noise
from muselab.image.palettes import luminance

# a looser, larger flock of distant birds over the horizon
GULLS = Flock(salt=15, x=(0.2, 0.7), y=(0.12, 0.3), count=(3, 8), spread=(0.08, 0.04), span=(0.008, 0.016),
              wings=(0.4, 0.5), stroke=0.002)


def render(spec: Spec) -> Image.Image:
    rng = spec.rng(10)
    w, h = spec.width, spec.height
    pal = spec.dark_to_light
    darkest, dark, mid, light, lightest = pal[0], pal[1], pal[len(pal) // 2], pal[-2], pal[-1]
    night = "moon" in spec.features or "stars" in spec.features or spec.mood == "dark"
    horizon = {"thirds": 0.62, "centered": 0.5, "sparse": 0.7, "dense": 0.55}.get(spec.composition, 0.6)
    sea = "sea" in spec.features
    ys = (np.arange(h, dtype=np.float32) / h)[:, None]
    xs = (np.arange(w, dtype=np.float32) / w)[None, :]

    # sky: top colour to horizon glow
    sky_top = mix(dark, mid, 0.35) if not night else np.asarray(darkest, np.float32)
    sky_low = np.asarray(lightest if not night else mid, np.float32)
    t = np.clip(ys / horizon, 0, 1) ** 1.6
    sky = np.broadcast_to(mix(sky_top, sky_low, t[..., None]), (h, w, 3)).copy()
    sun_x = {"centered": 0.5, "thirds": 0.68}.get(spec.composition, rng.uniform(0.25, 0.75))
    sun_y = horizon - rng.uniform(0.08, 0.22)
    r = 0.055 * (w / spec.min_side if w < h else 1.0) * 1.2
    aspect = w / h
    dx = (xs - sun_x) * aspect
    dy = ys - sun_y
    dist = np.sqrt(dx * dx + dy * dy)
    body = "moon" if night else ("sun" if "sun" in spec.features or not spec.features else None)
    if body:
        glow_color = np.asarray(light if body == "sun" else lightest, np.float32)
        glow = np.exp(-((dist / (r * (5 if body == "sun" else 2.5))) ** 2)) * (0.65 if body == "sun" else 0.3)
        sky = mix(sky, glow_color, glow[..., None])
        px = 1.0 / spec.min_side
        disc = np.clip((r - dist) / (1.5 * px), 0, 1)
        disc_color = mix(lightest, (255, 250, 235), 0.4)
        sky = mix(sky, disc_color, disc[..., None] * 0.95)
    if night:
        srng = spec.rng(11)
        n_stars = int(250 * spec.density() * (w * h) / (1024 * 1024)) + 20
        sx = srng.integers(0, w, n_stars)
        sy = (srng.random(n_stars) ** 1.5 * horizon * h * 0.9).astype(int)
        bright = srng.uniform(0.3, 1.0, n_stars)
        sky[sy, sx] = mix(sky[sy, sx], (255, 252, 240), bright[:, None])

    img = np.ascontiguousarray(sky, dtype=np.float32)
    # ridges, far (light, hazy) to near (dark)
    layers = int(np.clip(round(4 * spec.density()), 2, 7))
    base_far = horizon - 0.12
    for i in range(layers):
        depth = i / max(1, layers - 1)  # 0 far .. 1 near
        lrng = spec.rng(100 + i)
        amp = 0.06 + 0.1 * depth
        cells = 2.0 + 2.5 * depth
        ridge = noise_1d(w, cells, lrng, octaves=6, persistence=0.48 + 0.05 * depth)
        peaks = 1 - np.abs(noise_1d(w, cells * 0.6, lrng, octaves=3))
        base = base_far + (horizon + (0.0 if sea else 0.28) - base_far) * depth**1.3
        if sea:
            base = min(base, horizon - 0.005)
        top = base - amp * (0.55 * ridge + 0.9 * peaks)
        color = mix(mix(sky_low, mid, 0.3), darkest, 0.25 + 0.75 * depth**1.1)
        # only rows from the highest peak down (and above the sea) are touched
        y0 = max(0, int(np.floor(float(top.min()) * h)) - 1)
        y1 = min(h, int(np.ceil(horizon * h))) if sea else h
        if y1 <= y0:
            continue
        below = ys[y0:y1] - top[None, :]
        cover = np.clip(below * h + 0.5, 0, 1)
        if sea:
            cover = cover * (ys[y0:y1] < horizon)
        # mist at the foot of each ridge
        fade = np.clip(below / (0.25 + 0.1 * depth), 0, 1)
        layer_color = mix(color, sky_low, (0.35 * fade * (1 - depth * 0.6))[..., None])
        region = img[y0:y1]
        region += (layer_color - region) * cover[..., None]
    if sea:
        hr = min(h - 1, int(np.ceil(horizon * h)))
        wys = ys[hr:]
        water_t = np.clip((wys - horizon) / (1 - horizon), 0, 1)
        water = mix(mix(sky_low, mid, 0.5), dark, water_t[..., None] ** 0.8)
        wrng = spec.rng(12)
        ripple = value_noise(h - hr, max(8, w // 24), 70 * (h - hr) / h, wrng, octaves=2)
        stretch = np.asarray(Image.fromarray(ripple, "F").resize((w, h - hr), Image.BICUBIC))
        water = water * (0.92 + 0.16 * stretch[..., None])
        if body:
            path = np.exp(-(((xs - sun_x) * aspect / (r * (0.9 + 2.5 * water_t))) ** 2))
            sparkle = np.clip((stretch - 0.5) * 4, 0, 1) * path
            water = mix(water, mix(light, (255, 250, 235), 0.5), (sparkle * 0.8)[..., None])
        img[hr:] = water
    if "mist" in spec.features:
        mrng = spec.rng(13)
        mist = value_noise(h, w, 2.5, mrng, octaves=3)
        band = np.exp(-(((ys - horizon + 0.05) / 0.12) ** 2))
        img = mix(img, sky_low, (np.clip(mist * 1.3 - 0.3, 0, 1) * band * 0.55)[..., None])
    if "birds" in spec.features:
        pil = to_image(img)
        draw_birds(pil, spec, GULLS, darkest if luminance(sky_low) > 80 else lightest)
        img = np.asarray(pil, np.float32)
    return to_image(grain(img, spec.rng(14), 2.5))
