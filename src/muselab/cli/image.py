"""Picture commands: `muselab paint`, `muselab style`, and the `muselab image` group
(info, train gan|vae, sample, interpolate, edit, diffuse, remote). Thin: build a Recipe, run the job."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from muselab.cli.common import console, fail, print_json, run_job, studio

image_app = typer.Typer(
    help="Pictures: read embedded recipes, train a GAN/VAE, sample, edit, diffusion. 图像", no_args_is_help=True
)

JSON = typer.Option(False, "--json", help="Print machine-readable output.")
OUT = typer.Option(None, "--out", "-o", help="Copy the pictures to this folder.")


def _size(size: str | None) -> dict:
    if not size:
        return {}
    m = re.fullmatch(r"(\d+)(?:[x×*](\d+))?", size.strip().lower())
    if not m:
        fail(f"--size {size!r}: give WIDTHxHEIGHT such as 1024x768 (or one number for a square)")
    w = int(m.group(1))
    return {"width": w, "height": int(m.group(2) or w)}


def _upload(path: Path, option: str) -> str:
    if not path.is_file():
        fail(f"{option}: file {str(path)!r} not found")
    return studio().upload(path, path.name).id


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def register(app: typer.Typer) -> None:
    @app.command(help="Paint procedural art from a prompt (Chinese or English). 作画")
    def paint(
        prompt: str = typer.Argument("", help="e.g. '水墨山水 烟雨' or 'sunset over the sea'"),
        generator: str = typer.Option(None, help="flow, landscape, inkwash, bauhaus, pattern, gradient, poster"),
        palette: str = typer.Option(None, help="A named palette (muselab image palettes lists them)."),
        mood: str = typer.Option(None, help="natural, calm, vivid, dark, warm, cool, dreamy"),
        composition: str = typer.Option(None, help="balanced, centered, thirds, sparse, dense"),
        motif: str = typer.Option(None, help="Patterns: cloud, lattice, waves, fret, dots"),
        title: str = typer.Option(None, help="Poster title."),
        subtitle: str = typer.Option(None, help="Poster subtitle."),
        size: str = typer.Option(None, help="WIDTHxHEIGHT, up to 4096 (default 1024x1024)."),
        seed: int = typer.Option(None, help="Seed (random when left out)."),
        n: int = typer.Option(1, "--n", "-n", min=1, max=16, help="Candidates (seed, seed+1, ...)."),
        fmt: str = typer.Option("png", "--format", help="png, jpeg or webp"),
        out: Path = OUT,
        json_output: bool = JSON,
    ):
        recipe = _clean(
            {
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
        )
        run_job("image.paint", recipe, json_output=json_output, out=out)

    @app.command(
        help="Restyle a photo with a built-in style (0-25, or a blend '3:0.5,12:0.5') or any picture. 风格迁移"
    )
    def style(
        photo: Path = typer.Argument(..., help="Your photo."),
        style: str = typer.Option(None, "--style", "-s", help="Built-in style index 0-25 or a blend."),
        style_image: Path = typer.Option(None, "--style-image", help="Use this picture as the style."),
        strength: float = typer.Option(1.0, min=0, max=1, help="0 keeps the photo, 1 is full style."),
        preserve_color: bool = typer.Option(False, "--preserve-color", help="Keep the photo's colours."),
        fmt: str = typer.Option("png", "--format", help="png, jpeg or webp"),
        out: Path = OUT,
        json_output: bool = JSON,
    ):
        if (style is None) == (style_image is None):
            fail("give exactly one of --style (0-25) or --style-image FILE")
        recipe = {
            "photo_work_id": _upload(photo, "PHOTO"),
            "strength": strength,
            "preserve_color": preserve_color,
            "format": fmt,
        }
        if style_image is not None:
            recipe["style_work_id"] = _upload(style_image, "--style-image")
        else:
            recipe["style"] = style
        run_job("image.style", recipe, json_output=json_output, out=out)

    app.add_typer(image_app, name="image")


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


def _train(
    kind: str,
    folder: Path,
    image_size: int,
    epochs: int,
    batch_size: int,
    latent_dim: int,
    base_channels: int,
    patience: int,
    title: str | None,
    seed: int | None,
    out: Path | None,
    json_output: bool,
) -> None:
    recipe = _clean(
        {
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
    )
    run_job(f"image.train_{kind}", recipe, json_output=json_output, out=out)


def _train_command(kind: str):
    def command(
        folder: Path = typer.Argument(..., help="A folder of pictures (png/jpg/webp)."),
        image_size: int = typer.Option(64, help="32, 64 or 128"),
        epochs: int = typer.Option(30, min=1),
        batch_size: int = typer.Option(32, min=2),
        latent_dim: int = typer.Option(64, min=2),
        base_channels: int = typer.Option(32, min=4),
        patience: int = typer.Option(5, min=0, help="Stop after this many epochs without improvement."),
        title: str = typer.Option(None),
        seed: int = typer.Option(None),
        out: Path = OUT,
        json_output: bool = JSON,
    ):
        _train(
            kind,
            folder,
            image_size,
            epochs,
            batch_size,
            latent_dim,
            base_channels,
            patience,
            title,
            seed,
            out,
            json_output,
        )

    command.__doc__ = f"Train a {'DCGAN' if kind == 'gan' else 'convolutional VAE'} on a folder of your pictures."
    return command


def add_train_commands(train_app: typer.Typer) -> None:
    """Add `gan FOLDER` and `vae FOLDER` to a command group, e.g. the training domain's `muselab train`."""
    train_app.command("gan")(_train_command("gan"))
    train_app.command("vae")(_train_command("vae"))


