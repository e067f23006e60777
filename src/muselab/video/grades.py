"""Colour grades: named looks built from ffmpeg's eq, colorbalance, curves and hue filters, or a user's .cube LUT.

A look is a short chain of filters, so it joins the rest of an edit's filter graph (one decode, one encode).
A LUT Work is checked to be a well-formed .cube file (what Resolve, Premiere and most LUT packs write) before
ffmpeg sees it, so a wrong Work gets an error naming the field instead of an ffmpeg message."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from muselab.engines import EngineError
from muselab.video.graph import value

# Each look in words, then as filters. colorbalance shifts shadows (s), midtones (m) and highlights (h) of each
# channel by -1..1; curves maps input to output levels; eq changes contrast, saturation, gamma.
LOOKS: dict[str, tuple[str, str]] = {
    "none": ("no change", "null"),
    "warm": ("golden: more red and yellow, less blue",
             "colorbalance=rs=0.06:bs=-0.08:rm=0.08:gm=0.02:bm=-0.08:rh=0.04:bh=-0.05,eq=saturation=1.06"),
    "cool": ("blue hour: more blue and cyan, less red",
             "colorbalance=rs=-0.06:bs=0.08:rm=-0.07:gm=0.01:bm=0.08:rh=-0.03:bh=0.05,eq=saturation=0.97"),
    "film": ("soft S-curve, lifted blacks, gentle warm highlights, a little less saturation",
             "curves=master='0/0.05 0.25/0.21 0.5/0.5 0.75/0.79 1/0.95',"
             "colorbalance=bs=0.03:rh=0.03:bh=-0.03,eq=saturation=0.88"),
    "mono": ("black and white with a little more contrast",
             "hue=s=0,curves=master='0/0 0.25/0.21 0.75/0.80 1/1'"),
    "vivid": ("punchy: more saturation and contrast", "eq=contrast=1.08:saturation=1.4"),
    "faded": ("matte: raised blacks, softer whites, muted colour",
              "curves=master='0/0.12 0.5/0.52 1/0.90',eq=saturation=0.72"),
    "teal_orange": ("blockbuster: teal shadows, orange skin and highlights",
                    "colorbalance=rs=-0.10:gs=0.02:bs=0.12:rm=0.04:bm=-0.04:rh=0.10:gh=0.02:bh=-0.12,"
                    "eq=saturation=1.12"),
}

MAX_CUBE_BYTES = 64 * 1024 * 1024
MAX_3D_SIZE = 129  # 65 is the usual largest; ffmpeg accepts up to 256 but that is 16M lines to read
_FLOAT = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_ROW = re.compile(rf"^\s*({_FLOAT})\s+({_FLOAT})\s+({_FLOAT})\s*$")


def look_filter(preset: str) -> str:
    if preset not in LOOKS:
        raise EngineError(f"preset: unknown grade {preset!r}; accepted: {', '.join(LOOKS)}")
    return LOOKS[preset][1]


@dataclass(frozen=True)
class Cube:
    dimensions: int  # 1 or 3
    size: int


def check_cube(path: Path, field: str = "lut_work_id") -> Cube:
    """Read a .cube LUT enough to know ffmpeg will take it; a clear EngineError naming `field` if not."""
    def refuse(why: str) -> EngineError:
        return EngineError(f"{field}: not a .cube colour LUT ({why}); give a Work holding a 3D (or 1D) .cube file "
                           "such as Resolve or Premiere export")

    if path.stat().st_size > MAX_CUBE_BYTES:
        raise refuse(f"larger than {MAX_CUBE_BYTES // 2**20} MB")
    with open(path, "rb") as f:
        head = f.read(4096)
    if b"\0" in head:
        raise refuse("it is a binary file")
    size, dims, rows, lineno = 0, 0, 0, 0
    with open(path, encoding="utf-8", errors="replace") as lines:
        for lineno, line in enumerate(lines, 1):  # noqa: B007
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            word = text.split()[0].upper()
            if word in ("LUT_3D_SIZE", "LUT_1D_SIZE"):
                if size:
                    raise refuse(f"line {lineno}: a second size line")
                try:
                    size = int(text.split()[1])
                except (IndexError, ValueError):
                    raise refuse(f"line {lineno}: {word} needs a whole number") from None
                dims = 3 if word == "LUT_3D_SIZE" else 1
                top = MAX_3D_SIZE if dims == 3 else 65536
                if not 2 <= size <= top:
                    raise refuse(f"line {lineno}: {word} {size} is outside 2..{top}")
            elif word in ("TITLE", "DOMAIN_MIN", "DOMAIN_MAX", "LUT_3D_INPUT_RANGE", "LUT_1D_INPUT_RANGE"):
                if rows:
                    raise refuse(f"line {lineno}: {word} after the table")
            elif _ROW.match(text):
                if not size:
                    raise refuse(f"line {lineno}: a table row before LUT_3D_SIZE")
                rows += 1
            else:
                raise refuse(f"line {lineno}: unexpected {text[:40]!r}")
    if not size:
        raise refuse("no LUT_3D_SIZE or LUT_1D_SIZE line")
    expected = size**3 if dims == 3 else size
    if rows != expected:
        raise refuse(f"{rows} table rows where LUT_{dims}D_SIZE {size} needs {expected}")
    return Cube(dims, size)


def lut_filter(path: Path, workdir: Path, field: str = "lut_work_id") -> str:
    """The filter applying a checked .cube LUT. ffmpeg picks the LUT format by the file's extension, and library
    files have none, so a checked copy named .cube is used."""
    cube = check_cube(path, field)
    named = workdir / f"grade-{path.name[:16]}.cube"
    shutil.copyfile(path, named)
    if cube.dimensions == 3:
        return f"lut3d=file={value(str(named))}:interp=tetrahedral"
    return f"lut1d=file={value(str(named))}:interp=cubic"
