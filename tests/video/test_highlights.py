import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cutting_samples import FAST, FPS, SOURCE_ID, LibraryContext, make_mixed_clip, video_frames  # noqa: E402

from muselab.engines import Cancelled, EngineError  # noqa: E402
from muselab.video.highlights import SUMMARY, Candidate, Signals, choose, run, score, split_long  # noqa: E402
from muselab.video.recipe import HighlightsRecipe  # noqa: E402
from muselab.video.timeline import Segment, rendered_length  # noqa: E402

FRAME = 1 / FPS


@pytest.fixture(scope="module")
def mixed_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("highlights") / "mixed.mp4"
    return path, make_mixed_clip(path)


def _run(path, tmp_path, **recipe):
    ctx = LibraryContext({SOURCE_ID: {"path": path, "title": "mixed.mp4"}}, workdir=tmp_path / "work")
    [out] = run(HighlightsRecipe(video_work_id=SOURCE_ID, **FAST, **recipe), ctx)
    return out, ctx


def _shot_of(piece, shots):
    """The shot (start, end, lively) holding the whole piece, allowing a frame of slack at each end."""
    for start, end, lively in shots:
        if piece[0] >= start - FRAME - 1e-6 and piece[1] <= end + FRAME + 1e-6:
            return start, end, lively
    raise AssertionError(f"piece {piece} spans more than one shot")


def test_highlights_choose_the_moving_loud_scenes_in_order(mixed_clip, tmp_path):
    path, truth = mixed_clip
    out, ctx = _run(path, tmp_path, target_seconds=8, crossfade_seconds=0.5)
    pieces = out.meta["timeline"]["segments"]
    assert out.meta["timeline"]["crossfade"] == 0.5 and out.parents == [SOURCE_ID]
    assert all(a[1] <= b[0] for a, b in zip(pieces, pieces[1:], strict=False)), pieces  # in order, no overlap
    assert all(_shot_of(p, truth["shots"])[2] for p in pieces), pieces  # only moving, loud shots
    seconds = video_frames(out.path) / FPS
    assert abs(seconds - 8) <= 0.5, seconds
    assert abs(rendered_length([Segment(*p) for p in pieces], 0.5) - seconds) <= 2 * FRAME
    chosen = [s for s in out.meta["scenes"] if s["chosen"]]
    assert len(chosen) == len(pieces) and min(s["score"] for s in chosen) > max(
        s["score"] for s in out.meta["scenes"] if not s["chosen"] and not _shot_of((s["start"], s["end"]),
                                                                                    truth["shots"])[2])
    assert ctx.events[-1][0] == 1.0


def test_trailer_uses_short_shots_and_ends_on_the_strongest(mixed_clip, tmp_path):
    path, truth = mixed_clip
    out, _ = _run(path, tmp_path, target_seconds=6, mode="trailer", crossfade_seconds=0.3)
    pieces = out.meta["timeline"]["segments"]
    assert all(b - a <= 2.5 + FRAME for a, b in pieces), pieces
    assert all(_shot_of(p, truth["shots"])[2] for p in pieces), pieces
    chosen = {tuple(s["piece"]): s["score"] for s in out.meta["scenes"] if s["chosen"]}
    strongest = max(chosen, key=chosen.get)
    assert abs(pieces[-1][0] - strongest[0]) <= FRAME and pieces[-1][0] < pieces[-2][0]  # moved to the end
    assert pieces[:-1] == sorted(pieces[:-1])
    assert abs(video_frames(out.path) / FPS - 6) <= 0.5


def test_highlights_refuse_a_target_as_long_as_the_video(mixed_clip, tmp_path):
    path, _ = mixed_clip
    with pytest.raises(EngineError, match="target_seconds"):
        _run(path, tmp_path, target_seconds=30)


def test_a_long_take_gives_several_pieces_and_the_length_is_met():
    # One 60 s take whose second half is busy: split in parts, the busy ones win, the render lasts the target.
    scenes = split_long([Segment(0, 60)], max_shot=8)
    assert [(s.start, s.end) for s in scenes] == [(0, 20), (20, 40), (40, 60)]
    times = np.arange(300) / 5
    signals = Signals(times, np.where(times >= 30, 0.05, 0.001), np.where(times >= 30, -20.0, -50.0),
                      np.tile(np.eye(128)[0], (300, 1)))
    candidates = [Candidate(s.start, s.end) for s in scenes]
    score(candidates, signals, 60, SUMMARY)
    ordered = choose(candidates, signals, target=14, max_shot=8, min_piece=1.5, crossfade=0.5, weights=SUMMARY,
                     trailer=False)
    pieces = [c.piece for c in ordered]
    assert abs(rendered_length(pieces, 0.5) - 14) < 1e-6
    assert all(p.start >= 30 for p in pieces), pieces  # the busy half
    assert all(p.duration <= 8 + 1e-9 for p in pieces)


def test_highlights_stop_when_cancelled(mixed_clip, tmp_path):
    path, _ = mixed_clip
    ctx = LibraryContext({SOURCE_ID: {"path": path, "title": "mixed.mp4"}}, workdir=tmp_path / "work")
    threading.Timer(0.5, ctx.cancel_event.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        run(HighlightsRecipe(video_work_id=SOURCE_ID, target_seconds=8), ctx)
    assert time.monotonic() - started < 5
    assert not (tmp_path / "work" / "highlights.mp4").exists()
