"""Fixtures of the writing studio's tests: a private data dir, the small test model, a tiny GGUF writer."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from muselab.config import get_settings


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """MUSELAB_DATA_DIR pointing at a fresh folder (models registry, user forms)."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("MUSELAB_DATA_DIR", str(d))
    get_settings.cache_clear()
    yield d
    get_settings.cache_clear()


def _gguf_string(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def write_tiny_gguf(path: Path, name: str = "tiny test model", arch: str = "llama") -> Path:
    """A header-only GGUF file (no tensors): a valid header llama.cpp still cannot load."""
    kv = [("general.architecture", arch), ("general.name", name)]
    data = b"GGUF" + struct.pack("<I", 3) + struct.pack("<Q", 0) + struct.pack("<Q", len(kv))
    for key, value in kv:
        data += _gguf_string(key) + struct.pack("<I", 8) + _gguf_string(value)
    path.write_bytes(data)
    return path


@pytest.fixture
def tiny_gguf(tmp_path) -> Path:
    return write_tiny_gguf(tmp_path / "tiny.gguf")
