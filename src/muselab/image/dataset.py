"""The pictures a GAN or a VAE trains on: a folder or a list of image Works, each centre-cropped square and
resized to the training side, as one uint8 array (N, size, size, 3) cached in the job's work folder.

A stray unreadable file in a folder is skipped and reported (the model's meta lists it); an unreadable
picture given by Work id is an error, since the person chose it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from muselab.engines import Context, EngineError
from muselab.image.pnginfo import open_image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def centre_square(im: Image.Image, size: int) -> Image.Image:
    """The largest centred square of a picture, resized to size x size."""
    side = min(im.size)
    left, top = (im.width - side) // 2, (im.height - side) // 2
    return im.crop((left, top, left + side, top + side)).resize((size, size), Image.LANCZOS)


def _image_paths(recipe, ctx: Context) -> list[tuple[str, Path]]:
    if recipe.images_dir:
        folder = Path(recipe.images_dir).expanduser()
        if not folder.is_dir():
            raise EngineError(f"images_dir: folder {recipe.images_dir!r} does not exist or is not a folder")
        paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not paths:
            raise EngineError(f"images_dir: no pictures ({', '.join(sorted(IMAGE_SUFFIXES))}) in {recipe.images_dir!r}")
        return [(str(p), p) for p in paths[: recipe.max_images]]
    return [(wid, ctx.input_path(wid)) for wid in recipe.image_work_ids[: recipe.max_images]]


def load_dataset(recipe, ctx: Context) -> tuple[np.ndarray, list[str]]:
    """Pictures centre-cropped square and resized, uint8 (N, size, size, 3), and the files skipped; cached."""
    cache = Path(ctx.workdir) / f"dataset_{recipe.image_size}.npz"
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        return data["images"], [str(s) for s in data["skipped"]]
    items, skipped = [], []
    paths = _image_paths(recipe, ctx)
    for i, (name, path) in enumerate(paths):
        try:
            im = open_image(path, field="images_dir" if recipe.images_dir else "image_work_ids")
        except EngineError as exc:
            if recipe.image_work_ids:
                raise
            skipped.append(f"{Path(name).name}: {exc}")  # a stray unreadable file in a folder is reported, not fatal
            continue
        items.append(np.asarray(centre_square(im, recipe.image_size), np.uint8))
        if i % 50 == 0:
            ctx.progress(0.02 * i / max(1, len(paths)), f"reading pictures {i}/{len(paths)}")
    if len(items) < 2:
        raise EngineError(f"need at least 2 readable pictures to train, found {len(items)}")
    images = np.stack(items)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, images=images, skipped=np.array(skipped, dtype=str))
    os.replace(tmp, cache)
    return images, skipped


def split(n: int, holdout_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(held-out indices, training indices): a seeded shuffle; nothing held out below 4 pictures, and at
    least 2 always left to train on."""
    perm = np.random.default_rng([seed, 1]).permutation(n)
    n_hold = int(round(holdout_fraction * n)) if n >= 4 else 0
    n_hold = min(n_hold, n - 2)
    return perm[:n_hold], perm[n_hold:]
