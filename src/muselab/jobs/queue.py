"""The durable job queue: every state change is a committed row, so nothing is lost when a process dies."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from muselab.db import clock, database_now, transaction
from muselab.errors import Conflict, InvalidInput, NotFound
from muselab.ids import as_utc, new_id, utcnow
from muselab.jobs.models import (
    ALL_STATES,
    CANCELLED,
    FINISHED_STATES,
    INTERRUPTED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    Job,
    JobEvent,
    QueueSetting,
)

STALE_AFTER = timedelta(seconds=60)  # a running job whose worker stopped beating this long ago is orphaned


class LostJob(Conflict):
    """A worker wrote to a job it no longer runs: recovery declared it dead and re-queued the job.

    Raised instead of writing, so two attempts of one job never both change it; `work_id` names a Work
    that was kept but refused a place in the job (add_work_event)."""

    def __init__(self, job_id: str, worker_id: str, work_id: str | None = None):
        super().__init__(f"job {job_id} is no longer run by worker {worker_id}: it was re-queued or taken over",
                         "job_id")
        self.job_id = job_id
        self.worker_id = worker_id
        self.work_id = work_id


_aware = as_utc


def job_to_dict(job: Job) -> dict:
    def iso(moment):
        moment = _aware(moment)
        return moment.isoformat() if moment else None

    return {
        "id": job.id, "task": job.task, "recipe": job.recipe, "state": job.state, "priority": job.priority,
        "progress": job.progress, "message": job.message, "preview": job.preview, "error": job.error,
        "attempts": job.attempts, "max_attempts": job.max_attempts, "work_ids": job.work_ids or [],
        "cancel_requested": job.cancel_requested, "idempotency_key": job.idempotency_key,
        "created_at": iso(job.created_at), "started_at": iso(job.started_at), "finished_at": iso(job.finished_at),
    }


class JobQueue:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    # ---- submitting and reading ---------------------------------------------------------------
    def submit(self, task: str, recipe: dict, priority: int = 0, idempotency_key: str | None = None,
               max_attempts: int = 2) -> tuple[Job, bool]:
        """Queue a job; returns (job, created). A repeated idempotency key returns the first job."""
        if not -100 <= priority <= 100:
            raise InvalidInput("priority must be between -100 and 100", "priority")
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
            raise InvalidInput("idempotency_key must be 1 to 200 characters", "idempotency_key")
        if idempotency_key:
            existing = self._by_key(idempotency_key)
            if existing is not None:
                return self._same_or_conflict(existing, task, recipe), False
        job = Job(id=new_id(), task=task, recipe=recipe, priority=priority, idempotency_key=idempotency_key,
                  max_attempts=max_attempts, state=QUEUED, work_ids=[], progress=0.0, message="queued")
        try:
            with transaction(self.sessions) as s:
                s.add(job)
                s.flush()
                self._event(s, job, "state", 0.0, "queued", {"state": QUEUED})
        except IntegrityError:  # another request with the same key won the race
            existing = self._by_key(idempotency_key) if idempotency_key else None
            if existing is None:
                raise
            return self._same_or_conflict(existing, task, recipe), False
        return job, True

    def _by_key(self, key: str) -> Job | None:
        with self.sessions() as s:
            return s.scalar(select(Job).where(Job.idempotency_key == key))

    @staticmethod
    def _same_or_conflict(job: Job, task: str, recipe: dict) -> Job:
        if job.task != task or {k: v for k, v in job.recipe.items() if k != "seed"} != {
                k: v for k, v in recipe.items() if k != "seed"}:
            raise Conflict(f"idempotency_key was already used for a different request (job {job.id})",
                           "idempotency_key")
        return job

    def get(self, job_id: str) -> Job:
        with self.sessions() as s:
            job = s.scalar(select(Job).where(Job.id == job_id))
        if job is None:
            raise NotFound(f"no job with id {job_id!r}", "job_id")
        return job

    def list(self, state: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Job], int]:
        if state is not None and state not in ALL_STATES:
            raise InvalidInput(f"state must be one of {', '.join(ALL_STATES)}", "state")
        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", "limit")
        stmt = select(Job)
        if state:
            stmt = stmt.where(Job.state == state)
        with self.sessions() as s:
            total = s.scalar(select(func.count()).select_from(stmt.subquery()))
            jobs = list(s.scalars(stmt.order_by(Job.pk.desc()).limit(limit).offset(max(offset, 0))))
        return jobs, int(total or 0)

    def events(self, job_id: str, after_seq: int = 0, limit: int = 1000) -> list[dict]:
        job = self.get(job_id)
        with self.sessions() as s:
            rows = s.scalars(select(JobEvent).where(JobEvent.job_pk == job.pk, JobEvent.seq > after_seq)
                             .order_by(JobEvent.seq).limit(limit))
            return [event_to_dict(job.id, e) for e in rows]

    # ---- running ------------------------------------------------------------------------------
    def claim(self, worker_id: str, job_id: str | None = None) -> Job | None:
        """Take the next queued job (highest priority, then oldest), or a given one; None if there is none."""
        for _ in range(20):  # another worker may take our candidate first: try the next one
            with self.sessions() as s:
                stmt = select(Job.pk).where(Job.state == QUEUED)
                if job_id:
                    stmt = stmt.where(Job.id == job_id)
                elif self.is_paused():
                    return None
                candidate = s.scalar(stmt.order_by(Job.priority.desc(), Job.pk).limit(1))
            if candidate is None:
                return None
            with transaction(self.sessions) as s:
                now = clock(s)
                taken = s.execute(
                    update(Job).where(Job.pk == candidate, Job.state == QUEUED)
                    .values(state=RUNNING, worker_id=worker_id, heartbeat_at=now, started_at=now,
                            attempts=Job.attempts + 1, message="running", error=None, progress=0.0,
                            preview=None)
                ).rowcount
                if taken:
                    job = s.get(Job, candidate)
                    self._event(s, job, "state", job.progress, "running",
                                {"state": RUNNING, "attempt": job.attempts})
                    return job
        return None

    # A running job is written only by the worker that claimed it: each write below is one UPDATE whose
    # WHERE says "still running, still this worker's". It holds the row (on SQLite, the database) until
    # commit, so recovery cannot re-queue the job between the check and the write; a worker that lost the
    # job gets LostJob instead of overwriting the new owner's progress or state.

    def progress(self, job_id: str, fraction: float, message: str, preview: dict | None, persist_event: bool,
                 *, worker_id: str) -> None:
        values = {"progress": max(0.0, min(1.0, float(fraction))), "message": message[:2000]}
        if preview is not None:
            values["preview"] = preview
        with transaction(self.sessions) as s:
            job = self._owned(s, job_id, worker_id, values)
            if job is None:
                raise LostJob(job_id, worker_id)
            if persist_event:
                self._event(s, job, "progress", job.progress, job.message, preview)

    def add_work_event(self, job_id: str, work_id: str, partial: bool, *, worker_id: str) -> None:
        with transaction(self.sessions) as s:
            job = self._owned(s, job_id, worker_id)
            if job is None:
                raise LostJob(job_id, worker_id, work_id=work_id)
            job.work_ids = [*(job.work_ids or []), work_id]
            self._event(s, job, "work", job.progress, "kept a work", {"work_id": work_id, "partial": partial})

    def finish(self, job_id: str, state: str, error: str | None = None, message: str | None = None,
               *, worker_id: str) -> Job:
        assert state in FINISHED_STATES
        with transaction(self.sessions) as s:
            values = {"state": state, "error": error, "finished_at": clock(s), "message": message or state}
            if state == SUCCEEDED:
                values["progress"] = 1.0
            job = self._owned(s, job_id, worker_id, values)
            if job is None:
                raise LostJob(job_id, worker_id)
            self._event(s, job, "state", job.progress, job.message, {"state": state, "error": error})
            return job

    def requeue(self, job_id: str, reason: str, *, worker_id: str) -> Job:
        """Put a running job back in the queue without spending an attempt (the worker is shutting down)."""
        values = {"state": QUEUED, "worker_id": None, "message": f"re-queued: {reason}",
                  "attempts": case((Job.attempts > 0, Job.attempts - 1), else_=0)}
        with transaction(self.sessions) as s:
            job = self._owned(s, job_id, worker_id, values)
            if job is None:
                raise LostJob(job_id, worker_id)
            self._event(s, job, "state", job.progress, job.message, {"state": QUEUED, "reason": reason})
            return job

    @staticmethod
    def _owned(s: Session, job_id: str, worker_id: str, values: dict | None = None) -> Job | None:
        """Apply `values` (and a heartbeat) if the job is still running on this worker; the job after, or None."""
        changed = s.execute(
            update(Job).where(Job.id == job_id, Job.state == RUNNING, Job.worker_id == worker_id)
            .values(heartbeat_at=clock(s), **(values or {}))
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            return None
        return s.scalar(select(Job).where(Job.id == job_id))

    def is_cancel_requested(self, job_id: str) -> bool:
        with self.sessions() as s:
            return bool(s.scalar(select(Job.cancel_requested).where(Job.id == job_id)))

    def cancel(self, job_id: str) -> Job:
        """A queued job is cancelled at once; a running one is asked to stop at its next progress report."""
        with transaction(self.sessions) as s:
            job = s.scalar(select(Job).where(Job.id == job_id))
            if job is None:
                raise NotFound(f"no job with id {job_id!r}", "job_id")
            if job.state in FINISHED_STATES:
                raise Conflict(f"job {job_id} already {job.state}; only queued or running jobs can be cancelled",
                               "job_id")
            job.cancel_requested = True
            if job.state == QUEUED:
                job.state = CANCELLED
                job.finished_at = utcnow()
                job.message = "cancelled"
                self._event(s, job, "state", job.progress, "cancelled", {"state": CANCELLED})
            return job

    def heartbeat(self, running: dict[str, str]) -> None:
        """Say the workers are alive: `running` maps each job id to the id of the worker running it.

        A job another worker has taken over is left alone, so a stale worker can't hide its new owner's death."""
        if running:
            with transaction(self.sessions) as s:
                now = clock(s)
                for job_id, worker_id in running.items():
                    s.execute(update(Job).where(Job.id == job_id, Job.state == RUNNING, Job.worker_id == worker_id)
                              .values(heartbeat_at=now).execution_options(synchronize_session=False))

    # ---- pause / resume -----------------------------------------------------------------------
    def is_paused(self) -> bool:
        with self.sessions() as s:
            return s.scalar(select(QueueSetting.value).where(QueueSetting.key == "paused")) == "1"

    def set_paused(self, paused: bool) -> None:
        with transaction(self.sessions) as s:
            row = s.get(QueueSetting, "paused")
            if row is None:
                s.add(QueueSetting(key="paused", value="1" if paused else "0"))
            else:
                row.value = "1" if paused else "0"

    # ---- recovery -----------------------------------------------------------------------------
    def recover(self, is_alive: Callable[[str], bool | None]) -> list[tuple[str, str]]:
        """Find running jobs whose worker died; re-queue them or, after max_attempts, mark them interrupted.

        `is_alive(worker_id)` says True/False when it can tell (same machine) or None (then the heartbeat decides).
        """
        actions = []
        with transaction(self.sessions) as s:
            now = database_now(s)  # heartbeats were written by the database's clock on PostgreSQL: compare with it
            for job in list(s.scalars(select(Job).where(Job.state == RUNNING))):
                alive = is_alive(job.worker_id or "")
                stale = (now - (_aware(job.heartbeat_at) or now)) > STALE_AFTER
                if alive or (alive is None and not stale):
                    continue
                reason = f"worker {job.worker_id} stopped while running attempt {job.attempts}"
                if job.cancel_requested:
                    values = {"state": CANCELLED, "finished_at": now, "message": "cancelled"}
                    data = {"state": CANCELLED}
                elif job.attempts < job.max_attempts:
                    values = {"state": QUEUED, "worker_id": None, "message": f"re-queued: {reason}"}
                    data = {"state": QUEUED, "reason": reason}
                else:
                    message = f"interrupted: {reason}; no attempts left ({job.max_attempts})"
                    values = {"state": INTERRUPTED, "finished_at": now, "error": message, "message": message}
                    data = {"state": INTERRUPTED, "reason": reason}
                silent_since = None if alive is False else now - STALE_AFTER  # judged by its heartbeat
                if not self._still_orphaned(s, job, values, silent_since):
                    continue
                s.refresh(job)
                self._event(s, job, "state", job.progress, job.message, data)
                actions.append((job.id, job.state))
        return actions

    @staticmethod
    def _still_orphaned(s: Session, job: Job, values: dict, silent_since: datetime | None) -> bool:
        """Apply `values` only if the job is still the attempt we looked at (and still silent, when judged by its
        heartbeat): meanwhile its worker may have finished it or beaten again, or another worker claimed it."""
        where = [Job.pk == job.pk, Job.state == RUNNING, Job.worker_id == job.worker_id, Job.attempts == job.attempts]
        if silent_since is not None:
            where.append(Job.heartbeat_at < silent_since)
        changed = s.execute(update(Job).where(*where).values(**values)
                            .execution_options(synchronize_session=False)).rowcount
        return bool(changed)

    # ---- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _event(s: Session, job: Job, type: str, fraction: float | None, message: str, data: dict | None) -> int:
        job.event_seq = (job.event_seq or 0) + 1
        s.add(JobEvent(job_pk=job.pk, seq=job.event_seq, type=type, fraction=fraction, message=message, data=data))
        return job.event_seq


def event_to_dict(job_id: str, event: JobEvent) -> dict:
    return {"job_id": job_id, "seq": event.seq, "type": event.type, "fraction": event.fraction,
            "message": event.message, "data": event.data, "at": _aware(event.at).isoformat()}


def local_worker_id(token: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{token}"


def make_is_alive(live_tokens: set[str]) -> Callable[[str], bool | None]:
    """Liveness of a worker id: known for this machine's processes, unknown (None) for other machines."""
    host = socket.gethostname()

    def is_alive(worker_id: str) -> bool | None:
        parts = worker_id.rsplit(":", 2)
        if len(parts) != 3 or parts[0] != host:
            return None
        pid, token = int(parts[1]), parts[2]
        if pid == os.getpid():
            return token in live_tokens
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return None  # that process lives: trust its heartbeat (it may be another Muselab)

    return is_alive
