import io

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from muselab.engines import EngineError, LocalContext, run_task
from muselab.image.recipe import EDIT_PRESETS, EditRecipe


def _open(out):
    return Image.open(io.BytesIO(out.read_bytes())).convert("RGB")


@pytest.mark.parametrize("preset", ["poster", "social_square", "banner", "phone_wallpaper", "wechat_cover"])
def test_presets_crop_to_exact_formats(photo, preset):
    out = run_task(
        "image.edit",
        {"image_work_id": "p", "ops": [{"op": "resize", "preset": preset}]},
        LocalContext(inputs={"p": photo}),
    )[0]
    assert _open(out).size == EDIT_PRESETS[preset] and out.parents == ["p"]


def test_contain_letterboxes_and_upscale_and_adjust(photo):
    ctx = LocalContext(inputs={"p": photo})
    boxed = _open(
        run_task(
            "image.edit",
            {
                "image_work_id": "p",
                "ops": [{"op": "resize", "width": 400, "height": 400, "fit": "contain", "background": "#00ff00"}],
            },
            ctx,
        )[0]
    )
    arr = np.asarray(boxed)
    assert boxed.size == (400, 400) and tuple(arr[2, 200]) == (0, 255, 0) and tuple(arr[200, 200]) != (0, 255, 0)
    up = _open(run_task("image.edit", {"image_work_id": "p", "ops": [{"op": "upscale", "factor": 2.5}]}, ctx)[0])
    assert up.size == (800, 600)
    grey = np.asarray(
        _open(run_task("image.edit", {"image_work_id": "p", "ops": [{"op": "adjust", "saturation": 0.0}]}, ctx)[0]),
        np.int16,
    )
    assert np.abs(grey[..., 0] - grey[..., 2]).max() <= 2
    original = np.asarray(Image.open(photo).convert("RGB"), np.float32)
    bright = np.asarray(
        _open(
            run_task(
                "image.edit",
                {"image_work_id": "p", "ops": [{"op": "adjust", "brightness": 1.3, "warmth": 0.5, "hue_shift": 30}]},
                ctx,
            )[0]
        ),
        np.float32,
    )
    assert bright.mean() > original.mean() + 10


def test_chinese_and_english_text_overlay(photo):
    ctx = LocalContext(inputs={"p": photo})
    original = np.asarray(Image.open(photo).convert("RGB"), np.int16)
    out = _open(
        run_task(
            "image.edit",
            {
                "image_work_id": "p",
                "ops": [{"op": "text", "text": "秋日 Autumn", "position": "bottom", "size": 0.12, "color": "#ff0000"}],
            },
            ctx,
        )[0]
    )
    diff = np.abs(np.asarray(out, np.int16) - original).sum(-1) > 60
    h = diff.shape[0]
    assert diff[int(h * 0.7) :].sum() > 300 and diff[: int(h * 0.5)].sum() == 0  # text at the bottom only
    with pytest.raises(EngineError, match="font_path"):
        run_task(
            "image.edit", {"image_work_id": "p", "ops": [{"op": "text", "text": "x", "font_path": "/no.ttf"}]}, ctx
        )


def test_edit_validation_and_limits(photo):
    with pytest.raises(ValidationError, match="preset or both width and height"):
        EditRecipe(image_work_id="p", ops=[{"op": "resize", "width": 10}])
    with pytest.raises(ValidationError):
        EditRecipe(image_work_id="p", ops=[{"op": "resize", "preset": "billboard"}])
    with pytest.raises(ValidationError, match="#rrggbb"):
        EditRecipe(image_work_id="p", ops=[{"op": "text", "text": "x", "color": "red"}])
    with pytest.raises(ValidationError):
        EditRecipe(image_work_id="p", ops=[])
    ctx = LocalContext(inputs={"p": photo})
    with pytest.raises(EngineError, match=r"ops\[1\].factor"):
        run_task(
            "image.edit",
            {"image_work_id": "p", "ops": [{"op": "upscale", "factor": 8}, {"op": "upscale", "factor": 8}]},
            ctx,
        )
