"""Thumbnails for the library: small WebP (or PNG) previews of a picture Work."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from muselab.image.pnginfo import open_image


def thumbnail(source: str | Path | Image.Image, size: int = 256, fmt: str = "webp") -> bytes:
    """A thumbnail no larger than size x size, aspect kept, as bytes (webp or png)."""
    im = source if isinstance(source, Image.Image) else open_image(source, field="image")
    im = im.convert("RGB").copy()
    im.thumbnail((size, size), Image.LANCZOS)
    buf = io.BytesIO()
    if fmt == "png":
        im.save(buf, "PNG", optimize=True)
    else:
        im.save(buf, "WEBP", quality=80, method=4)
    return buf.getvalue()


def preview_data_url(im: Image.Image, size: int = 192) -> str:
    """A small inline PNG for progress previews (data: URL)."""
    import base64

    small = im.convert("RGB").copy()
    small.thumbnail((size, size), Image.LANCZOS)
    buf = io.BytesIO()
    small.save(buf, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
