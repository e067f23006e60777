"""Federated training with Flower (flwr) simulation.

Several clients each hold a corpus that never leaves them: in every round each client
receives the global weights, trains `local_steps` on its own text and sends back only
weights; the server averages them (FedAvg, weighted by each client's token count).
For comparison every client also trains alone for the same number of steps, and all
models are scored on one held-out set made of every client's validation and test text.
"""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from pathlib import Path

import torch

from muselab.engines import Context, EngineError, Output
from muselab.training import corpus as corpus_mod
from muselab.training.recipe import FederatedRecipe
from muselab.training.torchkit import MODEL_MEDIA_TYPE, set_threads


def _client_data(recipe: FederatedRecipe, ctx: Context) -> list[dict[str, list[str]]]:
    corpora = [corpus_mod.load_corpus(ctx.input_path(w)) for w in recipe.client_corpus_work_ids]
    if len(corpora) >= 2:
        return [c.records for c in corpora]
    # one corpus: deal its records round-robin to num_clients clients, split by split
    records = corpora[0].records
    clients = [{s: [] for s in corpus_mod.SPLITS} for _ in range(recipe.num_clients)]
    for split, recs in records.items():
        for i, r in enumerate(recs):
            clients[i % recipe.num_clients][split].append(r)
    return clients


def _local_train(model, data: torch.Tensor, steps: int, cfg, seed: int, lr: float) -> float:
    from muselab.training.trainer import get_batch

    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    g = torch.Generator().manual_seed(seed)
    model.train()
    loss = torch.tensor(float("nan"))
    for _ in range(steps):
        x, y = get_batch(data, cfg.block_size, cfg.batch_size, g)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return float(loss.item())


