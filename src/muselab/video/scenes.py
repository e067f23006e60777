"""video.scenes: find the shots of a video, hard cuts and gradual transitions, and show them.

One pass over the video finds everything: ffmpeg decodes and shrinks every frame (framepipe), a PySceneDetect
detector looks for hard cuts in it, and `FrameStats` (gradual.py) looks for dissolves and fades, which no
single frame gives away. The two are merged into one boundary per transition, and scenes shorter than
`min_scene_seconds` are joined to a neighbour. Then come the outputs: the scene list (JSON and CSV),
a thumbnail per scene, a contact sheet, and optionally one clip per scene.

Other video tasks reuse the detection: `detect(path, recipe_like) -> list[Scene]`.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from muselab.engines import Cancelled, Context, EngineError, Output
from muselab.video import ffmpeg
from muselab.video.ffmpeg import MediaInfo, probe_video
from muselab.video.recipe import ScenesRecipe
from muselab.video.timeline import encoding_args

ANALYSIS_SIDE = 256  # frames are analysed this long on their long side unless the recipe sets `downscale`
SAMPLE_BYTES = 48_000_000  # analysis frames kept for thumbnails, at most (then seeks find the rest)
SAME_EDGES = 0.95  # a hard cut across which the edges stay this alike is light or colour changing, not a new shot
CUT_SHARE = 0.5  # a cut inside a blend wins when its one frame carries this share of the blend's change


@dataclass(frozen=True)
class Scene:
    """One shot: [start, end) in seconds, and how it begins (`transition` from the scene before)."""

    start: float
    end: float
    transition: str = "cut"  # cut | dissolve | fade; the first scene's is "cut" (the start of the video)
    score: float | None = None  # how different from the scene before: mean absolute difference 0-1 (None: first)
    start_frame: int = 0
    end_frame: int = 0  # exclusive
    transition_start: float | None = None  # dissolve or fade: where the blend begins and ends (seconds)
    transition_end: float | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def middle(self) -> float:
        return (self.start + self.end) / 2

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start", "end", "transition_start", "transition_end"):
            if data[key] is not None:
                data[key] = round(data[key], 3)
        if data["score"] is not None:
            data["score"] = round(data["score"], 4)
        return data


@dataclass
class Detection:
    """What a pass over the video found: the scenes and the facts needed to use them."""

    scenes: list[Scene]
    fps: float
    frames: int
    info: MediaInfo
    analysis_size: tuple[int, int]
    display_size: tuple[int, int]  # width and height as shown (a phone's rotation applied)
    seconds: float = 0.0  # wall time of the pass
    gradual_found: int = 0
    cuts_found: int = 0
    samples: dict[int, Any] = field(default_factory=dict)  # frame index -> analysis frame (BGR), when kept


# ------------------------------------------------------------------------------------------- options
_FIELDS = ("detector", "threshold", "gradual", "min_scene_seconds", "downscale")


def scene_options(recipe_like: Any = None) -> ScenesRecipe:
    """The detection options of a ScenesRecipe, a dict or any object with (some of) its fields; missing ones
    take ScenesRecipe's defaults, values are checked the same way (clear errors naming the field)."""
    if recipe_like is None:
        given: dict[str, Any] = {}
    elif isinstance(recipe_like, Mapping):
        given = {k: v for k, v in recipe_like.items() if k in _FIELDS}
    else:
        given = {k: getattr(recipe_like, k) for k in _FIELDS if hasattr(recipe_like, k)}
    given = {k: v for k, v in given.items() if v is not None}
    if isinstance(recipe_like, ScenesRecipe):
        return recipe_like
    return ScenesRecipe.model_validate({"video_work_id": "0" * 8, **given})


def analysis_size(width: int, height: int, downscale: int | None) -> tuple[int, int]:
    """The size frames are analysed at: width/downscale x height/downscale, or when downscale is empty
    ANALYSIS_SIDE pixels on the long side, as PySceneDetect chooses (smaller frames as they are). Measured:
    below that its content and adaptive detectors start to fire on lighting changes (see the docs).
    Thumbnails are this size too, so the frames kept during the pass serve as thumbnails."""
    factor = downscale or max(1.0, max(width, height) / ANALYSIS_SIDE)
    return max(8, round(width / factor)), max(8, round(height / factor))


