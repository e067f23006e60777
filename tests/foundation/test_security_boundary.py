"""The studio's boundary, attacked as a web page, an API caller or a recipe would (issue #9).

Each test performs the attack and expects a refusal (a 4xx naming the field) or no effect."""

from __future__ import annotations

import io
import os

import pytest
from fastapi.testclient import TestClient

from muselab.api.app import create_app
from muselab.config import Settings
from muselab.errors import InvalidInput
from muselab.studio import Studio

LOCAL = "http://127.0.0.1"


@pytest.fixture
def make_client(tmp_path):
    """A TestClient on a fresh SQLite studio built with the given settings."""
    made = []

    def make(base_url: str = LOCAL, start_workers: bool = False, **settings) -> TestClient:
        studio = Studio(Settings(data_dir=tmp_path / f"d{len(made)}", **settings))
        client = TestClient(create_app(studio, start_workers=start_workers), base_url=base_url)
        client.__enter__()
        made.append((client, studio))
        return client

    yield make
    for client, studio in made:
        client.__exit__(None, None, None)
        studio.close()


def studio_of(client: TestClient) -> Studio:
    return client.app.state.studio


# ---- 1. server files: only the owner's allowed folders ---------------------------------------------------
CORPUS = {"task": "training.corpus_import", "recipe": {"record": "line"}}


def submit_corpus(client, paths):
    return client.post("/v1/jobs", json={**CORPUS, "recipe": {**CORPUS["recipe"], "paths": paths}})


def test_api_recipes_cannot_read_server_files(make_client, tmp_path):
    client = make_client()
    for paths in (["/etc/passwd"], ["/no/such/file"], ["relative.txt"], [str(tmp_path)]):
        r = submit_corpus(client, paths)
        assert r.status_code == 422 and r.json()["field"] == "recipe.paths.0", r.text
        assert "MUSELAB_ALLOWED_DIRS" in r.json()["message"]
    # One answer whether or not the file exists: the error can't be used to probe the disk.
    assert submit_corpus(client, ["/etc/passwd"]).json()["message"] == submit_corpus(
        client, ["/etc/no-such-file"]).json()["message"]
    assert client.get("/v1/jobs").json()["total"] == 0, "nothing was queued"


def test_allowed_folders_open_only_what_is_inside_them(make_client, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "poems.txt").write_text("床前明月光\n疑是地上霜\n")
    (shared / "escape").symlink_to("/etc/passwd")
    client = make_client(allowed_dirs=[shared], start_workers=True)
    r = submit_corpus(client, [str(shared / "poems.txt")])
    assert r.status_code == 201, r.text
    job = studio_of(client).wait(r.json()["id"], timeout=60)
    assert job.state == "succeeded", job.error
    assert submit_corpus(client, [str(shared / "escape")]).status_code == 422, "a link may not lead out"
    assert submit_corpus(client, [str(shared / ".." / "x")]).status_code == 422


def test_every_server_path_field_is_guarded(make_client):
    client = make_client()
    attacks = [
        ("training.corpus_get", {"package_file": "/etc/passwd"}, "recipe.package_file"),
        ("image.paint", {"prompt": "x", "font_path": "/etc/passwd"}, "recipe.font_path"),
        ("image.train_gan", {"images_dir": "/etc"}, "recipe.images_dir"),
        ("image.diffuse", {"model_dir": "/", "prompt": "x"}, "recipe.model_dir"),
        ("music.song", {"soundfont": "/etc/passwd"}, "recipe.soundfont"),
        ("image.edit", {"image_work_id": "0123456789abcdef",
                        "ops": [{"op": "text", "text": "x", "font_path": "/etc/passwd"}]}, "recipe.ops.0.text.font_path"),
    ]
    for task, recipe, field in attacks:
        r = client.post("/v1/jobs", json={"task": task, "recipe": recipe})
        assert r.status_code == 422 and r.json()["field"] == field, (task, r.text)


def test_the_cli_may_name_local_files(tmp_path):
    studio = Studio(Settings(data_dir=tmp_path / "d"))
    try:
        corpus = tmp_path / "mine.txt"
        corpus.write_text("one line\n")
        job, _ = studio.submit("training.corpus_import", {"paths": [str(corpus)], "record": "line"}, local=True)
        assert job.recipe["paths"] == [str(corpus)]
        with pytest.raises(InvalidInput):
            studio.submit("training.corpus_import", {"paths": [str(corpus)], "record": "line"})
    finally:
        studio.close()


