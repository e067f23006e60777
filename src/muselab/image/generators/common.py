"""Shared pieces of the procedural generators: the spec they render, noise, colour ramps, canvases."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from muselab.image.palettes import RGB, by_luminance, luminance


@dataclass
class Spec:
    """What a generator needs: everything comes from the Recipe (seed per candidate)."""

    width: int
    height: int
    seed: int
    colors: list[RGB]  # palette after the mood shift
    mood: str = "natural"
    composition: str = "balanced"
    motif: str = "cloud"
    features: list[str] = field(default_factory=list)
    title: str = ""
    subtitle: str = ""
    font_path: str | None = None

    def rng(self, salt: int = 0) -> np.random.Generator:
        return np.random.default_rng([self.seed, salt])

    @property
    def dark_to_light(self) -> list[RGB]:
        return by_luminance(self.colors)

    @property
    def min_side(self) -> int:
        return min(self.width, self.height)

    def density(self) -> float:
        return {"sparse": 0.55, "dense": 1.7}.get(self.composition, 1.0)


def supersample(width: int, height: int) -> int:
    """Drawing scale for anti-aliasing: 2x up to 2048 px, 1x beyond (memory)."""
    return 2 if max(width, height) <= 2048 else 1


def value_noise(
    h: int, w: int, cells: float, rng: np.random.Generator, octaves: int = 4, persistence: float = 0.5
) -> np.ndarray:
    """Smooth fractal noise in [0, 1] of shape (h, w); `cells` = features across the longer side.

    Smooth noise has no detail finer than its finest octave, so it is computed at a resolution of about
    8 pixels per finest feature and scaled up once (the same picture, several times faster at 1024+ px).
    """
    long_side = max(h, w)
    work = int(min(long_side, max(64, cells * 2 ** (octaves - 1) * 8)))
    if work < long_side:
        sh, sw = max(2, round(h * work / long_side)), max(2, round(w * work / long_side))
        small = value_noise(sh, sw, cells, rng, octaves, persistence)
        big = np.asarray(Image.fromarray(small, mode="F").resize((w, h), Image.BICUBIC), dtype=np.float32)
        return np.clip(big, 0.0, 1.0)
    total = np.zeros((h, w), dtype=np.float32)
    amp, norm = 1.0, 0.0
    for o in range(octaves):
        c = cells * (2**o)
        gw = max(2, int(np.ceil(c * w / long_side)) + 2)
        gh = max(2, int(np.ceil(c * h / long_side)) + 2)
        grid = rng.random((gh, gw), dtype=np.float32)
        layer = Image.fromarray(grid, mode="F").resize((w, h), Image.BICUBIC, box=(0.5, 0.5, gw - 1.5, gh - 1.5))
        total += amp * np.asarray(layer, dtype=np.float32)
        norm += amp
        amp *= persistence
    total /= norm
    lo, hi = float(total.min()), float(total.max())
    return (total - lo) / (hi - lo + 1e-8)


def noise_1d(n: int, cells: float, rng: np.random.Generator, octaves: int = 5, persistence: float = 0.5) -> np.ndarray:
    """Smooth fractal noise in [-1, 1] of length n (cosine-interpolated random points)."""
    x = np.linspace(0, 1, n, dtype=np.float64)
    total = np.zeros(n)
    amp, norm = 1.0, 0.0
    for o in range(octaves):
        k = int(cells * 2**o) + 2
        pts = rng.uniform(-1, 1, k)
        pos = x * (k - 1)
        i = np.minimum(pos.astype(int), k - 2)
        f = pos - i
        f = (1 - np.cos(f * np.pi)) / 2
        total += amp * (pts[i] * (1 - f) + pts[i + 1] * f)
        norm += amp
        amp *= persistence
    return (total / norm).astype(np.float32)


def ramp(t: np.ndarray, colors: list[RGB], stops: list[float] | None = None) -> np.ndarray:
    """Map t in [0, 1] (any shape) to RGB float32 along a colour ramp."""
    c = np.asarray(colors, dtype=np.float32)
    stops = stops or list(np.linspace(0, 1, len(colors)))
    out = np.empty(t.shape + (3,), dtype=np.float32)
    for ch in range(3):
        out[..., ch] = np.interp(t, stops, c[:, ch])
    return out


def mix(a, b, t):
    """Linear blend of colours/arrays a -> b by t."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    return a + (b - a) * t


def grain(arr: np.ndarray, rng: np.random.Generator, amount: float = 4.0) -> np.ndarray:
    """Add fine film grain (breaks gradient banding)."""
    h, w = arr.shape[:2]
    noise = rng.standard_normal((h, w), dtype=np.float32) * amount
    return arr + noise[..., None]


def to_image(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")


def contrast_color(background: RGB, palette: list[RGB]) -> RGB:
    """The palette colour that reads best on `background`."""
    return max(palette, key=lambda c: abs(luminance(c) - luminance(background)))


@dataclass(frozen=True)
class Flock:
    """How a generator's birds look. Positions and sizes are shares of the picture (x, y of its width and
    height; spread, span and stroke of its short side); each range is drawn from the Spec's seeded rng."""

    salt: int  # the rng salt, so birds do not shift when other elements change
    x: tuple[float, float]  # where the flock's centre may be
    y: tuple[float, float]
    count: tuple[int, int]  # how many birds: rng.integers(low, high)
    spread: tuple[float, float]  # standard deviation of a bird's place around the centre, across and down
    span: tuple[float, float]  # half the width of a bird
    wings: tuple[float, float]  # how high the left and the right wing tips rise, as shares of the span
    stroke: float  # line width


def draw_birds(pil: Image.Image, spec: Spec, flock: Flock, color) -> None:
    """A flock of small 'v' strokes drawn on the picture in place (ink-wash birds, distant gulls)."""
    draw = ImageDraw.Draw(pil)
    rng = spec.rng(flock.salt)
    s = spec.min_side
    cx, cy = rng.uniform(*flock.x) * spec.width, rng.uniform(*flock.y) * spec.height
    for _ in range(rng.integers(*flock.count)):
        x, y = cx + rng.normal(0, flock.spread[0]) * s, cy + rng.normal(0, flock.spread[1]) * s
        span = rng.uniform(*flock.span) * s
        draw.line(
            [(x - span, y - span * flock.wings[0]), (x, y), (x + span, y - span * flock.wings[1])],
            fill=tuple(color),
            width=max(1, int(s * flock.stroke)),
            joint="curve",
        )
