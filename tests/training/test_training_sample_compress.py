"""Sampling with the writing studio's parameters; int8 quantization, pruning and distillation."""

import pytest
import torch

from muselab.engines import EngineError, LocalContext, run_task
from muselab.training.use import load_model


def _ctx(tmp_path, name, **inputs):
    return LocalContext(workdir=tmp_path / name, inputs=inputs)


def test_sampling_parameters(tiny_gpt, tmp_path):
    ctx = _ctx(tmp_path, "s", m=tiny_gpt)
    base = {"model_work_id": "m", "prompt": "My dear", "max_tokens": 30}
    a = run_task("training.sample", {**base, "seed": 1, "n": 3, "temperature": 1.0}, ctx)
    b = run_task("training.sample", {**base, "seed": 1, "n": 3, "temperature": 1.0}, ctx)
    c = run_task("training.sample", {**base, "seed": 2, "n": 3, "temperature": 1.0}, ctx)
    assert len(a) == 3 and [o.text for o in a] == [o.text for o in b] != [o.text for o in c]
    assert all(o.text.startswith("My dear") and len(o.text) == len("My dear") + 30 for o in a)
    greedy = run_task("training.sample", {**base, "seed": 5, "temperature": 0}, ctx)[0].text
    top1 = run_task("training.sample", {**base, "seed": 9, "temperature": 1.5, "top_k": 1}, ctx)[0].text
    tiny_p = run_task("training.sample", {**base, "seed": 3, "temperature": 1.0, "top_p": 1e-6}, ctx)[0].text
    assert greedy == top1 == tiny_p  # top_k=1 and a vanishing top_p both reduce to the most likely token
    with pytest.raises(EngineError, match="cannot read the model file"):
        run_task("training.sample", {**base, "model_work_id": "x", "seed": 1},
                 _ctx(tmp_path, "bad", x=tmp_path / "missing.pt"))


def test_quantized_model_is_smaller_and_still_generates(tiny_gpt, english_corpus, tmp_path):
    ctx = _ctx(tmp_path, "q", m=tiny_gpt, c=english_corpus)
    out = run_task("training.quantize", {"model_work_id": "m", "corpus_work_id": "c", "seed": 1}, ctx)[0]
    rows = out.meta["comparison"]
    assert rows["int8 dynamic"]["size_bytes"] < rows["original"]["size_bytes"]
    assert out.path.stat().st_size == rows["int8 dynamic"]["size_bytes"]
    # quantization costs little accuracy on this model
    assert rows["int8 dynamic"]["val_ppl"] < rows["original"]["val_ppl"] * 1.1
    assert "| int8 dynamic |" in out.text and "tokens/s" in out.text
    _model, _tok, data = load_model(out.path)
    assert data["quantization"] == "int8_dynamic"
    ctx.inputs["q"] = out.path
    text = run_task("training.sample", {"model_work_id": "q", "prompt": "The ", "max_tokens": 20, "seed": 1}, ctx)[0]
    assert len(text.text) == 24


def test_pruned_model_has_the_asked_sparsity(tiny_gpt, english_corpus, tmp_path):
    ctx = _ctx(tmp_path, "p", m=tiny_gpt, c=english_corpus)
    out = run_task("training.prune", {"model_work_id": "m", "corpus_work_id": "c", "amount": 0.5, "seed": 1}, ctx)[0]
    assert out.meta["sparsity"] == pytest.approx(0.5, abs=0.01)
    rows = out.meta["comparison"]
    assert rows["pruned 50%"]["size_gzip_bytes"] < rows["original"]["size_gzip_bytes"]
    model, _, _ = load_model(out.path)
    zeros = sum(int((m.weight == 0).sum()) for m in model.modules() if isinstance(m, torch.nn.Linear)
                and m is not model.head)
    assert zeros > 0


def test_an_lstm_with_tied_weights_can_be_pruned(english_corpus, tmp_path):
    """Its only linear layer is the tied head, so the LSTM's own weight matrices are what gets pruned."""
    ctx = _ctx(tmp_path, "pl", c=english_corpus)
    lstm = run_task("training.train_lstm", {"corpus_work_id": "c", "seed": 1, "n_layer": 1, "n_embd": 32,
                                            "block_size": 16, "max_steps": 10, "eval_interval": 10,
                                            "eval_batches": 2, "batch_size": 4}, ctx)[0]
    ctx.inputs["m"] = lstm.path
    out = run_task("training.prune", {"model_work_id": "m", "amount": 0.3, "seed": 1}, ctx)[0]
    assert out.meta["sparsity"] == pytest.approx(0.3, abs=0.01)
    model, _, _ = load_model(out.path)
    assert (model.lstm.weight_hh_l0 == 0).float().mean() > 0.1


def test_distillation_makes_a_smaller_student(tiny_gpt, english_corpus, tmp_path):
    ctx = _ctx(tmp_path, "d", t=tiny_gpt, c=english_corpus)
    outs = run_task("training.distill", {"teacher_work_id": "t", "corpus_work_id": "c", "n_layer": 1, "n_head": 1,
                                         "n_embd": 32, "max_steps": 60, "eval_interval": 30, "eval_batches": 2,
                                         "seed": 1}, ctx)
    rows = outs[0].meta["comparison"]
    assert rows["student"]["params"] < rows["teacher"]["params"]
    assert rows["student"]["size_bytes"] < rows["teacher"]["size_bytes"]
    hist = outs[0].meta["history"]
    assert hist[-1]["val_loss"] < hist[0]["val_loss"] or hist[-1]["val_loss"] < 3.5
    assert outs[1].kind == "image"


def test_use_api_streams_like_generate_and_checkpoints_sample(tiny_gpt, english_corpus, tmp_path):
    from muselab.engines import Cancelled
    from muselab.training.use import generate, load, stream

    m = load(tiny_gpt)
    whole = generate(m, "My dear", max_tokens=25, temperature=0.9, top_k=20, seed=4)[0]
    assert "".join(stream(m, "My dear", max_tokens=25, temperature=0.9, top_k=20, seed=4)) == whole
    # a stopped run's checkpoint can be sampled from directly (web page: "sample from checkpoints")
    ctx = LocalContext(workdir=tmp_path / "stop", inputs={"c": english_corpus})
    ctx._on_progress = lambda f, msg, p: ctx.cancel_event.set() if p and p.get("step", 0) >= 10 else None
    with pytest.raises(Cancelled):
        run_task("training.train_lstm", {"corpus_work_id": "c", "seed": 1, "n_layer": 1, "n_embd": 32,
                                         "block_size": 16, "max_steps": 1000, "eval_interval": 10,
                                         "eval_batches": 1}, ctx)
    sample_ctx = _ctx(tmp_path, "sample", ck=ctx.emitted[-1].path)
    text = run_task("training.sample", {"model_work_id": "ck", "prompt": "I", "max_tokens": 10, "seed": 1},
                    sample_ctx)[0]
    assert text.text.startswith("I") and len(text.text) == 11
