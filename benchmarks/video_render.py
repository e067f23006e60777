"""Render speed of the video studio: a 60 s 720p highlight with transitions and ducked music.

    /work/main/.venv/bin/python benchmarks/video_render.py [--runs 3] [--preset veryfast] [--keep DIR]

The film: 8 pieces of a synthetic 720p30 source (ffmpeg test patterns with tones, noise and silence as sound),
joined by 0.5 s crossfades (picture: xfade, sound: acrossfade), and a 20 s music bed looped to the film's
length, at -14 dB, faded, and ducked under the pieces' own sound by a sidechain compressor. 59.7 s in all.

- ours: Muselab's video.assemble engine (run_task with a LocalContext), the recipe a user would submit;
- peer: the same film as ONE hand-written ffmpeg command, as an experienced user would type it (below, literally):
  the same trims (input seeking), xfades, acrossfades, music loop, sidechaincompress and amix, the same x264
  preset and CRF, the same AAC bitrate.
Runs are interleaved (peer, ours, peer, ours...) and medians compared, because the machine is shared. Printed:
both medians, the ratio peer / ours (goal >= 0.9), and our real-time factor (film seconds / our time) (goal >= 5x), plus
how alike the two films are (PSNR of ours against the peer's, and both durations).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from muselab.engines import LocalContext, run_task  # noqa: E402
from muselab.video.synth import Shot, make_video  # noqa: E402

SOURCE, MUSIC = "50" * 4, "51" * 4
# (start, end) in the source, in film order (not source order: a highlight reorders); 8 x 7.9 - 7 x 0.5 = 59.7 s,
# which the 30 fps film holds as 8 x 237 frames - 7 x 15 = 1791 frames
PIECES = [(1.0, 8.9), (20.0, 27.9), (11.0, 18.9), (30.0, 37.9), (52.0, 59.9), (41.0, 48.9), (62.0, 69.9),
          (72.0, 79.9)]
SECONDS = 59.7


def make_inputs(folder: Path) -> tuple[Path, Path]:
    source, music = folder / "source.mp4", folder / "music.wav"
    if not source.exists():
        sounds = ["tone", "noise", "silence", "tone", "tone", "silence", "noise", "tone", "silence"]
        make_video(source, [Shot(9.0, source=i, sound=sounds[i]) for i in range(9)], width=1280, height=720, fps=30)
    if not music.exists():  # a soft chord, 20 s, so the bed is looped three times
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "aevalsrc=0.2*sin(2*PI*262*t)+0.15*sin(2*PI*330*t)+0.12*sin(2*PI*392*t):s=48000:d=20",
                        "-ac", "2", str(music)], check=True)
    return source, music


def peer_command(source: Path, music: Path, out: Path, preset: str, crf: int) -> list[str]:
    """The film as one ffmpeg command, written out as a user would (numbers worked out by hand for PIECES)."""
    s, m = str(source), str(music)
    return [
        "ffmpeg", "-y", "-v", "error",
        "-ss", "1", "-t", "7.9", "-i", s,
        "-ss", "20", "-t", "7.9", "-i", s,
        "-ss", "11", "-t", "7.9", "-i", s,
        "-ss", "30", "-t", "7.9", "-i", s,
        "-ss", "52", "-t", "7.9", "-i", s,
        "-ss", "41", "-t", "7.9", "-i", s,
        "-ss", "62", "-t", "7.9", "-i", s,
        "-ss", "72", "-t", "7.9", "-i", s,
        "-stream_loop", "-1", "-i", m,
        "-filter_complex",
        "[0:v]setpts=PTS-STARTPTS[v0];[1:v]setpts=PTS-STARTPTS[v1];[2:v]setpts=PTS-STARTPTS[v2];"
        "[3:v]setpts=PTS-STARTPTS[v3];[4:v]setpts=PTS-STARTPTS[v4];[5:v]setpts=PTS-STARTPTS[v5];"
        "[6:v]setpts=PTS-STARTPTS[v6];[7:v]setpts=PTS-STARTPTS[v7];"
        "[v0][v1]xfade=transition=fade:duration=0.5:offset=7.4[x1];"
        "[x1][v2]xfade=transition=fade:duration=0.5:offset=14.8[x2];"
        "[x2][v3]xfade=transition=fade:duration=0.5:offset=22.2[x3];"
        "[x3][v4]xfade=transition=fade:duration=0.5:offset=29.6[x4];"
        "[x4][v5]xfade=transition=fade:duration=0.5:offset=37[x5];"
        "[x5][v6]xfade=transition=fade:duration=0.5:offset=44.4[x6];"
        "[x6][v7]xfade=transition=fade:duration=0.5:offset=51.8[video];"
        "[0:a][1:a]acrossfade=d=0.5[y1];[y1][2:a]acrossfade=d=0.5[y2];[y2][3:a]acrossfade=d=0.5[y3];"
        "[y3][4:a]acrossfade=d=0.5[y4];[y4][5:a]acrossfade=d=0.5[y5];[y5][6:a]acrossfade=d=0.5[y6];"
        "[y6][7:a]acrossfade=d=0.5[sound];"
        "[8:a]atrim=end=59.7,volume=-14dB,afade=t=in:d=1,afade=t=out:st=57.7:d=2[music];"
        "[sound]asplit[speech][key];"
        "[music][key]sidechaincompress=threshold=0.03:ratio=20:attack=15:release=350:mix=0.8[ducked];"
        "[speech][ducked]amix=inputs=2:normalize=0[audio]",
        "-map", "[video]", "-map", "[audio]",
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart", "-t", "59.7", str(out),
    ]


def recipe(preset: str, crf: int) -> dict:
    return {"seed": 1, "shots": [{"work_id": SOURCE, "start": a, "end": b} for a, b in PIECES],
            "transition": "fade", "transition_seconds": 0.5, "aspect": "16:9", "height": 720, "fps": 30,
            "music_work_id": MUSIC, "music_db": -14, "encoding": {"preset": preset, "crf": crf}}


def duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return float(out)


def psnr(ours: Path, peer: Path) -> float:
    log = subprocess.run(["ffmpeg", "-hide_banner", "-i", str(ours), "-i", str(peer), "-lavfi", "[0:v][1:v]psnr",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    found = re.search(r"average:([\d.inf]+)", log)
    return float(found.group(1)) if found else float("nan")


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--crf", type=int, default=20)
    parser.add_argument("--keep", type=Path, default=None, help="folder for the inputs (kept between runs)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="video-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    source, music = make_inputs(folder)
    print(f"inputs: {source} ({duration(source):.1f} s, 1280x720 30 fps), {music} (20 s); "
          f"made in {time.perf_counter() - t:.1f} s")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    peer_times, our_times, peer_cpu, our_cpu = [], [], [], []
    peer_out, our_out = folder / "peer.mp4", None
    for run in range(args.runs):
        t, cpu = time.perf_counter(), child_cpu()
        subprocess.run(peer_command(source, music, peer_out, args.preset, args.crf), check=True)
        peer_times.append(time.perf_counter() - t)
        peer_cpu.append(child_cpu() - cpu)
        ctx = LocalContext(workdir=folder / f"ours-{run}", inputs={SOURCE: source, MUSIC: music})
        t, cpu = time.perf_counter(), child_cpu()
        output = run_task("video.assemble", recipe(args.preset, args.crf), ctx)[0]
        our_times.append(time.perf_counter() - t)
        our_cpu.append(child_cpu() - cpu)
        if our_out is not None:
            shutil.rmtree(our_out.parent, ignore_errors=True)
        our_out = output.path
        print(f"run {run + 1}: peer {peer_times[-1]:.2f} s ({peer_cpu[-1]:.1f} CPU s), ours {our_times[-1]:.2f} s "
              f"({our_cpu[-1]:.1f} CPU s) (load {os.getloadavg()[0]:.2f})")
    peer, ours = statistics.median(peer_times), statistics.median(our_times)
    print(f"\n{SECONDS:g} s 720p highlight, 8 pieces, 0.5 s crossfades, ducked music, "
          f"x264 {args.preset} crf {args.crf}:")
    print(f"  peer (one hand-written ffmpeg command): median {peer:.2f} s")
    print(f"  ours (video.assemble):                  median {ours:.2f} s")
    print(f"  ratio peer / ours: {peer / ours:.2f} (goal >= 0.9); in CPU seconds (ffmpeg processes): "
          f"peer {statistics.median(peer_cpu):.1f}, ours {statistics.median(our_cpu):.1f}, "
          f"ratio {statistics.median(peer_cpu) / statistics.median(our_cpu):.2f}")
    print(f"  real-time factor: {SECONDS / ours:.1f}x (goal >= 5x)")
    print(f"  durations: ours {duration(our_out):.2f} s, peer {duration(peer_out):.2f} s; "
          f"PSNR ours vs peer {psnr(our_out, peer_out):.1f} dB")


if __name__ == "__main__":
    main()
