"""What a piece can sound like: styles, moods and instruments, with their Chinese names.

The composer reads these tables to arrange a piece; the recipes check names against them and every face
offers them (music.options). A style names its chord progressions (Roman numerals), instruments,
accompaniment and bass patterns, drum kit and melody density; a mood its tempo, loudness, density and
default mode.
"""

from __future__ import annotations

from dataclasses import dataclass


# General MIDI programs, by friendly name (Chinese names as aliases).
INSTRUMENTS: dict[str, int] = {
    "piano": 0, "bright_piano": 1, "electric_piano": 4, "harpsichord": 6, "celesta": 8, "music_box": 10,
    "vibraphone": 11, "marimba": 12, "dulcimer": 15, "yangqin": 15, "organ": 19, "church_organ": 19,
    "accordion": 21, "harmonica": 22, "nylon_guitar": 24, "steel_guitar": 25, "jazz_guitar": 26,
    "clean_guitar": 27, "acoustic_bass": 32, "electric_bass": 33, "fretless_bass": 35, "synth_bass": 38,
    "violin": 40, "viola": 41, "cello": 42, "contrabass": 43, "pizzicato_strings": 45, "harp": 46,
    "timpani": 47, "strings": 48, "slow_strings": 49, "synth_strings": 50, "choir": 52, "voice_oohs": 53,
    "trumpet": 56, "trombone": 57, "tuba": 58, "french_horn": 60, "brass": 61, "soprano_sax": 64,
    "alto_sax": 65, "tenor_sax": 66, "oboe": 68, "english_horn": 69, "bassoon": 70, "clarinet": 71,
    "piccolo": 72, "flute": 73, "recorder": 74, "pan_flute": 75, "xiao": 77, "shakuhachi": 77,
    "ocarina": 79, "square_lead": 80, "saw_lead": 81, "warm_pad": 89, "sitar": 104, "banjo": 105,
    "pipa": 106, "shamisen": 106, "guzheng": 107, "koto": 107, "kalimba": 108, "suona": 111, "shanai": 111,
    "erhu": 110, "fiddle": 110, "dizi": 72,
}
INSTRUMENT_ALIASES = {
    "钢琴": "piano", "电钢琴": "electric_piano", "风琴": "organ", "吉他": "nylon_guitar", "贝斯": "electric_bass",
    "小提琴": "violin", "大提琴": "cello", "弦乐": "strings", "合唱": "choir", "小号": "trumpet", "长号": "trombone",
    "大号": "tuba", "圆号": "french_horn", "长笛": "flute", "单簧管": "clarinet", "双簧管": "oboe", "竖琴": "harp",
    "古筝": "guzheng", "二胡": "erhu", "笛子": "dizi", "竹笛": "dizi", "琵琶": "pipa", "扬琴": "yangqin", "箫": "xiao",
    "唢呐": "suona", "萨克斯": "alto_sax", "马林巴": "marimba", "八音盒": "music_box",
}


def instrument_program(name: str) -> int:
    """GM program of an instrument name (English or Chinese); raises ValueError listing accepted names."""
    key = INSTRUMENT_ALIASES.get(name.strip(), name.strip().lower().replace(" ", "_").replace("-", "_"))
    if key not in INSTRUMENTS:
        raise ValueError(
            f"unknown instrument {name!r}; accepted: {', '.join(sorted(INSTRUMENTS))} "
            f"(or {', '.join(INSTRUMENT_ALIASES)})"
        )
    return INSTRUMENTS[key]


@dataclass(frozen=True)
class Style:
    name: str
    tempo: int
    chords_per_bar: int
    templates: tuple[tuple[str, ...], ...]  # one phrase (4 bars x chords_per_bar) each, Roman numerals
    melody: str
    bass: str
    accompaniment: str  # instrument of the accompaniment
    pattern: str  # block | stabs | arpeggio | alberti | oompah | lofi | strum | guzheng
    bass_pattern: str  # held | root_fifth | pulse | walking | oom
    drums: bool  # default
    drum_kit: str  # pop | lofi | march | ballad | folk | chinese
    density: str  # sparse | medium | dense (melody rhythm)
    sevenths: bool = False
    swing: bool = False
    chinese: bool = False
    counter: str | None = None  # an optional sustained counter-line instrument (strings, erhu)


