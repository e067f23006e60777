"""Sampling from a trained model with the writing studio's parameters (temperature, top_k, top_p, seed, n)."""

from __future__ import annotations

import time

import torch
from torch.nn import functional as F


def filter_logits(logits: torch.Tensor, top_k: int | None, top_p: float | None) -> torch.Tensor:
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1, None]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        probs = F.softmax(sorted_logits, dim=-1)
        cumulative = probs.cumsum(dim=-1)
        remove = cumulative - probs > top_p  # keep the smallest set whose mass reaches top_p
        sorted_logits = sorted_logits.masked_fill(remove, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return logits


@torch.no_grad()
def generate_ids(model, prompt_ids: list[int], max_tokens: int, temperature: float, top_k: int | None,
                 top_p: float | None, seed: int, n: int = 1, progress=None) -> list[list[int]]:
    """n continuations (token ids, prompt excluded), drawn together as a batch."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    if not prompt_ids:
        prompt_ids = [0]
        strip = 1
    else:
        strip = len(prompt_ids)
    idx = torch.tensor([prompt_ids] * n, dtype=torch.long)
    state = None
    for i in range(max_tokens):
        logits, state = model.next_logits(idx, state)
        if temperature == 0:
            nxt = logits.argmax(dim=-1, keepdim=True)
        else:
            probs = F.softmax(filter_logits(logits / temperature, top_k, top_p), dim=-1)
            nxt = torch.multinomial(probs, 1, generator=g)
        idx = torch.cat([idx, nxt], dim=1)
        if progress and i % 32 == 0:
            progress(i / max_tokens)
    return [row[strip:] for row in idx.tolist()]


def measure_tokens_per_s(model, vocab_size: int, n_tokens: int = 64, repeats: int = 3) -> float:
    """Generation speed (batch 1), median of a few runs."""
    speeds = []
    for r in range(repeats):
        t = time.perf_counter()
        generate_ids(model, [1 % vocab_size], n_tokens, 1.0, None, None, seed=r)
        speeds.append(n_tokens / (time.perf_counter() - t))
    return sorted(speeds)[len(speeds) // 2]
