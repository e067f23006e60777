from pydantic import Field

from muselab.engines import Recipe


class DemoRecipe(Recipe):
    """Everything that determines a demo text."""

    prompt: str = Field(min_length=1, max_length=2000, description="Words woven into the text.")
    steps: int = Field(default=5, ge=1, le=1000, description="Artificial steps, each reporting progress.")
    step_seconds: float = Field(default=0.2, ge=0, le=60, description="Pause per step, to make progress visible.")
    fail_at_step: int | None = Field(default=None, ge=1, description="Fail on this step (for testing failure).")
