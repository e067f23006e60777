"""A cut as data, and its render: kept pieces of one source, joined by hard cuts or crossfades.

Auto-cut, highlights and the edit-list export share this: an engine decides which pieces to keep
(`Segment`s in source seconds), `render_segments` writes them as one video with ffmpeg, and the
timeline travels in the output Work's meta so the cut can be exported for a desktop editor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from muselab.video import ffmpeg
from muselab.video.ffmpeg import MediaInfo
from muselab.video.recipe import Encoding


@dataclass(frozen=True)
class Segment:
    start: float  # seconds in the source
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def merge(segments: list[Segment], gap: float = 0.0) -> list[Segment]:
    """Sorted, with overlapping (or closer than `gap`) pieces joined."""
    merged: list[Segment] = []
    for seg in sorted(segments, key=lambda s: s.start):
        if merged and seg.start <= merged[-1].end + gap:
            merged[-1] = Segment(merged[-1].start, max(merged[-1].end, seg.end))
        else:
            merged.append(seg)
    return merged


def complement(cuts: list[Segment], duration: float, padding: float = 0.0, min_keep: float = 0.0) -> list[Segment]:
    """The pieces of [0, duration] outside `cuts`, each cut shrunk by `padding` on both sides."""
    kept, position = [], 0.0
    for cut in merge(cuts):
        start, end = cut.start + padding, cut.end - padding
        if end <= start:
            continue
        if start - position >= max(min_keep, 1e-3):
            kept.append(Segment(position, start))
        position = max(position, end)
    if duration - position >= max(min_keep, 1e-3):
        kept.append(Segment(position, duration))
    return kept


def join_fades(segments: list[Segment], crossfade: float) -> list[float]:
    """The crossfade at each join as rendered: never more than a third of the shorter piece (0: hard cuts)."""
    if crossfade <= 0:
        return [0.0] * max(0, len(segments) - 1)
    return [min(crossfade, a.duration / 3, b.duration / 3) for a, b in zip(segments, segments[1:], strict=False)]


def rendered_length(segments: list[Segment], crossfade: float) -> float:
    """How long the render of `segments` joined with `crossfade` lasts (each crossfade overlaps two pieces)."""
    return sum(s.duration for s in segments) - sum(join_fades(segments, crossfade))


def timeline_meta(source_work_id: str, segments: list[Segment], crossfade: float, fps: float) -> dict:
    """What an output Work keeps of its cut (read back by video.export_edl)."""
    return {"source": source_work_id, "fps": fps, "crossfade": crossfade,
            "segments": [[round(s.start, 3), round(s.end, 3)] for s in segments]}


def encoding_args(encoding: Encoding, audio: bool = True) -> list[str]:
    args = ["-c:v", "libx264", "-preset", encoding.preset, "-crf", str(encoding.crf), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart"]
    return args + (["-c:a", "aac", "-b:a", "160k"] if audio else ["-an"])


def segments_filter(segments: list[Segment], has_audio: bool, crossfade: float) -> tuple[str, str, str | None]:
    """An ffmpeg filter graph keeping `segments` of input 0; returns (graph, video label, audio label)."""
    n = len(segments)
    parts = [f"[0:v]split={n}" + "".join(f"[v{i}]" for i in range(n))] if n > 1 else ["[0:v]null[v0]"]
    if has_audio:
        parts.append(f"[0:a]asplit={n}" + "".join(f"[a{i}]" for i in range(n)) if n > 1 else "[0:a]anull[a0]")
    for i, seg in enumerate(segments):
        parts.append(f"[v{i}]trim=start={seg.start:.3f}:end={seg.end:.3f},setpts=PTS-STARTPTS[vt{i}]")
        if has_audio:
            parts.append(f"[a{i}]atrim=start={seg.start:.3f}:end={seg.end:.3f},asetpts=PTS-STARTPTS[at{i}]")
    if n == 1:
        return ";".join(parts), "[vt0]", "[at0]" if has_audio else None
    if crossfade <= 0:
        inputs = "".join(f"[vt{i}]" + (f"[at{i}]" if has_audio else "") for i in range(n))
        parts.append(f"{inputs}concat=n={n}:v=1:a={1 if has_audio else 0}[vout]" + ("[aout]" if has_audio else ""))
        return ";".join(parts), "[vout]", "[aout]" if has_audio else None
    # Crossfades: each join overlaps the pieces by `fade` (never more than a third of the shorter one).
    video, audio, length = "[vt0]", "[at0]", segments[0].duration
    for i, fade in enumerate(join_fades(segments, crossfade), start=1):
        offset = max(0.0, length - fade)
        parts.append(f"{video}[vt{i}]xfade=transition=fade:duration={fade:.3f}:offset={offset:.3f}[vx{i}]")
        video = f"[vx{i}]"
        if has_audio:
            parts.append(f"{audio}[at{i}]acrossfade=d={fade:.3f}[ax{i}]")
            audio = f"[ax{i}]"
        length = offset + segments[i].duration
    return ";".join(parts), video, audio if has_audio else None


def render_segments(source: Path, info: MediaInfo, segments: list[Segment], out: Path, encoding: Encoding,
                    crossfade: float = 0.0, on_progress: Callable[[float], None] | None = None,
                    cancelled: Callable[[], bool] | None = None) -> Path:
    """Write the kept `segments` of `source` as one MP4."""
    if not segments:
        from muselab.engines import EngineError

        raise EngineError("nothing is left to keep: every part of the video was cut; loosen the thresholds")
    graph, video, audio = segments_filter(segments, info.has_audio, crossfade)
    maps = ["-map", video] + (["-map", audio] if audio else [])
    total = sum(s.duration for s in segments)
    ffmpeg.run(["-i", str(source), "-filter_complex", graph, *maps, *encoding_args(encoding, bool(audio)), str(out)],
               duration=total, on_progress=on_progress, cancelled=cancelled, what="rendering the cut")
    return out
