"""Export a board or Works to a zip and import it into another library, links and all."""

import hashlib
import json
import secrets
import struct
import zipfile
from types import SimpleNamespace

import pytest

from muselab.config import Settings
from muselab.errors import Conflict, InvalidInput, TooLarge
from muselab.ids import as_utc
from muselab.library import archive
from muselab.library.store import NewWork, WorkFilter
from muselab.studio import Studio


def test_export_import_round_trip_keeps_recipes_tags_boards_links(studio, tmp_path):
    lib = studio.library
    source = lib.add(NewWork(kind="text", media_type="text/plain", data="草稿 draft".encode(), title="draft",
                             authorship="human", tags=["mine"]))
    job, _ = studio.submit("demo.text", {"prompt": "秋风", "steps": 1, "step_seconds": 0, "seed": 7})
    made = lib.get(studio.run_here(job.id).work_ids[0])
    derived = lib.add(NewWork(kind="text", media_type="text/plain", data=b"derived", title="derived",
                              parents=[made.id, source.id], tags=["final"], task="demo.text", recipe=made.recipe))
    lib.add_to_board("秋 autumn", [derived.id])
    lib.star(derived.id)

    zip_path = tmp_path / "board.zip"
    info = archive.export_zip(lib, zip_path, board="秋 autumn")
    assert info["works"] == 3, "the board's work and both of its parents travel"

    other = Studio(Settings(data_dir=tmp_path / "other"))
    try:
        result = archive.import_zip(other.library, zip_path)
        assert sorted(result["added"]) == sorted([source.id, made.id, derived.id])
        got = other.library.get(derived.id)
        assert sorted(link.parent_id for link in got.parent_links) == sorted([made.id, source.id])
        assert [t.tag for t in got.tags] == ["final"] and got.starred
        assert other.library.list(WorkFilter(board="秋 autumn"))[1] == 1
        assert other.library.restore(made.id) == studio.library.restore(made.id)
        assert other.library.content_path(got).read_bytes() == b"derived"
        assert other.library.list(WorkFilter(query="秋风"))[1] >= 1, "imported works are searchable"
        again = archive.import_zip(other.library, zip_path)
        assert again["added"] == [] and len(again["skipped"]) == 3, "importing twice duplicates nothing"
    finally:
        other.close()


def test_import_refuses_damaged_or_foreign_zips_and_writes_nothing(sqlite_studio, tmp_path):
    lib = sqlite_studio.library
    w = lib.add(NewWork(kind="text", media_type="text/plain", data=b"hello", title="h"))
    good = tmp_path / "good.zip"
    archive.export_zip(lib, good, ids=[w.id])

    not_zip = tmp_path / "x.zip"
    not_zip.write_text("nope")
    with pytest.raises(InvalidInput):
        archive.import_zip(lib, not_zip)

    no_blob = tmp_path / "noblob.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(no_blob, "w") as dst:
        dst.writestr("manifest.json", src.read("manifest.json"))
    fresh = Studio(Settings(data_dir=tmp_path / "fresh"))
    try:
        with pytest.raises(InvalidInput, match="no file"):
            archive.import_zip(fresh.library, no_blob)
        tampered = tmp_path / "tampered.zip"
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(tampered, "w") as dst:
            manifest = json.loads(src.read("manifest.json"))
            dst.writestr("manifest.json", json.dumps(manifest))
            dst.writestr(f"blobs/{w.sha256}", b"jello")  # as long as "hello", so only its hash tells
        with pytest.raises(InvalidInput, match="does not match"):
            archive.import_zip(fresh.library, tampered)
        assert fresh.library.list()[1] == 0
    finally:
        fresh.close()


# ---- hostile zips: every field checked, every size limited, nothing written unless all is well ----------------

def _blob(data: bytes) -> tuple[str, bytes]:
    return hashlib.sha256(data).hexdigest(), data


def _entry(data: bytes = b"hello", **fields) -> dict:
    return {"id": secrets.token_hex(11), "kind": "text", "media_type": "text/plain", "sha256": _blob(data)[0],
            "title": "t", "authorship": "human", "status": "ok", "created_at": "2024-05-01T12:00:00+00:00",
            **fields}


