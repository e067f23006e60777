import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from pydantic import ValidationError

from muselab.engines import EngineError, LocalContext, run_task
from muselab.image.recipe import TrainVaeRecipe

SRC = str(Path(__file__).resolve().parents[2] / "src")
TINY = {"image_size": 32, "batch_size": 8, "latent_dim": 16, "base_channels": 8, "seed": 3, "patience": 0}


def test_vae_resumes_after_sigkill_and_its_loss_goes_down(shapes_dir, tmp_path):
    workdir = tmp_path / "job"
    recipe = {"images_dir": str(shapes_dir), "epochs": 10, "checkpoint_every": 2, "learning_rate": 2e-3, **TINY}
    code = (
        "import json, sys; from muselab.engines import LocalContext, run_task; "
        f"outs = run_task('image.train_vae', json.loads(sys.argv[1]), LocalContext(workdir={str(workdir)!r})); "
        "print('FINISHED')"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, json.dumps(recipe)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    ckpt = workdir / "vae_resume.pt"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ckpt.exists(), proc.stderr.read().decode()[-2000:] if proc.poll() is not None else "no checkpoint in time"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL and b"FINISHED" not in stdout  # really killed mid-training

    ctx = LocalContext(workdir=workdir)
    outs = run_task("image.train_vae", recipe, ctx)
    training = outs[0].meta["training"]
    assert training["resumed_from_step"] >= 2  # continued from the checkpoint, not from step 0
    assert any(m.startswith("resumed from step") for _, m, _ in ctx.events)
    assert training["steps"] == 10 * 2 and len(training["history"]) == 10  # 22 pictures to train on, batches of 8
    first, last = training["history"][0], training["history"][-1]
    assert last["loss"] < 0.9 * first["loss"]
    assert training["best_score"] < training["initial_score"]
    model = outs[0]
    assert model.kind == "model" and model.media_type == "application/x-muselab-checkpoint"
    assert model.meta["architecture"] == {"kind": "vae", "image_size": 32, "latent_dim": 16, "base_channels": 8}
    assert [o.media_type for o in outs[1:]] == ["image/png", "image/gif"]  # final sample grid, grids per epoch
    assert len(list((workdir / "samples").glob("epoch_*.png"))) == 10

    # the VAE walks between two of the user's pictures, as a GIF, and samples a grid
    pics = sorted(shapes_dir.glob("*.png"))
    sctx = LocalContext(inputs={"m": model.path, "a": pics[0], "b": pics[1]})
    gif = run_task(
        "image.interpolate",
        {"model_work_id": "m", "from_work_id": "a", "to_work_id": "b", "frames": 5, "as_gif": True, "seed": 1},
        sctx,
    )[0]
    frames = Image.open(io.BytesIO(gif.read_bytes()))
    assert gif.media_type == "image/gif" and frames.n_frames == 5 + 3 and gif.parents == ["m", "a", "b"]
    grid = run_task("image.sample", {"model_work_id": "m", "n": 4, "seed": 2}, sctx)[0]
    assert Image.open(io.BytesIO(grid.read_bytes())).size == (2 * 34 + 2, 2 * 34 + 2)


def test_gan_training_lowers_its_held_out_proxy_then_samples(shapes_dir, tmp_path):
    ctx = LocalContext(workdir=tmp_path / "gan")
    outs = run_task("image.train_gan", {"images_dir": str(shapes_dir), "epochs": 8, **TINY}, ctx)
    training = outs[0].meta["training"]
    assert training["best_score"] < training["initial_score"]
    assert training["resumed_from_step"] is None and len(training["history"]) == 8
    previews = [p for _, _, p in ctx.events if p and "epoch" in p]
    assert len(previews) == 8 and previews[0]["image"].startswith("data:image/png")

    sctx = LocalContext(inputs={"g": outs[0].path})
    singles = run_task("image.sample", {"model_work_id": "g", "n": 3, "as_grid": False, "upscale": 2, "seed": 5}, sctx)
    assert len(singles) == 3 and all(Image.open(io.BytesIO(o.read_bytes())).size == (64, 64) for o in singles)
    again = run_task("image.sample", {"model_work_id": "g", "n": 3, "as_grid": False, "upscale": 2, "seed": 5}, sctx)
    assert [o.read_bytes() for o in again] == [o.read_bytes() for o in singles]
    strip = run_task("image.interpolate", {"model_work_id": "g", "frames": 6, "upscale": 1, "seed": 1}, sctx)[0]
    assert Image.open(io.BytesIO(strip.read_bytes())).size == (6 * 34 + 2, 36)
    old_name = run_task("image.interpolate", {"model_work_id": "g", "steps": 6, "upscale": 1, "seed": 1}, sctx)[0]
    assert old_name.read_bytes() == strip.read_bytes()  # a recipe kept under the old name makes the same strip
    with pytest.raises(EngineError, match="need a VAE"):
        run_task("image.interpolate", {"model_work_id": "g", "from_work_id": "g", "to_work_id": "g"}, sctx)


def test_early_stopping_stops_when_held_out_score_stalls(shapes_dir, tmp_path):
    # a learning rate of zero never improves the held-out score, so patience 2 stops after 3 epochs
    outs = run_task(
        "image.train_vae",
        {"images_dir": str(shapes_dir), "epochs": 20, **TINY, "patience": 2, "learning_rate": 1e-12},
        LocalContext(workdir=tmp_path / "w"),
    )
    training = outs[0].meta["training"]
    assert training["stopped_early"] and training["epochs_run"] < 20


def test_dataset_errors_are_clear(tmp_path):
    with pytest.raises(ValidationError, match="exactly one of image_work_ids"):
        TrainVaeRecipe()
    with pytest.raises(EngineError, match="images_dir: folder .* does not exist"):
        run_task("image.train_vae", {"images_dir": str(tmp_path / "nope"), **TINY}, LocalContext())
    (tmp_path / "empty").mkdir()
    with pytest.raises(EngineError, match="no pictures"):
        run_task("image.train_vae", {"images_dir": str(tmp_path / "empty"), **TINY}, LocalContext())
    (tmp_path / "bad.png").write_text("not a picture")
    with pytest.raises(EngineError, match="image_work_ids.*not a picture"):
        run_task("image.train_gan", {"image_work_ids": ["x"], **TINY}, LocalContext(inputs={"x": tmp_path / "bad.png"}))
    with pytest.raises(EngineError, match="model_work_id: not a Muselab GAN/VAE"):
        run_task("image.sample", {"model_work_id": "x"}, LocalContext(inputs={"x": tmp_path / "bad.png"}))


def test_cancel_stops_training_and_keeps_the_checkpoint(shapes_dir, tmp_path):
    from muselab.engines import Cancelled

    def cancel_after_a_few_steps(fraction, message, preview):
        if message.startswith("epoch 2/"):
            ctx.cancel_event.set()

    ctx = LocalContext(workdir=tmp_path / "w", on_progress=cancel_after_a_few_steps)
    with pytest.raises(Cancelled):
        run_task("image.train_vae", {"images_dir": str(shapes_dir), "epochs": 50, **TINY}, ctx)
    assert (tmp_path / "w" / "vae_resume.pt").exists()  # the finished epoch is kept for a re-run
