"""ffmpeg and ffprobe, run as commands: probing a file, and running a render with progress and cancel.

The studio calls the `ffmpeg` program (Debian's package, GPL) across a process boundary, so Muselab
itself stays Apache-2.0. A missing program is a clear error naming the package to install.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from muselab.engines import EngineError

INSTALL_HINT = "install the 'ffmpeg' Debian package (sudo apt-get install ffmpeg), which brings ffmpeg and ffprobe"


def tool(name: str = "ffmpeg") -> str:
    """The path of ffmpeg or ffprobe, or a clear EngineError saying how to get it."""
    found = shutil.which(name)
    if not found:
        raise EngineError(f"{name} is not installed: {INSTALL_HINT}")
    return found


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe tells about a file: enough to plan an edit."""

    duration: float  # seconds
    format: str  # e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    size: int  # bytes
    width: int = 0
    height: int = 0
    fps: float = 0.0
    video_codec: str | None = None
    frames: int | None = None
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    def to_dict(self) -> dict:
        return asdict(self)


class ProbeError(EngineError):
    """The file is not a media file ffprobe can read, or lacks what was asked of it."""


def _rate(text: str | None) -> float:
    if not text or text in ("0/0", "0"):
        return 0.0
    num, _, den = text.partition("/")
    return float(num) / float(den or 1) if float(den or 1) else 0.0


def probe(path: Path, field: str = "video_work_id") -> MediaInfo:
    """The streams and duration of a media file; ProbeError naming `field` when it is not one."""
    cmd = [tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise ProbeError(f"{field}: ffprobe took more than 60 s to read the file; is it a media file?") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["unknown format"])[-1].replace(str(path), "").strip(" :")
        raise ProbeError(f"{field}: not a video or audio file ffmpeg can read ({reason[:200]})")
    data = json.loads(done.stdout or "{}")
    fmt = data.get("format") or {}
    video = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in data.get("streams", []) if s.get("codec_type") == "audio"), None)
    duration = float(fmt.get("duration") or (video or {}).get("duration") or (audio or {}).get("duration") or 0)
    frames = (video or {}).get("nb_frames")
    return MediaInfo(
        duration=round(duration, 3), format=fmt.get("format_name", ""), size=int(fmt.get("size") or 0),
        width=int((video or {}).get("width") or 0), height=int((video or {}).get("height") or 0),
        fps=round(_rate((video or {}).get("avg_frame_rate") or (video or {}).get("r_frame_rate")), 3),
        video_codec=(video or {}).get("codec_name"), frames=int(frames) if frames and frames.isdigit() else None,
        audio_codec=(audio or {}).get("codec_name"),
        sample_rate=int(audio["sample_rate"]) if audio and audio.get("sample_rate") else None,
        channels=(audio or {}).get("channels"),
    )


def probe_video(path: Path, field: str = "video_work_id") -> MediaInfo:
    """Like probe(), and the file must hold a video stream with a duration."""
    info = probe(path, field)
    if not info.has_video:
        raise ProbeError(f"{field}: the file has no video stream (audio only or not a video)")
    if info.duration <= 0:
        raise ProbeError(f"{field}: the video has no duration; it may be truncated or still being written")
    return info


_TIME = re.compile(r"out_time_(?:us|ms)=(\d+)")


def run(args: list[str], duration: float | None = None, on_progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] | None = None, what: str = "ffmpeg", loglevel: str = "error") -> str | None:
    """Run ffmpeg with `args` (after the program name); report the fraction done from its -progress output.

    `cancelled()` is polled; when it says so the process is stopped and None is returned. Otherwise returns
    what ffmpeg logged (at `loglevel`: "info" for the filters that report by logging, e.g. silencedetect).
    A failure raises EngineError with the end of ffmpeg's own message."""
    cmd = [tool("ffmpeg"), "-hide_banner", "-nostdin", "-y", "-loglevel", loglevel, "-progress", "pipe:1", "-nostats",
           *args]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(process.stderr), daemon=True)
    reader.start()
    last, stopped = 0.0, False
    try:
        for line in process.stdout:
            match = _TIME.match(line.strip())
            if match and duration and on_progress and time.monotonic() - last > 0.2:
                last = time.monotonic()
                on_progress(min(1.0, int(match.group(1)) / 1e6 / duration))
            if cancelled and cancelled():
                stopped = True
                process.kill()
                break
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=5)
    if stopped:
        return None
    if process.returncode != 0:
        detail = " ".join(line.strip() for line in log[-4:])[:500]
        raise EngineError(f"{what} failed (ffmpeg exit {process.returncode}): {detail}")
    return "".join(log)


def run_filter_log(args: list[str], timeout: float = 3600) -> str:
    """Run ffmpeg for what its filters log (blackdetect, silencedetect...) and return that log."""
    cmd = [tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "info", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise EngineError(f"ffmpeg analysis failed: {' '.join(done.stderr.strip().splitlines()[-3:])[:500]}")
    return done.stderr
