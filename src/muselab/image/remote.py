"""Remote backend: an image server the owner registered (`muselab paint servers add`).

- api="a1111": AUTOMATIC1111-compatible (also Forge, SD.Next, ComfyUI bridges):
  POST {url}/sdapi/v1/txt2img or /sdapi/v1/img2img, JSON in, base64 PNGs out ("images", "info").
- api="openai": OpenAI-images-compatible: POST {url}/v1/images/generations with
  response_format=b64_json (LocalAI, vLLM-omni, OpenAI itself, ...).
A recipe names the server; its URL and key (or the environment variable holding the key) come from
the owner's registry, so a recipe can neither point the studio at another host nor send it a secret.
A server's error body is logged, not passed back: it could carry anything.
"""

from __future__ import annotations

import base64
import io
import json
import logging

from PIL import Image, UnidentifiedImageError

from muselab.engines import EngineError
from muselab.image.pnginfo import MAX_INPUT_PIXELS

log = logging.getLogger("muselab.image.remote")


def registered_server(name: str):
    from muselab.models.registry import ModelError, Registry

    try:
        return Registry().image_server(name)
    except ModelError as exc:
        raise EngineError(f"server: {exc}") from None


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


def generate(recipe, server, seed: int, init_png: bytes | None = None) -> tuple[list[Image.Image], dict]:
    """Ask the registered `server` (a ModelInfo of kind image_server) for pictures."""
    import httpx

    headers = {"Accept": "application/json"}
    if server.api_key or server.api_key_env:
        key = server.key()
        if not key:
            raise EngineError(f"server: the key of image server {server.name!r} is not set "
                              f"(environment variable {server.api_key_env})")
        headers["Authorization"] = f"Bearer {key}"
    name = f"the image server {server.name!r}"
    if server.api == "a1111":
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
        endpoint = "/v1/images/generations" if not server.base_url.endswith("/v1") else "/images/generations"
    try:
        response = httpx.post(server.base_url + endpoint, json=payload, headers=headers, timeout=recipe.timeout)
    except httpx.HTTPError as exc:
        raise EngineError(f"server: could not reach {name} ({exc.__class__.__name__})") from None
    if response.status_code != 200:
        log.warning("%s answered %s: %s", name, response.status_code, response.text[:2000])
        raise EngineError(f"{name} answered HTTP {response.status_code} {response.reason_phrase}; "
                          "its message is in the studio's log")
    try:
        body = response.json()
    except ValueError:
        raise EngineError(f"{name} did not answer JSON (is it registered with the right api?)") from None
    if not isinstance(body, dict):
        raise EngineError(f"{name} answered JSON that is not an object (is it registered with the right api?)")
    info: dict = {}
    if server.api == "a1111":
        raw = body.get("images")
        if not isinstance(raw, list) or not raw:
            raise EngineError(f"{name} returned no 'images' (is it an a1111 server?)")
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
        if not isinstance(data, list) or not data or not isinstance(data[0], dict) or "b64_json" not in data[0]:
            raise EngineError(f"{name} returned no data[].b64_json (is it an openai-images server?)")
        images = [_decode(d["b64_json"], "image") for d in data[: recipe.n]]
        info["model"] = recipe.model
    return images, info
