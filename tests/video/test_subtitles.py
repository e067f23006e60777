"""video.subtitles: subtitle files burned in (libass, Noto Sans CJK) or added as a soft MP4 track."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # helpers next to the tests

from words_samples import (  # noqa: E402
    ASS_CN_EN,
    CUES,
    SRT_CN_EN,
    SUBS_ID,
    VIDEO_ID,
    VTT_CN_EN,
    frame,
    ink_report,
    make_clip,
    render_with_fonts_only,
)

from muselab.engines import EngineError, LocalContext, run_task  # noqa: E402
from muselab.video import subtitles  # noqa: E402
from muselab.video.ffmpeg import probe  # noqa: E402

pytestmark = pytest.mark.skipif(subprocess.run(["which", "ffmpeg"], capture_output=True).returncode != 0,
                                reason="needs ffmpeg")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4")


def _run(tmp_path, video, subtitle_text, suffix=".srt", workdir=None, **recipe):
    subs = tmp_path / f"subs{suffix}"
    subs.write_text(subtitle_text, encoding="utf-8")
    ctx = LocalContext(workdir=workdir or tmp_path / "work", inputs={VIDEO_ID: video, SUBS_ID: subs})
    outputs = run_task("video.subtitles", {"video_work_id": VIDEO_ID, "subtitle_work_id": SUBS_ID, **recipe}, ctx)
    return outputs, ctx


def _bottom_changes(burned, source, t, rows=slice(None)):
    """Pixels of the frame at `t` that the subtitles changed strongly, in the given rows."""
    diff = np.abs(frame(burned, t).astype(int) - frame(source, t).astype(int))[rows]
    return int((diff > 60).sum())


def test_burn_in_changes_the_bottom_band_during_cues_only(tmp_path, clip):
    # A work folder with every character ffmpeg's filter graph treats specially (and a space and Chinese):
    # the ASS file's path must reach libass intact.
    workdir = tmp_path / "it's: [odd], dir; 字幕"
    outputs, ctx = _run(tmp_path, clip, SRT_CN_EN, workdir=workdir)
    assert [o.kind for o in outputs] == ["video"]
    video = outputs[0]
    assert video.parents == [VIDEO_ID, SUBS_ID] and video.media_type == "video/mp4"
    assert video.meta["subtitles"] == "burned" and video.meta["cues"] == 2
    assert video.meta["font"] == "Noto Sans CJK SC" and video.meta["font_size"] == 12  # the smallest size
    assert "中文字幕测试" in video.text
    info = probe(video.path)
    assert info.width == 320 and info.height == 180 and abs(info.duration - 4.0) < 0.2 and info.has_audio
    assert ctx.events[-1][0] == 1.0

    bottom, top = slice(120, 180), slice(0, 110)
    during = [(a + b) / 2 for a, b in CUES]
    outside = [0.5, 2.4, 3.75]
    for t in during:
        assert _bottom_changes(video.path, clip, t, bottom) > 150, f"no subtitle ink at {t} s"
        assert _bottom_changes(video.path, clip, t, top) < 10, f"the picture above the subtitles changed at {t} s"
    for t in outside:
        assert _bottom_changes(video.path, clip, t, bottom) < 10, f"something drawn outside the cues at {t} s"


def test_burned_chinese_has_glyphs_not_boxes(tmp_path):
    clip = make_clip(tmp_path / "black.mp4", seconds=2, black=True)
    text = "永和九年岁在癸丑"
    srt = f"1\n00:00:00,200 --> 00:00:01,800\n{text}\n"
    outputs, ctx = _run(tmp_path, clip, srt, font_size=28)
    band = frame(outputs[0].path, 1.0)[100:]
    ours = ink_report(band)
    # Real glyphs: strokes in separate pieces (more pieces than characters), none of them an empty box.
    assert ours["pieces"] > len(text) and ours["boxes"] == 0, ours
    print("burned:", ours)

    # The control: the same cue in a Latin-only font (DejaVu Sans, and no other font known to fontconfig)
    # turns into boxes, which the measure above tells apart.
    import pysubs2

    latin = pysubs2.load(str(ctx.workdir / "burn.ass"))
    latin.styles["Default"].fontname = "DejaVu Sans"
    latin.save(str(tmp_path / "latin.ass"))
    latin_only = render_with_fonts_only(tmp_path, tmp_path / "latin.ass", "/usr/share/fonts/truetype/dejavu", 1.0)
    tofu = ink_report(latin_only[100:])
    print("Latin font only:", tofu)
    assert tofu["boxes"] >= len(text) - 1, tofu


def _extract_subtitles(video: Path, out: Path):
    import pysubs2

    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(video), "-map", "0:s:0", str(out)], check=True)
    return pysubs2.load(str(out))


def test_soft_track_keeps_picture_and_sound_and_gives_the_text_back(tmp_path, clip):
    import pysubs2

    outputs, _ = _run(tmp_path, clip, SRT_CN_EN, burn=False, language="zh")
    video = outputs[0]
    assert video.meta["subtitles"] == "soft" and "font" not in video.meta
    streams = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name:"
                              "stream_tags=language", "-of", "json", str(video.path)], capture_output=True, text=True,
                             check=True).stdout
    import json

    kinds = {s["codec_type"]: s for s in json.loads(streams)["streams"]}
    assert kinds["subtitle"]["codec_name"] == "mov_text" and kinds["subtitle"]["tags"]["language"] == "zho"
    assert kinds["video"]["codec_name"] == "h264" and kinds["audio"]["codec_name"] == "aac"
    # The picture is copied, not re-encoded: the same frame bytes.
    assert np.array_equal(frame(video.path, 1.5), frame(clip, 1.5))

    back = _extract_subtitles(video.path, tmp_path / "back.srt")
    given = pysubs2.SSAFile.from_string(SRT_CN_EN)
    assert [e.plaintext for e in back] == [e.plaintext for e in given]
    assert [(e.start, e.end) for e in back] == [(e.start, e.end) for e in given]


@pytest.mark.parametrize("suffix, text", [(".vtt", VTT_CN_EN), (".ass", ASS_CN_EN)])
def test_webvtt_and_ass_files_are_burned_in(tmp_path, clip, suffix, text):
    outputs, ctx = _run(tmp_path, clip, text, suffix=suffix)
    assert outputs[0].meta["cues"] == 2
    assert _bottom_changes(outputs[0].path, clip, 1.6, slice(120, 180)) > 150
    assert _bottom_changes(outputs[0].path, clip, 3.75, slice(120, 180)) < 10
    burned = (ctx.workdir / "burn.ass").read_text(encoding="utf-8")
    if suffix == ".ass":  # the author's style stays: yellow text on the file's own 320x180 canvas
        assert "&H0000FFFF" in burned and "PlayResY: 180" in burned
        rgb = frame(outputs[0].path, 1.6, gray=False)[120:].reshape(-1, 3).astype(int)
        yellow = (rgb[:, 0] > 180) & (rgb[:, 1] > 180) & (rgb[:, 2] < 90)
        assert yellow.sum() > 50
    else:
        assert "Noto Sans CJK SC" in burned


@pytest.mark.parametrize("content, why", [
    (b"just a note, not subtitles\n", "format is not recognised"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not text"),
    (b"1\n00:00:05,000 --> 00:00:05,000\n\n", "no cue"),
])
def test_a_file_that_is_not_subtitles_fails_naming_the_field(tmp_path, clip, content, why):
    subs = tmp_path / "notes.srt"
    subs.write_bytes(content)
    ctx = LocalContext(workdir=tmp_path / "work", inputs={VIDEO_ID: clip, SUBS_ID: subs})
    with pytest.raises(EngineError) as caught:
        run_task("video.subtitles", {"video_work_id": VIDEO_ID, "subtitle_work_id": SUBS_ID}, ctx)
    message = str(caught.value)
    assert message.startswith("subtitle_work_id:") and why in message
    assert not list((tmp_path / "work").glob("*.mp4"))


def test_chinese_subtitles_in_gb18030_are_read(tmp_path):
    path = tmp_path / "gbk.srt"
    path.write_bytes(SRT_CN_EN.encode("gb18030"))
    subs = subtitles.read_subtitles(path)
    assert subs.events[0].plaintext.startswith("中文字幕测试")


def test_filter_value_escapes_both_levels():
    assert subtitles.filter_value("/a/plain.ass") == "/a/plain.ass"
    # ' and : escaped for the filter's options, then every \ ' [ ] , ; again for the graph
    assert subtitles.filter_value("/x/it's:[a],b;c.ass") == r"/x/it\\\'s\\:\[a\]\,b\;c.ass"


def test_missing_cjk_font_says_what_to_install(tmp_path, clip, monkeypatch):
    monkeypatch.setattr(subtitles, "FONT_DIRS", ())
    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # what fontconfig offers instead of a CJK font
    monkeypatch.setattr(subtitles, "_fontconfig_match", lambda family: dejavu)
    subtitles.cjk_font.cache_clear()
    try:
        with pytest.raises(EngineError, match="fonts-noto-cjk"):
            _run(tmp_path, clip, SRT_CN_EN)
    finally:
        subtitles.cjk_font.cache_clear()
