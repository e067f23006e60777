"""The HTTP API: auth rules, clear 4xx errors, uploads, content, SSE progress, export/import."""

import io
import json

import pytest
from fastapi.testclient import TestClient

from muselab.api.app import create_app
from muselab.config import Settings
from muselab.studio import Studio


@pytest.fixture
def client(sqlite_studio):
    with TestClient(create_app(sqlite_studio), base_url="http://127.0.0.1") as c:
        yield c


def run_demo(client, studio, **recipe):
    r = client.post("/v1/jobs", json={"task": "demo.text", "recipe": {"steps": 1, "step_seconds": 0, **recipe}})
    assert r.status_code == 201, r.text
    return studio.wait(r.json()["id"], timeout=30)


def test_health_and_openapi(client):
    assert client.get("/health").json()["status"] == "ok"
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/works", "/v1/jobs", "/v1/jobs/{job_id}/events", "/v1/works/{work_id}/content"):
        assert path in paths
    assert client.get("/docs").status_code == 200


def test_api_key_required_when_set(tmp_path):
    studio = Studio(Settings(data_dir=tmp_path / "d", api_key="s3cret"))
    try:
        with TestClient(create_app(studio, start_workers=False), base_url="http://127.0.0.1") as c:
            assert c.get("/health").status_code == 200, "health stays open for probes"
            r = c.get("/v1/works")
            assert r.status_code == 401 and r.json()["field"] == "authorization"
            assert c.get("/v1/works", headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert c.get("/v1/works", headers={"Authorization": "Bearer s3cret"}).status_code == 200
            page = c.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
            assert page.status_code == 303 and page.headers["location"] == "/login", "a browser is asked for the key"
            assert c.get("/", headers={"Accept": "application/json"}).status_code == 401
            wrong = c.post("/login", data={"key": "guess"}, follow_redirects=False)
            assert wrong.status_code == 401 and "not this studio" in wrong.text
            assert c.get("/", headers={"Accept": "application/json"}).status_code == 401, "a wrong key opens nothing"
            c.post("/login", data={"key": "s3cret"})
            assert c.get("/").status_code == 200, "the web login cookie opens the pages"
    finally:
        studio.close()


def test_no_key_serves_loopback_only(tmp_path):
    studio = Studio(Settings(data_dir=tmp_path / "d"))
    try:
        app = create_app(studio, start_workers=False)
        with TestClient(app, client=("127.0.0.1", 5000), base_url="http://127.0.0.1") as local:
            assert local.get("/v1/works").status_code == 200
        with TestClient(app, client=("192.168.1.20", 5000), base_url="http://127.0.0.1") as remote:
            r = remote.get("/v1/works")
            assert r.status_code == 403 and "MUSELAB_API_KEY" in r.json()["message"]
    finally:
        studio.close()


def test_serve_refuses_public_bind_without_key(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from muselab.cli import common
    from muselab.cli.main import app

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.delenv("MUSELAB_API_KEY", raising=False)
    monkeypatch.setattr(common, "_studio", None)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8799"])
    assert result.exit_code == 1 and "MUSELAB_API_KEY" in result.output
    common._studio.close()


def test_bad_input_gets_clear_errors(client):
    r = client.post("/v1/jobs", json={"task": "demo.text", "recipe": {"prompt": "x", "steps": 0}})
    assert r.status_code == 422 and r.json()["field"] == "recipe.steps"
    r = client.post("/v1/jobs", json={"task": "demo.text", "recipe": {"prompt": "x"}, "colour": 1})
    assert r.status_code == 422 and r.json()["field"] == "colour" and "unknown field" in r.json()["message"]
    r = client.post("/v1/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert client.get("/v1/works/0123456789abcdef").status_code == 404
    assert client.get("/v1/jobs/0123456789abcdef").json()["field"] == "job_id"
    assert client.get("/v1/works", params={"kind": "painting"}).json()["field"] == "kind"
    assert client.get("/v1/works", params={"limit": 10_000}).status_code == 422
    r = client.post("/v1/boards/a..b/works", json={"ids": ["0123456789abcdef"]})
    assert r.status_code == 422 and r.json()["field"] == "board"


def test_upload_content_tag_star_delete(client, sqlite_studio):
    r = client.post("/v1/works", files={"file": ("海报.png", io.BytesIO(_png()), "image/png")},
                    data={"title": "我的照片", "tags": "photo, 旅行"})
    assert r.status_code == 201, r.text
    work = r.json()
    assert work["kind"] == "image" and work["authorship"] == "human" and work["tags"] == ["photo", "旅行"]
    assert client.get(f"/v1/works/{work['id']}/content").content == _png()
    assert client.get(f"/v1/works/{work['id']}/thumbnail").headers["content-type"] == "image/png"
    assert client.post(f"/v1/works/{work['id']}/star", json={"starred": True}).json()["starred"] is True
    tags = client.post(f"/v1/works/{work['id']}/tags", json={"add": ["poster"], "remove": ["photo"]}).json()["tags"]
    assert tags == ["poster", "旅行"]
    assert client.patch(f"/v1/works/{work['id']}", json={"rating": 5}).json()["rating"] == 5
    assert client.get("/v1/works", params={"starred": True, "kind": "image"}).json()["total"] == 1
    assert client.delete(f"/v1/works/{work['id']}").status_code == 204
    assert client.get(f"/v1/works/{work['id']}").status_code == 404


def test_upload_refuses_bad_names_and_oversize(tmp_path):
    studio = Studio(Settings(data_dir=tmp_path / "d", max_upload_mb=1))
    try:
        with TestClient(create_app(studio, start_workers=False), base_url="http://127.0.0.1") as c:
            r = c.post("/v1/works", files={"file": ("../evil.txt", b"x", "text/plain")})
            assert r.status_code == 422 and r.json()["field"] == "filename"
            r = c.post("/v1/works", files={"file": ("big.bin", b"x" * (2 << 20), "application/octet-stream")})
            assert r.status_code == 413 and r.json()["field"] == "file"
            assert c.get("/v1/works").json()["total"] == 0, "nothing written"
    finally:
        studio.close()


def test_job_events_stream_as_sse(client, sqlite_studio):
    r = client.post("/v1/jobs", json={"task": "demo.text", "recipe": {"prompt": "流", "steps": 3, "step_seconds": 0.15}})
    job_id = r.json()["id"]
    events = []
    with client.stream("GET", f"/v1/jobs/{job_id}/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                events.append(line.split(":", 1)[1].strip())
            if line.startswith("data:") and events and events[-1] == "end":
                final = json.loads(line[5:])
                break
    assert events.count("progress") == 3 and "work" in events and events[-1] == "end"
    assert final["state"] == "succeeded" and final["progress"] == 1.0


def test_idempotency_header_and_restore_remix_over_http(client, sqlite_studio):
    body = {"task": "demo.text", "recipe": {"prompt": "x", "steps": 1, "step_seconds": 0}}
    first = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "abc"})
    again = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "abc"})
    assert first.status_code == 201 and again.status_code == 200 and first.json()["id"] == again.json()["id"]
    job = sqlite_studio.wait(first.json()["id"], timeout=30)
    restored = client.get(f"/v1/works/{job.work_ids[0]}/restore").json()
    remixed = client.get(f"/v1/works/{job.work_ids[0]}/remix").json()
    assert restored["recipe"]["seed"] == first.json()["recipe"]["seed"] != remixed["recipe"]["seed"]


