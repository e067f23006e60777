"""Opening and using a trained model: the engines here, and elsewhere in the studio (the writing studio's model
list, notebooks).

    from muselab.training.use import load, stream
    model = load(path_of_model_work)           # a GPT/LSTM/LoRA model Work, or a stopped run's checkpoint
    for piece in stream(model, "床前明月光", max_tokens=40, temperature=0.8, top_p=0.95, seed=1):
        print(piece, end="")

Same sampling parameters as the writing studio: temperature (0 = greedy), top_k, top_p, seed, n.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn import functional as F

from muselab.training.compress import apply_int8
from muselab.training.lora import generate_lora, load_lora_model
from muselab.training.modelfile import build_model, read_model_file
from muselab.training.recipe import SampleRecipe
from muselab.training.sampling import filter_logits, generate_ids
from muselab.training.tokenizer import tokenizer_from_dict
from muselab.training.torchkit import MODEL_MEDIA_TYPE, set_threads

__all__ = ["MODEL_MEDIA_TYPE", "LoadedModel", "generate", "load", "load_model", "stream"]


def load_model(path: Path, field: str = "model_work_id"):
    """(model in eval mode, tokenizer, raw file dict) of any model file trained here: a GPT or LSTM, its int8 or
    pruned variant, a LoRA fine-tune, or a stopped run's checkpoint. `field` names the recipe field in errors."""
    data = read_model_file(path, field)
    if data["arch"] == "lora":
        model, tok = load_lora_model(data)
        return model, tok, data
    model = build_model(data["arch"], data["config"])
    if data.get("quantization") == "int8_dynamic":
        apply_int8(model)  # int8 layers first, then their saved weights take their place
        model.load_state_dict(data["state_dict"], assign=True)
    else:
        model.load_state_dict(data["state_dict"])
    model.eval()
    return model, tokenizer_from_dict(data["tokenizer"]), data


@dataclass
class LoadedModel:
    model: torch.nn.Module
    tokenizer: object
    info: dict  # arch, config, card

    @property
    def arch(self) -> str:
        return self.info["arch"]


def load(path: Path) -> LoadedModel:
    set_threads()
    model, tok, data = load_model(Path(path))
    return LoadedModel(model, tok, {"arch": data["arch"], "config": data["config"], "card": data.get("card", {})})


def _prompt_ids(m: LoadedModel, prompt: str) -> list[int]:
    return m.tokenizer.encode(prompt) if prompt else (m.tokenizer.encode("\n")[-1:] or [0])


def generate(m: LoadedModel, prompt: str = "", max_tokens: int = 200, temperature: float = 0.8,
             top_k: int | None = None, top_p: float | None = None, seed: int = 0, n: int = 1) -> list[str]:
    """n continuations of the prompt (the prompt is not repeated)."""
    if m.arch == "lora":
        recipe = SampleRecipe(model_work_id="-", prompt=prompt, max_tokens=max_tokens, temperature=temperature,
                              top_k=top_k, top_p=top_p, seed=seed, n=n)
        return [t[len(prompt):] for t in generate_lora(m.model, m.tokenizer, recipe, None)]
    rows = generate_ids(m.model, _prompt_ids(m, prompt), max_tokens, temperature, top_k, top_p, seed, n)
    return [m.tokenizer.decode(r) for r in rows]


@torch.no_grad()
def stream(m: LoadedModel, prompt: str = "", max_tokens: int = 200, temperature: float = 0.8,
           top_k: int | None = None, top_p: float | None = None, seed: int = 0) -> Iterator[str]:
    """One continuation, yielded piece by piece as it is drawn (GPT and LSTM models)."""
    if m.arch == "lora":
        yield from generate(m, prompt, max_tokens, temperature, top_k, top_p, seed, 1)
        return
    g = torch.Generator().manual_seed(seed)
    idx = torch.tensor([_prompt_ids(m, prompt)], dtype=torch.long)
    state, drawn, shown = None, [], ""
    for _ in range(max_tokens):
        logits, state = m.model.next_logits(idx, state)
        if temperature == 0:
            nxt = logits.argmax(dim=-1, keepdim=True)
        else:
            nxt = torch.multinomial(F.softmax(filter_logits(logits / temperature, top_k, top_p), dim=-1), 1,
                                    generator=g)
        idx = torch.cat([idx, nxt], dim=1)
        drawn.append(int(nxt))
        text = m.tokenizer.decode(drawn)
        if not text.endswith("\ufffd"):  # wait for a whole character when BPE splits one across tokens
            yield text[len(shown):]
            shown = text