def _zip(path, works, blobs: list[bytes] = (b"hello",), manifest: object = None):
    """A zip as export_zip makes it, from hand-made (possibly hostile) manifest entries."""
    if manifest is None:
        manifest = {"format": "muselab-export", "version": 1, "works": works}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for data in blobs:
            zf.writestr(f"blobs/{_blob(data)[0]}", data)
    return path


def _state(lib) -> tuple:
    """What an import may not change when it fails: the Works, the boards, the files."""
    files = sorted(str(p.relative_to(lib.blobs.root)) for p in lib.blobs.root.rglob("*") if p.is_file())
    return lib.list(WorkFilter(limit=500))[1], [b["name"] for b in lib.boards()], files


HOSTILE_ENTRIES = [  # (what, manifest works, the field the error must name)
    ("markup as id", [_entry(id='"><img src=y onerror=alert(1)>')], "works[0].id"),
    ("path as id", [_entry(id="../../../etc/passwd")], "works[0].id"),
    ("5000-character id", [_entry(id="a" * 5000)], "works[0].id"),
    ("uppercase id", [_entry(id="ABCDEF0123")], "works[0].id"),
    ("entry not an object", ["just a string"], "works[0]"),
    ("missing kind", [{k: v for k, v in _entry().items() if k != "kind"}], "works[0].kind"),
    ("unknown kind", [_entry(kind="virus")], "works[0].kind"),
    ("bad created_at", [_entry(created_at="yesterday")], "works[0].created_at"),
    ("created_at a number", [_entry(created_at=1714560000)], "works[0].created_at"),
    ("rating 9", [_entry(rating=9)], "works[0].rating"),
    ("rating as text", [_entry(rating="5")], "works[0].rating"),
    ("unknown status", [_entry(status="hacked")], "works[0].status"),
    ("unknown authorship", [_entry(authorship="robot")], "works[0].authorship"),
    ("tag with a path", [_entry(tags=["ok", "../x"])], "works[0].tags[1]"),
    ("empty board", [_entry(boards=[" "])], "works[0].boards[0]"),
    ("parent not an id", [_entry(parents=["../x"])], "works[0].parents[0]"),
    ("header in media type", [_entry(media_type="text/html\r\nSet-Cookie: a=b")], "works[0].media_type"),
    ("long media type", [_entry(media_type="text/" + "x" * 300)], "works[0].media_type"),
    ("title too long", [_entry(title="t" * 501)], "works[0].title"),
    ("filename with a path", [_entry(filename="../../.bashrc")], "works[0].filename"),
    ("recipe not an object", [_entry(recipe="rm -rf /")], "works[0].recipe"),
    ("recipe nested 100 deep", [_entry(recipe=json.loads('{"a":' * 100 + "1" + "}" * 100))], "works[0].recipe"),
    ("NUL in details", [_entry(meta={"note": "a\x00b"})], "works[0].meta"),
    ("NUL in title", [_entry(title="a\x00b")], "works[0].title"),
    ("seed beyond 64 bits", [_entry(seed=2**64)], "works[0].seed"),
    ("starred as text", [_entry(starred="yes")], "works[0].starred"),
    ("sha256 not hex", [_entry(sha256="z" * 64)], "works[0].sha256"),
    ("unknown field", [_entry(evil=1)], "works[0].evil"),
    ("second entry bad", [_entry(), _entry(kind=None)], "works[1].kind"),
]


@pytest.mark.parametrize("what,works,field", HOSTILE_ENTRIES, ids=[case[0] for case in HOSTILE_ENTRIES])
def test_import_refuses_each_bad_field_naming_it(sqlite_studio, tmp_path, what, works, field):
    lib = sqlite_studio.library
    before = _state(lib)
    with pytest.raises(InvalidInput) as caught:
        archive.import_zip(lib, _zip(tmp_path / "bad.zip", works))
    assert caught.value.field == field, (what, caught.value.message)
    assert caught.value.status_code == 422
    assert _state(lib) == before, "nothing written"


