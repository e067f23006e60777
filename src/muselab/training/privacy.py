"""Differentially private training: DP-SGD with Opacus, reporting (ε, δ) for the run.

Each training sample is one window of block_size+1 tokens; batches are Poisson-sampled
(as DP-SGD's accounting assumes), each sample's gradient is clipped to dp_max_grad_norm
and Gaussian noise of dp_noise_multiplier × that norm is added. The RDP accountant turns
the noise, the sampling rate and the number of steps into ε at the chosen δ.
"""

from __future__ import annotations

import copy
import math
import time
import warnings

import torch

from muselab.engines import EngineError
from muselab.training.trainer import TrainConfig, TrainResult, evaluate, lr_at


def windows(data: torch.Tensor, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = (len(data) - 1) // block_size
    if n < 2:
        raise EngineError(f"block_size: too little training text for DP training with block_size={block_size}")
    x = data[: n * block_size].view(n, block_size)
    y = data[1 : n * block_size + 1].view(n, block_size)
    return x, y


def train_dp(model, train_data, val_data, cfg: TrainConfig, recipe, ctx) -> tuple[TrainResult, dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from opacus import PrivacyEngine
        from opacus.validators import ModuleValidator

    errors = ModuleValidator.validate(model, strict=False)
    if errors:
        raise EngineError(f"dp: this model has layers DP-SGD cannot train: {errors[0]}")
    x, y = windows(train_data, cfg.block_size)
    n = len(x)
    delta = recipe.dp_delta or 1.0 / (10 * n)
    g = torch.Generator().manual_seed(cfg.seed)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=cfg.batch_size,
                                         generator=g)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                   {"params": rest, "weight_decay": 0.0}], lr=cfg.learning_rate)
    torch.manual_seed(cfg.seed)
    engine = PrivacyEngine(accountant="rdp", secure_mode=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dp_model, optimizer, loader = engine.make_private(
            module=model, optimizer=optimizer, data_loader=loader, noise_multiplier=recipe.dp_noise_multiplier,
            max_grad_norm=recipe.dp_max_grad_norm, poisson_sampling=True, noise_generator=g)
    has_val = val_data is not None and len(val_data) >= cfg.block_size + 2
    history: list[dict] = []
    best_val, best_state, bad = None, None, 0
    step, last_loss, losses = 0, float("nan"), []
    t_start = time.perf_counter()
    stopped = False
    dp_model.train()
    while step < cfg.max_steps and not stopped:
        for xb, yb in loader:
            if len(xb) == 0:  # Poisson sampling can draw an empty batch
                continue
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, cfg)
            optimizer.zero_grad(set_to_none=True)
            _, loss = dp_model(xb, yb)
            loss.backward()
            optimizer.step()
            step += 1
            last_loss = loss.item()
            losses.append(last_loss)
            if step % cfg.eval_interval == 0 or step == cfg.max_steps:
                point = {"step": step, "train_loss": round(sum(losses) / len(losses), 4)}
                losses.clear()
                if has_val:
                    val = evaluate(model, val_data, cfg)
                    point.update(val_loss=round(val, 4), val_ppl=round(math.exp(min(val, 50)), 3))
                    if best_val is None or val < best_val - cfg.min_delta:
                        best_val, best_state, bad = val, copy.deepcopy(model.state_dict()), 0
                    else:
                        bad += 1
                point["epsilon"] = round(engine.get_epsilon(delta), 4)
                history.append(point)
                if cfg.patience and bad >= cfg.patience:
                    stopped = True
            elapsed = time.perf_counter() - t_start
            rate = step * cfg.batch_size * cfg.block_size / max(elapsed, 1e-9)
            if step % 10 == 0 or step == cfg.max_steps or history and history[-1]["step"] == step:
                preview = {"step": step, "max_steps": cfg.max_steps, "train_loss": round(last_loss, 4),
                           "tokens_per_s": round(rate, 1), "eta_s": round(elapsed / step * (cfg.max_steps - step), 1)}
                if history and history[-1]["step"] == step:
                    preview.update({k: v for k, v in history[-1].items() if k in ("val_loss", "val_ppl", "epsilon")})
                ctx.progress(0.01 + 0.94 * step / cfg.max_steps, f"DP step {step}/{cfg.max_steps}", preview)
            if step >= cfg.max_steps or stopped:
                break
    elapsed = time.perf_counter() - t_start
    epsilon = engine.get_epsilon(delta)
    info = {"epsilon": round(epsilon, 4), "delta": delta, "noise_multiplier": recipe.dp_noise_multiplier,
            "max_grad_norm": recipe.dp_max_grad_norm, "sample_rate": round(cfg.batch_size / n, 6),
            "samples": n, "steps": step, "accountant": "rdp (Opacus)"}
    state = best_state if best_state is not None else copy.deepcopy(model.state_dict())
    result = TrainResult(step, best_val, last_loss, history, stopped, None,
                         step * cfg.batch_size * cfg.block_size / max(elapsed, 1e-9), elapsed, state)
    return result, info
