"""What the compose recipes accept, for every face to offer: keys, modes, styles, moods, instruments."""

from __future__ import annotations


def music_options() -> dict:
    from muselab.music.styles import INSTRUMENT_ALIASES, INSTRUMENTS, MOOD_ALIASES, MOODS, STYLE_ALIASES, STYLES
    from muselab.music.theory import MODE_ALIASES, MODES, NOTE_NAMES

    chinese = {"gong": "宫", "shang": "商", "jue": "角", "zhi": "徵", "yu": "羽"}
    return {
        "tasks": ["music.song", "music.melody", "music.chords", "music.continue", "music.harmonize", "music.vary",
                  "music.arrange", "music.loop"],
        "keys": NOTE_NAMES,
        "modes": [{"name": m, "label": f"{m} {chinese[m]}" if m in chinese else m} for m in MODES],
        "styles": list(STYLES), "style_aliases": STYLE_ALIASES,
        "moods": list(MOODS), "mood_aliases": MOOD_ALIASES,
        "instruments": sorted(INSTRUMENTS), "instrument_aliases": INSTRUMENT_ALIASES,
        "time_signatures": ["2/4", "3/4", "4/4", "6/8"],
        "generators": ["theory", "markov", "neural"],
        "audio_formats": ["wav", "ogg", "mp3", "flac"],
        "variations": ["transpose", "invert", "retrograde", "rhythm", "augment", "diminish"],
        "mode_aliases": MODE_ALIASES,
    }
