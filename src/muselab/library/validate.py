"""Checks on names people give things (tags, boards, file names)."""

from __future__ import annotations

import re

from muselab.errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_name(value: str, field: str, max_length: int = 100) -> str:
    """A tag, board or file name: 1..max_length characters, no path separators, no '..', no control characters."""
    name = (value or "").strip()
    if not name:
        raise InvalidInput(f"{field} must not be empty", field)
    if len(name) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters (got {len(name)})", field)
    if "/" in name or "\\" in name or ".." in name:
        raise InvalidInput(f"{field} must not contain '/', '\\' or '..' (got {name!r})", field)
    if _CONTROL.search(name):
        raise InvalidInput(f"{field} must not contain control characters", field)
    return name


def work_id(value: str, field: str = "work_id") -> str:
    if not re.fullmatch(r"[0-9a-f]{8,32}", value or ""):
        raise InvalidInput(f"{field} must be a work id (8 to 32 lowercase hex digits), got {value!r}", field)
    return value
