"""video.assemble: timing, transitions, Ken Burns, captions, title card and music, measured on the film."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from effects_samples import (  # noqa: E402
    band_db,
    bursts_video,
    context,
    flat,
    frame,
    frames_gray,
    picture,
    probe,
    samples,
    tone_wav,
)

from muselab.engines import EngineError, run_task  # noqa: E402
from muselab.video.assemble import _motion, frame_size, times  # noqa: E402

RED, BLUE, PIC, TALL, MUSIC, TALK = "e1" * 4, "e2" * 4, "e3" * 4, "e4" * 4, "e5" * 4, "e6" * 4


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assemble")
    return {RED: flat(folder / "red.mp4", 3.0, color="0xd02020", width=240, height=180),  # 4:3: padded
            BLUE: flat(folder / "blue.mp4", 3.0, color="0x2020d0", db=-8, frequency=1000),
            PIC: picture(folder / "pic.png", 480, 280),
            TALL: picture(folder / "tall.png", 200, 400),
            MUSIC: tone_wav(folder / "music.wav", 2.5, 300, db=-10),
            TALK: bursts_video(folder / "talk.mp4", 6, [(1.0, 2.5), (3.5, 5.0)], db=-12)}


def assemble(tmp_path, media, **recipe):
    ctx = context(tmp_path, media)
    body = {"seed": 3, "height": 180, "fps": 25, "encoding": {"preset": "ultrafast"}} | recipe
    return run_task("video.assemble", body, ctx)[0], ctx


def test_clips_and_a_picture_join_with_dissolves_at_the_times_in_the_meta(tmp_path, media):
    shots = [{"work_id": RED, "start": 0.5, "end": 2.5}, {"work_id": PIC, "duration": 2.0},
             {"work_id": BLUE, "caption": "第二幕 The sea"}]
    out, ctx = assemble(tmp_path, media, shots=shots, transition="fade", transition_seconds=0.4)
    starts = [s["at"] for s in out.meta["shots"]]
    assert starts == [0.0, 1.6, 3.2]
    assert out.meta["duration"] == pytest.approx(6.2)
    info = probe(out.path)
    assert (info["width"], info["height"]) == (320, 180) and info["fps"] == "25/1"
    assert info["video_duration"] == pytest.approx(6.2, abs=0.05)
    assert info["audio_duration"] == pytest.approx(6.2, abs=0.1)
    assert out.parents == [RED, PIC, BLUE]
    assert out.meta["shots"][0] | {} == {"kind": "video", "at": 0.0, "until": 2.0, "work_id": RED, "start": 0.5,
                                         "end": 2.5}
    red = frame(out.path, 0.8)
    assert red[90, 160, 0] > 180 and red[90, 160, 2] < 60
    assert red[90, 10].max() < 20  # 4:3 in 16:9: black bars at the sides
    blue = frame(out.path, 4.5)
    assert blue[60, 160, 2] > 180
    assert blue[150:170, 60:260].min(axis=2).max() > 200  # the caption's white letters at the bottom
    assert [f for f, _, _ in ctx.events][-1] == 1.0


def test_a_dissolve_half_way_is_half_of_each_shot(tmp_path, media):
    shots = [{"work_id": RED, "start": 0, "end": 2}, {"work_id": BLUE, "start": 0, "end": 2}]
    out, _ = assemble(tmp_path, media, shots=shots, transition="fade", transition_seconds=0.6)
    mid = frame(out.path, 1.7)[90, 160]  # the fade runs 1.4-2.0
    red, blue = frame(out.path, 1.0)[90, 160], frame(out.path, 3.0)[90, 160]
    assert mid == pytest.approx((red + blue) / 2, abs=25)


def test_cut_concatenates_and_wipes_move_across(tmp_path, media):
    shots = [{"work_id": RED, "start": 0, "end": 1.5}, {"work_id": BLUE, "start": 0, "end": 1.5}]
    out, _ = assemble(tmp_path / "cut", media, shots=shots, transition="cut")
    assert probe(out.path)["video_duration"] == pytest.approx(3.0, abs=0.05)
    assert frame(out.path, 1.44)[90, 160, 0] > 180 and frame(out.path, 1.56)[90, 160, 2] > 180
    out, _ = assemble(tmp_path / "wipe", media, shots=shots, transition="wipeleft", transition_seconds=0.5)
    half = frame(out.path, 1.25)  # the wipe runs 1.0-1.5: one side red, the other blue
    left, right = half[90, 40], half[90, 280]
    assert (left[0] > 150) != (right[0] > 150)


def test_ken_burns_moves_the_picture_the_same_way_for_the_same_seed(tmp_path, media):
    shots = [{"work_id": PIC, "duration": 2.0}]
    out, _ = assemble(tmp_path / "a", media, shots=shots)
    first, last = frame(out.path, 0.0), frame(out.path, 1.95)
    assert np.abs(first - last).mean() > 8  # it moved
    gray = frames_gray(out.path)
    steps = np.abs(np.diff(gray, axis=0)).mean(axis=(1, 2))
    assert len(gray) == 50 and steps.min() > 0  # it moves on every frame...
    assert steps.max() < 3 * np.median(steps) and np.median(steps) < np.abs(gray[0] - gray[-1]).mean() / 5  # evenly
    again, _ = assemble(tmp_path / "b", media, shots=shots)
    assert np.abs(frame(again.path, 1.0) - frame(out.path, 1.0)).mean() < 0.5
    assert _motion(3, 0) == _motion(3, 0) and _motion(3, 0) != _motion(4, 0)
    still, _ = assemble(tmp_path / "c", media, shots=[{"work_id": PIC, "duration": 2.0, "ken_burns": False}])
    assert np.abs(frame(still.path, 0.0) - frame(still.path, 1.95)).mean() < 1.0


def test_a_tall_picture_is_shown_whole_over_a_blurred_copy(tmp_path, media):
    out, _ = assemble(tmp_path, media, shots=[{"work_id": TALL, "duration": 1.0, "ken_burns": False}],
                      aspect="16:9")
    image = frame(out.path, 0.5)
    sides = image[:, :60]
    assert sides.mean() > 20 and sides.std() < image[:, 130:190].std()  # a soft background, not black bars


def test_title_card_opens_the_film_and_aspect_sets_the_frame(tmp_path, media):
    out, _ = assemble(tmp_path, media, shots=[{"work_id": BLUE, "end": 2.0}], title="秋天的故事", aspect="9:16",
                      height=320, transition_seconds=0.5)
    info = probe(out.path)
    assert frame_size("9:16", 320) == (180, 320) and (info["width"], info["height"]) == (180, 320)
    assert out.meta["shots"][0] == {"kind": "card", "at": 0.0, "until": 3.0, "title": "秋天的故事"}
    card = frame(out.path, 1.5)
    assert (card.min(axis=2) > 200).sum() > 50  # white title letters on the dark card
    assert card[:40].max() < 40
    assert info["video_duration"] == pytest.approx(4.5, abs=0.05)


def test_music_is_looped_to_the_film_and_ducked_under_its_sound(tmp_path, media):
    out, _ = assemble(tmp_path, media, shots=[{"work_id": TALK}], music_work_id=MUSIC, music_db=-6)
    x = samples(out.path)
    assert len(x) / 48000 == pytest.approx(6.0, abs=0.1)
    during = np.mean([band_db(x, 1.4, 2.4, 300), band_db(x, 3.9, 4.9, 300)])
    between = band_db(x, 2.9, 3.4, 300)
    assert between - during == pytest.approx(10, abs=2)  # DUCK_DB
    assert between > band_db(x, 2.9, 3.4, 700) + 30  # the 2.5 s music plays on: it was looped
    assert out.parents == [TALK, MUSIC]


def test_pictures_only_with_music_have_the_music_as_their_sound(tmp_path, media):
    out, _ = assemble(tmp_path, media, shots=[{"work_id": PIC, "duration": 1.5}, {"work_id": TALL, "duration": 1.5}],
                      music_work_id=MUSIC)
    assert probe(out.path)["audio"]
    x = samples(out.path)
    assert band_db(x, 1.0, 1.8, 300) > band_db(x, 1.0, 1.8, 1000) + 30
    silent, _ = assemble(tmp_path / "silent", media, shots=[{"work_id": PIC, "duration": 1.0}])
    assert not probe(silent.path)["audio"]


def test_times_overlap_by_at_most_a_third_of_a_piece():
    assert times([3, 3, 3], "fade", 0.6) == (pytest.approx([0, 2.4, 4.8]), [0, 0.6, 0.6])
    assert times([2, 2], "fade", 0.5, fps=25)[1] == [0, 0.48]  # whole frames
    starts, overlaps = times([0.9, 3], "fade", 1.0)
    assert overlaps == [0, pytest.approx(0.3)]
    assert times([1, 2], "cut", 0.6) == ([0, 1], [0, 0])


def test_bad_shots_are_named(tmp_path, media):
    with pytest.raises(EngineError, match=r"shots\[1\]\.start: 9 s is past the end"):
        assemble(tmp_path, media, shots=[{"work_id": RED}, {"work_id": BLUE, "start": 9}])
    with pytest.raises(EngineError, match=r"shots\[0\]\.work_id: a shot is a video or a picture Work, not audio"):
        assemble(tmp_path, media, shots=[{"work_id": MUSIC}])
