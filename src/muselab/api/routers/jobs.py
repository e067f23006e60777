"""/v1/jobs: submit a Recipe, list, get, cancel, stream progress (Server-Sent Events); pause/resume the queue."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse

from muselab.api.deps import get_studio
from muselab.api.routers.works import MAX_OFFSET
from muselab.jobs.models import FINISHED_STATES
from muselab.jobs.queue import job_to_dict
from muselab.studio import Studio

router = APIRouter(prefix="/v1", tags=["jobs"])


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str = Field(description="What to make, e.g. 'demo.text'; GET /v1/tasks lists them with their recipes.")
    recipe: dict[str, Any] = Field(default_factory=dict, description="The task's Recipe.")
    priority: int = Field(0, ge=-100, le=100, description="Higher runs first.")
    idempotency_key: str | None = Field(None, min_length=1, max_length=200,
                                        description="A retried request with the same key returns the first job.")


@router.get("/tasks")
def list_tasks(studio: Studio = Depends(get_studio)):
    return {"items": studio.task_catalogue()}


@router.post("/jobs", status_code=201)
def submit_job(request: JobRequest, studio: Studio = Depends(get_studio),
               idempotency_key: str | None = Header(None, alias="Idempotency-Key")):
    job, created = studio.submit(request.task, request.recipe, request.priority,
                                 request.idempotency_key or idempotency_key)
    return JSONResponse(job_to_dict(job), status_code=201 if created else 200)


@router.get("/jobs")
def list_jobs(state: str | None = None, limit: int = Query(50, ge=1, le=500),
              offset: int = Query(0, ge=0, le=MAX_OFFSET),
              studio: Studio = Depends(get_studio)):
    jobs, total = studio.queue.list(state, limit, offset)
    return {"items": [job_to_dict(j) for j in jobs], "total": total, "paused": studio.queue.is_paused()}


@router.get("/jobs/{job_id}")
def get_job(job_id: str, studio: Studio = Depends(get_studio)):
    return job_to_dict(studio.queue.get(job_id))


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, studio: Studio = Depends(get_studio)):
    return job_to_dict(studio.cancel(job_id))


@router.get("/jobs/{job_id}/events")
async def job_events(job_id: str, request: Request, studio: Studio = Depends(get_studio),
                     last_event_id: int = Header(0, alias="Last-Event-ID")):
    """Progress as Server-Sent Events (event types: state, progress, work); the stream ends with the job."""
    await run_in_threadpool(studio.queue.get, job_id)  # 404 before the stream starts

    async def stream():
        seq = last_event_id
        while True:
            events = await run_in_threadpool(studio.queue.events, job_id, seq)
            for event in events:
                seq = event["seq"]
                yield {"id": str(seq), "event": event["type"], "data": _json(event)}
            if not events:
                job = await run_in_threadpool(studio.queue.get, job_id)
                if job.state in FINISHED_STATES:
                    if not await run_in_threadpool(studio.queue.events, job_id, seq):
                        yield {"event": "end", "data": _json(job_to_dict(job))}
                        return
                    continue
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.1)

    return EventSourceResponse(stream(), ping=10)


def _json(data) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


@router.get("/queue")
def queue_state(studio: Studio = Depends(get_studio)):
    return {"paused": studio.queue.is_paused(),
            "running": studio.executor.running() if studio.executor else [],
            "workers": studio.executor.workers if studio.executor else 0}


@router.post("/queue/pause")
def pause_queue(studio: Studio = Depends(get_studio)):
    studio.queue.set_paused(True)
    return {"paused": True}


@router.post("/queue/resume")
def resume_queue(studio: Studio = Depends(get_studio)):
    studio.queue.set_paused(False)
    if studio.executor:
        studio.executor.wake()
    return {"paused": False}
