"""Creative forms: templates with their own system prompt and default parameters, in Chinese and English.

Each form is a JSON file: the built-in ones beside this module, the user's own in
`<data_dir>/forms/` (a user form with the name of a built-in one replaces it). A form file:

    {
      "name": "haiku",                                  # letters, digits, _ or -
      "title": {"en": "Haiku", "zh": "俳句"},
      "description": {"en": "...", "zh": "..."},
      "needs": "prompt",                                # prompt | text (a given text to work on)
      "system": {"en": "You are ...", "zh": "你是……"},
      "template": {"en": ["Write a haiku about {prompt}", "Tone: {tone}"], "zh": ["……{prompt}", "基调：{tone}"]},
      "defaults": {"temperature": 0.9, "max_tokens": 80},
      "options": ["tone"]
    }

Template rows are joined with line breaks; a row whose placeholders are all empty is left out,
so optional fields (genre, characters, setting...) simply vanish when not given.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUILTIN_DIR = Path(__file__).parent
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
LANGS = ("en", "zh")
# sampling fields a form may set defaults for
DEFAULTABLE = {"temperature", "top_k", "top_p", "min_p", "repetition_penalty", "max_tokens"}


class FormError(ValueError):
    pass


@dataclass
class Form:
    name: str
    title: dict[str, str]
    description: dict[str, str]
    system: dict[str, str]
    template: dict[str, list[str]]
    needs: str = "prompt"
    defaults: dict[str, Any] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)
    check: str | None = None
    source: str = "built-in"

    def render(self, lang: str, values: dict[str, str]) -> str:
        rows = []
        for row in self.template[lang]:
            names = [f for _, f, _, _ in string.Formatter().parse(row) if f]
            if names and all(not str(values.get(n, "") or "").strip() for n in names):
                continue
            rows.append(row.format_map(_Blank(values)))
        return "\n".join(rows).strip()

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description, "needs": self.needs,
                "defaults": self.defaults, "options": self.options, "check": self.check, "source": self.source}


class _Blank(dict):
    def __init__(self, values: dict[str, Any]):
        super().__init__({k: ("" if v is None else str(v)) for k, v in values.items()})

    def __missing__(self, key: str) -> str:
        return ""


def parse_form(doc: dict[str, Any], source: str) -> Form:
    """A Form from a JSON document, with clear errors naming the file and field."""
    def need(key: str, kind: type) -> Any:
        if key not in doc:
            raise FormError(f"{source}: missing field {key!r}")
        if not isinstance(doc[key], kind):
            raise FormError(f"{source}: field {key!r} must be a {kind.__name__}")
        return doc[key]

    name = need("name", str)
    if not NAME_RE.match(name):
        raise FormError(f"{source}: name {name!r} must be 1-40 letters, digits, '_' or '-'")
    texts = {}
    for key in ("title", "system"):
        d = need(key, dict)
        if not any(d.get(lang) for lang in LANGS):
            raise FormError(f"{source}: {key!r} needs an 'en' or 'zh' text")
        texts[key] = d
    template = need("template", dict)
    for lang, rows in template.items():
        if lang not in LANGS:
            raise FormError(f"{source}: template language {lang!r} is not accepted (en, zh)")
        if isinstance(rows, str):
            template[lang] = rows = rows.split("\n")
        if not isinstance(rows, list) or not all(isinstance(r, str) for r in rows):
            raise FormError(f"{source}: template.{lang} must be a list of strings (or one string)")
        for r in rows:
            try:
                list(string.Formatter().parse(r))
            except ValueError as e:
                raise FormError(f"{source}: template.{lang} row {r!r}: {e} "
                                "(write literal braces as {{ }})") from None
    if not template:
        raise FormError(f"{source}: template needs an 'en' or 'zh' list of rows")
    # a form written in one language serves both
    for d in (texts["title"], texts["system"], template):
        for lang in LANGS:
            if not d.get(lang):
                d[lang] = d[next(x for x in LANGS if d.get(x))]
    needs = doc.get("needs", "prompt")
    if needs not in ("prompt", "text"):
        raise FormError(f"{source}: needs must be 'prompt' or 'text', got {needs!r}")
    defaults = doc.get("defaults", {}) or {}
    unknown = set(defaults) - DEFAULTABLE
    if unknown:
        raise FormError(f"{source}: defaults {sorted(unknown)} are not accepted; accepted: {sorted(DEFAULTABLE)}")
    description = doc.get("description") or {}
    return Form(name=name, title=texts["title"], description={lang: description.get(lang, "") for lang in LANGS},
                system=texts["system"], template=template, needs=needs, defaults=defaults,
                options=list(doc.get("options", [])), check=doc.get("check"), source=source)


def user_forms_dir() -> Path:
    from muselab.config import get_settings

    return get_settings().data_dir / "forms"


def load_forms(user_dir: Path | None = None) -> dict[str, Form]:
    """Built-in forms, then the user's (which may replace a built-in of the same name)."""
    forms: dict[str, Form] = {}
    for path in sorted(BUILTIN_DIR.glob("*.json")):
        f = parse_form(json.loads(path.read_text(encoding="utf-8")), f"built-in form {path.name}")
        forms[f.name] = f
    user_dir = user_forms_dir() if user_dir is None else user_dir
    if user_dir.is_dir():
        for path in sorted(user_dir.glob("*.json")):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                raise FormError(f"form file {path}: not valid JSON ({e})") from None
            f = parse_form(doc, f"form file {path}")
            f.source = str(path)
            forms[f.name] = f
    return forms


def get_form(name: str, user_dir: Path | None = None) -> Form:
    forms = load_forms(user_dir)
    if name not in forms:
        raise FormError(f"unknown form {name!r}; accepted: {', '.join(sorted(forms))} "
                        f"(add your own as a JSON file in {user_dir or user_forms_dir()})")
    return forms[name]
