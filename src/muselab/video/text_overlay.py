"""Words on video with ffmpeg's drawtext and Noto Sans CJK: titles, lower thirds and captions.

- The font is Noto Sans CJK **SC** when fontconfig knows it (drawtext's `font=` goes through fontconfig, which
  picks the Simplified Chinese face of the .ttc; a plain `fontfile=` would take its first face, Japanese, whose
  骨 and 直 differ), else the file `muselab.image.fonts.find_font` finds.
- Text reaches drawtext through a UTF-8 file (`textfile=`, `expansion=none`), so quotes, colons, backslashes,
  `%` and brackets are shown as typed, never parsed; only the file's path is escaped (`graph.value`).
- Lines are measured with Pillow on the same face and wrapped to the frame (CJK between any two characters, Latin
  between words), and each line is its own centred drawtext.
- A title or lower third is a layer: a transparent canvas only as long as the text is shown, with a soft
  (blurred) shadow, faded in and out on its alpha, and laid over the video from its start time. Outside that
  time the video passes through untouched.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from muselab.video.graph import number, value

FAMILY = "Noto Sans CJK SC"


@dataclass(frozen=True)
class Font:
    path: str  # the font file (for measuring)
    index: int  # face in a .ttc
    family: str | None  # set when drawtext should find it through fontconfig
    bold: bool

    def drawtext(self) -> str:
        """drawtext options choosing this font."""
        if self.family:
            # drawtext reads `fontfile` as a fontconfig pattern when it is no file, and adds `font` as the family.
            style = f":fontfile={value(':style=Bold')}" if self.bold else ""
            return f"font={value(self.family)}{style}"
        return f"fontfile={value(self.path)}"


@functools.lru_cache(maxsize=4)
def cjk_font(bold: bool = False) -> Font:
    """Noto Sans CJK SC (Bold or Regular) through fontconfig when it has it, else a CJK font file."""
    if shutil.which("fc-match"):
        pattern = f"{FAMILY}:style={'Bold' if bold else 'Regular'}"
        try:
            done = subprocess.run(["fc-match", "-f", "%{file}\n%{index}\n%{family}\n%{style}", pattern],
                                  capture_output=True, text=True, timeout=20)
            file, index, family, style = (done.stdout.split("\n") + ["", "", "", ""])[:4]
            if done.returncode == 0 and FAMILY in family and Path(file).is_file() \
                    and ("Bold" in style) == bold:
                return Font(file, int(index or 0), FAMILY, bold)
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    from muselab.image.fonts import find_font

    return Font(find_font(bold=bold), 0, None, bold)


@functools.lru_cache(maxsize=16)
def _pil_font(font: Font, size: int):
    try:
        from PIL import ImageFont

        return ImageFont.truetype(font.path, size, index=font.index)
    except Exception:  # no Pillow, or a font it can't read: estimate instead
        return None


def text_width(text: str, font: Font, size: int) -> float:
    """Width in pixels of one line at `size` (Pillow on the same face; an estimate without it)."""
    pil = _pil_font(font, size)
    if pil is not None:
        return float(pil.getlength(text))
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.55 for c in text)


def wrap(text: str, font: Font, size: int, max_width: float) -> list[str]:
    """Lines of `text` no wider than `max_width`: breaks at spaces between words, anywhere between CJK
    characters, and at the text's own newlines."""
    lines: list[str] = []
    for paragraph in text.replace("\r", "").split("\n"):
        line = ""
        for token in _tokens(paragraph):
            candidate = line + token
            if line and text_width(candidate.rstrip(), font, size) > max_width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        lines.append(line.rstrip())
    return [line for line in lines if line] or [""]


def _tokens(text: str) -> list[str]:
    """Words (with their trailing space) and single wide characters (CJK, which may break anywhere)."""
    tokens, word = [], ""
    for c in text:
        if unicodedata.east_asian_width(c) in "WF":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(c)
        elif c == " ":
            tokens.append(word + c)
            word = ""
        else:
            word += c
    if word:
        tokens.append(word)
    return tokens


def fit(text: str, font: Font, size: int, max_width: float, max_lines: int, min_size: int) -> tuple[list[str], int]:
    """The largest size ≤ `size` at which `text` wraps into at most `max_lines` lines (and the lines)."""
    while True:
        lines = wrap(text, font, size, max_width)
        if len(lines) <= max_lines or size <= min_size:
            return lines, size
        size = max(min_size, int(size * 0.9))


class TextFiles:
    """Writes each line shown on screen to its own UTF-8 file in the job's folder (drawtext's textfile=)."""

    def __init__(self, folder: Path, prefix: str = "text"):
        self.folder, self.prefix, self.count = folder, prefix, 0
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, line: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.prefix}-{self.count:03d}.txt"
        path.write_text(line, encoding="utf-8")  # no trailing newline: it would add an empty line
        return path


def drawtext(path: Path, font: Font, size: int, color: str, x: str, y: str, extra: str = "") -> str:
    return (f"drawtext=textfile={value(str(path))}:expansion=none:{font.drawtext()}:fontsize={size}"
            f":fontcolor={color}:x={x}:y={y}" + (f":{extra}" if extra else ""))


