"""Inputs and measurements for the effects, assemble and sound tests: small synthetic videos, pictures, LUTs and
sounds, and ffmpeg-decoded frames and samples as numpy arrays (so tests measure, never eyeball)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np

from muselab.engines import LocalContext
from muselab.video.synth import Shot, make_video

W, H, FPS = 320, 180, 25


def clip(path: Path, seconds: float = 3.0, source: int = 0, sound: str = "tone", width: int = W, height: int = H,
         fps: int = FPS) -> Path:
    make_video(path, [Shot(seconds, source=source, sound=sound)], width=width, height=height, fps=fps)
    return path


def flat(path: Path, seconds: float = 2.0, color: str = "0x808080", width: int = W, height: int = H,
         fps: int = FPS, db: float = -12, frequency: float = 440) -> Path:
    """One colour held, with a steady tone peaking at `db` dBFS: a clean background to measure against."""
    _ffmpeg(["-f", "lavfi", "-i", f"color=c={color}:size={width}x{height}:rate={fps}:duration={seconds}",
             "-f", "lavfi", "-i", f"aevalsrc={10 ** (db / 20)}*sin(2*PI*{frequency}*t):s=48000:d={seconds}",
             "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", "-c:a", "aac",
             "-b:a", "192k", "-ac", "2", "-shortest", str(path)])
    return path


def picture(path: Path, width: int = 480, height: int = 320) -> Path:
    """A picture with detail everywhere (so a zoom or pan shows): a grid of coloured squares and a gradient."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([(x * 255 // width), (y * 255 // height), ((x // 40 + y // 40) % 2) * 200 + 30], -1)
    from PIL import Image

    Image.fromarray(rgb.astype(np.uint8)).save(path)
    return path


def cube(path: Path, size: int = 9, invert: bool = False) -> Path:
    """A 3D .cube LUT: identity, or one that inverts every colour."""
    rows = []
    for b in range(size):  # red changes fastest in a .cube table
        for g in range(size):
            for r in range(size):
                rgb = np.array([r, g, b]) / (size - 1)
                rgb = 1 - rgb if invert else rgb
                rows.append(" ".join(f"{v:.6f}" for v in rgb))
    path.write_text(f'TITLE "test"\nLUT_3D_SIZE {size}\n' + "\n".join(rows) + "\n")
    return path


def tone_wav(path: Path, seconds: float, frequency: float, db: float = -12, rate: int = 48000) -> Path:
    """A steady sine peaking at `db` dBFS (the 'music' in ducking tests)."""
    amplitude = 10 ** (db / 20)
    _ffmpeg(["-f", "lavfi", "-i", f"aevalsrc={amplitude}*sin(2*PI*{frequency}*t):s={rate}:d={seconds}",
             "-ac", "2", str(path)])
    return path


def bursts_video(path: Path, seconds: float, on: list[tuple[float, float]], frequency: float = 1000,
                 db: float = -14) -> Path:
    """A small video whose sound is tone bursts ('speech', peaking at `db` dBFS) at the `on` intervals and silence
    elsewhere."""
    gate = "+".join(f"between(t,{a},{b})" for a, b in on)
    audio = f"aevalsrc='{10 ** (db / 20)}*sin(2*PI*{frequency}*t)*gt({gate},0)':s=48000:d={seconds}"
    _ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration={seconds}", "-f", "lavfi", "-i", audio,
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k",
             "-ac", "2", "-shortest", str(path)])
    return path


def context(tmp_path: Path, inputs: dict[str, Path]) -> LocalContext:
    return LocalContext(workdir=tmp_path / "job", inputs=inputs)


def frame(path: Path, at: float, width: int | None = None, height: int | None = None) -> np.ndarray:
    """The frame at `at` seconds as an RGB array (height, width, 3), float 0-255."""
    info = probe(path)
    w, h = width or info["width"], height or info["height"]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1",
                          "-s", f"{w}x{h}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(float)


def frames_gray(path: Path) -> np.ndarray:
    """Every frame as grey levels (frames, height, width), float."""
    info = probe(path)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, info["height"], info["width"]).astype(float)


def save_frame(path: Path, at: float, png: Path) -> Path:
    """A frame as a PNG (to look at while developing)."""
    _ffmpeg(["-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1", "-update", "1", str(png)])
    return png


def samples(path: Path, rate: int = 48000) -> np.ndarray:
    """The sound as mono float samples."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate), "-f", "f32le",
                          "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32).astype(float)


def band_db(x: np.ndarray, start: float, end: float, frequency: float, rate: int = 48000,
            width: float = 40) -> float:
    """Level (dB) of the part of `x` within ±`width` Hz of `frequency` between `start` and `end` seconds (FFT)."""
    piece = x[int(start * rate):int(end * rate)]
    spectrum = np.abs(np.fft.rfft(piece * np.hanning(len(piece))))
    freqs = np.fft.rfftfreq(len(piece), 1 / rate)
    band = spectrum[(freqs > frequency - width) & (freqs < frequency + width)]
    return 10 * np.log10(np.sum(band**2) / len(piece) + 1e-20)


def rms_db(x: np.ndarray, start: float, end: float, rate: int = 48000) -> float:
    piece = x[int(start * rate):int(end * rate)]
    return 20 * np.log10(np.sqrt(np.mean(piece**2)) + 1e-12)


def integrated_lufs(path: Path) -> float:
    """Integrated loudness (EBU R128) as ffmpeg's ebur128 filter measures it."""
    done = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-vn", "-af", "ebur128",
                           "-f", "null", "-"], capture_output=True, text=True, check=True)
    summary = done.stderr[done.stderr.rfind("Summary:"):]
    return float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))


def probe(path: Path) -> dict:
    done = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           str(path)], capture_output=True, text=True, check=True)
    data = json.loads(done.stdout)
    video = next((s for s in data["streams"] if s["codec_type"] == "video"), {})
    audio = next((s for s in data["streams"] if s["codec_type"] == "audio"), {})
    return {"duration": float(data["format"]["duration"]), "width": video.get("width"), "height": video.get("height"),
            "fps": video.get("avg_frame_rate"), "audio": bool(audio),
            "video_duration": float(video.get("duration", 0) or 0),
            "audio_duration": float(audio.get("duration", 0) or 0)}


def _ffmpeg(args: list[str]) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args], check=True)
