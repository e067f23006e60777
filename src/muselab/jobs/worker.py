"""Running jobs: the Context an engine sees, one job's run, and the in-process worker pool (the default executor)."""

from __future__ import annotations

import logging
import secrets
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError

from muselab.engines import Cancelled, EngineError, Limits, Output, get_task
from muselab.errors import StudioError
from muselab.jobs.models import CANCELLED, FAILED, QUEUED, SUCCEEDED, Job
from muselab.jobs.queue import local_worker_id, make_is_alive

if TYPE_CHECKING:
    from muselab.studio import Studio

log = logging.getLogger("muselab.jobs")

PERSIST_EVERY = 0.1  # seconds between stored progress events (token streams report far more often)
CANCEL_POLL_EVERY = 0.5  # seconds between looks at the database for a cancel from another process


class JobContext:
    """The Context (see muselab.engines) given to an engine running as a job."""

    def __init__(self, studio: Studio, job: Job, cancel_event: threading.Event):
        self.studio = studio
        self.job = job
        self.workdir: Path = studio.settings.jobs_dir / job.id
        self.limits = Limits.from_settings(studio.settings)
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
            self.studio.queue.progress(self.job.id, fraction, message, preview, persist_event=True)
        self.check_cancelled()

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()
        now = time.monotonic()
        if now - self._last_cancel_poll >= CANCEL_POLL_EVERY:
            self._last_cancel_poll = now
            if self.studio.queue.is_cancel_requested(self.job.id):
                self.cancel_event.set()
                raise Cancelled()

    def input_path(self, work_id: str) -> Path:
        try:
            return self.studio.library.content_path(self.studio.library.get(work_id))
        except StudioError as exc:
            raise EngineError(f"input work {work_id!r} not found in the library") from exc

    def input_work(self, work_id: str) -> dict:
        from muselab.library.store import work_to_dict

        try:
            return work_to_dict(self.studio.library.get(work_id))
        except StudioError as exc:
            raise EngineError(f"input work {work_id!r} not found in the library") from exc

    def emit(self, output: Output) -> str:
        work = self.studio.keep_output(self.job, output, earlier=self._outputs_kept)
        self.emitted_ids.append(work.id)
        self._outputs_kept.append(work.id)
        return work.id


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, (EngineError, StudioError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def run_job(studio: Studio, job: Job, cancel_event: threading.Event | None = None,
            shutting_down: threading.Event | None = None) -> str:
    """Run one claimed job to its end; returns its final state. Never raises for an engine's failure.

    If `shutting_down` is set when the engine stops, the job goes back to the queue instead of being
    cancelled: a planned restart must not lose work in flight."""
    cancel_event = cancel_event or threading.Event()
    ctx = JobContext(studio, job, cancel_event)
    try:
        spec = get_task(job.task)
        recipe = spec.recipe_class().model_validate(job.recipe)
        outputs = spec.engine_function()(recipe, ctx)
        for output in outputs or []:
            work = studio.keep_output(job, output, earlier=ctx._outputs_kept)
            ctx._outputs_kept.append(work.id)
        studio.queue.finish(job.id, SUCCEEDED, message=f"done: {len(ctx._outputs_kept)} work(s)")
        return SUCCEEDED
    except Cancelled:
        if shutting_down is not None and shutting_down.is_set() and not studio.queue.is_cancel_requested(job.id):
            studio.queue.requeue(job.id, "the worker was stopped; the job will run again on the next start")
            return QUEUED
        studio.library.mark_status(ctx.emitted_ids, "partial", "kept before the job was cancelled")
        studio.queue.finish(job.id, CANCELLED, message="cancelled")
        return CANCELLED
    except BaseException as exc:  # the job fails; the worker and every saved Work stay
        if not isinstance(exc, (EngineError, StudioError, ValidationError)):
            log.error("job %s (%s) failed:\n%s", job.id, job.task, traceback.format_exc())
        studio.library.mark_status(ctx.emitted_ids, "partial", "kept before the job failed")
        studio.queue.finish(job.id, FAILED, error=describe_error(exc), message="failed")
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return FAILED


class Executor(Protocol):
    """Where jobs run. The default is LocalExecutor (threads in this process); a Ray executor can follow."""

    def start(self) -> None: ...

    def stop(self, wait: bool = True) -> None: ...

    def wake(self) -> None: ...

    def cancel(self, job_id: str) -> None: ...


class LocalExecutor:
    """A pool of worker threads taking jobs from the durable queue, with heartbeats and crash recovery."""

    def __init__(self, studio: Studio, workers: int = 2, poll_seconds: float = 0.5):
        self.studio = studio
        self.workers = workers
        self.poll_seconds = poll_seconds
        self.token = secrets.token_hex(4)
        self.worker_id = local_worker_id(self.token)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        self.recover()
        for i in range(self.workers):
            thread = threading.Thread(target=self._loop, name=f"muselab-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        beat = threading.Thread(target=self._heartbeat_loop, name="muselab-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)

    def recover(self) -> list[tuple[str, str]]:
        actions = self.studio.queue.recover(make_is_alive({self.token}))
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

    def cancel(self, job_id: str) -> None:
        with self._lock:
            event = self._running.get(job_id)
        if event:
            event.set()

    def running(self) -> list[str]:
        with self._lock:
            return list(self._running)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.studio.queue.claim(self.worker_id)
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
            try:
                run_job(self.studio, job, cancel_event, shutting_down=self._stop)
            finally:
                with self._lock:
                    self._running.pop(job.id, None)

    def _heartbeat_loop(self) -> None:
        last_recover = time.monotonic()
        while not self._stop.wait(5.0):
            try:
                self.studio.queue.heartbeat(self.running())
                if time.monotonic() - last_recover > 30:
                    last_recover = time.monotonic()
                    self.recover()
            except Exception:
                log.exception("heartbeat failed")
