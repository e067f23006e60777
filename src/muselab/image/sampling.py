"""Pictures from a trained GAN or VAE (a model Work made by train_loop.py): samples, and walks through its
latent space between two seeds or, for a VAE, between the encodings of two of your pictures."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from muselab.engines import Context, EngineError, Output
from muselab.image.dataset import centre_square
from muselab.image.networks import load_model, require_torch, to_pil, to_tensor
from muselab.image.output import grid, picture_output
from muselab.image.pnginfo import a1111_parameters, open_image


def _upscale(images: list[Image.Image], factor: int) -> list[Image.Image]:
    if factor == 1:
        return images
    return [im.resize((im.width * factor, im.height * factor), Image.LANCZOS) for im in images]


def sample(recipe, ctx: Context) -> list[Output]:
    """`n` pictures from seeded latent noise scaled by `temperature`: one grid, or one Work each."""
    torch = require_torch()
    arch, decoder, _ = load_model(ctx.input_path(recipe.model_work_id))
    seed = recipe.seed if recipe.seed is not None else 0
    z = torch.randn(recipe.n, arch["latent_dim"], generator=torch.Generator().manual_seed(seed)) * recipe.temperature
    with torch.no_grad():
        pics = _upscale(to_pil(decoder(z)), recipe.upscale)
    ctx.progress(0.9, "sampled")
    model = f"muselab-{arch['kind']}"

    def output(picture: Image.Image, label: str, title: str, meta: dict, stem: str) -> Output:
        params = a1111_parameters(label, "", Seed=seed, Size=f"{picture.width}x{picture.height}", Model=model)
        return picture_output(
            picture, "image.sample", recipe, params, title,
            parents=[recipe.model_work_id], meta=meta, model=model, tags=["samples"], stem=stem,
        )

    if recipe.as_grid:
        meta = {"n": recipe.n, "architecture": arch}
        return [output(grid(pics), f"{arch['kind']} samples", f"{recipe.n} samples", meta, "samples")]
    return [
        output(pic, f"{arch['kind']} sample {i}", f"sample {i + 1}", {"index": i}, f"sample-{i + 1}")
        for i, pic in enumerate(pics)
    ]


def interpolate(recipe, ctx: Context) -> list[Output]:
    """Pictures along a line between two latent points, ends included: a strip, or a GIF that walks there and back."""
    torch = require_torch()
    arch, decoder, encoder = load_model(ctx.input_path(recipe.model_work_id))
    seed = recipe.seed if recipe.seed is not None else 0
    parents = [recipe.model_work_id]
    if recipe.from_work_id:
        if encoder is None:
            raise EngineError("from_work_id/to_work_id need a VAE model (a GAN has no encoder); use seeds instead")
        ends = []
        for field in ("from_work_id", "to_work_id"):
            wid = getattr(recipe, field)
            im = centre_square(open_image(ctx.input_path(wid), field=field), arch["image_size"])
            with torch.no_grad():
                mu, _ = encoder(to_tensor(np.array(im)[None])).chunk(2, dim=1)
            ends.append(mu[0])
            parents.append(wid)
        a, b = ends
    else:
        end_seed = recipe.end_seed if recipe.end_seed is not None else seed + 1
        a = torch.randn(arch["latent_dim"], generator=torch.Generator().manual_seed(seed))
        b = torch.randn(arch["latent_dim"], generator=torch.Generator().manual_seed(end_seed))
    ts = torch.linspace(0, 1, recipe.frames)
    if recipe.from_work_id:
        zs = torch.stack([a * (1 - t) + b * t for t in ts])
    else:  # spherical interpolation keeps Gaussian samples at a typical norm
        omega = torch.arccos(torch.clamp(torch.dot(a / a.norm(), b / b.norm()), -1, 1))
        so = torch.sin(omega)
        zs = torch.stack(
            [
                a * (1 - t) + b * t
                if so < 1e-6
                else (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b
                for t in ts
            ]
        )
    with torch.no_grad():
        frames = _upscale(to_pil(decoder(zs)), recipe.upscale)
    model = f"muselab-{arch['kind']}"
    meta = {"frames": recipe.frames, "architecture": arch}
    if recipe.as_gif:
        loop = frames + frames[-2:0:-1]
        buf = io.BytesIO()
        loop[0].save(buf, "GIF", save_all=True, append_images=loop[1:], duration=recipe.frame_ms, loop=0)
        return [
            Output(
                kind="image",
                media_type="image/gif",
                data=buf.getvalue(),
                title="latent walk",
                meta=meta,
                parents=parents,
                model=model,
                tags=["interpolation"],
                filename="latent-walk.gif",
            )
        ]
    strip = grid(frames, cols=len(frames))
    params = a1111_parameters("latent walk", "", Seed=seed, Size=f"{strip.width}x{strip.height}", Model=model)
    return [
        picture_output(
            strip,
            "image.interpolate",
            recipe,
            params,
            "latent walk",
            parents=parents,
            meta=meta,
            model=model,
            tags=["interpolation"],
            stem="latent-walk",
        )
    ]
