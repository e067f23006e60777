"""What can be asked of the speech studio."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from muselab.engines import Recipe


class NarrateRecipe(Recipe):
    """A text read aloud as a WAV Work."""

    text: str = Field(min_length=1, max_length=5000, description="What to say (Chinese or English).")
    language: Literal["auto", "en", "zh"] = Field(default="auto", description="auto: from the text's characters.")
    voice: str | None = Field(default=None, max_length=100, description="A voice name (muselab speech voices); "
                              "empty: the language's default.")
    rate: float = Field(default=1.0, ge=0.5, le=2.0, description="Speed: 1 is the voice's own pace.")
