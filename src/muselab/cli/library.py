"""`muselab library ...`: list, show, search, tag, star, export, import, rm."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from muselab.cli.common import JSON, console, fail, guarded, print_json, say, studio
from muselab.library import archive
from muselab.library.store import WorkFilter, work_to_dict

app = typer.Typer(help="Your Works: find, tag, star, export and import them.", no_args_is_help=True)


def _table(works, total: int) -> None:
    table = Table(show_lines=False, header_style="bold")
    for col in ("id", "kind", "title", "tags", "★", "created"):
        table.add_column(col)
    for w in works:
        table.add_row(w.id, w.kind, (w.title or "")[:48], ",".join(sorted(t.tag for t in w.tags)),
                      "★" if w.starred else "", w.created_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table)
    console.print(f"[dim]{len(works)} of {total}[/]")


def _list(flt: WorkFilter, json_output: bool) -> None:
    works, total = guarded(studio().library.list, flt)
    if json_output:
        print_json({"items": [work_to_dict(w, full=False) for w in works], "total": total})
    else:
        _table(works, total)


@app.command("ls")
def ls(kind: str = typer.Option(None), tag: str = typer.Option(None), board: str = typer.Option(None),
       starred: bool = typer.Option(None, "--starred/--not-starred"), model: str = typer.Option(None),
       limit: int = typer.Option(50, min=1, max=500), offset: int = typer.Option(0, min=0), json_output: bool = JSON):
    """List Works, newest first."""
    _list(WorkFilter(kind=kind, tag=tag, board=board, starred=starred, model=model, limit=limit, offset=offset),
          json_output)


@app.command()
def search(query: str, kind: str = typer.Option(None), tag: str = typer.Option(None),
           limit: int = typer.Option(50, min=1, max=500), json_output: bool = JSON):
    """Full-text search over titles, prompts and text (Chinese too: 秋风)."""
    _list(WorkFilter(query=query, kind=kind, tag=tag, limit=limit), json_output)


@app.command()
def show(work_id: str, json_output: bool = JSON):
    """Show one Work with its Recipe."""
    work = guarded(studio().library.get, work_id)
    data = work_to_dict(work)
    if json_output:
        print_json(data)
        return
    console.print(f"[bold]{data['title'] or '(untitled)'}[/]  [dim]{data['id']}[/]")
    for key in ("kind", "media_type", "task", "model", "seed", "authorship", "status", "created_at", "tags",
                "parents", "sha256"):
        if data.get(key) not in (None, [], ""):
            console.print(f"  {key:<11} {data[key]}")
    console.print(f"  {'file':<11} {studio().library.content_path(work)}")
    if data.get("recipe"):
        console.print_json(data=data["recipe"])
    if data.get("text"):
        console.print(data["text"][:2000])


@app.command()
def tag(work_id: str, add: list[str] = typer.Option([], "--add", "-a"),
        remove: list[str] = typer.Option([], "--remove", "-r"), json_output: bool = JSON):
    """Add or remove tags."""
    work = guarded(studio().library.tag, work_id, add, remove)
    if json_output:
        print_json(work_to_dict(work, full=False))
    else:
        console.print(f"{work.id}: {', '.join(sorted(t.tag for t in work.tags)) or '(no tags)'}")


@app.command()
def star(work_id: str, off: bool = typer.Option(False, "--off", help="Remove the star."), json_output: bool = JSON):
    """Star a Work (or --off)."""
    work = guarded(studio().library.star, work_id, not off)
    say(json_output, {"id": work.id, "starred": work.starred}, f"{work.id}: {'★' if work.starred else 'not starred'}")


@app.command()
def board(name: str, work_ids: list[str], remove: bool = typer.Option(False, "--remove"), json_output: bool = JSON):
    """Put Works on a board (created when new), or take them off with --remove."""
    lib = studio().library
    guarded(lib.remove_from_board if remove else lib.add_to_board, name, work_ids)
    say(json_output, {"board": name, "removed" if remove else "added": work_ids},
        f"board {name!r}: {'removed' if remove else 'added'} {len(work_ids)} work(s)")


@app.command("rm")
def rm(work_ids: list[str], yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
       json_output: bool = JSON):
    """Delete Works (their files go too unless another Work shares them)."""
    if not yes and not typer.confirm(f"Delete {len(work_ids)} work(s)?"):
        raise typer.Abort()
    for wid in work_ids:
        guarded(studio().library.delete, wid)
        if not json_output:
            console.print(f"deleted {wid}")
    if json_output:
        print_json({"deleted": work_ids})


@app.command()
def restore(work_id: str, remix: bool = typer.Option(False, "--remix", help="Fresh seed ('all but the seed')."),
            run: bool = typer.Option(False, "--run", help="Make it again now."), json_output: bool = JSON):
    """Print (or --run) the task and Recipe that made a Work."""
    from muselab.cli.common import run_job

    lib = studio().library
    restored = guarded(lib.remix if remix else lib.restore, work_id)
    if run:
        run_job(restored["task"], restored["recipe"], json_output=json_output)
    elif json_output:
        print_json(restored)
    else:
        console.print(f"[bold]{restored['task']}[/]")
        console.print_json(data=restored["recipe"])


@app.command("export")
def export(destination: Path, work_ids: list[str] = typer.Argument(None), board: str = typer.Option(None),
           no_parents: bool = typer.Option(False, "--no-parents", help="Leave out the Works these derive from."),
           json_output: bool = JSON):
    """Write Works (or a board) to a zip with their files and a manifest of recipes and links."""
    info = guarded(archive.export_zip, studio().library, destination, work_ids or [], board, not no_parents)
    say(json_output, info, f"[green]✓[/] exported {info['works']} work(s), {info['files']} file(s) to {info['path']}")


@app.command("import")
def import_(source: Path, json_output: bool = JSON):
    """Add the Works of an export zip to this library (Works already here are skipped)."""
    if not source.is_file():
        fail(f"file: {source} does not exist")
    info = guarded(archive.import_zip, studio().library, source)
    if json_output:
        print_json(info)
    else:
        console.print(f"[green]✓[/] imported {len(info['added'])} work(s); skipped {len(info['skipped'])} already here")


@app.command()
def add(path: Path, title: str = typer.Option(None), tags: list[str] = typer.Option([], "--tag"),
        json_output: bool = JSON):
    """Keep one of your own files (photo, MIDI, text) in the library, e.g. as input for a task."""
    if not path.is_file():
        fail(f"path: {path} is not a file")
    work = guarded(studio().upload, path, path.name, None, title, tags)
    if json_output:
        print_json(work_to_dict(work))
    else:
        console.print(f"[green]✓[/] kept {work.id} ({work.kind}, {work.media_type})")
