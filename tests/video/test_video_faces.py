"""The video studio's faces: import over HTTP and the CLI probe the file first; a bad file changes nothing."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from muselab.api.app import create_app
from muselab.config import Settings
from muselab.studio import Studio
from muselab.video.synth import Shot, make_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("faces") / "clip.mp4"
    make_video(path, [Shot(1.0, 0), Shot(1.0, 1)], width=160, height=90)
    return path


def client_for(tmp_path, **settings):
    studio = Studio(Settings(data_dir=tmp_path / "data", **settings))
    return TestClient(create_app(studio, start_workers=False), base_url="http://127.0.0.1"), studio


def test_import_probes_the_video_and_keeps_its_facts(tmp_path, clip):
    client, studio = client_for(tmp_path)
    with client:
        r = client.post("/v1/video/import", files={"file": ("holiday.mp4", clip.read_bytes(), "video/mp4")})
        assert r.status_code == 201, r.text
        work = r.json()
        probe = work["meta"]["probe"]
        assert work["kind"] == "video" and (probe["width"], probe["height"], probe["fps"]) == (160, 90, 25.0)
        assert probe["duration"] == pytest.approx(2.0, abs=0.1) and probe["audio_codec"] == "aac"
        options = client.get("/v1/video/options").json()
        assert "dissolve" in options["transitions"] and "9:16" in options["aspects"]
    studio.close()


def test_bad_files_get_a_clear_422_and_nothing_is_kept(tmp_path, clip):
    import subprocess

    audio = tmp_path / "tone.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=d=1", str(audio)], check=True)
    client, studio = client_for(tmp_path, max_video_minutes=0.01)
    with client:
        existing = client.post("/v1/works", files={"file": ("keep.txt", b"mine", "text/plain")}).json()
        bad = {"notes.mp4": b"this is not a video", "cut.mp4": clip.read_bytes()[:4000],
               "tone.mp4": audio.read_bytes(), "long.mp4": clip.read_bytes()}
        reasons = {}
        for name, data in bad.items():
            r = client.post("/v1/video/import", files={"file": (name, data, "video/mp4")})
            assert r.status_code == 422 and r.json()["field"] == "file", (name, r.text)
            reasons[name] = r.json()["message"]
        assert "no video stream" in reasons["tone.mp4"] and "minutes" in reasons["long.mp4"]
        assert str(tmp_path) not in " ".join(reasons.values()), "server paths stay out of error messages"
        assert [w["id"] for w in client.get("/v1/works").json()["items"]] == [existing["id"]]
    studio.close()


def test_import_size_limit_holds_while_reading(tmp_path, clip):
    client, studio = client_for(tmp_path, max_video_mb=1)
    with client:
        r = client.post("/v1/video/import", files={"file": ("big.mp4", b"\0" * (3 << 20), "video/mp4")})
        assert r.status_code == 413 and r.json()["field"] == "file"
        assert client.get("/v1/works").json()["total"] == 0
    studio.close()


def test_cli_imports_and_finds_scenes(tmp_path, clip, monkeypatch):
    from muselab.cli import common
    from muselab.cli.main import build_app

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setattr(common, "_studio", None)
    app = build_app()
    imported = CliRunner().invoke(app, ["video", "import", str(clip), "--json"])
    assert imported.exit_code == 0, imported.output
    video_id = json.loads(imported.output)["id"]
    found = CliRunner().invoke(app, ["video", "scenes", video_id, "--json", "--out", str(tmp_path / "out")])
    assert found.exit_code == 0, found.output
    works = json.loads(found.output)["works"]
    listing = next(w for w in works if (w.get("meta") or {}).get("scenes"))
    assert len(listing["meta"]["scenes"]) == 2
    assert (tmp_path / "out").is_dir() and len(list((tmp_path / "out").iterdir())) == len(works)
    common._studio.close()
    common._studio = None
