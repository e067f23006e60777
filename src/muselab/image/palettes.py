"""Curated named palettes (Western and traditional Chinese colours) and palette extraction.

The Chinese palettes use traditional colour names (中国传统色); the hex values are common
modern renderings of those names, not measurements of historical pigments.
"""

from __future__ import annotations

import colorsys
import re

RGB = tuple[int, int, int]
MOODS = ["natural", "calm", "vivid", "dark", "warm", "cool", "dreamy"]  # apply_mood's shifts; natural keeps the palette

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def parse_hex(value: str) -> RGB:
    m = _HEX.match(value.strip())
    if not m:
        raise ValueError(f"colour {value!r} is not a #rrggbb hex colour (e.g. #ff4c00)")
    h = m.group(1)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def to_hex(rgb: RGB) -> str:
    return "#%02x%02x%02x" % tuple(int(max(0, min(255, c))) for c in rgb)


# Each palette: (English name, Chinese name, [(colour name, hex)...]) ordered roughly dark -> light
# or background-first where that matters; generators pick roles from luminance, not position.
_PALETTES: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    # --- traditional Chinese colours ---
    "shanshui": (
        "ink and rice paper",
        "山水墨色",
        [
            ("墨 ink", "#1f2326"),
            ("玄青 dark ink", "#3d3b4f"),
            ("黛 dai", "#4a4266"),
            ("苍 grey-green", "#75878a"),
            ("月白 moon white", "#d6ecf0"),
            ("宣纸 rice paper", "#f3ecdc"),
        ],
    ),
    "qinghua": (
        "blue-and-white porcelain",
        "青花",
        [
            ("靛青 indigo", "#173f7a"),
            ("青花蓝 cobalt", "#1f4e9c"),
            ("石青 azurite", "#1685a9"),
            ("天青 celadon sky", "#b8d4e3"),
            ("月白 moon white", "#d6ecf0"),
            ("瓷白 porcelain", "#f5f6f1"),
        ],
    ),
    "zhuhong": (
        "vermilion and gold",
        "朱红",
        [
            ("玄 black", "#2b1b17"),
            ("胭脂 rouge", "#9d2933"),
            ("朱红 vermilion", "#ff4c00"),
            ("朱砂 cinnabar", "#ff461f"),
            ("金 gold", "#eacd76"),
            ("象牙白 ivory", "#fffbf0"),
        ],
    ),
    "dunhuang": (
        "Dunhuang murals",
        "敦煌",
        [
            ("赭石 ochre", "#845a33"),
            ("朱砂 cinnabar", "#c8442d"),
            ("石青 azurite", "#1685a9"),
            ("石绿 malachite", "#3aa58a"),
            ("土黄 earth yellow", "#d69f4c"),
            ("缟 raw silk", "#f2ecde"),
        ],
    ),
    "jiangnan": (
        "Jiangnan water town",
        "江南",
        [
            ("黛 dai", "#4a4266"),
            ("青灰 slate", "#5b6b73"),
            ("竹青 bamboo", "#789262"),
            ("天水碧 water green", "#5aa4ae"),
            ("粉墙 white wall", "#f2ecde"),
            ("藕荷 lotus root", "#e4c6d0"),
        ],
    ),
    "taohua": (
        "peach blossom spring",
        "桃花",
        [
            ("胭脂 rouge", "#9d2933"),
            ("桃红 peach red", "#f47983"),
            ("海棠 begonia", "#db5a6b"),
            ("柳绿 willow", "#afdd22"),
            ("藕荷 lotus root", "#e4c6d0"),
            ("月白 moon white", "#d6ecf0"),
        ],
    ),
    "gongdian": (
        "palace",
        "宫廷",
        [
            ("乌 black", "#1c1c1c"),
            ("绛紫 crimson purple", "#8c4356"),
            ("朱红 vermilion", "#ff4c00"),
            ("藤黄 gamboge", "#ffb61e"),
            ("明黄 imperial yellow", "#ffc773"),
            ("石青 azurite", "#1685a9"),
        ],
    ),
    # --- Western ---
    "sunset": (
        "sunset",
        "日落",
        [
            ("night", "#1b1b3a"),
            ("plum", "#693668"),
            ("rose", "#d7456a"),
            ("coral", "#f67e4b"),
            ("amber", "#fdb25e"),
            ("cream", "#fde8c8"),
        ],
    ),
    "ocean": (
        "ocean",
        "海洋",
        [
            ("abyss", "#03254c"),
            ("deep", "#1167b1"),
            ("sea", "#187bcd"),
            ("aqua", "#2a9df4"),
            ("foam", "#a4dded"),
            ("sand", "#f1e3c6"),
        ],
    ),
    "forest": (
        "forest",
        "森林",
        [
            ("pine", "#1b2f23"),
            ("fir", "#2d4a36"),
            ("moss", "#5a7d4f"),
            ("fern", "#8fb36a"),
            ("lichen", "#c7d6a2"),
            ("mist", "#eef2e4"),
        ],
    ),
    "night": (
        "starry night",
        "夜空",
        [
            ("void", "#0b0c1e"),
            ("midnight", "#1a1f4b"),
            ("indigo", "#3b3f8f"),
            ("violet", "#7a5ea8"),
            ("glow", "#e6b8d8"),
            ("star", "#fff6d6"),
        ],
    ),
    "autumn": (
        "autumn",
        "秋色",
        [
            ("bark", "#3b2418"),
            ("rust", "#a0411d"),
            ("maple", "#d9622b"),
            ("ochre", "#e0a23c"),
            ("straw", "#eed89a"),
            ("linen", "#f7f0e1"),
        ],
    ),
    "pastel": (
        "pastel",
        "柔和",
        [
            ("slate", "#5c6b8a"),
            ("lilac", "#b8a9d9"),
            ("rose", "#f4b6c2"),
            ("peach", "#ffd6a5"),
            ("mint", "#caffbf"),
            ("milk", "#fdfcf7"),
        ],
    ),
    "neon": (
        "neon",
        "霓虹",
        [
            ("black", "#0d0221"),
            ("purple", "#541388"),
            ("magenta", "#f0037f"),
            ("cyan", "#00f0ff"),
            ("lime", "#b7ff00"),
            ("white", "#f5f5ff"),
        ],
    ),
    "bauhaus": (
        "Bauhaus primaries",
        "包豪斯",
        [
            ("black", "#1d1d1b"),
            ("blue", "#1f4e9c"),
            ("red", "#d62828"),
            ("yellow", "#f5b700"),
            ("grey", "#9a9a94"),
            ("paper", "#f2ede1"),
        ],
    ),
    "nordic": (
        "Nordic",
        "北欧",
        [
            ("charcoal", "#2e3440"),
            ("slate", "#4c566a"),
            ("frost", "#88c0d0"),
            ("sage", "#a3be8c"),
            ("sand", "#e5d9c3"),
            ("snow", "#eceff4"),
        ],
    ),
    "mono": (
        "monochrome",
        "黑白",
        [
            ("black", "#111111"),
            ("graphite", "#3a3a3a"),
            ("grey", "#777777"),
            ("silver", "#b4b4b4"),
            ("ash", "#dddddd"),
            ("white", "#fafafa"),
        ],
    ),
}

