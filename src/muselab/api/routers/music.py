"""Compose face over HTTP: the Compose page and the choices its controls offer.

Generation itself goes through the shared job API: POST /v1/jobs {"task": "music.song", "recipe": {...}};
results (MIDI, audio, MusicXML, piano roll) come from /v1/works/{id}/content.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from muselab.web import render

router = APIRouter()
PAGE = {"title": "Compose", "subtitle": "作曲", "path": "/compose", "order": 30}


def music_options() -> dict:
    from muselab.music.composer import INSTRUMENT_ALIASES, INSTRUMENTS, MOOD_ALIASES, MOODS, STYLE_ALIASES, STYLES
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


@router.get("/v1/music/options", tags=["music"])
def options() -> dict:
    """Keys, modes (incl. 宫 商 角 徵 羽), styles, moods, instruments and generators the compose recipes accept."""
    return music_options()


@router.get("/compose", response_class=HTMLResponse, include_in_schema=False)
def compose_page(request: Request):
    return render(request, "music.html", options=music_options())
