"""The Compose page in a real browser (headless Chromium): compose, hear, see, keep."""

import shutil

import pytest


pytestmark = [pytest.mark.browser, pytest.mark.skipif(not shutil.which("chromium"), reason="needs /usr/bin/chromium")]


@pytest.fixture
def server(live_server):
    return live_server


def test_compose_page_makes_a_candidate_with_player_pianoroll_and_keep(server):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}/compose")
        # the form follows each task's recipe: its fields, defaults and choices
        assert page.input_value("#task") == "music.song" and page.input_value("input[name=bars]") == "16"
        page.select_option("#task", "music.continue")
        assert page.locator("select[name=generator] option").all_inner_texts() == ["markov", "neural"]
        assert page.input_value("select[name=generator]") == "neural" and page.is_visible("#midi-file")
        assert not page.is_visible("select[name=style]")  # continue's style is a corpus, not a song style
        page.select_option("#task", "music.melody")
        assert page.input_value("select[name=generator]") == "theory" and page.input_value("input[name=bars]") == "8"
        assert page.get_attribute("input[name=temperature]", "max") == "5"
        page.select_option("#task", "music.chords")
        page.select_option("select[name=mode]", "yu")
        page.fill("input[name=bars]", "2")
        page.fill("input[name=title]", "小试 test")
        page.fill("input[name=seed]", "5")
        page.click("#compose-button")
        page.wait_for_selector(".candidate", timeout=120_000)
        card = page.locator(".candidate").first
        assert "yu" in card.inner_text() and "小试 test" in card.inner_text()
        assert card.locator("audio").count() == 1
        assert card.locator("img").count() == 1
        assert card.locator("a", has_text="MIDI").count() == 1 and card.locator("a", has_text="MusicXML").count() == 1
        card.locator("[data-keep]").click()
        page.wait_for_selector(".candidate.kept", timeout=10_000)
        browser.close()
    assert not errors, errors
