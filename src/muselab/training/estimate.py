"""How long a preset takes on this machine: a few real training steps, timed (no guessing from a table)."""

from __future__ import annotations

import time

from muselab.training.recipe import PRESETS


def seconds_per_step(preset: str, vocab_size: int, steps: int = 3) -> float:
    """Median time of a few AdamW steps of the preset's GPT at this vocabulary size."""
    import torch

    from muselab.training.gpt import GPT, GPTConfig
    from muselab.training.modelfile import set_threads
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


def preset_estimates(vocab_size: int, presets: list[str] | None = None) -> list[dict]:
    out = []
    for name in presets or list(PRESETS):
        p = PRESETS[name]
        sps = seconds_per_step(name, vocab_size)
        out.append({"name": name, **p, "vocab_size": vocab_size, "seconds_per_step": round(sps, 4),
                    "estimated_seconds": round(sps * p["max_steps"] * 1.1, 1)})  # +10% for validation runs
    return out
