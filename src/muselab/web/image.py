"""The Paint page 绘画."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from muselab.web import render

router = APIRouter(include_in_schema=False)
PAGE = {"title": "Paint", "subtitle": "绘画", "path": "/paint", "order": 40}


@router.get("/paint", response_class=HTMLResponse)
def paint_page(request: Request):
    from muselab.image.recipe import paint_options

    return render(request, "image.html", **paint_options())
