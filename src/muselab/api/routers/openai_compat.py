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

from muselab.models import ModelError, ModelInfo, Registry
from muselab.text.backends import BackendError, backend_for
from muselab.text.backends.base import Candidate, GenStats, TokenInfo
from muselab.text.calls import keep_choices
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
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse({"error": {"message": message, "type": kind, "param": param, "code": code}},
                        status_code=status)


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
                         "top_logprobs": [{"token": a, "logprob": lp, "bytes": list(a.encode("utf-8"))}
                                          for a, lp in t.top]}
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


def _hooks(route: str, request: dict, response: dict) -> None:
    for hook in COMPLETION_HOOKS:
        try:
            hook(route, request, response)
        except Exception:
            logging.getLogger(__name__).exception("completion hook %r failed", hook)


class _Reply:
    """How one route renders a generation in OpenAI's shapes: a whole response, or a stream of chunks."""

    route = ""  # "chat.completions" | "completions"
    id_prefix = ""
    whole_object = ""
    chunk_object = ""

    def __init__(self, req: _Common, info: ModelInfo):
        self.req, self.info = req, info
        self.id = f"{self.id_prefix}-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())

    def _envelope(self, obj: str, choices: list[dict], **extra) -> dict:
        return {"id": self.id, "object": obj, "created": self.created, "model": self.info.name, "choices": choices,
                **extra}

    def whole(self, cands: list[Candidate], stats: GenStats) -> dict:
        return self._envelope(self.whole_object, [self.choice(c) for c in cands], usage=_usage(cands, stats))

    def chunk(self, choices: list[dict], **extra) -> dict:
        return self._envelope(self.chunk_object, choices, **extra)

    def summary(self, cands: list[Candidate], stats: GenStats) -> dict:
        """A streamed call as the completion hooks see it."""
        return {"id": self.id, "model": self.info.name, "usage": _usage(cands, stats),
                "choices": [{"index": c.index, "text": c.text, "finish_reason": c.finish_reason} for c in cands]}

    def choice(self, c: Candidate) -> dict:
        """One candidate in the whole response."""
        raise NotImplementedError

    def piece(self, index: int, text: str, token: TokenInfo | None, first: bool) -> dict:
        """A streamed piece of a candidate (`first`: its first chunk)."""
        raise NotImplementedError

    def finished(self, c: Candidate) -> dict:
        """The streamed chunk that ends a candidate."""
        raise NotImplementedError


class _ChatReply(_Reply):
    route, id_prefix, whole_object, chunk_object = "chat.completions", "chatcmpl", "chat.completion", \
        "chat.completion.chunk"

    def choice(self, c: Candidate) -> dict:
        return {"index": c.index, "message": {"role": "assistant", "content": c.text},
                "logprobs": _chat_logprobs(c.tokens) if self.req.logprobs else None,
                "finish_reason": c.finish_reason}

    def piece(self, index: int, text: str, token: TokenInfo | None, first: bool) -> dict:
        delta = {"role": "assistant", "content": text} if first else {"content": text}
        return {"index": index, "delta": delta, "finish_reason": None,
                "logprobs": _chat_logprobs([token]) if (self.req.logprobs and token) else None}

    def finished(self, c: Candidate) -> dict:
        return {"index": c.index, "delta": {}, "finish_reason": c.finish_reason, "logprobs": None}


class _CompletionReply(_Reply):
    route, id_prefix, whole_object, chunk_object = "completions", "cmpl", "text_completion", "text_completion"

    def __init__(self, req: CompletionRequest, info: ModelInfo, prompt: str):
        super().__init__(req, info)
        self.prompt = prompt

    def choice(self, c: Candidate) -> dict:
        return {"index": c.index, "text": (self.prompt if self.req.echo else "") + c.text,
                "logprobs": _completion_logprobs(c.tokens) if self.req.logprobs else None,
                "finish_reason": c.finish_reason}

    def piece(self, index: int, text: str, token: TokenInfo | None, first: bool) -> dict:
        return {"index": index, "text": text, "finish_reason": None,
                "logprobs": _completion_logprobs([token]) if (self.req.logprobs and token) else None}

    def finished(self, c: Candidate) -> dict:
        return {"index": c.index, "text": "", "finish_reason": c.finish_reason, "logprobs": None}


async def _respond(request: Request, reply: _Reply, backend, sampling: Sampling, prompt: str | None = None,
                   messages: list[dict] | None = None):
    """Generate and answer in the route's shape, as one JSON body or an SSE stream. A call asked to be kept
    (X-Muselab-Keep) goes to the library through the writing studio; its Work ids end the answer."""
    req = reply.req
    recorded = {**req.model_dump(exclude_none=True), "seed": sampling.seed}

    async def kept(cands: list[Candidate], stats: GenStats) -> dict:
        if not _wants_keep(request):
            return {}
        ids = await run_in_threadpool(keep_choices, request.app.state.studio.library, reply.route, recorded,
                                      reply.info, cands, stats)
        return {"muselab_work_ids": ids}

    if not req.stream:
        async for kind, payload in _run(backend, sampling, prompt, messages):
            if kind == "error":
                return _generation_error(payload)
            cands, stats = payload
        body = reply.whole(cands, stats) | await kept(cands, stats)
        _hooks(reply.route, req.model_dump(), body)
        return body

    async def events():
        started: set[int] = set()
        async for kind, payload in _run(backend, sampling, prompt, messages, on_piece=True):
            if kind == "token":
                i, piece, token = payload
                if not piece and token is None:
                    continue
                yield _sse(reply.chunk([reply.piece(i, piece, token, first=i not in started)]))
                started.add(i)
            elif kind == "done":
                cands, stats = payload
                for c in cands:
                    yield _sse(reply.chunk([reply.finished(c)]))
                yield _sse(reply.chunk([], usage=_usage(cands, stats)) | await kept(cands, stats))
                yield _sse("[DONE]")
                _hooks(reply.route, req.model_dump(), reply.summary(cands, stats))
            elif kind == "error":
                yield _sse({"error": {"message": str(payload), "type": "server_error", "code": "generation_failed"}})
                yield _sse("[DONE]")

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.post("/chat/completions", summary="Chat completion (OpenAI-compatible; stream=true for SSE)")
async def chat_completions(req: ChatRequest, request: Request):
    (pair, err) = await _backend(req.model)
    if err:
        return err
    backend, info = pair
    messages = [{"role": "system" if m.role == "developer" else m.role, "content": m.text()} for m in req.messages]
    if not any(m["content"].strip() for m in messages):
        return _error(400, "messages: every message is empty; say something", "empty_prompt", "messages")
    sampling = req.sampling((req.top_logprobs or 1) if req.logprobs else 0)
    return await _respond(request, _ChatReply(req, info), backend, sampling, messages=messages)


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
    return await _respond(request, _CompletionReply(req, info, prompt), backend, sampling, prompt=prompt)


def _generation_error(e: Exception) -> JSONResponse:
    if isinstance(e, BackendError):
        return _error(400, str(e), "generation_failed")
    if isinstance(e, ModelError):
        return _error(404, str(e), "model_not_found", "model")
    return _error(500, f"generation failed: {type(e).__name__}: {e}", "server_error")
