"""Train the shipped melody models on the Essen folk songs in music21's corpus (no download).

    python -m muselab.music.train_melody [--out DIR] [--epochs N]

Writes to DIR (default: muselab/music/checkpoints/):
- markov.json          the Markov baseline/generator (order chosen on the validation split)
- melody_lstm.pt          the LSTM (float16 weights, config, vocabulary, metrics)
- melody_lstm.recipe.json the training recipe and the measured held-out results
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

from pydantic import Field

from muselab.engines import Recipe

CHECKPOINTS = Path(__file__).parent / "checkpoints"


class TrainMelodyRecipe(Recipe):
    """Everything that determines the shipped melody models."""

    corpus: str = Field(default="music21:essenFolksong", description="Melodies: all Essen tunes (test files excluded).")
    split: str = Field(default="crc32(name) % 20: 0 test, 1 valid, else train")
    markov_orders: list[int] = Field(default=[2, 3, 4, 5, 6])
    embed: int = Field(default=64, ge=8, le=1024)
    hidden: int = Field(default=128, ge=8, le=2048)
    layers: int = Field(default=2, ge=1, le=4)
    dropout: float = Field(default=0.25, ge=0, le=0.9)
    epochs: int = Field(default=6, ge=1, le=200)
    batch: int = Field(default=32, ge=1, le=1024)
    chunk: int = Field(default=160, ge=16, le=2048, description="Tokens per training window.")
    lr: float = Field(default=3e-3, gt=0, le=1)
    threads: int = Field(default=1, ge=1, le=64)


def train(recipe: TrainMelodyRecipe, out: Path, log=print) -> dict:
    import torch

    from muselab.music import neural
    from muselab.music.corpus import VOCAB, dataset
    from muselab.music.markov import MarkovModel

    torch.manual_seed(recipe.seed)
    torch.set_num_threads(recipe.threads)
    rng = random.Random(recipe.seed)
    out.mkdir(parents=True, exist_ok=True)
    train_set, valid_set, test_set = dataset("train"), dataset("valid"), dataset("test")
    log(f"tunes: train {len(train_set)}, valid {len(valid_set)}, test {len(test_set)}; "
        f"train tokens {sum(map(len, train_set))}")

    # Markov baseline: the order that does best on the validation split
    best = None
    for order in recipe.markov_orders:
        model = MarkovModel(order).fit(train_set)
        ll, n = model.log_likelihood(valid_set)
        log(f"markov order {order}: valid nll/token {-ll / n:.4f}")
        if best is None or -ll / n < best[0]:
            best = (-ll / n, order, model)
    markov_valid, markov_order, markov = best
    markov.save(out / "markov.json")
    ll, n = markov.log_likelihood(test_set)
    markov_test = -ll / n

    # LSTM on windows of one token stream (tunes joined; <bos> marks each start)
    stream = [t for seq in train_set for t in seq]
    model = neural.MelodyLSTM(len(VOCAB), recipe.embed, recipe.hidden, recipe.layers, recipe.dropout)
    params = sum(p.numel() for p in model.parameters())
    log(f"lstm parameters: {params}")
    optimiser = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.01)
    windows_per_epoch = len(stream) // recipe.chunk
    total_steps = recipe.epochs * (windows_per_epoch // recipe.batch)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimiser, recipe.lr, total_steps=total_steps, pct_start=0.1)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=0)
    best_state, best_valid, history = None, math.inf, []
    started = time.time()
    for epoch in range(recipe.epochs):
        model.train()
        offset = rng.randrange(recipe.chunk)
        starts = list(range(offset, len(stream) - recipe.chunk - 1, recipe.chunk))
        rng.shuffle(starts)
        losses = []
        for b in range(0, len(starts) - recipe.batch + 1, recipe.batch):
            x = torch.tensor([stream[s:s + recipe.chunk] for s in starts[b:b + recipe.batch]])
            y = torch.tensor([stream[s + 1:s + recipe.chunk + 1] for s in starts[b:b + recipe.batch]])
            logits, _ = model(x)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            if scheduler.last_epoch < total_steps - 1:
                scheduler.step()
            losses.append(float(loss))
        ll, n = neural.log_likelihood(model, valid_set)
        valid = -ll / n
        history.append({"epoch": epoch + 1, "train_loss": round(sum(losses) / len(losses), 4),
                        "valid_nll": round(valid, 4), "seconds": round(time.time() - started, 1)})
        log(f"epoch {epoch + 1}: train {history[-1]['train_loss']:.4f} valid {valid:.4f} "
            f"({history[-1]['seconds']} s)")
        if valid < best_valid:
            best_valid = valid
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    ll, n = neural.log_likelihood(model, test_set)
    lstm_test = -ll / n
    metrics = {"markov_order": markov_order, "markov_valid_nll": round(markov_valid, 4),
               "markov_test_nll": round(markov_test, 4), "lstm_valid_nll": round(best_valid, 4),
               "lstm_test_nll": round(lstm_test, 4), "test_tokens": n, "parameters": params,
               "train_seconds": round(time.time() - started, 1), "history": history}
    log(json.dumps({k: v for k, v in metrics.items() if k != "history"}))
    torch.save({"config": model.config, "vocab": VOCAB, "metrics": metrics, "recipe": recipe.model_dump(),
                "state_dict": {k: v.half() for k, v in model.state_dict().items()}}, out / "melody_lstm.pt")
    (out / "melody_lstm.recipe.json").write_text(json.dumps(
        {"task": "music.train_melody (python -m muselab.music.train_melody)", "recipe": recipe.model_dump(),
         "metrics": metrics}, indent=2, ensure_ascii=False))
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=CHECKPOINTS)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    recipe = TrainMelodyRecipe(seed=args.seed, **({"epochs": args.epochs} if args.epochs else {}))
    train(recipe, args.out)


if __name__ == "__main__":
    main()
