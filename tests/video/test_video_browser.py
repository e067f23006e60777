"""The Video page in a real browser (headless Chromium): import a video, find its scenes, leave one out, move
another to the front, render the chosen ones, and play the result."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from muselab.video.ffmpeg import probe
from muselab.video.synth import Shot, make_video

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not shutil.which("chromium"), reason="needs /usr/bin/chromium")]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_import_find_scenes_reorder_and_render(live_server, sqlite_studio, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    clip = tmp_path / "four shots.mp4"
    make_video(clip, [Shot(2.0, 0), Shot(2.0, 1), Shot(2.0, 2), Shot(2.0, 3)], width=320, height=180)
    shots = Path(os.environ.get("MUSELAB_SCREENSHOTS") or tmp_path)

    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

        page.goto(f"{live_server}/video")
        assert page.locator("nav a[href='/video']").count() == 1, "the page is in the navigation"
        page.set_input_files("#video-file", str(clip))
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("#player:not([hidden])")
        assert "320×180" in page.inner_text("#source-info")

        page.click("#scenes-form button[type=submit]")
        playwright.expect(page.locator("#strip .scene img")).to_have_count(4)
        page.screenshot(path=str(shots / "video-scenes.png"), full_page=True)

        page.locator("#strip [data-toggle='1']").uncheck()  # leave the second scene out
        page.locator("#strip .scene").nth(3).drag_to(page.locator("#strip .scene").nth(0))  # the last one first
        order = page.eval_on_selector_all("#strip .scene label", "nodes => nodes.map(n => n.textContent)")
        assert order[0].startswith("6.0"), order

        page.select_option("#render-form select[name=transition]", "cut")
        page.click("#render-form button[type=submit]")
        result = page.locator("#results video")
        result.wait_for()
        for _ in range(100):  # the browser has read the rendered file's header (it plays)
            if result.evaluate("v => v.readyState") >= 1:
                break
            page.wait_for_timeout(100)
        assert result.evaluate("v => v.duration") == pytest.approx(6.0, abs=0.2)
        page.screenshot(path=str(shots / "video-rendered.png"), full_page=True)
        browser.close()

    assert errors == []
    rendered = [w for w in sqlite_studio.library.list()[0] if w.task == "video.assemble"]
    assert len(rendered) == 1
    info = probe(sqlite_studio.library.content_path(rendered[0]))
    assert abs(info.duration - 6.0) < 0.2, "three of the four 2 s scenes"
    assert [s["start"] for s in rendered[0].recipe["shots"]][0] == pytest.approx(6.0, abs=0.05)