# ---- 3. another web page may not drive the studio ---------------------------------------------------------
def test_dns_rebinding_host_is_refused(make_client):
    client = make_client()
    r = client.get("/v1/works", headers={"Host": "evil.example"})
    assert r.status_code == 421 and r.json()["field"] == "host"
    assert client.get("/v1/works", headers={"Host": "evil.example:8000"}).status_code == 421
    for good in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "localhost"):
        assert client.get("/v1/works", headers={"Host": good}).status_code == 200, good


def test_allowed_hosts_setting(make_client):
    client = make_client(allowed_hosts=["studio.lan"])
    assert client.get("/v1/works", headers={"Host": "studio.lan:8000"}).status_code == 200
    assert client.get("/v1/works", headers={"Host": "other.lan"}).status_code == 421


def test_cross_site_forms_and_no_cors_posts_are_refused(make_client):
    client = make_client()
    evil = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}
    r = client.post("/v1/works", files={"file": ("x.txt", b"hello", "text/plain")}, headers=evil)
    assert r.status_code == 403 and r.json()["field"] == "origin"
    assert client.post("/v1/import", files={"file": ("x.zip", b"PK", "application/zip")},
                       headers=evil).status_code == 403
    assert client.post("/v1/jobs", content=b'{"task": "demo.text"}', headers={
        "Origin": "http://evil.example", "Content-Type": "text/plain"}).status_code == 403
    # Only Sec-Fetch-Site (an older page without Origin) or only Origin (an older browser) is enough.
    assert client.post("/v1/queue/pause", headers={"Sec-Fetch-Site": "same-site"}).status_code == 403
    assert client.post("/v1/queue/pause", headers={"Origin": "null"}).status_code == 403
    assert client.get("/v1/works").json()["total"] == 0 and not studio_of(client).queue.is_paused()
    # The studio's own pages, and tools that send no browser headers, go through.
    own = {"Origin": LOCAL, "Sec-Fetch-Site": "same-origin"}
    assert client.post("/v1/works", files={"file": ("x.txt", b"hello", "text/plain")},
                       headers=own).status_code == 201
    assert client.post("/v1/queue/pause").status_code == 200


def test_cross_site_subresource_gets_are_refused_but_links_work(make_client):
    client = make_client()
    r = client.get("/v1/training/presets", headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"})
    assert r.status_code == 403
    link = client.get("/", headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})
    assert link.status_code == 200