STYLES: dict[str, Style] = {
    "pop": Style("pop", 100, 1, (("I", "V", "vi", "IV"), ("vi", "IV", "I", "V"), ("I", "vi", "IV", "V"),
                               ("IV", "I", "V", "vi")),
                 "electric_piano", "electric_bass", "piano", "stabs", "pulse", True, "pop", "medium",
                 counter="strings"),
    "ballad": Style("ballad", 72, 1, (("I", "iii", "IV", "V"), ("I", "V", "vi", "IV"), ("vi", "IV", "ii", "V"),
                                     ("I", "IV", "vi", "V")),
                    "flute", "acoustic_bass", "piano", "arpeggio", "held", False, "ballad", "sparse",
                    counter="strings"),
    "chorale": Style("chorale", 80, 2, (("I", "IV", "V", "I", "vi", "ii", "V", "I"),
                                        ("I", "V", "vi", "iii", "IV", "I", "ii", "V"),
                                        ("I", "ii", "V", "vi", "IV", "I", "IV", "V")),
                     "choir", "contrabass", "church_organ", "block", "held", False, "none", "sparse"),
    "classical": Style("classical", 108, 1, (("I", "IV", "V", "I"), ("I", "ii", "V", "I"), ("I", "vi", "ii", "V")),
                       "violin", "cello", "piano", "alberti", "root_fifth", False, "none", "medium"),
    "folk": Style("folk", 96, 1, (("I", "IV", "I", "V"), ("I", "I", "IV", "V"), ("IV", "I", "V", "I")),
                  "fiddle", "acoustic_bass", "steel_guitar", "strum", "root_fifth", False, "folk", "medium"),
    "chinese": Style("chinese", 76, 1, (("I", "vi", "ii", "V"), ("vi", "I", "ii", "V"), ("I", "ii", "vi", "I"),
                                       ("vi", "V", "I", "ii")),
                     "dizi", "cello", "guzheng", "guzheng", "held", False, "chinese", "medium", chinese=True,
                     counter="erhu"),
    "lofi": Style("lofi", 78, 1, (("ii", "V", "I", "vi"), ("I", "vi", "ii", "V"), ("IV", "iii", "vi", "V"),
                                 ("vi", "ii", "V", "I")),
                  "electric_piano", "fretless_bass", "electric_piano", "lofi", "walking", True, "lofi", "sparse",
                  sevenths=True, swing=True),
    "march": Style("march", 116, 1, (("I", "I", "V", "V"), ("I", "IV", "V", "I"), ("I", "V", "I", "V")),
                   "trumpet", "tuba", "brass", "oompah", "oom", True, "march", "medium"),
}
STYLE_ALIASES = {"流行": "pop", "抒情": "ballad", "民谣": "folk", "圣咏": "chorale", "众赞歌": "chorale",
                 "古典": "classical", "中国风": "chinese", "国风": "chinese", "民乐": "chinese",
                 "chinese_traditional": "chinese", "lo-fi": "lofi", "低保真": "lofi", "进行曲": "march"}


@dataclass(frozen=True)
class Mood:
    tempo_factor: float
    velocity: int
    density_shift: int  # -1 sparser, +1 denser
    mode: str  # default mode for Western styles
    chinese_mode: str


MOODS: dict[str, Mood] = {
    "happy": Mood(1.1, 88, 0, "major", "gong"),
    "sad": Mood(0.85, 68, -1, "minor", "yu"),
    "calm": Mood(0.85, 64, -1, "major", "zhi"),
    "energetic": Mood(1.2, 100, 1, "mixolydian", "gong"),
    "mysterious": Mood(0.9, 70, 0, "dorian", "shang"),
}
MOOD_ALIASES = {"欢快": "happy", "快乐": "happy", "悲伤": "sad", "忧伤": "sad", "平静": "calm", "宁静": "calm",
                "激昂": "energetic", "热烈": "energetic", "神秘": "mysterious"}


def canonical_style(name: str) -> str:
    key = STYLE_ALIASES.get(name.strip(), name.strip().lower())
    if key not in STYLES:
        raise ValueError(f"unknown style {name!r}; accepted: {', '.join(STYLES)} (or {', '.join(STYLE_ALIASES)})")
    return key


def canonical_mood(name: str) -> str:
    key = MOOD_ALIASES.get(name.strip(), name.strip().lower())
    if key not in MOODS:
        raise ValueError(f"unknown mood {name!r}; accepted: {', '.join(MOODS)} (or {', '.join(MOOD_ALIASES)})")
    return key


def default_mode(style: str, mood: str) -> str:
    m = MOODS[mood]
    return m.chinese_mode if STYLES[style].chinese else m.mode
