"""The Paint page 绘画."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from muselab.web import render

router = APIRouter(include_in_schema=False)
PAGE = {"title": "Paint", "subtitle": "绘画", "path": "/paint", "order": 40}


@router.get("/paint", response_class=HTMLResponse)
def paint_page(request: Request):
    from muselab.image.generators import NAMES
    from muselab.image.palettes import palette_info
    from muselab.image.prompt_rules import COMPOSITIONS, MOODS, MOTIFS

    return render(
        request,
        "image.html",
        generators=NAMES,
        palettes=palette_info(),
        moods=MOODS,
        compositions=COMPOSITIONS,
        motifs=MOTIFS,
        styles=list(range(26)),
    )
