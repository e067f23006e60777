"""Shared fixtures: a fresh studio per test, on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import os
import secrets

import pytest

from muselab.config import Settings

PG_URL = os.environ.get("MUSELAB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_reason() -> str | None:
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"


PG_SKIP_REASON = _pg_reason()


@pytest.fixture
def pg_url():
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if PG_SKIP_REASON:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires the PostgreSQL tests: {PG_SKIP_REASON}")
        pytest.skip(PG_SKIP_REASON)
    from sqlalchemy import create_engine, text

    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def make_settings(tmp_path, db_url: str | None = None, **kw) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url, **kw)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def studio(request, tmp_path):
    """A Studio on a fresh database of each kind, without workers (tests start them when needed)."""
    from muselab.studio import Studio

    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    s = Studio(make_settings(tmp_path, url))
    yield s
    s.close()


@pytest.fixture
def sqlite_studio(tmp_path):
    from muselab.studio import Studio

    s = Studio(make_settings(tmp_path))
    yield s
    s.close()


@pytest.fixture
def live_server(sqlite_studio):
    """The studio's app served by uvicorn on a free 127.0.0.1 port in this process (for browser tests)."""
    import socket
    import threading
    import time

    import uvicorn

    from muselab.api.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(sqlite_studio), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