image_train_app = typer.Typer(
    help="Train a GAN or a VAE on a folder of your pictures. 训练生成模型", no_args_is_help=True
)
add_train_commands(image_train_app)
image_app.add_typer(image_train_app, name="train")


@image_app.command(help="New pictures from a trained GAN/VAE (a model Work id). 采样")
def sample(
    model_work_id: str = typer.Argument(...),
    n: int = typer.Option(16, min=1, max=256),
    temperature: float = typer.Option(1.0),
    upscale: int = typer.Option(1, min=1, max=8),
    separate: bool = typer.Option(False, "--separate", help="One Work per picture instead of a grid."),
    seed: int = typer.Option(None),
    out: Path = OUT,
    json_output: bool = JSON,
):
    recipe = _clean(
        {
            "model_work_id": model_work_id,
            "n": n,
            "temperature": temperature,
            "upscale": upscale,
            "as_grid": not separate,
            "seed": seed,
        }
    )
    run_job("image.sample", recipe, json_output=json_output, out=out)


@image_app.command(help="Walk between two latent points of a trained model, as a strip or a GIF. 插值")
def interpolate(
    model_work_id: str = typer.Argument(...),
    steps: int = typer.Option(8, min=2, max=64),
    gif: bool = typer.Option(False, "--gif"),
    start: Path = typer.Option(None, help="VAE: start picture."),
    end: Path = typer.Option(None, help="VAE: end picture."),
    seed: int = typer.Option(None),
    out: Path = OUT,
    json_output: bool = JSON,
):
    recipe = _clean({"model_work_id": model_work_id, "steps": steps, "as_gif": gif, "seed": seed})
    if start or end:
        if not (start and end):
            fail("give both --start and --end, or neither")
        recipe["from_work_id"], recipe["to_work_id"] = _upload(start, "--start"), _upload(end, "--end")
    run_job("image.interpolate", recipe, json_output=json_output, out=out)


