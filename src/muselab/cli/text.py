"""`muselab write FORM ...` (one subcommand per form) and `muselab models ls|add|remote|rm|verify`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from muselab.cli.common import JSON, OUT, console, fail, print_json, print_works, run_job, studio, upload
from muselab.cli.models import models_app
from muselab.text.sampling import SamplingFields


def _read_story(path: Path | None, memory: str | None, author_note: str | None,
                lorebook: Path | None) -> dict | None:
    story: dict = {}
    if path:
        try:
            story = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            fail(f"--story {path}: {e}")
        if not isinstance(story, dict):
            fail(f"--story {path}: expected a JSON object with memory, author_note, lorebook...")
    if memory:
        story["memory"] = memory
    if author_note:
        story["author_note"] = author_note
    if lorebook:
        from muselab.text.story import import_lorebook

        try:
            entries = import_lorebook(lorebook.read_bytes())
        except (OSError, ValueError) as e:
            fail(f"--lorebook {lorebook}: {e}")
        story["lorebook"] = [e.model_dump() for e in entries]
    return story or None


def _make_form_command(form_name: str, needs_text: bool, help_text: str):
    # every option defaults to None (left out), so the recipe and the form own every default
    def command(
        given: str | None = typer.Argument(
            None, metavar="FILE" if needs_text else "PROMPT",
            help="The text file to work on ('-' reads stdin)" if needs_text else "What to write: an idea, a theme."),
        prompt: str | None = typer.Option(None, "--prompt", "-p", help="Instructions or direction (for text forms)."),
        model: str | None = typer.Option(None, "--model", "-m", help="Model name (muselab models ls)."),
        temperature: float | None = typer.Option(None, help="Randomness: 0 = likeliest, 0.7-1.0 creative."),
        top_p: float | None = typer.Option(None, "--top-p", help="Nucleus sampling (1 = off)."),
        top_k: int | None = typer.Option(None, "--top-k", help="Only the k likeliest tokens (0 = off)."),
        min_p: float | None = typer.Option(None, "--min-p", help="Drop tokens below min_p x the best (0 = off)."),
        repetition_penalty: float | None = typer.Option(None, "--repetition-penalty", help="1 = off."),
        max_tokens: int | None = typer.Option(None, "--max-tokens", help="Longest answer in tokens."),
        n: int | None = typer.Option(None, "--n", "-n", help="Candidates written at once (1-8; default 1)."),
        seed: int | None = typer.Option(None, help="Seed (random when left out; recorded either way)."),
        stop: list[str] = typer.Option([], "--stop", help="Stop before this string (repeatable)."),
        alternatives: int | None = typer.Option(None, "--alternatives",
                                                help="Keep the N likeliest alternatives of every token (0-20)."),
        language: str | None = typer.Option(None, help="auto (default), zh or en."),
        mode: str | None = typer.Option(None, help="chat (default), or complete (raw continuation, base models)."),
        genre: str | None = typer.Option(None, help="Genre (story, lyrics, script)."),
        characters: str | None = typer.Option(None, help="Characters (story, script)."),
        setting: str | None = typer.Option(None, help="Setting (story, script)."),
        length: str | None = typer.Option(None, help="short, medium or long."),
        tone: str | None = typer.Option(None, help="Tone (e.g. warm, playful, 豪放)."),
        style: str | None = typer.Option(None, help="Style."),
        audience: str | None = typer.Option(None, help="Audience (copy, news)."),
        poem_form: str | None = typer.Option(None, "--poem-form",
                                             help="五言绝句 (default) 七言绝句 五言律诗 七言律诗."),
        form_check: str | None = typer.Option(None, "--form-check",
                                              help="regenerate (default), flag or off (classical poems)."),
        target_language: str | None = typer.Option(None, "--to", help="translate: zh or en (default: the other)."),
        story: Path | None = typer.Option(None, "--story", exists=True, dir_okay=False,
                                          help="JSON with memory, author_note, author_note_depth, lorebook..."),
        memory: str | None = typer.Option(None, help="Story memory (always in context)."),
        author_note: str | None = typer.Option(None, "--author-note", help="Author's note (near the end)."),
        lorebook: Path | None = typer.Option(None, "--lorebook", exists=True, dir_okay=False,
                                             help="Lorebook JSON (Muselab or SillyTavern format)."),
        stream: bool = typer.Option(False, "--stream", help="Print the text as it is written (n=1)."),
        out: Path | None = OUT,
        json_output: bool = JSON,
    ):
        recipe: dict = {
            "form": form_name, "model": model, "temperature": temperature, "top_p": top_p, "top_k": top_k,
            "min_p": min_p, "repetition_penalty": repetition_penalty, "max_tokens": max_tokens, "n": n, "seed": seed,
            "stop": stop or None, "top_logprobs": alternatives, "language": language, "mode": mode, "genre": genre,
            "characters": characters, "setting": setting, "length": length, "tone": tone, "style": style,
            "audience": audience, "poem_form": poem_form, "form_check": form_check,
            "target_language": target_language, "story": _read_story(story, memory, author_note, lorebook),
        }
        if needs_text or mode == "complete":
            if given is None:
                fail(f"give the text to work on: muselab write {form_name} FILE (or '-' for stdin)")
            if given == "-":
                recipe["text"] = sys.stdin.read()
            else:
                recipe["text_work_id"] = upload(Path(given), "FILE")  # kept, so the new texts link back to it
            recipe["prompt"] = prompt
        else:
            recipe["prompt"] = " ".join(x for x in (given, prompt) if x) or None
        one = (n if n is not None else SamplingFields.model_fields["n"].default) == 1
        streaming = stream and one and not json_output

        def summary(works: list[dict], out: Path | None) -> None:
            for w in works:
                if not streaming:
                    console.rule(f"[bold]{w['title']}[/]" if len(works) > 1 else "")
                    console.print(w.get("text") or "", markup=False, highlight=False)
                check = (w.get("meta") or {}).get("form_check")
                if check and not check.get("ok"):
                    console.print(f"[yellow]form check failed:[/] {'; '.join(check.get('problems', []))}")
            print_works(works, out)

        run_job("text.generate", recipe, json_output=json_output, out=out, stream_text=streaming, summary=summary)

    command.__doc__ = help_text
    return command


def register(app: typer.Typer) -> None:
    write = typer.Typer(help="Write with a local language model: stories, poems, scripts, copy, edits. 写作",
                        no_args_is_help=True)
    from muselab.text.forms import FormError, load_forms

    try:
        forms = load_forms()
    except FormError as e:  # a broken user form must not break the whole CLI
        console.print(f"[yellow]warning:[/] {e}")
        from muselab.text.forms import BUILTIN_DIR, parse_form

        forms = {p.stem: parse_form(json.loads(p.read_text(encoding="utf-8")), p.name)
                 for p in sorted(BUILTIN_DIR.glob("*.json"))}
    for name, form in forms.items():
        help_text = f"{form.title['en']} · {form.title['zh']}: {form.description['en']}"
        write.command(name.replace("_", "-"), help=help_text)(_make_form_command(name, form.needs == "text", help_text))
        if name == "ad_copy":
            write.command("copy", help=help_text, hidden=True)(_make_form_command(name, False, help_text))

    @write.command("forms", help="List the forms (built-in and yours).")
    def list_forms(json_output: bool = JSON):
        _show([f.public() for f in load_forms().values()], json_output,
              lambda f: f"[bold]{f['name']:<15}[/] {f['title']['en']} · {f['title']['zh']}  [dim]{f['source']}[/]")

    app.add_typer(write, name="write")
    _register_models(models_app)  # `muselab models …`, shared with the trained models of the training studio


def _show(result: dict | list[dict], json_output: bool, line: Callable[[dict], str]) -> None:
    """A command's result as JSON, or as one line per item."""
    if json_output:
        print_json(result)
        return
    for item in result if isinstance(result, list) else [result]:
        console.print(line(item))


