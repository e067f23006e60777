"""Reading pictures safely and writing them with their recipe inside ("PNG info").

Written into every picture:
- `parameters`: the AUTOMATIC1111-compatible text (prompt, "Negative prompt:", then "Key: value, ..."),
  as a PNG text chunk, or as EXIF UserComment (UNICODE) in JPEG/WebP, as A1111 does;
- `muselab`: Muselab's full Recipe as JSON ({"task", "recipe", "version"}), as a PNG iTXt chunk, or as
  EXIF MakerNote ("muselab:" + UTF-8 JSON) in JPEG/WebP.
Dropping such a file back into the studio restores its settings with `read_info`.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from muselab.engines import EngineError

# Pillow's decompression-bomb guard, set explicitly: pictures above this many pixels are refused.
MAX_INPUT_PIXELS = 64_000_000  # e.g. 8000 x 8000
Image.MAX_IMAGE_PIXELS = MAX_INPUT_PIXELS

ACCEPTED = "PNG, JPEG, WebP, GIF, BMP or TIFF"
_FORMATS = {"PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}
EXIF_IFD = 0x8769
USER_COMMENT = 0x9286
MAKER_NOTE = 0x927C
SOFTWARE = 0x0131
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}


def open_image(path: str | Path, field: str = "image", max_pixels: int = MAX_INPUT_PIXELS) -> Image.Image:
    """Open a user's picture as RGB, refusing unreadable files, wrong formats and decompression bombs."""
    path = Path(path)
    if not path.is_file():
        raise EngineError(f"{field}: file {path.name!r} not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
            if im.format not in _FORMATS:
                raise EngineError(f"{field}: {im.format} files are not accepted; give a {ACCEPTED} picture")
            w, h = im.size
            if w * h > max_pixels:
                raise EngineError(
                    f"{field}: picture is {w}x{h} = {w * h:,} pixels, above the limit of {max_pixels:,}; "
                    "make it smaller first"
                )
            im.load()
    except EngineError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EngineError(
            f"{field}: picture is larger than the limit of {max_pixels:,} pixels (refused as a possible "
            "decompression bomb); make it smaller first"
        ) from None
    except UnidentifiedImageError:
        raise EngineError(
            f"{field}: {path.name!r} is not a picture this studio can read; give a {ACCEPTED} file"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise EngineError(f"{field}: {path.name!r} is damaged or truncated ({exc})") from None
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "P", "PA"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    return im.convert("RGB")


def a1111_parameters(prompt: str, negative: str = "", **pairs: Any) -> str:
    """The A1111 `parameters` text: prompt, optional negative prompt, then 'Key: value, ...'."""
    lines = [prompt]
    if negative:
        lines.append(f"Negative prompt: {negative}")
    kv = []
    for key, value in pairs.items():
        if value is None or value == "":
            continue
        text = str(value).replace("\n", " ")
        if "," in text or ":" in text:
            text = json.dumps(text, ensure_ascii=False)
        kv.append(f"{key}: {text}")
    if kv:
        lines.append(", ".join(kv))
    return "\n".join(lines)


_KV = re.compile(r'\s*([\w][\w \-/]*):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')


def parse_parameters(text: str) -> dict[str, Any]:
    """Parse A1111 `parameters` text into prompt, negative_prompt and the key/value pairs."""
    lines = text.strip().split("\n")
    pairs: dict[str, str] = {}
    if lines and len(_KV.findall(lines[-1])) >= 2:
        for key, value in _KV.findall(lines.pop()):
            if value.startswith('"'):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            pairs[key.strip()] = value.strip()
    prompt_lines, negative_lines, in_negative = [], [], False
    for line in lines:
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[len("Negative prompt:") :].strip()
        (negative_lines if in_negative else prompt_lines).append(line)
    out: dict[str, Any] = {
        "prompt": "\n".join(prompt_lines).strip(),
        "negative_prompt": "\n".join(negative_lines).strip(),
    }
    out.update(pairs)
    if "Size" in pairs and re.match(r"^\d+x\d+$", pairs["Size"]):
        w, h = pairs["Size"].split("x")
        out["width"], out["height"] = int(w), int(h)
    for key, name, cast in (("Seed", "seed", int), ("Steps", "steps", int), ("CFG scale", "guidance_scale", float)):
        if key in pairs:
            try:
                out[name] = cast(pairs[key])
            except ValueError:
                pass
    return out


def encode_image(
    image: Image.Image,
    fmt: str = "png",
    quality: int = 92,
    parameters: str = "",
    task: str | None = None,
    recipe: dict | None = None,
) -> bytes:
    """Encode a picture with its parameters and recipe embedded."""
    from muselab import __version__ as version

    muselab_json = (
        json.dumps({"task": task, "recipe": recipe, "version": version}, ensure_ascii=False) if recipe else ""
    )
    buf = io.BytesIO()
    if fmt == "png":
        info = PngImagePlugin.PngInfo()
        if parameters:
            info.add_text("parameters", parameters)
        if muselab_json:
            info.add_itxt("muselab", muselab_json)
        info.add_text("Software", "Muselab")
        image.save(buf, "PNG", pnginfo=info, compress_level=6)
    elif fmt in ("jpeg", "webp"):
        exif = Image.Exif()
        exif[SOFTWARE] = "Muselab"
        ifd = exif.get_ifd(EXIF_IFD)
        if parameters:
            ifd[USER_COMMENT] = b"UNICODE\0" + parameters.encode("utf-16-be")
        if muselab_json:
            ifd[MAKER_NOTE] = b"muselab:" + muselab_json.encode("utf-8")
        image = image.convert("RGB")
        if fmt == "jpeg":
            image.save(buf, "JPEG", quality=quality, exif=exif, optimize=True)
        else:
            image.save(buf, "WEBP", quality=quality, exif=exif, method=4)
    else:
        raise EngineError(f"format {fmt!r} is not supported; accepted: png, jpeg, webp")
    return buf.getvalue()


def _decode_user_comment(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    prefix, body = raw[:8], raw[8:]
    if prefix == b"UNICODE\0":
        # A1111/piexif write UTF-16 big-endian; some tools write little-endian
        be = body.decode("utf-16-be", errors="replace")
        le = body.decode("utf-16-le", errors="replace")
        return be if be.count("\ufffd") <= le.count("\ufffd") and not _mostly_cjk_noise(be) else le
    if prefix in (b"ASCII\0\0\0", b"\0" * 8):
        return body.decode("utf-8", errors="replace").rstrip("\0")
    return raw.decode("utf-8", errors="replace")


def _mostly_cjk_noise(s: str) -> bool:
    # ASCII text read with the wrong byte order turns into CJK-range code points like '\u7000'
    return bool(s) and sum(0x0100 <= ord(c) and (ord(c) & 0xFF) == 0 for c in s) > len(s) // 3


def read_info(path: str | Path | bytes) -> dict[str, Any]:
    """What a picture says about how it was made: {"parameters", "parsed", "task", "recipe"} (missing ones None)."""
    source = io.BytesIO(path) if isinstance(path, (bytes, bytearray)) else path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(source)
    except (UnidentifiedImageError, OSError):
        raise EngineError(f"file is not a picture this studio can read; give a {ACCEPTED} file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EngineError(f"picture is larger than the limit of {MAX_INPUT_PIXELS:,} pixels") from None
    parameters = None
    muselab = None
    text = getattr(im, "text", None) or {}
    if im.format == "PNG":
        parameters = text.get("parameters")
        muselab = text.get("muselab")
    exif = im.getexif()
    ifd = exif.get_ifd(EXIF_IFD) if exif else {}
    if parameters is None and USER_COMMENT in ifd:
        parameters = _decode_user_comment(ifd[USER_COMMENT])
    if muselab is None and MAKER_NOTE in ifd:
        raw = ifd[MAKER_NOTE]
        if isinstance(raw, bytes) and raw.startswith(b"muselab:"):
            muselab = raw[len(b"muselab:") :].decode("utf-8")
    out: dict[str, Any] = {
        "format": im.format,
        "width": im.width,
        "height": im.height,
        "parameters": parameters,
        "parsed": parse_parameters(parameters) if parameters else None,
        "task": None,
        "recipe": None,
    }
    if muselab:
        try:
            data = json.loads(muselab)
            out["task"], out["recipe"] = data.get("task"), data.get("recipe")
        except ValueError:
            pass
    return out
