"""video.reframe: crop to 9:16, 1:1, 4:5 (or 16:9) following the moving subject, not a fixed centre crop.

1. Small grey frames are sampled 8 times a second. In each, the subject is where the picture changed since
   the sample before (the centroid of the frame difference, weighted by how much each pixel changed). When
   nothing moves the crop holds where the subject was last (or is next) seen moving in this shot, within
   HOLD_SECONDS; a shot where nothing moves at all is framed on what stands out (frequency-tuned saliency,
   Achanta et al. 2009: colour distance from the frame's mean colour; the headless OpenCV build has no
   saliency module, and spectral-residual saliency proved unstable on flat frames).
2. The path is smoothed per shot (Gaussian over `smoothing_seconds`) and kept inside the frame; at a cut
   (PySceneDetect) the crop jumps with the picture instead of panning across the cut.
3. The path is reduced to keyframes (no point further than about a pixel from the straight line between its
   neighbours) and rendered in one ffmpeg pass: `sendcmd` gives the crop a new `x` (or `y`) expression at
   each keyframe, linear in `t`, so the crop glides between keyframes frame by frame and a long video
   costs one short command per keyframe."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from muselab.engines import Context, Output, cancel_question
from muselab.video import ffmpeg
from muselab.video.analysis import (
    analysis_size,
    file_stem,
    find_scenes,
    sample_frames,
    source_title,
)
from muselab.video.ffmpeg import MediaInfo, probe_video
from muselab.video.recipe import ReframeRecipe
from muselab.video.timeline import Segment, encoding_args

RATE = 8  # samples per second
ANALYSIS_WIDTH = 192
MOTION_LEVEL = 12  # a pixel changed this much (0-255, after a light blur) is moving
MIN_MOVING = 0.0005  # ...and at least this share of the frame must move to count as motion
HOLD_SECONDS = 2.0  # with nothing moving, hold the last subject position this long (within the shot)
ASPECTS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "4:5": 4 / 5}


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


@dataclass(frozen=True)
class Box:
    """The crop: its size, the axis it moves along ("x" or "y"), and the output size."""

    width: int
    height: int
    axis: str
    out_width: int
    out_height: int

    @property
    def extent(self) -> int:  # the crop's length along the moving axis
        return self.width if self.axis == "x" else self.height


def crop_box(width: int, height: int, aspect: str, out_height: int | None = None) -> Box:
    """The largest crop of `aspect` in a width x height frame (even sizes), and the output size."""
    ratio = ASPECTS[aspect]
    if width / height >= ratio:
        crop_w, crop_h, axis = _even(min(width, height * ratio)), _even(height), "x"
    else:
        crop_w, crop_h, axis = _even(width), _even(min(height, width / ratio)), "y"
    if out_height:
        return Box(crop_w, crop_h, axis, _even(round(out_height * ratio)), out_height)
    return Box(crop_w, crop_h, axis, crop_w, crop_h)


# ------------------------------------------------------------------------------------------ finding the subject
def saliency_centre(rgb: np.ndarray) -> tuple[float, float]:
    """Where the picture stands out, as fractions (x, y) 0-1: frequency-tuned saliency (Achanta et al. 2009),
    each pixel's Lab colour distance from the frame's mean colour; the centre when nothing stands out."""
    import cv2

    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    distance = np.linalg.norm(cv2.GaussianBlur(lab, (5, 5), 0) - lab.reshape(-1, 3).mean(axis=0), axis=2)
    if distance.max() < 10:  # a flat frame: nothing stands out
        return 0.5, 0.5
    standing_out = np.where(distance >= distance.mean() + 2 * distance.std(), distance, 0)
    weights = standing_out if standing_out.sum() > 0 else distance
    ys, xs = np.indices(weights.shape)
    total = weights.sum()
    return float((xs * weights).sum() / total + 0.5) / weights.shape[1], \
        float((ys * weights).sum() / total + 0.5) / weights.shape[0]


def motion_centre(previous: np.ndarray, current: np.ndarray) -> tuple[float, float] | None:
    """The centroid of what changed between two blurred grey frames, as fractions (x, y); None if nothing moved."""
    diff = np.abs(current - previous)
    moving = diff > MOTION_LEVEL
    if moving.mean() < MIN_MOVING:
        return None
    weights = np.where(moving, diff, 0)
    ys, xs = np.indices(diff.shape)
    total = weights.sum()
    return float((xs * weights).sum() / total + 0.5) / diff.shape[1], \
        float((ys * weights).sum() / total + 0.5) / diff.shape[0]


@dataclass
class Track:
    """The subject's centre along the crop's axis (source pixels) at each sample, and how it was found."""

    times: np.ndarray
    centres: np.ndarray
    shots: np.ndarray  # the shot index of each sample
    how: list[str]  # motion | hold | saliency


def track(path: Path, info: MediaInfo, axis: str, scenes: list[Segment],
          on_progress: Callable[[float], None] | None = None, cancelled: Callable[[], bool] | None = None) -> Track:
    import cv2

    size = analysis_size(info, ANALYSIS_WIDTH)
    extent = info.width if axis == "x" else info.height
    along = 0 if axis == "x" else 1
    starts = np.array([s.start for s in scenes]) if scenes else np.array([0.0])
    times, moving, salient, shots = [], [], [], []
    previous = None
    for t, frame in sample_frames(path, RATE, size, cancelled=cancelled):
        gray = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), (5, 5), 0).astype(np.float32)
        shot = int(np.searchsorted(starts, t + 1e-6, side="right") - 1)
        new_shot = not shots or shot != shots[-1]
        found = None if new_shot or previous is None else motion_centre(previous, gray)
        times.append(max(float(starts[shot]), t - 0.5 / RATE))  # a difference shows the subject between samples
        moving.append(None if found is None else found[along] * extent)
        salient.append(saliency_centre(frame)[along] * extent if found is None else None)
        shots.append(shot)
        previous = gray
        if on_progress and info.duration and len(times) % RATE == 0:
            on_progress(min(1.0, t / info.duration))
    times_a, shots_a = np.array(times), np.array(shots, dtype=int)
    centres, how = np.zeros(len(times)), []
    seen = np.array([m is not None for m in moving], dtype=bool)
    for i, (t, shot) in enumerate(zip(times, shots, strict=True)):
        if moving[i] is not None:
            centres[i], method = moving[i], "motion"
        else:
            near = np.flatnonzero(seen & (shots_a == shot) & (np.abs(times_a - t) <= HOLD_SECONDS))
            if len(near):
                centres[i], method = moving[near[np.argmin(np.abs(times_a[near] - t))]], "hold"
            else:
                centres[i], method = salient[i], "saliency"
        how.append(method)
    return Track(times_a, centres, shots_a, how)


# ------------------------------------------------------------------------------------------ the path
def smooth(values: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing (sigma in samples). The ends are extended along a straight line fitted to the
    samples near them, so steady motion stays steady to the last sample (no lag) and one odd sample at an
    end is not mirrored into a swing."""
    if sigma <= 0 or len(values) < 3:
        return values.copy()
    radius = max(1, int(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    near = min(len(values), radius)
    steps = np.arange(1, radius + 1)
    head = np.polyfit(np.arange(near), values[:near], 1) if near > 1 else (0.0, values[0])
    tail = np.polyfit(np.arange(near), values[-near:], 1) if near > 1 else (0.0, values[-1])
    before = head[1] - head[0] * steps[::-1]
    after = tail[1] + tail[0] * (near - 1 + steps)
    return np.convolve(np.concatenate([before, values, after]), kernel, mode="valid")


def crop_path(tracked: Track, scenes: list[Segment], box: Box, frame_extent: int,
              smoothing_seconds: float) -> list[list[tuple[float, float]]]:
    """Per shot, the crop's offset (left or top edge, source pixels) as (time, offset) points, inside the frame."""
    half, low, high = box.extent / 2, 0.0, float(frame_extent - box.extent)
    shots = []
    for index, scene in enumerate(scenes):
        mine = tracked.shots == index
        if not mine.any():
            continue
        centres = smooth(np.clip(tracked.centres[mine], half, frame_extent - half), smoothing_seconds * RATE / 2)
        offsets = np.clip(centres - half, low, high)
        times = tracked.times[mine]
        points = [(scene.start, float(offsets[0]))] if times[0] > scene.start else []
        points += list(zip(times.tolist(), offsets.tolist(), strict=True))
        shots.append(points)
    return shots


def keyframes(points: list[tuple[float, float]], tolerance: float,
              longest: int = 10 * RATE) -> list[tuple[float, float]]:
    """Few points whose straight lines stay within `tolerance` of every point (greedy, one pass; a keyframe
    at least every `longest` points keeps the work linear on long still shots)."""
    if len(points) <= 2:
        return list(points)
    kept = [points[0]]
    anchor = 0
    for end in range(2, len(points)):
        (t0, x0), (t1, x1) = points[anchor], points[end]
        between = points[anchor + 1: end]
        if end - anchor > longest or any(abs(x0 + (x1 - x0) * (t - t0) / (t1 - t0) - x) > tolerance
                                         for t, x in between):
            kept.append(points[end - 1])
            anchor = end - 1
    kept.append(points[-1])
    return kept


def crop_commands(shots: list[list[tuple[float, float]]], axis: str, target: str = "crop@reframe") -> str:
    """sendcmd lines: at each keyframe the crop's offset becomes a line in t towards the next keyframe."""
    lines = []
    for points in shots:
        for (t0, x0), (t1, x1) in zip(points, points[1:], strict=False):
            slope = (x1 - x0) / (t1 - t0) if t1 > t0 else 0.0
            lines.append(f"{t0:.4f} {target} {axis} {x0:.2f}+(t-{t0:.4f})*({slope:.4f});")
        t_last, x_last = points[-1]
        lines.append(f"{t_last:.4f} {target} {axis} {x_last:.2f};")
    return "\n".join(lines) + "\n"


_SAFE_PATH = re.compile(r"[A-Za-z0-9_./-]+")


def _command_file(text: str, workdir: Path) -> Path:
    """Where ffmpeg reads the commands: in the job's folder, or a temp folder if that path needs escaping."""
    path = workdir / "reframe.cmd"
    if not _SAFE_PATH.fullmatch(str(path)):
        path = Path(tempfile.mkdtemp(prefix="muselab-reframe-")) / "reframe.cmd"
    path.write_text(text)
    return path


def run(recipe: ReframeRecipe, ctx: Context) -> list[Output]:
    source = ctx.input_path(recipe.video_work_id)
    info = probe_video(source)
    cancelled = cancel_question(ctx)
    box = crop_box(info.width, info.height, recipe.aspect, recipe.height)
    frame_extent = info.width if box.axis == "x" else info.height
    ctx.progress(0.0, "finding the shots")
    scenes = find_scenes(source, info, lambda f: ctx.progress(0.2 * f, "finding the shots"), cancelled)
    ctx.check_cancelled()
    ctx.progress(0.2, "following the subject")
    tracked = track(source, info, box.axis, scenes, lambda f: ctx.progress(0.2 + 0.25 * f, "following the subject"),
                    cancelled)
    ctx.check_cancelled()
    shots = [keyframes(points, tolerance=max(1.0, 0.002 * frame_extent))
             for points in crop_path(tracked, scenes, box, frame_extent, recipe.smoothing_seconds)]
    if not shots:  # no frame could be read: a centre crop
        shots = [[(0.0, (frame_extent - box.extent) / 2)]]
    commands = _command_file(crop_commands(shots, box.axis), ctx.workdir)
    first = shots[0][0][1]
    x, y = (f"{first:.2f}", "0") if box.axis == "x" else ("0", f"{first:.2f}")
    scale = f",scale={box.out_width}:{box.out_height}" if (box.out_width, box.out_height) != (box.width,
                                                                                              box.height) else ""
    graph = (f"[0:v]sendcmd=f={commands},crop@reframe=w={box.width}:h={box.height}:x={x}:y={y}{scale},"
             f"setsar=1[v]")
    out = ctx.workdir / "reframe.mp4"
    maps = ["-map", "[v]"] + (["-map", "0:a:0"] if info.has_audio else [])
    ctx.progress(0.45, f"rendering {box.out_width}x{box.out_height}")
    ffmpeg.run(["-i", str(source), "-filter_complex", graph, *maps, *encoding_args(recipe.encoding, info.has_audio),
                str(out)], duration=info.duration, cancelled=cancelled, what="rendering the reframed video",
               on_progress=lambda f: ctx.progress(0.45 + 0.55 * f, "rendering"))
    ctx.check_cancelled()
    ctx.progress(1.0, "done")
    title = source_title(ctx, recipe.video_work_id, source.name)
    found = {m: round(tracked.how.count(m) / max(1, len(tracked.how)), 3) for m in ("motion", "hold", "saliency")}
    meta = {"aspect": recipe.aspect, "crop": [box.width, box.height], "size": [box.out_width, box.out_height],
            "axis": box.axis, "shots": len(scenes), "subject_found_by": found,
            "keyframe_count": sum(len(points) for points in shots)}
    if meta["keyframe_count"] <= 2000:  # the crop path per shot, (time, offset), while it stays small
        meta["keyframes"] = [[[round(t, 3), round(v, 1)] for t, v in points] for points in shots]
    tag = recipe.aspect.replace(":", "x")
    return [Output(kind="video", media_type="video/mp4", path=out, title=f"{title} ({recipe.aspect})",
                   filename=f"{file_stem(title)}-{tag}.mp4", parents=[recipe.video_work_id], meta=meta,
                   text=f"{title} reframed to {recipe.aspect} ({box.out_width}x{box.out_height}), following the "
                        f"subject")]
