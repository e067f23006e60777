"""Corpus import: formats, cleaning report, deterministic splits, bad input; chinese-poetry reading."""

import io
import json
import tarfile
from pathlib import Path

import pytest

from conftest import DATA, make_corpus
from muselab.engines import EngineError, LocalContext, run_task
from muselab.training.corpus import load_corpus
from muselab.training.recipe import CorpusImportRecipe


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_import_formats_cleaning_report_and_dedup(tmp_path):
    (tmp_path / "a.txt").write_text("Hello   world\n\nhello, WORLD!\n\nHello world\n\n短\n\n床前明月光，疑是地上霜。\n",
                                    encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({"body": "舉頭望明月"}, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("id,text\n1,A line from a csv file\n2,\n", encoding="utf-8")
    (tmp_path / "d.md").write_text("# Title\n\nA  markdown\tparagraph.\n", encoding="utf-8")
    path, meta = make_corpus([tmp_path / "a.txt", tmp_path / "b.jsonl", tmp_path / "c.csv", tmp_path / "d.md"],
                             tmp_path, text_field="body", min_chars=2, to_simplified=True)
    texts = [r["text"] for r in _lines(path)]
    report = meta["cleaning_report"]
    assert "Hello world" in texts  # whitespace collapsed
    assert "hello, WORLD!" not in texts
    assert report["removed"]["near duplicate (ignoring case, spacing, punctuation)"] == 1
    assert report["removed"]["exact duplicate"] == 1
    assert report["removed"]["shorter than min_chars=2"] == 1  # "短"
    assert report["removed"]["empty"] == 1  # the empty csv row
    assert "举头望明月" in texts  # traditional -> simplified
    assert "A markdown paragraph." in texts and "A line from a csv file" in texts
    assert report["kept"] == len(texts) == meta["records"]
    assert sum(meta["splits"].values()) == len(texts)


def test_split_is_deterministic_by_seed(tmp_path, tang_jsonl):
    runs = []
    for seed in (5, 5, 6):
        ctx = LocalContext(workdir=tmp_path / f"s{len(runs)}")
        out = run_task("training.corpus_import", {"paths": [str(tang_jsonl)], "seed": seed, "val_fraction": 0.1,
                                                  "test_fraction": 0.1}, ctx)[0]
        runs.append([r["split"] for r in _lines(Path(out.path))])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert runs[0].count("val") == round(len(runs[0]) * 0.1)


def test_empty_and_binary_corpus_are_refused(tmp_path):
    (tmp_path / "empty.txt").write_text("\n\n   \n", encoding="utf-8")
    with pytest.raises(EngineError, match="empty after cleaning"):
        make_corpus([tmp_path / "empty.txt"], tmp_path)
    (tmp_path / "pic.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(EngineError, match="binary"):
        make_corpus([tmp_path / "pic.txt"], tmp_path)
    with pytest.raises(ValueError, match="at least one file"):
        CorpusImportRecipe()
    with pytest.raises(EngineError, match="does not exist"):
        make_corpus([tmp_path / "missing.txt"], tmp_path)


def test_uploaded_work_ids_are_read_through_the_context(tmp_path):
    f = tmp_path / "blob"
    f.write_text("one\n\ntwo\n\nthree\n", encoding="utf-8")
    ctx = LocalContext(workdir=tmp_path / "job", inputs={"w1": f})
    out = run_task("training.corpus_import", {"input_work_ids": ["w1"], "seed": 1}, ctx)[0]
    assert out.kind == "corpus" and out.parents == ["w1"]
    assert sorted(r["text"] for r in _lines(Path(out.path))) == ["one", "three", "two"]
    corpus = load_corpus(Path(out.path))
    assert "one" in corpus.all_text


def test_corpus_get_reads_the_chinese_poetry_package(tmp_path):
    """Build a package-shaped .tgz from the committed slice and read the tang subset (npm itself: slow test)."""
    tgz = tmp_path / "chinese-poetry-2.0.1.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        for name, src in [("package/dist/quantangshi/poet.tang.0.json", DATA / "poet.tang.0.slice.json"),
                          ("package/LICENSE", DATA / "chinese-poetry-LICENSE")]:
            data = src.read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    ctx = LocalContext(workdir=tmp_path / "job")
    out = run_task("training.corpus_get", {"subset": "tang", "package_file": str(tgz), "max_records": 50, "seed": 1},
                   ctx)[0]
    records = _lines(Path(out.path))
    assert out.kind == "corpus" and out.meta["license"] == "MIT" and len(records) == 50
    assert records[0]["text"].startswith("帝京篇十首 一\n秦川雄帝宅")  # simplified: 帝京篇 / 壯 -> 壮
    assert "壮皇居" in records[0]["text"]
    with pytest.raises(EngineError, match="no poems of subset 'ci'"):
        run_task("training.corpus_get", {"subset": "ci", "package_file": str(tgz), "seed": 1}, ctx)


@pytest.mark.slow
def test_corpus_get_with_npm(tmp_path):
    ctx = LocalContext(workdir=tmp_path / "job")
    out = run_task("training.corpus_get", {"subset": "ci", "max_records": 100, "seed": 1}, ctx)[0]
    assert out.meta["records"] == 100
    assert not list((tmp_path / "job").glob("**/*.tgz"))  # the package is not kept
