"""`muselab demo`: run the built-in test engine (proves the pipeline; not a creative tool)."""

from __future__ import annotations

import typer

from muselab.cli.common import console, run_job


def register(app: typer.Typer) -> None:
    @app.command(hidden=True, help="Run the demo test engine through the job system (not a creative tool).")
    def demo(prompt: str = typer.Argument(..., help="Words woven into the test text."),
             steps: int = typer.Option(5, min=1, max=1000), step_seconds: float = typer.Option(0.2, min=0, max=60),
             seed: int = typer.Option(None, help="Seed (random when left out)."),
             json_output: bool = typer.Option(False, "--json")):
        run_job("demo.text", {"prompt": prompt, "steps": steps, "step_seconds": step_seconds, "seed": seed},
                json_output=json_output, summary=_show)


def _show(works: list[dict], _out) -> None:
    for w in works:
        console.print(f"[green]✓[/] kept {w['id']}\n{w['text']}")
