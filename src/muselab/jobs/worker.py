"""Running jobs: the Context an engine sees, one job's run, and the in-process worker pool (the default executor)."""

from __future__ import annotations

import logging
import secrets
import threading
import time
import traceback
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from muselab.engines import Cancelled, EngineError, Limits, Output, get_task
from muselab.errors import InvalidInput, StudioError
from muselab.jobs.models import CANCELLED, FAILED, QUEUED, SUCCEEDED, Job
from muselab.jobs.queue import LostJob, local_worker_id, make_is_alive
from muselab.jobs.services import JobHost
from muselab.library.models import Work
from muselab.library.store import NewWork, WorkFilter, work_to_dict

log = logging.getLogger("muselab.jobs")

PERSIST_EVERY = 0.1  # seconds between stored progress events (token streams report far more often)
CANCEL_POLL_EVERY = 0.5  # seconds between looks at the database for a cancel from another process


class JobContext:
    """The Context (see muselab.engines) given to an engine running as a job."""

    def __init__(self, host: JobHost, job: Job, cancel_event: threading.Event):
        if not job.worker_id:
            raise ValueError(f"job {job.id} has no worker: run a job returned by JobQueue.claim")
        self.host = host
        self.job = job
        self.worker_id = job.worker_id  # the claim's owner: every write to the job says who it is from
        self.workdir: Path = host.settings.jobs_dir / job.id
        self.limits = Limits.from_settings(host.settings)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.cancel_event = cancel_event
        self.emitted_ids: list[str] = []
        self._outputs_kept: list[str] = []
        self._last_persist = 0.0
        self._last_cancel_poll = time.monotonic()

    def progress(self, fraction: float, message: str = "", preview: dict | None = None) -> None:
        now = time.monotonic()
        if now - self._last_persist >= PERSIST_EVERY or fraction >= 1.0:
            self._last_persist = now
            try:
                self.host.queue.progress(self.job.id, fraction, message, preview, persist_event=True,
                                           worker_id=self.worker_id)
            except LostJob:
                self.cancel_event.set()  # helper threads of the engine stop too
                raise
        self.check_cancelled()

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()
        now = time.monotonic()
        if now - self._last_cancel_poll >= CANCEL_POLL_EVERY:
            self._last_cancel_poll = now
            if self.host.queue.is_cancel_requested(self.job.id):
                self.cancel_event.set()
                raise Cancelled()

    def input_path(self, work_id: str) -> Path:
        try:
            return self.host.library.content_path(self.host.library.get(work_id))
        except StudioError as exc:
            raise EngineError(f"input work {work_id!r} not found in the library") from exc

    def input_work(self, work_id: str) -> dict:
        try:
            return work_to_dict(self.host.library.get(work_id))
        except StudioError as exc:
            raise EngineError(f"input work {work_id!r} not found in the library") from exc

    def find(self, tag: str) -> list[dict]:
        works, _ = self.host.library.list(WorkFilter(tag=tag, limit=50))
        return [work_to_dict(work) for work in works]

    def emit(self, output: Output) -> str:
        try:
            work = keep_output(self.host, self.job, output, earlier=self._outputs_kept)
        except LostJob:
            self.cancel_event.set()
            raise
        self.emitted_ids.append(work.id)
        self._outputs_kept.append(work.id)
        return work.id


