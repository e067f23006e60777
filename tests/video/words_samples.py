"""Shared helpers for the subtitle and transcription tests: small clips, frames as arrays, synthetic speech
(espeak-ng), word error rate, and one joined Whisper model folder per test process."""

from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from muselab.video.synth import Shot, make_video

VIDEO_ID = "a1b2c3d4e5f6"
SUBS_ID = "b2c3d4e5f6a1"

# Two cues with Chinese and English, a gap between them and after them (the clip is 4 s long).
SRT_CN_EN = """1
00:00:01,000 --> 00:00:02,200
中文字幕测试
Hello subtitles

2
00:00:02,600 --> 00:00:03,400
第二句 the second line
"""
CUES = [(1.0, 2.2), (2.6, 3.4)]

VTT_CN_EN = """WEBVTT

00:00:01.000 --> 00:00:02.200
中文字幕测试
Hello subtitles

00:00:02.600 --> 00:00:03.400
第二句 the second line
"""

ASS_CN_EN = """[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 180

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,Noto Sans CJK SC,20,&H0000FFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:02.20,Default,,0,0,0,,中文字幕测试\\NHello subtitles
Dialogue: 0,0:00:02.60,0:00:03.40,Default,,0,0,0,,第二句 the second line
"""

SPEECH_EN = "The quick brown fox jumps over the lazy dog. Today the weather is warm and the sky is blue."
SPEECH_EN_10S = ("The quick brown fox jumps over the lazy dog. Today the weather is warm and the sky is blue. "
                 "We walk to the market to buy some bread and fresh fruit.")


def make_clip(path: Path, seconds: float = 4.0, black: bool = False, width: int = 320, height: int = 180) -> Path:
    """A small test video: a moving test pattern (or black), with a tone."""
    make_video(path, [Shot(seconds, source=0, black=black)], width=width, height=height, fps=25)
    return path


def frame(path: Path, t: float, gray: bool = True) -> np.ndarray:
    """The frame shown at `t` seconds, as a height x width (x 3) uint8 array."""
    info = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                           "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout
    width, height = (int(x) for x in info.strip().split(",")[:2])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1", "-f",
                          "rawvideo", "-pix_fmt", "gray" if gray else "rgb24", "-"], capture_output=True,
                         check=True).stdout
    shape = (height, width) if gray else (height, width, 3)
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape)


def ink_report(gray_band: np.ndarray, threshold: int = 150) -> dict:
    """Connected pieces of bright ink, and how many are the 'tofu' of a missing glyph: a hollow rectangle (all
    four sides inked, nothing inside) as tall as the tallest piece (a 口 inside a real character is smaller)."""
    import cv2

    ink = (gray_band > threshold).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    pieces = [(labels[y:y + h, x:x + w] == i, h) for i, (x, y, w, h, area) in enumerate(stats) if i and area >= 6]
    tallest = max((h for _, h in pieces), default=0)

    def hollow(piece: np.ndarray) -> bool:
        if min(piece.shape) < 6:
            return False
        sides = [piece[0], piece[-1], piece[:, 0], piece[:, -1]]
        return all(side.mean() > 0.8 for side in sides) and piece[2:-2, 2:-2].mean() < 0.05

    boxes = sum(1 for piece, h in pieces if h >= 0.7 * tallest and hollow(piece))
    return {"ink": int(ink.sum()), "pieces": len(pieces), "boxes": boxes}


def render_with_fonts_only(tmp: Path, ass: Path, font_dir: str, t: float, size: tuple[int, int] = (320, 180)
                           ) -> np.ndarray:
    """libass rendering of `ass` at `t` s on black when fontconfig knows only the fonts in `font_dir` (gray)."""
    conf = tmp / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{font_dir}</dir><cachedir>{tmp / 'fc-cache'}</cachedir></fontconfig>""")
    out = tmp / "only-fonts.png"
    env = {"FONTCONFIG_FILE": str(conf), "PATH": "/usr/bin:/bin", "HOME": str(tmp)}
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"color=c=black:size={size[0]}x{size[1]}:d={t + 1}", "-vf", f"subtitles={ass.name}", "-ss", str(t),
                    "-frames:v", "1", "-update", "1", "-pix_fmt", "gray", str(out)], cwd=ass.parent, env=env,
                   check=True)
    import cv2

    return cv2.imread(str(out), cv2.IMREAD_GRAYSCALE)


def need_espeak() -> str:
    found = shutil.which("espeak-ng")
    if not found:
        pytest.skip("espeak-ng is not installed (sudo apt-get install espeak-ng): no synthetic speech")
    return found


def speech_video(path: Path, text: str, lead_in: float = 0.5, tail: float = 0.5, voice: str = "en-us",
                 words_per_minute: int = 140) -> float:
    """A small video whose sound is `text` spoken by espeak-ng after `lead_in` s of silence; returns its duration."""
    espeak = need_espeak()
    wav = path.with_suffix(".speech.wav")
    subprocess.run([espeak, "-v", voice, "-s", str(words_per_minute), "-w", str(wav), text], check=True)
    speech = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                   str(wav)], capture_output=True, text=True, check=True).stdout)
    total = round(lead_in + speech + tail, 3)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=10:d={total}",
                    "-i", str(wav), "-filter_complex",
                    f"[1:a]adelay={int(lead_in * 1000)}:all=1,apad,atrim=duration={total},aresample=48000[a]",
                    "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-t", str(total), str(path)], check=True)
    return total


def normalised_words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: (substitutions + deletions + insertions) / words of the reference."""
    ref, hyp = normalised_words(reference), normalised_words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / max(1, len(ref))


_data_dir: Path | None = None


def shared_data_dir() -> Path:
    """One MUSELAB_DATA_DIR for the whole test process, so the Whisper model is joined and loaded once."""
    global _data_dir
    if _data_dir is None:
        _data_dir = Path(tempfile.mkdtemp(prefix="muselab-words-"))
        atexit.register(shutil.rmtree, _data_dir, True)
    return _data_dir


@pytest.fixture
def speech_data_dir(monkeypatch):
    """MUSELAB_DATA_DIR at the process's shared folder (models/whisper-base joined there on first use)."""
    from muselab.config import get_settings

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(shared_data_dir()))
    get_settings.cache_clear()
    yield shared_data_dir()
    get_settings.cache_clear()


@pytest.fixture
def no_hub(monkeypatch):
    """Any attempt of faster-whisper to download a model fails the test."""
    import faster_whisper.transcribe as fwt

    def refuse(*args, **kwargs):
        raise AssertionError(f"faster-whisper tried to download a model: {args} {kwargs}")

    monkeypatch.setattr(fwt, "download_model", refuse)
