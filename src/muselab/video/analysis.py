"""Measuring a video for the cutting engines (auto-cut, highlights, reframe).

Four kinds of measurement, each read as it runs (so it reports progress and stops on cancel): the
stretches ffmpeg's own detectors log (black, frozen, silent), the shots (PySceneDetect), small frames
sampled a few times a second (motion, colour, where the subject is), and the sound's level over time."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from muselab.engines import Cancelled, Context, EngineError
from muselab.video import ffmpeg
from muselab.video.ffmpeg import MediaInfo
from muselab.video.timeline import Segment

Progress = Callable[[float], None]


def source_title(ctx: Context, work_id: str, fallback: str) -> str:
    """A video Work's title without its file suffix ("Talk.mp4" -> "Talk"), to name what is made from it."""
    title = (ctx.input_work(work_id).get("title") or fallback).strip()
    stem, dot, suffix = title.rpartition(".")
    return stem if dot and stem and suffix.lower() in ("mp4", "m4v", "mov", "webm", "mkv", "avi") else title


def file_stem(title: str) -> str:
    """A file name stem from a Work's title ("My talk (cut).mp4" -> "My_talk_cut")."""
    stem = title.rsplit(".", 1)[0] if "." in title[-6:] else title
    stem = re.sub(r"_+", "_", "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)).strip("_")
    return stem[:60] or "video"


# ------------------------------------------------------------------------------------------ stretches
@dataclass(frozen=True)
class Stretch:
    """A stretch of the source one of ffmpeg's detectors found, in source seconds."""

    start: float
    end: float
    reason: str  # black | frozen | silence

    def to_dict(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "reason": self.reason}


_PROGRESS_TIME = re.compile(r"out_time_(?:us|ms)=(\d+)")
_BLACK = re.compile(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)")
_FREEZE = re.compile(r"freezedetect\.freeze_(start|end):\s*([\d.]+)")
_SILENCE = re.compile(r"silence_(start|end):\s*(-?[\d.]+)")
# A talk's pauses are judged on the voice band: hum and rumble below it and hiss above it don't hide a pause.
SPEECH_BAND = "highpass=f=100,lowpass=f=4000"


def detect_stretches(path: Path, info: MediaInfo, *, black: tuple[float, float] | None = None,
                     frozen: tuple[float, float] | None = None, silence: tuple[float, float] | None = None,
                     speech_band: bool = False, on_progress: Progress | None = None,
                     cancelled: Callable[[], bool] | None = None) -> list[Stretch]:
    """Black, frozen and silent stretches, in one pass of ffmpeg's blackdetect, freezedetect and silencedetect.

    black = (pixel threshold 0-1, min seconds); frozen = (noise dB, min seconds); silence = (level dB, min
    seconds); None leaves that detector out. Silence needs a sound track (none: nothing is found)."""
    video_filters = []
    if black:
        video_filters.append(f"blackdetect=d={black[1]:g}:pix_th={black[0]:g}")
    if frozen:
        video_filters.append(f"freezedetect=n={frozen[0]:g}dB:d={frozen[1]:g}")
    audio_filter = None
    if silence and info.has_audio:
        audio_filter = (SPEECH_BAND + "," if speech_band else "") + f"silencedetect=n={silence[0]:g}dB:d={silence[1]:g}"
    if not video_filters and not audio_filter:
        return []
    args = ["-i", str(path)]
    args += ["-vf", ",".join(video_filters)] if video_filters else ["-vn"]
    args += ["-af", audio_filter] if audio_filter else ["-an"]
    log = _filter_log([*args, "-f", "null", "-"], info.duration, on_progress, cancelled)
    if log is None:
        return []
    return parse_stretches(log, info.duration)


def parse_stretches(log: str, duration: float) -> list[Stretch]:
    """The stretches in an ffmpeg log of blackdetect / freezedetect / silencedetect; one still open at the end
    of the file (no end logged) runs to `duration`."""
    found: list[Stretch] = []
    open_freeze = open_silence = None
    for line in log.splitlines():
        if match := _BLACK.search(line):
            found.append(Stretch(float(match.group(1)), float(match.group(2)), "black"))
        elif match := _FREEZE.search(line):
            if match.group(1) == "start":
                open_freeze = float(match.group(2))
            elif open_freeze is not None:
                found.append(Stretch(open_freeze, float(match.group(2)), "frozen"))
                open_freeze = None
        elif match := _SILENCE.search(line):
            if match.group(1) == "start":
                open_silence = max(0.0, float(match.group(2)))
            elif open_silence is not None:
                found.append(Stretch(open_silence, float(match.group(2)), "silence"))
                open_silence = None
    if open_freeze is not None:
        found.append(Stretch(open_freeze, duration, "frozen"))
    if open_silence is not None:
        found.append(Stretch(open_silence, duration, "silence"))
    return sorted((Stretch(max(0.0, s.start), min(duration, s.end), s.reason) for s in found if s.end > s.start),
                  key=lambda s: (s.start, s.reason))


def _filter_log(args: list[str], duration: float, on_progress: Progress | None,
                cancelled: Callable[[], bool] | None) -> str | None:
    """Run ffmpeg for what its filters log, reporting progress; None when cancelled."""
    return ffmpeg.run(args, duration, on_progress, cancelled, what="ffmpeg analysis", loglevel="info")


# ------------------------------------------------------------------------------------------ scenes
def find_scenes(path: Path, info: MediaInfo, on_progress: Callable[[float], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> list[Segment]:
    """The shots of the video, in seconds, covering it whole: the scenes task's detector with its defaults
    (hard cuts and dissolves). Returns [] when cancelled."""
    from muselab.video.scenes import detect

    try:
        scenes = detect(path, None, on_progress=on_progress, cancelled=cancelled)
    except Cancelled:
        return []
    cuts = sorted(scene.start for scene in scenes)[1:]
    bounds = [0.0, *[c for c in cuts if 0 < c < info.duration], info.duration]
    return [Segment(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


# ------------------------------------------------------------------------------------------ pictures
def analysis_size(info: MediaInfo, width: int) -> tuple[int, int]:
    """A small frame size of the source's shape (even numbers), `width` pixels wide at most."""
    if not info.width or not info.height:
        return width, width * 9 // 16 // 2 * 2
    width = min(width, info.width)
    height = max(2, round(width * info.height / info.width / 2) * 2)
    return width // 2 * 2, height


def sample_frames(path: Path, fps: float, size: tuple[int, int], gray: bool = False,
                  cancelled: Callable[[], bool] | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(time, frame) `fps` times a second, scaled to `size` (w, h): RGB uint8 (h, w, 3), or (h, w) when gray.

    Stops (without raising) when `cancelled()` says so; the caller then raises with ctx.check_cancelled()."""
    width, height = size
    channels = 1 if gray else 3
    frame_bytes = width * height * channels
    cmd = [ffmpeg.tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), "-an",
           "-vf", f"fps={fps:g},scale={width}:{height}:flags=area",
           "-f", "rawvideo", "-pix_fmt", "gray" if gray else "rgb24", "pipe:1"]
    yield from _read_pipe(cmd, frame_bytes, cancelled, lambda i, buf: (
        i / fps, np.frombuffer(buf, np.uint8).reshape((height, width) if gray else (height, width, 3))))


def sound_levels(path: Path, window: float = 0.1, rate: int = 8000,
                 cancelled: Callable[[], bool] | None = None) -> np.ndarray:
    """The sound's RMS level in dBFS, one value per `window` seconds (mono mix; -120 for digital silence)."""
    samples = max(1, round(window * rate))
    cmd = [ffmpeg.tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), "-vn",
           "-ac", "1", "-ar", str(rate), "-f", "f32le", "pipe:1"]
    levels = [20 * np.log10(max(float(np.sqrt(np.mean(np.square(chunk.astype(np.float64))))), 1e-6))
              for _, chunk in _read_pipe(cmd, samples * 4, cancelled,
                                         lambda i, buf: (i, np.frombuffer(buf, np.float32)), partial_last=True)]
    return np.array(levels, dtype=np.float64)


def _read_pipe(cmd: list[str], chunk: int, cancelled: Callable[[], bool] | None, convert,
               partial_last: bool = False) -> Iterator:
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, bufsize=chunk * 4)
        index = 0
        try:
            while True:
                if cancelled and cancelled():
                    return
                buf = process.stdout.read(chunk)
                if partial_last:
                    buf = buf[: len(buf) // 4 * 4]
                if not buf or len(buf) < chunk and not partial_last:
                    break
                yield convert(index, buf)
                index += 1
            process.wait()
            if process.returncode != 0:
                errors.seek(0)
                detail = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
                raise EngineError(f"ffmpeg could not decode the video: {' '.join(detail)[:500]}")
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()
