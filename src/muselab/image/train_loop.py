"""Train your own generator: a DCGAN or a convolutional VAE on a folder of your pictures (32-128 px).

Training runs as a job. Each epoch walks the training pictures in batches, one `gan_step` or `vae_step`
per batch; at the epoch's end it scores the held-out pictures (scores.py), keeps the best epoch's weights,
saves a sample grid from fixed noise, and stops early after `patience` epochs without a better score.

It resumes: a checkpoint (networks, optimisers, progress) is written atomically to ctx.workdir every
`checkpoint_every` steps and at the end of each epoch, and a re-run of the same job continues from it (the
data order of each epoch is derived from the seed, so the resumed run sees the batches it would have seen).

The trained model is an Output of kind "model" (networks.CHECKPOINT_MEDIA_TYPE), followed by its final
sample grid and a GIF of the grids epoch by epoch; sampling.py makes pictures with it.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from muselab.engines import Context, Output
from muselab.image.dataset import load_dataset, split
from muselab.image.networks import (
    CHECKPOINT_MEDIA_TYPE,
    build_networks,
    require_torch,
    save_atomic,
    save_model,
    to_pil,
    to_tensor,
)
from muselab.image.output import grid, picture_output
from muselab.image.pnginfo import a1111_parameters
from muselab.image.scores import HeldOutScore
from muselab.image.thumbs import preview_data_url

GRID_N = 16  # pictures in the sample grid saved every epoch
REAL_LABEL, FAKE_LABEL = 0.9, 0.0  # the GAN's targets for the discriminator: one-sided label smoothing


def train(kind: str, recipe, ctx: Context) -> list[Output]:
    """Train a "gan" or a "vae" as the recipe says: the model, its sample grid, its grids epoch by epoch."""
    with _threads():
        return _train(kind, recipe, ctx)


class _threads:
    """Use at most half the cores for these small networks (oversubscribed threads spin and crawl)."""

    def __enter__(self):
        torch = require_torch()
        self.before = torch.get_num_threads()
        torch.set_num_threads(max(1, min(self.before, (os.cpu_count() or 2) // 2)))

    def __exit__(self, *exc):
        require_torch().set_num_threads(self.before)


# ---------------------------------------------------------------- one run and its progress


def new_state() -> dict:
    """A run's progress; the resume checkpoint keeps it as it is."""
    return {
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


@dataclass
class Run:
    """One training run: what it trains, with what, and how far it got (`state`)."""

    kind: str  # "gan" or "vae"
    recipe: object
    ctx: Context
    seed: int
    decoder: object
    encoder: object
    optimizers: dict
    steps_per_epoch: int
    state: dict = field(default_factory=new_state)

    @property
    def workdir(self) -> Path:
        return Path(self.ctx.workdir)

    def fraction(self) -> float:
        total = self.recipe.epochs * self.steps_per_epoch
        return min(0.99, 0.02 + 0.97 * self.state["global_step"] / max(1, total))

    def report(self, message: str, preview: dict | None = None) -> None:
        self.ctx.progress(self.fraction(), message, preview)

    def checkpoint(self) -> None:
        """Write everything a re-run needs to continue from here."""
        obj = {
            "kind": self.kind,
            "recipe": self.recipe.model_dump(mode="json"),
            "decoder": self.decoder.state_dict(),
            "encoder": self.encoder.state_dict(),
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "state": self.state,
        }
        save_atomic(obj, self.workdir / f"{self.kind}_resume.pt")

    def resume(self) -> None:
        """Continue from the checkpoint a previous attempt of this job left, if it is for this very recipe."""
        path = self.workdir / f"{self.kind}_resume.pt"
        if not path.exists():
            return
        try:
            ck = require_torch().load(path, weights_only=False)
        except Exception:  # a damaged checkpoint (should not happen: writes are atomic) restarts cleanly
            return
        if ck.get("recipe") != self.recipe.model_dump(mode="json") or ck.get("kind") != self.kind:
            return
        self.decoder.load_state_dict(ck["decoder"])
        self.encoder.load_state_dict(ck["encoder"])
        for k, o in self.optimizers.items():
            o.load_state_dict(ck["optimizers"][k])
        self.state = ck["state"]
        self.state["resumed_from_step"] = self.state["global_step"]
        self.report(f"resumed from step {self.state['global_step']}")


def make_optimizers(kind: str, decoder, encoder, learning_rate: float) -> dict:
    """GAN: one Adam each for the generator ("g") and the discriminator ("d"); VAE: one for both halves."""
    torch = require_torch()
    if kind == "gan":
        return {
            "g": torch.optim.Adam(decoder.parameters(), lr=learning_rate, betas=(0.5, 0.999)),
            "d": torch.optim.Adam(encoder.parameters(), lr=learning_rate, betas=(0.5, 0.999)),
        }
    return {"vae": torch.optim.Adam(list(decoder.parameters()) + list(encoder.parameters()), lr=learning_rate)}


# ---------------------------------------------------------------- one step on one batch


def gan_step(run: Run, x) -> dict:
    """The discriminator learns to tell the batch from generated pictures, then the generator learns to fool it."""
    torch = require_torch()
    F = torch.nn.functional
    generator, discriminator = run.decoder, run.encoder
    z = torch.randn(len(x), run.recipe.latent_dim)
    fake = generator(z)
    d_real, d_fake = discriminator(x).view(-1), discriminator(fake.detach()).view(-1)
    loss_d = F.binary_cross_entropy_with_logits(
        d_real, torch.full_like(d_real, REAL_LABEL)
    ) + F.binary_cross_entropy_with_logits(d_fake, torch.full_like(d_fake, FAKE_LABEL))
    run.optimizers["d"].zero_grad()
    loss_d.backward()
    run.optimizers["d"].step()
    d_out = discriminator(fake).view(-1)
    loss_g = F.binary_cross_entropy_with_logits(d_out, torch.ones_like(d_out))
    run.optimizers["g"].zero_grad()
    loss_g.backward()
    run.optimizers["g"].step()
    return {"d": loss_d.item(), "g": loss_g.item()}


def vae_step(run: Run, x) -> dict:
    """Encode, sample a code (reparameterised), decode; loss = reconstruction + beta x KL to the prior."""
    torch = require_torch()
    F = torch.nn.functional
    mu, logvar = run.encoder(x).chunk(2, dim=1)
    z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
    recon = run.decoder(z)
    rec = F.mse_loss(recon, x, reduction="none").flatten(1).sum(1).mean()
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
    loss = rec + run.recipe.beta * kl
    run.optimizers["vae"].zero_grad()
    loss.backward()
    run.optimizers["vae"].step()
    return {"loss": loss.item(), "recon": rec.item(), "kl": kl.item()}


STEPS = {"gan": gan_step, "vae": vae_step}


# ---------------------------------------------------------------- the loop


def _train(kind: str, recipe, ctx: Context) -> list[Output]:
    torch = require_torch()
    seed = recipe.seed if recipe.seed is not None else 0
    images, skipped = load_dataset(recipe, ctx)
    hold_idx, train_idx = split(len(images), recipe.holdout_fraction, seed)
    score_images = images[hold_idx] if len(hold_idx) >= 2 else images[train_idx]
    batch_size = min(recipe.batch_size, len(train_idx))

    torch.manual_seed(seed)
    decoder, encoder = build_networks(kind, recipe.image_size, recipe.latent_dim, recipe.base_channels)
    optimizers = make_optimizers(kind, decoder, encoder, recipe.learning_rate)
    run = Run(kind, recipe, ctx, seed, decoder, encoder, optimizers, max(1, len(train_idx) // batch_size))
    fixed_z = torch.randn(GRID_N, recipe.latent_dim, generator=torch.Generator().manual_seed(seed + 7))
    held_out_score = HeldOutScore(kind, score_images, recipe, seed)
    run.resume()
    state = run.state
    if state["initial_score"] is None:
        state["initial_score"] = held_out_score(decoder, encoder)

    step = STEPS[kind]
    started = time.perf_counter()
    while state["epoch"] < recipe.epochs and not state["stopped_early"]:
        epoch = state["epoch"]
        order = np.random.default_rng([seed, 2, epoch]).permutation(train_idx)
        flip = np.random.default_rng([seed, 3, epoch]).random(len(order)) < 0.5
        torch.manual_seed(seed * 1000003 + state["global_step"])
        while state["step_in_epoch"] < run.steps_per_epoch:
            s = state["step_in_epoch"]
            batch = images[order[s * batch_size : (s + 1) * batch_size]]
            if recipe.augment_flip:
                f = flip[s * batch_size : (s + 1) * batch_size]
                batch = np.where(f[:, None, None, None], batch[:, :, ::-1], batch)
            losses = step(run, to_tensor(np.ascontiguousarray(batch)))
            state["epoch_losses"].append(losses)
            state["step_in_epoch"] += 1
            state["global_step"] += 1
            if state["global_step"] % recipe.checkpoint_every == 0:
                run.checkpoint()
            run.report(
                f"epoch {epoch + 1}/{recipe.epochs} step {s + 1}/{run.steps_per_epoch} "
                + " ".join(f"{k} {v:.3f}" for k, v in losses.items())
            )
        _end_of_epoch(run, held_out_score, fixed_z)

    summary = {
        "images": len(images),
        "held_out_images": len(hold_idx),
        "skipped": skipped,
        "seconds_this_run": round(time.perf_counter() - started, 2),
    }
    return _finish(run, fixed_z, summary)


def _end_of_epoch(run: Run, held_out_score: HeldOutScore, fixed_z) -> None:
    """Score, keep the best weights, save a sample grid, decide on early stopping, checkpoint."""
    torch = require_torch()
    state, epoch = run.state, run.state["epoch"]
    mean = {k: float(np.mean([d[k] for d in state["epoch_losses"]])) for k in state["epoch_losses"][0]}
    score = held_out_score(run.decoder, run.encoder)
    improved = state["best_score"] is None or score < state["best_score"]
    if improved:
        state["best_score"], state["best_epoch"], state["bad_epochs"] = score, epoch + 1, 0
        save_atomic(
            {"decoder": run.decoder.state_dict(), "encoder": run.encoder.state_dict()},
            run.workdir / f"{run.kind}_best.pt",
        )
    else:
        state["bad_epochs"] += 1
    state["history"].append({"epoch": epoch + 1, **mean, "held_out": score})
    run.decoder.eval()
    with torch.no_grad():
        sheet = grid(to_pil(run.decoder(fixed_z)))
    run.decoder.train()
    samples_dir = run.workdir / "samples"
    samples_dir.mkdir(exist_ok=True)
    sheet.save(samples_dir / f"epoch_{epoch + 1:04d}.png")
    if run.recipe.patience and state["bad_epochs"] >= run.recipe.patience:
        state["stopped_early"] = True
    state["epoch"] += 1
    state["step_in_epoch"] = 0
    state["epoch_losses"] = []
    run.checkpoint()
    run.report(
        f"epoch {epoch + 1} done: held-out {score:.3f}" + (" (best)" if improved else ""),
        {"image": preview_data_url(sheet, 384), "epoch": epoch + 1, "held_out": score, **mean},
    )


def _finish(run: Run, fixed_z, summary: dict) -> list[Output]:
    """The model with the best epoch's weights, its final sample grid and the grids epoch by epoch."""
    torch = require_torch()
    kind, recipe, state, workdir = run.kind, run.recipe, run.state, run.workdir
    best = torch.load(workdir / f"{kind}_best.pt", weights_only=True)
    run.decoder.load_state_dict(best["decoder"])
    run.encoder.load_state_dict(best["encoder"])
    arch = {
        "kind": kind,
        "image_size": recipe.image_size,
        "latent_dim": recipe.latent_dim,
        "base_channels": recipe.base_channels,
    }
    training = {
        "images": summary["images"],
        "held_out_images": summary["held_out_images"],
        "skipped": summary["skipped"],
        "epochs_run": state["epoch"],
        "best_epoch": state["best_epoch"],
        "best_score": state["best_score"],
        "initial_score": state["initial_score"],
        "score": "held-out loss per image" if kind == "vae" else "FID-like proxy (random-feature Fréchet distance)",
        "stopped_early": state["stopped_early"],
        "resumed_from_step": state["resumed_from_step"],
        "steps": state["global_step"],
        "seconds_this_run": summary["seconds_this_run"],
        "history": state["history"],
    }
    model_path = workdir / f"{kind}_model.pt"
    save_model(model_path, arch, run.decoder, run.encoder, json.dumps(training))
    run.decoder.eval()
    with torch.no_grad():
        final_grid = grid(to_pil(run.decoder(fixed_z)))
    title = recipe.title or f"{kind.upper()} {recipe.image_size}px on {summary['images']} pictures"
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
        f"{kind} samples", "", Seed=run.seed, Size=f"{final_grid.width}x{final_grid.height}", Model=f"muselab-{kind}"
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
    run.ctx.progress(1.0, "done")
    return outputs
