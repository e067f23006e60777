"""Posters: a generated background (gradient, Bauhaus or flow, chosen by seed) with a title and
subtitle set in a CJK-capable font, wrapped to fit, on a calm band that keeps them readable."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from muselab.image.fonts import find_font
from muselab.image.generators import bauhaus, flow, gradient
from muselab.image.generators.common import Spec
from muselab.image.palettes import luminance


def render(spec: Spec) -> Image.Image:
    rng = spec.rng(60)
    backgrounds = [gradient, bauhaus, flow]
    bg_module = backgrounds[int(rng.integers(len(backgrounds)))]
    img = bg_module.render(spec).convert("RGB")
    title = spec.title or "Muselab"
    w, h = img.size
    pal = spec.dark_to_light
    pos = {"centered": "center", "thirds": "bottom", "sparse": "center"}.get(spec.composition, "top")

    title_font_path = find_font(spec.font_path, bold=True)
    sub_font_path = find_font(spec.font_path)
    max_w = w * 0.84
    size = int(min(w, h) * 0.14)
    while True:
        font = ImageFont.truetype(title_font_path, size)
        lines = wrap(title, font, max_w)
        if len(lines) <= 3 and all(font.getlength(line) <= max_w for line in lines) or size < 12:
            break
        size = int(size * 0.9)
    sub_size = max(10, int(size * 0.36))
    sub_font = ImageFont.truetype(sub_font_path, sub_size)
    sub_lines = wrap(spec.subtitle, sub_font, max_w) if spec.subtitle else []
    line_h = int(size * 1.2)
    block_h = line_h * len(lines) + (int(sub_size * 1.5) * len(sub_lines) + int(size * 0.3) if sub_lines else 0)
    top = {"top": h * 0.1, "center": (h - block_h) / 2, "bottom": h * 0.9 - block_h}[pos]

    # a soft band behind the text, tinted towards the palette colour that contrasts most with the region
    region = np.asarray(img, np.float32)[int(max(0, top)) : int(min(h, top + block_h)) or 1]
    region_lum = float(region.mean()) if region.size else 128.0
    ink = pal[0] if region_lum > 128 else pal[-1]
    if abs(luminance(ink) - region_lum) < 90:
        ink = (20, 20, 20) if region_lum > 128 else (250, 250, 245)
    band_color = pal[-1] if luminance(ink) < 128 else pal[0]
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    od = ImageDraw.Draw(overlay)
    pad = size * 0.45
    od.rectangle([0, top - pad, w, top + block_h + pad], fill=tuple(band_color) + (110,))
    img = Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")

    draw = ImageDraw.Draw(img)
    y = top
    for line in lines:
        draw.text((w / 2, y), line, font=font, fill=tuple(ink), anchor="ma")
        y += line_h
    if sub_lines:
        y += int(size * 0.3)
        for line in sub_lines:
            draw.text((w / 2, y), line, font=sub_font, fill=tuple(ink), anchor="ma")
            y += int(sub_size * 1.5)
    return img


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Wrap English at spaces and Chinese between characters, keeping given line breaks."""
    out: list[str] = []
    for para in text.split("\n"):
        tokens: list[str] = []
        word = ""
        for ch in para:
            if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef":
                if word:
                    tokens.append(word)
                    word = ""
                tokens.append(ch)
            elif ch == " ":
                tokens.append(word + " ")
                word = ""
            else:
                word += ch
        if word:
            tokens.append(word)
        line = ""
        for tok in tokens:
            if line and font.getlength((line + tok).rstrip()) > max_width:
                out.append(line.rstrip())
                line = tok.lstrip()
            else:
                line += tok
        out.append(line.rstrip())
    return [line for line in out if line] or [""]
