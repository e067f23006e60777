"""Sound for a video, as ffmpeg filter-graph pieces shared by video.sound and video.assemble: a music bed looped
or cut to length, ducking under speech, and EBU R128 loudness (measured, then applied).

Ducking is a sidechain compressor keyed by the foreground (the video's own sound, narration), levelled first so
that quiet and loud speech key it alike; its wet/dry `mix` sets how deep the music goes, so `duck_db` is the dip
whatever the speech level (measured within about 1.5 dB for speech peaking anywhere from -30 to -6 dBFS).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from muselab.engines import Context, EngineError, cancel_question
from muselab.video import ffmpeg
from muselab.video.graph import media_kind, number

RATE = 48000
FORMAT = f"aformat=sample_fmts=fltp:sample_rates={RATE}:channel_layouts=stereo"
TRUE_PEAK = -1.5  # dBTP ceiling of the normalised sound
LRA = 20.0  # loudness range allowed before loudnorm gives up linear gain (the widest ffmpeg 5 accepts is 50)

# The ducker. The key (the foreground: speech) is band-limited to the voice and levelled by a fast compressor
# (ratio 20 above -40 dBFS, +24 dB make-up), so quiet and loud speech reach the ducker at nearly the same level
# (about -15 dBFS) while a noise floor below about -54 dBFS stays under its threshold. The ducker (ratio 20,
# threshold -30 dBFS) then reduces the music by about 14 dB, and its wet/dry mix scales that to duck_db. A dip
# deeper than one stage gives is split over several ducker stages in a row.
KEY_LEVELLER = "highpass=f=100,lowpass=f=6000,acompressor=threshold=0.01:ratio=20:attack=2:release=60:makeup=16"
DUCK_THRESHOLD_DB = -30.0
DUCK_RATIO = 20.0
DUCK_NOMINAL_OVER_DB = 15.0  # where the levelled key sits above the ducker's threshold
DUCK_STAGE_DB = 12.0  # the deepest dip one stage is asked for
DUCK_ATTACK_MS = 15
DUCK_RELEASE_MS = 350


def music_file(ctx: Context, work_id: str, field: str = "music_work_id") -> Path:
    """The music Work as a file ffmpeg reads: audio as it is, MIDI rendered to WAV by the music studio."""
    path = ctx.input_path(work_id)
    kind = media_kind(ctx, work_id, path)
    if kind == "midi":
        from muselab.music.midi_io import read_midi  # the music studio's checks: size, note count
        from muselab.music.render import render

        read_midi(path, field, max_notes=ctx.limits.max_input_notes)
        folder = ctx.workdir / "music"
        folder.mkdir(parents=True, exist_ok=True)
        return render(path, folder, ["wav"], stem=f"music-{work_id[:12]}").files["wav"]
    if kind != "audio":
        info = ffmpeg.probe(path, field)
        if not info.has_audio:
            raise EngineError(f"{field}: the Work holds no sound (a {kind}); give an audio (wav, ogg, mp3...) or MIDI "
                              "Work")
    return path


def bed(label: str, length: float, level_db: float, fade_in: float = 1.0, fade_out: float = 2.0) -> str:
    """A music bed from `label` (an input read with -stream_loop -1, so it repeats): cut to `length`, at
    `level_db`, faded in and out."""
    fade_in, fade_out = min(fade_in, length / 3), min(fade_out, length / 3)
    chain = [FORMAT, f"atrim=end={number(length)}", "asetpts=PTS-STARTPTS", f"volume={number(level_db)}dB"]
    if fade_in > 0:
        chain.append(f"afade=t=in:st=0:d={number(fade_in)}")
    if fade_out > 0:
        chain.append(f"afade=t=out:st={number(length - fade_out)}:d={number(fade_out)}")
    return f"[{label}]{','.join(chain)}"


def fit_length(length: float) -> str:
    """Filters making a stream exactly `length` seconds (silence added, or cut)."""
    return f"{FORMAT},asetpts=PTS-STARTPTS,apad=whole_dur={number(length)},atrim=end={number(length)}"


def duck_mix(duck_db: float) -> float:
    """The ducker's wet share that makes its deepest dip `duck_db` at the levelled key's nominal reduction."""
    reached = 10 ** (-(DUCK_NOMINAL_OVER_DB * (1 - 1 / DUCK_RATIO)) / 20)
    return min(1.0, (1 - 10 ** (-duck_db / 20)) / (1 - reached))


def duck(music: str, key: str, out: str, duck_db: float) -> list[str]:
    """Graph parts lowering `music` by about `duck_db` while `key` (speech) sounds; labels without brackets."""
    if duck_db <= 0:
        return [f"[{music}]anull[{out}]"]
    stages = max(1, math.ceil(duck_db / DUCK_STAGE_DB - 1e-9))
    keys = [f"{key}{k}" for k in range(stages)]
    parts = [f"[{key}]{KEY_LEVELLER}" + (f",asplit={stages}" if stages > 1 else "") + "".join(f"[{k}]" for k in keys)]
    threshold = 10 ** (DUCK_THRESHOLD_DB / 20)
    current = music
    for k, key_label in enumerate(keys):
        target = out if k == stages - 1 else f"{out}{k}"
        parts.append(f"[{current}][{key_label}]sidechaincompress=threshold={number(threshold)}"
                     f":ratio={number(DUCK_RATIO)}:attack={DUCK_ATTACK_MS}:release={DUCK_RELEASE_MS}"
                     f":mix={number(duck_mix(duck_db / stages))}[{target}]")
        current = target
    return parts


@dataclass(frozen=True)
class Loudness:
    """What loudnorm measured of a sound (its first pass)."""

    integrated: float  # LUFS
    true_peak: float  # dBTP
    lra: float  # LU
    threshold: float  # LUFS
    offset: float

    def apply(self, target: float) -> str:
        """The second pass: a linear gain (loudnorm falls back to its dynamic mode only if the peak forbids it)."""
        return (f"loudnorm=I={number(target)}:TP={number(TRUE_PEAK)}:LRA={number(LRA)}"
                f":measured_I={number(self.integrated)}:measured_TP={number(self.true_peak)}"
                f":measured_LRA={number(self.lra)}:measured_thresh={number(self.threshold)}"
                f":offset={number(self.offset)}:linear=true,aresample={RATE},{FORMAT}")


def measure_filter(target: float) -> str:
    return f"loudnorm=I={number(target)}:TP={number(TRUE_PEAK)}:LRA={number(LRA)}:print_format=json"


def parse_loudness(log: str) -> Loudness:
    found = re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", log)
    if not found:
        raise EngineError("measuring the loudness failed: ffmpeg's loudnorm printed no measurement")
    data = json.loads(found[-1])

    def num(key: str, floor: float = -99.0) -> float:
        value = float(data[key])  # "-inf" for silence
        return max(floor, value) if math.isfinite(value) else floor

    if not math.isfinite(float(data["input_i"])) or float(data["input_i"]) < -70:
        raise EngineError("the sound is silent (below -70 LUFS): there is nothing to normalise")
    return Loudness(num("input_i"), min(99.0, num("input_tp")), max(0.0, num("input_lra", 0.0)),
                    num("input_thresh"), max(-99.0, min(99.0, num("target_offset", 0.0))))


def analyse(ctx: Context, args: list[str], duration: float, span: tuple[float, float], message: str) -> str:
    """Run ffmpeg for what its filters log (a measuring pass), with progress and cancel; returns the log."""
    cmd = [ffmpeg.tool("ffmpeg"), "-hide_banner", "-nostdin", "-y", "-loglevel", "info", "-progress", "pipe:1",
           "-nostats", *args]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(process.stderr), daemon=True)
    reader.start()
    cancelled, last = cancel_question(ctx), 0.0
    try:
        for line in process.stdout:
            micros = line.strip().removeprefix("out_time_us=")
            if micros.isdigit() and time.monotonic() - last > 0.2 and duration > 0:
                last = time.monotonic()
                ctx.progress(span[0] + (span[1] - span[0]) * min(1.0, int(micros) / 1e6 / duration), message)
            if cancelled():
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        reader.join(timeout=5)
    ctx.check_cancelled()
    if process.returncode != 0:
        raise EngineError(f"{message} failed (ffmpeg exit {process.returncode}): "
                          f"{' '.join(x.strip() for x in log[-4:])[:500]}")
    return "".join(log)