PALETTES: dict[str, list[RGB]] = {k: [parse_hex(h) for _, h in v[2]] for k, v in _PALETTES.items()}


def palette_info() -> list[dict]:
    """Names and colours of every palette, for pickers and docs."""
    return [
        {"name": k, "title": v[0], "title_zh": v[1], "colors": [{"name": n, "hex": h} for n, h in v[2]]}
        for k, v in _PALETTES.items()
    ]


def luminance(c: RGB) -> float:
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def by_luminance(colors: list[RGB]) -> list[RGB]:
    return sorted(colors, key=luminance)


def apply_mood(colors: list[RGB], mood: str) -> list[RGB]:
    """Shift a palette towards a mood (keeps the hues' order)."""
    out = []
    for r, g, b in colors:
        h, light, s = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
        if mood == "vivid":
            s = min(1.0, s * 1.35 + 0.05)
        elif mood == "calm":
            s *= 0.7
            light = 0.15 + light * 0.8
        elif mood == "dark":
            light *= 0.62
        elif mood == "warm":
            h = _toward(h, 0.07, 0.18)
        elif mood == "cool":
            h = _toward(h, 0.58, 0.18)
        elif mood == "dreamy":
            s *= 0.75
            light = 0.3 + light * 0.7
        rr, gg, bb = colorsys.hls_to_rgb(h, max(0, min(1, light)), max(0, min(1, s)))
        out.append((round(rr * 255), round(gg * 255), round(bb * 255)))
    return out


def _toward(h: float, target: float, amount: float) -> float:
    d = (target - h + 0.5) % 1.0 - 0.5
    return (h + d * amount) % 1.0


def extract_palette(image, k: int = 6, seed: int = 0) -> list[RGB]:
    """The k main colours of a PIL image (k-means on a small copy), dark to light."""
    import numpy as np

    small = image.convert("RGB").copy()
    small.thumbnail((96, 96))
    px = np.asarray(small, dtype=np.float32).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    k = max(1, min(k, len(np.unique(px, axis=0))))
    # k-means++ initialisation
    centers = [px[rng.integers(len(px))]]
    for _ in range(1, k):
        d = np.min(((px[:, None, :] - np.array(centers)[None]) ** 2).sum(-1), axis=1)
        centers.append(px[rng.choice(len(px), p=d / d.sum())] if d.sum() > 0 else px[rng.integers(len(px))])
    c = np.array(centers)
    for _ in range(20):
        labels = ((px[:, None, :] - c[None]) ** 2).sum(-1).argmin(1)
        new = np.array([px[labels == i].mean(0) if (labels == i).any() else c[i] for i in range(k)])
        if np.allclose(new, c, atol=0.5):
            break
        c = new
    return by_luminance([tuple(int(round(v)) for v in row) for row in c])
