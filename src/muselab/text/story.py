"""Story tools for long work: memory, author's note, lorebook, and context assembly.

- memory: always in context (the premise, the main characters, the style).
- author's note: a short steering note inserted `author_note_depth` lines before the end of the
  story text, where it weighs most on what comes next.
- lorebook: entries with keys (plain words, or regular expressions) that are put in context only
  when a key appears in the recent text, likeliest first by `priority`, within a token budget.
- assembly: memory + active lore + story text (+ the note) must fit the model's window with room
  for the answer; the oldest story text is trimmed first, and the trim is reported.

Lorebooks import and export as JSON (Muselab's own format; SillyTavern world-info files import too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator


class LoreEntry(BaseModel):
    model_config = {"extra": "forbid"}

    keys: list[str] = Field(min_length=1, max_length=32, description="Words that activate the entry.")
    content: str = Field(min_length=1, max_length=8000, description="Text put in context when active.")
    regex: bool = Field(default=False, description="Keys are regular expressions.")
    case_sensitive: bool = False
    priority: int = Field(default=0, ge=-1000, le=1000, description="Higher goes in first when the budget is tight.")
    always: bool = Field(default=False, description="Always active, like memory.")
    enabled: bool = True
    name: str = Field(default="", max_length=200)

    @field_validator("keys")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        v = [k.strip() for k in v]
        if any(not k for k in v):
            raise ValueError("lorebook keys must not be empty")
        return v

    @model_validator(mode="after")
    def _regex_compiles(self) -> LoreEntry:
        if self.regex:
            for k in self.keys:
                try:
                    re.compile(k)
                except re.error as e:
                    raise ValueError(f"lorebook key {k!r} is not a valid regular expression: {e}") from None
        return self

    def matches(self, text: str) -> bool:
        if not self.enabled:
            return False
        if self.always:
            return True
        flags = 0 if self.case_sensitive else re.IGNORECASE
        for k in self.keys:
            if self.regex:
                if re.search(k, text, flags):
                    return True
            else:
                # latin words match on word boundaries; Chinese (no spaces) matches anywhere
                if re.search(r"[A-Za-z0-9]", k):
                    if re.search(r"(?<![A-Za-z0-9])" + re.escape(k) + r"(?![A-Za-z0-9])", text, flags):
                        return True
                elif (k in text) if self.case_sensitive else (k.lower() in text.lower()):
                    return True
        return False


class StoryProject(BaseModel):
    """The long-work side of a recipe: memory, author's note and lorebook."""

    model_config = {"extra": "forbid"}

    memory: str = Field(default="", max_length=20000, description="Always in context.")
    author_note: str = Field(default="", max_length=4000, description="Steering note inserted near the end.")
    author_note_depth: int = Field(default=3, ge=0, le=100, description="Lines from the end where the note goes.")
    lorebook: list[LoreEntry] = Field(default_factory=list, max_length=1000)
    lore_budget_tokens: int = Field(default=512, ge=0, le=16384, description="Most tokens of lore in context.")
    scan_chars: int = Field(default=2000, ge=100, le=100000,
                            description="How much recent text (characters) is scanned for lorebook keys.")


def active_lore(project: StoryProject, recent_text: str,
                count_tokens: Callable[[str], int]) -> tuple[list[LoreEntry], list[str]]:
    """Entries activated by the recent text, by priority, within the token budget; and notes about skipped ones."""
    hits = [e for e in project.lorebook if e.matches(recent_text)]
    hits.sort(key=lambda e: -e.priority)  # stable: equal priority keeps lorebook order
    chosen: list[LoreEntry] = []
    notes: list[str] = []
    used = 0
    for e in hits:
        cost = count_tokens(e.content)
        if used + cost > project.lore_budget_tokens:
            notes.append(f"lorebook entry {e.name or e.keys[0]!r} was active but left out: over the "
                         f"{project.lore_budget_tokens}-token lore budget")
            continue
        chosen.append(e)
        used += cost
    return chosen, notes


def insert_author_note(text: str, note: str, depth: int, label: str = "Author's note") -> str:
    if not note:
        return text
    lines = text.split("\n")
    at = max(0, len(lines) - depth)
    lines.insert(at, f"[{label}: {note}]")
    return "\n".join(lines)


@dataclass
class Assembled:
    context: str  # memory + lore (goes to the system prompt, or first in a raw prompt)
    story: str  # the (possibly trimmed) story text with the author's note inserted
    lore: list[str] = field(default_factory=list)  # names/keys of active entries
    trimmed_chars: int = 0
    notes: list[str] = field(default_factory=list)

    def meta(self) -> dict[str, Any]:
        return {"lore": self.lore, "trimmed_chars": self.trimmed_chars, "notes": self.notes}