def test_json_endpoints_refuse_bodies_without_a_content_type(make_client):
    client = make_client()
    r = client.post("/v1/jobs", content=b'{"task": "demo.text", "recipe": {}}', headers={"Content-Type": ""})
    assert r.status_code == 415 and r.json()["field"] == "content-type"
    r = client.post("/v1/jobs", content=b'{"task": "demo.text", "recipe": {}}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 422
    assert client.get("/v1/jobs").json()["total"] == 0


# ---- 9. limits while reading -------------------------------------------------------------------------------
def test_upload_limit_holds_for_chunked_bodies(make_client):
    client = make_client(max_upload_mb=1)
    boundary = "b0undary"

    def body():  # a generator: sent chunked, with no Content-Length to check up front
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
               "Content-Type: application/octet-stream\r\n\r\n").encode()
        for _ in range(8):
            yield b"x" * (512 << 10)
        yield f"\r\n--{boundary}--\r\n".encode()

    r = client.post("/v1/works", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413 and r.json()["field"] == "file", r.text
    assert client.get("/v1/works").json()["total"] == 0
    blobs = studio_of(client).settings.blobs_dir
    assert not [p for p in blobs.rglob("*") if p.is_file()], "nothing left in the blob store"


def test_json_bodies_have_a_limit(make_client):
    client = make_client(max_request_mb=1)
    r = client.post("/v1/jobs", content=b'{"task": "' + b"x" * (2 << 20) + b'"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["field"] == "body"


def test_huge_pictures_are_refused_and_not_kept(make_client):
    from PIL import Image

    client = make_client(max_image_megapixels=1)
    buf = io.BytesIO()
    Image.new("L", (1200, 1000)).save(buf, format="PNG")  # 1.2 MP, a few KB compressed
    r = client.post("/v1/works", files={"file": ("wide.png", buf.getvalue(), "image/png")})
    assert r.status_code == 413 and "megapixels" in r.json()["message"] and r.json()["field"] == "file"
    assert client.get("/v1/works").json()["total"] == 0


def test_huge_offsets_are_a_clear_4xx(make_client):
    client = make_client()
    for path in ("/v1/jobs", "/v1/works"):
        r = client.get(path, params={"offset": "7.5e26"})
        assert r.status_code == 422 and r.json()["field"] == "offset", (path, r.text)
        assert client.get(path, params={"offset": 10**12}).status_code == 422


# ---- 8. cheap requests stay cheap; ceilings belong to the owner -------------------------------------------
def test_presets_are_timed_once_whatever_the_vocabulary(make_client, monkeypatch):
    from muselab.training import estimate

    calls = []
    monkeypatch.setattr(estimate, "_timed", {})
    monkeypatch.setattr(estimate, "seconds_per_step", lambda name, vocab: calls.append((name, vocab)) or 0.01)
    client = make_client()
    small = client.get("/v1/training/presets", params={"vocab_size": 100, "names": "tiny"}).json()["items"][0]
    big = client.get("/v1/training/presets", params={"vocab_size": 150_000, "names": "tiny"}).json()["items"][0]
    assert calls == [("tiny", estimate.REFERENCE_VOCAB)]
    assert big["seconds_per_step"] > 10 * small["seconds_per_step"], "a big vocabulary costs more, by FLOPs"


def test_recipes_cannot_raise_the_memory_ceiling(tmp_path):
    from muselab.engines import EngineError, Limits, LocalContext, run_task

    corpus = run_task("training.corpus_import", {"paths": [str(_corpus(tmp_path))], "record": "line", "seed": 1})[0]
    ctx = LocalContext(inputs={"c": corpus.path}, limits=Limits(max_train_memory_gb=0.001))
    with pytest.raises(EngineError, match="limit"):
        run_task("training.train_gpt", {"corpus_work_id": "c", "max_memory_gb": 1024, "max_steps": 1}, ctx)


def test_midi_inputs_are_bounded_by_notes(tmp_path):
    import pretty_midi

    from muselab.engines import EngineError, Limits, LocalContext, run_task

    pm = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    piano.notes = [pretty_midi.Note(80, 60 + i % 12, i * 0.01, i * 0.01 + 0.01) for i in range(3000)]
    pm.instruments.append(piano)
    path = tmp_path / "dense.mid"
    pm.write(str(path))
    ctx = LocalContext(inputs={"m": path}, limits=Limits(max_input_notes=1000))
    with pytest.raises(EngineError, match="more than 1,000 notes"):
        run_task("music.continue", {"primer_work_id": "m", "bars": 2}, ctx)


def test_the_note_scan_agrees_with_mido_on_real_files():
    from pathlib import Path

    import mido
    import music21

    from muselab.music.midi_io import count_note_ons

    files = sorted(Path(music21.__file__).parent.rglob("*.mid"))[:25]
    assert len(files) >= 10
    for path in files:
        expected = sum(1 for track in mido.MidiFile(path).tracks for m in track if m.type == "note_on" and m.velocity)
        assert count_note_ons(path.read_bytes(), 10**9) == expected, path.name


def _corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(f"line {i} of a tiny corpus" for i in range(200)))
    return path


# ---- 11. sign-in: a session, not the key; throttled; sign-out -----------------------------------------------
def test_login_cookie_is_a_session_not_the_key(make_client):
    client = make_client(api_key="s3cret-key")
    r = client.post("/login", data={"key": "s3cret-key"}, follow_redirects=False)
    assert r.status_code == 303
    cookie = client.cookies.get("muselab_session")
    assert cookie and "s3cret" not in cookie and "muselab_key" not in client.cookies
    assert client.get("/v1/works").status_code == 200
    assert 'action="/logout"' in client.get("/").text, "signed-in pages offer to sign out"
    assert client.post("/logout", follow_redirects=False).status_code == 303
    client.cookies.set("muselab_session", cookie)  # an old cookie replayed after signing out
    assert client.get("/v1/works").status_code == 401


def test_login_is_rate_limited(make_client):
    client = make_client(api_key="s3cret-key")
    codes = [client.post("/login", data={"key": f"guess{i}"}).status_code for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    r = client.post("/login", data={"key": "s3cret-key"}, follow_redirects=False)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, "even the right key waits its turn"


@pytest.mark.skipif(not os.path.exists("/etc/passwd"), reason="needs a file outside the studio to aim at")
def test_corpus_import_job_cannot_be_smuggled_in_by_restore(make_client):
    """A Work imported from elsewhere whose recipe names a server file restores, but cannot be submitted."""
    client = make_client()
    studio = studio_of(client)
    from muselab.library.store import NewWork

    work = studio.library.add(NewWork(kind="corpus", media_type="application/json", data=b"{}",
                                      task="training.corpus_import",
                                      recipe={"paths": ["/etc/passwd"], "record": "line", "seed": 1}))
    restored = client.get(f"/v1/works/{work.id}/restore").json()
    assert client.post("/v1/jobs", json=restored).status_code == 422


def test_api_docs_load_no_third_party_script(make_client):
    page = make_client().get("/docs").text
    assert "cdn." not in page and "/static-offline-docs/swagger-ui-bundle.js" in page
