"""Training routes beyond POST /v1/jobs (which runs every training task): presets, resuming a stopped run."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from muselab.api.deps import get_studio
from muselab.errors import InvalidInput
from muselab.jobs.queue import job_to_dict
from muselab.studio import Studio
from muselab.training.recipe import PRESETS

router = APIRouter()


@router.get("/v1/training/presets", tags=["training"])
async def presets(vocab_size: int = Query(100, ge=2, le=200_000, description="Vocabulary of the corpus "
                                          "(its distinct characters for a character model)."),
                  measure: bool = Query(True, description="Time a few real steps on this machine."),
                  names: str | None = Query(None, description="Comma-separated presets to include (default all).")):
    """Model size presets with the training time they take on this machine (each timed once, then scaled)."""
    wanted = [n.strip() for n in names.split(",")] if names else list(PRESETS)
    unknown = [n for n in wanted if n not in PRESETS]
    if unknown:
        raise InvalidInput(f"unknown preset {unknown[0]!r}; accepted: {', '.join(PRESETS)}", "names")
    if not measure:
        return {"items": [{"name": k, **PRESETS[k]} for k in wanted]}

    def compute():
        from muselab.training.estimate import preset_estimates

        return preset_estimates(vocab_size, wanted)

    return {"items": await run_in_threadpool(compute)}


@router.post("/v1/training/runs/{job_id}/resume", status_code=201, tags=["training"])
def resume_run(job_id: str, studio: Studio = Depends(get_studio)):
    """Continue a stopped training run from the checkpoint it kept: a new job with the same recipe (201),
    or the run itself if it is still queued or running, since it resumes by itself (200)."""
    job, created = studio.resume(job_id)
    return JSONResponse(job_to_dict(job), status_code=201 if created else 200)
