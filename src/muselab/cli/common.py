"""Helpers every CLI command group shares: the studio, running a job with a progress bar, printing."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from muselab.errors import StudioError
from muselab.jobs.models import SUCCEEDED, Job
from muselab.jobs.queue import job_to_dict
from muselab.library.store import default_filename, work_to_dict

JSON = typer.Option(False, "--json", help="Print machine-readable JSON (stdout holds only the JSON).")
OUT = typer.Option(None, "--out", "-o", help="Copy the files made to this folder (also with --json).")

console = Console()
err_console = Console(stderr=True)
_studio = None


def studio():
    """The studio for this command (opened once, migrations applied)."""
    global _studio
    if _studio is None:
        from muselab.config import Settings
        from muselab.studio import Studio

        _studio = Studio(Settings())  # read the environment now (tests change it between commands)
    return _studio


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def describe(exc: StudioError) -> str:
    """A studio error for the terminal: the field first, unless the message already starts with it."""
    if exc.field and not exc.message.startswith(exc.field):
        return f"{exc.field}: {exc.message}"
    return exc.message


def guarded(fn: Callable, *args, **kwargs):
    """Call a studio function; a StudioError becomes a clear exit naming the field."""
    try:
        return fn(*args, **kwargs)
    except StudioError as exc:
        fail(describe(exc))


def say(json_output: bool, data: Any, line: str) -> None:
    """The result of a command: as JSON with --json, else one line for people."""
    if json_output:
        print_json(data)
    else:
        console.print(line)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


class JobView:
    """How a job looks in the terminal while it runs: a Rich progress bar (or, with stream_text, the text
    as it is written). Domains with more to show subclass it (training: a live loss table)."""

    stop_hint = "cancelled"

    def __init__(self, task: str, json_output: bool = False, stream_text: bool = False):
        self.task = task
        self.stream_text = stream_text
        self.shown_text = ""
        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                            TimeElapsedColumn(), TextColumn("{task.fields[message]}"), console=err_console,
                            transient=json_output, disable=json_output or stream_text)
        self.bar_task = None

    def __enter__(self) -> JobView:
        self.bar.__enter__()
        self.bar_task = self.bar.add_task(self.task, total=1.0, message="")
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)
        if self.stream_text and self.shown_text:
            sys.stdout.write("\n")

    def show(self, event: dict) -> None:
        if event["fraction"] is not None:
            self.bar.update(self.bar_task, completed=event["fraction"], message=event["message"][:60])
        text = (event.get("data") or {}).get("text")
        if self.stream_text and isinstance(text, str):
            sys.stdout.write(text[len(self.shown_text):] if text.startswith(self.shown_text) else "\n" + text)
            sys.stdout.flush()
            self.shown_text = text

    def interrupted(self, job_id: str) -> str:
        """What to say when Ctrl-C stopped the job."""
        return self.stop_hint


def follow(job_id: str, view: JobView) -> Job:
    """Run a queued job here (or wait for the server that took it), showing its events; Ctrl-C cancels.

    The runner thread signals an Event when it ends; the loop waits on that, never on Thread.join: a
    Ctrl-C inside join() leaves Python believing the thread ended while the engine still runs."""
    s = studio()
    cancel, done = threading.Event(), threading.Event()
    result: dict = {}

    def runner() -> None:
        try:
            result["job"] = s.run_here(job_id, cancel)
        finally:
            done.set()

    threading.Thread(target=runner, daemon=True).start()
    seq = 0

    def show_new_events() -> None:
        nonlocal seq
        for event in s.queue.events(job_id, after_seq=seq):
            seq = event["seq"]
            view.show(event)

    with view:
        try:
            while not done.wait(0.1):
                show_new_events()
            show_new_events()
        except KeyboardInterrupt:
            cancel.set()
            s.queue.cancel(job_id)
            while not done.wait(0.5):  # the engine stops at its next progress report and keeps what it made
                pass
            fail(view.interrupted(job_id), 130)
    return result.get("job") or s.queue.get(job_id)


def run_job(task: str, recipe: dict, json_output: bool = False, out: Path | None = None, priority: int = 0,
            view: JobView | None = None, stream_text: bool = False,
            summary: Callable[[list[dict], Path | None], None] | None = None) -> list[dict]:
    """Submit a Recipe and run it here with a live view (Ctrl-C cancels). --out copies the files made (with
    --json too); --json prints the job and Works as JSON, else `summary` (default: a line per Work) shows them.
    Exits with the job's error if it fails."""
    s = studio()
    try:
        job, _ = s.submit(task, clean(recipe), priority, local=True)  # the CLI runs as the owner
    except StudioError as exc:
        fail(describe(exc))
    final = follow(job.id, view or JobView(task, json_output, stream_text))
    return report(final, json_output, out, summary)


