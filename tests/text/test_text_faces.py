"""The writing studio's faces: HTTP API (/v1/write through the job system, the Write page), CLI, and a real
browser producing a streamed story on the Write page."""

import json
import shutil
import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from muselab.config import get_settings

pytest.importorskip("llama_cpp")

SMOL = "smollm2-135m-instruct"


@pytest.fixture
def studio_env(tmp_path, monkeypatch):
    """A studio whose data dir is also the one engines see through the environment."""
    from muselab.config import Settings
    from muselab.studio import Studio

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    s = Studio(Settings(data_dir=tmp_path / "data"))
    yield s
    s.close()
    get_settings.cache_clear()


def test_api_write_runs_a_job_and_keeps_candidates(studio_env):
    from muselab.api.app import create_app

    with TestClient(create_app(studio_env), base_url="http://127.0.0.1") as client:
        r = client.post("/v1/write", json={"form": "story", "prompt": "a fox who collects keys", "model": SMOL,
                                           "max_tokens": 12, "seed": 4, "n": 2, "length": "short"})
        assert r.status_code == 201, r.text
        job = studio_env.wait(r.json()["id"], timeout=120)
        assert job.state == "succeeded", job.error
        assert len(job.work_ids) == 2
        work = client.get(f"/v1/works/{job.work_ids[0]}").json()
        assert work["task"] == "text.generate" and work["text"] and work["model"] == SMOL
        assert work["recipe"]["seed"] == 4 and work["recipe"]["temperature"] == 0.9  # story default recorded
        events = studio_env.queue.events(job.id, after_seq=0)
        assert any((e.get("data") or {}).get("texts") for e in events)  # streamed snapshots of both candidates
        bad = client.post("/v1/write", json={"form": "story", "prompt": ""})
        assert bad.status_code == 422 and "prompt" in bad.json()["message"]
        assert {f["name"] for f in client.get("/v1/write/forms").json()["items"]} >= {"story", "classical_poem"}
        page = client.get("/write")
        assert page.status_code == 200 and 'id="form-picker"' in page.text and "七言律诗" in page.text
        assert 'name="n" value="1" min="1" max="8"' in page.text  # controls take the recipe's default and range
        assert SMOL in [m["id"] for m in client.get("/v1/models").json()["data"]]  # OpenAI routes in the app
        # an OpenAI-compatible call asked to be kept becomes a Work whose recipe is the request
        r = client.post("/v1/chat/completions", headers={"X-Muselab-Keep": "true"},
                        json={"model": SMOL, "messages": [{"role": "user", "content": "写一句诗"}], "max_tokens": 8})
        kept = r.json()["muselab_work_ids"]
        w = client.get(f"/v1/works/{kept[0]}").json()
        assert w["task"] == "openai.chat.completions" and w["text"] == r.json()["choices"][0]["message"]["content"]
        assert w["recipe"]["seed"] is not None and w["title"] == "写一句诗"
        plain = client.post("/v1/chat/completions", json={"model": SMOL, "max_tokens": 4,
                                                          "messages": [{"role": "user", "content": "hi"}]})
        assert "muselab_work_ids" not in plain.json()
        lore = client.post("/v1/write/lorebook/import",
                           files={"file": ("l.json", json.dumps([{"keys": ["长安"], "content": "都城"}]))})
        assert lore.json()["entries"][0]["keys"] == ["长安"]


