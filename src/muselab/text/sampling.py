"""Sampling parameters shared by all text backends, with their short explanations.

The same field names are used by the write recipe, the OpenAI-compatible routes and the
backends: temperature, top_k, top_p, min_p, repetition_penalty, max_tokens, stop, seed, n,
top_logprobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field, field_validator

MAX_N = 8
MAX_TOP_LOGPROBS = 20


class SamplingFields(BaseModel):
    """Mixed into recipes: how the next token is picked."""

    temperature: float = Field(
        default=0.8, ge=0.0, le=2.0,
        description="Randomness: 0 always picks the likeliest token, about 0.7-1.0 is creative, above 1.3 gets wild.",
    )
    top_k: int = Field(default=40, ge=0, le=1000,
                       description="Consider only the k likeliest tokens (0 = no limit).")
    top_p: float = Field(default=0.95, gt=0.0, le=1.0,
                         description="Consider the likeliest tokens whose probabilities add up to p (1 = all).")
    min_p: float = Field(default=0.05, ge=0.0, lt=1.0,
                         description="Drop tokens less likely than min_p times the likeliest one (0 = off).")
    repetition_penalty: float = Field(default=1.1, ge=1.0, le=2.0,
                                      description="Discourage repeating recent tokens (1 = off).")
    max_tokens: int = Field(default=400, ge=1, le=8192, description="Longest answer, in tokens (a word or a character or two).")
    stop: list[str] = Field(default_factory=list, max_length=8,
                            description="Stop when one of these strings is written (it is not included).")
    n: int = Field(default=1, ge=1, le=MAX_N, description=f"How many candidates to write at once (1-{MAX_N}).")
    top_logprobs: int = Field(default=0, ge=0, le=MAX_TOP_LOGPROBS,
                              description="Keep the N likeliest alternatives of each token with probabilities (0 = off).")

    @field_validator("stop")
    @classmethod
    def _stop_not_empty(cls, v: list[str]) -> list[str]:
        for s in v:
            if not s:
                raise ValueError("stop strings must not be empty")
            if len(s) > 100:
                raise ValueError("each stop string must be at most 100 characters")
        return v


@dataclass
class Sampling:
    """What a backend needs to sample (plain data, no validation: recipes validate)."""

    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repetition_penalty: float = 1.1
    max_tokens: int = 400
    stop: list[str] = field(default_factory=list)
    seed: int = 0
    n: int = 1
    top_logprobs: int = 0

    @classmethod
    def of(cls, recipe: SamplingFields, seed: int | None) -> Sampling:
        return cls(
            temperature=recipe.temperature, top_k=recipe.top_k, top_p=recipe.top_p, min_p=recipe.min_p,
            repetition_penalty=recipe.repetition_penalty, max_tokens=recipe.max_tokens, stop=list(recipe.stop),
            seed=seed or 0, n=recipe.n, top_logprobs=recipe.top_logprobs,
        )
