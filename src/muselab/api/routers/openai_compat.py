"""OpenAI-compatible routes: /v1/models, /v1/chat/completions, /v1/completions (streaming over SSE).

Other tools (editors, agents, the official `openai` client) can use the studio's models with
base_url=http://127.0.0.1:8000/v1. Besides the standard fields, the llama.cpp-style sampling
fields top_k, min_p and repeat_penalty are accepted. The router works on its own (include it in
any FastAPI app). Inside the studio, a call sent with the header `X-Muselab-Keep: true` is kept in the
library: each choice becomes a text Work whose recipe is the request (ids in `muselab_work_ids`).
COMPLETION_HOOKS lets other code watch every finished call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from muselab.models import ModelError, Registry
from muselab.text.backends import BackendError, backend_for
from muselab.text.backends.base import Candidate, GenStats, TokenInfo
from muselab.engines import MAX_SEED
from muselab.sampling import MaxTokens, MinP, RepetitionPenalty, Temperature, TopK, TopP
from muselab.text.sampling import MAX_TOP_LOGPROBS, Sampling, TextCandidates

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

# Called after every finished (non-cancelled) completion with (route, request dict, response dict).
COMPLETION_HOOKS: list[Callable[[str, dict, dict], None]] = []


class _Stop(Exception):
    """The client went away: stop generating."""


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = ""

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.get("text", "") for p in self.content if p.get("type") in ("text", "input_text"))
        return self.content or ""


class _Common(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    temperature: Temperature = 1.0  # OpenAI's defaults; the ranges are the studio's (muselab.sampling)
    top_p: TopP = 1.0
    top_k: TopK = 40
    min_p: MinP = 0.05
    repeat_penalty: RepetitionPenalty = 1.0
    max_tokens: MaxTokens | None = None
    max_completion_tokens: MaxTokens | None = None
    stop: str | list[str] | None = None
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    n: TextCandidates = 1
    stream: bool = False

    @field_validator("stop")
    @classmethod
    def _stop(cls, v):
        if isinstance(v, str):
            v = [v]
        if v and len(v) > 8:
            raise ValueError("at most 8 stop strings")
        return [s for s in (v or []) if s]

    def sampling(self, top_logprobs: int) -> Sampling:
        import random

        return Sampling(temperature=self.temperature, top_k=self.top_k, top_p=self.top_p, min_p=self.min_p,
                        repetition_penalty=self.repeat_penalty,
                        max_tokens=self.max_completion_tokens or self.max_tokens or 256, stop=list(self.stop or []),
                        seed=self.seed if self.seed is not None else random.SystemRandom().randint(0, 2**32 - 1),
                        n=self.n, top_logprobs=top_logprobs)


class ChatRequest(_Common):
    messages: list[Message] = Field(min_length=1)
    logprobs: bool = False
    top_logprobs: int | None = Field(default=None, ge=0, le=MAX_TOP_LOGPROBS)


class CompletionRequest(_Common):
    prompt: str | list[str]
    logprobs: int | None = Field(default=None, ge=0, le=MAX_TOP_LOGPROBS)
    echo: bool = False

    def prompt_text(self) -> str:
        if isinstance(self.prompt, list):
            if len(self.prompt) != 1:
                raise ValueError("prompt: give one string (batches of prompts are not supported)")
            return self.prompt[0]
        return self.prompt


def _error(status: int, message: str, code: str, param: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error" if status < 500 else "server_error",
                                   "param": param, "code": code}}, status_code=status)


@router.get("/models", summary="Models this studio can serve")
def list_models():  # sync: FastAPI runs it in a thread
    data = []
    for m in Registry().list():
        if m.available:
            data.append({"id": m.name, "object": "model", "created": 0, "owned_by": "muselab",
                         "kind": m.kind, "title": m.title, "license": m.license})
    return {"object": "list", "data": data}


async def _backend(model: str | None):
    try:  # joining/verifying a model's file can take seconds: not in the event loop
        return await asyncio.to_thread(backend_for, model), None
    except ModelError as e:
        return None, _error(404, str(e), "model_not_found", "model")


def _chat_logprobs(tokens: list[TokenInfo]) -> dict:
    return {"content": [{"token": t.text, "logprob": t.logprob, "bytes": list(t.text.encode("utf-8")),
                         "top_logprobs": [{"token": a, "logprob": lp, "bytes": list(a.encode("utf-8"))} for a, lp in t.top]}
                        for t in tokens]}


def _completion_logprobs(tokens: list[TokenInfo]) -> dict:
    offsets, pos = [], 0
    for t in tokens:
        offsets.append(pos)
        pos += len(t.text)
    return {"tokens": [t.text for t in tokens], "token_logprobs": [t.logprob for t in tokens],
            "top_logprobs": [{a: lp for a, lp in t.top} for t in tokens], "text_offset": offsets}


def _usage(cands: list[Candidate], stats: GenStats) -> dict:
    prompt = stats.prompt_tokens or (cands[0].prompt_tokens if cands else 0)
    completion = sum(c.completion_tokens for c in cands)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


async def _run(backend, sampling: Sampling, prompt: str | None, messages: list[dict] | None, on_piece=None):
    """Run a generation in a thread; on_piece(i, text, info) is called in the event loop for each token."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()

    def on_token(i: int, piece: str, info: TokenInfo | None) -> None:
        if stop.is_set():
            raise _Stop()
        if on_piece is not None:
            loop.call_soon_threadsafe(queue.put_nowait, ("token", (i, piece, info)))

    def work():
        try:
            result = backend.generate(sampling, prompt=prompt, messages=messages, on_token=on_token)
            loop.call_soon_threadsafe(queue.put_nowait, ("done", result))
        except _Stop:
            loop.call_soon_threadsafe(queue.put_nowait, ("stopped", None))
        except Exception as e:  # noqa: BLE001 - reported to the client
            loop.call_soon_threadsafe(queue.put_nowait, ("error", e))

    thread = threading.Thread(target=work, name="muselab-openai-generate", daemon=True)
    thread.start()
    try:
        while True:
            kind, payload = await queue.get()
            if kind == "token":
                yield ("token", payload)
            else:
                yield (kind, payload)
                return
    finally:
        stop.set()  # the client went away (or we are done): stop the generation between two tokens


