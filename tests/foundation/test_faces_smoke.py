"""The three faces reach the same studio: HTTP API (with workers) and CLI."""

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from muselab.api.app import create_app


def test_api_submit_runs_demo_job_and_keeps_work(sqlite_studio):
    with TestClient(create_app(sqlite_studio), base_url="http://127.0.0.1") as client:
        r = client.post("/v1/jobs", json={"task": "demo.text", "recipe": {"prompt": "秋风", "steps": 2,
                                                                           "step_seconds": 0}})
        assert r.status_code == 201, r.text
        job = sqlite_studio.wait(r.json()["id"], timeout=30)
        assert job.state == "succeeded"
        work = client.get(f"/v1/works/{job.work_ids[0]}").json()
        assert work["task"] == "demo.text" and "秋风" in work["text"]
        assert client.get("/v1/works/search", params={"q": "秋风"}).json()["total"] == 1


def test_cli_demo_then_library_ls(tmp_path, monkeypatch):
    from muselab.cli import common
    from muselab.cli.main import app

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setattr(common, "_studio", None)
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "spring rain", "--steps", "2", "--step-seconds", "0", "--json"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["job"]["state"] == "succeeded" and "spring rain" in made["works"][0]["text"]
    listed = runner.invoke(app, ["library", "ls", "--json"])
    assert json.loads(listed.stdout)["total"] == 1
    common._studio.close()


def test_cli_bad_input_names_the_field_once(tmp_path, monkeypatch):
    import muselab.cli.common as common
    from muselab.cli.main import app

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setattr(common, "_studio", None)
    result = CliRunner().invoke(app, ["demo", "x", "--steps", "1", "--step-seconds", "0", "--seed", "-1"])
    assert result.exit_code != 0
    assert result.output.count("recipe.seed") == 1 and "greater than or equal to 0" in result.output
    common._studio.close()
