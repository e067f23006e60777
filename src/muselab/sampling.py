"""The sampling vocabulary every domain shares: how a generator picks its next token (or note) and how many
candidates it makes.

Each name has one meaning, one range and one help text here, so `temperature` means the same to the writing
studio, a trained model and a melody generator; each recipe gives its own default
(`temperature: Temperature = 0.8`). A domain whose engine cannot take the whole range narrows it where it
declares the field, saying why (`Annotated[Candidates, Field(le=8)]`).

Ground floor: imports nothing of the studio.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Temperature = Annotated[float, Field(
    ge=0.0, le=5.0,
    description="Randomness: 0 always picks the likeliest token, about 0.7-1.0 is creative, above 1.3 gets wild.")]
# a k beyond the vocabulary is no limit; the bound (above any vocabulary) only keeps the number sane
TopK = Annotated[int, Field(ge=0, le=1_000_000, description="Consider only the k likeliest tokens (0 = no limit).")]
TopP = Annotated[float, Field(
    gt=0.0, le=1.0, description="Consider the likeliest tokens whose probabilities add up to p (1 = all).")]
MinP = Annotated[float, Field(
    ge=0.0, lt=1.0, description="Drop tokens less likely than min_p times the likeliest one (0 = off).")]
RepetitionPenalty = Annotated[float, Field(ge=1.0, le=2.0, description="Discourage repeating recent tokens (1 = off).")]
MaxTokens = Annotated[int, Field(
    ge=1, le=100_000, description="Longest answer, in tokens (a word or a character or two).")]
Candidates = Annotated[int, Field(ge=1, le=32, description="How many candidates to make at once.")]
