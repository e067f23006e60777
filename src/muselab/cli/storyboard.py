"""`muselab storyboard …`: create (from an idea, your story or a poem), show, edit, render. 分镜故事板"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from muselab.cli.common import JSON, OUT, console, fail, print_json, print_works, run_job, studio, work, work_ref

storyboard_app = typer.Typer(help="Storyboards: one idea, story or poem becomes a narrated, scored, subtitled short "
                                  "film. 故事板", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(storyboard_app, name="storyboard")


def _board(work_id: str) -> dict:
    """The storyboard document a Work holds."""
    found = work(work_id)
    if found["media_type"] != "application/json" or found["task"] not in ("storyboard.plan", "storyboard.edit"):
        fail(f"{work_id} is not a storyboard (a Work made by `muselab storyboard create` or `edit`)")
    return json.loads(studio().library.content_path(studio().library.get(work_id)).read_text(encoding="utf-8"))


def _show(board: dict, work_id: str) -> None:
    table = Table(title=f"{board.get('title') or '(untitled)'}  ·  {work_id}", header_style="bold")
    for column in ("#", "seconds", "mood", "caption", "picture"):
        table.add_column(column)
    for i, shot in enumerate(board["shots"], 1):
        table.add_row(str(i), f"{shot['duration']:g}", shot["mood"], shot["caption"] or shot["narration"],
                      shot.get("picture_work_id") or shot["picture_prompt"])
    console.print(table)
    console.print(f"{board['language']} · {board['mode']} · music {board['music_mood']} · "
                  f"{sum(s['duration'] for s in board['shots']):g} s")


def _summary(works: list[dict], out: Path | None) -> None:
    for w in works:
        if w["task"] in ("storyboard.plan", "storyboard.edit") and w["media_type"] == "application/json":
            _show(_board(w["id"]), w["id"])
    print_works(works, out)


@storyboard_app.command()
def create(idea: str = typer.Argument(None, help="An idea in a sentence; the story is written from it."),
           text: str = typer.Option(None, "--text", help="Your own story or poem: a file, or '-' for stdin."),
           shots: int = typer.Option(None, help="How many shots (a poem: one per line)."),
           seconds: float = typer.Option(None, help="Length of the film."),
           poem: bool = typer.Option(None, "--poem/--story", help="诗配画 for a classical poem (default: detected)."),
           model: str = typer.Option(None, help="Language model (muselab models ls)."),
           render: bool = typer.Option(False, "--render", help="Render the film right away."),
           out: Path = OUT, json_output: bool = JSON):
    """Plan a storyboard from an idea, or from your own story or poem. 创建"""
    if bool(idea) == bool(text):
        fail("give an idea (as the argument) or --text FILE (your story or poem), not both")
    recipe: dict = {"prompt": idea or "", "shots": shots, "seconds": seconds, "model": model,
                    "mode": None if poem is None else ("poem" if poem else "story")}
    if text:
        source = sys.stdin.read() if text == "-" else (Path(text).read_text(encoding="utf-8")
                                                     if Path(text).is_file() else None)
        if source is None:
            fail(f"--text: no such file {text!r}")
        recipe["text"] = source
    works = run_job("storyboard.plan", recipe, json_output=json_output and not render, out=None if render else out,
                    summary=_summary)
    if render:
        board = next(w for w in works if w["media_type"] == "application/json")
        run_job("storyboard.render", {"storyboard_work_id": board["id"]}, json_output=json_output, out=out)


@storyboard_app.command()
def show(storyboard: str = typer.Argument(..., help="A storyboard Work id."), json_output: bool = JSON):
    """Show a storyboard's shots. 查看"""
    board = _board(storyboard)
    if json_output:
        print_json(board)
    else:
        _show(board, storyboard)


@storyboard_app.command()
def edit(storyboard: str = typer.Argument(..., help="A storyboard Work id."),
         shot: int = typer.Option(None, help="Which shot to change (1 is the first)."),
         caption: str = typer.Option(None), narration: str = typer.Option(None),
         picture: str = typer.Option(None, help="A picture file or Work id for the shot."),
         picture_prompt: str = typer.Option(None, "--picture-prompt", help="Paint the shot from this instead."),
         duration: float = typer.Option(None, help="Seconds on screen."),
         move_to: int = typer.Option(None, "--move-to", help="Move the shot to this place."),
         delete: bool = typer.Option(False, "--delete", help="Remove the shot."),
         title: str = typer.Option(None),
         render: bool = typer.Option(False, "--render", help="Render the edited storyboard (re-using what is "
                                     "unchanged)."),
         out: Path = OUT, json_output: bool = JSON):
    """A new storyboard with one shot changed (the old one stays); --render makes its film again. 编辑"""
    change = {"caption": caption, "narration": narration, "picture_prompt": picture_prompt, "duration": duration,
              "move_to": move_to, "picture_work_id": work_ref(picture, "--picture") if picture else None}
    change = {key: value for key, value in change.items() if value is not None}
    if delete:
        change["delete"] = True
    if (change and shot is None) or (not change and title is None):
        fail("say what to change: --shot N with --caption, --narration, --picture, --picture-prompt, --duration, "
             "--move-to or --delete; or --title")
    edits = [{"shot": shot, **change}] if change else []
    works = run_job("storyboard.edit", {"storyboard_work_id": storyboard, "title": title, "edits": edits},
                    json_output=json_output and not render, out=None if render else out, summary=_summary)
    if render:
        board = next(w for w in works if w["media_type"] == "application/json")
        run_job("storyboard.render", {"storyboard_work_id": board["id"]}, json_output=json_output, out=out)


@storyboard_app.command("render")
def render_(storyboard: str = typer.Argument(..., help="A storyboard Work id."),
            aspect: str = typer.Option(None, help="16:9, 9:16, 1:1 or 4:5."),
            height: int = typer.Option(None, help="Picture height in pixels (720)."),
            transition: str = typer.Option(None, help="fade, dissolve, wipeleft, … or cut."),
            voice: str = typer.Option(None, help="Narration voice (muselab speech voices)."),
            narrate: bool = typer.Option(None, "--narrate/--no-narrate", help="Read the narration aloud."),
            music: str = typer.Option(None, help="Music file or Work id (default: composed to the mood)."),
            no_music: bool = typer.Option(False, "--no-music", help="No music."),
            out: Path = OUT, json_output: bool = JSON):
    """Make the film: pictures, narration, music, subtitles, title and credits; unchanged parts are re-used. 渲染"""
    recipe = {"storyboard_work_id": storyboard, "aspect": aspect, "height": height, "transition": transition,
              "voice": voice, "narrate": narrate, "music": False if no_music else None,
              "music_work_id": work_ref(music, "--music") if music else None}
    run_job("storyboard.render", recipe, json_output=json_output, out=out)