def test_import_takes_what_is_odd_but_harmless(sqlite_studio, tmp_path):
    """Limits refuse what can't be stored or would be unsafe, not what is merely unusual."""
    lib = sqlite_studio.library
    entry = _entry(title="page\x0cbreak 秋", created_at="2024-05-01T12:00:00", media_type="text/plain; charset=utf-8",
                   tags=[" 秋 "], boards=["b"], seed=-1, rating=0, starred=True, size=5, has_thumbnail=False,
                   snippet="hello", recipe={"prompt": "x"}, meta={}, parents=[secrets.token_hex(11)])
    assert archive.import_zip(lib, _zip(tmp_path / "odd.zip", [entry]))["added"] == [entry["id"]]
    work = lib.get(entry["id"])
    assert work.title == "page\x0cbreak 秋" and [t.tag for t in work.tags] == ["秋"]
    assert as_utc(work.created_at).isoformat() == "2024-05-01T12:00:00+00:00", "a time without a zone is UTC"


def test_import_refuses_duplicate_ids_and_malformed_manifests(sqlite_studio, tmp_path):
    lib = sqlite_studio.library
    twice = _entry()
    cases = [
        ({"format": "muselab-export", "version": 1, "works": [twice, _entry(), dict(twice)]}, "works[2].id"),
        ({"format": "muselab-export", "version": 1, "works": "all of them"}, "works"),
        ({"format": "muselab-export", "version": 1}, "works"),
        ([1, 2, 3], "manifest"),
        ({"format": "muselab-export", "version": 2, "works": []}, "file"),
    ]
    for manifest, field in cases:
        with pytest.raises(InvalidInput) as caught:
            archive.import_zip(lib, _zip(tmp_path / "bad.zip", [], manifest=manifest))
        assert caught.value.field == field, caught.value.message
    assert lib.list()[1] == 0


def test_import_is_all_or_nothing_when_a_late_file_is_damaged(studio, tmp_path):
    """The third Work's file doesn't match its hash: the first two must not stay behind (nor their files)."""
    lib = studio.library
    lib.add(NewWork(kind="text", media_type="text/plain", data=b"already here", title="mine"))
    before = _state(lib)
    datas = [b"first file", b"second file", b"third file"]
    works = [_entry(d, boards=["imported"], tags=["x"]) for d in datas]
    path = tmp_path / "late.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "muselab-export", "version": 1, "works": works}))
        for d in datas[:2]:
            zf.writestr(f"blobs/{_blob(d)[0]}", d)
        zf.writestr(f"blobs/{_blob(datas[2])[0]}", b"THIRD FILE")  # same length, other bytes
    with pytest.raises(InvalidInput, match="does not match"):
        archive.import_zip(lib, path)
    assert _state(lib) == before


def test_import_rolls_back_everything_when_the_database_refuses(studio, tmp_path, monkeypatch):
    """A Work with one of the ids appears while importing (another import, say): one transaction, rolled back."""
    lib = studio.library
    works = [_entry(b"one", boards=["b"]), _entry(b"two"), _entry(b"three")]
    path = _zip(tmp_path / "race.zip", works, blobs=[b"one", b"two", b"three"])
    lib.add(NewWork(id=works[2]["id"], kind="text", media_type="text/plain", data=b"raced", title="raced"))
    before = _state(lib)
    monkeypatch.setattr(archive, "_existing_ids", lambda library, ids: set())  # as if checked just before
    with pytest.raises(Conflict):
        archive.import_zip(lib, path)
    assert _state(lib) == before, "no Works, no board, no files left from the failed import"


