import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cutting_samples import FAST, FPS, SOURCE_ID, LibraryContext, make_cut_clip, make_talk_clip, video_frames  # noqa: E402

from muselab.engines import Cancelled  # noqa: E402
from muselab.video.analysis import Stretch  # noqa: E402
from muselab.video.autocut import SHORT, plan_cut, run  # noqa: E402
from muselab.video.recipe import AutoCutRecipe  # noqa: E402

FRAME = 1 / FPS


@pytest.fixture(scope="module")
def cut_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("autocut") / "clip.mp4"
    return path, make_cut_clip(path)


def _context(path, tmp_path, **kwargs):
    return LibraryContext({SOURCE_ID: {"path": path, "title": "clip.mp4"}}, workdir=tmp_path / "work", **kwargs)


def test_autocut_removes_black_frozen_and_silent_stretches(cut_clip, tmp_path):
    path, truth = cut_clip
    padding = 0.15
    recipe = AutoCutRecipe(video_work_id=SOURCE_ID, padding_seconds=padding, **FAST)
    ctx = _context(path, tmp_path)
    [out] = run(recipe, ctx)

    assert out.kind == "video" and out.media_type == "video/mp4" and out.parents == [SOURCE_ID]
    removed = out.meta["removed"]
    expected = [(*truth["black"], ["black"]), (*truth["frozen"], ["frozen"]),
                (truth["silence"][0] + padding, truth["silence"][1] - padding, ["silence"])]
    assert len(removed) == len(expected)
    for got, (start, end, reasons) in zip(removed, expected, strict=True):
        assert got["reasons"] == reasons
        assert abs(got["start"] - start) <= FRAME + 1e-6 and abs(got["end"] - end) <= FRAME + 1e-6, (got, start, end)

    cut_seconds = sum(end - start for start, end, _ in expected)
    true_length = truth["duration"] - cut_seconds
    frames = video_frames(out.path)
    assert abs(frames / FPS - true_length) <= len(expected) * FRAME + 1e-6, (frames, true_length)
    timeline = out.meta["timeline"]
    assert timeline["source"] == SOURCE_ID and timeline["fps"] == FPS and timeline["crossfade"] == 0
    assert abs(sum(b - a for a, b in timeline["segments"]) - frames / FPS) <= 1e-6
    assert [e[0] for e in ctx.events][-1] == 1.0 and all(0 <= e[0] <= 1 for e in ctx.events)


def test_autocut_keeps_what_it_is_told_to_keep(cut_clip, tmp_path):
    path, truth = cut_clip
    recipe = AutoCutRecipe(video_work_id=SOURCE_ID, remove_black=False, remove_silence=False, **FAST)
    [out] = run(recipe, _context(path, tmp_path))
    assert [r["reasons"] for r in out.meta["removed"]] == [["frozen"]]
    assert {s["reason"] for s in out.meta["found"]} == {"frozen"}


def test_plan_cut_pads_silence_drops_short_pieces_and_names_reasons():
    stretches = [Stretch(0.0, 1.0, "silence"), Stretch(3.0, 4.0, "black"), Stretch(3.5, 5.0, "silence"),
                 Stretch(5.2, 6.0, "frozen"), Stretch(9.0, 10.0, "silence")]
    kept, removed = plan_cut(stretches, duration=10.0, fps=25, padding=0.2, min_keep=0.5)
    # No padding at the ends of the video; padding where sound continues; 4.8-5.2 is too short to keep.
    assert [(s.start, s.end) for s in kept] == [(0.8, 3.0), (6.0, 9.2)]
    assert [(r.start, r.end, r.reasons) for r in removed] == [(0.0, 0.8, ["silence"]),
                                                              (3.0, 6.0, ["black", "frozen", "silence", SHORT]),
                                                              (9.2, 10.0, ["silence"])]
    assert all(abs(x * 25 - round(x * 25)) < 1e-9 for s in kept for x in (s.start, s.end))


def test_jump_cut_cuts_every_pause_under_a_hum(tmp_path):
    path = tmp_path / "talk.mp4"
    truth = make_talk_clip(path)
    ctx = _context(path, tmp_path)
    # Judged on the full band, the hum fills every pause: a plain silence cut finds nothing.
    plain = AutoCutRecipe(video_work_id=SOURCE_ID, remove_black=False, remove_frozen=False, silence_min_seconds=0.5,
                          **FAST)
    assert run(plain, ctx)[0].meta["removed"] == []
    talk = plain.model_copy(update={"jump_cut": True, "padding_seconds": 0.1})
    [out] = run(talk, _context(path, tmp_path))
    removed = [(r["start"], r["end"]) for r in out.meta["removed"]]
    expected = [(a + 0.1, b - 0.1 if b < truth["duration"] else b) for a, b in truth["pauses"]]
    assert len(removed) == len(expected), removed
    for (start, end), (true_start, true_end) in zip(removed, expected, strict=True):
        assert abs(start - true_start) <= 2 * FRAME and abs(end - true_end) <= FRAME + 1e-6, (start, true_start)
    assert out.meta["mode"] == "jump_cut"


def test_autocut_stops_when_cancelled(cut_clip, tmp_path):
    path, _ = cut_clip
    ctx = _context(path, tmp_path)
    threading.Timer(0.3, ctx.cancel_event.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        run(AutoCutRecipe(video_work_id=SOURCE_ID, encoding={"preset": "medium", "crf": 18}), ctx)
    assert time.monotonic() - started < 5
