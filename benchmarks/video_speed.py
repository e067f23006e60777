"""Scene detection: Muselab's video.scenes against the PySceneDetect command line, on a labelled test video.

    python benchmarks/video_speed.py                      # = --runs 3 --size 640x360 --seconds 64
    python benchmarks/video_speed.py --runs 5 --size 1280x720 --keep /tmp/scene-bench
    python benchmarks/video_speed.py --encode medium     # the clip re-encoded as cameras and editors write it
                                                         # (CABAC, B-frames, deblocking, a keyframe every 10 s)

1. Makes a test video with known boundaries (muselab.video.synth: lavfi sources joined by hard cuts and
   dissolves at known frames; >= 60 s, >= 10 hard cuts, >= 4 dissolves of 0.5-1.2 s). Its truth is the labels.
2. Peer: `scenedetect -i clip.mp4 list-scenes -f out.csv`, run as a subprocess as a user would (PySceneDetect's
   defaults: detect-adaptive, min scene length 0.6 s, auto downscale), its CSV read back.
   Ours: the video.scenes engine with its defaults (adaptive + gradual, thumbnails and contact sheet written
   too), run in this process through run_task; also `detect()` alone (the scene list only).
3. Runs are interleaved (peer, ours, detect) and medians compared, because the machine is shared. A found
   boundary matches a hard cut within one frame, a dissolve anywhere inside it +-0.5 s (one match each).
Goals (issue #10): our F1 >= the CLI's, and speed (their time / our time) >= 0.95.
The exit code is 0 only when both are met.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from muselab.engines import LocalContext, run_task  # noqa: E402
from muselab.video import ffmpeg  # noqa: E402
from muselab.video.scenes import detect  # noqa: E402
from muselab.video.synth import Shot, Truth, make_video  # noqa: E402

WORK_ID = "0123456789abcdef"
FPS = 25


def labelled_clip(folder: Path, size: tuple[int, int], seconds: float, encode: str | None = None) -> tuple[Path, Truth]:
    """The test video and its truth; made once per folder, size and length (kept when --keep is given)."""
    width, height = size
    clip = folder / f"scenes-{width}x{height}-{seconds:g}s{'-' + encode if encode else ''}.mp4"
    if encode:  # the same frames, written the way cameras and editors do; the truth does not change
        plain, truth = labelled_clip(folder, size, seconds)
        if not clip.is_file():
            ffmpeg.run(["-i", str(plain), "-c:v", "libx264", "-preset", encode, "-crf", "23", "-g", str(10 * FPS),
                        "-pix_fmt", "yuv420p", "-c:a", "copy", str(clip)], what="re-encoding the test video")
        return clip, truth
    labels = clip.with_suffix(".json")
    if clip.is_file() and labels.is_file():
        data = json.loads(labels.read_text())
        return clip, Truth([float(c) for c in data["cuts"]], [tuple(d) for d in data["dissolves"]], data["duration"])
    # whole frames only (synth's truth adds shot lengths, the video rounds each shot up to a frame)
    lengths = [3.4, 2.6, 4.2, 3.0, 2.8, 3.6, 2.4, 4.4, 3.2, 2.6, 3.8, 3.0, 2.8, 4.0, 3.4, 2.6, 3.6, 3.0, 2.8, 4.2]
    fades = [0.6, 1.0, 0.52, 0.8, 1.2, 0.72, 0.6, 0.92]
    shots, joins, total = [], [], 0.0
    while total < seconds:
        if shots:  # every third join is a dissolve (its length overlaps the two shots)
            joins.append(fades[(len(joins) // 3) % len(fades)] if len(joins) % 3 == 2 else 0.0)
            total -= joins[-1]
        length = lengths[len(shots) % len(lengths)]
        shots.append(Shot(seconds=length, source=(3 * len(shots)) % 8))  # neighbours differ: 3, 8 coprime
        total += length
    truth = make_video(clip, shots, joins, width=width, height=height, fps=FPS)
    labels.write_text(json.dumps({"cuts": truth.cuts, "dissolves": truth.dissolves, "duration": truth.duration}))
    return clip, truth


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    cuts_found: int
    dissolves_found: int
    found: int


def score(found: list[float], truth: Truth, fps: float = FPS) -> Score:
    """Match each found boundary (seconds) to at most one true boundary: a cut within one frame, a dissolve
    inside its interval +-0.5 s; the nearest free one wins."""
    targets = [("cut", c - 1 / fps - 1e-6, c + 1 / fps + 1e-6, c) for c in truth.cuts]
    targets += [("dissolve", a - 0.5, b + 0.5, (a + b) / 2) for a, b in truth.dissolves]
    used: set[int] = set()
    hits = {"cut": 0, "dissolve": 0}
    for time_ in sorted(found):
        free = [i for i, (_, low, high, _) in enumerate(targets) if i not in used and low <= time_ <= high]
        if free:
            best = min(free, key=lambda i: abs(time_ - targets[i][3]))
            used.add(best)
            hits[targets[best][0]] += 1
    matched = len(used)
    precision = matched / len(found) if found else 0.0
    recall = matched / len(targets) if targets else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, hits["cut"], hits["dissolve"], len(found))


def cli_boundaries(csv_path: Path) -> list[float]:
    """Scene starts (after the first) from PySceneDetect's list-scenes CSV."""
    rows = list(csv.reader(csv_path.read_text().splitlines()))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "Scene Number")
    column = rows[header].index("Start Time (seconds)")
    return [float(row[column]) for row in rows[header + 2:] if row]


