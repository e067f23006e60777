import io

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from muselab.engines import EngineError, LocalContext, run_task
from muselab.image.pnginfo import read_info
from muselab.image.recipe import StyleRecipe


def _arr(out):
    return np.asarray(Image.open(io.BytesIO(out.read_bytes())).convert("RGB"), np.float32)


def test_builtin_style_changes_the_photo_and_keeps_its_size(photo):
    original = np.asarray(Image.open(photo).convert("RGB"), np.float32)
    ctx = LocalContext(inputs={"p": photo})
    out = run_task("image.style", {"photo_work_id": "p", "style": "7", "seed": 1}, ctx)[0]
    styled = _arr(out)
    assert styled.shape == original.shape
    assert np.abs(styled - original).mean() > 15  # measurably restyled
    assert out.parents == ["p"] and read_info(out.read_bytes())["recipe"]["style"] == "7"
    half = _arr(run_task("image.style", {"photo_work_id": "p", "style": "7", "strength": 0.5, "seed": 1}, ctx)[0])
    d_half, d_full = np.abs(half - original).mean(), np.abs(styled - original).mean()
    assert 0.3 * d_full < d_half < 0.7 * d_full  # strength blends towards the photo
    blend = _arr(run_task("image.style", {"photo_work_id": "p", "style": "3:0.5,12:0.5", "seed": 1}, ctx)[0])
    assert np.abs(blend - styled).mean() > 5


def test_any_picture_as_the_style(photo, tmp_path):
    style_pic = tmp_path / "stripes.png"
    stripes = np.zeros((256, 256, 3), np.uint8)
    stripes[:, ::16] = (230, 40, 40)
    stripes[::16, :] = (30, 30, 200)
    Image.fromarray(stripes).save(style_pic)
    ctx = LocalContext(inputs={"p": photo, "s": style_pic})
    out = run_task("image.style", {"photo_work_id": "p", "style_work_id": "s", "seed": 1}, ctx)[0]
    original = np.asarray(Image.open(photo).convert("RGB"), np.float32)
    styled = _arr(out)
    assert styled.shape == original.shape and np.abs(styled - original).mean() > 10
    assert out.parents == ["p", "s"]


def test_large_photos_are_styled_in_tiles_at_full_size(tmp_path):
    from image_samples import make_photo

    big = make_photo(tmp_path / "big.png", size=(700, 420))
    ctx = LocalContext(inputs={"p": big})
    out = run_task("image.style", {"photo_work_id": "p", "style": "19", "tile_size": 256, "seed": 1}, ctx)[0]
    styled = _arr(out)
    assert styled.shape == (420, 700, 3)
    fractions = [e[0] for e in ctx.events]
    assert len(fractions) > 4 and fractions == sorted(fractions)  # one progress event per tile
    # no visible seam: columns across a tile boundary differ about as much as elsewhere
    col_diffs = np.abs(np.diff(styled, axis=1)).mean(axis=(0, 2))
    assert col_diffs.max() < 6 * np.median(col_diffs) + 10


def test_style_recipe_validation():
    with pytest.raises(ValidationError, match="exactly one"):
        StyleRecipe(photo_work_id="p")
    with pytest.raises(ValidationError, match="exactly one"):
        StyleRecipe(photo_work_id="p", style="1", style_work_id="s")
    with pytest.raises(ValidationError, match="0-25"):
        StyleRecipe(photo_work_id="p", style="26")
    with pytest.raises(ValidationError, match="index 0-25"):
        StyleRecipe(photo_work_id="p", style="van gogh")
    with pytest.raises(ValidationError):
        StyleRecipe(photo_work_id="p", style="1", strength=1.5)


def test_tiny_photo_is_refused(tmp_path):
    Image.new("RGB", (20, 20)).save(tmp_path / "tiny.png")
    with pytest.raises(EngineError, match="photo_work_id.*32"):
        run_task("image.style", {"photo_work_id": "p", "style": "1"}, LocalContext(inputs={"p": tmp_path / "tiny.png"}))
