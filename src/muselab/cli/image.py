"""Picture commands: `muselab paint`, `muselab style`, the `muselab image` group (info, palettes, sample,
interpolate, edit, diffuse, remote, servers) and `muselab train gan|vae` (added to the training domain's
`train` group through add_train_commands).

Thin: options become a Recipe, the job runs through the studio. An option the user leaves out is not sent,
so the recipe owns every default (the help shows it, read from the recipe field the option fills).
"""

from __future__ import annotations

import re
from pathlib import Path

import typer
from pydantic_core import PydanticUndefined

from muselab.cli.common import JSON, OUT, clean, console, fail, print_json, run_job, studio, upload
from muselab.image.recipe import (
    BUILT_IN_STYLES,
    Composition,
    DiffuseRecipe,
    Generator,
    InterpolateRecipe,
    Mood,
    Motif,
    PaintRecipe,
    RemoteRecipe,
    SampleRecipe,
    StyleRecipe,
    TextOp,
    TextToImageRecipe,
    TrainRecipe,
    choices,
)

image_app = typer.Typer(
    help="Pictures: read embedded recipes, palettes, sample and walk a trained GAN/VAE (`muselab train gan|vae`), "
    "edit, diffusion, image servers. 图像",
    no_args_is_help=True,
)


def about(recipe, field: str, text: str | None = None) -> str:
    """An option's help: what the recipe field it fills says (or `text`), and the recipe's default."""
    info = recipe.model_fields[field]
    help_text = text or info.description or ""
    if info.default not in (None, "", PydanticUndefined):
        help_text += f" (default: {info.default})"
    return help_text


def one_of(choice_type) -> str:
    """A recipe choice's values for a help text."""
    return ", ".join(choices(choice_type))


def about_size(recipe) -> str:
    """The --size help from the recipe's width and height fields: their limits and defaults."""
    fields = recipe.model_json_schema()["properties"]
    width, height = fields["width"], fields["height"]
    steps = f", multiples of {width['multipleOf']}" if "multipleOf" in width else ""
    return (f"WIDTHxHEIGHT (or one number for a square), {width['minimum']}-{width['maximum']} a side{steps} "
            f"(default: {width['default']}x{height['default']})")


# options several commands take, defined once
SEED = typer.Option(None, help=about(PaintRecipe, "seed"))
FORMAT = typer.Option(None, "--format", help=about(PaintRecipe, "format"))


def _size(size: str | None) -> dict:
    if not size:
        return {}
    m = re.fullmatch(r"(\d+)(?:[x×*](\d+))?", size.strip().lower())
    if not m:
        fail(f"--size {size!r}: give WIDTHxHEIGHT such as 1024x768 (or one number for a square)")
    w = int(m.group(1))
    return {"width": w, "height": int(m.group(2) or w)}


def register(app: typer.Typer) -> None:
    app.command(help="Paint procedural art from a prompt (Chinese or English). 作画")(paint)
    app.command(
        help=f"Restyle a photo with a built-in style (0-{BUILT_IN_STYLES - 1}, or a blend '3:0.5,12:0.5') "
        "or any picture. 风格迁移"
    )(style)
    app.add_typer(image_app, name="image")


def paint(
    prompt: str = typer.Argument("", help="e.g. '水墨山水 烟雨' or 'sunset over the sea'"),
    generator: str = typer.Option(None, help=f"{one_of(Generator)} (default: picked from the prompt)."),
    palette: str = typer.Option(None, help="A named palette (`muselab image palettes` lists them)."),
    mood: str = typer.Option(None, help=f"{one_of(Mood)} (default: picked from the prompt)."),
    composition: str = typer.Option(None, help=f"{one_of(Composition)} (default: picked from the prompt)."),
    motif: str = typer.Option(None, help=f"Patterns: {one_of(Motif)} (default: picked from the prompt)."),
    title: str = typer.Option(None, help=about(PaintRecipe, "title")),
    subtitle: str = typer.Option(None, help=about(PaintRecipe, "subtitle")),
    size: str = typer.Option(None, help=about_size(PaintRecipe)),
    seed: int = SEED,
    n: int = typer.Option(None, "--n", "-n", help=about(PaintRecipe, "n")),
    fmt: str = FORMAT,
    out: Path = OUT,
    json_output: bool = JSON,
):
    recipe = {
        "prompt": prompt,
        "generator": generator,
        "palette": palette,
        "mood": mood,
        "composition": composition,
        "motif": motif,
        "title": title,
        "subtitle": subtitle,
        "seed": seed,
        "n": n,
        "format": fmt,
        **_size(size),
    }
    run_job("image.paint", recipe, json_output=json_output, out=out)


