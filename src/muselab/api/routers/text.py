"""The writing studio's JSON routes: /v1/write (a text.generate job), forms, models, lorebooks, and the
OpenAI-compatible routes (/v1/chat/completions, /v1/completions, /v1/models)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, UploadFile

from muselab.api.deps import get_studio
from muselab.api.routers import openai_compat
from muselab.errors import InvalidInput, TooLarge
from muselab.jobs.queue import job_to_dict
from muselab.studio import Studio
from muselab.text import catalog

router = APIRouter()
router.include_router(openai_compat.router)


@router.post("/v1/write", status_code=201, tags=["write"], summary="Write: submit a text.generate recipe as a job")
def write(recipe: dict[str, Any], studio: Studio = Depends(get_studio)):
    """The body is a WriteRecipe (see GET /v1/tasks); follow the job at /v1/jobs/{id}/events, where each progress
    event's data carries {text, candidate, token} while it writes."""
    job, _ = studio.submit("text.generate", recipe)
    return job_to_dict(job)


@router.get("/v1/write/forms", tags=["write"], summary="Forms: built-in and the user's own")
def forms():
    return {"items": catalog.forms()}


@router.get("/v1/write/models", tags=["write"], summary="Language models: bundled, user GGUF files, remote servers")
def models(studio: Studio = Depends(get_studio)):
    return {"items": catalog.language_models(studio.settings.models_dir, studio.library)}


MAX_LOREBOOK_BYTES = 8 << 20  # a big SillyTavern world is ~1 MB


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
