"""Private training: DP-SGD reports ε and δ in the model card; federated training with Flower."""

import math

import pytest

from muselab.engines import LocalContext, run_task
from muselab.training.use import load_model

SMALL = {"n_layer": 1, "n_embd": 32, "block_size": 32, "batch_size": 16, "max_steps": 20, "eval_interval": 10,
         "eval_batches": 2, "learning_rate": 0.01}


@pytest.mark.parametrize("task,extra", [("train_lstm", {}), ("train_gpt", {"n_head": 2})])
def test_dp_run_reports_epsilon(task, extra, english_corpus, tmp_path):
    ctx = LocalContext(workdir=tmp_path / task, inputs={"c": english_corpus})
    out = run_task(f"training.{task}", {"corpus_work_id": "c", "seed": 2, "dp": True, "dp_noise_multiplier": 1.0,
                                        **SMALL, **extra}, ctx)[0]
    dp = out.meta["dp"]
    assert out.meta["epsilon"] == dp["epsilon"] and 0 < dp["epsilon"] < 50 and math.isfinite(dp["epsilon"])
    assert 0 < dp["delta"] < 1 / dp["samples"]  # δ below 1/N, as it should be
    assert dp["steps"] == 20 and "ε=" in out.text and "dp" in out.tags
    # ε grows with the number of steps (more releases of the data)
    eps = [h["epsilon"] for h in out.meta["history"]]
    assert eps == sorted(eps) and eps[0] < eps[-1]
    _model, _tok, _ = load_model(out.path)  # the DP model loads and generates
    ctx.inputs["m"] = out.path
    assert run_task("training.sample", {"model_work_id": "m", "max_tokens": 10, "seed": 1}, ctx)[0].text


def test_more_noise_gives_a_smaller_epsilon(english_corpus, tmp_path):
    eps = []
    for noise in (0.8, 2.0):
        ctx = LocalContext(workdir=tmp_path / str(noise), inputs={"c": english_corpus})
        out = run_task("training.train_lstm", {"corpus_work_id": "c", "seed": 2, "dp": True,
                                               "dp_noise_multiplier": noise, **SMALL, "max_steps": 5,
                                               "eval_interval": 5}, ctx)[0]
        eps.append(out.meta["epsilon"])
    assert eps[1] < eps[0]


@pytest.mark.slow
def test_federated_simulation_with_three_clients(english_corpus, tmp_path):
    ctx = LocalContext(workdir=tmp_path / "fed", inputs={"c": english_corpus})
    outs = run_task("training.federated", {"client_corpus_work_ids": ["c"], "num_clients": 3, "seed": 1, "rounds": 3,
                                           "local_steps": 30, "n_layer": 1, "n_head": 2, "n_embd": 32,
                                           "block_size": 32}, ctx)
    meta = outs[0].meta
    assert meta["federated"]["clients"] == 3 and len(meta["history"]) >= 3
    losses = meta["held_out_loss"]
    assert all(losses["federated"] < losses[f"client {i} alone"] for i in (1, 2, 3)), losses
    assert meta["beats_every_client_alone"] is True
    load_model(outs[0].path)
