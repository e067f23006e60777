"""Training routes (beyond POST /v1/jobs, which runs every training task) and the web Train page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from muselab.api.deps import get_studio
from muselab.errors import InvalidInput, NotFound
from muselab.jobs.models import FINISHED_STATES
from muselab.jobs.queue import job_to_dict
from muselab.library.store import WorkFilter
from muselab.studio import Studio
from muselab.training.recipe import PRESETS
from muselab.web import render

router = APIRouter()
PAGE = {"title": "Train", "subtitle": "训练", "path": "/train", "order": 50}
TRAINING_TASKS = ("training.train_gpt", "training.train_lstm", "training.finetune_lora")


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
    """Continue a stopped training run from the checkpoint it kept (a new job with the same recipe)."""
    job = studio.queue.get(job_id)
    if job.task not in TRAINING_TASKS:
        raise InvalidInput(f"job {job_id} is a {job.task} job, not a training run", "job_id")
    if job.state not in FINISHED_STATES:
        raise InvalidInput(f"job {job_id} is still {job.state}; it resumes by itself", "job_id")
    works, _ = studio.library.list(WorkFilter(job_id=job_id, tag="checkpoint", limit=10))
    if not works:
        raise NotFound(f"job {job_id} left no checkpoint to resume from", "job_id")
    new_job, _ = studio.submit(job.task, {**job.recipe, "resume_checkpoint_work_id": works[0].id})
    return job_to_dict(new_job)


@router.get("/train", response_class=HTMLResponse, include_in_schema=False)
def train_page(request: Request):
    return render(request, "training.html", presets=PRESETS)
