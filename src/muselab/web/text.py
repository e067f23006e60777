"""The Write page 写作."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from muselab.text import catalog
from muselab.web import render

router = APIRouter(include_in_schema=False)
PAGE = {"title": "Write", "subtitle": "写作", "path": "/write", "order": 20}


@router.get("/write", response_class=HTMLResponse)
def write_page(request: Request):
    from muselab.models import DEFAULT_MODEL

    studio = request.app.state.studio
    models = catalog.language_models(studio.settings.models_dir, studio.library)
    return render(request, "text.html", forms=catalog.forms(), models=[m for m in models if m["available"]],
                  default_model=DEFAULT_MODEL, sampling=catalog.sampling_defaults())
