"""Finding a CJK-capable font: Noto Sans/Serif CJK from Debian's fonts-noto-cjk (SIL OFL 1.1)."""

from __future__ import annotations

from pathlib import Path

from muselab.engines import EngineError

CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora/Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "C:/Windows/Fonts/msyh.ttc",  # Windows
]
BOLD = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
]


def find_font(font_path: str | None = None, bold: bool = False, field: str = "font_path") -> str:
    """Path of the font to use; a clear error naming the Debian package when none is found."""
    if font_path:
        p = Path(font_path).expanduser()
        if not p.is_file():
            raise EngineError(f"{field}: font file {font_path!r} does not exist (give a .ttf, .otf or .ttc file)")
        return str(p)
    for c in (BOLD + CANDIDATES) if bold else CANDIDATES:
        if Path(c).is_file():
            return c
    raise EngineError(
        "no CJK-capable font found: install the Debian package fonts-noto-cjk "
        f"(sudo apt-get install fonts-noto-cjk) or give {field} (a .ttf/.otf/.ttc file)"
    )
