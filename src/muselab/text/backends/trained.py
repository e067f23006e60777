"""A model trained in the studio (a library Work of kind `model`: GPT, LSTM or LoRA) as a text backend.

Such models learn to continue text in their corpus's voice; they have no chat template, so the writing
studio uses them in `complete` mode. Recipes name them `work:<work id>`.
"""

from __future__ import annotations

import time
from pathlib import Path

from muselab.models.registry import ModelInfo
from muselab.text.backends.base import BackendError, Candidate, GenStats, OnToken
from muselab.text.sampling import Sampling

PREFIX = "work:"
MEDIA_TYPE = "application/x-muselab-model"


def trained_info(work: dict) -> ModelInfo:
    card = (work.get("meta") or {}).get("card") or work.get("meta") or {}
    return ModelInfo(name=f"{PREFIX}{work['id']}", kind="trained", title=work.get("title") or work["id"],
                     chat=False, context_length=card.get("block_size"),
                     note="trained in Muselab; writes in complete mode")


class TrainedBackend:
    def __init__(self, path: Path, label: str):
        from muselab.training.use import load

        self.name = label
        try:
            self.model = load(Path(path))
        except Exception as exc:  # a damaged or foreign file
            raise BackendError(f"cannot load the trained model: {exc}") from None

    def context_length(self) -> int:
        block = (self.model.info.get("config") or {}).get("block_size")
        return int(block) if block else 4096  # an LSTM reads any length; keep prompts sane

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer.encode(text)) if text else 0

    def chat_prompt(self, messages: list[dict]) -> str | None:
        return None

    def generate(self, sampling: Sampling, prompt: str | None = None, messages: list[dict] | None = None,
                 on_token: OnToken | None = None) -> tuple[list[Candidate], GenStats]:
        from muselab.training.use import stream

        if prompt is None:
            raise BackendError("a trained model continues text: use mode 'complete'")
        stats = GenStats(prompt_tokens=self.count_tokens(prompt))
        start = time.perf_counter()
        candidates = []
        for i in range(sampling.n):
            cand = Candidate(index=i, prompt_tokens=stats.prompt_tokens)
            for piece in stream(self.model, prompt, max_tokens=sampling.max_tokens, temperature=sampling.temperature,
                                top_k=sampling.top_k or None, top_p=sampling.top_p if sampling.top_p < 1 else None,
                                seed=(sampling.seed or 0) + i):
                if stats.first_token_seconds is None:
                    stats.first_token_seconds = time.perf_counter() - start
                cand.text += piece
                cand.completion_tokens += 1
                if on_token:
                    on_token(i, piece, None)
                hit = next((s for s in sampling.stop if s and s in cand.text), None)
                if hit:
                    cand.text = cand.text[: cand.text.index(hit)]
                    cand.finish_reason = "stop"
                    break
            stats.completion_tokens += cand.completion_tokens
            candidates.append(cand)
        stats.seconds = time.perf_counter() - start
        return candidates, stats