def _registry():
    from muselab.models import Registry

    return Registry(studio().settings.models_dir)


def _on_registry(action: Callable[[Any], dict], json_output: bool, said: Callable[[dict], str]) -> None:
    """Run one change or check on the model registry; print its result as JSON or as one line. A ModelError
    (unknown name, bad file, hash mismatch) exits with its message."""
    from muselab.models import ModelError

    try:
        result = action(_registry())
    except ModelError as e:
        fail(str(e))
    _show(result, json_output, said)


def _register_models(models: typer.Typer) -> None:
    @models.command("ls", help="List models and whether they are available.")
    def models_ls(json_output: bool = JSON):
        def line(m: dict) -> str:
            state = "[green]ready[/]" if m["available"] else f"[red]missing[/] ({m['install']})"
            where = m["path"] or m["base_url"] or ""
            return f"[bold]{m['name']:<30}[/] {m['kind']:<8} {state}  {m['title']}  [dim]{where}[/]"

        _show([m.public() for m in _registry().list()], json_output, line)

    @models.command("add", help="Register a GGUF file (hashed now, verified before each first load).")
    def models_add(path: Path = typer.Argument(..., exists=True, dir_okay=False),
                   name: str | None = typer.Option(None, help="Name to use (default: from the file name)."),
                   license: str = typer.Option("", help="The model's license, to show with it."),
                   json_output: bool = JSON):
        _on_registry(lambda r: r.add_file(path, name=name, license=license).public(), json_output,
                     lambda m: f"[green]✓[/] added {m['name']} ({m['title']}, sha256 {m['sha256'][:12]}…)")

    @models.command("remote", help="Register an OpenAI-compatible server (Ollama, vLLM, llama.cpp server, OpenAI).")
    def models_remote(name: str, base_url: str, model: str,
                      api_key_env: str | None = typer.Option(None, help="Environment variable holding the key."),
                      context_length: int | None = typer.Option(None, help="The model's window in tokens."),
                      json_output: bool = JSON):
        _on_registry(lambda r: r.add_remote(name, base_url, model, api_key_env=api_key_env,
                                            context_length=context_length).public(), json_output,
                     lambda m: f"[green]✓[/] added remote {m['name']}: {m['title']}")

    @models.command("rm", help="Forget a user-added model or remote (the file itself is left alone).")
    def models_rm(name: str, json_output: bool = JSON):
        def remove(registry) -> dict:
            registry.remove(name)
            return {"removed": name}

        _on_registry(remove, json_output, lambda r: f"[green]✓[/] removed {r['removed']}")

    @models.command("verify", help="Join (if needed) and re-hash a local model against its recorded SHA-256.")
    def models_verify(name: str = typer.Argument(None, help="Model name (default: the default model)."),
                      json_output: bool = JSON):
        from muselab.models import DEFAULT_MODEL

        _on_registry(lambda r: r.verify(name or DEFAULT_MODEL), json_output,
                     lambda v: f"[green]✓[/] {v['name']}: SHA-256 {v['sha256']} matches ({v['path']})")
