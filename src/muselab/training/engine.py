"""Training engines: one entry point per task (see TASKS in __init__.py).

Each takes (recipe, ctx) and returns Outputs; corpora and models are Works read with
ctx.input_path. Checkpoints live in ctx.workdir, kept across re-runs, so a killed
training job resumes where its last checkpoint left it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from muselab.engines import Context, EngineError, Output
from muselab.training import corpus as corpus_mod
from muselab.training.recipe import (
    CorpusGetRecipe,
    CorpusImportRecipe,
    DistillRecipe,
    PruneRecipe,
    QuantizeRecipe,
    SampleRecipe,
    TrainCommon,
    TrainGPTRecipe,
    TrainLSTMRecipe,
)
from muselab.training.torchkit import MODEL_MEDIA_TYPE, set_threads

CORPUS_MEDIA_TYPE = "application/jsonl"


def _slug(text: str, default: str) -> str:
    s = re.sub(r"[^\w\-]+", "-", text, flags=re.UNICODE).strip("-")[:60]
    return s or default


# ---------------------------------------------------------------------------------------- corpora
def _corpus_output(records: list[str], recipe, ctx: Context, report, title: str, extra_meta: dict,
                   parents: list[str]) -> Output:
    if not records:
        raise EngineError(
            "the corpus is empty after cleaning: " + (", ".join(f"{n} {r}" for r, n in report.removed.items())
                                                      or "no text was found")
            + "; check min_chars/max_chars and that the files hold text"
        )
    splits = corpus_mod.split_records(records, recipe.seed or 0, recipe.val_fraction, recipe.test_fraction)
    path = Path(ctx.workdir) / "corpus.jsonl"
    digest = corpus_mod.write_corpus(records, splits, path, report)
    meta = {"cleaning_report": report.as_dict(), "splits": report.split_counts, "records": len(records),
            "chars": report.chars_kept, "distinct_chars": len(set("".join(records))), "sha256": digest,
            "split_seed": recipe.seed, **extra_meta}
    preview = "\n\n".join(records[:3])[:2000]
    return Output(kind="corpus", media_type=CORPUS_MEDIA_TYPE, path=path, title=title, text=preview, meta=meta,
                  parents=parents, authorship="human", tags=["corpus"], filename=f"{_slug(title, 'corpus')}.jsonl")


def corpus_import(recipe: CorpusImportRecipe, ctx: Context) -> list[Output]:
    report = corpus_mod.Report()
    records: list[str] = []
    sources: list[tuple[Path, str | None]] = []
    names: list[str] = []
    for wid in recipe.input_work_ids:
        path = ctx.input_path(wid)
        info = ctx.input_work(wid)
        names.append(Path(info.get("filename") or info.get("title") or path.name).stem)
        kind = Path(info.get("filename") or info.get("title") or "").suffix.lower() or None
        media = (info.get("media_type") or "").lower()
        if kind not in corpus_mod.TEXT_SUFFIXES:
            kind = ".jsonl" if "jsonl" in media else ".csv" if "csv" in media else path.suffix.lower() or ".txt"
        sources.append((path, kind))
    local = corpus_mod.expand_paths(recipe.paths)
    sources += [(p, None) for p in local]
    names += [p.stem for p in local]
    for i, (path, kind) in enumerate(sources):
        ctx.progress(i / len(sources) * 0.8, f"reading {path.name}")
        records.extend(corpus_mod.read_records(path, recipe.record, recipe.text_field, recipe.csv_column, kind))
        report.files += 1
    ctx.progress(0.85, "cleaning")
    kept = corpus_mod.clean_records(records, recipe, report)
    title = recipe.title or (names[0] if len(names) == 1 else f"{names[0]} + {len(names) - 1} more files")
    out = _corpus_output(kept, recipe, ctx, report, title, {"source": "import"}, list(recipe.input_work_ids))
    ctx.progress(1.0, f"kept {report.kept} of {report.records_read} records")
    return [out]


def corpus_get(recipe: CorpusGetRecipe, ctx: Context) -> list[Output]:
    ctx.progress(0.0, f"fetching {corpus_mod.CHINESE_POETRY_PACKAGE} with npm pack")
    raw, license_text = corpus_mod.get_chinese_poetry(recipe, Path(ctx.workdir),
                                                      lambda f, m: ctx.progress(0.1 + 0.6 * f, m))
    report = corpus_mod.Report(files=1)
    clean = CorpusImportRecipe(paths=["-"], to_simplified=recipe.to_simplified, dedup="exact", min_chars=1,
                               val_fraction=recipe.val_fraction, test_fraction=recipe.test_fraction)
    ctx.progress(0.75, "cleaning")
    kept = corpus_mod.clean_records(raw, clean, report)
    names = {"tang": "全唐诗 Tang poems", "song": "全宋诗 Song poems", "ci": "全宋词 Song ci"}
    title = f"chinese-poetry: {names[recipe.subset]}"
    out = _corpus_output(kept, recipe, ctx, report, title,
                         {"source": corpus_mod.CHINESE_POETRY_PACKAGE, "subset": recipe.subset, "license": "MIT",
                          "license_text": (license_text or [""])[0][:2000]}, [])
    out.authorship = "human"
    ctx.progress(1.0, f"{report.kept} poems")
    return [out]


# ---------------------------------------------------------------------------------------- training
def _encode(tok, corpus) -> dict:
    import torch

    return {s: torch.tensor(tok.encode(corpus.text(s)), dtype=torch.long) for s in corpus_mod.SPLITS}


def _model_config(arch: str, recipe: TrainCommon, vocab_size: int) -> dict:
    cfg = {"vocab_size": vocab_size, "block_size": recipe.block_size, "n_layer": recipe.n_layer,
           "n_embd": recipe.n_embd, "dropout": recipe.dropout}
    if arch == "gpt":
        cfg.update(n_head=recipe.n_head, bias=recipe.bias or recipe.dp,  # Opacus needs LayerNorm biases
                   tie_weights=recipe.tie_weights and not recipe.dp)
    else:
        cfg.update(tie_weights=recipe.tie_weights and not recipe.dp, dp_layers=recipe.dp)
    return cfg


def _sample_text(model, tok, seed: int, n_tokens: int = 80) -> str:
    from muselab.training.sampling import generate_ids

    start = tok.encode("\n") or [0]
    ids = generate_ids(model, start[-1:], n_tokens, 0.8, None, 0.95, seed)[0]
    return tok.decode(ids)


def _file_size(path: Path) -> int:
    return Path(path).stat().st_size


def _train(arch: str, recipe: TrainCommon, ctx: Context) -> list[Output]:
    import torch

    from muselab.training import modelfile, trainer
    from muselab.training.tokenizer import train_tokenizer
    from muselab.training.use import load_model

    set_threads()
    corpus = corpus_mod.load_corpus(ctx.input_path(recipe.corpus_work_id))
    ctx.progress(0.0, "building the tokenizer")
    init = None
    if recipe.init_model_work_id:
        _init_model, tok, init = load_model(ctx.input_path(recipe.init_model_work_id), "init_model_work_id")
        if init["arch"] != arch:
            raise EngineError(f"init_model_work_id: that model is a {init['arch']}, not a {arch}")
        missing = tok.unknown(corpus.text("train"))
        if missing:
            shown = "".join(sorted(missing)[:20])
            raise EngineError(
                f"vocabulary mismatch: {len(missing)} characters of this corpus are not in the model's vocabulary "
                f"(e.g. {shown!r}); train a new model on this corpus, or use the BPE tokenizer"
            )
    else:
        tok = train_tokenizer(recipe.tokenizer, corpus.text("train"), recipe.bpe_vocab_size)
    data = _encode(tok, corpus)
    config = _model_config(arch, recipe, tok.vocab_size)
    if init is not None:
        config = {**init["config"], "dropout": recipe.dropout}
        if arch == "lstm":
            config["dp_layers"] = recipe.dp
    need_gb = modelfile.check_memory(arch, config, recipe.batch_size, modelfile.memory_limit_gb(recipe, ctx))
    torch.manual_seed(recipe.seed or 0)
    model = modelfile.build_model(arch, config)
    if init is not None:
        model.load_state_dict(init["state_dict"], strict=not recipe.dp)
    params = modelfile.count_params(model)
    cfg = trainer.TrainConfig.from_recipe(recipe)
    trainer.check_data(data["train"], data["val"], recipe.block_size)
    ctx.progress(0.01, f"training a {params:,}-parameter {arch.upper()} (about {need_gb:.2f} GiB)",
                 {"params": params, "max_steps": recipe.max_steps})

    dp_info = None
    if recipe.dp:
        from muselab.training import privacy

        result, dp_info = privacy.train_dp(model, data["train"], data["val"], cfg, recipe, ctx)
    else:
        identity = {"arch": arch, "config": config, "tokenizer": tok.to_dict()}
        result = trainer.train_keeping_checkpoint(model, data["train"], data["val"], cfg, ctx, identity, recipe,
                                                  progress_span=(0.01, 0.95))
    if result.best_state is not None:
        model.load_state_dict(result.best_state)
    model.eval()
    ctx.progress(0.96, "evaluating")
    card = {
        "arch": arch, "params": params, "config": config, "tokenizer": tok.kind, "vocab_size": tok.vocab_size,
        "corpus_work_id": recipe.corpus_work_id, "steps": result.steps, "stopped_early": result.stopped_early,
        "resumed_from_step": result.resumed_from, "train_loss": round(result.final_train_loss, 4),
        "train_tokens_per_s": round(result.tokens_per_s, 1), "train_seconds": round(result.seconds, 1),
        "estimated_memory_gb": round(need_gb, 2), "history": result.history,
    }
    for split in ("val", "test"):
        if len(data[split]) >= recipe.block_size + 2:
            loss = trainer.evaluate(model, data[split], cfg)
            card[f"{split}_loss"] = round(loss, 4)
            card[f"{split}_ppl"] = round(math.exp(min(loss, 50)), 3)
    if dp_info:
        card["dp"] = dp_info
        card["epsilon"] = dp_info["epsilon"]
        card["delta"] = dp_info["delta"]
    card["sample"] = _sample_text(model, tok, recipe.seed or 0)
    from muselab.training.sampling import measure_tokens_per_s

    card["generate_tokens_per_s"] = round(measure_tokens_per_s(model, tok.vocab_size, 32, 3), 1)
    title = recipe.title or f"{arch.upper()} on corpus {recipe.corpus_work_id[:12]}"
    slug = _slug(title, arch)
    model_path = modelfile.save_model(Path(ctx.workdir) / f"{slug}.pt", arch, config, model.state_dict(), tok,
                                      recipe.model_dump(mode="json"), card)
    card["size_bytes"] = _file_size(model_path)
    png = trainer.loss_curve_png(result.history, Path(ctx.workdir) / f"{slug}-loss.png", title)
    parents = [recipe.corpus_work_id] + ([recipe.init_model_work_id] if recipe.init_model_work_id else []) + (
        [recipe.resume_checkpoint_work_id] if recipe.resume_checkpoint_work_id else [])
    summary = f"{title}: {params:,} parameters, {result.steps} steps"
    if "val_ppl" in card:
        summary += f", validation perplexity {card['val_ppl']}"
    if dp_info:
        summary += f", DP ε={dp_info['epsilon']:.2f} (δ={dp_info['delta']:.1e})"
    ctx.progress(1.0, summary)
    tags = ["model", arch] + (["dp"] if recipe.dp else [])
    return [
        Output(kind="model", media_type=MODEL_MEDIA_TYPE, path=model_path, title=title, text=summary, meta=card,
               parents=parents, tags=tags, model=f"muselab-{arch}", filename=f"{slug}.pt"),
        Output(kind="image", media_type="image/png", path=png, title=f"loss curve: {title}", meta={"history":
               result.history}, parent_outputs=[0], tags=["loss-curve"], filename=f"{slug}-loss.png"),
    ]


def train_gpt(recipe: TrainGPTRecipe, ctx: Context) -> list[Output]:
    return _train("gpt", recipe, ctx)


def train_lstm(recipe: TrainLSTMRecipe, ctx: Context) -> list[Output]:
    return _train("lstm", recipe, ctx)


# ---------------------------------------------------------------------------------------- sampling
def sample(recipe: SampleRecipe, ctx: Context) -> list[Output]:
    from muselab.training.sampling import generate_ids
    from muselab.training.use import load_model

    set_threads()
    model, tok, data = load_model(ctx.input_path(recipe.model_work_id))
    prompt_ids = tok.encode(recipe.prompt) if recipe.prompt else (tok.encode("\n")[-1:] or [0])
    if data["arch"] == "lora":
        from muselab.training.lora import generate_lora

        texts = generate_lora(model, tok, recipe, ctx)
    else:
        rows = generate_ids(model, prompt_ids, recipe.max_tokens, recipe.temperature, recipe.top_k, recipe.top_p,
                            recipe.seed or 0, recipe.n, progress=lambda f: ctx.progress(f, "generating"))
        texts = [recipe.prompt + tok.decode(r) for r in rows]
    ctx.progress(1.0, f"{len(texts)} text(s)")
    return [Output(kind="text", media_type="text/plain; charset=utf-8", data=t.encode(), title=(recipe.prompt or
                   t)[:60], text=t, parents=[recipe.model_work_id], model=data["card"].get("arch", data["arch"]),
                   meta={"index": i}) for i, t in enumerate(texts)]


# ---------------------------------------------------------------------------------------- compression
def _comparison_data(recipe, data: dict, ctx: Context):
    """Validation tokens of the corpus for the perplexity comparison, or None when no corpus is reachable."""
    import torch

    from muselab.training.tokenizer import tokenizer_from_dict
    from muselab.training.trainer import TrainConfig

    corpus_id = recipe.corpus_work_id or (data.get("recipe") or {}).get("corpus_work_id")
    if not corpus_id:
        return None, None
    try:
        corpus = corpus_mod.load_corpus(ctx.input_path(corpus_id))
    except EngineError:
        if recipe.corpus_work_id:
            raise
        return None, None
    tok = tokenizer_from_dict(data["tokenizer"])
    block = data["config"]["block_size"]
    split = "val" if corpus.records["val"] else "train"
    val = torch.tensor(tok.encode(corpus.text(split)), dtype=torch.long)
    if len(val) < block + 2:
        return None, None
    return val, TrainConfig(seed=recipe.seed or 0, block_size=block, batch_size=8, eval_batches=10)


def _compressed(recipe, ctx: Context, method: str) -> list[Output]:
    from muselab.training import compress, modelfile
    from muselab.training.use import load_model

    set_threads()
    src_path = ctx.input_path(recipe.model_work_id)
    model, tok, data = load_model(src_path)
    if data["arch"] == "lora" or data.get("quantization"):
        raise EngineError("model_work_id: only float GPT/LSTM models trained here can be compressed")
    val, cfg = _comparison_data(recipe, data, ctx)
    ctx.progress(0.1, "measuring the original")
    rows = {"original": compress.describe(model, model.state_dict(), tok.vocab_size, val, cfg)}
    rows["original"]["size_bytes"] = _file_size(src_path)
    new = compress.clone(model)
    extra_card = {}
    if method == "quantize":
        ctx.progress(0.4, "quantizing to int8")
        compress.apply_int8(new)
        quant = "int8_dynamic"
        name = "int8 dynamic"
    else:
        ctx.progress(0.4, f"pruning {recipe.amount:.0%} of linear weights")
        extra_card["sparsity"] = round(compress.prune_magnitude(new, recipe.amount), 4)
        quant = None
        name = f"pruned {recipe.amount:.0%}"
    new.eval()
    ctx.progress(0.6, "measuring the compressed model")
    rows[name] = compress.describe(new, new.state_dict(), tok.vocab_size, val, cfg)
    table = compress.comparison_markdown(rows)
    card = {**data["card"], "compression": method, "comparison": rows, "comparison_table": table, **extra_card}
    card.pop("history", None)
    title = recipe.title or f"{data['card'].get('arch', 'model')} {name}"
    slug = _slug(title, method)
    path = modelfile.save_model(Path(ctx.workdir) / f"{slug}.pt", data["arch"], data["config"], new.state_dict(), tok,
                                recipe.model_dump(mode="json"), card, quantization=quant)
    rows[name]["size_bytes"] = _file_size(path)
    card["comparison_table"] = compress.comparison_markdown(rows)
    ctx.progress(1.0, card["comparison_table"])
    return [Output(kind="model", media_type=MODEL_MEDIA_TYPE, path=path, title=title, text=card["comparison_table"],
                   meta=card, parents=[recipe.model_work_id], tags=["model", method], filename=f"{slug}.pt")]


def quantize(recipe: QuantizeRecipe, ctx: Context) -> list[Output]:
    return _compressed(recipe, ctx, "quantize")


def prune(recipe: PruneRecipe, ctx: Context) -> list[Output]:
    return _compressed(recipe, ctx, "prune")


def distill(recipe: DistillRecipe, ctx: Context) -> list[Output]:
    import torch

    from muselab.training import compress, modelfile, trainer
    from muselab.training.sampling import measure_tokens_per_s
    from muselab.training.use import load_model

    set_threads()
    teacher_path = ctx.input_path(recipe.teacher_work_id)
    teacher, tok, tdata = load_model(teacher_path, "teacher_work_id")
    if tdata["arch"] == "lora" or tdata.get("quantization"):
        raise EngineError("teacher_work_id: the teacher must be a float GPT or LSTM trained here")
    corpus = corpus_mod.load_corpus(ctx.input_path(recipe.corpus_work_id))
    data = _encode(tok, corpus)
    block = tdata["config"]["block_size"]
    config = {"vocab_size": tok.vocab_size, "block_size": block, "n_layer": recipe.n_layer,
              "n_head": recipe.n_head, "n_embd": recipe.n_embd, "dropout": 0.0}
    modelfile.check_memory("gpt", config, recipe.batch_size, 8.0)
    torch.manual_seed(recipe.seed or 0)
    student = modelfile.build_model("gpt", config)
    cfg = trainer.TrainConfig(seed=recipe.seed or 0, block_size=block, batch_size=recipe.batch_size,
                              max_steps=recipe.max_steps, learning_rate=recipe.learning_rate,
                              warmup_steps=min(100, recipe.max_steps // 10), eval_interval=recipe.eval_interval,
                              eval_batches=recipe.eval_batches, checkpoint_interval=recipe.eval_interval)
    identity = {"arch": "gpt", "config": config, "tokenizer": tok.to_dict(), "teacher": recipe.teacher_work_id}
    result = trainer.train(student, data["train"], data["val"], cfg, ctx, Path(ctx.workdir), identity,
                           loss_fn=compress.distill_loss(teacher, recipe.temperature, recipe.alpha),
                           progress_span=(0.0, 0.9))
    student.load_state_dict(result.best_state)
    student.eval()
    val = data["val"] if len(data["val"]) >= block + 2 else None
    rows = {"teacher": compress.describe(teacher, teacher.state_dict(), tok.vocab_size, val, cfg),
            "student": compress.describe(student, student.state_dict(), tok.vocab_size, val, cfg)}
    rows["teacher"]["size_bytes"] = _file_size(teacher_path)
    rows["teacher"]["params"] = modelfile.count_params(teacher)
    rows["student"]["params"] = modelfile.count_params(student)
    card = {"arch": "gpt", "params": rows["student"]["params"], "config": config, "tokenizer": tok.kind,
            "vocab_size": tok.vocab_size, "compression": "distill", "teacher_work_id": recipe.teacher_work_id,
            "steps": result.steps, "history": result.history, "comparison": rows,
            "generate_tokens_per_s": round(measure_tokens_per_s(student, tok.vocab_size, 32, 3), 1)}
    if val is not None:
        card["val_loss"], card["val_ppl"] = rows["student"]["val_loss"], rows["student"]["val_ppl"]
    title = recipe.title or f"student of {tdata['card'].get('arch', 'model')} ({card['params']:,} params)"
    slug = _slug(title, "student")
    path = modelfile.save_model(Path(ctx.workdir) / f"{slug}.pt", "gpt", config, student.state_dict(), tok,
                                recipe.model_dump(mode="json"), card)
    rows["student"]["size_bytes"] = _file_size(path)
    card["comparison_table"] = compress.comparison_markdown(rows)
    png = trainer.loss_curve_png(result.history, Path(ctx.workdir) / f"{slug}-loss.png", title)
    ctx.progress(1.0, card["comparison_table"])
    return [
        Output(kind="model", media_type=MODEL_MEDIA_TYPE, path=path, title=title, text=card["comparison_table"],
               meta=card, parents=[recipe.teacher_work_id, recipe.corpus_work_id], tags=["model", "distill"],
               filename=f"{slug}.pt"),
        Output(kind="image", media_type="image/png", path=png, title=f"loss curve: {title}", parent_outputs=[0],
               tags=["loss-curve"], filename=f"{slug}-loss.png"),
    ]
