"""Everyday edits: resize/crop to preset formats, upscale (Lanczos), colour adjustments, text overlay.

No learned upscaler ships offline with the studio's dependencies, so upscaling is Lanczos with an
optional unsharp mask; the recipe says so by name.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from muselab.engines import EngineError
from muselab.image.fonts import find_font
from muselab.image.palettes import parse_hex
from muselab.image.pnginfo import MAX_INPUT_PIXELS
from muselab.image.recipe import EDIT_PRESETS, AdjustOp, ResizeOp, TextOp, UpscaleOp


def apply_ops(image: Image.Image, ops, progress: Callable[[float, str], None] | None = None) -> Image.Image:
    for i, op in enumerate(ops):
        if isinstance(op, ResizeOp):
            image = resize(image, op)
        elif isinstance(op, UpscaleOp):
            image = upscale(image, op, index=i)
        elif isinstance(op, AdjustOp):
            image = adjust(image, op)
        elif isinstance(op, TextOp):
            image = text(image, op)
        if progress:
            progress((i + 1) / len(ops), f"{op.op} done")
    return image


def resize(image: Image.Image, op: ResizeOp) -> Image.Image:
    w, h = EDIT_PRESETS[op.preset] if op.preset else (op.width, op.height)
    if op.fit == "stretch":
        return image.resize((w, h), Image.LANCZOS)
    scale = max(w / image.width, h / image.height) if op.fit == "cover" else min(w / image.width, h / image.height)
    nw, nh = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    scaled = image.resize((nw, nh), Image.LANCZOS)
    if op.fit == "cover":
        left = round((nw - w) * op.anchor_x)
        top = round((nh - h) * op.anchor_y)
        return scaled.crop((left, top, left + w, top + h))
    canvas = Image.new("RGB", (w, h), parse_hex(op.background))
    canvas.paste(scaled, (round((w - nw) * op.anchor_x), round((h - nh) * op.anchor_y)))
    return canvas


def upscale(image: Image.Image, op: UpscaleOp, index: int = 0) -> Image.Image:
    w, h = round(image.width * op.factor), round(image.height * op.factor)
    if w * h > MAX_INPUT_PIXELS:
        raise EngineError(
            f"ops[{index}].factor: {image.width}x{image.height} x {op.factor} = {w}x{h} is above the "
            f"limit of {MAX_INPUT_PIXELS:,} pixels; use a smaller factor"
        )
    out = image.resize((w, h), Image.LANCZOS)
    if op.sharpen > 0:
        out = out.filter(
            ImageFilter.UnsharpMask(radius=max(1.0, op.factor * 0.8), percent=int(op.sharpen * 100), threshold=2)
        )
    return out


def adjust(image: Image.Image, op: AdjustOp) -> Image.Image:
    if op.brightness != 1:
        image = ImageEnhance.Brightness(image).enhance(op.brightness)
    if op.contrast != 1:
        image = ImageEnhance.Contrast(image).enhance(op.contrast)
    if op.saturation != 1:
        image = ImageEnhance.Color(image).enhance(op.saturation)
    if op.sharpness != 1:
        image = ImageEnhance.Sharpness(image).enhance(op.sharpness)
    if op.hue_shift:
        hsv = np.asarray(image.convert("HSV")).copy()
        hsv[..., 0] = (hsv[..., 0].astype(np.int16) + round(op.hue_shift / 360 * 256)) % 256
        image = Image.fromarray(hsv, "HSV").convert("RGB")
    if op.warmth:
        arr = np.asarray(image, np.float32)
        arr[..., 0] *= 1 + 0.12 * op.warmth
        arr[..., 2] *= 1 - 0.12 * op.warmth
        image = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")
    return image


def text(image: Image.Image, op: TextOp) -> Image.Image:
    font_file = find_font(op.font_path, field="ops[].font_path")
    size = max(8, round(image.height * op.size))
    try:
        font = ImageFont.truetype(font_file, size)
    except OSError as exc:
        raise EngineError(f"font_path: cannot read font {font_file!r} ({exc})") from None
    image = image.copy()
    draw = ImageDraw.Draw(image)
    stroke = round(size * op.stroke_width) if op.stroke_color else 0
    margin = round(min(image.size) * op.margin)
    align = "left" if op.position.endswith("left") else "right" if op.position.endswith("right") else "center"
    box = draw.multiline_textbbox((0, 0), op.text, font=font, stroke_width=stroke, align=align, spacing=size // 4)
    tw, th = box[2] - box[0], box[3] - box[1]
    W, H = image.size
    x = {"left": margin, "center": (W - tw) / 2, "right": W - margin - tw}[align]
    if op.position.startswith("top"):
        y = margin
    elif op.position == "center":
        y = (H - th) / 2
    else:
        y = H - margin - th
    draw.multiline_text(
        (x - box[0], y - box[1]),
        op.text,
        font=font,
        fill=parse_hex(op.color),
        align=align,
        spacing=size // 4,
        stroke_width=stroke,
        stroke_fill=parse_hex(op.stroke_color) if op.stroke_color else None,
    )
    return image
