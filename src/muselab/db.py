"""Database engine, sessions and automatic migrations (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from muselab.ids import utcnow

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    pass


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # WAL: readers never wait for the writer
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA cache_size=-65536")  # 64 MB page cache per connection (default 2 MB)
            cursor.execute("PRAGMA temp_store=MEMORY")  # sorts of search results stay off the disk
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (safe to call on every start)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _migration_lock(engine), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One process migrates at a time (a server and a CLI started together on a new library)."""
    if is_sqlite(engine) and engine.url.database and engine.url.database != ":memory:":
        import fcntl

        with open(f"{engine.url.database}.migrate-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # a session-level advisory lock, released on unlock or disconnect
            conn.exec_driver_sql("SELECT pg_advisory_lock(7265730)")
            try:
                yield
            finally:
                conn.exec_driver_sql("SELECT pg_advisory_unlock(7265730)")
                conn.commit()
    else:
        yield


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session, session.begin():
        yield session


def lock_names(session: Session, names: Iterable[str]) -> None:
    """Hold a lock on each name until this session's transaction ends.

    On PostgreSQL these are transaction-level advisory locks, taken in sorted order so two transactions
    never wait on each other in a circle. SQLite has one write lock for the whole database, which a
    transaction holds from its first write until it ends; so callers must write before they call this,
    and it refuses to run on SQLite when nothing has been written yet."""
    if is_sqlite(session.get_bind()):
        if not session.connection().connection.driver_connection.in_transaction:
            raise RuntimeError("on SQLite, write a row (and flush) before taking a lock: the write takes the lock")
        return
    for name in sorted(set(names)):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})


def _lock_key(name: str) -> int:
    """A name as the signed 64-bit number advisory locks are keyed by."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def clock(session: Session) -> ColumnElement | datetime:
    """The value to store for "now": the database server's clock when several machines share it (theirs may
    disagree), Python's on SQLite (one machine)."""
    return utcnow() if is_sqlite(session.get_bind()) else func.now()


def database_now(session: Session) -> datetime:
    """The current time by the same clock as `clock`, to compare stored times against."""
    return utcnow() if is_sqlite(session.get_bind()) else session.scalar(select(func.now()))
