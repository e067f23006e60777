"""The web studio in a real browser: a real `muselab serve` process, headless Chromium, Playwright.

Path covered: Jobs page -> demo panel -> submit a job through the form -> its progress bar moves and ends at
100 % "succeeded" -> Library page shows the new Work's card -> Chinese search finds it -> its Work page.

Screenshots go to a tmp folder (or to $MUSELAB_SCREENSHOTS when set, to look at them afterwards).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
PROMPT = "秋风起 autumn wind over the river"
SEARCH_WORD = "秋风"  # a Chinese word (two characters) inside the prompt


def _need_browser():
    if not CHROMIUM.exists():
        pytest.skip(f"headless Chromium not found at {CHROMIUM} (install the Debian 'chromium' package)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        message = f"Chromium is at {CHROMIUM} but the playwright package is missing: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """`muselab serve` in a subprocess on a free loopback port with a fresh data dir; killed afterwards."""
    _need_browser()
    port = _free_port()
    env = {**os.environ, "MUSELAB_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO / "src"),
           "PYTHONUNBUFFERED": "1"}
    env.pop("MUSELAB_API_KEY", None)
    env.pop("MUSELAB_DATABASE_URL", None)
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "muselab.cli.main", "serve", "--port", str(port),
                                 "--log-level", "warning"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer /health within 30 s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: $MUSELAB_SCREENSHOTS (kept) or a tmp folder."""
    folder = Path(os.environ.get("MUSELAB_SCREENSHOTS") or tmp_path / "screenshots")
    if folder.exists() and os.environ.get("MUSELAB_SCREENSHOTS"):
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_demo_job_from_jobs_page_to_library_and_work_page(server, shots):
    from playwright.sync_api import expect, sync_playwright

    # A second Work that the Chinese search must leave out.
    other = httpx.post(f"{server}/v1/jobs", json={"task": "demo.text", "recipe": {
        "prompt": "spring rain 春雨", "steps": 1, "step_seconds": 0}}, timeout=10)
    assert other.status_code == 201, other.text

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            # /favicon.ico is not served (the shell has no icon): the browser's own 404 for it is not a page error.
            page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text} ({msg.location.get('url')})")
                    if msg.type == "error" and not (msg.location.get("url") or "").endswith("/favicon.ico") else None)
            page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.request.method} {r.url}")
                    if r.status >= 400 else None)

            # ---- Jobs page: open the demo panel, submit through the form ------------------------
            page.goto(f"{server}/jobs")
            expect(page.locator("h1")).to_contain_text("Jobs")
            page.locator("#demo-panel summary").click()
            form = page.locator("#demo-form")
            expect(form).to_be_visible()
            form.locator("input[name=prompt]").fill(PROMPT)
            form.locator("input[name=steps]").fill("6")
            form.locator("input[name=step_seconds]").fill("0.3")
            page.screenshot(path=str(shots / "1-jobs-demo-panel.png"), full_page=True)
            with page.expect_response(lambda r: r.url.endswith("/v1/jobs") and r.request.method == "POST") as resp:
                form.locator("button[type=submit]").click()
            job = resp.value.json()
            assert resp.value.status == 201 and job["task"] == "demo.text", job
            row = page.locator(f"#job-{job['id']}")
            expect(row).to_have_count(1)

            # ---- watch the bar: intermediate values, then 100 % and succeeded --------------------
            seen: list[int] = []
            mid_shot = False
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                snap = row.evaluate("""r => ({state: r.dataset.state, shown: r.querySelector('.state').textContent,
                                             pct: r.querySelector('.pct').textContent,
                                             width: r.querySelector('.bar span').style.width})""")
                state, shown, pct = snap["state"], snap["shown"], int(snap["pct"].rstrip("%"))
                assert snap["width"] == f"{pct}%", snap  # the bar and its label agree (one DOM snapshot)
                if not seen or seen[-1] != pct:
                    seen.append(pct)
                if 0 < pct < 100 and not mid_shot:
                    page.screenshot(path=str(shots / "2-jobs-progress.png"), full_page=True)
                    mid_shot = True
                if state == "succeeded" and shown == "succeeded" and pct == 100:
                    break
                time.sleep(0.05)
            else:
                pytest.fail(f"job {job['id']} did not end succeeded at 100 % in time; percentages seen: {seen}")
            assert any(0 < p < 100 for p in seen), f"no intermediate progress seen, only {seen}"
            assert seen == sorted(seen), f"progress went backwards: {seen}"
            expect(row.locator(".bar")).to_have_class(re.compile(r"\bsucceeded\b"))
            work_links = row.locator(".msg a")
            expect(work_links).to_have_count(1)  # the row links to the Work it made
            page.screenshot(path=str(shots / "3-jobs-succeeded.png"), full_page=True)

            finished = httpx.get(f"{server}/v1/jobs/{job['id']}", timeout=10).json()
            assert finished["state"] == "succeeded" and len(finished["work_ids"]) == 1, finished
            work_id = finished["work_ids"][0]

            # ---- Library page: the new card, then the Chinese search -----------------------------
            page.goto(f"{server}/")
            card = page.locator(f".card[data-id='{work_id}']")
            expect(card).to_be_visible()
            expect(card.locator(".title")).to_have_text(PROMPT)
            expect(card.locator(".snippet")).to_contain_text(SEARCH_WORD)
            expect(page.locator("#works-count")).to_have_text("2 works")
            page.screenshot(path=str(shots / "4-library.png"), full_page=True)

            with page.expect_response(lambda r: "/v1/works?" in r.url and "q=" in r.url) as found:
                page.locator("#search").fill(SEARCH_WORD)
            assert found.value.json()["total"] == 1
            expect(page.locator("#works-count")).to_have_text("1 work")
            expect(page.locator(".card")).to_have_count(1)
            expect(card).to_be_visible()
            page.screenshot(path=str(shots / "5-library-search.png"), full_page=True)

            # ---- the Work page --------------------------------------------------------------------
            card.locator("a.title").click()
            page.wait_for_url(f"**/works/{work_id}")
            expect(page.locator(".work-meta h1")).to_have_text(PROMPT)
            expect(page.locator(".work-text")).to_contain_text(SEARCH_WORD)
            expect(page.locator(".work-meta dl")).to_contain_text("demo.text")
            recipe = page.locator("pre.recipe").first
            expect(recipe).to_contain_text('"steps": 6')
            expect(recipe).to_contain_text(f'"prompt": "{PROMPT}"')  # its own characters, not \\u79cb escapes
            page.screenshot(path=str(shots / "6-work.png"), full_page=True)

            assert not errors, errors
        finally:
            browser.close()


