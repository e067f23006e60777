"""Keyword and phrase rules that turn a prompt (Chinese or English) into generator choices.

Each rule is (phrase, weight). English phrases match whole words (case-insensitive);
Chinese phrases match as substrings. The choice with the highest total wins; ties go to the
one named first (generators in the order of GENERATOR_RULES: inkwash before landscape, ...).
Everything chosen is written into the Recipe, so a user who disagrees edits the field instead
of rewording the prompt. The names themselves are defined where they are implemented
(generators/__init__.py, palettes.py); tests check that the rules name only those.
"""

from __future__ import annotations

import re

from muselab.image.generators import COMPOSITIONS, FEATURES, MOTIFS
from muselab.image.palettes import MOODS

GENERATOR_RULES: dict[str, list[tuple[str, float]]] = {
    "inkwash": [
        ("水墨", 3),
        ("山水", 3),
        ("国画", 3),
        ("写意", 2),
        ("墨", 1.5),
        ("烟雨", 2),
        ("云雾", 1.5),
        ("雾", 1),
        ("留白", 1.5),
        ("ink wash", 3),
        ("ink", 2),
        ("sumi", 3),
        ("shan shui", 3),
        ("shanshui", 3),
        ("chinese painting", 3),
        ("mist", 1),
        ("misty", 1),
        ("fog", 1),
        ("brush", 1),
    ],
    "landscape": [
        ("风景", 2),
        ("山", 1),
        ("群山", 2),
        ("海", 1.5),
        ("日落", 2),
        ("夕阳", 2),
        ("黄昏", 2),
        ("日出", 2),
        ("湖", 1.5),
        ("晚霞", 2),
        ("landscape", 2),
        ("mountain", 1.5),
        ("mountains", 1.5),
        ("sea", 1.5),
        ("ocean", 1.5),
        ("sunset", 2),
        ("sunrise", 2),
        ("dusk", 1.5),
        ("lake", 1.5),
        ("hills", 1.5),
        ("valley", 1.5),
    ],
    "pattern": [
        ("纹样", 3),
        ("图案", 2),
        ("云纹", 4),
        ("窗格", 4),
        ("花窗", 4),
        ("窗棂", 4),
        ("回纹", 4),
        ("青海波", 4),
        ("海水纹", 4),
        ("纹", 1.5),
        ("四方连续", 4),
        ("pattern", 3),
        ("seamless", 3),
        ("tile", 2),
        ("tileable", 3),
        ("motif", 2),
        ("lattice", 3),
        ("fret", 3),
        ("polka", 3),
        ("wallpaper pattern", 3),
    ],
    "bauhaus": [
        ("包豪斯", 4),
        ("几何", 3),
        ("构成", 2),
        ("现代主义", 2),
        ("bauhaus", 4),
        ("geometric", 3),
        ("geometry", 3),
        ("shapes", 2),
        ("modernist", 2),
        ("circles", 1),
        ("mid-century", 2),
    ],
    "flow": [
        ("流动", 3),
        ("流线", 3),
        ("漩涡", 3),
        ("丝绸", 2),
        ("风", 1),
        ("flow", 3),
        ("flow field", 4),
        ("swirl", 3),
        ("swirls", 3),
        ("wind", 1.5),
        ("silk", 2),
        ("currents", 2),
        ("lines", 1),
        ("hair", 1),
    ],
    "poster": [
        ("海报", 6),
        ("标题", 2),
        ("宣传", 2),
        ("封面", 2),
        ("poster", 6),
        ("flyer", 5),
        ("title", 1.5),
        ("cover", 1.5),
        ("announcement", 2),
    ],
    "gradient": [
        ("渐变", 4),
        ("背景", 1.5),
        ("极光", 2),
        ("柔光", 2),
        ("gradient", 4),
        ("background", 1.5),
        ("aurora", 2),
        ("blur", 2),
        ("mesh", 2),
        ("soft light", 2),
    ],
}

