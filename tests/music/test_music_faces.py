"""The compose faces: HTTP API (jobs + options), the Compose web page, and the CLI."""

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from muselab.api.app import create_app

QUICK = {"audio_formats": [], "score": False, "pianoroll": False}


def test_api_composes_through_a_job_and_serves_the_files(sqlite_studio):
    with TestClient(create_app(sqlite_studio), base_url="http://127.0.0.1") as client:
        options = client.get("/v1/music/options").json()
        assert "chinese" in options["styles"] and any(m["label"] == "gong 宫" for m in options["modes"])
        r = client.post("/v1/jobs", json={"task": "music.chords", "recipe": {"bars": 2, "key": "G", "mode": "徵",
                                                                             "pianoroll": True, "audio_formats": [],
                                                                             "score": False, "seed": 3}})
        assert r.status_code == 201, r.text
        job = sqlite_studio.wait(r.json()["id"], timeout=120)
        assert job.state == "succeeded", job.error
        works = [client.get(f"/v1/works/{wid}").json() for wid in job.work_ids]
        assert [w["kind"] for w in works] == ["midi", "image"]
        assert works[1]["parents"] == [works[0]["id"]]
        assert works[0]["meta"]["mode"] == "zhi" and works[0]["recipe"]["seed"] == 3
        assert client.get(f"/v1/works/{works[0]['id']}/content").content[:4] == b"MThd"
        assert client.get(f"/v1/works/{works[1]['id']}/content").content[:4] == b"\x89PNG"
        bad = client.post("/v1/jobs", json={"task": "music.song", "recipe": {"key": "H"}})
        assert 400 <= bad.status_code < 500 and "key" in bad.text


def test_options_are_read_from_the_recipes_and_tables():
    """Nothing the faces offer is retyped: a new style, mode, task or generator shows up by itself."""
    from typing import get_args

    from muselab.music import TASKS
    from muselab.music.options import music_options
    from muselab.music.recipe import MelodyRecipe, TimeSignature
    from muselab.music.styles import STYLES

    options = music_options()
    assert [t["name"] for t in options["tasks"]] == [spec.name for spec in TASKS]
    assert options["styles"] == list(STYLES) and options["time_signatures"] == list(get_args(TimeSignature))
    assert options["generators"] == list(get_args(MelodyRecipe.model_fields["generator"].annotation))
    tasks = {t["name"]: t for t in options["tasks"]}
    assert tasks["music.continue"]["input"] == "primer_work_id" and tasks["music.song"]["input"] is None
    assert tasks["music.continue"]["choices"]["generator"] == ["markov", "neural"]
    assert tasks["music.song"]["defaults"]["bars"] == 16 and tasks["music.melody"]["defaults"]["bars"] == 8
    assert tasks["music.melody"]["limits"]["temperature"] == {"min": 0, "max": 5}


def test_compose_page_is_in_the_navigation(sqlite_studio):
    with TestClient(create_app(sqlite_studio), base_url="http://127.0.0.1") as client:
        page = client.get("/compose")
        assert page.status_code == 200
        assert "Compose" in page.text and "作曲" in page.text and "宫" in page.text and "music.continue" in page.text
        assert 'href="/compose"' in client.get("/").text


def test_cli_compose_then_play(tmp_path, monkeypatch):
    import muselab.cli.common as common
    from muselab.cli.main import app

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setattr(common, "_studio", None)
    runner = CliRunner()
    result = runner.invoke(app, ["compose", "melody", "--bars", "2", "--key", "D", "--mode", "羽", "-f", "none",
                                 "--no-score", "--no-pianoroll", "--seed", "4", "--json"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["job"]["state"] == "succeeded"
    midi = made["works"][0]
    assert midi["kind"] == "midi" and midi["meta"]["mode"] == "yu"
    out = tmp_path / "out"
    result = runner.invoke(app, ["compose", "vary", midi["id"], "--operation", "retrograde", "-f", "none",
                                 "--no-score", "--no-pianoroll", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "variation-retrograde.mid").read_bytes()[:4] == b"MThd"
    played = runner.invoke(app, ["play", midi["id"]])
    assert played.exit_code == 1 and "no rendered audio" in played.output
    bad = runner.invoke(app, ["compose", "song", "--key", "H"])
    assert bad.exit_code != 0 and "key" in bad.output
    common._studio.close()


def test_cli_out_with_json_copies_the_files_and_prints_only_json(tmp_path, monkeypatch):
    """--out is honoured under --json, stdout holds only the JSON, and options left out leave the recipe's
    defaults (the CLI retypes none)."""
    import muselab.cli.common as common
    from muselab.cli.main import app
    from muselab.music.recipe import MelodyRecipe

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setattr(common, "_studio", None)
    runner = CliRunner()
    out = tmp_path / "out"
    try:
        result = runner.invoke(app, ["compose", "melody", "--bars", "2", "-f", "none", "--no-score", "--seed", "2",
                                     "--out", str(out), "--json"])
        assert result.exit_code == 0, result.output
        made = json.loads(result.stdout)  # nothing but the JSON
        assert sorted(p.name for p in out.iterdir()) == sorted(w["filename"] for w in made["works"])
        assert {w["kind"] for w in made["works"]} == {"midi", "image"}
        recipe = made["works"][0]["recipe"]
        defaults = {name: f.default for name, f in MelodyRecipe.model_fields.items()
                    if name not in ("bars", "audio_formats", "score", "seed")}
        assert {name: recipe[name] for name in defaults} == defaults
        played = runner.invoke(app, ["play", made["works"][0]["id"], "--json"])
        assert played.exit_code == 1 and "no rendered audio" in played.output
    finally:
        if common._studio is not None:
            common._studio.close()
