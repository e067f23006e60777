"""Seamless tileable patterns, including traditional motifs: 云纹 cloud scrolls, 窗格 lattice windows,
青海波 waves, 回纹 fret, and dots.

One tile is drawn with every shape wrapped around its edges, at 2x, then box-reduced (a filter that
never mixes pixels across the tile edge), so the tile and the whole picture repeat without a seam.
The picture holds a whole number of tiles across and down.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from muselab.image.generators.common import Spec
from muselab.image.palettes import luminance


def _divisor_near(n: int, target: float) -> int:
    best = 1
    for d in range(1, n + 1):
        if n % d == 0 and abs(d - target) < abs(best - target):
            best = d
    return best


def tiles_for(spec: Spec) -> tuple[int, int]:
    per_side = {"sparse": 3, "dense": 9}.get(spec.composition, 5)
    target_tile = spec.min_side / per_side
    return _divisor_near(spec.width, spec.width / target_tile), _divisor_near(spec.height, spec.height / target_tile)


def render(spec: Spec) -> Image.Image:
    nx, ny = tiles_for(spec)
    tw, th = spec.width // nx, spec.height // ny
    ss = 2
    W, H = tw * ss, th * ss
    rng = spec.rng(50)
    pal = spec.dark_to_light
    if rng.random() < 0.3:  # the seed also decides light-on-dark or dark-on-light
        pal = pal[::-1]
    bg = tuple(pal[-1])
    fg = tuple(pal[int(rng.integers(0, max(1, len(pal) // 2)))])
    accents = [tuple(c) for c in pal[1:-1]] or [fg]
    accents = [accents[i] for i in rng.permutation(len(accents))]
    tile = Image.new("RGB", (W, H), bg)
    draw = ImageDraw.Draw(tile)
    motif = spec.motif
    if motif == "cloud":
        _cloud(draw, W, H, fg, accents, rng)
    elif motif == "lattice":
        _lattice(draw, W, H, fg, accents, bg, rng)
    elif motif == "waves":
        _waves(draw, W, H, pal, rng)
    elif motif == "fret":
        _fret(draw, W, H, fg, rng)
    else:
        _dots(draw, W, H, fg, accents, rng)
    tile = tile.reduce(ss)
    return Image.fromarray(np.tile(np.asarray(tile), (ny, nx, 1)), "RGB")


def _wrapped(W: int, H: int):
    """Offsets at which a shape is repeated so it wraps across the tile edges."""
    return [(dx * W, dy * H) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def _scroll(cx: float, cy: float, r: float, turns: float, direction: int, phase: float) -> list[tuple[float, float]]:
    pts = []
    n = 80
    for i in range(n + 1):
        t = i / n
        ang = phase + direction * t * turns * 2 * math.pi
        rad = r * (1 - t) ** 0.9
        pts.append((cx + rad * math.cos(ang), cy + rad * math.sin(ang)))
    return pts


def _cloud(draw, W, H, fg, accents, rng) -> None:
    """如意云: two scrolls curling towards each other on a shared base, staggered in rows."""
    s = min(W, H)
    width = max(2, int(s * 0.045))
    centres = [(W * 0.5, H * 0.3), (0.0, H * 0.8)]  # second row staggered by half a tile (wraps)
    for k, (cx, cy) in enumerate(centres):
        color = fg if k == 0 else accents[len(accents) // 2]
        r = s * rng.uniform(0.16, 0.21)
        turns = rng.uniform(1.0, 1.5)
        for dx, dy in _wrapped(W, H):
            x, y = cx + dx, cy + dy
            left = _scroll(x - r, y, r, turns, 1, 0.0)
            right = _scroll(x + r, y, r, turns, -1, math.pi)
            draw.line(left[::-1] + right, fill=color, width=width, joint="curve")
            small = r * 0.55
            draw.line(
                _scroll(x, y - r * 0.95, small, 1.0, 1, math.pi / 2)[::-1]
                + _scroll(x, y - r * 0.95, small * 0.0001, 0.01, 1, 0),
                fill=color,
                width=width,
                joint="curve",
            )
            draw.line([(x - 2.1 * r, y + r * 0.55), (x + 2.1 * r, y + r * 0.55)], fill=color, width=width)


def _lattice(draw, W, H, fg, accents, bg, rng) -> None:
    """窗格: a window lattice of frames, diamonds and a small centre square joined by bars."""
    s = min(W, H)
    w = max(2, int(s * 0.05))
    panel = accents[-1] if accents else bg
    qf = rng.uniform(0.08, 0.17)
    draw.rectangle([0, 0, W, H], fill=panel if luminance(panel) > luminance(fg) + 60 else bg)
    for dx, dy in _wrapped(W, H):
        draw.line([(dx, dy), (dx + W, dy)], fill=fg, width=w)
        draw.line([(dx, dy), (dx, dy + H)], fill=fg, width=w)
        cx, cy = dx + W / 2, dy + H / 2
        diamond = [(cx, dy), (dx + W, cy), (cx, dy + H), (dx, cy), (cx, dy)]
        draw.line(diamond, fill=fg, width=w, joint="curve")
        q = s * qf
        draw.rectangle([cx - q, cy - q, cx + q, cy + q], outline=fg, width=w)
        for ax, ay in ((cx - q, cy), (cx + q, cy), (cx, cy - q), (cx, cy + q)):
            bx = cx + (ax - cx) * 2.0
            by = cy + (ay - cy) * 2.0
            draw.line([(ax, ay), (bx, by)], fill=fg, width=max(1, w // 2))


def _waves(draw, W, H, pal, rng) -> None:
    """青海波: overlapping fans of concentric arcs, drawn row by row from the back."""
    r = W / 2
    rings = int(rng.integers(4, 7))
    colors = [tuple(pal[i % 2 * (len(pal) - 1)]) for i in range(rings)]
    mid = tuple(pal[len(pal) // 2])
    rows = []
    for j in range(-2, 4):  # rows every H/2, staggered by W/2
        y = j * H / 2
        xoff = 0 if j % 2 == 0 else W / 2
        for i in range(-1, 3):
            rows.append((y, i * W + xoff))
    for y, x in sorted(rows):
        for k in range(rings):
            rr = r * (1 - k / rings)
            fill = colors[k] if k % 2 == 0 else mid
            draw.ellipse([x - rr, y - rr, x + rr, y + rr], fill=fill)


def _fret(draw, W, H, fg, rng) -> None:
    """回纹: a square spiral per tile on a continuous baseline."""
    s = min(W, H)
    w = max(2, int(s * rng.uniform(0.045, 0.07)))
    step = s * rng.uniform(0.11, 0.15)
    for dx, dy in _wrapped(W, H):
        x0, y0 = dx + s * 0.12, dy + H - s * 0.12
        pts = [(dx, y0), (x0, y0)]
        x, y = x0, y0
        length = W - 2 * s * 0.12
        direction = [(0, -1), (1, 0), (0, 1), (-1, 0)]
        for i in range(7):
            ddx, ddy = direction[i % 4]
            x, y = x + ddx * length, y + ddy * length
            pts.append((x, y))
            if i % 2 == 1:
                length -= step
            if length <= step * 0.5:
                break
        draw.line(pts, fill=fg, width=w, joint="curve")
        draw.line([(dx + W - s * 0.12, y0), (dx + W, y0)], fill=fg, width=w)


def _dots(draw, W, H, fg, accents, rng) -> None:
    s = min(W, H)
    big, small = s * rng.uniform(0.12, 0.2), s * rng.uniform(0.05, 0.09)
    acc = accents[0]
    for dx, dy in _wrapped(W, H):
        for x, y, r, c in (
            (W * 0.25, H * 0.25, big, fg),
            (W * 0.75, H * 0.75, big, fg),
            (W * 0.75, H * 0.25, small, acc),
            (W * 0.25, H * 0.75, small, acc),
        ):
            draw.ellipse([dx + x - r, dy + y - r, dx + x + r, dy + y + r], fill=c)
