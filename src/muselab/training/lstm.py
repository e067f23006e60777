"""An LSTM language model: embedding -> stacked LSTM -> linear head (optionally tied)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from muselab.training.lm import LMConfig, next_token_loss


@dataclass
class LSTMConfig(LMConfig):
    n_layer: int = 2
    n_embd: int = 256
    dp_layers: bool = False  # Opacus' DPLSTM (per-sample gradients for DP-SGD) instead of nn.LSTM


class LSTMLM(nn.Module):
    def __init__(self, cfg: LSTMConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        if cfg.dp_layers:
            from opacus.layers import DPLSTM

            lstm_cls = DPLSTM
        else:
            lstm_cls = nn.LSTM
        self.lstm = lstm_cls(cfg.n_embd, cfg.n_embd, num_layers=cfg.n_layer, batch_first=True,
                             dropout=cfg.dropout if cfg.n_layer > 1 else 0.0)
        self.head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=True)
        if cfg.tie_weights:
            self.head.weight = self.tok_emb.weight

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        x = self.drop(self.tok_emb(idx))
        out, _ = self.lstm(x, state) if state is not None else self.lstm(x)
        logits = self.head(self.drop(out))
        return logits, next_token_loss(logits, targets)

    @torch.no_grad()
    def next_logits(self, idx: torch.Tensor, state=None):
        """Logits after idx; with `state` only the newest token is fed (the LSTM carries the rest)."""
        x = self.tok_emb(idx if state is None else idx[:, -1:])
        out, state = self.lstm(x, state) if state is not None else self.lstm(x)
        return self.head(out[:, -1, :]), state
