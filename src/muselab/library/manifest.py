"""What an export's manifest.json may say: every field of every Work is checked before an import writes anything.

A manifest can come from anyone, so nothing in it is trusted: ids must be in the studio's own format (they
end up in URLs and file names), names go through the same checks as names people type, dates must parse,
and recipes and details are bounded JSON objects. Errors name the field the way a person would look for it:
`works[3].created_at`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints, ValidationError

from muselab.errors import InvalidInput
from muselab.library.media import MEDIA_TYPE
from muselab.library.store import AUTHORSHIP, KINDS, MAX_TEXT_CONTENT
from muselab.library.validate import safe_name, work_id

FORMAT = "muselab-export"
VERSION = 1
MAX_WORKS = 50_000  # Works in one manifest; export refuses to make a bigger one
MAX_OBJECT_BYTES = 16 << 20  # a recipe or details object, as JSON (a text's per-token details can reach ~8 MB)
MAX_OBJECT_DEPTH = 64  # nesting of a recipe or details object
MAX_LIST = 1000  # tags, boards or parents of one Work

_TASK = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
_JOB_ID = re.compile(r"[0-9a-f]{8,32}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _plain(checker):
    """A library check (which raises InvalidInput) as a pydantic validator, so the error gets the item's path."""

    def check(value):
        try:
            return checker(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    return AfterValidator(check)


def _no_nul(value: str) -> str:
    """Other control characters are only odd (a pasted form feed in a prompt); NUL can't be stored in PostgreSQL."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _pattern(regex: re.Pattern, accepted: str):
    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(f"must be {accepted}")
        return value

    return AfterValidator(check)


def _one_of(choices: tuple[str, ...]):
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)} (got {value[:40]!r})")
        return value

    return AfterValidator(check)


def _iso_date(value: str) -> datetime:
    """Parsed to a datetime; a time without a zone is read as UTC, as the library stores it."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"must be an ISO 8601 date and time such as 2024-05-01T12:00:00+00:00 "
                         f"(got {value[:40]!r})") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _inside(item: Any) -> list:
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    return item if isinstance(item, list) else []


def _bounded_object(value: dict[str, Any]) -> dict[str, Any]:
    """A recipe or details object: at most MAX_OBJECT_BYTES of JSON, MAX_OBJECT_DEPTH deep, no NUL characters
    (PostgreSQL can't store them, and nothing the studio makes has them)."""
    stack = [(value, 1)]
    while stack:  # a loop, not recursion: depth is what is being checked
        item, depth = stack.pop()
        if depth > MAX_OBJECT_DEPTH:
            raise ValueError(f"must be nested at most {MAX_OBJECT_DEPTH} levels deep")
        for part in _inside(item):
            if isinstance(part, str) and "\x00" in part:
                raise ValueError("must not contain NUL characters")
            if isinstance(part, (dict, list)):
                stack.append((part, depth + 1))
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > MAX_OBJECT_BYTES:
        raise ValueError(f"must be at most {MAX_OBJECT_BYTES >> 20} MB as JSON (got {size >> 20} MB)")
    return value


Text = Annotated[str, Strict()]
WorkId = Annotated[str, Strict(), StringConstraints(max_length=32), _plain(lambda v: work_id(v, "id"))]
Tag = Annotated[str, Strict(), StringConstraints(max_length=200), _plain(lambda v: safe_name(v, "tag"))]
BoardName = Annotated[str, Strict(), StringConstraints(max_length=400), _plain(lambda v: safe_name(v, "board", 200))]
JsonObject = Annotated[dict[str, Any], Strict(), AfterValidator(_bounded_object)]


