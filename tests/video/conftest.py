"""Fixtures of the video tests: test videos with known boundaries, made once per module (a few seconds each)."""

from __future__ import annotations

import pytest

from muselab.video.synth import Shot, make_video


@pytest.fixture(scope="module")
def scene_clip(tmp_path_factory):
    """16.2 s, 320x180, 25 fps: 7 shots joined by 3 hard cuts and 3 dissolves (0.6-1.0 s); (path, Truth).

    Shot lengths are whole frames, so the truth's times are exact frame times."""
    path = tmp_path_factory.mktemp("scenes") / "clip.mp4"
    shots = [Shot(seconds, source) for seconds, source in
             [(2.6, 0), (2.4, 3), (3.0, 6), (2.2, 1), (2.8, 4), (2.4, 7), (3.2, 2)]]
    truth = make_video(path, shots, joins=[0.0, 0.8, 0.0, 0.6, 0.0, 1.0], width=320, height=180, fps=25)
    return path, truth
