"""Read the header of a GGUF file (metadata only, no tensors) and hash files.

Enough to tell a real GGUF from a corrupt or foreign file before llama.cpp sees it,
and to show a model's name, architecture, context length and chat template.
Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

MAGIC = b"GGUF"

# value type id -> struct format (scalars)
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
# Keys whose (long) array values we skip rather than keep in memory.
_SKIP_ARRAYS = ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.merges")


class GGUFError(ValueError):
    """The file is not a readable GGUF file."""


def _read(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise GGUFError("file ends in the middle of its header (truncated or corrupt)")
    return struct.unpack(fmt, data)[0]


def _read_string(f: BinaryIO) -> str:
    length = _read(f, "<Q")
    if length > 1 << 26:
        raise GGUFError(f"implausible string length {length} in header (corrupt file)")
    data = f.read(length)
    if len(data) != length:
        raise GGUFError("file ends in the middle of its header (truncated or corrupt)")
    return data.decode("utf-8", errors="replace")


def _read_value(f: BinaryIO, vtype: int, keep: bool = True) -> Any:
    if vtype in _SCALARS:
        return _read(f, _SCALARS[vtype])
    if vtype == _STRING:
        return _read_string(f)
    if vtype == _ARRAY:
        item_type = _read(f, "<I")
        count = _read(f, "<Q")
        if count > 1 << 28:
            raise GGUFError(f"implausible array length {count} in header (corrupt file)")
        if not keep and item_type in _SCALARS:
            f.seek(struct.calcsize(_SCALARS[item_type]) * count, 1)
            return None
        items = [_read_value(f, item_type) for _ in range(count)]
        return items if keep else None
    raise GGUFError(f"unknown metadata value type {vtype} (corrupt file or newer GGUF version)")


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The key/value metadata of a GGUF file; raises GGUFError if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise GGUFError(f"{path} is not a file")
    with path.open("rb") as f:
        magic = f.read(4)
        if magic != MAGIC:
            raise GGUFError(f"{path.name} is not a GGUF file (it starts with {magic!r}, expected b'GGUF')")
        version = _read(f, "<I")
        if version not in (2, 3):
            raise GGUFError(f"{path.name}: GGUF version {version} is not supported (2 or 3 are)")
        n_tensors = _read(f, "<Q")
        n_kv = _read(f, "<Q")
        if n_kv > 100_000 or n_tensors > 1_000_000:
            raise GGUFError(f"{path.name}: implausible header counts (corrupt file)")
        meta: dict[str, Any] = {"gguf.version": version, "gguf.tensor_count": n_tensors}
        for _ in range(n_kv):
            key = _read_string(f)
            vtype = _read(f, "<I")
            meta[key] = _read_value(f, vtype, keep=key not in _SKIP_ARRAYS)
    return meta


def summary(meta: dict[str, Any]) -> dict[str, Any]:
    """The few metadata fields worth showing: name, architecture, context length, chat template present."""
    arch = meta.get("general.architecture", "")
    return {
        "name": meta.get("general.name", ""),
        "architecture": arch,
        "context_length": meta.get(f"{arch}.context_length"),
        "has_chat_template": bool(meta.get("tokenizer.chat_template")),
    }