def _sse(obj: dict | str) -> bytes:
    data = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


def _wants_keep(request: Request) -> bool:
    return request.headers.get("x-muselab-keep", "").lower() in ("1", "true", "yes") and \
        getattr(request.app.state, "studio", None) is not None


def _keep(request: Request, route: str, req: dict, info, cands: list[Candidate], stats: GenStats) -> list[str]:
    """Keep each choice as a text Work in the studio's library (the request is its recipe)."""
    from muselab.library.store import NewWork

    studio = request.app.state.studio
    asked = req.get("prompt") if route == "completions" else next(
        (m.get("content") for m in reversed(req.get("messages") or []) if m.get("role") == "user"), "")
    if isinstance(asked, list):
        asked = " ".join(str(x) for x in asked)
    subject = str(asked or "").strip().splitlines()[0][:60] if str(asked or "").strip() else route
    ids = []
    for c in cands:
        work = studio.library.add(NewWork(
            kind="text", media_type="text/plain; charset=utf-8", data=c.text.encode("utf-8"), text=c.text,
            title=f"{subject}" + (f" ({c.index + 1}/{len(cands)})" if len(cands) > 1 else ""),
            task=f"openai.{route}", recipe=req, model=info.name, model_hash=info.sha256, seed=req.get("seed"),
            meta={"candidate": c.index, "finish_reason": c.finish_reason, "completion_tokens": c.completion_tokens,
                  "prompt_tokens": stats.prompt_tokens, "api": f"/v1/{route.replace('.', '/')}"},
            tags=["openai-api"], filename=f"completion-{c.index + 1}.txt"))
        ids.append(work.id)
    return ids


def _hooks(route: str, request: dict, response: dict) -> None:
    for hook in COMPLETION_HOOKS:
        try:
            hook(route, request, response)
        except Exception:
            logging.getLogger(__name__).exception("completion hook %r failed", hook)


