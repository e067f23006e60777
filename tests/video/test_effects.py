"""video.edit: every op measured on decoded frames and samples (small videos, a second or a few each)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from effects_samples import clip, context, cube, flat, frame, probe, rms_db, samples  # noqa: E402

from muselab.engines import Cancelled, EngineError, run_task  # noqa: E402
from muselab.video import text_overlay  # noqa: E402
from muselab.video.effects import tempo_chain  # noqa: E402
from muselab.video.grades import check_cube  # noqa: E402

VID, LUT = "a1" * 4, "b2" * 4


def edit(tmp_path, video, ops, **inputs):
    ctx = context(tmp_path, {VID: video, **inputs})
    out = run_task("video.edit", {"video_work_id": VID, "ops": ops, "seed": 1, "encoding": {"preset": "ultrafast"}},
                   ctx)
    return out[0], ctx


def test_speed_2x_halves_the_duration_and_keeps_the_sound(tmp_path):
    src = clip(tmp_path / "in.mp4", 4.0)
    out, ctx = edit(tmp_path, src, [{"op": "speed", "factor": 2}])
    info = probe(out.path)
    assert info["video_duration"] == pytest.approx(2.0, abs=0.08)
    assert info["audio_duration"] == pytest.approx(2.0, abs=0.08)
    assert info["fps"] == "25/1"
    assert out.parents == [VID] and out.kind == "video" and out.meta["duration"] == pytest.approx(2.0)
    fractions = [f for f, _, _ in ctx.events]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)


def test_tempo_chain_keeps_each_step_within_half_to_double():
    assert tempo_chain(1.5) == ["atempo=1.5"]
    assert tempo_chain(4) == ["atempo=2", "atempo=2"]
    assert tempo_chain(0.3) == ["atempo=0.5", "atempo=0.6"]
    assert tempo_chain(1.0) == ["atempo=1"]


def test_slow_motion_below_half_uses_a_tempo_chain(tmp_path):
    out, _ = edit(tmp_path, clip(tmp_path / "in.mp4", 1.0), [{"op": "speed", "factor": 0.4}])
    info = probe(out.path)
    assert info["video_duration"] == pytest.approx(2.5, abs=0.1)
    assert info["audio_duration"] == pytest.approx(2.5, abs=0.1)


def _means(image):
    return image[..., 0].mean(), image[..., 1].mean(), image[..., 2].mean()


@pytest.mark.parametrize("preset", ["warm", "cool", "mono", "vivid", "faded", "film", "teal_orange"])
def test_grades_move_the_colour_the_way_they_say(tmp_path, preset):
    src = flat(tmp_path / "in.mp4", 0.6, color="0x9a8070")  # a muted warm grey: room to move every way
    before = frame(src, 0.2)
    out, _ = edit(tmp_path, src, [{"op": "grade", "preset": preset}])
    after = frame(out.path, 0.2)
    r0, g0, b0 = _means(before)
    r1, g1, b1 = _means(after)
    if preset == "warm":
        assert r1 / b1 > r0 / b0 * 1.1
    elif preset == "cool":
        assert r1 / b1 < r0 / b0 / 1.1
    elif preset == "mono":
        assert max(r1, g1, b1) - min(r1, g1, b1) < 3
    elif preset == "vivid":
        assert (r1 - b1) > (r0 - b0) * 1.2
    elif preset == "faded":
        assert (r1 - b1) < (r0 - b0) * 0.85
    else:  # film and teal_orange change the picture visibly
        assert np.abs(after - before).mean() > 3


def test_a_lut_that_inverts_colours_inverts_the_frame(tmp_path):
    src = clip(tmp_path / "in.mp4", 0.6, source=4)
    lut = cube(tmp_path / "invert.cube", invert=True)
    out, _ = edit(tmp_path, src, [{"op": "grade", "lut_work_id": LUT}], **{LUT: lut})
    before, after = frame(src, 0.2), frame(out.path, 0.2)
    assert np.abs((255 - before) - after).mean() < 6  # chroma subsampling and rounding, not a different picture
    assert np.abs(before - after).mean() > 40
    assert out.parents == [VID, LUT]


def test_a_lut_work_that_is_no_cube_is_refused_by_name(tmp_path):
    src = clip(tmp_path / "in.mp4", 0.5)
    not_lut = tmp_path / "notes.txt"
    not_lut.write_text("hello\nworld\n")
    with pytest.raises(EngineError, match=r"ops\[0\]\.lut_work_id: not a \.cube"):
        edit(tmp_path, src, [{"op": "grade", "lut_work_id": LUT}], **{LUT: not_lut})
    short = tmp_path / "short.cube"
    short.write_text("LUT_3D_SIZE 2\n0 0 0\n1 1 1\n")
    with pytest.raises(EngineError, match="2 table rows where LUT_3D_SIZE 2 needs 8"):
        check_cube(short)
    binary = tmp_path / "x.cube"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    with pytest.raises(EngineError, match="binary"):
        check_cube(binary)
    assert check_cube(cube(tmp_path / "id.cube", size=4)).size == 4


def test_title_draws_in_the_middle_and_only_while_shown(tmp_path):
    src = flat(tmp_path / "in.mp4", 3.0)
    out, _ = edit(tmp_path, src, [{"op": "title", "text": "秋天的故事 It's 100%: [a]", "start": 1.0,
                                   "duration": 1.6}])
    plain, titled = frame(src, 1.8), frame(out.path, 1.8)
    diff = np.abs(titled - plain).max(axis=2)
    h, w = diff.shape
    middle, top = diff[int(h * 0.3):int(h * 0.7)], diff[: int(h * 0.2)]
    assert (middle > 60).mean() > 0.03  # white text and its shadow
    assert (top > 30).mean() < 0.002
    assert np.abs(frame(out.path, 0.5) - frame(src, 0.5)).mean() < 1.5  # before it starts: untouched
    assert np.abs(frame(out.path, 2.9) - frame(src, 2.9)).mean() < 1.5  # after it ends
    soft = np.abs(frame(out.path, 1.15) - plain).max(axis=2)  # fading in: part way
    assert 0.1 * diff.mean() < soft.mean() < 0.6 * diff.mean()


def _ink(tmp_path, text, name):
    src = flat(tmp_path / f"{name}.mp4", 1.0, color="0x202020")
    out, _ = edit(tmp_path / name, src, [{"op": "title", "text": text, "start": 0, "duration": 1.0}])
    return frame(out.path, 0.5).min(axis=2) > 200  # white ink only (not the shadow)


def test_chinese_titles_are_drawn_with_real_glyphs_not_tofu(tmp_path, monkeypatch):
    zh, other = _ink(tmp_path, "中文", "zh"), _ink(tmp_path, "汉字", "hz")
    assert zh.sum() > 200 and other.sum() > 200
    assert (zh ^ other).sum() > 0.5 * zh.sum()  # tofu boxes would draw both the same
    # the same text in a font without Chinese (DejaVu Sans) draws something else entirely
    latin = text_overlay.Font("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 0, None, True)
    if not Path(latin.path).is_file():
        pytest.skip("DejaVu Sans is not installed")
    monkeypatch.setattr(text_overlay, "cjk_font", lambda bold=False: latin)
    tofu = _ink(tmp_path, "中文", "tofu")
    assert (zh ^ tofu).sum() > 0.5 * zh.sum()


def test_lower_third_sits_in_the_lower_left_with_both_lines(tmp_path):
    src = flat(tmp_path / "in.mp4", 2.0, color="0xa0a0a0")
    out, _ = edit(tmp_path, src, [{"op": "lower_third", "text": "李小龙", "subtext": "导演 · Director",
                                   "start": 0.2, "duration": 1.6}])
    diff = np.abs(frame(out.path, 1.0) - frame(src, 1.0)).max(axis=2)
    h, w = diff.shape
    box = diff[int(h * 0.55):int(h * 0.88), : w // 2]
    assert (box > 40).mean() > 0.15  # the dark bar
    assert (diff[: int(h * 0.5)] > 20).mean() < 0.001 and (diff[:, int(w * 0.8):] > 20).mean() < 0.001
    after = frame(out.path, 1.0)[int(h * 0.55):int(h * 0.88), : w // 2].min(axis=2)
    assert (after > 200).sum() > 40  # white name on the bar
    assert len(list((tmp_path / "job" / "text").glob("*.txt"))) == 2  # one file per line: name, subtext


def test_fades_start_and_end_black_and_silent(tmp_path):
    src = flat(tmp_path / "in.mp4", 3.0, db=-10)
    out, _ = edit(tmp_path, src, [{"op": "fade", "fade_in": 0.8, "fade_out": 0.8}])
    assert frame(out.path, 0.0).mean() < 4
    assert frame(out.path, 2.96).mean() < 4  # the last frame
    assert frame(out.path, 1.5).mean() == pytest.approx(frame(src, 1.5).mean(), abs=3)
    x = samples(out.path)
    assert rms_db(x, 0.0, 0.03) < -45 and rms_db(x, len(x) / 48000 - 0.03, len(x) / 48000) < -45
    assert rms_db(x, 1.3, 1.7) > -16


def test_ops_apply_in_order_on_the_new_timeline(tmp_path):
    src = flat(tmp_path / "in.mp4", 4.0)
    with pytest.raises(EngineError, match=r"ops\[1\]\.start: 2\.5 s is past the end"):
        edit(tmp_path, src, [{"op": "speed", "factor": 2}, {"op": "title", "text": "x", "start": 2.5}])
    with pytest.raises(EngineError, match=r"ops\[0\]: fade_in \+ fade_out"):
        edit(tmp_path, src, [{"op": "fade", "fade_in": 3, "fade_out": 2}])


def test_cancel_stops_the_render(tmp_path):
    src = clip(tmp_path / "in.mp4", 6.0)
    ctx = context(tmp_path, {VID: src})

    def cancel_when_rendering(fraction, message, preview):
        if message.startswith("rendering"):
            ctx.cancel_event.set()

    ctx._on_progress = cancel_when_rendering
    with pytest.raises(Cancelled):
        run_task("video.edit", {"video_work_id": VID, "seed": 1, "ops": [{"op": "grade", "preset": "film"}],
                                "encoding": {"preset": "slow"}}, ctx)
