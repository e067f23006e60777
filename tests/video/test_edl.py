import re
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cutting_samples import FAST, SOURCE_ID, LibraryContext, make_cut_clip  # noqa: E402

from muselab.engines import EngineError  # noqa: E402
from muselab.video.edl import exact_rate, run, timecode  # noqa: E402
from muselab.video.recipe import ExportEdlRecipe  # noqa: E402
from muselab.video.timeline import Segment, join_fades, rendered_length  # noqa: E402

CUT_ID = "c0ffee0002"
HARD = {"source": SOURCE_ID, "fps": 25.0, "crossfade": 0.0,
        "segments": [[0.0, 2.0], [3.6, 5.6], [8.0, 10.16], [11.84, 14.0]]}
DISSOLVES = {"source": SOURCE_ID, "fps": 25.0, "crossfade": 0.5,
             "segments": [[0.0, 3.0], [6.6, 8.08], [12.04, 15.0], [18.6, 20.64]]}
SOURCE = {"title": "interview.mp4", "meta": {"probe": {"duration": 24.0, "width": 320, "height": 180,
                                                       "audio_codec": "aac", "fps": 25.0}}}


def _export(timeline, fmt, tmp_path, source=SOURCE):
    works = {CUT_ID: {"title": "interview (auto-cut)", "meta": {"timeline": timeline}}}
    if source:
        works[SOURCE_ID] = source
    ctx = LibraryContext(works, workdir=tmp_path / "work")
    [out] = run(ExportEdlRecipe(cut_work_id=CUT_ID, format=fmt), ctx)
    assert out.kind == "data" and out.parents == [CUT_ID]
    return out


def _frames(seconds, fps=25):
    return round(seconds * fps)


def _read_otio(out, tmp_path):
    path = tmp_path / out.filename
    path.write_bytes(out.data)
    return otio.adapters.read_from_file(str(path))


def test_otio_reads_back_with_one_clip_per_segment(tmp_path):
    out = _export(HARD, "otio", tmp_path)
    assert out.filename == "interview_auto-cut.otio" and out.media_type == "application/json"
    timeline = _read_otio(out, tmp_path)
    assert [t.kind for t in timeline.tracks] == ["Video", "Audio"]
    for track in timeline.tracks:
        clips = list(track.find_clips())
        assert [(c.source_range.start_time.to_seconds(), c.source_range.end_time_exclusive().to_seconds())
                for c in clips] == [tuple(s) for s in HARD["segments"]]
        assert clips[0].media_reference.target_url == "interview.mp4"
        assert clips[0].media_reference.available_range.duration.to_seconds() == 24.0
    assert timeline.duration().to_frames() == sum(_frames(b - a) for a, b in HARD["segments"])
    assert timeline.metadata["muselab"]["source_work_id"] == SOURCE_ID


def test_otio_dissolves_use_the_media_the_render_used(tmp_path):
    timeline = _read_otio(_export(DISSOLVES, "otio", tmp_path), tmp_path)
    video = timeline.video_tracks()[0]
    clips = list(video.find_clips())
    transitions = [item for item in video if isinstance(item, otio.schema.Transition)]
    assert len(clips) == 4 and len(transitions) == 3
    # Each clip's visible range (its source range plus the handles its dissolves use) is the rendered piece.
    assert [(c.visible_range().start_time.to_frames(), c.visible_range().end_time_exclusive().to_frames())
            for c in clips] == [(_frames(a), _frames(b)) for a, b in DISSOLVES["segments"]]
    segments = [Segment(*s) for s in DISSOLVES["segments"]]
    fades = [_frames(f) for f in join_fades(segments, 0.5)]
    assert [t.in_offset.to_frames() + t.out_offset.to_frames() for t in transitions] == fades
    assert abs(video.duration().to_seconds() - rendered_length(segments, 0.5)) <= 2 / 25


_EVENT = re.compile(r"^(\d{3})  (\S+)\s+(\S+)\s+([CD])\s+(\d{3})?\s*(\S+) (\S+) (\S+) (\S+)$")


def _events(text):
    return [_EVENT.match(line).groups() for line in text.splitlines() if _EVENT.match(line)]


def test_cmx3600_has_one_event_per_segment_with_its_timecodes(tmp_path):
    out = _export(HARD, "cmx3600", tmp_path)
    assert out.filename.endswith(".edl") and out.media_type.startswith("text/plain")
    text = out.data.decode()
    assert text.startswith("TITLE: interview (auto-cut)\nFCM: NON-DROP FRAME\n")
    events = _events(text)
    assert [e[0] for e in events] == ["001", "002", "003", "004"]
    record = 3600 * 25
    for (_, reel, channels, kind, _dissolve, src_in, src_out, rec_in, rec_out), (a, b) in zip(
            events, HARD["segments"], strict=True):
        assert (reel, channels, kind) == ("AX", "AA/V", "C")
        assert (src_in, src_out) == (timecode(_frames(a), 25), timecode(_frames(b), 25))
        assert (rec_in, rec_out) == (timecode(record, 25), timecode(record + _frames(b - a), 25))
        record += _frames(b - a)
    assert text.count("* FROM CLIP NAME: interview.mp4") == 4


