"""Compose over HTTP: the choices the compose recipes accept.

Generation itself goes through the shared job API: POST /v1/jobs {"task": "music.song", "recipe": {...}};
results (MIDI, audio, MusicXML, piano roll) come from /v1/works/{id}/content.
"""

from __future__ import annotations

from fastapi import APIRouter

from muselab.music.options import music_options

router = APIRouter()


@router.get("/v1/music/options", tags=["music"])
def options() -> dict:
    """Keys, modes (incl. 宫 商 角 徵 羽), styles, moods, instruments and generators the compose recipes accept."""
    return music_options()