def test_both_openai_routes_keep_calls_alike_streamed_or_not(studio_env):
    """One response builder serves /v1/chat/completions and /v1/completions; a kept call reaches the library
    through the writing studio (muselab.text.calls), whether it was streamed or not."""
    from muselab.api.app import create_app

    keep = {"X-Muselab-Keep": "true"}
    with TestClient(create_app(studio_env), base_url="http://127.0.0.1") as client:
        r = client.post("/v1/completions", headers=keep,
                        json={"model": SMOL, "prompt": "秋风\n起", "max_tokens": 6, "seed": 2, "n": 2})
        body = r.json()
        assert body["object"] == "text_completion" and len(body["choices"]) == 2
        works = [client.get(f"/v1/works/{i}").json() for i in body["muselab_work_ids"]]
        assert [w["text"] for w in works] == [c["text"] for c in body["choices"]]
        assert works[0]["task"] == "openai.completions" and works[0]["title"] == "秋风 (1/2)"
        assert works[0]["recipe"]["seed"] == 2 and works[0]["meta"]["api"] == "/v1/completions"
        events = []
        with client.stream("POST", "/v1/chat/completions", headers=keep,
                           json={"model": SMOL, "messages": [{"role": "user", "content": "Say hi"}],
                                 "max_tokens": 6, "seed": 3, "stream": True}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    events.append(json.loads(line[6:]))
        pieces = [e["choices"][0]["delta"] for e in events if e["choices"]]
        assert pieces[0]["role"] == "assistant" and all("role" not in d for d in pieces[1:])
        streamed = "".join(d.get("content", "") for d in pieces)
        final = events[-1]
        assert final["choices"] == [] and final["usage"]["completion_tokens"] > 0
        kept = client.get(f"/v1/works/{final['muselab_work_ids'][0]}").json()
        assert kept["text"] == streamed and kept["task"] == "openai.chat.completions"


def test_cli_write_and_models(tmp_path, monkeypatch, tiny_gguf):
    from muselab.cli import common
    from muselab.cli.main import app

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "cli-data"))
    get_settings.cache_clear()
    monkeypatch.setattr(common, "_studio", None)
    runner = CliRunner()
    try:
        texts = tmp_path / "texts"
        r = runner.invoke(app, ["write", "story", "a fox who collects keys", "--model", SMOL, "--max-tokens", "8",
                                "--seed", "3", "--json", "--out", str(texts)])
        assert r.exit_code == 0, r.output
        made = json.loads(r.stdout)  # stdout holds only the JSON, and --out still copies the text
        assert made["job"]["state"] == "succeeded" and made["works"][0]["text"]
        assert (texts / made["works"][0]["filename"]).read_text(encoding="utf-8") == made["works"][0]["text"]
        recipe = made["works"][0]["recipe"]  # what the CLI left out is the recipe's and the form's default
        assert recipe["temperature"] == 0.9 and recipe["n"] == 1 and recipe["language"] == "auto"
        assert recipe["poem_form"] == "五言绝句" and recipe["form_check"] == "regenerate" and recipe["genre"] == ""
        r = runner.invoke(app, ["write", "poem", "rain on a tin roof", "--model", SMOL, "--max-tokens", "8",
                                "--seed", "3", "--stream"])
        assert r.exit_code == 0, r.output
        streamed, _, saved_line = r.stdout.partition("✓")
        work_id = saved_line.split()[1]
        # the poem was printed as it was written, before the line naming the kept Work
        assert streamed.strip() and streamed.strip() == common._studio.library.get(work_id).text_content.strip()
        story = tmp_path / "draft.txt"
        story.write_text("The lighthouse had been dark for ten years, until one night", encoding="utf-8")
        r = runner.invoke(app, ["write", "continue", str(story), "--model", SMOL, "--max-tokens", "8", "--seed", "1",
                                "--json"])
        assert r.exit_code == 0, r.output
        cont = json.loads(r.stdout)["works"][0]
        assert len(cont["parents"]) == 1  # the uploaded draft is its parent
        r = runner.invoke(app, ["write", "rewrite", str(tmp_path / "missing.txt"), "--model", SMOL])
        said = " ".join(r.output.split())  # the terminal may wrap the message
        assert r.exit_code != 0 and "FILE: file" in said and "missing.txt' not found" in said
        r = runner.invoke(app, ["models", "ls", "--json"])
        assert SMOL in [m["name"] for m in json.loads(r.stdout)]
        r = runner.invoke(app, ["models", "add", str(tiny_gguf), "--name", "tiny", "--json"])
        assert r.exit_code == 0 and json.loads(r.stdout)["name"] == "tiny"
        r = runner.invoke(app, ["models", "verify", SMOL, "--json"])
        assert r.exit_code == 0 and json.loads(r.stdout)["ok"]
        r = runner.invoke(app, ["models", "rm", "tiny"])
        assert r.exit_code == 0
        r = runner.invoke(app, ["write", "forms", "--json"])
        assert "classical_poem" in [f["name"] for f in json.loads(r.stdout)]
    finally:
        if common._studio is not None:
            common._studio.close()
        get_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_browser_write_page_streams_a_story(studio_env):
    if not shutil.which("chromium") and not shutil.which("/usr/bin/chromium"):
        pytest.skip("headless Chromium not found at /usr/bin/chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    import uvicorn

    from muselab.api.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(studio_env), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/write")
            page.select_option("#form-picker", "story")
            page.fill("#prompt", "A robot learns to bake bread.")
            page.select_option("#model", SMOL)
            page.click("details.params summary")
            page.fill("#p-max_tokens", "40")
            page.fill("#p-seed", "8")
            # record every text the streaming card shows while the job runs
            page.evaluate("""() => { window.__seen = [];
                new MutationObserver(() => { const t = document.querySelector('.candidate-text.streaming');
                  if (t && t.textContent && window.__seen[window.__seen.length - 1] !== t.textContent)
                    window.__seen.push(t.textContent); })
                .observe(document.getElementById('candidates'),
                         {subtree: true, childList: true, characterData: true}); }""")
            page.click("#write-btn")
            page.wait_for_selector("[data-keep]", timeout=120000)  # finished: keep/discard buttons
            final = page.text_content(".candidate-text")
            seen = page.evaluate("window.__seen")
            assert final and len(seen) >= 2, seen  # the text arrived in several growing pieces
            assert all(len(a) <= len(b) for a, b in zip(seen, seen[1:], strict=False))
            assert final.startswith(seen[0][:10])
            assert "✓" in page.text_content("#status")
            page.click("[data-keep]")
            page.wait_for_selector(".candidate.kept", timeout=10000)
            work_id = page.get_attribute(".candidate", "data-work")
            assert studio_env.library.get(work_id).starred
            # the draft was autosaved in the browser
            page.reload()
            assert page.input_value("#prompt") == "A robot learns to bake bread."
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
