"""Content-addressed blob store: bytes on disk named by their SHA-256, written atomically, stored once.

Works share a blob when their bytes are equal, so adding and deleting the same bytes can race. This module
gives the Library the file steps it orders under a per-blob lock inside its database transaction:
`stage` (write a temp file and hash it, before any lock), `place` (rename it in if the blob is missing),
`trash` (move an unused blob aside before the delete commits), and `untrash`/`empty_trash` after.
A killed process can leave staged and trashed files behind; `trashed()` and `remove_stale_incoming()` let
the Library tidy them at start.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from muselab.errors import TooLarge

_CHUNK = 1 << 20
INCOMING_PREFIX = ".incoming-"
TRASH_PREFIX = ".trash-"
STALE_INCOMING_SECONDS = 15 * 60  # an upload untouched this long belongs to a process that died


@dataclass
class Staged:
    """Bytes written to a temp file in the blob root, hashed, not yet in place."""

    path: Path
    sha256: str
    size: int


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    # ---- adding: stage, then place under the blob's lock ----------------------------------------
    def stage(self, source: bytes | Path | str | BinaryIO, max_bytes: int | None = None) -> Staged:
        """Write the bytes to a temp file in the blob root, hashing them on the way; nothing is in place yet.

        With `max_bytes`, a larger source raises TooLarge as soon as the limit is passed, leaving no file."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            _check_size(len(source), max_bytes)
            return self._stage_chunks(iter([bytes(source)]), max_bytes)
        if isinstance(source, (str, Path)):
            with open(source, "rb") as stream:
                return self._stage_chunks(_chunks(stream), max_bytes)
        return self._stage_chunks(_chunks(source), max_bytes)

    def _stage_chunks(self, chunks: Iterator[bytes], max_bytes: int | None) -> Staged:
        fd, name = tempfile.mkstemp(dir=self.root, prefix=INCOMING_PREFIX)
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    _check_size(size, max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())  # durable before it can be renamed in and a row can point at it
        except BaseException:
            os.unlink(name)
            raise
        return Staged(Path(name), digest.hexdigest(), size)

    def place(self, staged: Staged) -> None:
        """Make sure the blob exists, renaming the staged file in if it is missing.

        Call it holding the blob's lock (see Library): then no delete can move the blob aside between
        this check and the commit of the row that needs it."""
        target = self.path(staged.sha256)
        if target.is_file():
            return
        if not target.parent.is_dir():
            target.parent.mkdir(exist_ok=True)
            _fsync_dir(self.root)
        os.rename(staged.path, target)  # atomic: readers see the whole file or none
        _fsync_dir(target.parent)  # the new name survives a power cut before the row commits

    def discard(self, staged: Staged) -> None:
        """Remove the staged file if `place` did not use it."""
        staged.path.unlink(missing_ok=True)

    # ---- deleting: trash before the commit, empty after -----------------------------------------
    def trash(self, sha256: str) -> Path | None:
        """Move a blob aside under a unique name (undoable until `empty_trash`); None if it was not there."""
        moved = self.root / f"{TRASH_PREFIX}{sha256}-{secrets.token_hex(4)}"
        try:
            os.rename(self.path(sha256), moved)
        except FileNotFoundError:
            return None
        return moved

    def untrash(self, sha256: str, moved: Path) -> None:
        """Put a trashed blob back (its delete did not commit, or a Work still needs it)."""
        target = self.path(sha256)
        if target.is_file():  # someone placed the same bytes again meanwhile
            moved.unlink(missing_ok=True)
            return
        try:
            os.rename(moved, target)
        except FileNotFoundError:  # another process tidied it first
            return
        _fsync_dir(target.parent)

    @staticmethod
    def empty_trash(moved: Path) -> None:
        moved.unlink(missing_ok=True)

    # ---- tidying after a crash ------------------------------------------------------------------
    def trashed(self) -> dict[Path, str]:
        """Trashed files left in the blob root, with the sha256 each one holds."""
        found = {}
        for entry in self.root.glob(f"{TRASH_PREFIX}*"):
            sha = entry.name[len(TRASH_PREFIX):len(TRASH_PREFIX) + 64]
            if len(sha) == 64 and all(c in "0123456789abcdef" for c in sha):
                found[entry] = sha
        return found

    def remove_stale_incoming(self, older_than: float = STALE_INCOMING_SECONDS) -> list[Path]:
        """Remove staged files nobody has written to for a while (their process was killed mid-upload)."""
        removed, cutoff = [], time.time() - older_than
        for entry in self.root.glob(f"{INCOMING_PREFIX}*"):
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed.append(entry)
            except FileNotFoundError:  # finished or removed by someone else meanwhile
                continue
        return removed

    # ---- plain access -----------------------------------------------------------------------------
    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store bytes outside any transaction. Not ordered against a concurrent delete: Works use Library.add."""
        return self._put(self.stage(data))

    def put_file(self, source: Path | BinaryIO) -> tuple[str, int]:
        """Store a file (path or open binary stream) without holding it in memory; see put_bytes."""
        return self._put(self.stage(source))

    def _put(self, staged: Staged) -> tuple[str, int]:
        try:
            self.place(staged)
        finally:
            self.discard(staged)
        return staged.sha256, staged.size

    def read_bytes(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def delete(self, sha256: str) -> None:
        """Unlink a blob at once. Not ordered against a concurrent add: Works use Library.delete."""
        self.path(sha256).unlink(missing_ok=True)

    def copy_to(self, sha256: str, destination: Path) -> None:
        shutil.copyfile(self.path(sha256), destination)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def _check_size(size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise TooLarge(f"file is larger than the {_megabytes(max_bytes)} MB limit", "file")


def _megabytes(size: int) -> str:
    megabytes = size / (1 << 20)
    return f"{megabytes:.0f}" if megabytes >= 10 else f"{megabytes:.2g}"


def _fsync_dir(directory: Path) -> None:
    """Make a rename in this directory durable (a file's own fsync does not cover its name)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
