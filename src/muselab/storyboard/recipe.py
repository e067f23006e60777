"""What a storyboard is, and what can be asked of the storyboard studio.

`Storyboard` is the document a storyboard Work holds (JSON). The recipes name Works by id; every bound is here,
so bad input (empty text, 500 shots, a missing Work, an unsupported voice language) is refused before any work
starts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from muselab.engines import Recipe

WorkId = Annotated[str, Field(min_length=8, max_length=32, pattern=r"^[0-9a-f]+$")]
MAX_SHOTS = 24
Mood = Literal["calm", "happy", "sad", "energetic", "mysterious"]


class Shot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    caption: str = Field(default="", max_length=300, description="On-screen subtitle.")
    narration: str = Field(default="", max_length=1000, description="What the voice says (often the caption).")
    picture_prompt: str = Field(min_length=1, max_length=500, description="What the picture shows.")
    mood: Mood = "calm"
    duration: float = Field(default=5.0, ge=1.0, le=60.0, description="Seconds on screen.")
    picture_work_id: WorkId | None = Field(default=None, description="Use this picture Work instead of painting one.")


class Storyboard(BaseModel):
    """The document of a storyboard Work."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=200)
    language: Literal["en", "zh"] = "en"
    mode: Literal["story", "poem"] = Field(default="story", description="poem: 诗配画, an ink-wash painting with the "
                                           "poem in vertical type, pentatonic music, recitation.")
    shots: list[Shot] = Field(min_length=1, max_length=MAX_SHOTS)
    music_mood: Mood = "calm"
    source_text: str = Field(default="", max_length=20000, description="The story or poem it was planned from.")

    @property
    def seconds(self) -> float:
        return sum(shot.duration for shot in self.shots)


class PlanRecipe(Recipe):
    """A storyboard from an idea (the writing studio writes the story) or from your own story or poem."""

    prompt: str = Field(default="", max_length=2000, description="An idea: the story is written from it.")
    text: str = Field(default="", max_length=20000, description="Or your own story or poem, split into shots.")
    text_work_id: WorkId | None = Field(default=None, description="Or a text Work to split.")
    mode: Literal["auto", "story", "poem"] = Field(default="auto", description="auto: a classical poem is a poem.")
    shots: int = Field(default=6, ge=1, le=MAX_SHOTS, description="How many shots (a poem: one per line or couplet).")
    seconds: float = Field(default=30.0, ge=5.0, le=600.0, description="Length of the film.")
    language: Literal["auto", "en", "zh"] = "auto"
    model: str | None = Field(default=None, max_length=200, description="Language model (muselab models ls).")

    @model_validator(mode="after")
    def _one_source(self) -> PlanRecipe:
        given = [bool(self.prompt.strip()), bool(self.text.strip()), bool(self.text_work_id)]
        if sum(given) != 1:
            raise ValueError("give exactly one of prompt (an idea), text (your story or poem) or text_work_id")
        if self.seconds < self.shots:
            raise ValueError(f"seconds ({self.seconds:g}) must give each of the {self.shots} shots at least 1 s")
        return self


class ShotEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shot: int = Field(ge=1, le=MAX_SHOTS, description="Which shot (1 is the first).")
    caption: str | None = Field(default=None, max_length=300)
    narration: str | None = Field(default=None, max_length=1000)
    picture_prompt: str | None = Field(default=None, min_length=1, max_length=500)
    picture_work_id: WorkId | None = None
    duration: float | None = Field(default=None, ge=1.0, le=60.0)
    move_to: int | None = Field(default=None, ge=1, le=MAX_SHOTS, description="Move the shot to this place.")
    delete: bool = False


class EditRecipe(Recipe):
    """A new storyboard: the given one with these changes (the old one stays, as its parent)."""

    storyboard_work_id: WorkId
    title: str | None = Field(default=None, max_length=200)
    edits: list[ShotEdit] = Field(default_factory=list, max_length=100)


class RenderRecipe(Recipe):
    """The film of a storyboard: every part made (or re-used when its recipe is unchanged) and assembled."""

    storyboard_work_id: WorkId
    aspect: Literal["16:9", "9:16", "1:1", "4:5"] = "16:9"
    height: int = Field(default=720, ge=144, le=2160, multiple_of=2)
    transition: str = Field(default="fade", max_length=20, description="An xfade transition name, or cut.")
    narrate: bool = Field(default=True, description="Read each shot's narration aloud.")
    voice: str | None = Field(default=None, max_length=100, description="Voice name; empty: the language's default.")
    music: bool = Field(default=True, description="Compose music to the mood and length.")
    music_work_id: WorkId | None = Field(default=None, description="Or use this music Work.")
    credits: bool = Field(default=True, description="End with the models used and that the film is AI-made.")
