"""Writing speed: Muselab's text engine against raw llama-cpp-python on the same GGUF.

Claims measured (medians over several interleaved runs, same machine, same moment):
  1. single-candidate generation speed (tokens/s after the first token) of the full Muselab path
     (recipe -> engine -> backend, streaming every token through ctx.progress) divided by raw
     llama_cpp.Llama.create_completion(stream=True) on the same file, threads, prompt, sampling
     and seed; goal >= 0.95. Time to first token is printed for both.
  2. n=4 candidates decoded together in one batch: aggregate tokens/s divided by four sequential
     single runs (of raw llama-cpp-python, and of Muselab itself); goal >= 2x.

Run:  python benchmarks/text_speed.py [--model smollm2-135m-instruct] [--runs 5] [--tokens 128] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

PROMPT = ("Once upon a time, in a small village by the sea, there lived an old clockmaker who "
          "could repair anything except his own heart. One stormy night, a stranger knocked at his door and")


def raw_run(llm, tokens: int, seed: int, cold: bool = True) -> dict:
    """cold: forget the previous prompt first (llm.reset()), so the peer evaluates the prompt like Muselab does;
    warm: let llama-cpp-python reuse the identical prompt still in its KV cache."""
    if cold:
        llm.reset()
    t0 = time.perf_counter()
    first = None
    n = 0
    text = ""
    for chunk in llm.create_completion(PROMPT, max_tokens=tokens, temperature=0.8, top_k=40, top_p=0.95, min_p=0.05,
                                       repeat_penalty=1.1, seed=seed, stream=True):
        if first is None:
            first = time.perf_counter() - t0
        n += 1
        text += chunk["choices"][0]["text"]
    total = time.perf_counter() - t0
    return {"ttft": first or total, "tokens": n, "seconds": total,
            "tps": (n - 1) / (total - first) if first and n > 1 else 0.0}


def muselab_run(model: str, tokens: int, seed: int, n: int = 1) -> dict:
    from muselab.engines import LocalContext, run_task

    t0 = time.perf_counter()
    state = {"first": None, "tokens": 0}

    def on_progress(_f, _m, preview):
        if preview and preview.get("token") is not None and _m.startswith("candidate"):
            state["tokens"] += 1
            if state["first"] is None:
                state["first"] = time.perf_counter() - t0

    ctx = LocalContext(on_progress=on_progress)
    try:
        outs = run_task("text.generate", {"form": "free", "mode": "complete", "text": PROMPT, "model": model,
                                          "max_tokens": tokens, "temperature": 0.8, "top_k": 40, "top_p": 0.95,
                                          "min_p": 0.05, "repetition_penalty": 1.1, "seed": seed, "n": n}, ctx)
    finally:
        ctx.cleanup()
    total = time.perf_counter() - t0
    produced = sum(o.meta["completion_tokens"] for o in outs)
    first = state["first"] or total
    return {"ttft": first, "tokens": produced, "seconds": total,
            "tps": (produced - n) / (total - first) if produced > n else 0.0,
            "aggregate_tps": produced / total}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("MUSELAB_TEXT_THREADS", os.cpu_count() or 1)))
    args = ap.parse_args()
    os.environ["MUSELAB_TEXT_THREADS"] = str(args.threads)
    os.environ.setdefault("MUSELAB_TEXT_CTX", "4096")

    import llama_cpp

    from muselab.models import Registry

    info = Registry().ensure_local(args.model)
    print(f"model {info.name} ({info.path}), threads {args.threads}, {args.tokens} tokens, {args.runs} runs, "
          f"llama-cpp-python {llama_cpp.__version__}")
    llm = llama_cpp.Llama(model_path=info.path, n_ctx=4096, n_threads=args.threads, n_threads_batch=args.threads,
                          use_mmap=False, verbose=False)
    # warm up both (model load, caches)
    raw_run(llm, 8, 1)
    muselab_run(args.model, 8, 1)

    raw, mus, warm = [], [], []
    for r in range(args.runs):  # interleaved so that noise from other work hits both alike
        raw.append(raw_run(llm, args.tokens, 100 + r))
        mus.append(muselab_run(args.model, args.tokens, 100 + r))
        warm.append(raw_run(llm, 16, 100 + r, cold=False)["ttft"])
    med = lambda rows, k: statistics.median(x[k] for x in rows)
    ratio = med(mus, "tps") / med(raw, "tps")
    print("\n1. single candidate (median of runs)")
    print(f"   raw llama-cpp-python : {med(raw, 'tps'):7.1f} tok/s   first token {med(raw, 'ttft') * 1000:7.1f} ms   "
          f"(tokens/run {med(raw, 'tokens'):.0f})")
    print(f"   muselab engine       : {med(mus, 'tps'):7.1f} tok/s   first token {med(mus, 'ttft') * 1000:7.1f} ms   "
          f"(tokens/run {med(mus, 'tokens'):.0f})")
    print(f"   ratio muselab/raw    : {ratio:.3f}   (goal >= 0.95)   per run: "
          + ", ".join(f"{m['tps'] / r['tps']:.2f}" for m, r in zip(mus, raw)))
    print(f"   first token, time ratio muselab/raw (cold prompt both): {med(mus, 'ttft') / med(raw, 'ttft'):.2f}; "
          f"raw with its prompt cache warm (same prompt again): {statistics.median(warm) * 1000:.1f} ms "
          "(Muselab evaluates every prompt afresh, which keeps seeded output bit-for-bit reproducible)")

    batched, seq_raw, seq_mus = [], [], []
    for r in range(max(2, args.runs // 2 + 1)):
        batched.append(muselab_run(args.model, args.tokens, 200 + r, n=4)["aggregate_tps"])
        t0 = time.perf_counter()
        toks = sum(raw_run(llm, args.tokens, 300 + r * 4 + i)["tokens"] for i in range(4))
        seq_raw.append(toks / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        toks = sum(muselab_run(args.model, args.tokens, 400 + r * 4 + i)["tokens"] for i in range(4))
        seq_mus.append(toks / (time.perf_counter() - t0))
    b, sr, sm = statistics.median(batched), statistics.median(seq_raw), statistics.median(seq_mus)
    print("\n2. n=4 candidates, aggregate tokens/s including prompt (median of runs)")
    print(f"   muselab n=4 batched          : {b:7.1f} tok/s")
    print(f"   4 sequential raw runs        : {sr:7.1f} tok/s   ratio {b / sr:.2f}x (goal >= 2x)")
    print(f"   4 sequential muselab runs    : {sm:7.1f} tok/s   ratio {b / sm:.2f}x")


if __name__ == "__main__":
    main()
