"""video.highlights: the best scenes of a video, in order, to a length, joined with short crossfades.

1. The scenes (shots) come from PySceneDetect; a long take is split into parts so it can give more than one
   piece. 2. One pass of small frames sampled 5 times a second measures motion (mean frame difference) and
   colour (an HSV histogram), and the sound's level is read alongside (RMS per 0.2 s). 3. Each scene gets a
   score: motion, loudness, a mild preference for the opening and the end, and, while choosing, how different
   its colours are from the scenes already chosen (variety). 4. The best are taken until the target length is
   reached, each trimmed to `max_shot_seconds` around its most active part; then pieces are shortened so the
   render (crossfades overlap the pieces) lasts the target. They play in their original order; a trailer
   (shorter shots, loudness counts more) ends on its strongest piece."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from muselab.engines import Context, EngineError, Output, cancel_question
from muselab.video.analysis import (
    analysis_size,
    file_stem,
    find_scenes,
    sample_frames,
    sound_levels,
    source_title,
)
from muselab.video.ffmpeg import MediaInfo, probe_video
from muselab.video.recipe import HighlightsRecipe
from muselab.video.timeline import Segment, render_segments, rendered_length, timeline_meta

SAMPLES_PER_SECOND = 5
SILENCE_DB = -60.0  # quieter than this counts as no sound at all


@dataclass(frozen=True)
class Weights:
    motion: float
    loudness: float
    variety: float
    position: float


SUMMARY = Weights(motion=0.35, loudness=0.35, variety=0.2, position=0.1)
TRAILER = Weights(motion=0.35, loudness=0.5, variety=0.1, position=0.05)


@dataclass
class Candidate:
    """A scene (or part of a long take) that may give one piece of the highlights."""

    start: float
    end: float
    motion: float = 0.0  # mean absolute frame difference, 0-1
    loudness_db: float = -120.0
    histogram: np.ndarray | None = None
    base: float = 0.0  # score without variety
    variety: float | None = None  # at the moment it was chosen
    piece: Segment | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "motion": round(self.motion, 4),
                "loudness_db": round(self.loudness_db, 1), "score": round(self.base, 4),
                "variety": None if self.variety is None else round(self.variety, 3), "chosen": self.piece is not None,
                "piece": [round(self.piece.start, 3), round(self.piece.end, 3)] if self.piece else None}


# ------------------------------------------------------------------------------------------ scenes
def split_long(scenes: list[Segment], max_shot: float) -> list[Segment]:
    """Scenes longer than two pieces split into parts about two pieces long, so a long take gives several."""
    parts = []
    for scene in scenes:
        n = int(scene.duration // (2 * max_shot))
        if n < 2:
            parts.append(scene)
            continue
        step = scene.duration / n
        parts += [Segment(scene.start + i * step, scene.start + (i + 1) * step) for i in range(n)]
    return parts


# ------------------------------------------------------------------------------------------ measuring
@dataclass
class Signals:
    """Per sample (SAMPLES_PER_SECOND a second): motion 0-1 (to the previous sample), loudness dB, histogram."""

    times: np.ndarray
    motion: np.ndarray
    loudness: np.ndarray
    histograms: np.ndarray


def measure(path: Path, info: MediaInfo, on_progress: Callable[[float], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> Signals:
    import cv2

    motion, histograms = [], []
    previous = None
    for t, frame in sample_frames(path, SAMPLES_PER_SECOND, analysis_size(info, 160), cancelled=cancelled):
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.int16)
        motion.append(0.0 if previous is None else float(np.mean(np.abs(gray - previous))) / 255)
        previous = gray
        hsv = cv2.cvtColor(frame, cv2.COLOR_RGB2HSV)
        hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
        histograms.append(hist / max(1.0, float(hist.sum())))
        if on_progress and info.duration and len(motion) % 25 == 0:
            on_progress(min(1.0, t / info.duration))
    n = len(motion)
    loudness = np.full(n, -120.0)
    if info.has_audio and n:
        levels = sound_levels(path, window=1 / SAMPLES_PER_SECOND, cancelled=cancelled)[:n]
        loudness[: len(levels)] = levels
    return Signals(np.arange(n) / SAMPLES_PER_SECOND, np.array(motion), loudness,
                   np.array(histograms) if histograms else np.zeros((0, 128)))


def _loudness_level(db: np.ndarray, peak: float) -> np.ndarray:
    """Loudness as 0 (silence) to 1 (the video's loudest)."""
    return np.clip((db - SILENCE_DB) / max(1.0, peak - SILENCE_DB), 0, 1)


def activity(signals: Signals) -> np.ndarray:
    """Per sample, how much happens: normalised motion plus normalised loudness."""
    top = float(signals.motion.max()) if len(signals.motion) else 0.0
    motion = signals.motion / top if top > 0 else signals.motion
    peak = float(signals.loudness.max()) if len(signals.loudness) else SILENCE_DB
    return motion + _loudness_level(signals.loudness, peak)


def score(candidates: list[Candidate], signals: Signals, duration: float, weights: Weights) -> None:
    """Fill each candidate's motion, loudness, histogram and base score."""
    for c in candidates:
        inside = _inner(c, signals)
        # The first sample of a scene differs from the last of the one before: that is the cut, not motion.
        moving = inside & (signals.times - 1 / SAMPLES_PER_SECOND >= c.start)
        c.motion = float(signals.motion[moving].mean()) if moving.any() else 0.0
        power = 10 ** (signals.loudness[inside] / 10)
        c.loudness_db = float(10 * np.log10(max(power.mean(), 1e-12))) if inside.any() else -120.0
        c.histogram = signals.histograms[inside].mean(axis=0) if inside.any() else None
    top_motion = max((c.motion for c in candidates), default=0.0)
    peak = max((c.loudness_db for c in candidates), default=SILENCE_DB)
    for c in candidates:
        middle = (c.start + c.end) / 2 / duration if duration else 0.5
        position = max(0.0, 1 - middle / 0.15) + max(0.0, 1 - (1 - middle) / 0.15)
        motion = c.motion / top_motion if top_motion > 0 else 0.0
        loud = float(_loudness_level(np.array(c.loudness_db), peak))
        c.base = weights.motion * motion + weights.loudness * loud + weights.position * min(1.0, position)


EDGE = 0.25  # seconds at each end of a scene left out of its measures: a cut found a frame late leaks no spike


def _inner(c: Candidate, signals: Signals) -> np.ndarray:
    """Which samples measure the candidate: those inside it, less EDGE at each end when it is long enough."""
    margin = EDGE if c.duration > 4 * EDGE else 0.0
    return (signals.times >= c.start + margin) & (signals.times < c.end - margin)


def _distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None:
        return 0.0
    return float(0.5 * np.abs(a - b).sum())  # total variation: 0 same colours, 1 nothing in common


def most_active(c: Candidate, length: float, act: np.ndarray, signals: Signals) -> Segment:
    """The window of `length` inside the candidate where the most happens."""
    if length >= c.duration:
        return Segment(c.start, c.end)
    inside = np.flatnonzero((signals.times >= c.start) & (signals.times < c.end))
    span = int(round(length * SAMPLES_PER_SECOND))
    if len(inside) <= span or span < 1:
        return Segment(c.start, c.start + length)
    weights = act[inside] * _inner(c, signals)[inside]  # the edges may belong to the neighbouring scene
    sums = np.convolve(weights, np.ones(span), mode="valid")
    best = int(np.argmax(sums))
    start = min(max(c.start, float(signals.times[inside[best]])), c.end - length)
    return Segment(start, start + length)


# ------------------------------------------------------------------------------------------ choosing
def choose(candidates: list[Candidate], signals: Signals, target: float, max_shot: float, min_piece: float,
           crossfade: float, weights: Weights, trailer: bool) -> list[Candidate]:
    """Pick pieces by score (with variety) until the render lasts `target`; return them in playing order."""
    act = activity(signals)
    pool = [c for c in candidates if c.duration >= min_piece]
    chosen: list[Candidate] = []

    def length() -> float:
        return rendered_length([c.piece for c in sorted(chosen, key=lambda c: c.start)], crossfade)

    while pool and length() < target:
        def total(c: Candidate) -> float:
            variety = min((_distance(c.histogram, o.histogram) for o in chosen), default=1.0)
            return c.base + weights.variety * variety

        best = max(pool, key=total)
        pool.remove(best)
        best.variety = min((_distance(best.histogram, o.histogram) for o in chosen), default=1.0)
        best.piece = most_active(best, min(best.duration, max_shot), act, signals)
        chosen.append(best)
    # Too long: shorten the weakest pieces first (never below min_piece), around their most active part.
    for c in sorted(chosen, key=lambda c: c.base + weights.variety * (c.variety or 0)):
        excess = length() - target
        if excess <= 1e-6:
            break
        new_length = max(min_piece, c.piece.duration - excess)
        c.piece = most_active(Candidate(c.piece.start, c.piece.end), new_length, act, signals)
    # Too short (few scenes, short max_shot): let the strongest pieces grow past max_shot, inside their scene.
    for c in sorted(chosen, key=lambda c: -c.base):
        missing = target - length()
        if missing <= 1e-6:
            break
        c.piece = most_active(c, min(c.duration, c.piece.duration + missing), act, signals)
    ordered = sorted(chosen, key=lambda c: c.start)
    if trailer and len(ordered) > 1:
        strongest = max(ordered, key=lambda c: c.base)
        ordered.remove(strongest)
        ordered.append(strongest)
    return ordered


def _on_frames(pieces: list[Segment], fps: float, duration: float) -> list[Segment]:
    if fps <= 0:
        return pieces
    snapped = []
    for p in pieces:
        start = round(p.start * fps) / fps
        end = min(duration, max(start + 1 / fps, round(p.end * fps) / fps))
        snapped.append(Segment(start, end))
    return snapped


def run(recipe: HighlightsRecipe, ctx: Context) -> list[Output]:
    source = ctx.input_path(recipe.video_work_id)
    info = probe_video(source)
    if info.duration <= recipe.target_seconds:
        raise EngineError(f"target_seconds: the video lasts {info.duration:.1f} s, so highlights of "
                          f"{recipe.target_seconds:g} s would not be shorter; ask for less than {info.duration:.0f} s")
    cancelled = cancel_question(ctx)
    trailer = recipe.mode == "trailer"
    weights = TRAILER if trailer else SUMMARY
    max_shot = recipe.max_shot_seconds or (2.5 if trailer else 8.0)
    crossfade = recipe.crossfade_seconds
    min_piece = min(max_shot, max(0.8 if trailer else 1.2, 3 * crossfade))

    ctx.progress(0.0, "finding the scenes")
    scenes = find_scenes(source, info, lambda f: ctx.progress(0.3 * f, "finding the scenes"), cancelled)
    ctx.check_cancelled()
    ctx.progress(0.3, f"{len(scenes)} scenes; measuring motion, colour and sound")
    signals = measure(source, info, lambda f: ctx.progress(0.3 + 0.2 * f, "measuring motion, colour and sound"),
                      cancelled)
    ctx.check_cancelled()
    candidates = [Candidate(s.start, s.end) for s in split_long(scenes, max_shot)]
    score(candidates, signals, info.duration, weights)
    ordered = choose(candidates, signals, recipe.target_seconds, max_shot, min_piece, crossfade, weights, trailer)
    if not ordered:
        raise EngineError("no scene is long enough to use; lower crossfade_seconds or max_shot_seconds")
    pieces = _on_frames([c.piece for c in ordered], info.fps, info.duration)
    length = rendered_length(pieces, crossfade)
    ctx.progress(0.5, f"{len(pieces)} pieces, {length:.1f} s; rendering")
    out = ctx.workdir / ("trailer.mp4" if trailer else "highlights.mp4")
    render_segments(source, info, pieces, out, recipe.encoding, crossfade=crossfade,
                    on_progress=lambda f: ctx.progress(0.5 + 0.5 * f, "rendering"), cancelled=cancelled)
    ctx.check_cancelled()
    ctx.progress(1.0, "done")
    title = source_title(ctx, recipe.video_work_id, source.name)
    kind = "trailer" if trailer else "highlights"
    meta = {
        "timeline": timeline_meta(recipe.video_work_id, pieces, crossfade, info.fps),
        "mode": recipe.mode,
        "target_seconds": recipe.target_seconds,
        "seconds": round(length, 3),
        "scenes": [c.to_dict() for c in candidates],
        "weights": weights.__dict__,
    }
    text = f"{kind.capitalize()} of {title}: " + ", ".join(f"{p.start:.1f}-{p.end:.1f} s" for p in pieces)
    return [Output(kind="video", media_type="video/mp4", path=out, title=f"{title} ({kind})",
                   filename=f"{file_stem(title)}-{kind}.mp4", parents=[recipe.video_work_id], meta=meta, text=text)]
