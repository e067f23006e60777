"""How a picture leaves an engine: an image Output with its parameters and full recipe inside the file,
and contact sheets of several pictures on one image.

Every picture task (paint, style, sample, interpolate, diffuse, remote, edit, and the sample grid of a
trained GAN/VAE) hands its pictures back through here, so this module sits below all of them.
"""

from __future__ import annotations

import math

from PIL import Image

from muselab.engines import Output
from muselab.image.pnginfo import MEDIA_TYPES, encode_image


def picture_output(
    image: Image.Image,
    task: str,
    recipe,
    parameters: str,
    title: str,
    meta: dict | None = None,
    parents: list[str] | None = None,
    model: str | None = None,
    tags: list[str] | None = None,
    stem: str = "picture",
) -> Output:
    """An image Output with its parameters and full recipe embedded in the file."""
    fmt = getattr(recipe, "format", "png")
    quality = getattr(recipe, "quality", 92)
    data = encode_image(image, fmt, quality, parameters, task=task, recipe=recipe.model_dump(mode="json"))
    ext = "jpg" if fmt == "jpeg" else fmt
    return Output(
        kind="image",
        media_type=MEDIA_TYPES[fmt],
        data=data,
        title=title[:120],
        meta={"width": image.width, "height": image.height, **(meta or {})},
        parents=list(parents or []),
        model=model,
        tags=list(tags or []),
        filename=f"{stem}.{ext}",
    )


def grid(images: list[Image.Image], cols: int | None = None, pad: int = 2) -> Image.Image:
    """The pictures (all of one size) on one sheet, row by row: a square-ish grid unless `cols` is given."""
    n = len(images)
    cols = cols or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    w, h = images[0].size
    sheet = Image.new("RGB", (cols * (w + pad) + pad, rows * (h + pad) + pad), (245, 245, 240))
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        sheet.paste(im, (pad + c * (w + pad), pad + r * (h + pad)))
    return sheet
