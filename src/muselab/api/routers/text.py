"""The writing studio's HTTP face: /v1/write (a text.generate job), forms, models, lorebooks, and the Write page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import HTMLResponse

from muselab.api.deps import get_studio
from muselab.errors import InvalidInput, TooLarge
from muselab.jobs.queue import job_to_dict
from muselab.studio import Studio
from muselab.web import render

router = APIRouter()
PAGE = {"title": "Write", "subtitle": "写作", "path": "/write", "order": 20}


def _forms() -> list[dict]:
    from muselab.text.forms import FormError, load_forms

    try:
        return [f.public() for f in load_forms().values()]
    except FormError as e:
        raise InvalidInput(str(e), "form") from None


def _models(studio: Studio) -> list[dict]:
    from muselab.models import Registry

    from muselab.library.store import WorkFilter
    from muselab.text.backends.trained import MEDIA_TYPE, trained_info

    found = [m.public() for m in Registry(studio.settings.models_dir).list()]
    # Language models trained in this studio (Train page) are library Works; they write in 'complete' mode.
    works, _ = studio.library.list(WorkFilter(kind="model", limit=100))
    for work in works:
        if work.media_type == MEDIA_TYPE:
            found.append(trained_info({"id": work.id, "title": work.title, "meta": work.meta}).public())
    return found


@router.post("/v1/write", status_code=201, tags=["write"], summary="Write: submit a text.generate recipe as a job")
def write(recipe: dict[str, Any], studio: Studio = Depends(get_studio)):
    """The body is a WriteRecipe (see GET /v1/tasks); follow the job at /v1/jobs/{id}/events, where each progress
    event's data carries {text, candidate, token} while it writes."""
    job, _ = studio.submit("text.generate", recipe)
    return job_to_dict(job)


@router.get("/v1/write/forms", tags=["write"], summary="Forms: built-in and the user's own")
def forms():
    return {"items": _forms()}


@router.get("/v1/write/models", tags=["write"], summary="Language models: bundled, user GGUF files, remote servers")
def models(studio: Studio = Depends(get_studio)):
    return {"items": _models(studio)}


MAX_LOREBOOK_BYTES = 8 << 20  # should become a setting (max_lorebook_mb); a big SillyTavern world is ~1 MB


@router.post("/v1/write/lorebook/import", tags=["write"], summary="Read a lorebook JSON (Muselab or SillyTavern)")
async def import_lorebook(file: UploadFile):
    from muselab.text.story import LorebookError
    from muselab.text.story import import_lorebook as parse

    data = bytearray()
    while chunk := await file.read(1 << 16):  # counted while reading: the file is never held whole when too big
        data += chunk
        if len(data) > MAX_LOREBOOK_BYTES:
            raise TooLarge(f"a lorebook file may be at most {MAX_LOREBOOK_BYTES >> 20} MB", "file")
    try:
        entries = parse(bytes(data))
    except LorebookError as e:
        raise InvalidInput(str(e), e.field) from None
    return {"entries": [e.model_dump() for e in entries]}


@router.get("/write", response_class=HTMLResponse, include_in_schema=False)
def write_page(request: Request):
    studio: Studio = request.app.state.studio
    from muselab.models import DEFAULT_MODEL
    from muselab.text.sampling import SamplingFields

    fields = SamplingFields.model_fields
    sampling = {name: {"default": f.default if name != "stop" else [], "help": f.description}
                for name, f in fields.items()}
    return render(request, "text.html", forms=_forms(), models=[m for m in _models(studio) if m["available"]],
                  default_model=DEFAULT_MODEL, sampling=sampling)
