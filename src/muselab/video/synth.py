"""Test videos with known cuts and dissolves, made from ffmpeg's own sources (no downloads).

Tests and benchmarks need footage whose true scene boundaries are known: each shot is a different
lavfi source (test patterns, fractals, gradients, moving noise), joined by hard cuts or dissolves at
chosen times, with a tone, noise or silence as sound."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from muselab.video import ffmpeg

# Visually distinct sources that move a little (a static frame hides nothing, but real shots move).
SOURCES = [
    "testsrc2=size={w}x{h}:rate={fps}",
    "mandelbrot=size={w}x{h}:rate={fps}",
    "smptehdbars=size={w}x{h}:rate={fps},hue=h=t*20",
    "cellauto=size={w}x{h}:rate={fps}:rule=110,scale={w}x{h},format=yuv420p,colorchannelmixer=rr=0.3:bb=0.9",
    "gradients=size={w}x{h}:rate={fps}:speed=0.02:c0=0x3050a0:c1=0xe0a040",
    "life=size={w}x{h}:rate={fps}:mold=10:life_color=0xff4040:death_color=0x202060",
    "rgbtestsrc=size={w}x{h}:rate={fps},hue=s=2",
    "testsrc=size={w}x{h}:rate={fps},negate",
]


@dataclass
class Shot:
    seconds: float
    source: int = 0  # index into SOURCES
    sound: str = "tone"  # tone | noise | silence
    black: bool = False  # a black frame held (e.g. for auto-cut tests)
    frozen: bool = False  # the shot's first frame held still


@dataclass
class Truth:
    """Where the boundaries really are, in seconds of the output."""

    cuts: list[float] = field(default_factory=list)  # hard cuts
    dissolves: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each dissolve
    duration: float = 0.0

    @property
    def boundaries(self) -> list[float]:
        """One time per boundary: the cut, or the middle of the dissolve."""
        return sorted(self.cuts + [(a + b) / 2 for a, b in self.dissolves])


def _shot_source(shot: Shot, width: int, height: int, fps: int, index: int) -> tuple[str, str]:
    if shot.black:
        video = f"color=c=black:size={width}x{height}:rate={fps}"
    else:
        video = SOURCES[shot.source % len(SOURCES)].format(w=width, h=height, fps=fps)
        if shot.frozen:
            video += ",trim=end_frame=1,loop=loop=-1:size=1:start=0"
    video += f",trim=duration={shot.seconds},setpts=PTS-STARTPTS,format=yuv420p,setsar=1,settb=1/{fps}[v{index}]"
    if shot.sound == "tone":
        audio = f"sine=frequency={220 * (1 + index % 4)}:sample_rate=48000"
    elif shot.sound == "noise":
        audio = "anoisesrc=color=pink:amplitude=0.3:sample_rate=48000"
    else:
        audio = "anullsrc=r=48000:cl=mono"
    audio += f",atrim=duration={shot.seconds},asetpts=PTS-STARTPTS,aformat=channel_layouts=stereo[a{index}]"
    return video, audio


def make_video(path: Path, shots: list[Shot], joins: list[float] | None = None, width: int = 640, height: int = 360,
               fps: int = 25) -> Truth:
    """Render `shots` joined in order; joins[i] is the dissolve length between shot i and i+1 (0: a hard cut).

    Returns the truth: hard cut times, dissolve intervals and the total duration."""
    joins = list(joins or [0.0] * (len(shots) - 1))
    # Whole frames, so the truth is where the frames really change (a shot rounds up to its next frame).
    shots = [Shot(**{**vars(shot), "seconds": round(shot.seconds * fps) / fps}) for shot in shots]
    joins = [round(j * fps) / fps for j in joins]
    for i, fade in enumerate(joins):
        if fade >= min(shots[i].seconds, shots[i + 1].seconds):  # xfade would wait forever for frames
            raise ValueError(f"joins[{i}]: a {fade} s dissolve is longer than a shot it joins")
    graph = []
    for i, shot in enumerate(shots):
        graph += list(_shot_source(shot, width, height, fps, i))
    truth, video_label, audio_label, length = Truth(), "[v0]", "[a0]", shots[0].seconds
    for i in range(1, len(shots)):
        fade = joins[i - 1]
        if fade > 0:
            offset = length - fade
            graph.append(f"{video_label}[v{i}]xfade=transition=fade:duration={fade}:offset={offset}[vj{i}]")
            graph.append(f"{audio_label}[a{i}]acrossfade=d={fade}[aj{i}]")
            truth.dissolves.append((round(offset, 3), round(offset + fade, 3)))
            length = offset + shots[i].seconds
        else:
            graph.append(f"{video_label}{audio_label}[v{i}][a{i}]concat=n=2:v=1:a=1[vc{i}][aj{i}]")
            graph.append(f"[vc{i}]settb=1/{fps}[vj{i}]")  # xfade needs both inputs on one timebase
            truth.cuts.append(round(length, 3))
            length += shots[i].seconds
        video_label, audio_label = f"[vj{i}]", f"[aj{i}]"
    truth.duration = round(length, 3)
    ffmpeg.run(["-filter_complex", ";".join(graph), "-map", video_label, "-map", audio_label, "-c:v", "libx264",
                "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p", "-g", str(fps * 2), "-c:a", "aac",
                "-shortest", str(path)], what="making a test video")
    return truth
