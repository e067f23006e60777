"""The `muselab` command: init, serve, jobs, library, and one group per creative domain."""

from __future__ import annotations

import ipaddress
import logging

import typer

from muselab.cli import jobs, library, models
from muselab.cli.common import JSON, console, fail, print_json, studio
from muselab.domains import domains, load


def build_app() -> typer.Typer:
    """The `muselab` command: the studio's own commands, then each registered domain's (muselab/domains.py)."""
    app = typer.Typer(name="muselab", help="Muselab: a local-first generative studio. 灵感工坊",
                      no_args_is_help=True, rich_markup_mode="rich")
    app.add_typer(library.app, name="library")
    app.add_typer(jobs.app, name="jobs")
    app.add_typer(models.models_app, name="models")  # domains add their commands to this one group
    for command in (init, serve, worker, tasks):
        app.command()(command)
    for domain in domains():
        if domain.cli:
            load(domain.cli)(app)
    return app


def init(json_output: bool = JSON):
    """Create the data folder and the library database (safe to run again: it only migrates)."""
    s = studio()
    info = {"data_dir": str(s.settings.data_dir), "database": s.engine.dialect.name,
            "database_url": s.engine.url.render_as_string(hide_password=True)}
    if json_output:
        print_json(info)
    else:
        console.print(f"[green]✓[/] Library ready in [bold]{info['data_dir']}[/] ({info['database']})")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str = typer.Option(None, help="Address to bind (default 127.0.0.1)."),
          port: int = typer.Option(None, help="Port (default 8000)."),
          workers: int = typer.Option(None, help="Jobs run at once."),
          log_level: str = typer.Option("info", help="uvicorn log level")):
    """Start the HTTP API and the web studio (with the job workers)."""
    import uvicorn

    from muselab.api.app import create_app

    s = studio()
    host = host or s.settings.host
    port = port or s.settings.port
    if not _loopback(host) and not s.settings.api_key:
        fail(f"binding to {host} serves other machines: set MUSELAB_API_KEY first (clients send it as a Bearer "
             "token), or bind to 127.0.0.1")
    if workers:
        s.settings.workers = workers
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    console.print(f"[bold]Muselab studio[/] on [link=http://{host}:{port}/]http://{host}:{port}/[/link]  "
                  f"(API docs: http://{host}:{port}/docs; library: {s.settings.data_dir})")
    # Keep idle connections longer than uvicorn's 5 s, so a busy client never sends on a socket being closed.
    uvicorn.run(create_app(s), host=host, port=port, log_level=log_level, timeout_keep_alive=30)


def worker(workers: int = typer.Option(None, help="Jobs run at once.")):
    """Run job workers without the web server (e.g. a second process on the same library)."""
    import signal
    import threading

    s = studio()
    executor = s.start_workers(workers)
    console.print(f"[bold]Muselab worker[/] {executor.worker_id} with {executor.workers} thread(s); Ctrl-C stops")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    s.close()


def tasks(json_output: bool = JSON):
    """List what the studio can make, with each task's recipe fields."""
    catalogue = studio().task_catalogue()
    if json_output:
        print_json(catalogue)
        return
    for t in catalogue:
        fields = ", ".join((t["recipe_schema"].get("properties") or {}).keys())
        console.print(f"[bold]{t['name']}[/]  {t['title']}\n    [dim]{fields}[/]")


app = build_app()

if __name__ == "__main__":
    app()