# ------------------------------------------------------------------------------------------- detection
def detect(path: Path | str, recipe_like: Any = None, on_progress: Callable[[float], None] | None = None,
           cancelled: Callable[[], bool] | None = None) -> list[Scene]:
    """The scenes of the video at `path`, in order, covering it from the first frame to the last.

    `recipe_like`: a ScenesRecipe, a dict or an object with any of detector, threshold, gradual,
    min_scene_seconds, downscale (the rest take ScenesRecipe's defaults). `on_progress(fraction)` is called
    a few times a second; when `cancelled()` says so, the pass stops and raises muselab.engines.Cancelled."""
    return detect_scenes(Path(path), scene_options(recipe_like), on_progress, cancelled).scenes


def detect_scenes(path: Path, options: ScenesRecipe, on_progress: Callable[[float], None] | None = None,
                  cancelled: Callable[[], bool] | None = None, info: MediaInfo | None = None,
                  keep_samples: bool = False) -> Detection:
    """detect(), with the frame rate, frame count and probe kept (what the engine's outputs need).

    `keep_samples`: also keep evenly spaced analysis frames (within SAMPLE_BYTES), so most thumbnails need
    no second decoding."""
    from scenedetect import FrameTimecode

    from muselab.video.detectors import make_detector
    from muselab.video.framepipe import display_size, read_frames
    from muselab.video.gradual import FrameStats

    began = time.monotonic()
    info = info or probe_video(path)
    if info.fps <= 0 or info.width <= 0 or info.height <= 0:
        raise EngineError("video_work_id: the video has no frame rate or frame size ffprobe can read")
    fps = info.fps
    shown = display_size(path, info.width, info.height)
    size = analysis_size(*shown, options.downscale)
    detector = make_detector(options.detector, options.threshold, max(0, round(options.min_scene_seconds * fps)))
    stats = FrameStats(fps, gradual=options.gradual)
    expected = info.frames or max(1, round(info.duration * fps))
    base = FrameTimecode(0, fps)
    samples = _Samples(max(16, SAMPLE_BYTES // (size[0] * size[1] * 3))) if keep_samples else None
    raw_cuts: list[int] = []
    count, last_report = 0, time.monotonic()
    for frame in read_frames(path, *size):
        raw_cuts += [c.frame_num for c in detector.process_frame(base + count, frame)]
        stats.push(frame)
        if samples is not None:
            samples.offer(count, frame)
        count += 1
        if count % 16 == 0:
            if cancelled is not None and cancelled():
                raise Cancelled()
            if on_progress is not None and time.monotonic() - last_report > 0.25:
                last_report = time.monotonic()
                on_progress(min(0.99, count / expected))
    if count == 0:
        raise EngineError("video_work_id: the video has no frame ffmpeg can decode (shorter than one frame, or "
                          "damaged)")
    raw_cuts += [c.frame_num for c in detector.post_process(base + (count - 1))]
    stats.finish()
    transitions = stats.transitions()
    hard_kind = "fade" if options.detector == "threshold" else "cut"
    if hard_kind == "cut":  # the same edges on both sides: a light switched on, a colour shift, not a new shot
        raw_cuts = [c for c in raw_cuts if not 0 < c < count or stats.same_edges[c] < SAME_EDGES]
    boundaries = merge_boundaries(raw_cuts, transitions, stats.change, count, hard_kind)
    boundaries = enforce_min_length(boundaries, count, max(1, round(options.min_scene_seconds * fps)))
    scenes = to_scenes(boundaries, count, fps)
    if on_progress is not None:
        on_progress(1.0)
    return Detection(scenes, fps, count, info, size, shown, time.monotonic() - began,
                     gradual_found=sum(1 for s in scenes if s.transition != "cut"),
                     cuts_found=sum(1 for s in scenes[1:] if s.transition == "cut"),
                     samples=samples.frames if samples is not None else {})


class _Samples:
    """Every `stride`-th frame; when more than `budget` are held, every other one goes and the stride doubles,
    so a film of any length keeps frames evenly spread within a fixed memory."""

    def __init__(self, budget: int):
        self.budget, self.stride, self.frames = budget, 1, {}

    def offer(self, index: int, frame) -> None:
        if index % self.stride:
            return
        self.frames[index] = frame  # read_frames gives each frame its own buffer: nothing is copied
        if len(self.frames) > self.budget:
            self.stride *= 2
            self.frames = {i: f for i, f in self.frames.items() if i % self.stride == 0}


@dataclass
class _Boundary:
    frame: int
    kind: str
    score: float
    start: int  # the transition's frames [start, end); a cut: [frame, frame + 1)
    end: int


def merge_boundaries(cuts: list[int], transitions: list, change, frames: int,
                     hard_kind: str = "cut") -> list[_Boundary]:
    """One boundary per transition. A hard cut found inside a dissolve or fade is the same event: when that one
    frame carries at least half of the whole change it is a cut (exact to the frame), else the detector
    reacted to a step of the blend (often the last step into black) and the gradual transition stays. With
    the threshold detector, whose cuts are fades, the cut keeps its place and takes the blend's extent."""
    hard = [_Boundary(c, hard_kind, float(change[c]), c, c + 1) for c in sorted(set(cuts)) if 0 < c < frames]
    dropped: set[int] = set()
    gradual: list[_Boundary] = []
    for t in transitions:
        inside = [b for b in hard if t.start - 1 <= b.frame <= t.end]
        if hard_kind == "fade" and inside:
            for b in inside:
                b.start, b.end = t.start, t.end
        elif any(b.score >= CUT_SHARE * t.score for b in inside):
            continue
        elif 0 < t.boundary < frames:
            dropped.update(b.frame for b in inside)
            gradual.append(_Boundary(t.boundary, t.kind, t.score, t.start, t.end))
    found = [b for b in hard if b.frame not in dropped] + gradual
    return sorted(found, key=lambda b: b.frame)


def enforce_min_length(boundaries: list[_Boundary], frames: int, min_frames: int) -> list[_Boundary]:
    """Join scenes shorter than `min_frames` to a neighbour, dropping the weaker of their two boundaries."""
    kept = sorted(boundaries, key=lambda b: b.frame)
    while kept:
        edges = [0] + [b.frame for b in kept] + [frames]
        lengths = [edges[i + 1] - edges[i] for i in range(len(edges) - 1)]
        shortest = min(range(len(lengths)), key=lambda i: lengths[i])
        if lengths[shortest] >= min_frames:
            break
        # scene i lies between boundary i-1 (its start) and boundary i (its end), in kept's numbering
        candidates = [i for i in (shortest - 1, shortest) if 0 <= i < len(kept)]
        weakest = min(candidates, key=lambda i: kept[i].score)
        del kept[weakest]
    return kept


def to_scenes(boundaries: list[_Boundary], frames: int, fps: float) -> list[Scene]:
    edges = [0] + [b.frame for b in boundaries] + [frames]
    scenes = []
    for i in range(len(edges) - 1):
        b = boundaries[i - 1] if i else None
        gradual = b is not None and b.kind != "cut"
        scenes.append(Scene(
            start=edges[i] / fps, end=edges[i + 1] / fps, transition=b.kind if b else "cut",
            score=b.score if b else None, start_frame=edges[i], end_frame=edges[i + 1],
            transition_start=b.start / fps if gradual else None, transition_end=b.end / fps if gradual else None))
    return scenes


# ------------------------------------------------------------------------------------------- the engine
def run(recipe: ScenesRecipe, ctx: Context) -> list[Output]:
    """video.scenes: the scene list (JSON + CSV), thumbnails, a contact sheet and clips, as the recipe asks."""
    source = ctx.input_path(recipe.video_work_id)
    info = probe_video(source)
    title = _title(ctx, recipe.video_work_id, source)
    # progress: detection up to `found_at`, pictures up to `pictured_at`, then the clips
    found_at, pictured_at = {"none": (0.9, 1.0), "copy": (0.75, 0.85), "precise": (0.5, 0.6)}[recipe.split]
    ctx.progress(0.0, "finding the scenes")

    def progress(fraction: float) -> None:
        ctx.progress(found_at * fraction, "finding the scenes")

    found = detect_scenes(source, recipe, progress, lambda: _cancelled(ctx), info,
                          keep_samples=recipe.thumbnails or recipe.contact_sheet)
    scenes, parents = found.scenes, [recipe.video_work_id]
    ctx.progress(found_at, f"{len(scenes)} scenes found")
    listing = [s.to_dict() for s in scenes]
    facts = {"fps": found.fps, "frames": found.frames, "duration": round(found.frames / found.fps, 3),
             "width": found.display_size[0], "height": found.display_size[1], "detector": recipe.detector,
             "gradual": recipe.gradual,
             "analysis_size": list(found.analysis_size)}
    outputs = [
        Output(kind="data", media_type="application/json", title=f"Scenes of {title}", parents=parents,
               data=json.dumps({"video_work_id": recipe.video_work_id, **facts, "scenes": listing},
                               ensure_ascii=False, indent=1).encode(),
               meta={**facts, "count": len(scenes), "scenes": listing}, filename="scenes.json",
               text=f"{len(scenes)} scenes"),
        Output(kind="data", media_type="text/csv", title=f"Scenes of {title} (CSV)", parents=parents,
               data=scenes_csv(scenes).encode(), meta={"count": len(scenes), "fps": found.fps},
               filename="scenes.csv"),
    ]
    if recipe.thumbnails or recipe.contact_sheet:
        outputs += _pictures(recipe, ctx, source, info, scenes, title, found, found_at, pictured_at)
    if recipe.split != "none":
        ctx.progress(pictured_at, f"cutting {len(scenes)} clips ({recipe.split})")
        outputs += _split(recipe, ctx, source, info, scenes, found.fps, pictured_at)
    ctx.progress(1.0, f"{len(scenes)} scenes")
    return outputs


def _cancelled(ctx: Context) -> bool:
    try:
        ctx.check_cancelled()
    except Cancelled:
        return True
    return False


def _title(ctx: Context, work_id: str, source: Path) -> str:
    try:
        return str(ctx.input_work(work_id).get("title") or source.name)
    except Exception:  # noqa: BLE001 - a title is a nicety
        return source.name


def scenes_csv(scenes: list[Scene]) -> str:
    """One row per scene: number, times (seconds and timecode), frames (end exclusive), transition, score."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scene", "start", "end", "duration", "start_timecode", "end_timecode", "start_frame",
                     "end_frame", "transition", "score", "transition_start", "transition_end"])
    for i, s in enumerate(scenes, 1):
        writer.writerow([i, f"{s.start:.3f}", f"{s.end:.3f}", f"{s.duration:.3f}", timecode(s.start),
                         timecode(s.end), s.start_frame, s.end_frame, s.transition,
                         "" if s.score is None else f"{s.score:.4f}",
                         "" if s.transition_start is None else f"{s.transition_start:.3f}",
                         "" if s.transition_end is None else f"{s.transition_end:.3f}"])
    return buffer.getvalue()


def timecode(seconds: float) -> str:
    """HH:MM:SS.mmm"""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _pictures(recipe: ScenesRecipe, ctx: Context, source: Path, info: MediaInfo, scenes: list[Scene], title: str,
              found: Detection, begin: float, end: float) -> list[Output]:
    import cv2

    from muselab.video.contact import clock, contact_sheet
    from muselab.video.framepipe import grab_stills

    folder = ctx.workdir / "scenes"
    folder.mkdir(parents=True, exist_ok=True)
    ctx.progress(begin, f"taking {len(scenes)} thumbnails")
    shown_width, shown_height = found.display_size
    thumb_size = analysis_size(shown_width, shown_height, None)
    paths = [folder / f"scene-{i:04d}.png" for i in range(1, len(scenes) + 1)]
    frames: list[int] = []
    to_seek: list[int] = []
    for n, scene in enumerate(scenes):
        middle = (scene.start_frame + scene.end_frame - 1) // 2
        near = min(found.samples, key=lambda i: abs(i - middle), default=None)
        usable = found.analysis_size == thumb_size and near is not None
        if usable and abs(near - middle) <= max(2, (scene.end_frame - scene.start_frame) // 6):
            cv2.imwrite(str(paths[n]), found.samples[near])  # a kept analysis frame near the middle
            frames.append(near)
        else:
            frames.append(middle)
            to_seek.append(n)
    if to_seek:  # half a frame early, so the exact seek lands on that frame
        grab_stills(source, [max(0.0, (frames[n] - 0.5) / found.fps) for n in to_seek], [paths[n] for n in to_seek],
                    width=thumb_size[0])
    ctx.check_cancelled()
    outputs = []
    if recipe.thumbnails:
        for i, (scene, path) in enumerate(zip(scenes, paths, strict=True), 1):
            outputs.append(Output(
                kind="image", media_type="image/png", path=path, parents=[recipe.video_work_id],
                title=f"Scene {i} of {title} ({clock(scene.start)})", filename=path.name,
                meta={"scene": i, "frame": frames[i - 1], "time": round(frames[i - 1] / found.fps, 3),
                      "start": round(scene.start, 3), "end": round(scene.end, 3), "transition": scene.transition}))
    if recipe.contact_sheet:
        ctx.progress(begin + (end - begin) * 0.6, "drawing the contact sheet")
        sheet = folder / "contact-sheet.png"
        subtitle = (f"{len(scenes)} scenes · {clock(found.frames / found.fps)} · {shown_width}x{shown_height} "
                    f"{found.fps:g} fps · {recipe.detector}{' + gradual' if recipe.gradual else ''}")
        facts = contact_sheet(paths, scenes, title, subtitle, shown_width, shown_height, sheet)
        outputs.append(Output(kind="image", media_type="image/png", path=sheet, parents=[recipe.video_work_id],
                              title=f"Contact sheet of {title}", filename="contact-sheet.png",
                              meta={**facts, "scenes": len(scenes)}))
    return outputs


def _split(recipe: ScenesRecipe, ctx: Context, source: Path, info: MediaInfo, scenes: list[Scene], fps: float,
           begin: float) -> list[Output]:
    """Clips of the scenes, in one ffmpeg pass (the segment muxer).

    precise: re-encoded with a keyframe forced on each scene's first frame, so clip i is scene i to the frame.
    copy: packets as they are, so a clip can only begin on a keyframe: each scene's clip begins at the first
    keyframe at or after the scene's start (a scene shorter than the keyframe interval may share its clip
    with the next one). The clips' meta say which scenes they hold and where they really begin and end."""
    from muselab.video.contact import clock

    folder = ctx.workdir / "clips"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("clip-*.mp4"):
        old.unlink()
    total = scenes[-1].end
    if recipe.split == "precise":
        pieces = [(s.start, s.end, [i]) for i, s in enumerate(scenes, 1)]
        # half a frame early: the first frame at or after the time is the scene's first frame
        times = [(s.start_frame - 0.5) / fps for s in scenes[1:]]
        codec = [a for a in encoding_args(recipe.encoding, info.has_audio) if a not in ("-movflags", "+faststart")]
        codec += ["-force_key_frames", ",".join(f"{t:.4f}" for t in times)] if times else []
    else:
        keyframes = keyframe_times(source)
        starts: dict[float, list[int]] = {}
        for i, scene in enumerate(scenes, 1):
            key = 0.0 if i == 1 else next((k for k in keyframes if k >= scene.start - 0.5 / fps), total)
            starts.setdefault(key, []).append(i)
        keys = sorted(k for k in starts if k < total)
        pieces = [(k, keys[n + 1] if n + 1 < len(keys) else total, starts[k]) for n, k in enumerate(keys)]
        times = [k - 0.25 / fps for k in keys[1:]]  # a hair early: the split is on the keyframe at k
        codec = ["-c", "copy"]
    maps = ["-map", "0:v:0"] + (["-map", "0:a:0"] if info.has_audio else [])
    segment = ["-f", "segment", "-segment_format", "mp4", "-segment_format_options", "movflags=+faststart",
               "-reset_timestamps", "1"]
    segment += ["-segment_times", ",".join(f"{t:.4f}" for t in times)] if times else ["-segment_time", "1e9"]

    def progress(fraction: float) -> None:
        ctx.progress(begin + (1 - begin) * 0.95 * fraction, f"cutting clips ({recipe.split})")

    ffmpeg.run(["-i", str(source), *maps, *codec, *segment, str(folder / "clip-%04d.mp4")], duration=info.duration,
               on_progress=progress, cancelled=lambda: _cancelled(ctx), what=f"splitting ({recipe.split})")
    ctx.check_cancelled()
    made = sorted(folder.glob("clip-*.mp4"))
    if len(made) != len(pieces):
        raise EngineError(f"splitting made {len(made)} clips where {len(pieces)} were planned")
    outputs = []
    for n, (path, (start, end, held)) in enumerate(zip(made, pieces, strict=True), 1):
        named = f"scene {held[0]}" if len(held) == 1 else f"scenes {held[0]}-{held[-1]}"
        outputs.append(Output(
            kind="video", media_type="video/mp4", path=path, parents=[recipe.video_work_id],
            filename=f"scene-{held[0]:04d}.mp4", title=f"Clip of {named} ({clock(start)}–{clock(end)})",
            meta={"clip": n, "scenes": held, "start": round(start, 3), "end": round(end, 3), "split": recipe.split}))
    return outputs


def keyframe_times(path: Path) -> list[float]:
    """Times of the video's keyframes from its first frame, in order (read from the packets, nothing decoded)."""
    done = subprocess.run([ffmpeg.tool("ffprobe"), "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "packet=pts_time,flags", "-of", "csv=p=0", str(path)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise EngineError(f"ffprobe could not list the keyframes: {done.stderr.strip()[-300:]}")
    every, keys = [], []
    for line in done.stdout.splitlines():
        pts, _, flags = line.partition(",")
        if pts not in ("", "N/A"):
            every.append(float(pts))
            if "K" in flags:
                keys.append(float(pts))
    first = min(every, default=0.0)
    return sorted(k - first for k in keys)
