"""GPT and LSTM training through the engine: overfitting, progress, early stopping, bad input."""

from pathlib import Path

import pytest
import torch
from PIL import Image

from muselab.engines import EngineError, LocalContext, run_task
from muselab.training.use import load_model
from muselab.training.trainer import CKPT

POEM = "床前明月光，疑是地上霜。举头望明月，低头思故乡。\nThe moon before my bed; I wonder if it is frost.\n"


@pytest.fixture(scope="module")
def poem_corpus(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("poem")
    (d / "poem.txt").write_text(POEM * 3, encoding="utf-8")
    ctx = LocalContext(workdir=d / "job")
    out = run_task("training.corpus_import", {"paths": [str(d / "poem.txt")], "record": "file", "seed": 1,
                                              "val_fraction": 0, "test_fraction": 0}, ctx)[0]
    return Path(out.path)


def _train(task, corpus, tmp_path, **kw):
    ctx = LocalContext(workdir=tmp_path / task, inputs={"c": corpus})
    recipe = {"corpus_work_id": "c", "seed": 7, **kw}
    return run_task(f"training.{task}", recipe, ctx), ctx


@pytest.mark.parametrize("task,size", [("train_gpt", {"n_layer": 2, "n_head": 2, "n_embd": 48}),
                                       ("train_lstm", {"n_layer": 1, "n_embd": 64})])
def test_tiny_model_overfits_a_small_text(task, size, poem_corpus, tmp_path):
    outs, _ctx = _train(task, poem_corpus, tmp_path, block_size=24, batch_size=8, max_steps=150, learning_rate=1e-2,
                       warmup_steps=10, weight_decay=0.0, eval_interval=50, **size)
    model_out, png_out = outs
    first, last = model_out.meta["history"][0]["train_loss"], model_out.meta["train_loss"]
    assert last < 0.3 < first, (first, last)  # memorised the poem: near-zero loss
    model, tok, data = load_model(model_out.path)
    assert data["arch"] == task.split("_")[1] and model_out.kind == "model" and model_out.meta["params"] > 0
    # the memorised poem continues itself greedily
    from muselab.training.sampling import generate_ids

    ids = generate_ids(model, tok.encode("床前明月光，"), 6, 0.0, None, None, seed=0)[0]
    assert tok.decode(ids) == "疑是地上霜。"
    assert png_out.kind == "image" and png_out.parent_outputs == [0]
    assert Image.open(png_out.path).size[0] > 100


def test_progress_events_carry_the_live_chart_fields(english_corpus, tmp_path):
    outs, ctx = _train("train_gpt", english_corpus, tmp_path, n_layer=1, n_head=2, n_embd=32, block_size=32,
                       max_steps=40, eval_interval=20, eval_batches=2)
    previews = [p for _, _, p in ctx.events if p and "train_loss" in p]
    assert previews and all({"step", "train_loss", "tokens_per_s", "eta_s"} <= p.keys() for p in previews)
    assert any("val_loss" in p and "val_ppl" in p for p in previews)
    assert previews[-1]["step"] == 40 and previews[-1]["eta_s"] == 0
    fractions = [f for f, _, _ in ctx.events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    meta = outs[0].meta
    assert {"val_loss", "val_ppl", "test_loss", "train_tokens_per_s", "sample", "size_bytes"} <= meta.keys()


def test_bpe_tokenizer_model_trains(english_corpus, tmp_path):
    outs, _ = _train("train_gpt", english_corpus, tmp_path, tokenizer="bpe", bpe_vocab_size=300, n_layer=1,
                     n_head=2, n_embd=32, block_size=32, max_steps=30, eval_interval=15, eval_batches=2)
    assert outs[0].meta["tokenizer"] == "bpe" and outs[0].meta["vocab_size"] <= 300
    hist = outs[0].meta["history"]
    assert hist[-1]["val_loss"] < hist[0]["val_loss"] or hist[-1]["train_loss"] < 5.0


def test_early_stopping_triggers_and_keeps_the_best(english_corpus, tmp_path):
    # min_delta larger than any possible gain: the second validation cannot "improve", patience 1 stops there
    outs, _ctx = _train("train_gpt", english_corpus, tmp_path, n_layer=1, n_head=2, n_embd=32, block_size=32,
                       max_steps=500, eval_interval=10, eval_batches=2, patience=1, min_delta=100.0)
    meta = outs[0].meta
    assert meta["stopped_early"] is True and meta["steps"] == 20
    # the kept weights are the best (first) validation's, not the last step's
    assert meta["val_loss"] == pytest.approx(meta["history"][0]["val_loss"], abs=1e-3)


def test_memory_estimate_refuses_huge_configs_before_starting(english_corpus, tmp_path):
    with pytest.raises(EngineError, match=r"needs about [\d.]+ GiB.*lower batch_size") as exc:
        _train("train_gpt", english_corpus, tmp_path, n_layer=48, n_head=32, n_embd=4096, block_size=2048,
               batch_size=64)
    assert "max_memory_gb=8" in str(exc.value)
    assert not (tmp_path / "train_gpt" / CKPT).exists()


def test_corpus_too_small_for_block_size(poem_corpus, tmp_path):
    with pytest.raises(EngineError, match="too few for block_size=512"):
        _train("train_lstm", poem_corpus, tmp_path, block_size=512)


def test_corrupt_checkpoint_is_reported_and_kept(english_corpus, tmp_path):
    work = tmp_path / "train_gpt"
    work.mkdir()
    (work / CKPT).write_bytes(b"not a checkpoint")
    with pytest.raises(EngineError, match="corrupt.*left as it is"):
        _train("train_gpt", english_corpus, tmp_path, n_layer=1, n_head=2, n_embd=32, max_steps=5)
    assert (work / CKPT).read_bytes() == b"not a checkpoint"


def test_vocabulary_mismatch_on_resume_and_on_init(english_corpus, tang_corpus, tmp_path):
    small = {"n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 16, "max_steps": 10, "eval_interval": 5,
             "eval_batches": 1}
    outs, _ = _train("train_gpt", english_corpus, tmp_path, **small)
    ckpt = tmp_path / "train_gpt" / CKPT
    before = ckpt.read_bytes()
    with pytest.raises(EngineError, match="vocabulary mismatch on resume"):
        _train("train_gpt", tang_corpus, tmp_path, **small)  # same job folder, other corpus
    assert ckpt.read_bytes() == before  # nothing previously saved is lost
    ctx = LocalContext(workdir=tmp_path / "init", inputs={"c": tang_corpus, "m": outs[0].path})
    with pytest.raises(EngineError, match="vocabulary mismatch: .* not in the model's vocabulary"):
        run_task("training.train_gpt", {"corpus_work_id": "c", "init_model_work_id": "m", "seed": 1, **small}, ctx)


def test_recipe_validation_names_the_field():
    from pydantic import ValidationError

    from muselab.training.recipe import TrainGPTRecipe

    with pytest.raises(ValidationError, match="divisible by n_head"):
        TrainGPTRecipe(corpus_work_id="c", n_embd=100, n_head=3)
    with pytest.raises(ValidationError, match="extra"):
        TrainGPTRecipe(corpus_work_id="c", layers=3)
    r = TrainGPTRecipe(corpus_work_id="c", preset="tiny", n_layer=3)
    assert (r.n_layer, r.n_embd, r.max_steps) == (3, 64, 500)  # preset fills only what was not given


def test_training_is_deterministic_with_a_seed(english_corpus, tmp_path):
    kw = {"n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 16, "max_steps": 15, "eval_interval": 5,
          "eval_batches": 1, "dropout": 0.1}
    a, _ = _train("train_gpt", english_corpus, tmp_path / "a", **kw)
    b, _ = _train("train_gpt", english_corpus, tmp_path / "b", **kw)
    sa = torch.load(a[0].path, weights_only=True)["state_dict"]
    sb = torch.load(b[0].path, weights_only=True)["state_dict"]
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
