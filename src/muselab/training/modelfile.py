"""One file per trained model: weights + tokenizer + config + training recipe + card.

The file is a torch .pt holding only plain types and tensors, so it loads with
`torch.load(weights_only=True)` (no arbitrary code runs when a model file is opened).
"""

from __future__ import annotations

from pathlib import Path

import torch

from muselab.engines import EngineError
from muselab.training.gpt import GPT, GPTConfig
from muselab.training.lstm import LSTMLM, LSTMConfig
from muselab.training.torchkit import atomic_save

FORMAT = "muselab-lm/1"


def build_model(arch: str, config: dict):
    if arch == "gpt":
        return GPT(GPTConfig(**config))
    if arch == "lstm":
        return LSTMLM(LSTMConfig(**config))
    raise EngineError(f"model file: unknown architecture {arch!r}; accepted: gpt, lstm")


def count_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def estimate_training_bytes(arch: str, config: dict, batch_size: int) -> int:
    """A deliberately generous estimate of peak memory while training (float32, AdamW)."""
    V, C, L, T, B = config["vocab_size"], config["n_embd"], config["n_layer"], config["block_size"], batch_size
    if arch == "gpt":
        params = V * C + T * C + L * 12 * C * C + (0 if config.get("tie_weights", True) else V * C)
        per_layer = B * T * C * 24 + B * config["n_head"] * T * T * 3
    else:
        params = V * C + L * 8 * C * C + V + (0 if config.get("tie_weights", True) else V * C)
        per_layer = B * T * C * 14
    floats = params * 4 + L * per_layer + B * T * V * 3 + B * T * C * 4  # weights/grad/adam, layers, logits
    return int(floats * 4 * 1.25) + 300 * 2**20  # +25% slack and the torch runtime itself


def memory_limit_gb(recipe, ctx) -> float:
    """The recipe may lower the owner's memory ceiling (settings.max_train_memory_gb), never raise it."""
    return min(recipe.max_memory_gb, ctx.limits.max_train_memory_gb)


def check_memory(arch: str, config: dict, batch_size: int, limit_gb: float) -> float:
    need = estimate_training_bytes(arch, config, batch_size) / 2**30
    available = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) / 2**20
    except OSError:
        pass
    limit = limit_gb if available is None else min(limit_gb, available * 0.9)
    if need > limit:
        raise EngineError(
            f"this configuration needs about {need:.1f} GiB to train (n_layer={config['n_layer']}, "
            f"n_embd={config['n_embd']}, block_size={config['block_size']}, batch_size={batch_size}, "
            f"vocabulary {config['vocab_size']}), above the limit of {limit:.1f} GiB "
            f"(max_memory_gb={limit_gb:g}{'' if available is None else f', {available:.1f} GiB free'}); "
            "lower batch_size, block_size, n_embd or n_layer"
        )
    return need


def save_model(path: Path, arch: str, config: dict, state_dict: dict, tokenizer, recipe: dict, card: dict,
               quantization: str | None = None, extra: dict | None = None) -> Path:
    atomic_save(
        {
            "format": FORMAT,
            "arch": arch,
            "config": config,
            "state_dict": state_dict,
            "tokenizer": tokenizer.to_dict(),
            "recipe": recipe,
            "card": card,
            "quantization": quantization,
            **(extra or {}),
        },
        path,
    )
    return Path(path)


def read_model_file(path: Path, field: str = "model_work_id") -> dict:
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means the file is not a usable model
        raise EngineError(f"{field}: cannot read the model file ({type(exc).__name__}: {str(exc)[:200]})") from None
    if isinstance(data, dict) and "identity" in data and "model" in data and data.get("format") is None:
        data = checkpoint_as_model(data, field)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise EngineError(f"{field}: not a muselab trained model file (expected format {FORMAT})")
    return data


def checkpoint_as_model(ck: dict, field: str = "model_work_id") -> dict:
    """A training checkpoint (e.g. kept when a run was stopped) seen as a model file, so it can be sampled."""
    identity = ck["identity"]
    if identity.get("arch") not in ("gpt", "lstm"):
        raise EngineError(f"{field}: only GPT and LSTM checkpoints can be sampled directly")
    state = ck.get("best_model") or ck["model"]
    return {"format": FORMAT, "arch": identity["arch"], "config": identity["config"], "state_dict": state,
            "tokenizer": identity["tokenizer"], "recipe": {}, "quantization": None,
            "card": {"arch": identity["arch"], "checkpoint_step": ck.get("step"), "val_loss": ck.get("best_val")}}
