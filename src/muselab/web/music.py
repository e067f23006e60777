"""The Compose page 作曲."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from muselab.music.options import music_options
from muselab.web import render

router = APIRouter(include_in_schema=False)
PAGE = {"title": "Compose", "subtitle": "作曲", "path": "/compose", "order": 30}


@router.get("/compose", response_class=HTMLResponse)
def compose_page(request: Request):
    return render(request, "music.html", options=music_options())
