"""Sampling parameters shared by all text backends, with their short explanations.

The same field names are used by the write recipe, the OpenAI-compatible routes and the
backends: temperature, top_k, top_p, min_p, repetition_penalty, max_tokens, stop, seed, n,
top_logprobs. Their meaning and ranges are the studio's (muselab.sampling); the defaults
here are the writing studio's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from muselab.sampling import Candidates, MaxTokens, MinP, RepetitionPenalty, Temperature, TopK, TopP

MAX_N = 8  # a llama.cpp context holds at most this many sequences (candidates written together)
MAX_TOP_LOGPROBS = 20

TextCandidates = Annotated[Candidates, Field(
    le=MAX_N, description=f"How many candidates to write at once (1-{MAX_N}).")]


class SamplingFields(BaseModel):
    """Mixed into recipes: how the next token is picked."""

    temperature: Temperature = 0.8
    top_k: TopK = 40
    top_p: TopP = 0.95
    min_p: MinP = 0.05
    repetition_penalty: RepetitionPenalty = 1.1
    max_tokens: MaxTokens = 400
    stop: list[str] = Field(default_factory=list, max_length=8,
                            description="Stop when one of these strings is written (it is not included).")
    n: TextCandidates = 1
    top_logprobs: int = Field(
        default=0, ge=0, le=MAX_TOP_LOGPROBS,
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
    """What a backend needs to sample (plain data, no validation: recipes validate; no defaults: they are the
    recipe's)."""

    temperature: float
    top_k: int
    top_p: float
    min_p: float
    repetition_penalty: float
    max_tokens: int
    stop: list[str]
    seed: int
    n: int
    top_logprobs: int

    @classmethod
    def of(cls, recipe: SamplingFields, seed: int | None) -> Sampling:
        return cls(
            temperature=recipe.temperature, top_k=recipe.top_k, top_p=recipe.top_p, min_p=recipe.min_p,
            repetition_penalty=recipe.repetition_penalty, max_tokens=recipe.max_tokens, stop=list(recipe.stop),
            seed=seed or 0, n=recipe.n, top_logprobs=recipe.top_logprobs,
        )
