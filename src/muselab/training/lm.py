"""What a language model trained here is, to the trainer, the sampler and the compressors.

    model(idx, targets=None) -> (logits, loss)        idx, targets: (B, T) token ids; loss: next_token_loss
    model.next_logits(idx, state=None) -> (logits, state)    the next token's logits (B, V), for sampling

gpt.GPT and lstm.LSTMLM are built to it; lora.LoRALM wraps a pretrained model so it looks the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F


@dataclass
class LMConfig:
    """The size every language model here has (kept in its file; the training recipe chose each value)."""

    vocab_size: int
    block_size: int = 64  # context length in tokens
    n_layer: int = 4
    n_embd: int = 128  # width: embedding size (and the LSTM's hidden size)
    dropout: float = 0.0
    tie_weights: bool = True  # the output head shares the token embedding's weights


def next_token_loss(logits: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor | None:
    """Mean cross-entropy of every position's logits against the token that follows it (computed in float32),
    or None without targets."""
    if targets is None:
        return None
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1))
