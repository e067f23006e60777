"""Model files shipped inside installed Python packages: found without importing them, checked by SHA-256."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path


def package_file(package: str, relative: str) -> Path | None:
    """A file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    return path if path.is_file() else None


def sha256_file(path: str | Path, chunk: int = 4 << 20) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()