def assemble(
    project: StoryProject | None,
    story_text: str,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    render: Callable[[str, str], str],
    zh: bool = False,
) -> Assembled:
    """Fit memory, active lore and the story into `budget_tokens`, trimming the oldest story text first.

    render(context, story) gives the full prompt text whose tokens are counted (it includes the form's
    template, so the count is of what the model will really see).
    """
    project = project or StoryProject()
    recent = story_text[-project.scan_chars:]
    lore, notes = active_lore(project, recent, count_tokens)
    memory_label, lore_label, note_label = ("记忆", "设定", "作者注") if zh else ("Memory", "Lore", "Author's note")
    parts = []
    if project.memory.strip():
        parts.append(f"[{memory_label}]\n{project.memory.strip()}")
    for e in lore:
        parts.append(f"[{lore_label}: {e.name or e.keys[0]}]\n{e.content.strip()}")
    context = "\n\n".join(parts)

    def story_with_note(s: str) -> str:
        return insert_author_note(s, project.author_note.strip(), project.author_note_depth, note_label)

    text = story_text
    full = render(context, story_with_note(text))
    used = count_tokens(full)
    trimmed = 0
    if used > budget_tokens:
        fixed = count_tokens(render(context, story_with_note("")))
        if fixed > budget_tokens:
            raise ValueError(f"memory, lore and the form's instructions alone take {fixed} tokens but only "
                             f"{budget_tokens} fit beside the answer: shorten memory or lore, or lower max_tokens")
        # drop the oldest text: estimate by proportion, then step until it fits
        while used > budget_tokens and text:
            over = used - budget_tokens
            story_tokens = max(1, used - fixed)
            cut = max(1, int(len(text) * over / story_tokens) + 1)
            # prefer cutting at a line or sentence boundary just after the estimate
            window = text[cut:cut + 200]
            m = re.search(r"[\n。！？.!?]", window)
            if m:
                cut += m.end()
            cut = min(cut, len(text))
            trimmed += cut
            text = text[cut:]
            used = count_tokens(render(context, story_with_note(text)))
        notes.append(f"the oldest {trimmed} characters of the story were left out to fit the model's window "
                     f"({budget_tokens} tokens beside the answer)")
    return Assembled(context=context, story=story_with_note(text), lore=[e.name or e.keys[0] for e in lore],
                     trimmed_chars=trimmed, notes=notes)


# ---- lorebook files ----
def export_lorebook(entries: list[LoreEntry]) -> str:
    return json.dumps({"format": "muselab-lorebook", "version": 1, "entries": [e.model_dump() for e in entries]},
                      ensure_ascii=False, indent=2)


class LorebookError(ValueError):
    """A lorebook file that can't be read, naming where: `field` is e.g. 'entries[2].keys' or 'entries.dragon'."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message)
        self.field = field


class _SillyTavernEntry(BaseModel):
    """The part of a SillyTavern world-info entry Muselab reads (it has many more fields, which are left out)."""

    model_config = {"extra": "ignore"}

    key: list[str] | None = None
    keys: list[str] | None = None
    content: str | None = ""
    comment: str | None = ""
    order: int | None = 0
    constant: bool | None = False
    disable: bool | None = False
    caseSensitive: bool | None = False  # SillyTavern's own name

    def as_lore(self) -> dict[str, Any]:
        order = self.order or 0
        return {
            "keys": self.key or self.keys or [],
            "content": self.content or "",
            "name": self.comment or "",
            "priority": order if -1000 <= order <= 1000 else 0,  # SillyTavern's scale is wider than ours
            "always": bool(self.constant),
            "enabled": not self.disable,
            "case_sensitive": bool(self.caseSensitive),
        }


def import_lorebook(data: str | bytes) -> list[LoreEntry]:
    """Entries from Muselab's JSON format or a SillyTavern world-info JSON; LorebookError (a ValueError) naming
    the entry and field otherwise."""
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise LorebookError(f"lorebook file is not valid JSON: {e}") from None
    except RecursionError:
        raise LorebookError("lorebook file is nested too deeply to be a lorebook") from None
    if isinstance(doc, list):
        return [_entry(LoreEntry, e, str(i), f"entries[{i}]") for i, e in enumerate(doc)]
    if isinstance(doc, dict) and isinstance(doc.get("entries"), list):
        return [_entry(LoreEntry, e, str(i), f"entries[{i}]") for i, e in enumerate(doc["entries"])]
    if isinstance(doc, dict) and isinstance(doc.get("entries"), dict):  # SillyTavern world info
        out = []
        for name, e in doc["entries"].items():
            field = f"entries.{name[:60]}"
            out.append(_entry(LoreEntry, _entry(_SillyTavernEntry, e, name[:60], field).as_lore(), name[:60], field))
        return out
    raise LorebookError("lorebook JSON must be a list of entries or an object with 'entries' "
                        "(a list, or SillyTavern's object of entries)", "entries")


def _entry(model: type[BaseModel], value: Any, label: str, field: str) -> Any:
    """One entry checked by `model`; LorebookError naming the entry and its first bad field otherwise."""
    from pydantic import ValidationError

    if not isinstance(value, dict):
        raise LorebookError(f"lorebook entry {label}: must be an object with keys and content "
                            f"(got {type(value).__name__})", field)
    try:
        return model.model_validate(value)
    except ValidationError as err:
        first = err.errors()[0]
        where = field + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        raise LorebookError(f"lorebook entry {label}: {where}: {first['msg'].removeprefix('Value error, ')}",
                            where) from None
