"""A small LSTM over melody tokens (like Magenta's MelodyRNN): continues a primer with temperature, top-k and n
candidates. Trained here on the Essen folk songs by `python -m muselab.music.train_melody`; the checkpoint ships in
muselab/music/checkpoints/.
"""

from __future__ import annotations

import math
import random
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from muselab.music.corpus import DURATION_IDS, EOS, PAD, PITCH_IDS, VOCAB

CHECKPOINT = Path(__file__).parent / "checkpoints" / "melody_lstm.pt"


class MelodyLSTM(nn.Module):
    def __init__(self, vocab_size: int = len(VOCAB), embed: int = 128, hidden: int = 256, layers: int = 2,
                 dropout: float = 0.25):
        super().__init__()
        self.config = {"vocab_size": vocab_size, "embed": embed, "hidden": hidden, "layers": layers,
                       "dropout": dropout}
        self.embed = nn.Embedding(vocab_size, embed, padding_idx=PAD)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, ids: torch.Tensor, state=None):
        out, state = self.lstm(self.embed(ids), state)
        return self.head(self.drop(out)), state


@contextmanager
def single_thread():
    """This small LSTM runs fastest on one thread: on a shared CPU, more threads only contend (8x slower measured
    under load). torch's thread count is process-wide, so it is restored right after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load(path: Path = CHECKPOINT) -> tuple[MelodyLSTM, dict]:
    if not Path(path).is_file():
        raise FileNotFoundError(f"no melody model at {path}; train one with python -m muselab.music.train_melody")
    blob = torch.load(path, map_location="cpu", weights_only=False)
    if blob.get("vocab") != VOCAB:
        raise ValueError(f"{path}: the checkpoint was trained with a different token vocabulary")
    model = MelodyLSTM(**blob["config"])
    model.load_state_dict({k: v.float() for k, v in blob["state_dict"].items()})
    model.eval()
    return model, blob


@torch.no_grad()
def log_likelihood(model: MelodyLSTM, sequences: list[list[int]], batch: int = 64) -> tuple[float, int]:
    """Total natural-log likelihood of every token after <bos>, and the number of tokens scored."""
    with single_thread():
        return _log_likelihood(model, sequences, batch)


def _log_likelihood(model: MelodyLSTM, sequences: list[list[int]], batch: int) -> tuple[float, int]:
    model.eval()
    total, count = 0.0, 0
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    for start in range(0, len(order), batch):
        group = [sequences[i] for i in order[start:start + batch]]
        width = max(len(s) for s in group)
        ids = torch.full((len(group), width), PAD, dtype=torch.long)
        for row, seq in enumerate(group):
            ids[row, :len(seq)] = torch.tensor(seq)
        logits, _ = model(ids[:, :-1])
        logp = torch.log_softmax(logits, dim=-1)
        target = ids[:, 1:]
        mask = target != PAD
        picked = logp.gather(-1, target.unsqueeze(-1)).squeeze(-1)
        total += float(picked[mask].sum())
        count += int(mask.sum())
    return total, count


@torch.no_grad()
def sample(model: MelodyLSTM, context: list[int], rng: random.Random, temperature: float = 1.0, top_k: int = 0,
           steps: int = 64, stop_at_eos: bool = True, allowed_pitches: list[int] | None = None) -> list[int]:
    """Continue `context` by up to `steps` tokens, alternating pitch and duration tokens (seeded by rng).

    allowed_pitches restricts pitch tokens (e.g. to a mode's degrees)."""
    with single_thread():
        return _sample(model, context, rng, temperature, top_k, steps, stop_at_eos, allowed_pitches)


def _sample(model, context, rng, temperature, top_k, steps, stop_at_eos, allowed_pitches) -> list[int]:
    model.eval()
    logits, state = model(torch.tensor([context]))
    last = logits[0, -1]
    previous = context[-1]
    out: list[int] = []
    for _ in range(steps):
        want = DURATION_IDS if VOCAB[previous].startswith(("p", "rest")) else (allowed_pitches or PITCH_IDS)
        allowed = list(want) + ([EOS] if stop_at_eos and want is not DURATION_IDS else [])
        if temperature == 0:  # greedy: always the likeliest token
            token = allowed[int(torch.argmax(last[allowed]))]
        else:
            scores = last[allowed] / max(temperature, 1e-3)
            if top_k and top_k < len(allowed):
                kth = torch.topk(scores, top_k).values[-1]
                scores = torch.where(scores < kth, torch.tensor(-math.inf), scores)
            probs = torch.softmax(scores, dim=-1).tolist()
            token = rng.choices(allowed, weights=probs)[0]
        if token == EOS:
            break
        out.append(token)
        previous = token
        logits, state = model(torch.tensor([[token]]), state)
        last = logits[0, -1]
    return out
