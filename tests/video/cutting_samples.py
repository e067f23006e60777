"""Test clips with known truth for the cutting engines (auto-cut, highlights, reframe, edit lists), and small
helpers to measure what came out. Imported by the test modules (not a conftest, so it can't clash with one)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from muselab.engines import EngineError, LocalContext
from muselab.video import ffmpeg
from muselab.video.synth import Shot, make_video

FPS = 25
SMALL = {"width": 320, "height": 180, "fps": FPS}


def make_cut_clip(path: Path) -> dict:
    """14 s with a black stretch (2.0-3.6), a frozen one (5.6-8.0) and a silent one (10.0-12.0), all else
    moving with a tone."""
    make_video(path, [Shot(2, 0), Shot(1.6, 0, black=True), Shot(2, 1), Shot(2.4, 2, frozen=True), Shot(2, 3),
                      Shot(2, 4, sound="silence"), Shot(2, 5)], **SMALL)
    return {"duration": 14.0, "black": (2.0, 3.6), "frozen": (5.6, 8.0), "silence": (10.0, 12.0)}


def make_talk_clip(path: Path) -> dict:
    """8 s of 'speech' (a 300 Hz tone) for 1.2 s then a 0.8 s pause, four times, over a 50 Hz mains hum at
    -30 dBFS that never stops: the pauses are silent only on the voice band."""
    audio = "aevalsrc='0.3*sin(2*PI*300*t)*lt(mod(t\\,2)\\,1.2)+0.0447*sin(2*PI*50*t)':s=48000:d=8"
    ffmpeg.run(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=8", "-f", "lavfi", "-i", audio,
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                str(path)], what="making a talk clip")
    return {"duration": 8.0, "pauses": [(1.2, 2.0), (3.2, 4.0), (5.2, 6.0), (7.2, 8.0)]}


def make_mixed_clip(path: Path) -> dict:
    """8 shots of 3 s: the odd ones still (a held frame) and silent, the even ones moving with loud noise."""
    moving, still = [0, 2, 5, 1], [3, 4, 6, 7]  # sources: testsrc2 (the busiest), bars, life, mandelbrot
    shots = [Shot(3, moving[i // 2], sound="noise") if i % 2 == 0
             else Shot(3, still[i // 2], sound="silence", frozen=True) for i in range(8)]
    make_video(path, shots, **SMALL)
    return {"duration": 24.0, "shots": [(3.0 * i, 3.0 * i + 3, i % 2 == 0) for i in range(8)]}


def make_moving_box(path: Path, seconds: float = 6, speed: float = 90, start: float = 20) -> dict:
    """A white 40x40 box gliding left to right (x = start + speed*t) over a dark grey 640x360 frame."""
    graph = (f"color=c=0x202020:size=640x360:rate=25:duration={seconds}[bg];"
             f"color=c=white:size=40x40:rate=25:duration={seconds}[box];"
             f"[bg][box]overlay=x='{start}+{speed}*t':y=160:eval=frame,format=yuv420p[v]")
    ffmpeg.run(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-filter_complex", graph,
                "-map", "[v]", "-map", "0:a", "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
                "-c:a", "aac", str(path)], what="making a moving box")
    return {"x": lambda t: start + speed * t, "size": 40, "width": 640, "height": 360}


def make_two_shots_box(path: Path) -> dict:
    """Two 3 s shots (different backgrounds, a hard cut at 3 s): a white box drifting near the left edge
    (x = 30 + 20t), then near the right edge (x = 560 + 20(t - 3), leaving at 600)."""
    shot = ("color=c={bg}:size=640x360:rate=25:duration=3[bg{i}];color=c=white:size=40x40:rate=25:duration=3[box{i}];"
            "[bg{i}][box{i}]overlay=x='{x}+20*t':y=160:eval=frame,format=yuv420p,setsar=1[v{i}]")
    graph = ";".join([shot.format(bg="0x202020", i=0, x=30), shot.format(bg="0x102848", i=1, x=560),
                      "[v0][v1]concat=n=2:v=1:a=0[v]"])
    ffmpeg.run(["-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", str(path)],
               what="making two shots")
    return {"x": lambda t: 30 + 20 * t if t < 3 else 560 + 20 * (t - 3), "size": 40, "cut": 3.0}


def bright_columns(frame: np.ndarray) -> tuple[int, int] | None:
    """The first and last column holding near-white pixels (the test box), or None."""
    columns = np.flatnonzero((frame.min(axis=2) > 200).any(axis=0))
    return (int(columns[0]), int(columns[-1])) if len(columns) else None


def make_still_subject(path: Path) -> None:
    """4 s of a still frame: a yellow disc (radius 36) centred at (540, 180) on dark grey; nothing moves."""
    from PIL import Image

    ys, xs = np.indices((360, 640))
    disc = np.hypot(xs - 540, ys - 180) < 36
    picture = np.where(disc[..., None], np.array([240, 220, 60], np.uint8), np.array([24, 24, 24], np.uint8))
    still = path.with_suffix(".png")
    Image.fromarray(picture.astype(np.uint8)).save(still)
    ffmpeg.run(["-loop", "1", "-framerate", "25", "-i", str(still), "-t", "4", "-c:v", "libx264", "-preset",
                "ultrafast", "-pix_fmt", "yuv420p", str(path)], what="making a still subject")


def video_frames(path: Path) -> int:
    """The number of video frames, counted by decoding."""
    done = subprocess.run([ffmpeg.tool("ffprobe"), "-v", "error", "-count_frames", "-select_streams", "v:0",
                           "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
                          capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def frame_at(path: Path, seconds: float) -> np.ndarray:
    """One RGB frame at `seconds` (h, w, 3)."""
    info = ffmpeg.probe(path)
    done = subprocess.run([ffmpeg.tool("ffmpeg"), "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(path),
                           "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
                          capture_output=True, check=True)
    return np.frombuffer(done.stdout, np.uint8).reshape(info.height, info.width, 3)


def frames_every(path: Path, seconds: float) -> list[tuple[float, np.ndarray]]:
    """(time, RGB frame) every `seconds`, full size, in one decode."""
    from muselab.video.analysis import sample_frames

    info = ffmpeg.probe(path)
    return list(sample_frames(path, 1 / seconds, (info.width, info.height)))


class LibraryContext(LocalContext):
    """A LocalContext whose input Works have metadata (a title, a media type, a meta dict), like the studio's."""

    def __init__(self, works: dict[str, dict], **kwargs):
        inputs = {wid: w["path"] for wid, w in works.items() if w.get("path")}
        super().__init__(inputs=inputs, **kwargs)
        self.works = works

    def input_work(self, work_id: str) -> dict:
        if work_id not in self.works:
            raise EngineError(f"input work {work_id!r} not found in the library")  # as the studio's worker says
        work = self.works[work_id]
        return {"id": work_id, "title": work.get("title", work_id), "kind": work.get("kind", "video"),
                "media_type": work.get("media_type", "video/mp4"), "recipe": None, "meta": work.get("meta", {})}


FAST = {"encoding": {"preset": "ultrafast", "crf": 23}}
SOURCE_ID = "50c0ffee01"  # a Work id (hex) for the source video
