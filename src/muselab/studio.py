"""The studio service: the one place the CLI, the HTTP API and the web pages go through.

It validates a Recipe, submits it as a durable job, and keeps what the job made as Works.
"""

from __future__ import annotations

import mimetypes
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pydantic import ValidationError

from muselab.auth import WebSessions
from muselab.config import Settings, get_settings
from muselab.engines import Caller, UnknownTask, get_task, new_seed, tasks
from muselab.errors import InvalidInput, NotFound, TooLarge
from muselab.jobs.models import FINISHED_STATES, Job
from muselab.jobs.services import JobServices
from muselab.jobs.worker import LocalExecutor, run_job
from muselab.library.models import Work
from muselab.library.store import NewWork, WorkFilter
from muselab.library.validate import safe_name

UPLOAD_KINDS = {"text": "text", "image": "image", "audio": "audio", "video": "video"}


def kind_for_media_type(media_type: str, filename: str = "") -> str:
    """The Work kind of an uploaded file, from its media type or file extension."""
    base = media_type.split(";")[0].strip().lower()
    if base in ("audio/midi", "audio/x-midi", "audio/mid") or filename.lower().endswith((".mid", ".midi")):
        return "midi"
    if "musicxml" in base or filename.lower().endswith((".musicxml", ".mxl")):
        return "score"
    if base in ("application/json", "application/jsonl", "text/csv", "text/markdown"):
        return "text" if base != "application/json" else "data"
    return UPLOAD_KINDS.get(base.split("/")[0], "file")


def validation_error(exc: ValidationError, prefix: str = "recipe") -> InvalidInput:
    """A pydantic error as an InvalidInput naming the first bad field, listing all."""
    parts, first = [], None
    for err in exc.errors():
        loc = ".".join(str(p) for p in (prefix, *err["loc"]))
        first = first or loc
        hint = err["msg"].removeprefix("Value error, ")  # a validator's own message reads better bare
        if err["type"] == "extra_forbidden":
            hint = "unknown field"
        parts.append(f"{loc}: {hint}")
    return InvalidInput("; ".join(parts), first)


