"""`muselab jobs ...`: ls, show, cancel, pause, resume, submit."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from muselab.cli.common import JSON, console, guarded, print_json, say, studio
from muselab.jobs.queue import job_to_dict

app = typer.Typer(help="The job queue: see, cancel, pause and resume work in progress.", no_args_is_help=True)


@app.command("ls")
def ls(state: str = typer.Option(None, help="queued|running|succeeded|failed|cancelled|interrupted"),
       limit: int = typer.Option(30, min=1, max=500), json_output: bool = JSON):
    """List jobs, newest first."""
    jobs, total = guarded(studio().queue.list, state, limit, 0)
    if json_output:
        print_json({"items": [job_to_dict(j) for j in jobs], "total": total, "paused": studio().queue.is_paused()})
        return
    table = Table(header_style="bold")
    for col in ("id", "task", "state", "progress", "message", "created"):
        table.add_column(col)
    for j in jobs:
        table.add_row(j.id, j.task, j.state, f"{j.progress:.0%}", (j.error or j.message or "")[:50],
                      j.created_at.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(table)
    if studio().queue.is_paused():
        console.print("[yellow]The queue is paused[/] (muselab jobs resume)")


@app.command()
def show(job_id: str, events: bool = typer.Option(False, "--events", help="Also list its progress events."),
         json_output: bool = JSON):
    """Show one job."""
    job = job_to_dict(guarded(studio().queue.get, job_id))
    if events:
        job["events"] = studio().queue.events(job_id)
    if json_output:
        print_json(job)
    else:
        console.print_json(data=job)


@app.command()
def cancel(job_id: str, json_output: bool = JSON):
    """Cancel a queued job, or ask a running one to stop."""
    job = guarded(studio().cancel, job_id)
    say(json_output, job_to_dict(job), f"{job.id}: {job.state}{' (stopping)' if job.state == 'running' else ''}")


@app.command()
def pause(json_output: bool = JSON):
    """Pause the queue: running jobs finish, queued ones wait."""
    studio().queue.set_paused(True)
    say(json_output, {"paused": True}, "queue paused")


@app.command()
def resume(json_output: bool = JSON):
    """Resume the queue."""
    studio().queue.set_paused(False)
    say(json_output, {"paused": False}, "queue resumed")


@app.command()
def submit(task: str, recipe_file: Path = typer.Argument(None, help="JSON file with the Recipe ('-' or none: {})"),
           priority: int = typer.Option(0, min=-100, max=100), key: str = typer.Option(None, help="Idempotency key"),
           json_output: bool = JSON):
    """Queue a task's Recipe for a running server or worker to pick up (returns at once)."""
    recipe = json.loads(recipe_file.read_text()) if recipe_file else {}
    job, created = guarded(studio().submit, task, recipe, priority, key, local=True)  # the CLI runs as the owner
    if json_output:
        print_json(job_to_dict(job))
    else:
        console.print(f"{'queued' if created else 'already submitted'}: {job.id}")
