"""No Work loses its file: identical bytes added and deleted at once, a killed delete or upload, size limits."""

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from muselab.errors import TooLarge
from muselab.library import store
from muselab.library.blobs import BlobStore
from muselab.library.models import Work
from muselab.library.store import NewWork
from muselab.studio import Studio

SRC = str(Path(__file__).resolve().parents[2] / "src")
SAME = b"the same bytes, uploaded and deleted by everyone at once\n" * 20


def widen_race_window(monkeypatch, pause: float = 0.002) -> None:
    """Sleep where the old code's race lived: after an adder learns the blob exists, and before a deleter unlinks.

    Both the old methods (put_bytes, delete) and the new ones (stage, trash) get the pause, so the same
    test runs against either; it makes the race that took the security probe minutes to hit happen in seconds."""
    def after(method):
        def slowed(*args, **kwargs):
            result = method(*args, **kwargs)
            time.sleep(pause)
            return result
        return slowed

    def before(method):
        def slowed(*args, **kwargs):
            time.sleep(pause)
            return method(*args, **kwargs)
        return slowed

    for name in ("put_bytes", "put_file", "stage"):
        if hasattr(BlobStore, name):
            monkeypatch.setattr(BlobStore, name, after(getattr(BlobStore, name)))
    for name in ("delete", "trash"):
        if hasattr(BlobStore, name):
            monkeypatch.setattr(BlobStore, name, before(getattr(BlobStore, name)))


def blob_is_whole(library, work) -> bool:
    try:
        data = library.blobs.path(work.sha256).read_bytes()
    except FileNotFoundError:
        return False
    return hashlib.sha256(data).hexdigest() == work.sha256