def test_cancel_pause_resume_over_http(client, sqlite_studio):
    assert client.post("/v1/queue/pause").json() == {"paused": True}
    job = client.post("/v1/jobs", json={"task": "demo.text", "recipe": {"prompt": "x"}}).json()
    assert client.get("/v1/jobs", params={"state": "queued"}).json()["paused"] is True
    assert client.post(f"/v1/jobs/{job['id']}/cancel").json()["state"] == "cancelled"
    assert client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 409
    assert client.post("/v1/queue/resume").json() == {"paused": False}


def test_export_import_over_http(client, sqlite_studio, tmp_path):
    job = run_demo(client, sqlite_studio, prompt="出口 export")
    client.post("/v1/boards/best/works", json={"ids": job.work_ids})
    z = client.post("/v1/export", json={"board": "best"})
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    other = Studio(Settings(data_dir=tmp_path / "other"))
    try:
        with TestClient(create_app(other, start_workers=False), base_url="http://127.0.0.1") as c2:
            result = c2.post("/v1/import", files={"file": ("x.zip", z.content, "application/zip")}).json()
            assert result["added"] == job.work_ids
            assert c2.get("/v1/works/search", params={"q": "出口"}).json()["total"] == 1
            bad = c2.post("/v1/import", files={"file": ("x.zip", b"garbage", "application/zip")})
            assert bad.status_code == 422 and bad.json()["field"] == "file"
    finally:
        other.close()


def test_pages_render(client, sqlite_studio):
    job = run_demo(client, sqlite_studio, prompt="页面")
    for path in ("/", "/jobs", f"/works/{job.work_ids[0]}"):
        r = client.get(path)
        assert r.status_code == 200 and "Muselab" in r.text
    assert "页面" in client.get(f"/works/{job.work_ids[0]}").text


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()
