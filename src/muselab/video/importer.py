"""A person's video enters the library only after ffprobe has read it: streams, duration, frame rate, size."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from muselab.video.ffmpeg import ProbeError, probe_video

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm", ".mkv")
MEDIA_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
               ".mkv": "video/x-matroska"}


def import_check(max_minutes: float) -> Callable[[Path], dict]:
    """A check for Studio.upload: the probe's facts (kept as the Work's meta), or ProbeError naming the problem."""

    def check(path: Path) -> dict:
        info = probe_video(path, field="file")
        if info.duration > max_minutes * 60:
            raise ProbeError(f"file: the video is {info.duration / 60:.0f} minutes long; the studio takes videos up "
                             f"to {max_minutes:g} minutes (setting MUSELAB_MAX_VIDEO_MINUTES)")
        return {"probe": info.to_dict()}

    return check


def media_type_for(filename: str, given: str | None) -> str:
    """The media type to keep: a video type from the name when the client sent none or a generic one."""
    if given and given.startswith("video/"):
        return given
    return MEDIA_TYPES.get(Path(filename).suffix.lower(), "video/mp4")
