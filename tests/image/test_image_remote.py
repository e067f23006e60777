"""The remote backend against a real HTTP server on 127.0.0.1 speaking the A1111 and OpenAI-images shapes."""

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from muselab.engines import EngineError, LocalContext, run_task
from muselab.image.pnginfo import read_info


def _png(width, height, seed):
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


class ImageServer(BaseHTTPRequestHandler):
    requests: list = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ImageServer.requests.append((self.path, body, self.headers.get("Authorization")))
        if self.path in ("/sdapi/v1/txt2img", "/sdapi/v1/img2img"):
            n, seed = body["batch_size"], body["seed"]
            out = {
                "images": [_png(body["width"], body["height"], seed + i) for i in range(n)],
                "info": json.dumps({"all_seeds": [seed + i for i in range(n)], "sd_model_name": "test-model"}),
            }
        elif self.path == "/v1/images/generations":
            w, h = map(int, body["size"].split("x"))
            out = {"data": [{"b64_json": _png(w, h, i)} for i in range(body["n"])]}
        else:
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"not found")
            return
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ImageServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def servers(tmp_path, monkeypatch, server):
    """A private data dir whose registry knows the test server under three names."""
    from muselab.config import get_settings
    from muselab.models.registry import Registry

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    registry = Registry()
    registry.add_image_server("forge", server + "/", api="a1111")
    registry.add_image_server("images", server, api="openai", api_key_env="MY_IMAGES_KEY")
    registry.add_image_server("wrong-path", server + "/wrong", api="a1111")
    registry.add_image_server("nobody", "http://127.0.0.1:9", api="a1111")
    registry.add_image_server("keyless", server, api="a1111", api_key_env="NOPE_KEY")
    yield registry
    get_settings.cache_clear()


def test_a1111_txt2img_and_img2img(servers, photo):
    ImageServer.requests.clear()
    ctx = LocalContext(inputs={"p": photo})
    outs = run_task(
        "image.remote",
        {
            "server": "forge",
            "prompt": "江南 water town",
            "negative_prompt": "blurry",
            "width": 96,
            "height": 64,
            "n": 2,
            "steps": 12,
            "seed": 40,
        },
        ctx,
    )
    path, body, _ = ImageServer.requests[-1]
    assert path == "/sdapi/v1/txt2img"
    assert (body["prompt"], body["negative_prompt"], body["steps"], body["seed"], body["batch_size"]) == (
        "江南 water town",
        "blurry",
        12,
        40,
        2,
    )
    assert [o.meta["seed"] for o in outs] == [40, 41] and outs[0].model == "test-model"
    assert Image.open(io.BytesIO(outs[0].read_bytes())).size == (96, 64)
    info = read_info(outs[1].read_bytes())
    assert info["task"] == "image.remote" and info["recipe"]["seed"] == 41 and info["parsed"]["Model"] == "test-model"

    run_task(
        "image.remote",
        {"server": "forge", "prompt": "x", "init_work_id": "p", "strength": 0.4, "width": 64, "height": 64, "seed": 1},
        ctx,
    )
    path, body, _ = ImageServer.requests[-1]
    assert path == "/sdapi/v1/img2img" and body["denoising_strength"] == 0.4
    sent = Image.open(io.BytesIO(base64.b64decode(body["init_images"][0])))
    assert sent.size == Image.open(photo).size


def test_openai_images_with_key_from_environment(servers, monkeypatch):
    ImageServer.requests.clear()
    monkeypatch.setenv("MY_IMAGES_KEY", "sk-test")
    outs = run_task(
        "image.remote",
        {"server": "images", "prompt": "a poster", "model": "img-1", "width": 80, "height": 80, "n": 3, "seed": 1},
        LocalContext(),
    )
    path, body, auth = ImageServer.requests[-1]
    assert path == "/v1/images/generations" and body["size"] == "80x80" and body["model"] == "img-1"
    assert auth == "Bearer sk-test"
    assert len(outs) == 3 and "sk-test" not in json.dumps(read_info(outs[0].read_bytes()))


def test_server_errors_are_clear_and_do_not_echo_the_body(servers, monkeypatch):
    monkeypatch.delenv("NOPE_KEY", raising=False)
    with pytest.raises(EngineError, match="NOPE_KEY"):
        run_task("image.remote", {"server": "keyless", "prompt": "x"}, LocalContext())
    with pytest.raises(EngineError, match="answered HTTP 404") as err:
        run_task("image.remote", {"server": "wrong-path", "prompt": "x"}, LocalContext())
    assert "not found" not in str(err.value)  # the server's body is logged, not passed back to the caller
    with pytest.raises(EngineError, match="could not reach"):
        run_task("image.remote", {"server": "nobody", "prompt": "x", "timeout": 2}, LocalContext())
    with pytest.raises(EngineError, match="unknown image server 'elsewhere'"):
        run_task("image.remote", {"server": "elsewhere", "prompt": "x"}, LocalContext())


def test_recipes_cannot_name_a_url_or_an_environment_variable():
    """The attack: a recipe pointing the studio at any host with any env variable as its Bearer token."""
    from pydantic import ValidationError

    from muselab.image.recipe import RemoteRecipe

    for bad in ({"url": "http://evil.example"}, {"api_key_env": "MUSELAB_API_KEY"}):
        with pytest.raises(ValidationError, match="Extra inputs"):
            RemoteRecipe.model_validate({"server": "forge", "prompt": "x", **bad})
    with pytest.raises(ValidationError, match="server"):
        RemoteRecipe.model_validate({"server": "http://evil.example", "prompt": "x"})


def test_registering_checks_url_api_and_key_name(tmp_path):
    from muselab.models.registry import ModelError, Registry

    registry = Registry(tmp_path)
    for args, kw in ((("a", "ftp://x"), {}), (("a", "http://x"), {"api": "comfy"}),
                     (("a", "http://x"), {"api_key_env": "lower-case"})):
        with pytest.raises(ModelError):
            registry.add_image_server(*args, **kw)
    registry.add_image_server("sd", "http://127.0.0.1:7860")
    assert [s.name for s in registry.image_servers()] == ["sd"]
    assert "sd" not in registry.names()  # not a language model
