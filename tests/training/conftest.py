import json
from pathlib import Path

import pytest

from muselab.engines import LocalContext, run_task

DATA = Path(__file__).parent / "data"


def tang_records() -> list[str]:
    poems = json.loads((DATA / "poet.tang.0.slice.json").read_text(encoding="utf-8"))
    return ["\n".join([p["title"], *p["paragraphs"]]) for p in poems]


@pytest.fixture(scope="session")
def tang_jsonl(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tang") / "tang.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for r in tang_records():
            fh.write(json.dumps({"text": r}, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="session")
def english_txt() -> Path:
    return DATA / "lady_susan_excerpt.txt"


def make_corpus(paths, tmp_path, **kw) -> tuple[Path, dict]:
    """Import files into a corpus with the real engine; returns (corpus file, meta)."""
    ctx = LocalContext(workdir=tmp_path / "corpus-job")
    out = run_task("training.corpus_import", {"paths": [str(p) for p in paths], "seed": 1, **kw}, ctx)[0]
    return Path(out.path), out.meta


@pytest.fixture(scope="session")
def tang_corpus(tang_jsonl, tmp_path_factory) -> Path:
    return make_corpus([tang_jsonl], tmp_path_factory.mktemp("tc"), to_simplified=True, val_fraction=0.1)[0]


@pytest.fixture(scope="session")
def english_corpus(english_txt, tmp_path_factory) -> Path:
    return make_corpus([english_txt], tmp_path_factory.mktemp("ec"), val_fraction=0.1)[0]


@pytest.fixture(scope="session")
def tiny_gpt(english_corpus, tmp_path_factory) -> Path:
    """A small char-level GPT trained on the English excerpt (shared by sampling/compression tests)."""
    ctx = LocalContext(workdir=tmp_path_factory.mktemp("gpt"), inputs={"c": english_corpus})
    outs = run_task("training.train_gpt", {"corpus_work_id": "c", "seed": 3, "n_layer": 2, "n_head": 2, "n_embd": 48,
                                           "block_size": 32, "max_steps": 120, "eval_interval": 40,
                                           "eval_batches": 3, "batch_size": 8}, ctx)
    return Path(outs[0].path)


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    """Same thread count in every process, so runs compare bit for bit (and no oversubscription)."""
    monkeypatch.setenv("MUSELAB_TORCH_THREADS", "1")
