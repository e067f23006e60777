"""The CLI face: corpus import/ls/show, train gpt with the live view, models trained/card/sample/compress, resume."""

import json

import pytest
from typer.testing import CliRunner

POEM = ("床前明月光，疑是地上霜。\n\n举头望明月，低头思故乡。\n\n"
        "The moon before my bed.\n\nI lower my head and think of home.\n")


@pytest.fixture
def cli(tmp_path, monkeypatch):
    from muselab.cli import common
    from muselab.cli.main import app

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setattr(common, "_studio", None)
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        return result

    yield invoke, runner, app
    if common._studio is not None:
        common._studio.close()


def test_cli_corpus_train_card_sample_compress(cli, tmp_path):
    invoke, runner, app = cli
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "poems.txt").write_text(POEM * 30, encoding="utf-8")  # duplicates get removed
    (tmp_path / "mine" / "more.md").write_text("# 秋\n\n" + "\n\n".join(f"第{i}行 秋风起兮白云飞" for i in range(60)),
                                               encoding="utf-8")
    made = json.loads(invoke("corpus", "import", tmp_path / "mine", "--seed", "1", "--val-fraction", "0.2",
                             "--json").stdout)
    corpus = made["works"][0]
    assert corpus["kind"] == "corpus" and corpus["title"] == "more + 1 more files"
    shown = invoke("corpus", "show", corpus["id"]).stdout
    assert "exact duplicate" in shown and "records" in shown
    assert json.loads(invoke("corpus", "ls", "--json").stdout)["total"] == 1

    trained = invoke("train", "gpt", corpus["id"], "--preset", "tiny", "--n-layer", "1", "--n-embd", "32",
                     "--n-head", "2", "--block-size", "16", "--max-steps", "30", "--seed", "3",
                     "--out", tmp_path / "out")
    assert "validation perplexity" in trained.stdout
    assert (tmp_path / "out").is_dir() and any(p.suffix == ".png" for p in (tmp_path / "out").iterdir())
    models = json.loads(invoke("models", "trained", "--json").stdout)["items"]
    assert len(models) == 1 and models[0]["meta"]["config"]["n_layer"] == 1
    model_id = models[0]["id"]
    card = json.loads(invoke("models", "card", model_id, "--json").stdout)
    assert card["card"]["steps"] == 30 and "val_ppl" in card["card"] and "history" not in card["card"]
    assert "val_ppl" in invoke("models", "card", model_id).stdout
    sampled = json.loads(invoke("models", "sample", model_id, "--prompt", "举头", "--max-tokens", "8", "--n", "2",
                                "--seed", "1", "--json", "--out", tmp_path / "texts").stdout)
    assert len(sampled["works"]) == 2 and all(w["text"].startswith("举头") for w in sampled["works"])
    assert len(list((tmp_path / "texts").iterdir())) == 2  # --out is honoured under --json
    q = invoke("models", "compress", "quantize", model_id, "--corpus", corpus["id"])
    assert "int8 dynamic" in q.stdout

    assert "(default 0.8)" in invoke("models", "sample", "--help").stdout  # the recipe's default, not the CLI's
    assert runner.invoke(app, ["model", "ls"]).exit_code != 0  # one group for models: `muselab models`

    bad = runner.invoke(app, ["train", "gpt", corpus["id"], "--block-size", "100000"])
    assert bad.exit_code != 0 and "block_size" in bad.output
    missing = runner.invoke(app, ["train", "resume", "nope"])
    assert missing.exit_code != 0 and "no job" in missing.output
