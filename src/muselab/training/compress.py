"""Compression of a trained model: dynamic int8 quantization (torchao), magnitude pruning, distillation."""

from __future__ import annotations

import copy
import gzip
import io
import math

import torch
from torch.nn import functional as F

from muselab.training.sampling import measure_tokens_per_s
from muselab.training.trainer import TrainConfig, evaluate


def apply_int8(model: torch.nn.Module) -> torch.nn.Module:
    """Dynamic int8 quantization of every nn.Linear (int8 weights, activations quantized on the fly)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

    if getattr(model, "cfg", None) is not None and getattr(model.cfg, "tie_weights", False):
        # untie first: the output head gets its own int8 copy, the embedding stays float
        model.head.weight = torch.nn.Parameter(model.head.weight.detach().clone())
    quantize_(model, Int8DynamicActivationInt8WeightConfig())
    return model


def prune_magnitude(model: torch.nn.Module, amount: float) -> float:
    """Zero the `amount` share of smallest-magnitude weights across the weight matrices of all linear and LSTM
    layers (an output head tied to the embedding is left whole); returns the sparsity."""
    from torch.nn.utils import prune

    tied = model.head if getattr(model.cfg, "tie_weights", False) else None
    targets = [(m, "weight") for m in model.modules() if isinstance(m, torch.nn.Linear) and m is not tied]
    targets += [(m, name) for m in model.modules() if isinstance(m, torch.nn.LSTM)
                for name, _ in m.named_parameters(recurse=False) if name.startswith("weight_")]
    prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=amount)
    for module, name in targets:
        prune.remove(module, name)
    total = sum(getattr(m, name).numel() for m, name in targets)
    zeros = sum(int((getattr(m, name) == 0).sum()) for m, name in targets)
    return zeros / max(total, 1)


def file_sizes(obj) -> tuple[int, int]:
    """(bytes as saved, bytes gzip-compressed): pruned zeros only shrink the compressed size."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    raw = buf.getvalue()
    return len(raw), len(gzip.compress(raw, compresslevel=6))


def describe(model, state_dict, vocab_size: int, val_data, cfg: TrainConfig | None) -> dict:
    raw, packed = file_sizes(state_dict)
    row = {"size_bytes": raw, "size_gzip_bytes": packed,
           "tokens_per_s": round(measure_tokens_per_s(model, vocab_size), 1)}
    if val_data is not None and cfg is not None:
        loss = evaluate(model, val_data, cfg)
        row["val_loss"] = round(loss, 4)
        row["val_ppl"] = round(math.exp(min(loss, 50)), 3)
    return row


def comparison_markdown(rows: dict[str, dict]) -> str:
    lines = ["| model | size on disk | gzip size | tokens/s | val perplexity |", "|---|---|---|---|---|"]
    for name, r in rows.items():
        ppl = r.get("val_ppl", "n/a")
        lines.append(f"| {name} | {r['size_bytes'] / 1024:.1f} KiB | {r['size_gzip_bytes'] / 1024:.1f} KiB | "
                     f"{r['tokens_per_s']} | {ppl} |")
    return "\n".join(lines)


def distill_loss(teacher, temperature: float, alpha: float):
    """alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * cross-entropy with the true next tokens."""
    teacher.eval()

    def loss_fn(student, x, y):
        logits, ce = student(x, y)
        with torch.no_grad():
            t_logits, _ = teacher(x)
        kl = F.kl_div(F.log_softmax(logits / temperature, dim=-1), F.log_softmax(t_logits / temperature, dim=-1),
                      log_target=True, reduction="batchmean") / x.size(1)
        return alpha * temperature**2 * kl + (1 - alpha) * ce

    return loss_fn


def clone(model):
    return copy.deepcopy(model)
