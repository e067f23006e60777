import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cutting_samples import (  # noqa: E402
    FAST,
    SOURCE_ID,
    LibraryContext,
    bright_columns,
    frame_at,
    frames_every,
    make_moving_box,
    make_still_subject,
    make_two_shots_box,
)

from muselab.engines import Cancelled  # noqa: E402
from muselab.video.ffmpeg import probe  # noqa: E402
from muselab.video.recipe import ReframeRecipe  # noqa: E402
from muselab.video.reframe import crop_box, crop_commands, keyframes, run, smooth  # noqa: E402


def _reframe(path, tmp_path, **recipe):
    ctx = LibraryContext({SOURCE_ID: {"path": path, "title": path.name}}, workdir=tmp_path / "work")
    [out] = run(ReframeRecipe(video_work_id=SOURCE_ID, **FAST, **recipe), ctx)
    return out, ctx


def _inside(span, left, width):
    return span[0] >= left and span[1] <= left + width


def test_reframe_follows_a_moving_subject_that_a_centre_crop_loses(tmp_path):
    path = tmp_path / "box.mp4"
    box = make_moving_box(path)
    out, ctx = _reframe(path, tmp_path, aspect="9:16")
    info = probe(out.path)
    assert (info.width, info.height) == (202, 360) and out.meta["size"] == [202, 360]
    assert info.has_audio and abs(info.duration - 6) < 0.1
    kept, centre_kept = 0, 0
    frames = frames_every(out.path, 0.5)
    assert len(frames) == 12
    for t, frame in frames:
        span = bright_columns(frame)
        kept += span is not None and span[0] > 0 and span[1] < 201 and span[1] - span[0] >= 36  # whole box
        x = box["x"](t)
        centre_kept += _inside((x, x + box["size"]), (640 - 202) // 2, 202)
    assert kept == len(frames), kept
    assert centre_kept <= len(frames) // 2  # a fixed centre crop loses the box most of the time
    assert out.meta["subject_found_by"]["motion"] > 0.9
    assert ctx.events[-1][0] == 1.0


def test_reframe_jumps_with_a_cut_instead_of_panning_across_it(tmp_path):
    path = tmp_path / "two.mp4"
    truth = make_two_shots_box(path)
    out, _ = _reframe(path, tmp_path, aspect="1:1", smoothing_seconds=2.0, height=240)
    assert (probe(out.path).width, probe(out.path).height) == (240, 240)
    assert out.meta["shots"] == 2
    for t in (0.5, 2.5, truth["cut"] + 0.1, 4.0, 5.5):
        assert bright_columns(frame_at(out.path, t)) is not None, t  # the box is in the picture right after the cut


def test_reframe_finds_a_still_subject_by_saliency(tmp_path):
    path = tmp_path / "still.mp4"
    make_still_subject(path)
    out, _ = _reframe(path, tmp_path, aspect="4:5")
    frame = frame_at(out.path, 2.0)
    assert frame.shape[:2] == (360, 288)
    yellow = (frame[..., 0] > 180) & (frame[..., 1] > 160) & (frame[..., 2] < 120)
    assert yellow.sum() > 0.8 * np.pi * 36 ** 2  # the whole disc (radius 36) is in the crop
    assert out.meta["subject_found_by"]["saliency"] == 1.0


def test_crop_box_shapes():
    assert crop_box(640, 360, "9:16") == crop_box(640, 360, "9:16", None)
    assert (crop_box(640, 360, "9:16").width, crop_box(640, 360, "9:16").height) == (202, 360)
    assert (crop_box(640, 360, "1:1").width, crop_box(640, 360, "4:5").width) == (360, 288)
    vertical = crop_box(360, 640, "1:1")
    assert (vertical.width, vertical.height, vertical.axis) == (360, 360, "y")
    sized = crop_box(1920, 1080, "9:16", 640)
    assert (sized.width, sized.height, sized.out_width, sized.out_height) == (606, 1080, 360, 640)


def test_path_smoothing_keys_and_commands():
    steady = np.arange(40, dtype=float) * 3
    assert np.allclose(smooth(steady, 4), steady)  # steady motion is not bent at the ends
    points = [(i / 8, 100 + 5 * i) for i in range(17)] + [(3.0, 180.0), (4.0, 180.0)]
    keys = keyframes(points, tolerance=1.0)
    assert keys[0] == points[0] and keys[-1] == points[-1] and len(keys) <= 4
    text = crop_commands([keys], "x")
    assert text.splitlines()[0] == "0.0000 crop@reframe x 100.00+(t-0.0000)*(40.0000);"
    assert text.splitlines()[-1] == "4.0000 crop@reframe x 180.00;"


def test_reframe_scales_to_the_asked_height(tmp_path):
    path = tmp_path / "box.mp4"
    make_moving_box(path, seconds=2)
    out, _ = _reframe(path, tmp_path, aspect="4:5", height=202)
    info = probe(out.path)
    assert (info.width, info.height) == (162, 202)  # 202 * 4/5 = 161.6: rounded, and even


def test_reframe_stops_when_cancelled(tmp_path):
    path = tmp_path / "box.mp4"
    make_moving_box(path)
    ctx = LibraryContext({SOURCE_ID: {"path": path, "title": path.name}}, workdir=tmp_path / "work")
    seen = []

    def cancel_while_rendering(fraction, message, preview):
        seen.append(message)
        if fraction > 0.45:  # past the analysis: the render's ffmpeg must stop
            ctx.cancel_event.set()

    ctx._on_progress = cancel_while_rendering
    with pytest.raises(Cancelled):
        run(ReframeRecipe(video_work_id=SOURCE_ID, encoding={"preset": "medium"}), ctx)
    assert "rendering" in seen