def test_zip_bomb_is_refused_before_anything_is_unpacked(sqlite_studio, tmp_path):
    lib = sqlite_studio.library
    zeros = tmp_path / "bomb.zip"
    sha = hashlib.sha256()
    with zipfile.ZipFile(zeros, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("blobs/" + "0" * 64, "w", force_zip64=True) as member:  # 64 MiB of zeros, ~64 KB zipped
            for _ in range(64):
                member.write(bytes(1 << 20))
                sha.update(bytes(1 << 20))
        zf.writestr("manifest.json", json.dumps({"format": "muselab-export", "version": 1, "works": [
            _entry(kind="data", media_type="application/octet-stream", sha256="0" * 64)]}))
    assert zeros.stat().st_size < 1 << 20
    before = _state(lib)
    with pytest.raises(TooLarge, match="times") as caught:
        archive.import_zip(lib, zeros)
    assert caught.value.status_code == 413 and caught.value.field == "file"
    assert _state(lib) == before
    assert not list(lib.blobs.root.glob(".import-*")), "the temporary folder is gone"


def test_import_limits_each_size(sqlite_studio, tmp_path, monkeypatch):
    lib = sqlite_studio.library
    good = _zip(tmp_path / "good.zip", [_entry(b"x" * 5000)], blobs=[b"x" * 5000])
    with pytest.raises(TooLarge, match="the zip is"):
        archive.import_zip(lib, good, max_bytes=100)  # the owner's max_import_mb
    limits = [("MAX_MANIFEST_BYTES", 100, "manifest.json is"),
              ("MAX_MEMBER_BYTES", 1000, "per file"), ("MAX_UNCOMPRESSED_BYTES", 3000, "add up to"),
              ("MAX_MEMBERS", 1, "files")]
    for name, value, message in limits:
        with monkeypatch.context() as m:
            m.setattr(archive, name, value)
            with pytest.raises(TooLarge, match=message):
                archive.import_zip(lib, good)
    assert lib.list()[1] == 0
    assert archive.import_zip(lib, good)["added"], "within the limits it imports"


def test_import_refuses_what_would_fill_the_disk(sqlite_studio, tmp_path, monkeypatch):
    lib = sqlite_studio.library
    path = _zip(tmp_path / "good.zip", [_entry(b"x" * 5000)], blobs=[b"x" * 5000])
    monkeypatch.setattr(archive.shutil, "disk_usage", lambda _: SimpleNamespace(total=10**9, used=10**9, free=9000))
    with pytest.raises(TooLarge, match="free"):
        archive.import_zip(lib, path)
    assert lib.list()[1] == 0


def test_import_refuses_a_zip_whose_declared_sizes_lie(sqlite_studio, tmp_path):
    """The zip's directory says 4 bytes; the member holds more. Reading counts the bytes, and stops."""
    lib = sqlite_studio.library
    data = b"the real content is longer than declared"
    path = _zip(tmp_path / "lie.zip", [_entry(data)], blobs=[data])
    raw = bytearray(path.read_bytes())
    name = f"blobs/{_blob(data)[0]}".encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
        at = raw.find(signature)
        while raw[at + (30 if signature == b"PK\x03\x04" else 46):][:len(name)] != name:
            at = raw.find(signature, at + 1)
        struct.pack_into("<I", raw, at + size_at, 4)
    path.write_bytes(bytes(raw))
    before = _state(lib)
    with pytest.raises(InvalidInput) as caught:
        archive.import_zip(lib, path)
    assert caught.value.field == "file", caught.value.message
    assert _state(lib) == before


def test_export_keeps_files_that_compress_too_well_uncompressed_so_they_import(studio, tmp_path):
    """A long silence compresses ~1000:1, which import would take for a bomb: export stores it as it is."""
    lib = studio.library
    silence = lib.add(NewWork(kind="audio", media_type="audio/wav", data=bytes(3 << 20), title="silence"))
    path = tmp_path / "silence.zip"
    archive.export_zip(lib, path, ids=[silence.id])
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo(f"blobs/{silence.sha256}").compress_type == zipfile.ZIP_STORED
    other = Studio(Settings(data_dir=tmp_path / "other"))
    try:
        assert archive.import_zip(other.library, path)["added"] == [silence.id]
    finally:
        other.close()


def test_export_refuses_what_import_would_refuse(sqlite_studio, tmp_path, monkeypatch):
    lib = sqlite_studio.library
    w = lib.add(NewWork(kind="text", media_type="text/plain", data=b"x", title="x" * 400))
    monkeypatch.setattr(archive, "MAX_MANIFEST_BYTES", 300)
    with pytest.raises(TooLarge, match="manifest"):
        archive.export_zip(lib, tmp_path / "big.zip", ids=[w.id])
    assert not (tmp_path / "big.zip").exists() and not (tmp_path / "big.zip.partial").exists()
