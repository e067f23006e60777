"""What every text backend offers: turn a prompt (or chat messages) into n candidates, token by token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from muselab.text.sampling import Sampling


@dataclass
class TokenInfo:
    """One generated token: its text, log-probability and the likeliest alternatives."""

    text: str
    logprob: float | None = None
    top: list[tuple[str, float]] = field(default_factory=list)  # (token text, logprob), likeliest first

    def as_dict(self) -> dict:
        return {"token": self.text, "logprob": self.logprob, "top": [{"token": t, "logprob": lp} for t, lp in self.top]}


@dataclass
class Candidate:
    index: int
    text: str = ""
    finish_reason: str = "length"  # stop | length
    tokens: list[TokenInfo] = field(default_factory=list)  # filled when top_logprobs > 0
    completion_tokens: int = 0
    prompt_tokens: int = 0


@dataclass
class GenStats:
    prompt_tokens: int = 0
    completion_tokens: int = 0  # all candidates
    seconds: float = 0.0  # total wall time
    first_token_seconds: float | None = None  # request start -> first token of any candidate
    prompt_seconds: float = 0.0
    batched: bool = False

    @property
    def tokens_per_second(self) -> float:
        gen = self.seconds - (self.first_token_seconds or 0.0)
        return (self.completion_tokens - 1) / gen if gen > 0 and self.completion_tokens > 1 else 0.0


# on_token(candidate index, new text (may be "" while bytes of a character are pending), token info or None)
# It may raise (e.g. Cancelled) to stop generation at once.
OnToken = Callable[[int, str, "TokenInfo | None"], None]


class BackendError(Exception):
    """The backend cannot do what was asked (message is user-facing)."""


class Backend(Protocol):
    name: str

    def context_length(self) -> int:
        """Tokens the model can see at once (prompt + answer)."""

    def count_tokens(self, text: str) -> int:
        """Tokens in a piece of text (an estimate for remote servers)."""

    def chat_prompt(self, messages: list[dict]) -> str | None:
        """The raw prompt a chat becomes (None when the server formats it)."""

    def generate(
        self,
        sampling: Sampling,
        prompt: str | None = None,
        messages: list[dict] | None = None,
        on_token: OnToken | None = None,
    ) -> tuple[list[Candidate], GenStats]:
        """n candidates for a raw prompt or a chat."""