PALETTE_RULES: dict[str, list[tuple[str, float]]] = {
    "qinghua": [("青花", 4), ("青花瓷", 5), ("porcelain", 3), ("blue and white", 4)],
    "zhuhong": [
        ("朱红", 4),
        ("中国红", 4),
        ("春节", 3),
        ("新年", 2),
        ("喜庆", 3),
        ("vermilion", 4),
        ("chinese new year", 4),
        ("red and gold", 4),
    ],
    "dunhuang": [("敦煌", 5), ("壁画", 3), ("飞天", 3), ("dunhuang", 5), ("mural", 2)],
    "jiangnan": [("江南", 5), ("水乡", 4), ("白墙黛瓦", 5), ("jiangnan", 5), ("water town", 4)],
    "taohua": [("桃花", 5), ("春", 1.5), ("樱花", 3), ("peach blossom", 5), ("cherry blossom", 4), ("spring", 1.5)],
    "gongdian": [("宫廷", 5), ("故宫", 5), ("紫禁城", 5), ("palace", 4), ("imperial", 3)],
    "shanshui": [("水墨", 3), ("墨", 2), ("山水", 2), ("ink", 2), ("sumi", 3)],
    "sunset": [("日落", 3), ("夕阳", 3), ("黄昏", 3), ("晚霞", 3), ("sunset", 3), ("dusk", 2), ("sunrise", 2)],
    "ocean": [("海洋", 3), ("海", 1.5), ("蓝色", 1), ("ocean", 3), ("sea", 2), ("blue", 1)],
    "forest": [("森林", 3), ("树", 1.5), ("绿色", 2), ("forest", 3), ("green", 1.5), ("woods", 2)],
    "night": [
        ("夜", 2),
        ("星空", 3),
        ("月夜", 3),
        ("月", 1.5),
        ("night", 2),
        ("starry", 3),
        ("midnight", 3),
        ("moon", 2),
        ("moonlit", 3),
    ],
    "autumn": [("秋", 2), ("枫", 3), ("autumn", 3), ("fall", 1), ("maple", 3)],
    "pastel": [("马卡龙", 4), ("粉彩", 4), ("柔和", 2), ("pastel", 4), ("soft", 1)],
    "neon": [("霓虹", 4), ("赛博", 4), ("neon", 4), ("cyberpunk", 4), ("synthwave", 4)],
    "bauhaus": [("包豪斯", 3), ("bauhaus", 3), ("primary colors", 3)],
    "nordic": [("北欧", 4), ("nordic", 4), ("scandinavian", 4), ("极简", 1), ("minimal", 1)],
    "mono": [("黑白", 4), ("单色", 3), ("monochrome", 4), ("black and white", 4), ("grayscale", 3)],
}

MOOD_RULES: dict[str, list[tuple[str, float]]] = {
    "calm": [
        ("宁静", 3),
        ("安静", 3),
        ("平静", 3),
        ("静谧", 3),
        ("calm", 3),
        ("serene", 3),
        ("quiet", 2),
        ("peaceful", 3),
    ],
    "vivid": [
        ("鲜艳", 3),
        ("明亮", 2),
        ("活泼", 3),
        ("热烈", 3),
        ("vivid", 3),
        ("bright", 2),
        ("bold", 2),
        ("vibrant", 3),
    ],
    "dark": [("暗", 2), ("阴郁", 3), ("深沉", 3), ("dark", 3), ("moody", 3), ("gloomy", 3)],
    "warm": [("温暖", 3), ("暖", 2), ("warm", 3), ("cozy", 2)],
    "cool": [("清冷", 3), ("冷", 2), ("cool", 3), ("cold", 2), ("icy", 2)],
    "dreamy": [("梦幻", 3), ("朦胧", 3), ("dreamy", 3), ("ethereal", 3), ("hazy", 2)],
}

COMPOSITION_RULES: dict[str, list[tuple[str, float]]] = {
    "centered": [("居中", 3), ("对称", 3), ("中心", 2), ("centered", 3), ("symmetric", 3), ("symmetrical", 3)],
    "thirds": [("三分", 3), ("thirds", 3), ("rule of thirds", 4)],
    "sparse": [("极简", 3), ("简约", 3), ("留白", 2), ("空灵", 2), ("minimal", 3), ("minimalist", 3), ("sparse", 3)],
    "dense": [("繁复", 3), ("密集", 3), ("丰富", 2), ("dense", 3), ("busy", 2), ("intricate", 3), ("detailed", 2)],
}

