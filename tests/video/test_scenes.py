"""video.scenes: hard cuts and dissolves found on test videos with known boundaries, the outputs, the job path."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from muselab.engines import Cancelled, EngineError, LocalContext, run_task
from muselab.video import ffmpeg
from muselab.video.contact import layout
from muselab.video.scenes import Scene, detect, enforce_min_length, merge_boundaries, scenes_csv
from muselab.video.synth import Shot, make_video

VIDEO_ID = "abcdef0123456789"
FPS = 25


def run_scenes(path: Path, tmp_path: Path, **recipe) -> tuple[list, LocalContext]:
    ctx = LocalContext(workdir=tmp_path / "work", inputs={VIDEO_ID: path})
    return run_task("video.scenes", {"video_work_id": VIDEO_ID, **recipe}, ctx), ctx


def f1(found: list[float], truth) -> float:
    """One-to-one matches: a cut within one frame, a dissolve inside its interval."""
    targets = [(c - 1 / FPS - 1e-6, c + 1 / FPS + 1e-6) for c in truth.cuts] + list(truth.dissolves)
    free = set(range(len(targets)))
    hits = 0
    for time_ in found:
        match = next((i for i in sorted(free) if targets[i][0] <= time_ <= targets[i][1]), None)
        if match is not None:
            free.discard(match)
            hits += 1
    precision, recall = hits / max(1, len(found)), hits / len(targets)
    return 2 * precision * recall / (precision + recall) if hits else 0.0


def frame_count(path: Path) -> int:
    done = subprocess.run([ffmpeg.tool("ffprobe"), "-v", "error", "-select_streams", "v:0", "-count_packets",
                           "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
                          capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def lavfi_clip(path: Path, source: str, seconds: float = 6) -> Path:
    ffmpeg.run(["-f", "lavfi", "-i", f"{source},trim=duration={seconds},format=yuv420p", "-c:v", "libx264",
                "-preset", "ultrafast", "-g", "50", str(path)], what="making a test clip")
    return path


# ------------------------------------------------------------------------------------------- detection
def test_hard_cuts_within_a_frame_and_dissolves_inside_their_blend(scene_clip):
    path, truth = scene_clip
    scenes = detect(path)
    starts = [s.start for s in scenes[1:]]
    assert len(scenes) == 1 + len(truth.cuts) + len(truth.dissolves)
    for cut in truth.cuts:
        found = min(scenes[1:], key=lambda s: abs(s.start - cut))
        assert abs(found.start - cut) <= 1 / FPS + 1e-6 and found.transition == "cut"
    for begin, end in truth.dissolves:
        found = min(scenes[1:], key=lambda s: abs(s.start - (begin + end) / 2))
        assert begin <= found.start <= end and found.transition == "dissolve"
        assert found.transition_start < found.start < found.transition_end
    assert f1(starts, truth) == 1.0
    # the scenes tile the video: no gaps, no overlaps, the last ends with the last frame
    assert scenes[0].start == 0 and all(a.end == b.start for a, b in zip(scenes[:-1], scenes[1:], strict=True))
    assert scenes[-1].end_frame == round(truth.duration * FPS) and scenes[0].score is None
    assert all(0 < s.score <= 1 for s in scenes[1:])


def test_hard_cut_detectors_miss_the_dissolves_the_gradual_pass_finds(scene_clip):
    path, truth = scene_clip
    only_cuts = detect(path, {"gradual": False})
    assert all(s.transition == "cut" for s in only_cuts)
    assert len(only_cuts) - 1 < len(truth.cuts) + len(truth.dissolves)  # why `gradual` exists
    for name in ("content", "histogram"):
        assert f1([s.start for s in detect(path, {"detector": name})[1:]], truth) == 1.0


def test_a_fade_through_black_is_one_boundary_and_fades_at_the_ends_are_none(tmp_path):
    # black, fade in, A, fade out to black and in again, B, cut, C, fade out to black
    shots = [Shot(0.8, black=True), Shot(3.2, 0), Shot(1.6, black=True), Shot(3.2, 1), Shot(3.2, 2),
             Shot(1.2, black=True)]
    truth = make_video(tmp_path / "fades.mp4", shots, [0.6, 0.6, 0.6, 0.0, 0.8], width=320, height=180)
    scenes = detect(tmp_path / "fades.mp4")
    assert [s.transition for s in scenes[1:]] == ["fade", "cut"]
    black = (truth.dissolves[1][1] + truth.dissolves[2][0]) / 2  # fully black between fade out and fade in
    assert abs(scenes[1].start - black) <= 0.2
    assert abs(scenes[2].start - truth.cuts[0]) <= 1 / FPS + 1e-6


@pytest.mark.parametrize("name, source", [
    ("light", "smptehdbars=size=320x180:rate=25,eq=brightness='0.35*sin(t*1.5)':eval=frame"),
    ("colour", "rgbtestsrc=size=320x180:rate=25,hue=H=t*2"),
    ("zoom", "testsrc2=size=320x180:rate=25,zoompan=z='min(1+0.004*on,3)':d=1:s=320x180:fps=25"),
    ("pan", "testsrc2=size=960x180:rate=25,crop=320:180:x='t*90':y=0"),
])
def test_no_boundary_inside_one_shot_with_light_colour_zoom_or_pan(tmp_path, name, source):
    # A dimmer, a colour cycle, a zoom and a pan all change the picture steadily; none is a new shot.
    clip = lavfi_clip(tmp_path / f"{name}.mp4", source)
    assert [(s.start, s.transition) for s in detect(clip)[1:]] == []


def test_min_scene_seconds_joins_a_short_shot_to_a_neighbour(tmp_path):
    make_video(tmp_path / "short.mp4", [Shot(2.0, 0), Shot(0.32, 3), Shot(2.0, 6)], width=320, height=180)
    assert len(detect(tmp_path / "short.mp4", {"min_scene_seconds": 0.2})) == 3
    joined = detect(tmp_path / "short.mp4", {"min_scene_seconds": 0.6})
    assert len(joined) == 2 and min(s.duration for s in joined) >= 0.6


def test_merging_keeps_one_boundary_per_transition():
    from muselab.video.gradual import Transition

    change = np.full(110, 0.01)
    change[40], change[70] = 0.05, 0.5
    blends = [Transition(35, 48, 41, "dissolve", 0.4), Transition(64, 76, 70, "dissolve", 0.45)]
    merged = merge_boundaries([40, 70], blends, change, 110)
    # a small step inside the first blend is the blend; a big jump inside the second is a cut
    assert [(b.frame, b.kind) for b in merged] == [(41, "dissolve"), (70, "cut")]
    # the scene between them is too short: the weaker boundary goes
    assert [b.frame for b in enforce_min_length(merged, 110, 35)] == [70]


def test_fast_content_score_is_pyscenedetects(scene_clip):
    from scenedetect import AdaptiveDetector, ContentDetector, FrameTimecode

    from muselab.video.detectors import FastAdaptiveDetector, FastContentDetector
    from muselab.video.framepipe import read_frames

    path, _ = scene_clip
    base = FrameTimecode(0, float(FPS))
    pairs = [(ContentDetector(), FastContentDetector()), (AdaptiveDetector(), FastAdaptiveDetector())]
    for n, frame in enumerate(read_frames(path, 160, 90)):
        for theirs, ours in pairs:
            assert theirs.process_frame(base + n, frame) == ours.process_frame(base + n, frame)
            assert ours._frame_score == pytest.approx(theirs._frame_score, abs=1e-9)


def test_cancel_stops_the_pass(scene_clip):
    path, _ = scene_clip
    calls = []
    with pytest.raises(Cancelled):
        detect(path, None, on_progress=calls.append, cancelled=lambda: True)


def test_clear_errors_for_bad_input(tmp_path, scene_clip):
    not_video = tmp_path / "notes.mp4"
    not_video.write_bytes(b"not a video at all")
    with pytest.raises(EngineError, match="video_work_id"):
        detect(not_video)
    # the header says video, the frames are gone: fewer than one frame to decode
    path, _ = scene_clip
    faststart = tmp_path / "faststart.mp4"
    ffmpeg.run(["-i", str(path), "-c", "copy", "-movflags", "+faststart", str(faststart)])
    data = faststart.read_bytes()
    mdat = data.index(b"mdat")
    hollow = tmp_path / "hollow.mp4"
    hollow.write_bytes(data[:mdat + 4] + bytes(len(data) - mdat - 4))
    with pytest.raises(EngineError, match="video_work_id"):
        detect(hollow)
    with pytest.raises(EngineError, match="threshold"):
        detect(path, {"detector": "histogram", "threshold": 20})
    with pytest.raises(Exception, match="detector"):
        detect(path, {"detector": "hash"})


# ------------------------------------------------------------------------------------------- the engine
def test_engine_writes_list_thumbnails_and_contact_sheet(scene_clip, tmp_path):
    path, truth = scene_clip
    outputs, ctx = run_scenes(path, tmp_path)
    listing, table = outputs[0], outputs[1]
    assert (listing.kind, listing.media_type, table.kind, table.media_type) == (
        "data", "application/json", "data", "text/csv")
    scenes = listing.meta["scenes"]
    assert listing.meta["fps"] == FPS and json.loads(listing.read_bytes())["scenes"] == scenes
    assert f1([s["start"] for s in scenes[1:]], truth) == 1.0
    assert {"start", "end", "transition", "score"} <= set(scenes[1])
    rows = list(csv.DictReader(io.StringIO(table.read_bytes().decode())))
    assert [float(r["start"]) for r in rows] == [s["start"] for s in scenes]
    assert [r["transition"] for r in rows] == [s["transition"] for s in scenes]

    thumbs = [o for o in outputs if o.kind == "image" and "scene" in o.meta and o.meta.get("columns") is None]
    assert len(thumbs) == len(scenes)
    for thumb, scene in zip(thumbs, scenes, strict=True):
        assert thumb.media_type == "image/png" and thumb.path.is_file() and thumb.parents == [VIDEO_ID]
        assert scene["start"] <= thumb.meta["time"] < scene["end"]
        with Image.open(thumb.path) as picture:
            assert picture.size == (256, 144)
    sheet = outputs[-1]
    grid = layout(len(scenes), 320, 180)
    with Image.open(sheet.path) as picture:
        assert picture.format == "PNG" and picture.size == (grid.width, grid.height)
    assert sheet.meta["columns"] == grid.columns and sheet.meta["rows"] == grid.rows
    assert all(o.parents == [VIDEO_ID] for o in outputs)
    fractions = [e[0] for e in ctx.events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_thumbnails_by_seeking_when_frames_are_not_kept(scene_clip, tmp_path):
    path, _ = scene_clip
    outputs, _ = run_scenes(path, tmp_path, downscale=4, contact_sheet=False)  # analysed at 80x45
    thumbs = [o for o in outputs if o.kind == "image"]
    assert len(thumbs) == len(outputs[0].meta["scenes"])
    with Image.open(thumbs[0].path) as picture:
        assert picture.size == (256, 144)


def test_a_phone_video_turned_upright_keeps_its_shape(scene_clip, tmp_path):
    # phones store portrait video as landscape frames and a rotation, which ffmpeg applies when decoding
    path, truth = scene_clip
    portrait = tmp_path / "portrait.mp4"
    ffmpeg.run(["-i", str(path), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(portrait)])
    outputs, _ = run_scenes(portrait, tmp_path)
    assert (outputs[0].meta["width"], outputs[0].meta["height"]) == (180, 320)
    assert f1([s["start"] for s in outputs[0].meta["scenes"][1:]], truth) == 1.0
    with Image.open(outputs[2].path) as thumb, Image.open(outputs[-1].path) as sheet:
        assert thumb.size == (144, 256)
        assert sheet.size == (layout(len(outputs[0].meta["scenes"]), 180, 320).width,
                              layout(len(outputs[0].meta["scenes"]), 180, 320).height)


def test_split_copy_clips_add_up_to_the_video(scene_clip, tmp_path):
    path, truth = scene_clip
    outputs, _ = run_scenes(path, tmp_path, split="copy", thumbnails=False, contact_sheet=False)
    clips = [o for o in outputs if o.kind == "video"]
    scenes = outputs[0].meta["scenes"]
    assert clips and all(o.media_type == "video/mp4" for o in clips)
    assert sum(frame_count(o.path) for o in clips) == frame_count(path)
    # each clip starts on a keyframe (every 2 s here) at or after the start of the scenes it holds
    held = [n for clip in clips for n in clip.meta["scenes"]]
    assert held == list(range(1, len(scenes) + 1))
    for clip in clips:
        first = scenes[clip.meta["scenes"][0] - 1]
        assert clip.meta["start"] >= first["start"] - 1e-6 and round(clip.meta["start"] * FPS) % 50 == 0


def test_split_precise_gives_one_clip_per_scene_to_the_frame(scene_clip, tmp_path):
    path, _ = scene_clip
    outputs, _ = run_scenes(path, tmp_path, split="precise", thumbnails=False, contact_sheet=False,
                            encoding={"preset": "ultrafast", "crf": 30})
    clips = [o for o in outputs if o.kind == "video"]
    scenes = outputs[0].meta["scenes"]
    assert len(clips) == len(scenes)
    counts = [frame_count(o.path) for o in clips]
    for count, scene in zip(counts, scenes, strict=True):
        assert abs(count - (scene["end_frame"] - scene["start_frame"])) <= 1
    assert sum(counts) == frame_count(path)
    probe = ffmpeg.probe(clips[1].path)
    assert probe.video_codec == "h264" and probe.has_audio


def test_scenes_csv_has_one_row_per_scene():
    scenes = [Scene(0.0, 1.5, start_frame=0, end_frame=36), Scene(1.5, 4.0, "dissolve", 0.3, 36, 96, 1.2, 1.8)]
    rows = list(csv.reader(io.StringIO(scenes_csv(scenes))))
    assert rows[0][:4] == ["scene", "start", "end", "duration"]
    assert rows[2][:3] == ["2", "1.500", "4.000"] and rows[2][4] == "00:00:01.500" and rows[2][8] == "dissolve"


# ------------------------------------------------------------------------------------------- the studio
def test_scenes_job_through_the_studio(sqlite_studio, scene_clip):
    from muselab.library.store import work_to_dict
    from muselab.video.importer import import_check

    path, truth = scene_clip
    video = sqlite_studio.upload(path, "片段 clip.mp4", media_type="video/mp4", check=import_check(10))
    job, _ = sqlite_studio.submit("video.scenes", {"video_work_id": video.id, "thumbnails": False})
    done = sqlite_studio.run_here(job.id)
    assert done.state == "succeeded", done.error
    works = [sqlite_studio.library.get(i) for i in done.work_ids]
    assert [w.media_type for w in works] == ["application/json", "text/csv", "image/png"]
    scenes = works[0].meta["scenes"]
    assert f1([s["start"] for s in scenes[1:]], truth) == 1.0
    assert all(work_to_dict(w)["parents"] == [video.id] for w in works)
    assert works[0].recipe["detector"] == "adaptive"
