"""Small pieces every render of the effects, assemble and sound tasks needs: a value written safely into an
ffmpeg filter graph, one render run against a job's Context (progress and cancel), and what kind of media
a Work holds (video, picture, audio, MIDI)."""

from __future__ import annotations

from pathlib import Path

from muselab.engines import Context, EngineError, cancel_question
from muselab.video import ffmpeg


def _escape(text: str, special: str) -> str:
    return "".join("\\" + c if c in special else c for c in text)


def value(text: str) -> str:
    """`text` as one option value inside a -filter_complex graph (a path, a font pattern, a colour).

    A filter graph is parsed twice: first into filters (where `[ ] , ; ' \\` are special), then each filter's
    `key=value:key=value` options (where `' : \\` are). Escaping for the second level, then the first, lets any
    path through: `it's: [a].txt` included. Text shown on screen goes through a file (`textfile=`), never here.
    """
    return _escape(_escape(str(text), "\\':"), "\\'[],;")


def number(x: float) -> str:
    """A number for a filter option: fixed point, no exponent (ffmpeg reads '1e-05' but not every option does)."""
    return f"{x:.6f}".rstrip("0").rstrip(".") or "0"


def render(ctx: Context, args: list[str], duration: float, span: tuple[float, float] = (0.0, 1.0),
           message: str = "rendering", what: str = "ffmpeg") -> None:
    """Run one ffmpeg render for a job: progress mapped into `span` of the job, stopped when the job is cancelled
    (then Cancelled is raised here, after ffmpeg has been stopped)."""
    low, high = span

    def on_progress(fraction: float) -> None:
        ctx.progress(low + (high - low) * fraction, message)

    try:
        ffmpeg.run(args, duration=duration, on_progress=on_progress, cancelled=cancel_question(ctx), what=what)
    finally:
        ctx.check_cancelled()


IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")


def media_kind(ctx: Context, work_id: str, path: Path, probe_if_unsure: bool = True) -> str | None:
    """What a Work holds: 'picture', 'midi', 'audio' or 'video' (from its kind, else its first bytes, else ffprobe;
    None when only a probe could tell and `probe_if_unsure` is off: the caller probes anyway)."""
    try:
        work = ctx.input_work(work_id)
    except EngineError:
        work = {}
    kind, media_type = work.get("kind") or "", work.get("media_type") or ""
    if kind == "image" or media_type.startswith("image/"):
        return "picture"
    if kind == "midi" or media_type in ("audio/midi", "audio/x-midi"):
        return "midi"
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"MThd") or (head.startswith(b"RIFF") and head[8:12] == b"RMID"):
        return "midi"
    if head.startswith(IMAGE_MAGIC) or (head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
        return "picture"
    if kind == "audio" or media_type.startswith("audio/"):
        return "audio"
    if kind == "video" or media_type.startswith("video/"):
        return "video"
    if not probe_if_unsure:
        return None
    info = ffmpeg.probe(path, field=work_id)
    if info.has_video and info.duration > 0 and not info.format.endswith("_pipe"):
        return "video"
    return "audio" if info.has_audio else "picture"