def style(
    photo: Path = typer.Argument(..., help="Your photo."),
    style: str = typer.Option(None, "--style", "-s", help=about(StyleRecipe, "style")),
    style_image: Path = typer.Option(None, "--style-image", help="Use this picture as the style."),
    strength: float = typer.Option(None, help=about(StyleRecipe, "strength")),
    preserve_color: bool = typer.Option(False, "--preserve-color", help=about(StyleRecipe, "preserve_color")),
    fmt: str = FORMAT,
    out: Path = OUT,
    json_output: bool = JSON,
):
    if (style is None) == (style_image is None):
        fail(f"give exactly one of --style (0-{BUILT_IN_STYLES - 1}) or --style-image FILE")
    recipe = {
        "photo_work_id": upload(photo, "PHOTO"),
        "style": style,
        "style_work_id": upload(style_image, "--style-image") if style_image is not None else None,
        "strength": strength,
        "preserve_color": preserve_color or None,
        "format": fmt,
    }
    run_job("image.style", recipe, json_output=json_output, out=out)


# ---------------------------------------------------------------- reading pictures


@image_app.command(help="Show the recipe and parameters embedded in a picture (PNG info). 读取图片参数")
def info(
    file: Path = typer.Argument(..., help="A PNG, JPEG or WebP made by Muselab or AUTOMATIC1111."),
    json_output: bool = JSON,
):
    from muselab.engines import EngineError
    from muselab.image.pnginfo import read_info

    if not file.is_file():
        fail(f"FILE: {str(file)!r} not found")
    try:
        data = read_info(file)
    except EngineError as exc:
        fail(str(exc))
    if json_output:
        print_json(data)
        return
    console.print(f"[bold]{file.name}[/]  {data['format']} {data['width']}x{data['height']}")
    if data["task"]:
        console.print(f"task: [bold]{data['task']}[/]")
    if data["recipe"]:
        for key, value in data["recipe"].items():
            console.print(f"  {key}: {value}")
    if data["parameters"]:
        console.print("[bold]parameters[/] (AUTOMATIC1111):")
        console.print(data["parameters"], markup=False)
    if not data["recipe"] and not data["parameters"]:
        console.print("no embedded recipe or parameters")


@image_app.command(help="List the named palettes. 调色板")
def palettes(json_output: bool = JSON):
    from muselab.image.palettes import palette_info

    items = palette_info()
    if json_output:
        print_json(items)
        return
    for p in items:
        console.print(
            f"[bold]{p['name']:<10}[/] {p['title_zh']} · {p['title']}: "
            + " ".join(f"[on {c['hex']}]   [/]" for c in p["colors"])
        )


# ---------------------------------------------------------------- GAN / VAE


def _train_command(kind: str):
    def command(
        folder: Path = typer.Argument(..., help="A folder of pictures (png/jpg/webp)."),
        image_size: int = typer.Option(None, help=about(TrainRecipe, "image_size")),
        epochs: int = typer.Option(None, help=about(TrainRecipe, "epochs")),
        batch_size: int = typer.Option(None, help=about(TrainRecipe, "batch_size")),
        latent_dim: int = typer.Option(None, help=about(TrainRecipe, "latent_dim")),
        base_channels: int = typer.Option(None, help=about(TrainRecipe, "base_channels")),
        patience: int = typer.Option(None, help=about(TrainRecipe, "patience")),
        title: str = typer.Option(None, help=about(TrainRecipe, "title")),
        seed: int = SEED,
        out: Path = OUT,
        json_output: bool = JSON,
    ):
        recipe = {
            "images_dir": str(folder.expanduser().resolve()),
            "image_size": image_size,
            "epochs": epochs,
            "batch_size": batch_size,
            "latent_dim": latent_dim,
            "base_channels": base_channels,
            "patience": patience,
            "title": title,
            "seed": seed,
        }
        run_job(f"image.train_{kind}", recipe, json_output=json_output, out=out)

    command.__doc__ = (
        f"Train a {'DCGAN' if kind == 'gan' else 'convolutional VAE'} on a folder of your pictures "
        "(then: muselab image sample MODEL_ID)."
    )
    return command


def add_train_commands(train_app: typer.Typer) -> None:
    """Add `gan FOLDER` and `vae FOLDER` to a command group: the training domain's `muselab train`."""
    train_app.command("gan")(_train_command("gan"))
    train_app.command("vae")(_train_command("vae"))


