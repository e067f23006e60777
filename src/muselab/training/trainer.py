"""The training loop shared by GPT, LSTM and distillation.

AdamW (decoupled weight decay on matrices only), linear warmup then cosine decay,
gradient clipping, periodic validation loss/perplexity, early stopping with patience,
the best weights kept, and resumable checkpoints written atomically to the job's workdir.

Determinism: the batch drawn at step s and the dropout noise of step s depend only on
(seed, s), so a run resumed from a checkpoint sees exactly the data order of an
uninterrupted run and ends with the same weights.
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from muselab.engines import Cancelled, Context, EngineError, Output
from muselab.training.torchkit import CHECKPOINT_MEDIA_TYPE, atomic_save

CKPT = "ckpt_last.pt"
CKPT_INFO = "ckpt_last.json"  # small sidecar, readable without torch (step, losses)


@dataclass
class TrainConfig:
    seed: int
    block_size: int
    batch_size: int = 12
    max_steps: int = 2000
    learning_rate: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_interval: int = 200
    eval_batches: int = 20
    patience: int | None = None
    min_delta: float = 0.0
    checkpoint_interval: int = 200

    @classmethod
    def from_recipe(cls, recipe) -> TrainConfig:
        """The loop's settings from a training recipe's fields of the same names (an unset seed is 0)."""
        given = {name: getattr(recipe, name) for name in cls.__dataclass_fields__ if hasattr(recipe, name)}
        return cls(**{**given, "seed": recipe.seed or 0})


@dataclass
class TrainResult:
    steps: int
    best_val_loss: float | None
    final_train_loss: float
    history: list[dict] = field(default_factory=list)
    stopped_early: bool = False
    resumed_from: int | None = None
    tokens_per_s: float = 0.0
    seconds: float = 0.0
    best_state: dict | None = None


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warmup to the peak, then cosine decay to min_lr_ratio * peak at max_steps."""
    peak = cfg.learning_rate
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return peak * (step + 1) / cfg.warmup_steps
    span = max(cfg.max_steps - cfg.warmup_steps, 1)
    progress = min(max(step - cfg.warmup_steps, 0) / span, 1.0)
    floor = peak * cfg.min_lr_ratio
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = {id(p): p for p in model.parameters() if p.requires_grad}.values()
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    try:
        return torch.optim.AdamW(groups, lr=cfg.learning_rate, betas=(0.9, 0.99), fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(groups, lr=cfg.learning_rate, betas=(0.9, 0.99))


def _step_seed(seed: int, step: int) -> int:
    return (seed * 1_000_003 + step * 7919 + 17) % (2**63 - 1)


def get_batch(data: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator):
    ix = torch.randint(len(data) - block_size - 1 + 1, (batch_size,), generator=generator)
    offsets = torch.arange(block_size + 1)
    chunk = data[ix.unsqueeze(1) + offsets]
    return chunk[:, :-1], chunk[:, 1:]


def check_data(train: torch.Tensor, val: torch.Tensor | None, block_size: int) -> None:
    if len(train) < block_size + 2:
        raise EngineError(
            f"block_size: the corpus' training split has {len(train)} tokens, too few for block_size={block_size}; "
            f"use block_size below {max(len(train) - 2, 1)} or a bigger corpus"
        )
    if val is not None and 0 < len(val) < block_size + 2:
        raise EngineError(
            f"block_size: the validation split has {len(val)} tokens, too few for block_size={block_size}; "
            "use a smaller block_size, a larger val_fraction or a bigger corpus"
        )


@torch.no_grad()
def evaluate(model, data: torch.Tensor, cfg: TrainConfig, batches: int | None = None, seed_offset: int = 0) -> float:
    """Mean cross-entropy over a fixed (seeded) set of validation windows."""
    was_training = model.training
    model.eval()
    g = torch.Generator().manual_seed(cfg.seed + 99_991 + seed_offset)
    losses = []
    for _ in range(batches or cfg.eval_batches):
        x, y = get_batch(data, cfg.block_size, cfg.batch_size, g)
        _, loss = model(x, y)
        losses.append(loss.item())
    model.train(was_training)
    return sum(losses) / len(losses)


def _load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise EngineError(
            f"the checkpoint {path.name} in this run's folder is corrupt ({type(exc).__name__}); it was left as it "
            "is (nothing deleted): start a new run, or remove the file to restart this one from scratch"
        ) from None


def train(
    model: torch.nn.Module,
    train_data: torch.Tensor,
    val_data: torch.Tensor | None,
    cfg: TrainConfig,
    ctx,
    workdir: Path,
    identity: dict,
    loss_fn: Callable | None = None,
    progress_span: tuple[float, float] = (0.0, 1.0),
    on_step: Callable[[int], None] | None = None,
    resume_from: Path | None = None,
) -> TrainResult:
    """Train `model` in place. `identity` (arch, config, tokenizer) must match a checkpoint to resume from it.

    A checkpoint in `workdir` (this job's, after a crash) is resumed from; otherwise `resume_from`
    (a checkpoint kept from an earlier, stopped run) is copied in and resumed from.
    """
    check_data(train_data, val_data, cfg.block_size)
    has_val = val_data is not None and len(val_data) >= cfg.block_size + 2
    optimizer = make_optimizer(model, cfg)
    workdir = Path(workdir)
    ckpt_path = workdir / CKPT
    step = 0
    history: list[dict] = []
    best_val: float | None = None
    best_state: dict | None = None
    bad_evals = 0
    resumed_from = None
    elapsed_before = 0.0

    ck: dict = {}
    if not ckpt_path.exists() and resume_from is not None:
        import shutil

        shutil.copyfile(resume_from, ckpt_path.with_name(CKPT + ".tmp"))
        os.replace(ckpt_path.with_name(CKPT + ".tmp"), ckpt_path)
    if ckpt_path.exists():
        ck = _load_checkpoint(ckpt_path)
        if ck.get("identity", {}).get("tokenizer") != identity.get("tokenizer"):
            raise EngineError(
                "vocabulary mismatch on resume: the checkpoint in this run's folder was trained with a different "
                "tokenizer/vocabulary than this corpus gives; the checkpoint was kept; train a new run instead"
            )
        if ck.get("identity", {}).get("arch") != identity.get("arch") or ck["identity"].get("config") != identity.get(
            "config"
        ):
            raise EngineError(
                "the checkpoint in this run's folder has a different model configuration; it was kept; "
                "resume with the same recipe or start a new run"
            )
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        step = ck["step"]
        history = ck["history"]
        best_val = ck["best_val"]
        best_state = ck.get("best_model")
        bad_evals = ck["bad_evals"]
        elapsed_before = ck.get("elapsed", 0.0)
        resumed_from = step
        if ck.get("finished"):
            return TrainResult(step, best_val, ck.get("last_train_loss", float("nan")), history, ck.get(
                "stopped_early", False), resumed_from, ck.get("tokens_per_s", 0.0), elapsed_before,
                best_state or ck["model"])

    def save_ckpt(finished: bool = False, stopped_early: bool = False) -> None:
        atomic_save(
            {
                "identity": identity,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "step": step,
                "history": history,
                "best_val": best_val,
                "best_model": best_state,
                "bad_evals": bad_evals,
                "elapsed": elapsed_before + (time.perf_counter() - t_start),
                "finished": finished,
                "stopped_early": stopped_early,
                "last_train_loss": last_loss,
                "tokens_per_s": tokens_per_s,
                "interval_losses": list(interval_losses),
            },
            ckpt_path,
        )
        (workdir / CKPT_INFO).write_text(json.dumps({"step": step, "best_val": best_val, "finished": finished}))

    p0, p1 = progress_span
    tokens_per_step = cfg.batch_size * cfg.block_size
    t_start = time.perf_counter()
    last_report = 0.0
    step_time_ema = None
    last_loss = float("nan")
    tokens_per_s = 0.0
    stopped_early = False
    interval_losses: list[float] = list(ck.get("interval_losses", [])) if resumed_from is not None else []
    model.train()
    if resumed_from is not None:
        ctx.progress(p0 + (p1 - p0) * step / cfg.max_steps, f"resumed from step {step}",
                     {"step": step, "max_steps": cfg.max_steps, "resumed_from": step})

    while step < cfg.max_steps:
        t0 = time.perf_counter()
        lr = lr_at(step, cfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        g = torch.Generator().manual_seed(_step_seed(cfg.seed, step))
        x, y = get_batch(train_data, cfg.block_size, cfg.batch_size, g)
        torch.manual_seed(_step_seed(cfg.seed, step) + 1)  # dropout noise of this step
        if loss_fn is None:
            _, loss = model(x, y)
        else:
            loss = loss_fn(model, x, y)
        if not torch.isfinite(loss):
            raise EngineError(f"training diverged at step {step} (loss {loss.item()}); lower learning_rate")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        step += 1
        if on_step is not None:
            on_step(step)
        last_loss = loss.item()
        interval_losses.append(last_loss)
        dt = time.perf_counter() - t0
        step_time_ema = dt if step_time_ema is None else 0.9 * step_time_ema + 0.1 * dt
        tokens_per_s = tokens_per_step / step_time_ema

        point = None
        if step % cfg.eval_interval == 0 or step == cfg.max_steps:
            point = {"step": step, "train_loss": round(sum(interval_losses) / len(interval_losses), 4), "lr": lr}
            interval_losses.clear()
            if has_val:
                val = evaluate(model, val_data, cfg)
                point["val_loss"] = round(val, 4)
                point["val_ppl"] = round(math.exp(min(val, 50)), 3)
                if best_val is None or val < best_val - cfg.min_delta:
                    best_val = val
                    best_state = copy.deepcopy(model.state_dict())
                    bad_evals = 0
                else:
                    bad_evals += 1
            history.append(point)
            if cfg.patience and bad_evals >= cfg.patience:
                stopped_early = True

        now = time.perf_counter()
        if point is not None or now - last_report > 1.0 or step == cfg.max_steps:
            last_report = now
            eta = step_time_ema * (cfg.max_steps - step) * (1 + (cfg.eval_batches / cfg.eval_interval))
            preview = {"step": step, "max_steps": cfg.max_steps, "train_loss": round(last_loss, 4),
                       "tokens_per_s": round(tokens_per_s, 1), "eta_s": round(eta, 1), "lr": lr}
            if resumed_from is not None:
                preview["resumed_from"] = resumed_from  # on every event: the studio may thin out quick ones
            if point is not None and "val_loss" in point:
                preview.update(val_loss=point["val_loss"], val_ppl=point["val_ppl"])
            msg = f"step {step}/{cfg.max_steps} loss {last_loss:.3f}"
            if "val_loss" in preview:
                msg += f" val {preview['val_loss']:.3f}"
            try:
                ctx.progress(p0 + (p1 - p0) * step / cfg.max_steps, msg, preview)
            except Cancelled:
                save_ckpt()  # stopping keeps everything learnt so far; `train resume` continues from here
                raise
        if step % cfg.checkpoint_interval == 0 or stopped_early:
            save_ckpt()
        if stopped_early:
            break

    elapsed = elapsed_before + (time.perf_counter() - t_start)
    save_ckpt(finished=True, stopped_early=stopped_early)
    return TrainResult(step, best_val, last_loss, history, stopped_early, resumed_from, tokens_per_s, elapsed,
                       best_state if best_state is not None else copy.deepcopy(model.state_dict()))


def train_keeping_checkpoint(model, train_data, val_data, cfg: TrainConfig, ctx: Context, identity: dict, recipe,
                             **kw) -> TrainResult:
    """train(), resuming from recipe.resume_checkpoint_work_id if given; when the job is stopped, the
    checkpoint is kept as a Work (kind data, tag checkpoint) so `muselab train resume` can continue it."""
    resume_from = ctx.input_path(recipe.resume_checkpoint_work_id) if recipe.resume_checkpoint_work_id else None
    try:
        return train(model, train_data, val_data, cfg, ctx, Path(ctx.workdir), identity, resume_from=resume_from,
                     **kw)
    except Cancelled:
        ckpt = Path(ctx.workdir) / CKPT
        if ckpt.exists():
            info = json.loads((Path(ctx.workdir) / CKPT_INFO).read_text())
            ctx.emit(Output(kind="data", media_type=CHECKPOINT_MEDIA_TYPE, path=ckpt,
                            title=f"checkpoint at step {info['step']}",
                            meta={"partial": True, "step": info["step"], "best_val_loss": info.get("best_val")},
                            parents=[recipe.corpus_work_id], tags=["checkpoint"], filename="checkpoint.pt"))
        raise


def loss_curve_png(history: list[dict], path: Path, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    steps = [h["step"] for h in history]
    ax.plot(steps, [h["train_loss"] for h in history], label="train loss", marker=".")
    val = [(h["step"], h["val_loss"]) for h in history if "val_loss" in h]
    if val:
        ax.plot([s for s, _ in val], [v for _, v in val], label="validation loss", marker=".")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats/token)")
    if title:
        ax.set_title(title[:60])
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return Path(path)
