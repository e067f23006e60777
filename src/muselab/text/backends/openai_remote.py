"""OpenAI-compatible remote backend: Ollama, vLLM, llama.cpp's server, Muselab itself, or OpenAI.

Speaks the standard `/v1/chat/completions` and `/v1/completions` routes with streaming (SSE).
The non-standard sampling fields (top_k, min_p, repeat_penalty) are sent to every server but
api.openai.com, which refuses unknown fields. A server that ignores `n` gets one request per
missing candidate (seed + i). Unreachable servers, HTTP errors and replies that are not
OpenAI-shaped become clear BackendErrors.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import httpx

from muselab.text.backends.base import BackendError, Candidate, GenStats, OnToken, TokenInfo
from muselab.text.sampling import Sampling


class OpenAIRemoteBackend:
    name = "openai-remote"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, context_length: int | None = None,
                 timeout: float = 600.0, label: str | None = None):
        base_url = base_url.rstrip("/")
        if not base_url.endswith("/v1"):
            base_url += "/v1"
        self.base_url = base_url
        self.model = model
        self.api_key = api_key
        self._context_length = context_length or 4096
        self.timeout = timeout
        self.label = label or model

    # ---- interface ----
    def context_length(self) -> int:
        return self._context_length

    def count_tokens(self, text: str) -> int:
        # no tokenizer for a remote model: a generous estimate (CJK ~1 token/char, latin ~4 chars/token)
        han = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
        return han + math.ceil((len(text) - han) / 3.5)

    def chat_prompt(self, messages: list[dict]) -> str | None:
        return None

    def generate(self, sampling: Sampling, prompt: str | None = None, messages: list[dict] | None = None,
                 on_token: OnToken | None = None) -> tuple[list[Candidate], GenStats]:
        t0 = time.perf_counter()
        stats = GenStats()
        cands: dict[int, Candidate] = {}
        self._request(sampling, prompt, messages, on_token, cands, stats, t0, index_offset=0, n=sampling.n)
        # servers that ignore n (Ollama) give fewer choices: ask again, one candidate each, with the next seeds
        while len(cands) < sampling.n:
            i = len(cands)
            extra = Sampling(**{**sampling.__dict__, "n": 1, "seed": sampling.seed + i})
            before = len(cands)
            self._request(extra, prompt, messages, on_token, cands, stats, t0, index_offset=i, n=1)
            if len(cands) == before:
                raise BackendError(f"remote server {self.base_url} returned no choices")
        stats.seconds = time.perf_counter() - t0
        out = [cands[i] for i in sorted(cands)][: sampling.n]
        stats.completion_tokens = sum(c.completion_tokens for c in out)
        return out, stats

    # ---- HTTP ----
    def _body(self, s: Sampling, prompt: str | None, messages: list[dict] | None, n: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model, "temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens,
            "seed": s.seed, "n": n, "stream": True,
        }
        if s.stop:
            body["stop"] = s.stop[:4]
        if "api.openai.com" not in self.base_url:
            body.update({"top_k": s.top_k, "min_p": s.min_p, "repeat_penalty": s.repetition_penalty})
        if messages is not None:
            body["messages"] = messages
            if s.top_logprobs:
                body["logprobs"] = True
                body["top_logprobs"] = s.top_logprobs
        else:
            body["prompt"] = prompt
            if s.top_logprobs:
                body["logprobs"] = s.top_logprobs
        return body

    def _request(self, s: Sampling, prompt, messages, on_token: OnToken | None, cands: dict[int, Candidate],
                 stats: GenStats, t0: float, index_offset: int, n: int) -> None:
        if prompt is None and messages is None:
            raise BackendError("give a prompt or messages")
        route = "/chat/completions" if messages is not None else "/completions"
        url = self.base_url + route
        headers = {"Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = self._body(s, prompt, messages, n)
        try:
            with httpx.Client(timeout=httpx.Timeout(self.timeout, connect=10.0)) as client:
                with client.stream("POST", url, json=body, headers=headers) as resp:
                    if resp.status_code != 200:
                        detail = resp.read().decode("utf-8", "replace")[:500]
                        raise BackendError(f"remote server {self.base_url} answered HTTP {resp.status_code} "
                                           f"for model {self.model!r}: {detail}")
                    ctype = resp.headers.get("content-type", "")
                    if "text/event-stream" in ctype:
                        self._read_stream(resp, messages is not None, on_token, cands, stats, t0, index_offset)
                    else:  # a server that does not stream: one JSON reply
                        self._read_whole(resp.read(), messages is not None, on_token, cands, stats, t0, index_offset)
        except httpx.ConnectError as e:
            raise BackendError(f"remote server {self.base_url} is not reachable ({e}); is it running?") from None
        except httpx.TimeoutException:
            raise BackendError(f"remote server {self.base_url} did not answer within {self.timeout:.0f} s") from None
        except httpx.HTTPError as e:
            raise BackendError(f"remote server {self.base_url} failed: {e}") from None

    def _cand(self, cands: dict[int, Candidate], index: int) -> Candidate:
        if index not in cands:
            cands[index] = Candidate(index=index)
        return cands[index]

    def _read_stream(self, resp: httpx.Response, chat: bool, on_token, cands, stats, t0, offset) -> None:
        saw_done = False
        for line in resp.iter_lines():
            line = line.strip()
            if not line or line.startswith(":"):
                continue
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                saw_done = True
                break
            try:
                chunk = json.loads(payload)
            except json.JSONDecodeError:
                raise BackendError(f"remote server {self.base_url} sent something that is not JSON in its stream: "
                                   f"{payload[:200]!r}") from None
            if not isinstance(chunk, dict) or "error" in chunk:
                raise BackendError(f"remote server {self.base_url} reported an error: {str(chunk)[:300]}")
            choices = chunk.get("choices")
            if not isinstance(choices, list):
                raise BackendError(f"remote server {self.base_url} sent a chunk without 'choices': {payload[:200]!r}")
            usage = chunk.get("usage") or {}
            if usage.get("prompt_tokens"):
                stats.prompt_tokens = usage["prompt_tokens"]
            for ch in choices:
                idx = offset + int(ch.get("index", 0))
                c = self._cand(cands, idx)
                piece = (ch.get("delta") or {}).get("content") if chat else ch.get("text")
                infos = self._logprob_infos(ch.get("logprobs"), chat)
                if piece:
                    if stats.first_token_seconds is None:
                        stats.first_token_seconds = time.perf_counter() - t0
                    c.text += piece
                    c.completion_tokens += max(1, len(infos))
                    c.tokens.extend(infos)
                    if on_token:
                        on_token(idx, piece, infos[-1] if infos else None)
                if ch.get("finish_reason"):
                    c.finish_reason = "stop" if ch["finish_reason"] == "stop" else "length"
        if not saw_done and not cands:
            raise BackendError(f"remote server {self.base_url} closed the stream without an answer")

    def _read_whole(self, raw: bytes, chat: bool, on_token, cands, stats, t0, offset) -> None:
        try:
            doc = json.loads(raw)
            choices = doc["choices"]
            assert isinstance(choices, list)
        except (json.JSONDecodeError, KeyError, TypeError, AssertionError):
            raise BackendError(f"remote server {self.base_url} did not give an OpenAI-compatible reply: "
                               f"{raw[:200]!r}") from None
        stats.first_token_seconds = time.perf_counter() - t0
        usage = doc.get("usage") or {}
        stats.prompt_tokens = usage.get("prompt_tokens", 0)
        for ch in choices:
            idx = offset + int(ch.get("index", 0))
            c = self._cand(cands, idx)
            c.text = (ch.get("message") or {}).get("content", "") if chat else ch.get("text", "")
            c.tokens = self._logprob_infos(ch.get("logprobs"), chat)
            c.completion_tokens = len(c.tokens) or self.count_tokens(c.text)
            c.finish_reason = "stop" if ch.get("finish_reason") == "stop" else "length"
            if on_token:
                on_token(idx, c.text, None)

    @staticmethod
    def _logprob_infos(lp: Any, chat: bool) -> list[TokenInfo]:
        if not lp:
            return []
        out = []
        try:
            if chat:
                for item in lp.get("content") or []:
                    top = [(t["token"], float(t["logprob"])) for t in item.get("top_logprobs") or []]
                    out.append(TokenInfo(text=item["token"], logprob=float(item["logprob"]), top=top))
            else:
                tokens = lp.get("tokens") or []
                logprobs = lp.get("token_logprobs") or []
                tops = lp.get("top_logprobs") or []
                for i, tok in enumerate(tokens):
                    alternatives = (tops[i] or {}).items() if i < len(tops) else []
                    top = sorted(((t, float(v)) for t, v in alternatives), key=lambda x: -x[1])
                    logprob = float(logprobs[i]) if i < len(logprobs) and logprobs[i] is not None else None
                    out.append(TokenInfo(text=tok, logprob=logprob, top=top))
        except (KeyError, TypeError, ValueError, AttributeError):
            return []
        return out