@image_app.command(help="New pictures from a trained GAN/VAE (a model Work id). 采样")
def sample(
    model_work_id: str = typer.Argument(..., help="A model made by `muselab train gan|vae`."),
    n: int = typer.Option(None, "--n", "-n", help=about(SampleRecipe, "n")),
    temperature: float = typer.Option(None, help=about(SampleRecipe, "temperature")),
    upscale: int = typer.Option(None, help=about(SampleRecipe, "upscale")),
    separate: bool = typer.Option(False, "--separate", help="One Work per picture instead of a grid."),
    seed: int = SEED,
    fmt: str = FORMAT,
    out: Path = OUT,
    json_output: bool = JSON,
):
    recipe = {
        "model_work_id": model_work_id,
        "n": n,
        "temperature": temperature,
        "upscale": upscale,
        "as_grid": False if separate else None,
        "seed": seed,
        "format": fmt,
    }
    run_job("image.sample", recipe, json_output=json_output, out=out)


@image_app.command(help="Walk between two latent points of a trained model, as a strip or a GIF. 插值")
def interpolate(
    model_work_id: str = typer.Argument(..., help="A model made by `muselab train gan|vae`."),
    frames: int = typer.Option(None, help=about(InterpolateRecipe, "frames")),
    old_steps: int = typer.Option(None, "--steps", hidden=True),  # old name of --frames; the recipe renames it
    gif: bool = typer.Option(False, "--gif", help="A looping GIF instead of a strip."),
    start: Path = typer.Option(None, help="VAE: start at this picture."),
    end: Path = typer.Option(None, help="VAE: end at this picture."),
    seed: int = SEED,
    fmt: str = FORMAT,
    out: Path = OUT,
    json_output: bool = JSON,
):
    if (start is None) != (end is None):
        fail("give both --start and --end, or neither")
    recipe = {
        "model_work_id": model_work_id,
        "frames": frames,
        "steps": old_steps,
        "as_gif": gif or None,
        "from_work_id": upload(start, "--start") if start else None,
        "to_work_id": upload(end, "--end") if end else None,
        "seed": seed,
        "format": fmt,
    }
    run_job("image.interpolate", recipe, json_output=json_output, out=out)


# ---------------------------------------------------------------- edit


@image_app.command(help="Resize/crop to a preset, upscale, adjust, add text (applied in that order). 编辑")
def edit(
    file: Path = typer.Argument(..., help="The picture to edit."),
    preset: str = typer.Option(None, help="poster, social_square, banner, phone_wallpaper, xiaohongshu, ..."),
    upscale: float = typer.Option(None, help="Enlarge by this factor (Lanczos)."),
    brightness: float = typer.Option(None, help="1 = unchanged."),
    contrast: float = typer.Option(None, help="1 = unchanged."),
    saturation: float = typer.Option(None, help="1 = unchanged, 0 = grey."),
    text: str = typer.Option(None, help="Text to write (Chinese or English)."),
    position: str = typer.Option(None, help=about(TextOp, "position", "Where the text goes: top, center, ...")),
    font: Path = typer.Option(None, help="A .ttf/.otf/.ttc font (default Noto Sans CJK)."),
    fmt: str = FORMAT,
    out: Path = OUT,
    json_output: bool = JSON,
):
    ops: list[dict] = []
    if preset:
        ops.append({"op": "resize", "preset": preset})
    if upscale:
        ops.append({"op": "upscale", "factor": upscale})
    adjust = clean({"brightness": brightness, "contrast": contrast, "saturation": saturation})
    if adjust:
        ops.append({"op": "adjust", **adjust})
    if text:
        ops.append(clean({"op": "text", "text": text, "position": position, "font_path": str(font) if font else None}))
    if not ops:
        fail("nothing to do: give --preset, --upscale, --brightness/--contrast/--saturation or --text")
    recipe = {"image_work_id": upload(file, "FILE"), "ops": ops, "format": fmt}
    run_job("image.edit", recipe, json_output=json_output, out=out)


# ---------------------------------------------------------------- diffusion and image servers

# the text-to-image options diffuse and remote share, as their recipes share TextToImageRecipe
NEGATIVE = typer.Option(None, "--negative", help=about(TextToImageRecipe, "negative_prompt"))
INIT = typer.Option(None, "--init", help="Start from this picture (image-to-image).")
STRENGTH = typer.Option(None, help=about(TextToImageRecipe, "strength"))
STEPS = typer.Option(None, help=about(TextToImageRecipe, "steps"))
GUIDANCE = typer.Option(None, "--guidance", help=about(TextToImageRecipe, "guidance_scale"))
N = typer.Option(None, "--n", "-n", help=about(TextToImageRecipe, "n"))


