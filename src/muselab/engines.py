"""The contract between the studio and the engine of each domain.

An engine is plain Python: it takes a Recipe (a pydantic model holding everything
that determines the output, seed included) and a Context (progress, cancel, a
scratch folder, read access to input Works) and returns Outputs. It knows no
database and no HTTP, so it can be tested on its own with `LocalContext`.

Each domain (registered once in muselab/domains.py) lists its tasks in its package's
`__init__.py` as `TASKS = [TaskSpec(...)]` with dotted paths, so heavy engines (torch,
llama.cpp) are imported only when a job of theirs runs, while recipes (light pydantic
models) can be validated anywhere.
"""

from __future__ import annotations

import importlib
import os
import random
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from muselab import domains

MAX_SEED = 2**32 - 1


class Recipe(BaseModel):
    """Base of every domain's recipe: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")

    seed: int | None = Field(
        default=None,
        ge=0,
        le=MAX_SEED,
        description="Random seed; left empty, the studio picks one and records it.",
    )


@dataclass(frozen=True)
class Caller:
    """Who submits a recipe, for the checks that depend on it (passed as pydantic validation context).

    The CLI runs as the owner on this machine and may name any file; a web or API caller may name
    server files only inside the folders the owner allowed (settings.allowed_dirs)."""

    local: bool
    allowed_dirs: tuple[Path, ...] = ()

    def context(self) -> dict:
        return {"caller": self}


def _inside_allowed_dirs(value: str, info: ValidationInfo) -> str:
    caller = (info.context or {}).get("caller")
    if caller is None or caller.local:  # the owner (CLI, Python): any file of theirs
        return value
    # One answer whether or not the file exists, so the error can't be used to probe the disk.
    refusal = ValueError("names a file on the server, which web and API callers may do only inside the folders the "
                         "owner allows (MUSELAB_ALLOWED_DIRS); upload the file as a Work and give its id instead")
    path = Path(value)
    if not path.is_absolute():
        raise refusal
    real = Path(os.path.realpath(path))  # symlinks resolved: a link may not lead out of an allowed folder
    for folder in caller.allowed_dirs:
        if real.is_relative_to(Path(os.path.realpath(folder))):
            return value
    raise refusal


# A recipe field naming a file or folder on the server (a font, a corpus folder, a model folder).
ServerPath = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_inside_allowed_dirs)]


@dataclass(frozen=True)
class Limits:
    """Resource ceilings the owner sets (server settings); an engine must not let a recipe raise them."""

    max_train_memory_gb: float = 8.0
    max_input_notes: int = 20_000
    max_image_pixels: int = 50_000_000

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(max_train_memory_gb=settings.max_train_memory_gb, max_input_notes=settings.max_input_notes,
                   max_image_pixels=int(settings.max_image_megapixels * 1_000_000))


class Cancelled(Exception):
    """Raised inside an engine (by Context.progress/check_cancelled) when its job was cancelled."""


class EngineError(Exception):
    """An engine's clear, user-facing failure (bad input it could only detect while running)."""


@dataclass
class Output:
    """One thing an engine made; the studio keeps each as a Work.

    Give either `data` (bytes) or `path` (a file the engine wrote, usually in ctx.workdir).
    """

    kind: str  # text | image | midi | audio | score | model | corpus | video | data
    media_type: str  # e.g. text/plain, image/png, audio/midi, audio/wav
    data: bytes | None = None
    path: Path | None = None
    title: str = ""
    text: str | None = None  # searchable text content (the text itself, lyrics, a description)
    meta: dict[str, Any] = field(default_factory=dict)  # shown with the Work (chords, loss, epsilon...)
    parents: list[str] = field(default_factory=list)  # ids of input Works this derives from
    parent_outputs: list[int] = field(default_factory=list)  # indexes of earlier outputs of this job
    authorship: str = "ai"  # ai | human | co-created
    tags: list[str] = field(default_factory=list)
    model: str | None = None
    model_hash: str | None = None
    filename: str | None = None  # suggested file name on export/download

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.path is not None:
            return Path(self.path).read_bytes()
        raise ValueError("Output has neither data nor path")


class Context(Protocol):
    """What an engine may ask of the studio while it runs."""

    workdir: Path  # scratch folder kept across re-runs of the same job (for resume)
    limits: Limits  # the owner's resource ceilings

    def progress(self, fraction: float, message: str = "", preview: dict | None = None) -> None:
        """Report progress in [0, 1]; raises Cancelled if the job was cancelled."""

    def check_cancelled(self) -> None:
        """Raise Cancelled if the job was cancelled."""

    def input_path(self, work_id: str) -> Path:
        """Path of an existing Work's bytes (read only)."""

    def input_work(self, work_id: str) -> dict:
        """An existing Work's metadata (kind, media_type, title, task, recipe, meta)."""

    def emit(self, output: Output) -> str:
        """Keep an output right away (e.g. a checkpoint), before the job ends; returns its Work id."""

    def find(self, tag: str) -> list[dict]:
        """Works of the library carrying `tag` (newest first): parts kept earlier, to re-use them."""


