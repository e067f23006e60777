"""Remote backend: an image server the user runs or subscribes to.

- api="a1111": AUTOMATIC1111-compatible (also Forge, SD.Next, ComfyUI bridges):
  POST {url}/sdapi/v1/txt2img or /sdapi/v1/img2img, JSON in, base64 PNGs out ("images", "info").
- api="openai": OpenAI-images-compatible: POST {url}/v1/images/generations with
  response_format=b64_json (LocalAI, vLLM-omni, OpenAI itself, ...).
The API key, when needed, is read from the environment variable named in the recipe, never stored.
"""

from __future__ import annotations

import base64
import io
import json
import os

from PIL import Image, UnidentifiedImageError

from muselab.engines import EngineError
from muselab.image.pnginfo import MAX_INPUT_PIXELS


def _decode(b64: str, what: str) -> Image.Image:
    if "," in b64[:100] and b64.startswith("data:"):
        b64 = b64.split(",", 1)[1]
    try:
        data = base64.b64decode(b64)
        im = Image.open(io.BytesIO(data))
        if im.width * im.height > MAX_INPUT_PIXELS:
            raise EngineError(f"the server returned a {im.width}x{im.height} picture, above the pixel limit")
        im.load()
    except (ValueError, UnidentifiedImageError, OSError) as exc:
        raise EngineError(f"the server's {what} is not a readable picture ({exc})") from None
    return im.convert("RGB")


def generate(recipe, seed: int, init_png: bytes | None = None) -> tuple[list[Image.Image], dict]:
    import httpx

    headers = {"Accept": "application/json"}
    if recipe.api_key_env:
        key = os.environ.get(recipe.api_key_env)
        if not key:
            raise EngineError(f"api_key_env: environment variable {recipe.api_key_env} is not set")
        headers["Authorization"] = f"Bearer {key}"
    if recipe.api == "a1111":
        payload = {
            "prompt": recipe.prompt,
            "negative_prompt": recipe.negative_prompt,
            "seed": seed,
            "steps": recipe.steps,
            "cfg_scale": recipe.guidance_scale,
            "width": recipe.width,
            "height": recipe.height,
            "batch_size": recipe.n,
            "n_iter": 1,
        }
        if recipe.sampler:
            payload["sampler_name"] = recipe.sampler
        if recipe.model:
            payload["override_settings"] = {"sd_model_checkpoint": recipe.model}
        endpoint = "/sdapi/v1/txt2img"
        if init_png is not None:
            endpoint = "/sdapi/v1/img2img"
            payload["init_images"] = [base64.b64encode(init_png).decode("ascii")]
            payload["denoising_strength"] = recipe.strength
    else:
        payload = {
            "prompt": recipe.prompt,
            "n": recipe.n,
            "size": f"{recipe.width}x{recipe.height}",
            "response_format": "b64_json",
        }
        if recipe.model:
            payload["model"] = recipe.model
        endpoint = "/v1/images/generations" if not recipe.url.endswith("/v1") else "/images/generations"
    url = recipe.url + endpoint
    try:
        response = httpx.post(url, json=payload, headers=headers, timeout=recipe.timeout)
    except httpx.HTTPError as exc:
        raise EngineError(f"url: could not reach the image server at {url} ({exc.__class__.__name__}: {exc})") from None
    if response.status_code != 200:
        raise EngineError(f"the image server at {url} answered {response.status_code}: {response.text[:300]}")
    try:
        body = response.json()
    except ValueError:
        raise EngineError(f"the image server at {url} did not answer JSON (is api={recipe.api!r} right?)") from None
    info: dict = {}
    if recipe.api == "a1111":
        raw = body.get("images")
        if not isinstance(raw, list) or not raw:
            raise EngineError(f"the image server at {url} returned no 'images' (is api='a1111' right?)")
        images = [_decode(b, "image") for b in raw[: recipe.n]]
        server_info = body.get("info")
        if isinstance(server_info, str):
            try:
                server_info = json.loads(server_info)
            except ValueError:
                server_info = {}
        if isinstance(server_info, dict):
            if isinstance(server_info.get("all_seeds"), list):
                info["seeds"] = [int(s) for s in server_info["all_seeds"]]
            info["model"] = server_info.get("sd_model_name")
    else:
        data = body.get("data")
        if not isinstance(data, list) or not data or "b64_json" not in data[0]:
            raise EngineError(f"the image server at {url} returned no data[].b64_json (is api='openai' right?)")
        images = [_decode(d["b64_json"], "image") for d in data[: recipe.n]]
        info["model"] = recipe.model
    return images, info
