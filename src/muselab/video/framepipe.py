"""Frames as numpy arrays, decoded by ffmpeg: a small copy of every frame for analysis, and full stills.

Analysis reads the whole video once through a pipe (`read_frames`): ffmpeg decodes and shrinks each frame in
its own process (on another core) while Python looks at the last one, which is faster than decoding full
frames in Python and shrinking them there. Stills (`grab_stills`) are single frames at chosen times, found
by seeking, so a thumbnail costs one keyframe interval of decoding, not a pass over the video.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from muselab.engines import EngineError
from muselab.video import ffmpeg


def read_frames(path: Path, width: int, height: int) -> Iterator[np.ndarray]:
    """Every frame of the first video stream, shrunk to width x height, as BGR uint8 arrays (height, width, 3).

    Frames come in decoding order at the stream's own rate (no frames are added or dropped), so frame n
    shows at n / fps for a constant-rate video. Stopping early (break, an exception) stops ffmpeg."""
    # Skipping the deblocking filter makes decoding H.264/HEVC a good deal cheaper; the blocks it would smooth
    # vanish anyway when the frame is averaged down to analysis size.
    cmd = [ffmpeg.tool(), "-hide_banner", "-nostdin", "-loglevel", "error", "-skip_loop_filter", "all",
           "-i", str(path), "-map", "0:v:0",
           "-an", "-sn", "-dn", "-vf", f"scale={width}:{height}:flags=area", "-fps_mode", "passthrough",
           "-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1"]
    size = width * height * 3
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=size * 4)
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True)
    reader.start()
    complete = False
    try:
        while True:
            data = process.stdout.read(size)
            if len(data) < size:
                break
            yield np.frombuffer(data, np.uint8).reshape(height, width, 3)
        complete = True
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.wait()
        reader.join(timeout=5)
    if complete and process.returncode != 0:
        detail = b" ".join(line.strip() for line in errors[-3:]).decode("utf-8", "replace")[:400]
        raise EngineError(f"video_work_id: ffmpeg could not decode the video (exit {process.returncode}): {detail}")


def grab_stills(path: Path, times: list[float], out_paths: list[Path], width: int | None = None,
                batch: int = 24) -> list[Path]:
    """Write the frame shown at each time (seconds) as a picture (PNG, JPEG... from the name), `width` wide
    (aspect kept; None: full size). One ffmpeg run per `batch` stills, each found by an exact seek."""
    if len(times) != len(out_paths):
        raise ValueError("one output path per time")
    scale = ["-vf", f"scale={width}:-2:flags=area"] if width else []
    for first in range(0, len(times), batch):
        args: list[str] = []
        chunk = range(first, min(first + batch, len(times)))
        for i in chunk:
            args += ["-threads", "1", "-ss", f"{max(0.0, times[i]):.3f}", "-i", str(path)]  # one decoder each
        for n, i in enumerate(chunk):
            args += ["-map", f"{n}:v:0", *scale, "-frames:v", "1", "-update", "1", str(out_paths[i])]
        ffmpeg.run(args, what="taking stills")
    missing = [p for p in out_paths if not p.is_file()]
    if missing:
        raise EngineError(f"ffmpeg wrote no picture for {len(missing)} still(s), e.g. {missing[0].name}")
    return out_paths


def display_size(path: Path, width: int, height: int) -> tuple[int, int]:
    """Width and height as the video is shown. Phones record portrait video as landscape frames plus a
    rotation; ffmpeg turns decoded frames upright, so every size asked of it must be the turned one."""
    done = subprocess.run([ffmpeg.tool("ffprobe"), "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream_side_data=rotation:stream_tags=rotate", "-of", "json", str(path)],
                          capture_output=True, text=True, timeout=60)
    try:
        stream = (json.loads(done.stdout or "{}").get("streams") or [{}])[0]
        rotation = next((float(d["rotation"]) for d in stream.get("side_data_list", []) if "rotation" in d),
                        float((stream.get("tags") or {}).get("rotate", 0)))
    except (ValueError, TypeError, KeyError):
        rotation = 0.0
    return (height, width) if round(abs(rotation)) % 180 == 90 else (width, height)
