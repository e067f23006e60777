"""Short, time-sortable ids for Works, jobs and boards."""

import secrets
import time
from datetime import datetime, timezone


def new_id() -> str:
    """12 hex digits of milliseconds then 10 random: sorts by creation, unique enough across processes."""
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(5)}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