def keep_output(host: JobHost, job: Job, output: Output, earlier: list[str]) -> Work:
    """Save one engine Output as a Work carrying the job's Recipe; link it to its parents."""
    parents = list(output.parents)
    for index in output.parent_outputs:
        if not 0 <= index < len(earlier):
            raise InvalidInput(f"output refers to earlier output #{index}, which does not exist", "parent_outputs")
        parents.append(earlier[index])
    work = host.library.add(NewWork(
        kind=output.kind, media_type=output.media_type, data=output.data, path=output.path,
        title=output.title, filename=output.filename, text=output.text, task=job.task, recipe=job.recipe,
        model=output.model, model_hash=output.model_hash, seed=job.recipe.get("seed"),
        authorship=output.authorship, job_id=job.id, meta=output.meta, parents=parents, tags=output.tags,
    ))
    host.queue.add_work_event(job.id, work.id, partial=False, worker_id=job.worker_id)
    return work


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, (EngineError, StudioError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def run_job(host: JobHost, job: Job, cancel_event: threading.Event | None = None,
            shutting_down: threading.Event | None = None) -> str:
    """Run one claimed job to its end; returns its final state. Never raises for an engine's failure.

    If `shutting_down` is set when the engine stops, the job goes back to the queue instead of being
    cancelled: a planned restart must not lose work in flight. If another worker took the job over
    (recovery judged this one dead), this attempt stops and leaves the job to it; returns its state now."""
    cancel_event = cancel_event or threading.Event()
    ctx = JobContext(host, job, cancel_event)
    try:
        return _run(host, job, ctx, shutting_down)
    except LostJob as lost:
        return _give_up(host, job, ctx, lost)


def _run(host: JobHost, job: Job, ctx: JobContext, shutting_down: threading.Event | None) -> str:
    worker_id = ctx.worker_id
    try:
        spec = get_task(job.task)
        recipe = spec.recipe_class().model_validate(job.recipe)
        outputs = spec.engine_function()(recipe, ctx)
        for output in outputs or []:
            work = keep_output(host, job, output, earlier=ctx._outputs_kept)
            ctx._outputs_kept.append(work.id)
        host.queue.finish(job.id, SUCCEEDED, message=f"done: {len(ctx._outputs_kept)} work(s)", worker_id=worker_id)
        return SUCCEEDED
    except LostJob:
        raise
    except Cancelled:
        if shutting_down is not None and shutting_down.is_set() and not host.queue.is_cancel_requested(job.id):
            host.queue.requeue(job.id, "the worker was stopped; the job will run again on the next start",
                                 worker_id=worker_id)
            return QUEUED
        host.library.mark_status(ctx.emitted_ids, "partial", "kept before the job was cancelled")
        host.queue.finish(job.id, CANCELLED, message="cancelled", worker_id=worker_id)
        return CANCELLED
    except BaseException as exc:  # the job fails; the worker and every saved Work stay
        if not isinstance(exc, (EngineError, StudioError, ValidationError)):
            log.error("job %s (%s) failed:\n%s", job.id, job.task, traceback.format_exc())
        host.library.mark_status(ctx.emitted_ids, "partial", "kept before the job failed")
        host.queue.finish(job.id, FAILED, error=describe_error(exc), message="failed", worker_id=worker_id)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return FAILED


def _give_up(host: JobHost, job: Job, ctx: JobContext, lost: LostJob) -> str:
    """Another worker runs the job now: stop, label what this attempt kept, and leave the job's state to it.

    (An engine that swallowed LostJob ends up here too: its handler's finish() raises it again.)"""
    ctx.cancel_event.set()
    log.warning("job %s was taken over while worker %s still ran it; this attempt stops", job.id, ctx.worker_id)
    kept = [*ctx._outputs_kept, *([lost.work_id] if lost.work_id else [])]
    host.library.mark_status(kept, "partial", "kept by an attempt that lost the job to another worker")
    return host.queue.get(job.id).state


class Executor(Protocol):
    """Where jobs run. The default is LocalExecutor (threads in this process); a Ray executor can follow."""

    def start(self) -> None: ...

    def stop(self, wait: bool = True) -> None: ...

    def wake(self) -> None: ...

    def cancel(self, job_id: str) -> None: ...


class LocalExecutor:
    """A pool of worker threads taking jobs from the durable queue, with heartbeats and crash recovery.

    Each thread claims as `<worker_id>.<n>`, so the queue can tell two attempts of one job apart even
    when both ran in this process (a job re-queued while a stalled thread still ran it)."""

    def __init__(self, host: JobHost, workers: int = 2, poll_seconds: float = 0.5):
        self.host = host
        self.workers = workers
        self.poll_seconds = poll_seconds
        self.token = secrets.token_hex(4)
        self.worker_id = local_worker_id(self.token)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: dict[str, threading.Event] = {}
        self._owners: dict[str, str] = {}  # job id -> the thread's worker id that runs it
        self._lock = threading.Lock()

    def _thread_tokens(self) -> set[str]:
        return {f"{self.token}.{i}" for i in range(self.workers)}

    def start(self) -> None:
        self.recover()
        for i in range(self.workers):
            thread = threading.Thread(target=self._loop, args=(local_worker_id(f"{self.token}.{i}"),),
                                      name=f"muselab-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        beat = threading.Thread(target=self._heartbeat_loop, name="muselab-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)

    def recover(self) -> list[tuple[str, str]]:
        actions = self.host.queue.recover(make_is_alive(self._thread_tokens()))
        for job_id, state in actions:
            log.warning("job %s was orphaned by a stopped worker; now %s", job_id, state)
        return actions

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            for event in self._running.values():
                event.set()
        if wait:
            for thread in self._threads:
                thread.join(timeout=30)

    def wake(self) -> None:
        self._wake.set()

    @staticmethod
    def one_off_id(job_id: str) -> str:
        """A worker id for running one job outside the pool (the CLI), unique so two such runs never share it."""
        return f"{LocalExecutor.__name__}-cli:{job_id}:{secrets.token_hex(4)}"

    def cancel(self, job_id: str) -> None:
        with self._lock:
            event = self._running.get(job_id)
        if event:
            event.set()

    def running(self) -> list[str]:
        with self._lock:
            return list(self._running)

    def _loop(self, worker_id: str) -> None:
        while not self._stop.is_set():
            try:
                job = self.host.queue.claim(worker_id)
            except Exception:
                log.exception("could not claim a job; retrying")
                job = None
            if job is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            cancel_event = threading.Event()
            with self._lock:
                self._running[job.id] = cancel_event
                self._owners[job.id] = worker_id
            try:
                run_job(self.host, job, cancel_event, shutting_down=self._stop)
            finally:
                with self._lock:
                    if self._owners.get(job.id) == worker_id:  # (another thread may run it again by now)
                        self._running.pop(job.id, None)
                        self._owners.pop(job.id, None)

    def _heartbeat_loop(self) -> None:
        last_recover = time.monotonic()
        while not self._stop.wait(5.0):
            try:
                with self._lock:
                    owners = dict(self._owners)
                self.host.queue.heartbeat(owners)
                if time.monotonic() - last_recover > 30:
                    last_recover = time.monotonic()
                    self.recover()
            except Exception:
                log.exception("heartbeat failed")
