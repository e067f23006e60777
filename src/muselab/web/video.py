"""The Video page 视频: import a video, find its scenes, pick and order them, render; quick auto-cut, highlights
and reframe."""

from __future__ import annotations

from typing import get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from muselab.web import render

router = APIRouter(include_in_schema=False)
PAGE = {"title": "Video", "subtitle": "视频", "path": "/video", "order": 45}


@router.get("/video", response_class=HTMLResponse)
def video_page(request: Request):
    from muselab.video import recipe

    settings = request.app.state.studio.settings
    options = {"transitions": list(get_args(recipe.Transition)), "aspects": list(get_args(recipe.Aspect)),
               "detectors": list(get_args(recipe.ScenesRecipe.model_fields["detector"].annotation)),
               "detector": recipe.ScenesRecipe.model_fields["detector"].default,
               "max_mb": settings.max_video_mb, "max_minutes": settings.max_video_minutes}
    return render(request, "video.html", options=options)
