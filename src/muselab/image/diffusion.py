"""Diffusion plug-in: text-to-image and image-to-image with a diffusers model folder the user points at.

Nothing is downloaded: pipelines load with local_files_only=True (and HF_HUB_OFFLINE set while
loading), so a folder that is not a complete diffusers model is a clear error, not a download.
A GPU is used when present (device="auto"); CPU works, slowly, in float32.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable

from PIL import Image

from muselab.engines import Cancelled, EngineError

_pipes: dict[tuple, object] = {}
_lock = threading.Lock()


def _device(torch, wanted: str) -> str:
    if wanted == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if wanted == "cuda" and not torch.cuda.is_available():
        raise EngineError("device: cuda was asked for but no CUDA GPU is available to PyTorch; use auto or cpu")
    if wanted == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise EngineError("device: mps was asked for but is not available; use auto or cpu")
    return wanted


def check_model_dir(model_dir: str) -> Path:
    path = Path(model_dir).expanduser()
    if not path.is_dir():
        raise EngineError(f"model_dir: folder {model_dir!r} does not exist")
    if not (path / "model_index.json").is_file():
        raise EngineError(
            f"model_dir: {model_dir!r} is not a diffusers model folder (no model_index.json). Point at a folder "
            "saved with pipeline.save_pretrained(...) or a downloaded diffusers repository; single .safetensors "
            "checkpoints must be converted first"
        )
    return path


def load_pipeline(model_dir: str, img2img: bool, device: str):
    try:
        import torch
        import diffusers
    except ImportError:
        raise EngineError("diffusion needs diffusers and torch: pip install 'muselab[diffusion,train]'") from None
    path = check_model_dir(model_dir)
    dev = _device(torch, device)
    key = (str(path.resolve()), img2img, dev)
    with _lock:
        if key in _pipes:
            return _pipes[key], dev
        # float16 on CUDA; elsewhere the pipelines' own float32 default (no dtype argument, which also
        # sidesteps the torch_dtype/dtype rename between diffusers versions)
        dtype_kw = {"torch_dtype": torch.float16} if dev == "cuda" else {}
        sibling = _pipes.get((key[0], not img2img, dev))
        if sibling is not None:  # share the loaded weights between text-to-image and image-to-image
            auto = diffusers.AutoPipelineForImage2Image if img2img else diffusers.AutoPipelineForText2Image
            try:
                pipe = auto.from_pipe(sibling)
                pipe.set_progress_bar_config(disable=True)
                _pipes[key] = pipe
                return pipe, dev
            except (ValueError, TypeError, AttributeError):
                pass  # load from disk below
        auto = diffusers.AutoPipelineForImage2Image if img2img else diffusers.AutoPipelineForText2Image
        previous = os.environ.get("HF_HUB_OFFLINE")
        os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            try:
                pipe = auto.from_pretrained(str(path), local_files_only=True, **dtype_kw)
            except ValueError as exc:
                if img2img:
                    raise EngineError(f"model_dir: this model cannot do image-to-image ({exc})") from None
                pipe = diffusers.DiffusionPipeline.from_pretrained(str(path), local_files_only=True, **dtype_kw)
        except EngineError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise EngineError(f"model_dir: could not load a diffusers pipeline from {model_dir!r}: {exc}") from None
        finally:
            if previous is None:
                os.environ.pop("HF_HUB_OFFLINE", None)
            else:
                os.environ["HF_HUB_OFFLINE"] = previous
        pipe = pipe.to(dev)
        pipe.set_progress_bar_config(disable=True)
        _pipes[key] = pipe
        return pipe, dev


def generate(
    recipe, seed: int, init: Image.Image | None, progress: Callable[[float, str], None]
) -> tuple[list[Image.Image], str]:
    import torch

    pipe, dev = load_pipeline(recipe.model_dir, init is not None, recipe.device)
    progress(0.05, f"model loaded on {dev}")
    total = recipe.steps if init is None else max(1, int(recipe.steps * recipe.strength))

    def on_step(_pipe, step, _timestep, kwargs):
        try:
            progress(0.05 + 0.9 * (step + 1) / total, f"step {step + 1}/{total}")
        except Cancelled:
            _pipe._interrupt = True
            raise
        return kwargs

    generators = [torch.Generator(device="cpu").manual_seed(seed + i) for i in range(recipe.n)]
    kwargs = dict(
        prompt=[recipe.prompt] * recipe.n,
        num_inference_steps=recipe.steps,
        guidance_scale=recipe.guidance_scale,
        generator=generators,
        callback_on_step_end=on_step,
    )
    if recipe.negative_prompt:
        kwargs["negative_prompt"] = [recipe.negative_prompt] * recipe.n
    if init is not None:
        kwargs.update(image=init.resize((recipe.width, recipe.height), Image.LANCZOS), strength=recipe.strength)
    else:
        kwargs.update(width=recipe.width, height=recipe.height)
    try:
        result = pipe(**kwargs)
    except TypeError:  # pipelines without callback_on_step_end
        kwargs.pop("callback_on_step_end")
        result = pipe(**kwargs)
    images = [im.convert("RGB") for im in result.images]
    return images, Path(recipe.model_dir).name