def test_cmx3600_dissolves_are_d_events_starting_at_the_edit(tmp_path):
    events = _events(_export(DISSOLVES, "cmx3600", tmp_path).data.decode())
    assert sorted({e[0] for e in events}) == ["001", "002", "003", "004"]
    dissolves = [e for e in events if e[3] == "D"]
    segments = [Segment(*s) for s in DISSOLVES["segments"]]
    assert [int(e[4]) for e in dissolves] == [_frames(f) for f in join_fades(segments, 0.5)]
    for d, (a, b) in zip(dissolves, DISSOLVES["segments"][1:], strict=True):
        assert d[5] == timecode(_frames(a), 25)  # the incoming piece from its first frame
        assert d[6] <= timecode(_frames(b), 25)
    last_out = events[-1][8]
    hh, mm, ss, ff = (int(x) for x in last_out.split(":"))
    programme = ((hh * 60 + mm) * 60 + ss) * 25 + ff - 3600 * 25
    assert abs(programme / 25 - rendered_length(segments, 0.5)) <= 2 / 25


def _time(value, rate=Fraction(25)):
    if value == "0s":
        return 0
    num, den = value.rstrip("s").split("/") if "/" in value else (value.rstrip("s"), "1")
    frames = Fraction(int(num), int(den)) * rate
    assert frames.denominator == 1, value  # on a frame boundary
    return int(frames)


def test_fcpxml_spine_holds_the_pieces_and_dissolves(tmp_path):
    out = _export(DISSOLVES, "fcpxml", tmp_path)
    assert out.filename.endswith(".fcpxml") and out.media_type == "application/xml"
    root = ET.fromstring(out.data)
    assert root.tag == "fcpxml" and root.get("version") == "1.9"
    assert root.find("resources/format").get("frameDuration") == "1/25s"
    assert root.find("resources/asset/media-rep").get("src") == "interview.mp4"
    spine = root.find("library/event/project/sequence/spine")
    clips = spine.findall("asset-clip")
    transitions = spine.findall("transition")
    assert len(clips) == 4 and len(transitions) == 3
    # Clips butt end to end; a centred dissolve takes half its frames from each side's handles.
    position = 0
    for clip in clips:
        assert _time(clip.get("offset")) == position
        position += _time(clip.get("duration"))
    assert position == _time(root.find("library/event/project/sequence").get("duration"))
    fades = [_time(t.get("duration")) for t in transitions]
    starts = [_time(c.get("start")) for c in clips]
    ends = [s + _time(c.get("duration")) for s, c in zip(starts, clips, strict=True)]
    handles_in = [0] + [f // 2 for f in fades]
    handles_out = [f - f // 2 for f in fades] + [0]
    assert [(s - h, e + g) for s, e, h, g in zip(starts, ends, handles_in, handles_out, strict=True)] == [
        (_frames(a), _frames(b)) for a, b in DISSOLVES["segments"]]


def test_export_refuses_a_work_without_a_cut(tmp_path):
    ctx = LibraryContext({CUT_ID: {"title": "a photo", "meta": {}}}, workdir=tmp_path / "work")
    with pytest.raises(EngineError, match="cut_work_id"):
        run(ExportEdlRecipe(cut_work_id=CUT_ID, format="otio"), ctx)


def test_export_still_works_when_the_source_left_the_library(tmp_path):
    out = _export(HARD, "cmx3600", tmp_path, source=None)
    assert "* FROM CLIP NAME: " + SOURCE_ID in out.data.decode()


def test_ntsc_rates_are_exact():
    assert exact_rate(29.97) == Fraction(30000, 1001) and exact_rate(25.0) == 25 and exact_rate(23.976) == Fraction(
        24000, 1001)


def test_the_studio_cuts_an_imported_video_and_exports_the_cut(sqlite_studio, tmp_path):
    from muselab.video.importer import import_check

    clip = tmp_path / "clip.mp4"
    make_cut_clip(clip)
    video = sqlite_studio.upload(clip, "clip.mp4", media_type="video/mp4", check=import_check(10))
    job, _ = sqlite_studio.submit("video.autocut", {"video_work_id": video.id, **FAST}, local=True)
    job = sqlite_studio.run_here(job.id)
    assert job.state == "succeeded", job.error
    cut = sqlite_studio.library.get(job.work_ids[0])
    assert cut.kind == "video" and cut.meta["timeline"]["source"] == video.id
    exports = {}
    for fmt in ("cmx3600", "otio"):
        job, _ = sqlite_studio.submit("video.export_edl", {"cut_work_id": cut.id, "format": fmt}, local=True)
        job = sqlite_studio.run_here(job.id)
        assert job.state == "succeeded", job.error
        exports[fmt] = sqlite_studio.library.get(job.work_ids[0])
    edl = exports["cmx3600"]
    assert edl.kind == "data" and edl.filename == "clip_auto-cut.edl" and edl.media_type.startswith("text/plain")
    assert len(_events(edl.text_content)) == len(cut.meta["timeline"]["segments"])
    assert "* FROM CLIP NAME: clip.mp4" in edl.text_content
    path = tmp_path / "cut.otio"
    path.write_bytes(sqlite_studio.library.content_path(exports["otio"]).read_bytes())
    timeline = otio.adapters.read_from_file(str(path))
    clips = list(timeline.video_tracks()[0].find_clips())
    assert [(c.source_range.start_time.to_seconds(), c.source_range.end_time_exclusive().to_seconds())
            for c in clips] == [tuple(s) for s in cut.meta["timeline"]["segments"]]
    assert len(timeline.audio_tracks()) == 1
