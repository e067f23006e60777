"""Muselab's OpenAI-compatible routes, served for real on loopback and called with the official
`openai` client; then the remote backend pointed at that real server."""

import socket
import threading
import time

import pytest

from muselab.config import get_settings
from muselab.engines import EngineError, LocalContext, run_task
from muselab.models import Registry

openai = pytest.importorskip("openai")
pytest.importorskip("llama_cpp")
uvicorn = pytest.importorskip("uvicorn")

SMOL = "smollm2-135m-instruct"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A FastAPI app with only the OpenAI-compatible router (plus a broken route), served by uvicorn."""
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    from muselab.api.routers import openai_compat

    mp = pytest.MonkeyPatch()
    data = tmp_path_factory.mktemp("openai-data")
    mp.setenv("MUSELAB_DATA_DIR", str(data))
    get_settings.cache_clear()
    app = FastAPI()
    app.include_router(openai_compat.router)

    @app.post("/garbage/v1/chat/completions")
    def garbage():
        return PlainTextResponse("<html>proxy error</html>", status_code=200)

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}", data
    srv.should_exit = True
    thread.join(10)
    mp.undo()
    get_settings.cache_clear()


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=server[0] + "/v1", api_key="not-needed", max_retries=0, timeout=120)


def test_models_are_listed(client):
    ids = [m.id for m in client.models.list().data]
    assert SMOL in ids and "qwen2.5-coder-0.5b-instruct" in ids


def test_chat_completion_with_seed_and_n(client):
    kw = dict(model=SMOL, messages=[{"role": "user", "content": "Say something about tea."}], max_tokens=16,
              seed=5, n=2, temperature=0.9)
    a = client.chat.completions.create(**kw)
    b = client.chat.completions.create(**kw)
    assert len(a.choices) == 2 and a.choices[0].message.role == "assistant"
    assert [c.message.content for c in a.choices] == [c.message.content for c in b.choices]
    assert a.choices[0].message.content
    assert a.usage.completion_tokens > 0 and a.usage.prompt_tokens > 0
    assert a.choices[0].finish_reason in ("stop", "length")


def test_chat_streaming_and_logprobs(client):
    stream = client.chat.completions.create(model=SMOL, messages=[{"role": "user", "content": "Count to five."}],
                                            max_tokens=20, seed=1, stream=True, logprobs=True, top_logprobs=2)
    pieces, finish, lp_tokens = [], None, 0
    for chunk in stream:
        for ch in chunk.choices:
            if ch.delta.content:
                pieces.append(ch.delta.content)
            if ch.logprobs and ch.logprobs.content:
                lp_tokens += 1
                assert len(ch.logprobs.content[0].top_logprobs) == 2
            finish = ch.finish_reason or finish
    assert len(pieces) >= 3 and finish in ("stop", "length") and lp_tokens >= 3
    whole = client.chat.completions.create(model=SMOL, messages=[{"role": "user", "content": "Count to five."}],
                                           max_tokens=20, seed=1)
    assert "".join(pieces) == whole.choices[0].message.content  # streaming gives the same text


def test_text_completion_and_logprobs(client):
    r = client.completions.create(model=SMOL, prompt="The sky is", max_tokens=8, temperature=0, logprobs=3)
    c = r.choices[0]
    assert c.text and len(c.logprobs.tokens) == r.usage.completion_tokens
    assert all(len(t) <= 3 for t in c.logprobs.top_logprobs)
    chunks = list(client.completions.create(model=SMOL, prompt="The sky is", max_tokens=8, temperature=0, stream=True))
    assert "".join(ch.choices[0].text for ch in chunks if ch.choices) == c.text


def test_errors_are_openai_shaped(client):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    assert "unknown model" in str(e.value)
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model=SMOL, prompt="   ")


# ---- the remote backend, against the real server above ----

def _write(**fields):
    ctx = LocalContext()
    try:
        return run_task("text.generate", {"form": "free", "max_tokens": 16, **fields}, ctx), ctx
    finally:
        ctx.cleanup()


def test_remote_backend_generates_streams_and_repeats_with_a_seed(server):
    url, _ = server
    reg = Registry()
    if "loop" not in reg.names():
        reg.add_remote("loop", url + "/v1", SMOL, api_key="k")
    outs, ctx = _write(model="loop", prompt="Write a line about rain.", seed=9, n=2)
    again, _ = _write(model="loop", prompt="Write a line about rain.", seed=9, n=2)
    assert len(outs) == 2 and all(o.text for o in outs)
    assert [o.text for o in outs] == [o.text for o in again]
    assert outs[0].meta["backend"] == "openai-remote" and outs[0].model == "loop"
    streamed = [e[2] for e in ctx.events if e[2] and e[1].startswith("candidate")]
    assert {p["candidate"] for p in streamed} == {0, 1}
    assert "".join(p["token"] for p in streamed if p["candidate"] == 0) == outs[0].text


def test_remote_server_down_or_garbage_fails_cleanly(server):
    url, _ = server
    reg = Registry()
    for name, base in (("down", f"http://127.0.0.1:{_free_port()}/v1"), ("garbage", url + "/garbage/v1")):
        if name not in reg.names():
            reg.add_remote(name, base, SMOL)
    with pytest.raises(EngineError, match="not reachable"):
        _write(model="down", prompt="hi")
    with pytest.raises(EngineError, match="OpenAI-compatible"):
        _write(model="garbage", prompt="hi")
