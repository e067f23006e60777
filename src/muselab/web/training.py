"""The Train page 训练."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from muselab.training.recipe import PRESETS
from muselab.web import render

router = APIRouter(include_in_schema=False)
PAGE = {"title": "Train", "subtitle": "训练", "path": "/train", "order": 50}


@router.get("/train", response_class=HTMLResponse)
def train_page(request: Request):
    return render(request, "training.html", presets=PRESETS)