@dataclass(frozen=True)
class TaskSpec:
    """One thing the studio can be asked to make: a recipe class and the engine function."""

    name: str  # "domain.task", e.g. "music.song"
    recipe: str  # "module:Class"
    engine: str  # "module:function" taking (recipe, ctx) and returning list[Output]
    title: str = ""  # human name, e.g. "Compose a song"
    # A task that keeps "checkpoint" Works can be resumed: a new job gets the last checkpoint's id in this field.
    resume_field: str | None = None

    def recipe_class(self) -> type[Recipe]:
        return _load(self.recipe)

    def engine_function(self) -> Callable[[Recipe, Context], list[Output]]:
        return _load(self.engine)


def _load(dotted: str) -> Any:
    module_name, _, attr = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attr)


class UnknownTask(KeyError):
    def __init__(self, name: str, known: list[str]):
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return f"unknown task {self.name!r}; accepted: {', '.join(self.known)}"


_registry: dict[str, TaskSpec] | None = None
_registry_version = -1
_registry_lock = threading.Lock()


def tasks() -> dict[str, TaskSpec]:
    """All tasks of all registered domains, by name."""
    global _registry, _registry_version
    with _registry_lock:
        if _registry is None or _registry_version != domains.changes():
            found: dict[str, TaskSpec] = {}
            for domain in domains.domains():
                for spec in getattr(importlib.import_module(domain.tasks), "TASKS", []):
                    found[spec.name] = spec
            _registry, _registry_version = found, domains.changes()
        return _registry


def get_task(name: str) -> TaskSpec:
    registry = tasks()
    if name not in registry:
        raise UnknownTask(name, sorted(registry))
    return registry[name]


def new_seed() -> int:
    return random.SystemRandom().randint(0, MAX_SEED)


class LocalContext:
    """A Context for running an engine without the studio: tests, notebooks, benchmarks."""

    def __init__(
        self,
        workdir: Path | None = None,
        inputs: dict[str, Path] | None = None,
        on_progress: Callable[[float, str, dict | None], None] | None = None,
        limits: Limits | None = None,
    ):
        self._own_dir = workdir is None
        self.limits = limits or Limits()
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="muselab-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.inputs = dict(inputs or {})
        self.events: list[tuple[float, str, dict | None]] = []
        self.emitted: list[Output] = []
        self.works: dict[str, dict] = {}  # what emit() kept, by id (their metadata)
        self.cancel_event = threading.Event()
        self._on_progress = on_progress

    def progress(self, fraction: float, message: str = "", preview: dict | None = None) -> None:
        self.events.append((fraction, message, preview))
        if self._on_progress:
            self._on_progress(fraction, message, preview)
        self.check_cancelled()

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()

    def input_path(self, work_id: str) -> Path:
        try:
            return self.inputs[work_id]
        except KeyError:
            raise EngineError(f"unknown input work {work_id!r}") from None

    def input_work(self, work_id: str) -> dict:
        if work_id in self.works:
            return self.works[work_id]
        path = self.input_path(work_id)
        return {"id": work_id, "title": path.name, "kind": "file", "media_type": "", "recipe": None, "meta": {}}

    def emit(self, output: Output) -> str:
        """Kept in memory (and its bytes in the work folder), so later steps can read it back as an input."""
        from muselab.ids import new_id

        self.emitted.append(output)
        work_id = new_id()
        path = output.path
        if path is None:
            path = self.workdir / "emitted" / work_id
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(output.read_bytes())
        self.inputs[work_id] = Path(path)
        self.works[work_id] = {"id": work_id, "title": output.title, "kind": output.kind,
                               "media_type": output.media_type, "recipe": None, "meta": dict(output.meta),
                               "tags": list(output.tags), "parents": list(output.parents)}
        return work_id

    def find(self, tag: str) -> list[dict]:
        return [work for work in reversed(self.works.values()) if tag in work["tags"]]

    def cleanup(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def cancel_question(ctx: Context) -> Callable[[], bool]:
    """ctx.check_cancelled() as a yes/no question, for helpers that stop an external process themselves (the
    engine calls ctx.check_cancelled() afterwards, which raises Cancelled)."""

    def cancelled() -> bool:
        try:
            ctx.check_cancelled()
        except Cancelled:
            return True
        return False

    return cancelled


class ScopedContext:
    """A Context for one step of a longer job: its progress 0..1 fills `start`..`end` of the job's, with a label.

    A pipeline (the storyboard) runs other domains' engines through it, so each step's bar moves the whole."""

    def __init__(self, ctx: Context, start: float, end: float, label: str):
        self._ctx, self._start, self._end, self._label = ctx, start, end, label

    def __getattr__(self, name: str) -> Any:  # workdir, limits, input_path, emit, find, check_cancelled...
        return getattr(self._ctx, name)

    def progress(self, fraction: float, message: str = "", preview: dict | None = None) -> None:
        fraction = max(0.0, min(1.0, fraction))
        text = f"{self._label}: {message}" if message else self._label
        self._ctx.progress(self._start + fraction * (self._end - self._start), text, preview)


def run_task(name: str, recipe: Recipe | dict, ctx: Context | None = None) -> list[Output]:
    """Run one task in this process, without the studio (validates a dict recipe first)."""
    spec = get_task(name)
    if isinstance(recipe, dict):
        recipe = spec.recipe_class().model_validate(recipe)
    if recipe.seed is None:
        recipe = recipe.model_copy(update={"seed": new_seed()})
    return spec.engine_function()(recipe, ctx or LocalContext())
