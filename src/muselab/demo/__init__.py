"""A tiny built-in test engine that proves the studio path end to end.

It is not a creative feature: it fills a text template, seeded, in artificial steps
that report progress, so submit -> job -> engine -> Work can be exercised and shown.
"""

from muselab.engines import TaskSpec

TASKS = [
    TaskSpec(
        name="demo.text",
        recipe="muselab.demo.recipe:DemoRecipe",
        engine="muselab.demo.engine:run",
        title="Demo text (test engine)",
    )
]
