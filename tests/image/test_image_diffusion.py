import io

import numpy as np
import pytest
from PIL import Image

from muselab.engines import EngineError, LocalContext, run_task
from muselab.image.pnginfo import read_info

pytest.importorskip("diffusers")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    import tiny_diffusers
    import torch

    # a tiny network: thread start-up costs more than the work, and on a busy shared machine
    # contended threads spin (3 steps at 64 px took ~5 s with 2 threads, ~0.5 s with 1)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield tiny_diffusers.build(tmp_path_factory.mktemp("diffusion"))
    torch.set_num_threads(before)


def test_text_to_image_and_image_to_image_with_a_tiny_random_pipeline(tiny_model, photo):
    ctx = LocalContext(inputs={"p": photo})
    recipe = {
        "model_dir": str(tiny_model),
        "prompt": "山水 mountains",
        "negative_prompt": "blur",
        "steps": 3,
        "width": 64,
        "height": 64,
        "n": 2,
        "seed": 7,
    }
    outs = run_task("image.diffuse", recipe, ctx)
    assert len(outs) == 2 and [o.meta["seed"] for o in outs] == [7, 8]
    first = np.asarray(Image.open(io.BytesIO(outs[0].read_bytes())))
    assert first.shape == (64, 64, 3)
    assert outs[0].read_bytes() != outs[1].read_bytes()
    steps = [m for _, m, _ in ctx.events if m.startswith("step")]
    assert steps[-1] == "step 3/3"  # per-step progress reached the studio
    again = run_task("image.diffuse", {**recipe, "n": 1}, LocalContext())[0]
    again = np.asarray(Image.open(io.BytesIO(again.read_bytes())), np.float32)
    # seeded: the same seed alone gives the same picture as in a batch of two (up to batched float rounding)
    assert np.abs(again - first).mean() < 1.0
    other = np.asarray(Image.open(io.BytesIO(outs[1].read_bytes())), np.float32)
    assert np.abs(other - first).mean() > 5
    info = read_info(outs[0].read_bytes())
    assert info["recipe"]["model_dir"] == str(tiny_model) and info["parsed"]["steps"] == 3
    assert info["parsed"]["negative_prompt"] == "blur" and info["parsed"]["Model"] == "tiny-sd"

    img2img = run_task("image.diffuse", {**recipe, "n": 1, "init_work_id": "p", "strength": 0.5}, ctx)[0]
    assert img2img.parents == ["p"] and Image.open(io.BytesIO(img2img.read_bytes())).size == (64, 64)


def test_a_folder_that_is_not_a_model_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(EngineError, match="model_dir: .* is not a diffusers model folder"):
        run_task("image.diffuse", {"model_dir": str(tmp_path), "prompt": "x"}, LocalContext())
    with pytest.raises(EngineError, match="model_dir: folder .* does not exist"):
        run_task("image.diffuse", {"model_dir": str(tmp_path / "missing"), "prompt": "x"}, LocalContext())
    (tmp_path / "model_index.json").write_text(
        '{"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}'
    )
    with pytest.raises(EngineError, match="model_dir: could not load"):
        run_task("image.diffuse", {"model_dir": str(tmp_path), "prompt": "x"}, LocalContext())
