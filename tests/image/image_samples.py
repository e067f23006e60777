"""Pictures the image tests draw for themselves (a module with a unique name: several test folders have a conftest)."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def make_shapes(folder: Path, n: int = 24, size: int = 48, seed: int = 0) -> Path:
    """A tiny synthetic picture set: one dark disc on a light background per picture."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        im = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(150, 255, 3)))
        d = ImageDraw.Draw(im)
        r = rng.uniform(0.2, 0.35) * size
        cx, cy = rng.uniform(0.35, 0.65, 2) * size
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=tuple(int(v) for v in rng.integers(0, 120, 3)))
        im.save(folder / f"s{i:03d}.png")
    return folder


def make_photo(path: Path, size=(320, 240), seed: int = 0) -> Path:
    """A photo-like picture: a gradient sky, a dark hill and a bright disc."""
    w, h = size
    y = np.linspace(0, 1, h)[:, None, None]
    x = np.linspace(0, 1, w)[None, :, None]
    arr = (np.array([90, 140, 220]) * (1 - y) + np.array([250, 220, 180]) * y) * (0.9 + 0.1 * x)
    im = Image.fromarray(arr.astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    d.polygon([(0, h), (0, h * 0.6), (w * 0.4, h * 0.45), (w, h * 0.7), (w, h)], fill=(40, 70, 40))
    d.ellipse([w * 0.6, h * 0.15, w * 0.75, h * 0.15 + w * 0.15], fill=(255, 240, 200))
    im.save(path)
    return path