def run_cli(scenedetect: str, clip: Path, folder: Path) -> tuple[float, list[float]]:
    out = folder / "out.csv"
    out.unlink(missing_ok=True)
    began = time.perf_counter()
    subprocess.run([scenedetect, "-i", str(clip), "list-scenes", "-f", out.name], cwd=folder, check=True,
                   capture_output=True)
    return time.perf_counter() - began, cli_boundaries(out)


def run_engine(clip: Path, folder: Path) -> tuple[float, list[float]]:
    workdir = folder / "engine"
    shutil.rmtree(workdir, ignore_errors=True)
    ctx = LocalContext(workdir=workdir, inputs={WORK_ID: clip})
    began = time.perf_counter()
    outputs = run_task("video.scenes", {"video_work_id": WORK_ID, "seed": 0}, ctx)
    seconds = time.perf_counter() - began
    scenes = outputs[0].meta["scenes"]
    return seconds, [s["start"] for s in scenes[1:]]


def run_detect(clip: Path) -> tuple[float, list[float]]:
    began = time.perf_counter()
    scenes = detect(clip)
    return time.perf_counter() - began, [s.start for s in scenes[1:]]


def bench_scenes(runs: int = 3, size: tuple[int, int] = (640, 360), seconds: float = 64.0,
                 keep: Path | None = None, scenedetect: str | None = None, encode: str | None = None) -> dict:
    """Measure F1 and wall time of the peer CLI, our engine and detect() on one labelled clip."""
    scenedetect = scenedetect or shutil.which("scenedetect") or str(Path(sys.executable).parent / "scenedetect")
    if not Path(scenedetect).exists():
        raise SystemExit("the scenedetect command line is not installed (pip install scenedetect-headless)")
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="scene-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        began = time.perf_counter()
        clip, truth = labelled_clip(folder, size, seconds, encode)
        made = time.perf_counter() - began
        # warm up: imports, the clip in the page cache
        run_cli(scenedetect, clip, folder)
        run_engine(clip, folder)
        times: dict[str, list[float]] = {"cli": [], "engine": [], "detect": []}
        found: dict[str, list[float]] = {}
        for _ in range(runs):
            for name, call in (("cli", lambda: run_cli(scenedetect, clip, folder)),
                               ("engine", lambda: run_engine(clip, folder)), ("detect", lambda: run_detect(clip))):
                seconds_, boundaries = call()
                times[name].append(seconds_)
                found[name] = boundaries
        scores = {name: score(found[name], truth) for name in times}
        return {"clip": clip.name, "size": size, "duration": truth.duration, "cuts": len(truth.cuts),
                "dissolves": len(truth.dissolves), "made_in": made, "runs": runs, "times": times,
                "median": {name: statistics.median(values) for name, values in times.items()}, "scores": scores}
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT of the test video")
    parser.add_argument("--seconds", type=float, default=64.0, help="length of the test video (>= 60)")
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep (and reuse) the test video in")
    parser.add_argument("--scenedetect", default=None, help="path of the scenedetect command")
    parser.add_argument("--encode", default=None, help="re-encode the test video with this x264 preset (medium...)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    width, _, height = args.size.partition("x")
    result = bench_scenes(args.runs, (int(width), int(height)), args.seconds, args.keep, args.scenedetect,
                          args.encode)
    import scenedetect

    print(f"machine: {platform.node()} {platform.machine()}, Python {platform.python_version()}, "
          f"PySceneDetect {scenedetect.__version__}")
    print(f"clip: {result['clip']} {result['duration']:.1f} s, {result['cuts']} hard cuts, {result['dissolves']} "
          f"dissolves (made in {result['made_in']:.0f} s); medians of {result['runs']} interleaved runs")
    print()
    names = {"cli": "scenedetect CLI (defaults)", "engine": "Muselab video.scenes (defaults)",
             "detect": "Muselab detect() only"}
    print(f"| {'run':33} | {'median s':>8} | {'runs (s)':20} | {'P':>5} | {'R':>5} | {'F1':>5} | cuts | dissolves |")
    print(f"|{'-' * 35}|{'-' * 10}|{'-' * 22}|{'-' * 7}|{'-' * 7}|{'-' * 7}|------|-----------|")
    for key, label in names.items():
        s = result["scores"][key]
        runs = " ".join(f"{t:.2f}" for t in result["times"][key])
        cuts, dissolves = f"{s.cuts_found}/{result['cuts']}", f"{s.dissolves_found}/{result['dissolves']}"
        print(f"| {label:33} | {result['median'][key]:8.2f} | {runs:20} | {s.precision:5.3f} | {s.recall:5.3f} | "
              f"{s.f1:5.3f} | {cuts:>4} | {dissolves:>9} |")
    cli, ours = result["scores"]["cli"], result["scores"]["engine"]
    speed = result["median"]["cli"] / result["median"]["engine"]
    speed_detect = result["median"]["cli"] / result["median"]["detect"]
    print()
    print(f"F1: ours {ours.f1:.3f} vs CLI {cli.f1:.3f} (goal: >=)  |  speed, CLI time / our time: engine "
          f"{speed:.2f}x, detect() {speed_detect:.2f}x (goal: >= 0.95)")
    met = ours.f1 >= cli.f1 and speed >= 0.95
    print("goal met" if met else "goal missed")
    if args.json:
        args.json.write_text(json.dumps({**result, "scores": {k: vars(v) for k, v in result["scores"].items()}},
                                        indent=1, default=str))
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
