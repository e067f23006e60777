"""Train your own generator: a DCGAN and a convolutional VAE on a folder of your pictures (32-128 px).

Training runs as a job: progress and a sample grid every epoch, early stopping on a held-out
score (VAE: held-out loss per image; GAN: a FID-like proxy, the Fréchet distance between features of
held-out and generated pictures under a fixed, randomly initialised conv net -- comparable within one
run, not to published FID numbers), and resume: a checkpoint is written atomically to ctx.workdir every
`checkpoint_every` steps and at the end of each epoch; a re-run of the same job continues from it (data
order per epoch is derived from the seed, so the resumed run sees the batches it would have seen).

The trained model is an Output of kind "model" (application/x-muselab-checkpoint), sampled with
image.sample and image.interpolate.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from muselab.engines import Context, EngineError, Output
from muselab.image.output import grid, picture_output
from muselab.image.pnginfo import a1111_parameters, open_image
from muselab.image.thumbs import preview_data_url

CHECKPOINT_MEDIA_TYPE = "application/x-muselab-checkpoint"
FORMAT = "muselab-image-generator-v1"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
GRID_N = 16


def _torch():
    try:
        import torch
    except ImportError:
        raise EngineError("training a GAN/VAE needs PyTorch: pip install 'muselab[train]'") from None
    return torch


# ---------------------------------------------------------------- networks


def build_networks(kind: str, image_size: int, latent_dim: int, base: int):
    torch = _torch()
    nn = torch.nn
    n_up = int(math.log2(image_size // 4))
    chans = [base * 2 ** (n_up - 1 - i) for i in range(n_up)]  # e.g. 64px, base 32: [256, 128, 64, 32]

    class Decoder(nn.Module):
        """z -> picture in [-1, 1]: the DCGAN generator and the VAE decoder share this shape."""

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(latent_dim, chans[0] * 16)
            layers = [nn.BatchNorm2d(chans[0]), nn.ReLU(True)]
            for a, b in zip(chans, chans[1:], strict=False):
                layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True)]
            layers += [nn.ConvTranspose2d(chans[-1], 3, 4, 2, 1), nn.Tanh()]
            self.net = nn.Sequential(*layers)

        def forward(self, z):
            return self.net(self.fc(z).view(-1, chans[0], 4, 4))

    class Encoder(nn.Module):
        """picture -> features (4x4 map, flattened): the DCGAN discriminator body and the VAE encoder."""

        def __init__(self, out: int, batchnorm: bool = True):
            super().__init__()
            rev = chans[::-1]
            layers = [nn.Conv2d(3, rev[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
            for a, b in zip(rev, rev[1:], strict=False):
                layers += [nn.Conv2d(a, b, 4, 2, 1, bias=False)]
                layers += [nn.BatchNorm2d(b)] if batchnorm else []
                layers += [nn.LeakyReLU(0.2, True)]
            self.net = nn.Sequential(*layers)
            self.head = nn.Linear(chans[0] * 16, out)

        def forward(self, x):
            return self.head(self.net(x).flatten(1))

    def init(m):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)

    decoder = Decoder()
    encoder = Encoder(1) if kind == "gan" else Encoder(2 * latent_dim)
    decoder.apply(init)
    encoder.apply(init)
    return decoder, encoder


# ---------------------------------------------------------------- data


def _image_paths(recipe, ctx: Context) -> list[tuple[str, Path]]:
    if recipe.images_dir:
        folder = Path(recipe.images_dir).expanduser()
        if not folder.is_dir():
            raise EngineError(f"images_dir: folder {recipe.images_dir!r} does not exist or is not a folder")
        paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not paths:
            raise EngineError(f"images_dir: no pictures ({', '.join(sorted(IMAGE_SUFFIXES))}) in {recipe.images_dir!r}")
        return [(str(p), p) for p in paths[: recipe.max_images]]
    return [(wid, ctx.input_path(wid)) for wid in recipe.image_work_ids[: recipe.max_images]]


def load_dataset(recipe, ctx: Context) -> tuple[np.ndarray, list[str]]:
    """Pictures centre-cropped square and resized, uint8 (N, size, size, 3); cached in the workdir."""
    cache = Path(ctx.workdir) / f"dataset_{recipe.image_size}.npz"
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        return data["images"], [str(s) for s in data["skipped"]]
    items, skipped = [], []
    paths = _image_paths(recipe, ctx)
    for i, (name, path) in enumerate(paths):
        try:
            im = open_image(path, field="images_dir" if recipe.images_dir else "image_work_ids")
        except EngineError as exc:
            if recipe.image_work_ids:
                raise
            skipped.append(f"{Path(name).name}: {exc}")  # a stray unreadable file in a folder is reported, not fatal
            continue
        side = min(im.size)
        left, top = (im.width - side) // 2, (im.height - side) // 2
        im = im.crop((left, top, left + side, top + side)).resize((recipe.image_size,) * 2, Image.LANCZOS)
        items.append(np.asarray(im, np.uint8))
        if i % 50 == 0:
            ctx.progress(0.02 * i / max(1, len(paths)), f"reading pictures {i}/{len(paths)}")
    if len(items) < 2:
        raise EngineError(f"need at least 2 readable pictures to train, found {len(items)}")
    images = np.stack(items)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, images=images, skipped=np.array(skipped, dtype=str))
    os.replace(tmp, cache)
    return images, skipped


def _to_tensor(batch: np.ndarray):
    torch = _torch()
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def to_pil(t) -> list[Image.Image]:
    arr = ((t.detach().clamp(-1, 1) + 1) * 127.5 + 0.5).byte().permute(0, 2, 3, 1).cpu().numpy()
    return [Image.fromarray(a, "RGB") for a in arr]


# ---------------------------------------------------------------- held-out score


def _probe(image_size: int):
    """A fixed, randomly initialised conv net used as the feature extractor of the FID-like proxy."""
    torch = _torch()
    nn = torch.nn
    g = torch.Generator().manual_seed(20240917)
    layers, c = [], 3
    for out in (32, 64, 96):
        conv = nn.Conv2d(c, out, 4, 2, 1)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * (2.0 / (c * 16)) ** 0.5)
            conv.bias.zero_()
        layers += [conv, nn.LeakyReLU(0.2)]
        c = out
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten()).eval()
    return net


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import linalg

    mu1, mu2 = a.mean(0), b.mean(0)
    s1 = np.cov(a, rowvar=False) + np.eye(a.shape[1]) * 1e-6
    s2 = np.cov(b, rowvar=False) + np.eye(a.shape[1]) * 1e-6
    covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


# ---------------------------------------------------------------- training


def _save_atomic(obj, path: Path) -> None:
    torch = _torch()
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


class _threads:
    """Use at most half the cores for these small networks (oversubscribed threads spin and crawl)."""

    def __enter__(self):
        torch = _torch()
        self.before = torch.get_num_threads()
        torch.set_num_threads(max(1, min(self.before, (os.cpu_count() or 2) // 2)))

    def __exit__(self, *exc):
        _torch().set_num_threads(self.before)


def train(kind: str, recipe, ctx: Context) -> list[Output]:
    with _threads():
        return _train(kind, recipe, ctx)


def _train(kind: str, recipe, ctx: Context) -> list[Output]:
    torch = _torch()
    F = torch.nn.functional
    seed = recipe.seed if recipe.seed is not None else 0
    workdir = Path(ctx.workdir)
    ckpt_path = workdir / f"{kind}_resume.pt"
    images, skipped = load_dataset(recipe, ctx)
    n = len(images)
    perm = np.random.default_rng([seed, 1]).permutation(n)
    n_hold = int(round(recipe.holdout_fraction * n)) if n >= 4 else 0
    n_hold = min(n_hold, n - 2)
    hold_idx, train_idx = perm[:n_hold], perm[n_hold:]
    score_images = images[hold_idx] if n_hold >= 2 else images[train_idx]
    batch_size = min(recipe.batch_size, len(train_idx))
    steps_per_epoch = max(1, len(train_idx) // batch_size)

    torch.manual_seed(seed)
    decoder, encoder = build_networks(kind, recipe.image_size, recipe.latent_dim, recipe.base_channels)
    if kind == "gan":
        opt_g = torch.optim.Adam(decoder.parameters(), lr=recipe.learning_rate, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(encoder.parameters(), lr=recipe.learning_rate, betas=(0.5, 0.999))
        optimizers = {"g": opt_g, "d": opt_d}
    else:
        opt = torch.optim.Adam(list(decoder.parameters()) + list(encoder.parameters()), lr=recipe.learning_rate)
        optimizers = {"vae": opt}
    fixed_z = torch.randn(GRID_N, recipe.latent_dim, generator=torch.Generator().manual_seed(seed + 7))
    probe = _probe(recipe.image_size) if kind == "gan" else None

    def held_out_score() -> float:
        decoder.eval()
        encoder.eval()
        with torch.no_grad():
            x = _to_tensor(score_images)
            if kind == "vae":
                mu, logvar = encoder(x).chunk(2, dim=1)
                recon = decoder(mu)
                per_image = F.mse_loss(recon, x, reduction="none").flatten(1).sum(1)
                kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
                score = float((per_image + recipe.beta * kl).mean())
            else:
                m = max(len(x), 32)
                z = torch.randn(m, recipe.latent_dim, generator=torch.Generator().manual_seed(seed + 11))
                fake = decoder(z)
                real = x.repeat((m + len(x) - 1) // len(x), 1, 1, 1)[:m]
                score = frechet(probe(real).numpy().astype(np.float64), probe(fake).numpy().astype(np.float64))
        decoder.train()
        encoder.train()
        return score

    state = {
        "epoch": 0,
        "step_in_epoch": 0,
        "global_step": 0,
        "history": [],
        "best_score": None,
        "best_epoch": None,
        "bad_epochs": 0,
        "initial_score": None,
        "resumed_from_step": None,
        "stopped_early": False,
        "epoch_losses": [],
    }
    if ckpt_path.exists():
        try:
            ck = torch.load(ckpt_path, weights_only=False)
        except Exception:  # a damaged checkpoint (should not happen: writes are atomic) restarts cleanly
            ck = None
        if ck is not None and ck.get("recipe") == recipe.model_dump(mode="json") and ck.get("kind") == kind:
            decoder.load_state_dict(ck["decoder"])
            encoder.load_state_dict(ck["encoder"])
            for k, o in optimizers.items():
                o.load_state_dict(ck["optimizers"][k])
            state = ck["state"]
            state["resumed_from_step"] = state["global_step"]
            ctx.progress(_fraction(state, recipe, steps_per_epoch), f"resumed from step {state['global_step']}")
    if state["initial_score"] is None:
        state["initial_score"] = held_out_score()

    def checkpoint(best: dict | None = None):
        obj = {
            "kind": kind,
            "recipe": recipe.model_dump(mode="json"),
            "decoder": decoder.state_dict(),
            "encoder": encoder.state_dict(),
            "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
            "state": state,
        }
        _save_atomic(obj, ckpt_path)

    real_label, fake_label = 0.9, 0.0  # one-sided label smoothing
    started = time.perf_counter()
    while state["epoch"] < recipe.epochs and not state["stopped_early"]:
        epoch = state["epoch"]
        order = np.random.default_rng([seed, 2, epoch]).permutation(train_idx)
        flip = np.random.default_rng([seed, 3, epoch]).random(len(order)) < 0.5
        torch.manual_seed(seed * 1000003 + state["global_step"])
        while state["step_in_epoch"] < steps_per_epoch:
            s = state["step_in_epoch"]
            idx = order[s * batch_size : (s + 1) * batch_size]
            batch = images[idx]
            if recipe.augment_flip:
                f = flip[s * batch_size : (s + 1) * batch_size]
                batch = np.where(f[:, None, None, None], batch[:, :, ::-1], batch)
            x = _to_tensor(np.ascontiguousarray(batch))
            if kind == "gan":
                z = torch.randn(len(x), recipe.latent_dim)
                fake = decoder(z)
                d_real, d_fake = encoder(x).view(-1), encoder(fake.detach()).view(-1)
                loss_d = F.binary_cross_entropy_with_logits(
                    d_real, torch.full_like(d_real, real_label)
                ) + F.binary_cross_entropy_with_logits(d_fake, torch.full_like(d_fake, fake_label))
                opt_d.zero_grad()
                loss_d.backward()
                opt_d.step()
                d_out = encoder(fake).view(-1)
                loss_g = F.binary_cross_entropy_with_logits(d_out, torch.ones_like(d_out))
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
                losses = {"d": loss_d.item(), "g": loss_g.item()}
            else:
                mu, logvar = encoder(x).chunk(2, dim=1)
                z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
                recon = decoder(z)
                rec = F.mse_loss(recon, x, reduction="none").flatten(1).sum(1).mean()
                kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
                loss = rec + recipe.beta * kl
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses = {"loss": loss.item(), "recon": rec.item(), "kl": kl.item()}
            state["epoch_losses"].append(losses)
            state["step_in_epoch"] += 1
            state["global_step"] += 1
            if state["global_step"] % recipe.checkpoint_every == 0:
                checkpoint()
            ctx.progress(
                _fraction(state, recipe, steps_per_epoch),
                f"epoch {epoch + 1}/{recipe.epochs} step {s + 1}/{steps_per_epoch} "
                + " ".join(f"{k} {v:.3f}" for k, v in losses.items()),
            )
        # end of epoch: score, sample grid, early stopping, checkpoint
        mean = {k: float(np.mean([d[k] for d in state["epoch_losses"]])) for k in state["epoch_losses"][0]}
        score = held_out_score()
        improved = state["best_score"] is None or score < state["best_score"]
        if improved:
            state["best_score"], state["best_epoch"], state["bad_epochs"] = score, epoch + 1, 0
            _save_atomic(
                {"decoder": decoder.state_dict(), "encoder": encoder.state_dict()}, workdir / f"{kind}_best.pt"
            )
        else:
            state["bad_epochs"] += 1
        state["history"].append({"epoch": epoch + 1, **mean, "held_out": score})
        decoder.eval()
        with torch.no_grad():
            sheet = grid(to_pil(decoder(fixed_z)))
        decoder.train()
        samples_dir = workdir / "samples"
        samples_dir.mkdir(exist_ok=True)
        sheet.save(samples_dir / f"epoch_{epoch + 1:04d}.png")
        if recipe.patience and state["bad_epochs"] >= recipe.patience:
            state["stopped_early"] = True
        state["epoch"] += 1
        state["step_in_epoch"] = 0
        state["epoch_losses"] = []
        checkpoint()
        ctx.progress(
            _fraction(state, recipe, steps_per_epoch),
            f"epoch {epoch + 1} done: held-out {score:.3f}" + (" (best)" if improved else ""),
            {"image": preview_data_url(sheet, 384), "epoch": epoch + 1, "held_out": score, **mean},
        )

    # the model keeps the best epoch's weights
    best = torch.load(workdir / f"{kind}_best.pt", weights_only=True)
    decoder.load_state_dict(best["decoder"])
    encoder.load_state_dict(best["encoder"])
    arch = {
        "kind": kind,
        "image_size": recipe.image_size,
        "latent_dim": recipe.latent_dim,
        "base_channels": recipe.base_channels,
    }
    training = {
        "images": int(n),
        "held_out_images": int(n_hold),
        "skipped": skipped,
        "epochs_run": state["epoch"],
        "best_epoch": state["best_epoch"],
        "best_score": state["best_score"],
        "initial_score": state["initial_score"],
        "score": "held-out loss per image" if kind == "vae" else "FID-like proxy (random-feature Fréchet distance)",
        "stopped_early": state["stopped_early"],
        "resumed_from_step": state["resumed_from_step"],
        "steps": state["global_step"],
        "seconds_this_run": round(time.perf_counter() - started, 2),
        "history": state["history"],
    }
    model_path = workdir / f"{kind}_model.pt"
    _save_atomic(
        {
            "format": FORMAT,
            "arch": arch,
            "decoder": decoder.state_dict(),
            "encoder": encoder.state_dict() if kind == "vae" else None,
            "training": json.dumps(training),
        },
        model_path,
    )
    decoder.eval()
    with torch.no_grad():
        final_grid = grid(to_pil(decoder(fixed_z)))
    title = recipe.title or f"{kind.upper()} {recipe.image_size}px on {n} pictures"
    outputs = [
        Output(
            kind="model",
            media_type=CHECKPOINT_MEDIA_TYPE,
            path=model_path,
            title=title,
            meta={"architecture": arch, "training": training},
            parents=list(recipe.image_work_ids),
            model=f"muselab-{kind}",
            tags=[kind, "trained"],
            filename=f"{kind}-{recipe.image_size}px.pt",
        ),
    ]

    params = a1111_parameters(
        f"{kind} samples", "", Seed=seed, Size=f"{final_grid.width}x{final_grid.height}", Model=f"muselab-{kind}"
    )
    outputs.append(
        picture_output(
            final_grid,
            f"image.train_{kind}",
            recipe,
            params,
            f"{title} · samples",
            meta={"best_epoch": state["best_epoch"]},
            tags=[kind, "samples"],
            stem=f"{kind}-samples",
        )
    )
    outputs[-1].parent_outputs = [0]
    frames = sorted((workdir / "samples").glob("epoch_*.png"))
    if len(frames) > 1:
        gif = workdir / f"{kind}_progress.gif"
        ims = [Image.open(p).convert("RGB") for p in frames]
        ims[0].save(gif, save_all=True, append_images=ims[1:], duration=400, loop=0)
        outputs.append(
            Output(
                kind="image",
                media_type="image/gif",
                path=gif,
                title=f"{title} · epoch by epoch",
                meta={"epochs": len(frames)},
                parent_outputs=[0],
                tags=[kind, "progress"],
                filename=f"{kind}-progress.gif",
            )
        )
    ctx.progress(1.0, "done")
    return outputs


def _fraction(state: dict, recipe, steps_per_epoch: int) -> float:
    total = recipe.epochs * steps_per_epoch
    return min(0.99, 0.02 + 0.97 * state["global_step"] / max(1, total))


# ---------------------------------------------------------------- using a trained model


def load_model(path: Path, field: str = "model_work_id"):
    torch = _torch()
    try:
        ck = torch.load(path, weights_only=True)
    except Exception:
        ck = None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise EngineError(f"{field}: not a Muselab GAN/VAE model (make one with image.train_gan or image.train_vae)")
    arch = ck["arch"]
    decoder, encoder = build_networks(arch["kind"], arch["image_size"], arch["latent_dim"], arch["base_channels"])
    decoder.load_state_dict(ck["decoder"])
    decoder.eval()
    if ck.get("encoder") is not None:
        encoder.load_state_dict(ck["encoder"])
        encoder.eval()
    else:
        encoder = None
    return arch, decoder, encoder


def _upscale(images: list[Image.Image], factor: int) -> list[Image.Image]:
    if factor == 1:
        return images
    return [im.resize((im.width * factor, im.height * factor), Image.LANCZOS) for im in images]


def sample(recipe, ctx: Context) -> list[Output]:
    torch = _torch()

    arch, decoder, _ = load_model(ctx.input_path(recipe.model_work_id))
    seed = recipe.seed if recipe.seed is not None else 0
    z = torch.randn(recipe.n, arch["latent_dim"], generator=torch.Generator().manual_seed(seed)) * recipe.temperature
    with torch.no_grad():
        pics = _upscale(to_pil(decoder(z)), recipe.upscale)
    ctx.progress(0.9, "sampled")
    model = f"muselab-{arch['kind']}"
    if recipe.as_grid:
        sheet = grid(pics)
        params = a1111_parameters(
            f"{arch['kind']} samples", "", Seed=seed, Size=f"{sheet.width}x{sheet.height}", Model=model
        )
        return [
            picture_output(
                sheet,
                "image.sample",
                recipe,
                params,
                f"{recipe.n} samples",
                parents=[recipe.model_work_id],
                meta={"n": recipe.n, "architecture": arch},
                model=model,
                tags=["samples"],
                stem="samples",
            )
        ]
    outs = []
    for i, pic in enumerate(pics):
        params = a1111_parameters(
            f"{arch['kind']} sample {i}", "", Seed=seed, Size=f"{pic.width}x{pic.height}", Model=model
        )
        outs.append(
            picture_output(
                pic,
                "image.sample",
                recipe,
                params,
                f"sample {i + 1}",
                parents=[recipe.model_work_id],
                meta={"index": i},
                model=model,
                tags=["samples"],
                stem=f"sample-{i + 1}",
            )
        )
    return outs


def interpolate(recipe, ctx: Context) -> list[Output]:
    torch = _torch()

    arch, decoder, encoder = load_model(ctx.input_path(recipe.model_work_id))
    seed = recipe.seed if recipe.seed is not None else 0
    parents = [recipe.model_work_id]
    if recipe.from_work_id:
        if encoder is None:
            raise EngineError("from_work_id/to_work_id need a VAE model (a GAN has no encoder); use seeds instead")
        ends = []
        for field in ("from_work_id", "to_work_id"):
            wid = getattr(recipe, field)
            im = open_image(ctx.input_path(wid), field=field)
            side = min(im.size)
            im = im.crop(
                ((im.width - side) // 2, (im.height - side) // 2, (im.width + side) // 2, (im.height + side) // 2)
            ).resize((arch["image_size"],) * 2, Image.LANCZOS)
            with torch.no_grad():
                mu, _ = encoder(_to_tensor(np.array(im)[None])).chunk(2, dim=1)
            ends.append(mu[0])
            parents.append(wid)
        a, b = ends
    else:
        end_seed = recipe.end_seed if recipe.end_seed is not None else seed + 1
        a = torch.randn(arch["latent_dim"], generator=torch.Generator().manual_seed(seed))
        b = torch.randn(arch["latent_dim"], generator=torch.Generator().manual_seed(end_seed))
    ts = torch.linspace(0, 1, recipe.steps)
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
    if recipe.as_gif:
        import io

        loop = frames + frames[-2:0:-1]
        buf = io.BytesIO()
        loop[0].save(buf, "GIF", save_all=True, append_images=loop[1:], duration=recipe.frame_ms, loop=0)
        return [
            Output(
                kind="image",
                media_type="image/gif",
                data=buf.getvalue(),
                title="latent walk",
                meta={"steps": recipe.steps, "architecture": arch},
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
            meta={"steps": recipe.steps, "architecture": arch},
            model=model,
            tags=["interpolation"],
            stem="latent-walk",
        )
    ]
