"""Helpers every CLI command group shares: the studio, running a job with a progress bar, printing."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from muselab.errors import StudioError
from muselab.jobs.models import SUCCEEDED
from muselab.jobs.queue import job_to_dict
from muselab.library.store import default_filename, work_to_dict

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


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def run_job(task: str, recipe: dict, json_output: bool = False, priority: int = 0,
            stream_text: bool = False) -> list[dict]:
    """Submit a Recipe and run it here with a Rich progress bar (Ctrl-C cancels); returns the Works made."""
    s = studio()
    try:
        job, _ = s.submit(task, recipe, priority, local=True)  # the CLI runs as the owner
    except StudioError as exc:
        fail(describe(exc))
    cancel = threading.Event()
    result: dict = {}

    def work():
        result["job"] = s.run_here(job.id, cancel)

    runner = threading.Thread(target=work, daemon=True)
    runner.start()
    shown_text = ""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[message]}"), console=err_console, transient=json_output,
                  disable=json_output or stream_text) as bar:
        bar_task = bar.add_task(task, total=1.0, message="")
        seq = 0
        try:
            while runner.is_alive():
                runner.join(0.1)
                for event in s.queue.events(job.id, after_seq=seq):
                    seq = event["seq"]
                    if event["fraction"] is not None:
                        bar.update(bar_task, completed=event["fraction"], message=event["message"][:60])
                    preview = event.get("data") or {}
                    if stream_text and isinstance(preview.get("text"), str):
                        new = preview["text"]
                        if new.startswith(shown_text):
                            sys.stdout.write(new[len(shown_text):])
                        else:
                            sys.stdout.write("\n" + new)
                        sys.stdout.flush()
                        shown_text = new
        except KeyboardInterrupt:
            cancel.set()
            s.queue.cancel(job.id)
            runner.join()
            fail("cancelled", 130)
    if stream_text and shown_text:
        sys.stdout.write("\n")
    final = result.get("job") or s.queue.get(job.id)
    works = [work_to_dict(s.library.get(wid)) for wid in final.work_ids or []]
    if json_output:
        print_json({"job": job_to_dict(final), "works": works})
    if final.state != SUCCEEDED:
        fail(f"job {final.id} {final.state}: {final.error or final.message}")
    return works


def save_works(works: list[dict], out_dir: Path | None) -> list[Path]:
    """Copy the Works' files to out_dir (if given) and print where each one is."""
    s = studio()
    paths = []
    for w in works:
        src = s.library.blobs.path(w["sha256"])
        if out_dir:
            out_dir.mkdir(parents=True, exist_ok=True)
            dest = out_dir / (w.get("filename") or default_filename(s.library.get(w["id"])))
            shutil.copyfile(src, dest)
        else:
            dest = src
        paths.append(dest)
        console.print(f"[green]✓[/] {w['kind']:<6} {w['id']}  {w['title'][:50]!s:<50}  {dest}")
    return paths