def run(recipe: FederatedRecipe, ctx: Context) -> list[Output]:
    from muselab.training import modelfile
    from muselab.training.tokenizer import CharTokenizer
    from muselab.training.trainer import TrainConfig, evaluate, loss_curve_png

    set_threads()
    clients = _client_data(recipe, ctx)
    n_clients = len(clients)
    train_texts = ["".join(r + corpus_mod.Corpus.SEPARATOR for r in c["train"]) for c in clients]
    held_text = "".join(r + corpus_mod.Corpus.SEPARATOR for c in clients for r in c["val"] + c["test"])
    # The shared character vocabulary is the one thing all parties agree on up front (a union of characters,
    # not text); in a real deployment it would be fixed in advance, e.g. a standard character list.
    tok = CharTokenizer.train("".join(train_texts) + held_text)
    train_ids = [torch.tensor(tok.encode(t), dtype=torch.long) for t in train_texts]
    held = torch.tensor(tok.encode(held_text), dtype=torch.long)
    for i, ids in enumerate(train_ids):
        if len(ids) < recipe.block_size + 2:
            raise EngineError(f"client {i + 1}'s corpus has too little training text for "
                              f"block_size={recipe.block_size}")
    if len(held) < recipe.block_size + 2:
        raise EngineError("the clients' validation/test splits are too small for a held-out comparison")
    config = {"vocab_size": tok.vocab_size, "block_size": recipe.block_size, "n_layer": recipe.n_layer,
              "n_head": recipe.n_head, "n_embd": recipe.n_embd, "dropout": 0.0}
    seed = recipe.seed or 0
    cfg = TrainConfig(seed=seed, block_size=recipe.block_size, batch_size=recipe.batch_size,
                      eval_batches=recipe.eval_batches)
    torch.manual_seed(seed)
    init_state = modelfile.build_model("gpt", config).state_dict()
    history: list[dict] = []
    total_rounds = recipe.rounds
    t0 = time.perf_counter()

    # --- Flower apps --------------------------------------------------------------------------------
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from flwr.app import ArrayRecord, ConfigRecord, Message, MetricRecord, RecordDict
        from flwr.clientapp import ClientApp
        from flwr.serverapp import ServerApp
        from flwr.serverapp.strategy import FedAvg
        from flwr.simulation import run_simulation

    client_app = ClientApp()

    @client_app.train()
    def client_train(msg, context):  # runs inside the simulation: sees only its own corpus
        set_threads(at_most=1)  # each simulated client gets one core
        pid = int(context.node_config["partition-id"])
        model = modelfile.build_model("gpt", config)
        model.load_state_dict(msg.content["arrays"].to_torch_state_dict())
        rnd = int(msg.content["config"]["server-round"])
        loss = _local_train(model, train_ids[pid], recipe.local_steps, cfg, seed * 1000 + rnd * 37 + pid,
                            recipe.learning_rate)
        content = RecordDict({"arrays": ArrayRecord(model.state_dict()),
                              "metrics": MetricRecord({"train_loss": loss, "num-examples": len(train_ids[pid])})})
        return Message(content=content, reply_to=msg)

    result_box: dict = {}
    server_app = ServerApp()

    @server_app.main()
    def server_main(grid, context):
        strategy = FedAvg(fraction_train=1.0, fraction_evaluate=0.0, min_available_nodes=n_clients,
                          min_train_nodes=n_clients)

        def central_eval(server_round: int, arrays) -> MetricRecord:
            model = modelfile.build_model("gpt", config)
            model.load_state_dict(arrays.to_torch_state_dict())
            loss = evaluate(model, held, cfg)
            history.append({"step": server_round, "train_loss": round(loss, 4), "val_loss": round(loss, 4)})
            ctx.progress(0.05 + 0.6 * server_round / total_rounds, f"round {server_round}/{total_rounds}: "
                         f"held-out loss {loss:.3f}", {"step": server_round, "max_steps": total_rounds,
                                                       "val_loss": round(loss, 4),
                                                       "eta_s": round((time.perf_counter() - t0) / max(
                                                           server_round, 1) * (total_rounds - server_round), 1)})
            return MetricRecord({"held_out_loss": loss})

        result = strategy.start(grid=grid, initial_arrays=ArrayRecord(init_state), num_rounds=total_rounds,
                                train_config=ConfigRecord({}), evaluate_fn=central_eval)
        result_box["state"] = result.arrays.to_torch_state_dict()

    ctx.progress(0.02, f"starting a Flower simulation with {n_clients} clients")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    for name in ("flwr", "ray"):
        logging.getLogger(name).setLevel(logging.WARNING)
    run_simulation(server_app=server_app, client_app=client_app, num_supernodes=n_clients,
                   backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                                   "init_args": {"num_cpus": max(1, min(2, os.cpu_count() or 1)),
                                                 "include_dashboard": False, "log_to_driver": False}})
    if "state" not in result_box:
        raise EngineError("the Flower simulation ended without a global model (see the job log)")
    fed = modelfile.build_model("gpt", config)
    fed.load_state_dict(result_box["state"])
    fed_loss = evaluate(fed, held, cfg)

    # --- each client alone, same number of steps ----------------------------------------------------
    alone: list[float] = []
    for i in range(n_clients):
        ctx.progress(0.7 + 0.25 * i / n_clients, f"training client {i + 1} alone for comparison")
        torch.manual_seed(seed)
        model = modelfile.build_model("gpt", config)
        model.load_state_dict(init_state)
        for rnd in range(1, total_rounds + 1):  # same optimiser restarts per round as in federation
            _local_train(model, train_ids[i], recipe.local_steps, cfg, seed * 1000 + rnd * 37 + i, recipe.learning_rate)
        alone.append(evaluate(model, held, cfg))

    rows = {"federated": round(fed_loss, 4), **{f"client {i + 1} alone": round(v, 4) for i, v in enumerate(alone)}}
    table = "| model | held-out loss | perplexity |\n|---|---|---|\n" + "\n".join(
        f"| {k} | {v} | {math.exp(min(v, 50)):.2f} |" for k, v in rows.items())
    card = {"arch": "gpt", "config": config, "tokenizer": "char", "vocab_size": tok.vocab_size,
            "params": modelfile.count_params(fed), "federated": {"clients": n_clients, "rounds": total_rounds,
            "local_steps": recipe.local_steps, "strategy": "FedAvg (Flower simulation)",
            "client_tokens": [len(t) for t in train_ids]}, "held_out_loss": rows, "comparison_table": table,
            "val_loss": round(fed_loss, 4), "val_ppl": round(math.exp(min(fed_loss, 50)), 3), "history": history,
            "beats_every_client_alone": all(fed_loss < a for a in alone)}
    title = recipe.title or f"federated GPT ({n_clients} clients)"
    path = modelfile.save_model(Path(ctx.workdir) / "federated.pt", "gpt", config, fed.state_dict(), tok,
                                recipe.model_dump(mode="json"), card)
    png = loss_curve_png(history, Path(ctx.workdir) / "federated-loss.png", title)
    ctx.progress(1.0, table)
    return [Output(kind="model", media_type=MODEL_MEDIA_TYPE, path=path, title=title, text=table, meta=card,
                   parents=list(recipe.client_corpus_work_ids), tags=["model", "gpt", "federated"],
                   filename="federated.pt"),
            Output(kind="image", media_type="image/png", path=png, title=f"held-out loss per round: {title}",
                   parent_outputs=[0], tags=["loss-curve"], filename="federated-loss.png")]
