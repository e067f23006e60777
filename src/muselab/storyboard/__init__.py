"""Storyboard: one idea (or your own story or poem) becomes a narrated, scored, subtitled short film.

A storyboard is a Work (JSON): a title and shots, each with a caption, a narration line, a picture prompt, a mood
and a duration. `storyboard.plan` writes one from a prompt or a text; `storyboard.edit` changes one (a new
Work whose parent is the old); `storyboard.render` makes every part through the other studios' tasks (pictures,
narration, music) and assembles the film, re-using every part whose recipe did not change."""

from muselab.engines import TaskSpec

_R = "muselab.storyboard.recipe:"

TASKS = [
    TaskSpec("storyboard.plan", _R + "PlanRecipe", "muselab.storyboard.planner:run", "Plan a storyboard"),
    TaskSpec("storyboard.edit", _R + "EditRecipe", "muselab.storyboard.edit:run", "Edit a storyboard"),
    TaskSpec("storyboard.render", _R + "RenderRecipe", "muselab.storyboard.render:run", "Render a storyboard"),
]
