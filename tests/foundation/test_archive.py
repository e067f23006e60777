"""Export a board or Works to a zip and import it into another library, links and all."""

import json
import zipfile

import pytest

from muselab.config import Settings
from muselab.errors import InvalidInput
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
            dst.writestr(f"blobs/{w.sha256}", b"something else")
        with pytest.raises(InvalidInput, match="does not match"):
            archive.import_zip(fresh.library, tampered)
        assert fresh.library.list()[1] == 0
    finally:
        fresh.close()