class Studio:
    def __init__(self, settings: Settings | None = None):
        self.services = JobServices.open(settings or get_settings())
        self.settings = self.services.settings
        self.engine = self.services.engine
        self.sessions = self.services.sessions
        self.library = self.services.library
        self.queue = self.services.queue
        self.web_sessions = WebSessions(self.sessions)
        self.executor: LocalExecutor | None = None
        self._lock = threading.Lock()

    # ---- lifecycle ----------------------------------------------------------------------------
    def start_workers(self, workers: int | None = None) -> LocalExecutor:
        with self._lock:
            if self.executor is None:
                self.executor = LocalExecutor(self, workers or self.settings.workers)
                self.executor.start()
            return self.executor

    def close(self) -> None:
        if self.executor:
            self.executor.stop()
            self.executor = None
        self.services.close()

    # ---- jobs ---------------------------------------------------------------------------------
    def caller(self, local: bool) -> Caller:
        """Who is asking: the CLI (local=True, runs as the owner) or a web/API client."""
        return Caller(local=local, allowed_dirs=tuple(self.settings.allowed_dirs))

    def validate(self, task: str, recipe: dict, local: bool = False) -> dict:
        """The recipe checked against its task's model, with a seed filled in; as stored JSON.

        Unless the caller is `local` (the CLI, running as the owner), fields naming server files
        must stay inside the owner's allowed folders."""
        try:
            spec = get_task(task)
        except UnknownTask as exc:
            raise InvalidInput(str(exc), "task") from None
        if not isinstance(recipe, dict):
            raise InvalidInput("recipe must be a JSON object", "recipe")
        try:
            model = spec.recipe_class().model_validate(recipe, context=self.caller(local).context())
        except ValidationError as exc:
            raise validation_error(exc) from None
        if model.seed is None:
            model = model.model_copy(update={"seed": new_seed()})
        return model.model_dump(mode="json")

    def submit(self, task: str, recipe: dict, priority: int = 0, idempotency_key: str | None = None,
               local: bool = False) -> tuple[Job, bool]:
        """Queue a job. `local=True` only for the owner's own tools (the CLI): see validate()."""
        job, created = self.queue.submit(task, self.validate(task, recipe, local), priority, idempotency_key)
        if created and self.executor:
            self.executor.wake()
        return job, created

    def cancel(self, job_id: str) -> Job:
        job = self.queue.cancel(job_id)
        if self.executor:
            self.executor.cancel(job_id)
        return job

    def run_here(self, job_id: str, cancel_event: threading.Event | None = None) -> Job:
        """Run a queued job in this process (the CLI does this); if a server took it, just wait for it."""
        job = self.queue.claim(LocalExecutor.one_off_id(job_id), job_id=job_id)
        if job is not None:
            run_job(self, job, cancel_event)
            return self.queue.get(job_id)
        return self.wait(job_id, timeout=7 * 24 * 3600)

    def resume(self, job_id: str, local: bool = False) -> tuple[Job, bool]:
        """Continue a stopped run (a resumable task, e.g. training) from the last checkpoint Work it kept.

        A run still queued or running resumes by itself (its scratch folder holds its state): that job is
        returned, with False. A finished one gives a new job with the same recipe, from the checkpoint."""
        job = self.queue.get(job_id)
        spec = get_task(job.task)
        if not spec.resume_field:
            raise InvalidInput(f"job {job_id} is a {job.task} job, which cannot be resumed", "job_id")
        if job.state not in FINISHED_STATES:
            return job, False
        checkpoints, _ = self.library.list(WorkFilter(job_id=job_id, tag="checkpoint", limit=1))
        if not checkpoints:
            raise NotFound(f"job {job_id} ({job.state}) left no checkpoint to resume from", "job_id")
        return self.submit(job.task, {**job.recipe, spec.resume_field: checkpoints[0].id}, local=local)

    def wait(self, job_id: str, timeout: float = 600, on_event: Callable[[dict], None] | None = None,
             poll: float = 0.1) -> Job:
        """Follow a job's events until it ends (or the timeout passes)."""
        import time

        deadline, seq = time.monotonic() + timeout, 0
        while True:
            for event in self.queue.events(job_id, after_seq=seq):
                seq = event["seq"]
                if on_event:
                    on_event(event)
            job = self.queue.get(job_id)
            if job.state in FINISHED_STATES or time.monotonic() > deadline:
                for event in self.queue.events(job_id, after_seq=seq):
                    if on_event:
                        on_event(event)
                return job
            time.sleep(poll)

    # ---- works ----------------------------------------------------------------------------------
    def upload(self, source: Path | BinaryIO, filename: str, media_type: str | None = None, title: str | None = None,
               tags: list[str] | None = None, max_bytes: int | None = None,
               check: Callable[[Path], dict] | None = None) -> Work:
        """Keep a person's own file (a photo, a MIDI primer, a corpus) as a human-made Work.

        A stream is copied to the blob store with `max_bytes` enforced while reading, never held in memory.
        `check(path)` (e.g. a video probe) looks at the file before it is kept: its answer becomes the Work's
        meta, and its EngineError a 422 naming the problem, with nothing written to the library."""
        filename = safe_name(filename, "filename", 255)
        media_type = media_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        new = NewWork(kind=kind_for_media_type(media_type, filename), media_type=media_type, title=title or filename,
                      filename=filename, authorship="human", tags=tags)
        if check is not None:
            return self._upload_checked(source, new, max_bytes, check)
        if isinstance(source, Path):
            new.path = source
        else:
            new.stream, new.max_bytes = source, max_bytes
        work = self.library.add(new)
        if work.kind == "image":
            self._refuse_huge_picture(work)
        return work

    def _upload_checked(self, source: Path | BinaryIO, new: NewWork, max_bytes: int | None,
                        check: Callable[[Path], dict]) -> Work:
        from muselab.engines import EngineError

        with tempfile.TemporaryDirectory(dir=self.settings.data_dir, prefix=".upload-") as folder:
            path = Path(folder) / "file"
            if isinstance(source, Path):
                path = source
            else:
                with open(path, "wb") as out:
                    copied = 0
                    while chunk := source.read(1 << 20):
                        copied += len(chunk)
                        if max_bytes is not None and copied > max_bytes:
                            raise TooLarge(f"file is larger than the {max_bytes >> 20} MB limit", "file")
                        out.write(chunk)
            try:
                new.meta = check(path)
            except EngineError as exc:
                raise InvalidInput(str(exc), "file") from None
            new.path = path
            return self.library.add(new)

    def _refuse_huge_picture(self, work: Work) -> None:
        """Pictures above the owner's pixel limit would stall every engine that opens them: refuse them now."""
        from PIL import Image

        limit = int(self.settings.max_image_megapixels * 1_000_000)
        try:
            with Image.open(self.library.content_path(work)) as image:  # reads the header, not the pixels
                width, height = image.size
        except Exception:  # not a picture Pillow knows: kept as a file, like before
            return
        if width * height > limit:
            self.library.delete(work.id)
            raise TooLarge(f"the picture is {width}x{height} ({width * height / 1e6:.0f} megapixels), above the "
                           f"studio's limit of {limit / 1e6:g} megapixels (MUSELAB_MAX_IMAGE_MEGAPIXELS)", "file")

    def task_catalogue(self) -> list[dict]:
        found = []
        for name, spec in sorted(tasks().items()):
            try:
                schema = spec.recipe_class().model_json_schema()
            except Exception as exc:  # a domain whose optional dependencies are missing
                schema = {"error": f"unavailable: {exc}"}
            found.append({"name": name, "title": spec.title, "recipe_schema": schema})
        return found
