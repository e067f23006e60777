"""Calls to the OpenAI-compatible routes that asked to be kept: each choice becomes a text Work in the library.

The request is the Work's recipe (seed included) and its task is `openai.<route>`, so a kept call can be
found, restored and compared like any other writing.
"""

from __future__ import annotations

from muselab.library.store import Library, NewWork
from muselab.models import ModelInfo
from muselab.text.backends.base import Candidate, GenStats

ROUTES = {"chat.completions": "/v1/chat/completions", "completions": "/v1/completions"}


def subject(route: str, request: dict) -> str:
    """What was asked, for the Works' titles: the prompt, or the last user message; its first line."""
    if route == "completions":
        asked = request.get("prompt")
    else:
        asked = next((m.get("content") for m in reversed(request.get("messages") or []) if m.get("role") == "user"),
                     "")
    if isinstance(asked, list):
        asked = " ".join(str(x) for x in asked)
    text = str(asked or "").strip()
    return text.splitlines()[0][:60] if text else route


def keep_choices(library: Library, route: str, request: dict, model: ModelInfo, candidates: list[Candidate],
                 stats: GenStats) -> list[str]:
    """Keep each choice of a finished call as a text Work whose recipe is the request; their ids."""
    title = subject(route, request)
    ids = []
    for c in candidates:
        work = library.add(NewWork(
            kind="text", media_type="text/plain; charset=utf-8", data=c.text.encode("utf-8"), text=c.text,
            title=title + (f" ({c.index + 1}/{len(candidates)})" if len(candidates) > 1 else ""),
            task=f"openai.{route}", recipe=request, model=model.name, model_hash=model.sha256,
            seed=request.get("seed"),
            meta={"candidate": c.index, "finish_reason": c.finish_reason, "completion_tokens": c.completion_tokens,
                  "prompt_tokens": stats.prompt_tokens, "api": ROUTES[route]},
            tags=["openai-api"], filename=f"completion-{c.index + 1}.txt"))
        ids.append(work.id)
    return ids