def churn(library, new_work, threads: int = 4, seconds: float = 5.0, max_adds: int = 1500) -> dict:
    """Threads add a Work of the same bytes, check its file, delete it; each keeps its last one.

    Every fresh Work is checked while it certainly exists (only its own thread deletes it), so a missing
    or wrong file is a loss however the threads interleave."""
    deadline = time.monotonic() + seconds
    counts = {"adds": 0, "losses": 0}
    errors, lock = [], threading.Lock()

    def run(index: int) -> None:
        try:
            for _ in range(max_adds // threads):
                work = library.add(new_work())
                whole = blob_is_whole(library, work)
                with lock:
                    counts["adds"] += 1
                    counts["losses"] += not whole
                if time.monotonic() > deadline:
                    return  # this thread's last Work stays, for the final check
                library.delete(work.id)
        except Exception as exc:  # noqa: BLE001 - reported by the test, not swallowed
            errors.append(f"thread {index}: {type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=seconds + 60)
    assert not errors, errors
    return counts


def assert_every_work_whole(library) -> int:
    with library.sessions() as s:
        works = list(s.scalars(select(Work)))
    broken = [w.id for w in works if not blob_is_whole(library, w)]
    assert broken == [], f"{len(broken)} of {len(works)} Works point at a missing or damaged file"
    if any(w.thumb_sha256 for w in works):
        assert all(library.blobs.exists(w.thumb_sha256) for w in works if w.thumb_sha256)
    return len(works)


def test_adding_and_deleting_the_same_bytes_at_once_loses_nothing(studio, monkeypatch):
    widen_race_window(monkeypatch)
    counts = churn(studio.library, lambda: NewWork(kind="data", media_type="application/octet-stream", data=SAME))
    print(f"\n{studio.engine.dialect.name}: {counts['adds']} adds, {counts['losses']} lost their file")
    assert counts["adds"] >= 40, "the churn ran too few rounds to mean anything"
    assert counts["losses"] == 0
    assert assert_every_work_whole(studio.library) >= 1
    assert not list(studio.library.blobs.root.glob(".incoming-*")), "no staged upload is left behind"
    assert not list(studio.library.blobs.root.glob(".trash-*")), "no trash is left behind"


def test_pictures_and_their_shared_thumbnails_survive_the_same_churn(studio, monkeypatch):
    widen_race_window(monkeypatch)
    picture = png_bytes(48, 32)
    counts = churn(studio.library, lambda: NewWork(kind="image", media_type="image/png", data=picture), seconds=2.5)
    assert counts["losses"] == 0
    assert_every_work_whole(studio.library)
    with studio.library.sessions() as s:
        assert s.scalar(select(func.count()).where(Work.thumb_sha256.is_(None))) == 0, "every picture got a thumbnail"


# ---- a killed delete or upload ----------------------------------------------------------------------

def test_start_puts_back_blobs_a_killed_delete_moved_aside_and_drops_other_leftovers(studio):
    library, blobs = studio.library, studio.library.blobs
    kept = library.add(NewWork(kind="data", media_type="application/octet-stream", data=b"still needed"))
    twice = library.add(NewWork(kind="data", media_type="application/octet-stream", data=b"present twice"))
    moved = blobs.trash(kept.sha256)  # a delete killed between moving the blob aside and committing
    assert moved is not None and not blobs.exists(kept.sha256)
    copy = blobs.root / f".trash-{twice.sha256}-0000"  # a trashed copy of a blob that is in place anyway
    copy.write_bytes(b"present twice")
    unused = hashlib.sha256(b"nobody's").hexdigest()
    orphan = blobs.root / f".trash-{unused}-0000"  # a delete killed after committing, before emptying the trash
    orphan.write_bytes(b"nobody's")
    stale = blobs.root / ".incoming-stale"  # an upload killed mid-way, long ago
    stale.write_bytes(b"half an upload")
    old = time.time() - 16 * 60
    os.utime(stale, (old, old))
    fresh = blobs.root / ".incoming-fresh"  # an upload still in progress in another process
    fresh.write_bytes(b"arriving")

    restarted = Studio(studio.settings)  # a start tidies up
    try:
        assert blob_is_whole(library, kept) and blob_is_whole(library, twice)
        assert not moved.exists() and not copy.exists() and not orphan.exists()
        assert not stale.exists() and fresh.exists()
        assert restarted.library.get(kept.id).sha256 == kept.sha256
    finally:
        restarted.close()


def test_a_delete_whose_commit_fails_puts_the_blob_back(studio):
    from sqlalchemy import event

    work = studio.library.add(NewWork(kind="data", media_type="application/octet-stream", data=b"precious"))
    moved_aside = []

    def fail(session):  # by now the blob was moved to the trash; the commit never happens
        moved_aside.extend(studio.library.blobs.root.glob(".trash-*"))
        raise OSError("the database went away")

    event.listen(studio.sessions, "before_commit", fail)
    try:
        with pytest.raises(OSError):
            studio.library.delete(work.id)
    finally:
        event.remove(studio.sessions, "before_commit", fail)
    assert moved_aside, "the delete had moved the blob aside before committing"
    assert studio.library.get(work.id).sha256 == work.sha256, "the row is still there"
    assert blob_is_whole(studio.library, work), "and so is its file"
    assert not list(studio.library.blobs.root.glob(".trash-*"))


def test_deleting_the_last_work_removes_its_file_and_thumbnail(studio):
    work = studio.library.add(NewWork(kind="image", media_type="image/png", data=png_bytes(8, 8)))
    assert work.thumb_sha256 and studio.library.blobs.exists(work.thumb_sha256)
    studio.library.delete(work.id)
    assert not studio.library.blobs.exists(work.sha256) and not studio.library.blobs.exists(work.thumb_sha256)
    assert not list(studio.library.blobs.root.glob(".trash-*"))


# ---- streaming with a size limit -------------------------------------------------------------------

class CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def everything_on_disk(blobs: BlobStore) -> list[Path]:
    return [p for p in blobs.root.rglob("*") if p.is_file()]


def test_a_stream_over_the_limit_is_refused_while_reading_and_leaves_nothing(studio):
    limit = 2 << 20
    upload = CountingStream(b"x" * (limit * 3))
    with pytest.raises(TooLarge) as err:
        studio.library.add(NewWork(kind="file", media_type="application/octet-stream", stream=upload,
                                   max_bytes=limit))
    assert err.value.field == "file" and err.value.message == "file is larger than the 2 MB limit"
    assert upload.bytes_read <= limit + (1 << 20), "reading stopped soon after the limit, not at the end"
    assert studio.library.list()[1] == 0, "no row"
    assert everything_on_disk(studio.library.blobs) == [], "no blob and no staged file"


def test_a_stream_within_the_limit_is_kept_whole(studio):
    data = os.urandom(3 << 20)
    work = studio.library.add(NewWork(kind="file", media_type="application/octet-stream", filename="noise.bin",
                                      stream=io.BytesIO(data), max_bytes=len(data)))
    assert work.size == len(data) and studio.library.content_path(work).read_bytes() == data
    assert not list(studio.library.blobs.root.glob(".incoming-*"))


def test_bytes_over_the_limit_are_refused_too(studio):
    with pytest.raises(TooLarge) as err:
        studio.library.add(NewWork(kind="text", media_type="text/plain", data=b"y" * 11, max_bytes=10))
    assert err.value.field == "file" and "MB limit" in err.value.message
    assert everything_on_disk(studio.library.blobs) == []


# ---- thumbnails ---------------------------------------------------------------------------------------

def png_bytes(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG, built by hand so a huge one costs kilobytes and no memory to make."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    pixels = zlib.compressobj(9)
    body = b"".join(pixels.compress(row) for _ in range(height)) + pixels.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_a_picture_over_the_pixel_limit_is_kept_without_decoding_it(studio, monkeypatch):
    from PIL import ImageFile

    decoded = []
    load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self.size) or load(self))
    big = png_bytes(8000, 8000)  # 64 million pixels in a file of a few kilobytes
    assert len(big) < 100_000 and 8000 * 8000 > store.MAX_THUMB_PIXELS
    started = time.monotonic()
    work = studio.library.add(NewWork(kind="image", media_type="image/png", data=big))
    assert work.thumb_sha256 is None and decoded == []
    assert time.monotonic() - started < 5
    assert blob_is_whole(studio.library, work)
    small = studio.library.add(NewWork(kind="image", media_type="image/png", data=png_bytes(640, 480)))
    assert small.thumb_sha256 and decoded, "a picture under the limit still gets its thumbnail"


# ---- two processes on one library ------------------------------------------------------------------

CHURN_SCRIPT = """
import hashlib, json, sys, time
from muselab.config import Settings
from muselab.library.store import NewWork
from muselab.studio import Studio

data_dir, db_url, seconds = sys.argv[1], sys.argv[2] or None, float(sys.argv[3])
studio = Studio(Settings(data_dir=data_dir, database_url=db_url))
same = bytes.fromhex(sys.argv[4])
adds = losses = 0
deadline = time.monotonic() + seconds
while True:
    work = studio.library.add(NewWork(kind="data", media_type="application/octet-stream", data=same))
    try:
        whole = hashlib.sha256(studio.library.blobs.path(work.sha256).read_bytes()).hexdigest() == work.sha256
    except FileNotFoundError:
        whole = False
    adds += 1
    losses += not whole
    if time.monotonic() > deadline:
        break
    studio.library.delete(work.id)
studio.close()
print(json.dumps({"adds": adds, "losses": losses}))
"""


def test_two_processes_adding_and_deleting_the_same_bytes_lose_nothing(studio):
    args = [str(studio.settings.data_dir), studio.settings.database_url or "", "3", SAME.hex()]
    env = {**os.environ, "PYTHONPATH": SRC}
    procs = [subprocess.Popen([sys.executable, "-c", CHURN_SCRIPT, *args], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    print(f"\n{studio.engine.dialect.name}, two processes: {results}")
    assert all(r["adds"] >= 10 for r in results), results
    assert sum(r["losses"] for r in results) == 0, results
    assert assert_every_work_whole(studio.library) == 2