def _lines(files: TextFiles, lines: list[str], font: Font, size: int, color: str, top: float, line_height: float,
           dx: float = 0, dy: float = 0, x: str | None = None) -> list[str]:
    out = []
    for i, line in enumerate(lines):
        if not line:
            continue
        lx = x if x is not None else f"(w-text_w)/2+{number(dx)}"
        out.append(drawtext(files.write(line), font, size, color, lx, number(top + i * line_height + dy)))
    return out


def _layer(width: int, height: int, fps: float, start: float, duration: float, fade: float, body: list[str]) -> str:
    """A transparent canvas `duration` long holding `body`, faded on its alpha and moved to `start`."""
    fade = min(fade, duration / 2)
    chain = [f"color=c=black@0:s={width}x{height}:r={number(fps)}:d={number(duration)}", "format=yuva420p", *body]
    if fade > 0:
        chain += [f"fade=t=in:st=0:d={number(fade)}:alpha=1",
                  f"fade=t=out:st={number(duration - fade)}:d={number(fade)}:alpha=1"]
    chain.append(f"setpts=PTS+{number(start)}/TB")
    return ",".join(chain)


def title_layer(text: str, files: TextFiles, width: int, height: int, fps: float, start: float, duration: float,
                fade: float = 0.6) -> str:
    """Big centred text with a soft shadow, fading in and out (a layer source; overlay it on the video)."""
    font = cjk_font(bold=True)
    lines, size = fit(text, font, max(12, round(height / 8)), width * 0.86, 3, max(10, round(height / 22)))
    line_height = size * 1.3
    top = (height - line_height * len(lines)) / 2 + size * 0.1
    offset, blur = max(1.0, height / 200), max(2, round(height / 90))
    shadow = _lines(files, lines, font, size, "black@0.85", top, line_height, dx=offset, dy=offset * 1.5)
    body = shadow + [f"boxblur=lr=0:cr=0:ar={blur}:ap=2"] + _lines(files, lines, font, size, "white", top,
                                                                   line_height)
    return _layer(width, height, fps, start, duration, fade, body)


def lower_third_layer(name: str, subtext: str, files: TextFiles, width: int, height: int, fps: float, start: float,
                      duration: float, fade: float = 0.4) -> str:
    """A dark bar in the lower left with a name and a smaller second line, fading in and out (a layer source)."""
    bold, regular = cjk_font(bold=True), cjk_font(bold=False)
    margin = round(width * 0.06)
    max_text = width - 2 * margin - height * 0.08
    name_lines, name_size = fit(name, bold, max(10, round(height / 15)), max_text, 2, max(8, round(height / 30)))
    sub_lines, sub_size = (fit(subtext, regular, max(8, round(height / 26)), max_text, 2, max(8, round(height / 40)))
                           if subtext.strip() else ([], 0))
    pad, accent = round(height * 0.025), max(2, round(height / 110))
    name_h, sub_h = name_size * 1.3, sub_size * 1.35
    box_h = round(2 * pad + name_h * len(name_lines) + sub_h * len(sub_lines))
    text_w = max([text_width(line, bold, name_size) for line in name_lines]
                 + [text_width(line, regular, sub_size) for line in sub_lines])
    box_w = round(min(width - 2 * margin, text_w + 2 * pad + accent * 2))
    box_y = round(height * 0.86 - box_h)
    text_x = margin + accent + pad
    body = [f"drawbox=x={margin}:y={box_y}:w={box_w}:h={box_h}:color=black@0.62:t=fill:replace=1",
            f"drawbox=x={margin}:y={box_y}:w={accent}:h={box_h}:color=0xF0B040@0.95:t=fill:replace=1"]
    body += _lines(files, name_lines, bold, name_size, "white", box_y + pad + name_size * 0.05, name_h,
                   x=str(text_x))
    body += _lines(files, sub_lines, regular, sub_size, "0xE0E0E0", box_y + pad + name_h * len(name_lines), sub_h,
                   x=str(text_x))
    return _layer(width, height, fps, start, duration, fade, body)


def caption_filters(text: str, files: TextFiles, width: int, height: int) -> list[str]:
    """Filters drawing a caption at the bottom of every frame: centred lines on a translucent band."""
    font = cjk_font(bold=False)
    lines, size = fit(text, font, max(10, round(height / 20)), width * 0.84, 3, max(8, round(height / 34)))
    line_height = size * 1.35
    pad = round(size * 0.4)
    block_h = round(line_height * len(lines) + pad * 2 - (line_height - size) + size * 0.15)
    block_w = round(min(width, max(text_width(line, font, size) for line in lines) + pad * 3))
    top = round(height * 0.93 - block_h)
    band = (f"drawbox=x={(width - block_w) // 2}:y={top}:w={block_w}:h={block_h}:color=black@0.5:t=fill")
    return [band, *_lines(files, lines, font, size, "white", top + pad, line_height)]
