"""How long a preset takes on this machine: a few real training steps, timed (no guessing from a table)."""

from __future__ import annotations

import threading
import time

from muselab.training.recipe import PRESETS


def seconds_per_step(preset: str, vocab_size: int, steps: int = 3) -> float:
    """Median time of a few AdamW steps of the preset's GPT at this vocabulary size."""
    import torch

    from muselab.training.gpt import GPT, GPTConfig
    from muselab.training.torchkit import set_threads
    from muselab.training.trainer import TrainConfig, make_optimizer

    set_threads()
    p = PRESETS[preset]
    model = GPT(GPTConfig(vocab_size=vocab_size, block_size=p["block_size"], n_layer=p["n_layer"],
                          n_head=p["n_head"], n_embd=p["n_embd"]))
    opt = make_optimizer(model, TrainConfig(seed=0, block_size=p["block_size"]))
    x = torch.randint(0, vocab_size, (p["batch_size"], p["block_size"]))
    times = []
    for i in range(steps + 1):
        t = time.perf_counter()
        _, loss = model(x, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i:  # the first step warms up allocations
            times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


REFERENCE_VOCAB = 256  # each preset is timed once, at this vocabulary; other sizes are scaled from it
_timed: dict[str, float] = {}
_timed_lock = threading.Lock()


def flops_per_token(preset: str, vocab_size: int) -> float:
    """Training FLOPs per token of a preset's GPT: 6N + 12·L·T·C (the estimate nanoGPT's estimate_mfu uses),
    with the output layer (vocab_size × n_embd) counted in N since it is where vocabulary costs time."""
    p = PRESETS[preset]
    n_layer, n_embd, block = p["n_layer"], p["n_embd"], p["block_size"]
    params = 12 * n_layer * n_embd * n_embd + vocab_size * n_embd
    return 6 * params + 12 * n_layer * block * n_embd


def preset_estimates(vocab_size: int, presets: list[str] | None = None) -> list[dict]:
    """Each preset's time on this machine: timed once per process, scaled to `vocab_size` by FLOPs.

    Timing every requested vocabulary would let one cheap request (a GET) cost minutes of CPU."""
    out = []
    for name in presets or list(PRESETS):
        p = PRESETS[name]
        with _timed_lock:
            if name not in _timed:
                _timed[name] = seconds_per_step(name, REFERENCE_VOCAB)
        sps = _timed[name] * flops_per_token(name, vocab_size) / flops_per_token(name, REFERENCE_VOCAB)
        out.append({"name": name, **p, "vocab_size": vocab_size, "seconds_per_step": round(sps, 4),
                    "estimated_seconds": round(sps * p["max_steps"] * 1.1, 1)})  # +10% for validation runs
    return out
