"""Turn text into search terms that work the same on SQLite FTS5 and PostgreSQL tsvector.

Latin-script text is split into lowercase words. Chinese (and Japanese/Korean) text has
no spaces, so each run of CJK characters is indexed as single characters plus overlapping
pairs (bigrams): a search for 秋风 then finds 秋风起 without a dictionary, the way many
CJK search engines do it.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
MAX_INDEXED_CHARS = 50_000


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def index_terms(*texts: str | None) -> str:
    """Space-separated terms to index for these texts (duplicates removed, order kept)."""
    seen: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        for token in _TOKEN.findall(_normalise(text[:MAX_INDEXED_CHARS])):
            if _IS_CJK.match(token):
                for i, char in enumerate(token):
                    seen.setdefault(char)
                    if i + 1 < len(token):
                        seen.setdefault(token[i: i + 2])
            else:
                seen.setdefault(token[:64])
    return " ".join(seen)


def query_terms(query: str) -> list[tuple[str, bool]]:
    """Terms a query must all match, each with whether it is a prefix (Latin words are)."""
    terms: list[tuple[str, bool]] = []
    for token in _TOKEN.findall(_normalise(query)):
        if _IS_CJK.match(token):
            if len(token) == 1:
                terms.append((token, False))
            else:
                terms.extend((token[i: i + 2], False) for i in range(len(token) - 1))
        else:
            terms.append((token[:64], True))
    return terms


def fts5_query(terms: list[tuple[str, bool]]) -> str:
    return " ".join(f'"{term}"' + ("*" if prefix else "") for term, prefix in terms)


def tsquery(terms: list[tuple[str, bool]]) -> str:
    return " & ".join(f"'{term}'" + (":*" if prefix else "") for term, prefix in terms)


def recipe_strings(recipe: dict | None, limit: int = 20) -> list[str]:
    """The free-text values of a recipe (prompts, titles, lyrics...) worth searching."""
    found: list[str] = []

    def walk(value):
        if len(found) >= limit:
            return
        if isinstance(value, str) and len(value) > 1 and not value.startswith(("/", "http")):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(recipe or {})
    return found
