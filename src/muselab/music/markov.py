"""A variable-order Markov model over melody tokens (pitch and duration events), Witten-Bell smoothed.

It is both a generator (sample the next token given the last `order` tokens) and the baseline that the
neural model must beat on held-out log-likelihood.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from collections import defaultdict
from pathlib import Path

from muselab.music.corpus import DURATION_IDS, EOS, PITCH_IDS, VOCAB


class MarkovModel:
    def __init__(self, order: int = 4):
        self.order = order
        self.vocab_size = len(VOCAB)
        # counts[k][context tuple of length k][token] = count
        self.counts: list[dict[tuple[int, ...], dict[int, int]]] = [defaultdict(dict) for _ in range(order + 1)]
        self._totals: list[dict[tuple[int, ...], tuple[int, int]]] | None = None

    def fit(self, sequences: list[list[int]]) -> "MarkovModel":
        for seq in sequences:
            for i in range(1, len(seq)):
                token = seq[i]
                for k in range(self.order + 1):
                    if i - k < 0:
                        break
                    ctx = tuple(seq[i - k:i])
                    table = self.counts[k][ctx]
                    table[token] = table.get(token, 0) + 1
        self._totals = None
        return self

    def _stats(self) -> list[dict[tuple[int, ...], tuple[int, int]]]:
        if self._totals is None:
            self._totals = [{ctx: (sum(t.values()), len(t)) for ctx, t in level.items()} for level in self.counts]
        return self._totals

    def prob(self, context: list[int], token: int) -> float:
        """Interpolated Witten-Bell probability of `token` after `context`."""
        stats = self._stats()
        p = 1.0 / self.vocab_size
        for k in range(0, self.order + 1):
            if k > len(context):
                break
            ctx = tuple(context[len(context) - k:]) if k else ()
            total = stats[k].get(ctx)
            if not total:
                break
            n, types = total
            c = self.counts[k][ctx].get(token, 0)
            p = (c + types * p) / (n + types)
        return p

    def distribution(self, context: list[int]) -> list[float]:
        return [self.prob(context, t) for t in range(self.vocab_size)]

    def log_likelihood(self, sequences: list[list[int]]) -> tuple[float, int]:
        """Total natural-log likelihood of every token after the first (<bos>) and the count of tokens scored."""
        total, count = 0.0, 0
        for seq in sequences:
            for i in range(1, len(seq)):
                total += math.log(self.prob(seq[:i], seq[i]))
                count += 1
        return total, count

    def sample(self, context: list[int], rng: random.Random, temperature: float = 1.0, steps: int = 64,
               stop_at_eos: bool = True, top_k: int = 0, allowed_pitches: list[int] | None = None) -> list[int]:
        """Continue `context` by `steps` tokens, alternating pitch and duration tokens.

        allowed_pitches restricts pitch tokens (e.g. to a mode's degrees)."""
        seq = list(context)
        out: list[int] = []
        for _ in range(steps):
            want = DURATION_IDS if VOCAB[seq[-1]].startswith(("p", "rest")) else (allowed_pitches or PITCH_IDS)
            allowed = list(want) + ([EOS] if stop_at_eos and want is not DURATION_IDS else [])
            probs = [self.prob(seq, t) for t in allowed]
            if temperature == 0:  # greedy: always the likeliest token
                token = allowed[probs.index(max(probs))]
            else:
                weights = [p ** (1.0 / max(temperature, 1e-3)) for p in probs]
                if top_k and top_k < len(allowed):
                    kth = sorted(weights, reverse=True)[top_k - 1]
                    weights = [w if w >= kth else 0.0 for w in weights]
                token = rng.choices(allowed, weights=weights)[0]
            if token == EOS:
                break
            seq.append(token)
            out.append(token)
        return out

    def save(self, path: Path) -> None:
        data = {"order": self.order, "vocab": VOCAB,
                "counts": [[[list(ctx), list(t.items())] for ctx, t in level.items()] for level in self.counts]}
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "wt", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"))

    @classmethod
    def load(cls, path: Path) -> "MarkovModel":
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            data = json.load(f)
        if data["vocab"] != VOCAB:
            raise ValueError(f"{path}: the Markov model was trained with a different token vocabulary")
        model = cls(data["order"])
        for k, level in enumerate(data["counts"]):
            for ctx, items in level:
                model.counts[k][tuple(ctx)] = {int(t): int(c) for t, c in items}
        return model