MOTIF_RULES: dict[str, list[tuple[str, float]]] = {
    "cloud": [("云纹", 5), ("祥云", 5), ("云", 1), ("cloud", 2), ("clouds", 2)],
    "lattice": [("窗格", 5), ("花窗", 5), ("窗棂", 5), ("格", 1), ("lattice", 5), ("window", 2)],
    "waves": [("青海波", 5), ("海水纹", 5), ("波", 2), ("seigaiha", 5), ("waves", 3), ("wave", 3)],
    "fret": [("回纹", 5), ("fret", 5), ("meander", 5), ("greek key", 5)],
    "dots": [("波点", 5), ("圆点", 4), ("dots", 4), ("polka", 5), ("spots", 3)],
}

FEATURE_RULES: dict[str, list[tuple[str, float]]] = {
    "sun": [("太阳", 1), ("日落", 1), ("夕阳", 1), ("日出", 1), ("落日", 1), ("sun", 1), ("sunset", 1), ("sunrise", 1)],
    "moon": [("月", 1), ("moon", 1), ("moonlight", 1), ("moonlit", 1)],
    "sea": [("海", 1), ("湖", 1), ("江", 1), ("sea", 1), ("ocean", 1), ("lake", 1), ("river", 1), ("water", 1)],
    "stars": [("星", 1), ("star", 1), ("stars", 1), ("starry", 1)],
    "mist": [("雾", 1), ("烟雨", 1), ("云雾", 1), ("mist", 1), ("misty", 1), ("fog", 1), ("foggy", 1), ("haze", 1)],
    "birds": [("鸟", 1), ("雁", 1), ("鹤", 1), ("飞鸟", 1), ("bird", 1), ("birds", 1), ("crane", 1), ("geese", 1)],
    "boat": [("舟", 1), ("船", 1), ("渔", 1), ("boat", 1), ("fishing", 1), ("sail", 1)],
    "seal": [("印章", 1), ("落款", 1), ("印", 1), ("seal", 1), ("stamp", 1)],
}

DEFAULT_FEATURES = {"landscape": ["sun"], "inkwash": ["mist", "birds", "seal"]}

DEFAULT_PALETTE = {
    "inkwash": "shanshui",
    "landscape": "sunset",
    "pattern": "qinghua",
    "bauhaus": "bauhaus",
    "flow": "ocean",
    "poster": "zhuhong",
    "gradient": "pastel",
}

_QUOTED = re.compile(r"[\"“「『《]([^\"”」』》]{1,80})[\"”」』》]")


def _is_cjk(s: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in s)


def _score(text: str, rules: dict[str, list[tuple[str, float]]]) -> dict[str, float]:
    lower = text.lower()
    scores: dict[str, float] = {}
    for name, phrases in rules.items():
        total = 0.0
        for phrase, weight in phrases:
            if _is_cjk(phrase):
                hit = phrase in text
            else:
                hit = re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", lower) is not None
            if hit:
                total += weight
        if total:
            scores[name] = total
    return scores


def _best(scores: dict[str, float], order: list[str]) -> str | None:
    if not scores:
        return None
    return max(order, key=lambda k: (scores.get(k, 0.0), -order.index(k)))


def plan_from_prompt(prompt: str) -> dict:
    """The choices a prompt implies: generator, palette, mood, composition, motif (and a quoted title)."""
    text = prompt or ""
    generator = _best(_score(text, GENERATOR_RULES), list(GENERATOR_RULES)) or "gradient"
    quoted = _QUOTED.search(text)
    if quoted and generator == "gradient":
        generator = "poster"  # a quoted phrase with nothing else to go on reads as a title
    mood = _best(_score(text, MOOD_RULES), MOODS) or "natural"
    composition = _best(_score(text, COMPOSITION_RULES), COMPOSITIONS) or "balanced"
    motif = _best(_score(text, MOTIF_RULES), MOTIFS) or "cloud"
    plain = text
    for compound in ("海报", "青海波", "海水纹", "印象"):  # words whose characters are not scene elements
        plain = plain.replace(compound, " ")
    features = [f for f in FEATURES if f in _score(plain, FEATURE_RULES)]
    palette = _best(_score(plain, PALETTE_RULES), list(PALETTE_RULES)) or DEFAULT_PALETTE[generator]
    if "moon" in features and "sun" in features and not re.search(r"sun|太阳|日落|夕阳|日出|落日", text):
        features.remove("sun")
    if not features:
        features = list(DEFAULT_FEATURES.get(generator, []))
    return {
        "generator": generator,
        "features": features,
        "palette": palette,
        "mood": mood,
        "composition": composition,
        "motif": motif,
        "title": quoted.group(1).strip() if quoted else "",
    }