# Strings that would run script or break out of markup if a page put them in HTML unescaped. None has a '/',
# so the library takes them as titles, tags and board names; the ids go in directly, as an import before the
# manifest was checked could have put them there (pages must still show such Works safely).
HOSTILE_TITLE = """<img src=x onerror="window.__pwned='title'">Hostile 标题 "quoted" </div>"""
HOSTILE_TAGS = ["<img src=x onerror=window.__pwned='tag'>", '" onmouseover="window.__pwned=1', "' autofocus onfocus='x"]
HOSTILE_TEXT = "</div><img src=x onerror=window.__pwned='snippet'> 秋风"
HOSTILE_IDS = ['"><svg onload=window.__pwned=1>', "javascript:alert(1)"]
HOSTILE_BOARD = "<b onclick=window.__pwned=1>board"
CSP_PROBE = """document.addEventListener('securitypolicyviolation',
  e => (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile));"""


def _hostile_library(data_dir: Path) -> list[str]:
    """Works with hostile titles, tags, text, model, board and ids, written straight into the server's library."""
    from muselab.config import Settings
    from muselab.library.store import NewWork
    from muselab.studio import Studio

    studio = Studio(Settings(data_dir=data_dir))
    try:
        lib = studio.library
        ids = [lib.add(NewWork(id=wid, kind="text", media_type="text/plain", data=HOSTILE_TEXT.encode(),
                               title=HOSTILE_TITLE, tags=HOSTILE_TAGS, model=HOSTILE_TITLE, task="demo.text",
                               recipe={"prompt": HOSTILE_TEXT})).id for wid in HOSTILE_IDS]
        ids.append(lib.add(NewWork(kind="text", media_type="text/plain", data=HOSTILE_TEXT.encode(),
                                   title=HOSTILE_TITLE, tags=HOSTILE_TAGS,
                                   status="partial")).id)
        lib.add_to_board(HOSTILE_BOARD, ids)
        return ids
    finally:
        studio.close()


def test_every_page_runs_under_the_csp_and_shows_hostile_library_text_as_text(server, shots, tmp_path):
    """Each page in headless Chromium with a library full of markup: no console error, no CSP violation,
    no script from the library run, and the Library shows the hostile title as plain text."""
    from playwright.sync_api import expect, sync_playwright

    ids = _hostile_library(tmp_path / "data")
    job = httpx.post(f"{server}/v1/jobs", json={"task": "demo.text", "recipe": {
        "prompt": HOSTILE_TEXT, "steps": 1, "step_seconds": 0}}, timeout=10)
    assert job.status_code == 201, job.text

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            page.add_init_script(CSP_PROBE)
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
                    if msg.type in ("error", "warning") else None)
            page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)

            page.goto(f"{server}/")
            csp = page.evaluate("() => fetch('/').then(r => r.headers.get('content-security-policy'))")
            assert "script-src 'self';" in csp
            nav = page.eval_on_selector_all(".nav a", "links => links.map(a => a.getAttribute('href'))")
            assert {"/", "/jobs"} <= set(nav)
            card = page.locator(".card").filter(has=page.locator(f".title[href='/works/{ids[-1]}']"))
            expect(card.locator(".title")).to_have_text(HOSTILE_TITLE)
            expect(card.locator(".tag")).to_have_count(len(HOSTILE_TAGS))
            expect(page.locator("#works-count")).to_have_text(f"{len(ids) + 1} works")
            page.screenshot(path=str(shots / "hostile-library.png"), full_page=True)
            page.locator("[data-view=list]").click()
            page.screenshot(path=str(shots / "hostile-library-list.png"), full_page=True)

            work_pages = [f"/works/{quote(wid, safe='')}" for wid in ids]
            for path in [*nav, "/jobs", *work_pages]:
                page.goto(f"{server}{path}")
                page.wait_for_load_state("networkidle")
                state = page.evaluate("() => ({pwned: window.__pwned || null, csp: window.__csp || []})")
                assert state == {"pwned": None, "csp": []}, (path, state)
                assert not problems, (path, problems)
                if path.startswith("/works/"):
                    expect(page.locator(".work-meta h1")).to_have_text(HOSTILE_TITLE)
            page.screenshot(path=str(shots / "hostile-work.png"), full_page=True)
        finally:
            browser.close()
