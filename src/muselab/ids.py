"""Short, time-sortable ids for Works, jobs and boards."""

import secrets
import time
from datetime import UTC, datetime


def new_id() -> str:
    """12 hex digits of milliseconds then 10 random: sorts by creation, unique enough across processes."""
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(5)}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were written in UTC, so say so."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