def report(job: Job, json_output: bool, out: Path | None,
           summary: Callable[[list[dict], Path | None], None] | None = None) -> list[dict]:
    """The Works a finished job made: copied to `out`, then as JSON or a summary; exits if the job failed."""
    s = studio()
    works = [work_to_dict(s.library.get(wid)) for wid in job.work_ids or []]
    if json_output:
        print_json({"job": job_to_dict(job), "works": works})
    if job.state != SUCCEEDED:
        fail(f"job {job.id} {job.state}: {job.error or job.message}")
    copy_works(works, out)
    if not json_output:
        (summary or print_works)(works, out)
    return works


def clean(recipe: dict) -> dict:
    """A recipe without the options left unset, so the recipe's own defaults apply."""
    return {key: value for key, value in recipe.items() if value is not None}


def upload(path: Path, option: str) -> str:
    """Keep a local file (a photo, a MIDI primer) as a Work for a recipe to name; its id."""
    if not path.is_file():
        fail(f"{option}: file {str(path)!r} not found")
    try:
        return studio().upload(path, path.name).id
    except StudioError as exc:
        fail(f"{option}: {describe(exc)}")


def work_ref(ref: str, option: str, **upload_options) -> str:
    """A Work id for a recipe from what a person typed: a local file (kept in the library first) or a Work id."""
    path = Path(ref).expanduser()
    if path.is_file():
        return guarded(studio().upload, path, path.name, **upload_options).id
    try:
        studio().library.get(ref)
    except StudioError:
        fail(f"{option}: {ref!r} is neither a file nor a Work id")
    return ref


def work(work_id: str, kind: str | None = None) -> dict:
    """A Work of the library as a dict, or a clear exit (optionally: it must be of this kind)."""
    try:
        found = work_to_dict(studio().library.get(work_id))
    except StudioError:
        fail(f"no work {work_id!r} in the library")
    if kind and found["kind"] != kind:
        fail(f"{work_id} is a {found['kind']}, not a {kind}")
    return found


def copy_works(works: list[dict], out_dir: Path | None) -> list[Path]:
    """Copy the Works' files to out_dir; their paths there."""
    if not out_dir:
        return []
    s = studio()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for w in works:
        dest = out_dir / (w.get("filename") or default_filename(s.library.get(w["id"])))
        shutil.copyfile(s.library.blobs.path(w["sha256"]), dest)
        paths.append(dest)
    return paths


def where(work: dict, out_dir: Path | None) -> Path:
    """Where a Work's file is for the person: in --out if it was copied there, else in the library."""
    s = studio()
    if out_dir:
        return out_dir / (work.get("filename") or default_filename(s.library.get(work["id"])))
    return s.library.blobs.path(work["sha256"])


def print_works(works: list[dict], out_dir: Path | None = None) -> None:
    """A line per Work: kind, id, title and where its file is."""
    for w in works:
        console.print(f"[green]✓[/] {w['kind']:<6} {w['id']}  {w['title'][:50]!s:<50}  {where(w, out_dir)}")