def _text_to_image(prompt: str, negative: str | None, init: Path | None, strength: float | None,
                   steps: int | None, guidance: float | None, size: str | None, n: int | None,
                   seed: int | None, fmt: str | None) -> dict:
    """The TextToImageRecipe part of a diffuse or remote recipe, from the options they share."""
    return {
        "prompt": prompt,
        "negative_prompt": negative,
        "init_work_id": upload(init, "--init") if init else None,
        "strength": strength,
        "steps": steps,
        "guidance_scale": guidance,
        "n": n,
        "seed": seed,
        "format": fmt,
        **_size(size),
    }


@image_app.command(help="Text-to-image (or image-to-image) with a diffusers model folder on this machine. 扩散模型")
def diffuse(
    prompt: str = typer.Argument(...),
    model_dir: Path = typer.Option(..., help="A local diffusers folder (with model_index.json)."),
    negative: str = NEGATIVE,
    init: Path = INIT,
    strength: float = STRENGTH,
    steps: int = STEPS,
    guidance: float = GUIDANCE,
    size: str = typer.Option(None, help=about_size(DiffuseRecipe)),
    n: int = N,
    seed: int = SEED,
    fmt: str = FORMAT,
    out: Path = OUT,
    json_output: bool = JSON,
):
    recipe = _text_to_image(prompt, negative, init, strength, steps, guidance, size, n, seed, fmt)
    run_job("image.diffuse", {"model_dir": str(model_dir.expanduser().resolve()), **recipe},
            json_output=json_output, out=out)


# Deliberately the same option list as diffuse (both fill a TextToImageRecipe): Typer reads a command's options
# from its own signature, so each command spells the list out; the definitions are the shared constants above
# and one function (_text_to_image) builds the recipe.
@image_app.command(help="Ask a registered image server (see `muselab image servers`). 远程生成")
def remote(
    prompt: str = typer.Argument(...),
    server: str = typer.Option(..., help="Name of a registered image server (`muselab image servers ls`)."),
    model: str = typer.Option(None, help="Model to request (OpenAI: the server's model id)."),
    negative: str = NEGATIVE,
    init: Path = typer.Option(None, "--init", help="Start from this picture (AUTOMATIC1111 servers only)."),
    strength: float = STRENGTH,
    steps: int = STEPS,
    guidance: float = GUIDANCE,
    size: str = typer.Option(None, help=about_size(RemoteRecipe)),
    n: int = N,
    seed: int = SEED,
    fmt: str = FORMAT,
    out: Path = OUT,
    json_output: bool = JSON,
):
    recipe = _text_to_image(prompt, negative, init, strength, steps, guidance, size, n, seed, fmt)
    run_job("image.remote", {"server": server, "model": model, **recipe}, json_output=json_output, out=out)


servers_app = typer.Typer(
    help="Image servers the studio may call: recipes name them, only you register them. 图像服务器",
    no_args_is_help=True,
)
image_app.add_typer(servers_app, name="servers")


def _registry():
    from muselab.models.registry import Registry

    return Registry(studio().settings.models_dir)


def _registry_call(change):
    """Make a change to the registry; its refusal is a clear exit."""
    from muselab.models.registry import ModelError

    try:
        return change()
    except ModelError as exc:
        fail(str(exc))


def _say(json_output: bool, data, line: str) -> None:
    """What a command did: as JSON, or as a line for the person."""
    if json_output:
        print_json(data)
    else:
        console.print(line)


@servers_app.command("add", help="Register an AUTOMATIC1111- or OpenAI-images-compatible server.")
def servers_add(
    name: str = typer.Argument(..., help="A short name recipes use, e.g. forge."),
    url: str = typer.Argument(..., help="Base URL, e.g. http://127.0.0.1:7860"),
    api: str = typer.Option("a1111", help="a1111 or openai"),
    api_key_env: str = typer.Option(None, help="Environment variable holding the key (read when a job runs)."),
    json_output: bool = JSON,
):
    info = _registry_call(lambda: _registry().add_image_server(name, url, api=api, api_key_env=api_key_env))
    _say(json_output, info.public(), f"[green]✓[/] added image server {info.name}: {info.title}")


@servers_app.command("ls", help="List the registered image servers.")
def servers_ls(json_output: bool = JSON):
    found = [s.public() for s in _registry().image_servers()]
    if json_output:
        print_json(found)
        return
    for server in found:
        key = f" (key from ${server['api_key_env']})" if server.get("api_key_env") else ""
        console.print(f"{server['name']}  {server['api']}  {server['base_url']}{key}")
    if not found:
        console.print("no image servers yet: muselab image servers add NAME URL")


@servers_app.command("rm", help="Forget a registered image server.")
def servers_rm(name: str, json_output: bool = JSON):
    registry = _registry()
    if name not in {s.name for s in registry.image_servers()}:
        fail(f"unknown image server {name!r}")
    _registry_call(lambda: registry.remove(name))
    _say(json_output, {"removed": name}, f"removed {name}")
