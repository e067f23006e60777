"""video.autocut: cut out black, frozen and silent stretches, or jump-cut every pause of a talk.

One ffmpeg pass finds the stretches (blackdetect, freezedetect, silencedetect with the recipe's thresholds);
`plan_cut` turns them into the pieces to keep (silences keep `padding_seconds` of themselves next to the
sound around them, so speech is not clipped; kept pieces shorter than `min_keep_seconds` go too), snapped to
whole frames; `timeline.render_segments` writes them as one video. What was removed, and why, stays in
the output's meta with the cut itself (`meta["timeline"]`, for video.export_edl)."""

from __future__ import annotations

from dataclasses import dataclass, field

from muselab.engines import Context, Output, cancel_question
from muselab.video.analysis import Stretch, detect_stretches, file_stem, source_title
from muselab.video.ffmpeg import probe_video
from muselab.video.recipe import AutoCutRecipe
from muselab.video.timeline import Segment, complement, render_segments, timeline_meta

SHORT = "short"  # the reason given for a kept piece dropped because it was shorter than min_keep_seconds


@dataclass
class Removal:
    start: float
    end: float
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "reasons": self.reasons}


def _snap(seconds: float, fps: float) -> float:
    return round(seconds * fps) / fps if fps > 0 else seconds


def plan_cut(stretches: list[Stretch], duration: float, fps: float, padding: float = 0.0,
             min_keep: float = 0.0) -> tuple[list[Segment], list[Removal]]:
    """The pieces to keep and the pieces removed (with their reasons), in source seconds on frame boundaries.

    Black and frozen stretches go whole; a silence keeps `padding` at each end that touches sound (none at
    the very start or end of the video). Kept pieces shorter than `min_keep` are removed as "short"."""
    cuts: list[tuple[float, float, str]] = []
    for s in stretches:
        start, end = s.start, s.end
        if s.reason == "silence":
            start = start + padding if start > 0 else 0.0
            end = end - padding if end < duration else duration
        start, end = _snap(start, fps), min(duration, _snap(end, fps))
        if end > start:
            cuts.append((start, end, s.reason))
    kept = complement([Segment(a, b) for a, b, _ in cuts], duration, min_keep=min_keep)
    if kept and fps > 0 and duration - kept[-1].end < 0.5 / fps:
        kept[-1] = Segment(kept[-1].start, duration)  # the last frame lasts to the end of the file
    removed = []
    for gap in complement(kept, duration):
        reasons = sorted({reason for a, b, reason in cuts if a < gap.end and b > gap.start})
        covered = sum(min(b, gap.end) - max(a, gap.start) for a, b in _union([(a, b) for a, b, _ in cuts])
                      if a < gap.end and b > gap.start)
        if gap.duration - covered > 1e-6:
            reasons.append(SHORT)
        removed.append(Removal(gap.start, gap.end, reasons))
    return kept, removed


def _union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    joined: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if joined and a <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], b))
        else:
            joined.append((a, b))
    return joined


def run(recipe: AutoCutRecipe, ctx: Context) -> list[Output]:
    source = ctx.input_path(recipe.video_work_id)
    info = probe_video(source)
    cancelled = cancel_question(ctx)
    talk = recipe.jump_cut
    cut_silence = recipe.remove_silence or talk
    ctx.progress(0.0, "looking for black, frozen and silent stretches")
    stretches = detect_stretches(
        source, info,
        black=(recipe.black_threshold, recipe.black_min_seconds) if recipe.remove_black else None,
        frozen=(recipe.frozen_noise_db, recipe.frozen_min_seconds) if recipe.remove_frozen else None,
        silence=(recipe.silence_db, recipe.shortest_silence) if cut_silence else None,
        speech_band=talk, on_progress=lambda f: ctx.progress(0.4 * f, "analysing"), cancelled=cancelled)
    ctx.check_cancelled()
    kept, removed = plan_cut(stretches, info.duration, info.fps, recipe.padding_seconds, recipe.min_keep_seconds)
    kept_seconds = sum(s.duration for s in kept)
    ctx.progress(0.4, f"keeping {len(kept)} pieces, {kept_seconds:.1f} of {info.duration:.1f} s")
    out = ctx.workdir / "autocut.mp4"
    render_segments(source, info, kept, out, recipe.encoding,
                    on_progress=lambda f: ctx.progress(0.4 + 0.6 * f, "rendering the cut"), cancelled=cancelled)
    ctx.check_cancelled()
    ctx.progress(1.0, "done")
    title = source_title(ctx, recipe.video_work_id, source.name)
    notes = []
    if cut_silence and not info.has_audio:
        notes.append("the video has no sound, so no silence was cut")
    meta = {
        "timeline": timeline_meta(recipe.video_work_id, kept, 0.0, info.fps),
        "mode": "jump_cut" if talk else "clean",
        "removed": [r.to_dict() for r in removed],
        "found": [s.to_dict() for s in stretches],
        "source_seconds": info.duration,
        "kept_seconds": round(kept_seconds, 3),
        "notes": notes,
    }
    return [Output(kind="video", media_type="video/mp4", path=out, title=f"{title} (auto-cut)",
                   filename=f"{file_stem(title)}-autocut.mp4", parents=[recipe.video_work_id], meta=meta,
                   text=_describe(removed))]


def _describe(removed: list[Removal]) -> str:
    if not removed:
        return "Auto-cut: nothing to remove."
    parts = [f"{r.start:.2f}-{r.end:.2f} s ({', '.join(r.reasons)})" for r in removed]
    return "Auto-cut removed " + "; ".join(parts)