@image_app.command(help="Resize/crop to a preset, upscale, adjust, add text (applied in that order). 编辑")
def edit(
    file: Path = typer.Argument(..., help="The picture to edit."),
    preset: str = typer.Option(None, help="poster, social_square, banner, phone_wallpaper, xiaohongshu, ..."),
    upscale: float = typer.Option(None, help="Enlarge by this factor (Lanczos)."),
    brightness: float = typer.Option(None),
    contrast: float = typer.Option(None),
    saturation: float = typer.Option(None),
    text: str = typer.Option(None, help="Text to write (Chinese or English)."),
    position: str = typer.Option("bottom", help="top, center, bottom, top_left, ..."),
    font: Path = typer.Option(None, help="A .ttf/.otf/.ttc font (default Noto Sans CJK)."),
    fmt: str = typer.Option("png", "--format"),
    out: Path = OUT,
    json_output: bool = JSON,
):
    ops: list[dict] = []
    if preset:
        ops.append({"op": "resize", "preset": preset})
    if upscale:
        ops.append({"op": "upscale", "factor": upscale})
    adjust = _clean({"brightness": brightness, "contrast": contrast, "saturation": saturation})
    if adjust:
        ops.append({"op": "adjust", **adjust})
    if text:
        ops.append(_clean({"op": "text", "text": text, "position": position, "font_path": str(font) if font else None}))
    if not ops:
        fail("nothing to do: give --preset, --upscale, --brightness/--contrast/--saturation or --text")
    recipe = {"image_work_id": _upload(file, "FILE"), "ops": ops, "format": fmt}
    run_job("image.edit", recipe, json_output=json_output, out=out)


@image_app.command(help="Text-to-image (or image-to-image) with a diffusers model folder on this machine. 扩散模型")
def diffuse(
    prompt: str = typer.Argument(...),
    model_dir: Path = typer.Option(..., help="A local diffusers folder."),
    init: Path = typer.Option(None, help="Start from this picture (image-to-image)."),
    strength: float = typer.Option(0.6),
    steps: int = typer.Option(25),
    negative: str = typer.Option(""),
    size: str = typer.Option(None, help="WIDTHxHEIGHT (multiples of 8)"),
    n: int = typer.Option(1),
    seed: int = typer.Option(None),
    out: Path = OUT,
    json_output: bool = JSON,
):
    recipe = _clean(
        {
            "model_dir": str(model_dir.expanduser().resolve()),
            "prompt": prompt,
            "negative_prompt": negative,
            "steps": steps,
            "strength": strength,
            "n": n,
            "seed": seed,
            **_size(size),
        }
    )
    if init:
        recipe["init_work_id"] = _upload(init, "--init")
    run_job("image.diffuse", recipe, json_output=json_output, out=out)


@image_app.command(help="Ask a registered image server (see `muselab image servers`). 远程生成")
def remote(
    prompt: str = typer.Argument(...),
    server: str = typer.Option(..., help="Name of a registered image server (muselab image servers ls)."),
    model: str = typer.Option(None),
    steps: int = typer.Option(25),
    size: str = typer.Option(None),
    n: int = typer.Option(1),
    seed: int = typer.Option(None),
    out: Path = OUT,
    json_output: bool = JSON,
):
    recipe = _clean(
        {"server": server, "prompt": prompt, "model": model, "steps": steps, "n": n, "seed": seed, **_size(size)}
    )
    run_job("image.remote", recipe, json_output=json_output, out=out)


servers_app = typer.Typer(
    help="Image servers the studio may call: recipes name them, only you register them. 图像服务器",
    no_args_is_help=True,
)
image_app.add_typer(servers_app, name="servers")


def _registry():
    from muselab.models.registry import Registry

    return Registry(studio().settings.models_dir)


@servers_app.command("add", help="Register an AUTOMATIC1111- or OpenAI-images-compatible server.")
def servers_add(
    name: str = typer.Argument(..., help="A short name recipes use, e.g. forge."),
    url: str = typer.Argument(..., help="Base URL, e.g. http://127.0.0.1:7860"),
    api: str = typer.Option("a1111", help="a1111 or openai"),
    api_key_env: str = typer.Option(None, help="Environment variable holding the key (read when a job runs)."),
):
    from muselab.models.registry import ModelError

    try:
        info = _registry().add_image_server(name, url, api=api, api_key_env=api_key_env)
    except ModelError as exc:
        fail(str(exc))
    console.print(f"[green]✓[/] added image server {info.name}: {info.title}")


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
def servers_rm(name: str):
    from muselab.models.registry import ModelError

    registry = _registry()
    if name not in {s.name for s in registry.image_servers()}:
        fail(f"unknown image server {name!r}")
    try:
        registry.remove(name)
    except ModelError as exc:
        fail(str(exc))
    console.print(f"removed {name}")
