"""What running a job needs, and nothing more: the settings (jobs folder, limits), the queue and the library.

The Studio is built on these; an executor on another machine or process (Dask, a worker command) opens
them from the same settings to run jobs without the rest of the studio."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from muselab.config import Settings
from muselab.db import make_engine, make_sessionmaker, migrate
from muselab.jobs.queue import JobQueue
from muselab.library.blobs import BlobStore
from muselab.library.store import Library


class JobHost(Protocol):
    """The narrow interface a job runs against (the Studio is one, JobServices another)."""

    settings: Settings
    queue: JobQueue
    library: Library


@dataclass
class JobServices:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    queue: JobQueue
    library: Library

    @classmethod
    def open(cls, settings: Settings) -> JobServices:
        """Connect to the library's database (migrating it) and blob store; tidy what a killed process left."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.db_url)
        migrate(engine)
        sessions = make_sessionmaker(engine)
        library = Library(engine, sessions, BlobStore(settings.blobs_dir))
        library.recover()  # blobs a killed process left half-deleted or half-uploaded
        return cls(settings, engine, sessions, JobQueue(sessions), library)

    def close(self) -> None:
        self.engine.dispose()