@router.post("/chat/completions", summary="Chat completion (OpenAI-compatible; stream=true for SSE)")
async def chat_completions(req: ChatRequest, request: Request):
    (pair, err) = await _backend(req.model)
    if err:
        return err
    backend, info = pair
    messages = [{"role": "system" if m.role == "developer" else m.role, "content": m.text()} for m in req.messages]
    if not any(m["content"].strip() for m in messages):
        return _error(400, "messages: every message is empty; say something", "empty_prompt", "messages")
    top = (req.top_logprobs or 1) if req.logprobs else 0
    sampling = req.sampling(top)
    keep = _wants_keep(request)
    recorded = {**req.model_dump(exclude_none=True), "seed": sampling.seed}
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if not req.stream:
        async for kind, payload in _run(backend, sampling, None, messages):
            if kind == "error":
                return _generation_error(payload)
            cands, stats = payload
        body = {
            "id": cid, "object": "chat.completion", "created": created, "model": info.name,
            "choices": [{"index": c.index, "message": {"role": "assistant", "content": c.text},
                         "logprobs": _chat_logprobs(c.tokens) if req.logprobs else None,
                         "finish_reason": c.finish_reason} for c in cands],
            "usage": _usage(cands, stats),
        }
        if keep:
            body["muselab_work_ids"] = await run_in_threadpool(_keep, request, "chat.completions", recorded, info,
                                                               cands, stats)
        _hooks("chat.completions", req.model_dump(), body)
        return body

    async def events():
        started: set[int] = set()
        texts: dict[int, str] = {}
        async for kind, payload in _run(backend, sampling, None, messages, on_piece=True):
            if kind == "token":
                i, piece, tok = payload
                delta: dict[str, Any] = {"content": piece}
                if i not in started:
                    started.add(i)
                    delta["role"] = "assistant"
                texts[i] = texts.get(i, "") + piece
                if not piece and tok is None:
                    continue
                choice = {"index": i, "delta": delta, "finish_reason": None,
                          "logprobs": _chat_logprobs([tok]) if (req.logprobs and tok) else None}
                yield _sse({"id": cid, "object": "chat.completion.chunk", "created": created, "model": info.name,
                            "choices": [choice]})
            elif kind == "done":
                cands, stats = payload
                for c in cands:
                    yield _sse({"id": cid, "object": "chat.completion.chunk", "created": created, "model": info.name,
                                "choices": [{"index": c.index, "delta": {}, "finish_reason": c.finish_reason,
                                             "logprobs": None}]})
                final = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": info.name,
                         "choices": [], "usage": _usage(cands, stats)}
                if keep:
                    final["muselab_work_ids"] = await run_in_threadpool(_keep, request, "chat.completions", recorded,
                                                                        info, cands, stats)
                yield _sse(final)
                yield _sse("[DONE]")
                _hooks("chat.completions", req.model_dump(), {
                    "id": cid, "model": info.name, "choices": [{"index": c.index, "text": c.text,
                                                                "finish_reason": c.finish_reason} for c in cands],
                    "usage": _usage(cands, stats)})
            elif kind == "error":
                yield _sse({"error": {"message": str(payload), "type": "server_error", "code": "generation_failed"}})
                yield _sse("[DONE]")

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.post("/completions", summary="Text completion (OpenAI-compatible; stream=true for SSE)")
async def completions(req: CompletionRequest, request: Request):
    try:
        prompt = req.prompt_text()
    except ValueError as e:
        return _error(400, str(e), "invalid_prompt", "prompt")
    if not prompt.strip():
        return _error(400, "prompt must not be empty", "empty_prompt", "prompt")
    (pair, err) = await _backend(req.model)
    if err:
        return err
    backend, info = pair
    sampling = req.sampling(req.logprobs or 0)
    keep = _wants_keep(request)
    recorded = {**req.model_dump(exclude_none=True), "seed": sampling.seed}
    cid, created = f"cmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if not req.stream:
        async for kind, payload in _run(backend, sampling, prompt, None):
            if kind == "error":
                return _generation_error(payload)
            cands, stats = payload
        body = {
            "id": cid, "object": "text_completion", "created": created, "model": info.name,
            "choices": [{"index": c.index, "text": (prompt if req.echo else "") + c.text,
                         "logprobs": _completion_logprobs(c.tokens) if req.logprobs else None,
                         "finish_reason": c.finish_reason} for c in cands],
            "usage": _usage(cands, stats),
        }
        if keep:
            body["muselab_work_ids"] = await run_in_threadpool(_keep, request, "completions", recorded, info,
                                                               cands, stats)
        _hooks("completions", req.model_dump(), body)
        return body

    async def events():
        async for kind, payload in _run(backend, sampling, prompt, None, on_piece=True):
            if kind == "token":
                i, piece, tok = payload
                if not piece and tok is None:
                    continue
                yield _sse({"id": cid, "object": "text_completion", "created": created, "model": info.name,
                            "choices": [{"index": i, "text": piece, "finish_reason": None,
                                         "logprobs": _completion_logprobs([tok]) if (req.logprobs and tok) else None}]})
            elif kind == "done":
                cands, stats = payload
                for c in cands:
                    yield _sse({"id": cid, "object": "text_completion", "created": created, "model": info.name,
                                "choices": [{"index": c.index, "text": "", "finish_reason": c.finish_reason,
                                             "logprobs": None}]})
                if keep:
                    ids = await run_in_threadpool(_keep, request, "completions", recorded, info, cands, stats)
                    yield _sse({"id": cid, "object": "text_completion", "created": created, "model": info.name,
                                "choices": [], "usage": _usage(cands, stats), "muselab_work_ids": ids})
                yield _sse("[DONE]")
                _hooks("completions", req.model_dump(), {
                    "id": cid, "model": info.name, "choices": [{"index": c.index, "text": c.text,
                                                                "finish_reason": c.finish_reason} for c in cands],
                    "usage": _usage(cands, stats)})
            elif kind == "error":
                yield _sse({"error": {"message": str(payload), "type": "server_error", "code": "generation_failed"}})
                yield _sse("[DONE]")

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _generation_error(e: Exception) -> JSONResponse:
    if isinstance(e, BackendError):
        return _error(400, str(e), "generation_failed")
    if isinstance(e, ModelError):
        return _error(404, str(e), "model_not_found", "model")
    return _error(500, f"generation failed: {type(e).__name__}: {e}", "server_error")
