"""Small pieces: search terms, blob store, the engine contract."""

import hashlib

import pytest

from muselab.engines import LocalContext, get_task, run_task
from muselab.library.blobs import BlobStore
from muselab.library.search_text import index_terms, query_terms


def test_cjk_bigrams_and_words():
    terms = index_terms("秋风起", "Hello, World").split()
    assert terms == ["秋", "秋风", "风", "风起", "起", "hello", "world"]
    assert query_terms("秋风起 hello") == [("秋风", False), ("风起", False), ("hello", True)]
    assert query_terms("秋") == [("秋", False)]
    assert index_terms("ＡＢＣ") == "abc", "full-width letters are normalised"


def test_blob_store_atomic_and_deduplicated(tmp_path):
    store = BlobStore(tmp_path)
    sha, size = store.put_bytes(b"hello")
    assert sha == hashlib.sha256(b"hello").hexdigest() and size == 5
    assert store.put_bytes(b"hello")[0] == sha
    src = tmp_path / "big.bin"
    src.write_bytes(b"x" * 3_000_000)
    sha2, size2 = store.put_file(src)
    assert size2 == 3_000_000 and store.read_bytes(sha2) == src.read_bytes()
    assert not list(tmp_path.rglob(".incoming-*")), "no temporary files left behind"
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")


def test_engine_runs_without_the_studio():
    ctx = LocalContext()
    outputs = run_task("demo.text", {"prompt": "solo", "steps": 2, "step_seconds": 0, "seed": 3}, ctx)
    again = run_task("demo.text", {"prompt": "solo", "steps": 2, "step_seconds": 0, "seed": 3})
    assert outputs[0].data == again[0].data
    assert [round(f, 2) for f, _, _ in ctx.events] == [0.5, 1.0]
    assert get_task("demo.text").recipe_class().model_json_schema()["properties"]["prompt"]["maxLength"] == 2000
    ctx.cleanup()
