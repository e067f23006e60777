"""The Storyboard page 故事板: an idea, a story or a poem becomes shot cards; edit them; render the film."""

from __future__ import annotations

from typing import get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from muselab.web import render

router = APIRouter(include_in_schema=False)
PAGE = {"title": "Storyboard", "subtitle": "故事板", "path": "/storyboard", "order": 47}


@router.get("/storyboard", response_class=HTMLResponse)
def storyboard_page(request: Request):
    from muselab.storyboard import recipe
    from muselab.video.recipe import Transition

    plan = recipe.PlanRecipe.model_fields
    options = {"moods": list(get_args(recipe.Mood)), "transitions": list(get_args(Transition)),
               "max_shots": recipe.MAX_SHOTS, "shots": plan["shots"].default, "seconds": plan["seconds"].default}
    return render(request, "storyboard.html", options=options)
