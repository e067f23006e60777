"""Fill a seeded template with the prompt, one line per step."""

import random
import time

from muselab.demo.recipe import DemoRecipe
from muselab.engines import Context, EngineError, Output

OPENINGS = ["Once", "Today", "At dawn", "In the rain", "此刻", "秋夜"]
VERBS = ["remembers", "echoes", "becomes", "whispers", "回响", "化作"]


def run(recipe: DemoRecipe, ctx: Context) -> list[Output]:
    rng = random.Random(recipe.seed)
    lines: list[str] = []
    for step in range(1, recipe.steps + 1):
        if recipe.fail_at_step == step:
            partial = "\n".join(lines)
            ctx.emit(Output(kind="text", media_type="text/plain", data=partial.encode(), title="partial demo text",
                            text=partial, meta={"partial": True, "steps_done": step - 1}))
            raise EngineError(f"demo engine failed on step {step} as asked (fail_at_step)")
        lines.append(f"{rng.choice(OPENINGS)} {recipe.prompt} {rng.choice(VERBS)} ({step})")
        time.sleep(recipe.step_seconds)
        ctx.progress(step / recipe.steps, f"step {step}/{recipe.steps}", {"text": "\n".join(lines)})
    text = "\n".join(lines)
    return [Output(kind="text", media_type="text/plain; charset=utf-8", data=text.encode(), title=recipe.prompt[:80],
                   text=text, meta={"steps": recipe.steps}, model="demo", filename="demo.txt")]
