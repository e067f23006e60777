"""A domain is registered once (muselab/domains.py) and every face finds it; the import graph has no cycles."""

from __future__ import annotations

import ast
import graphlib
import json
import sys
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from muselab.domains import DOMAINS, Domain, register_domain, unregister_domain

TOY = {
    "__init__.py": """
        from muselab.engines import TaskSpec
        TASKS = [TaskSpec("toy.echo", "toy_studio.recipe:EchoRecipe", "toy_studio.engine:echo", "Echo a word")]
    """,
    "recipe.py": """
        from pydantic import Field
        from muselab.engines import Recipe
        class EchoRecipe(Recipe):
            word: str = Field(min_length=1, max_length=50)
    """,
    "engine.py": """
        from muselab.engines import Output
        def echo(recipe, ctx):
            ctx.progress(1.0, "echoed")
            return [Output(kind="text", media_type="text/plain", data=recipe.word.encode(), title=recipe.word)]
    """,
    "cli.py": """
        import typer
        from muselab.cli.common import JSON, run_job
        def register(app):
            toy = typer.Typer(help="Toy studio: echoes a word.")
            @toy.command()
            def echo(word: str, json_output: bool = JSON):
                run_job("toy.echo", {"word": word}, json_output=json_output)
            app.add_typer(toy, name="toy")
    """,
    "api.py": """
        from fastapi import APIRouter
        router = APIRouter()
        @router.get("/v1/toy/words", tags=["toy"])
        def words():
            return {"items": ["ping", "pong"]}
    """,
    "web.py": """
        from fastapi import APIRouter, Request
        from fastapi.responses import HTMLResponse
        router = APIRouter(include_in_schema=False)
        PAGE = {"title": "Toy", "subtitle": "玩具", "path": "/toy", "order": 60}
        @router.get("/toy", response_class=HTMLResponse)
        def toy_page(request: Request):
            return HTMLResponse("<h1>toy</h1>")
    """,
}


@pytest.fixture
def toy_domain(tmp_path, monkeypatch):
    """A domain written from scratch outside the package, registered in ONE place."""
    package = tmp_path / "toy_studio"
    package.mkdir()
    for name, source in TOY.items():
        (package / name).write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    register_domain(Domain("toy", tasks="toy_studio", cli="toy_studio.cli:register",
                           api="toy_studio.api:router", web="toy_studio.web:router"))
    yield
    unregister_domain("toy")
    for module in [m for m in sys.modules if m == "toy_studio" or m.startswith("toy_studio.")]:
        del sys.modules[module]


def test_a_registered_domain_reaches_every_face(toy_domain, tmp_path, monkeypatch):
    from muselab.api.app import create_app
    from muselab.cli import common
    from muselab.cli.main import build_app
    from muselab.config import Settings
    from muselab.studio import Studio

    # the CLI
    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setattr(common, "_studio", None)
    cli = build_app()
    assert "toy" in CliRunner().invoke(cli, ["--help"]).output
    result = CliRunner().invoke(cli, ["toy", "echo", "ping", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["works"][0]["title"] == "ping"
    common._studio.close()

    # the API and the web studio
    studio = Studio(Settings(data_dir=tmp_path / "api"))
    try:
        with TestClient(create_app(studio), base_url="http://127.0.0.1") as client:
            assert "/v1/toy/words" in client.get("/openapi.json").json()["paths"]
            assert "toy.echo" in {t["name"] for t in client.get("/v1/tasks").json()["items"]}
            assert 'href="/toy"' in client.get("/").text, "the page is in the navigation"
            assert client.get("/toy").text == "<h1>toy</h1>"
            job = client.post("/v1/jobs", json={"task": "toy.echo", "recipe": {"word": "pong"}}).json()
            assert studio.wait(job["id"], timeout=30).state == "succeeded"
    finally:
        studio.close()


def test_every_built_in_face_loads():
    from muselab.domains import load

    for domain in DOMAINS:
        for face in (domain.cli, domain.api, domain.web):
            if face:
                assert load(face) is not None, face


def import_graph(src: Path, package: str) -> dict[str, set[str]]:
    """Which modules of the package each module imports (statically, nested imports included)."""
    modules = {".".join(p.relative_to(src).with_suffix("").parts).removesuffix(".__init__"): p
               for p in (src / package).rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        base = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                root = node.module or ""
                if node.level:
                    parts = base.split(".")
                    root = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
                names = [root] + [f"{root}.{a.name}" for a in node.names]
            else:
                continue
            graph[module] |= {n for n in names if n in modules and n != module}
    return graph


def test_the_import_graph_has_no_cycles():
    """Dependencies point down only (faces -> studio -> jobs -> domains -> library/models -> ground floor)."""
    graph = import_graph(Path(__file__).parents[2] / "src", "muselab")
    assert len(graph) > 100
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_every_command_that_prints_a_result_has_json():
    import click
    from typer.main import get_command

    from muselab.cli.main import build_app

    def commands(group, path=()):
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from commands(command, (*path, name))
            else:
                yield " ".join((*path, name)), command

    servers = {"serve", "worker"}  # they run until stopped; nothing to print as JSON
    missing = [name for name, command in commands(get_command(build_app()))
               if name not in servers and "--json" not in {o for p in command.params for o in getattr(p, "opts", [])}]
    assert missing == []
