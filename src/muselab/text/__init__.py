"""Writing studio: local language models that write stories, poems, scripts and copy in Chinese and English.

One task, `text.generate`, covers every form (story, poem, classical_poem, lyrics, script, ad_copy,
slogan, news, product, summary, continue, rewrite, expand, shorten, tone, translate, free, and the
user's own forms): see muselab.text.recipe.WriteRecipe for its fields.
"""

from muselab.engines import TaskSpec

TASKS = [
    TaskSpec(
        name="text.generate",
        recipe="muselab.text.recipe:WriteRecipe",
        engine="muselab.text.engine:run",
        title="Write (story, poem, script, copy, edit...)",
    )
]