class ManifestEntry(BaseModel):
    """One Work as export_zip writes it (store.work_to_dict plus its boards)."""

    model_config = ConfigDict(extra="forbid")

    id: WorkId
    kind: Annotated[Text, StringConstraints(max_length=32), _one_of(KINDS)]
    media_type: Annotated[Text, StringConstraints(max_length=120),
                          _pattern(MEDIA_TYPE, "a media type such as image/png or text/plain; charset=utf-8")]
    sha256: Annotated[Text, _pattern(_SHA256, "64 lowercase hex digits (the file's SHA-256)")]
    title: Annotated[Text, StringConstraints(max_length=500), AfterValidator(_no_nul)] = ""
    filename: Annotated[Text, StringConstraints(max_length=300),
                        _plain(lambda v: safe_name(v, "filename", 255))] | None = None
    text: Annotated[Text, StringConstraints(max_length=MAX_TEXT_CONTENT), AfterValidator(_no_nul)] | None = None
    task: Annotated[Text, _pattern(_TASK, "a task name such as text.generate (letters, digits, _ . : -)")] | None = None
    recipe: JsonObject | None = None
    model: Annotated[Text, StringConstraints(max_length=200), AfterValidator(_no_nul)] | None = None
    model_hash: Annotated[Text, StringConstraints(max_length=64), AfterValidator(_no_nul)] | None = None
    seed: Annotated[int, Strict(), Field(ge=-(2**63), lt=2**63)] | None = None
    authorship: Annotated[Text, StringConstraints(max_length=32), _one_of(AUTHORSHIP)] = "ai"
    status: Literal["ok", "partial"] = "ok"
    job_id: Annotated[Text, _pattern(_JOB_ID, "a job id (8 to 32 lowercase hex digits)")] | None = None
    meta: JsonObject | None = None
    parents: list[WorkId] = Field(default_factory=list, max_length=MAX_LIST)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_LIST)
    boards: list[BoardName] = Field(default_factory=list, max_length=MAX_LIST)
    starred: Annotated[bool, Strict()] = False
    rating: Annotated[int, Strict(), Field(ge=0, le=5)] | None = None
    created_at: Annotated[Text, StringConstraints(max_length=64), AfterValidator(_iso_date)] | None = None
    # Derived by the exporting studio and worked out again here; accepted so an export imports as it is.
    size: Annotated[int, Strict(), Field(ge=0)] | None = None
    has_thumbnail: Annotated[bool, Strict()] | None = None
    snippet: Annotated[Text, StringConstraints(max_length=1000)] | None = None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["muselab-export"]
    version: Literal[1]
    exported_at: Annotated[Text, StringConstraints(max_length=64)] | None = None
    works: list[ManifestEntry] = Field(max_length=MAX_WORKS)


def parse_manifest(doc: Any) -> list[ManifestEntry]:
    """The manifest's Works, each field checked; InvalidInput naming the first bad field (e.g. works[3].kind)."""
    if not isinstance(doc, dict):
        raise InvalidInput(f"manifest.json must be a JSON object with format, version and works "
                           f"(got {type(doc).__name__})", "manifest")
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise InvalidInput(f"unsupported export format {str(doc.get('format'))[:40]!r} version "
                           f"{str(doc.get('version'))[:10]!r}; accepted: {FORMAT} {VERSION}", "file")
    try:
        works = Manifest.model_validate(doc).works
    except ValidationError as exc:
        raise _invalid(exc) from None
    first_seen: dict[str, int] = {}
    for i, entry in enumerate(works):
        if entry.id in first_seen:
            raise InvalidInput(f"work id {entry.id} appears twice in the manifest (works[{first_seen[entry.id]}] "
                               f"and works[{i}]); each Work must be listed once", f"works[{i}].id")
        first_seen[entry.id] = i
        if entry.id in entry.parents:
            raise InvalidInput(f"work {entry.id} lists itself as its own parent", f"works[{i}].parents")
    return works


def field_path(loc: tuple) -> str:
    """('works', 3, 'tags', 1) -> 'works[3].tags[1]'."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _invalid(exc: ValidationError) -> InvalidInput:
    errors = exc.errors()
    parts = []
    for err in errors[:5]:
        hint = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            hint = "unknown field"
        elif err["type"] == "model_type":
            hint = "must be a JSON object with a Work's fields"
        parts.append(f"{field_path(err['loc'])}: {hint}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return InvalidInput("manifest.json: " + "; ".join(parts) + more, field_path(errors[0]["loc"]))
