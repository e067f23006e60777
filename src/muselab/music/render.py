"""Render MIDI to audio with a General MIDI soundfont, then master it.

Renderers, in order of preference for `renderer="auto"`:
- `fluidsynth`: the FluidSynth command line (Debian package `fluidsynth`) with FluidR3_GM.sf2
  (Debian package `fluid-soundfont-gm`);
- `tinysoundfont`: the pip package `tinysoundfont`, in process, with the same soundfont or, when that is
  absent, pretty_midi's bundled TimGM6mb.sf2.
Mastering: peak-normalise to -1 dBFS (and never louder than -14 LUFS), cut the trailing silence and
release tail to at most TAIL seconds after the MIDI's last note-off, and fade out over FADE seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from muselab.engines import EngineError

SAMPLE_RATE = 44100
DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
TAIL = 0.35  # seconds of release kept after the last note-off
FADE = 0.3
PEAK_TARGET_DBFS = -1.0
LOUDNESS_CEILING_LUFS = -14.0
AUDIO_FORMATS = {"wav": ("WAV", "PCM_16", "audio/wav"), "ogg": ("OGG", "VORBIS", "audio/ogg"),
                 "mp3": ("MP3", "MPEG_LAYER_III", "audio/mpeg"), "flac": ("FLAC", "PCM_16", "audio/flac")}


def bundled_soundfont() -> Path | None:
    try:
        import pretty_midi
    except ImportError:
        return None
    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    return path if path.exists() else None


def find_soundfont(requested: str | None, renderer: str) -> Path:
    """The soundfont to use: the recipe's, else $MUSELAB_SOUNDFONT, else FluidR3_GM, else TimGM6mb (tinysoundfont)."""
    if requested:
        path = Path(requested).expanduser()
        if not path.is_file():
            raise EngineError(f"soundfont: file not found: {path}; give the path of a .sf2 file "
                              f"(e.g. {DEFAULT_SOUNDFONT}, from the Debian package fluid-soundfont-gm)")
        return path
    env = os.environ.get("MUSELAB_SOUNDFONT")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise EngineError(f"soundfont: MUSELAB_SOUNDFONT points to a missing file: {path}")
        return path
    if DEFAULT_SOUNDFONT.is_file():
        return DEFAULT_SOUNDFONT
    bundled = bundled_soundfont()
    if bundled and renderer != "fluidsynth":
        return bundled
    raise EngineError(
        "soundfont: no General MIDI soundfont found; install the Debian package fluid-soundfont-gm "
        f"({DEFAULT_SOUNDFONT}), or pip install pretty_midi (bundles TimGM6mb.sf2), or set the recipe's "
        "soundfont field / MUSELAB_SOUNDFONT to a .sf2 file"
    )


def choose_renderer(renderer: str) -> str:
    if renderer == "fluidsynth":
        if not shutil.which("fluidsynth"):
            raise EngineError("renderer: 'fluidsynth' was asked but the fluidsynth command is not installed "
                              "(Debian package fluidsynth); use renderer 'auto' or 'tinysoundfont'")
        return "fluidsynth"
    if renderer == "tinysoundfont":
        return "tinysoundfont"
    return "fluidsynth" if shutil.which("fluidsynth") else "tinysoundfont"


def fluidsynth_command(midi: Path, soundfont: Path, out_wav: Path, gain: float = 0.2) -> list[str]:
    """The plain FluidSynth CLI invocation (default gain, 44.1 kHz 16-bit WAV): the benchmark's peer."""
    return ["fluidsynth", "-ni", "-q", "-g", str(gain), "-r", str(SAMPLE_RATE), "-F", str(out_wav),
            str(soundfont), str(midi)]


def synthesize_fluidsynth(midi: Path, soundfont: Path, workdir: Path) -> tuple[np.ndarray, "LoudnessMeter"]:
    """Render with the FluidSynth CLI streaming raw float samples to a pipe; while it renders, this process
    measures loudness on the chunks already made (the two run on separate cores)."""
    cmd = ["fluidsynth", "-ni", "-q", "-g", "0.2", "-r", str(SAMPLE_RATE), "-T", "raw", "-O", "float", "-F", "-",
           str(soundfont), str(midi)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    meter = LoudnessMeter(SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    frame_bytes = 2 * 4
    pending = b""
    assert proc.stdout is not None
    while True:
        data = proc.stdout.read(frame_bytes * SAMPLE_RATE // 2)
        if not data:
            break
        data = pending + data
        usable = len(data) - len(data) % frame_bytes
        pending = data[usable:]
        chunk = np.frombuffer(data[:usable], dtype="<f4").reshape(-1, 2)
        chunks.append(chunk)
        meter.feed(chunk)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise EngineError(f"renderer: fluidsynth failed ({proc.returncode}): {stderr.strip()[:400]}")
    audio = np.concatenate(chunks) if chunks else np.zeros((0, 2), dtype=np.float32)
    return audio, meter


def synthesize_tinysoundfont(midi: Path, soundfont: Path) -> np.ndarray:
    import pretty_midi
    import tinysoundfont

    pm = pretty_midi.PrettyMIDI(str(midi))
    synth = tinysoundfont.Synth(samplerate=SAMPLE_RATE, gain=-6)
    sfid = synth.sfload(str(soundfont))
    events: list[tuple[float, int, int, int, int]] = []  # (time, order, channel, pitch, velocity); offs first
    channel = 0
    for inst in pm.instruments:
        if inst.is_drum:
            ch = 9
            synth.program_select(ch, sfid, 128, 0, True)
        else:
            ch = channel if channel != 9 else 10
            channel = (ch + 1) % 16
            synth.program_select(ch, sfid, 0, inst.program)
        for n in inst.notes:
            events.append((n.start, 1, ch, n.pitch, n.velocity))
            events.append((n.end, 0, ch, n.pitch, 0))
    events.sort()
    end = (events[-1][0] if events else 0.0) + 1.5
    chunks = []
    now = 0
    for t, _, ch, pitch, vel in events:
        frame = int(t * SAMPLE_RATE)
        if frame > now:
            chunks.append(np.frombuffer(synth.generate(frame - now), dtype=np.float32).copy())
            now = frame
        if vel:
            synth.noteon(ch, pitch, vel)
        else:
            synth.noteoff(ch, pitch)
    last = int(end * SAMPLE_RATE)
    if last > now:
        chunks.append(np.frombuffer(synth.generate(last - now), dtype=np.float32).copy())
    return np.concatenate(chunks).reshape(-1, 2) if chunks else np.zeros((0, 2), dtype=np.float32)


# ---- mastering -------------------------------------------------------------------------------------------


def _biquad(b: list[float], a: list[float], x: np.ndarray) -> np.ndarray:
    from scipy.signal import lfilter

    return lfilter(b, a, x, axis=0)


def _k_weighting(rate: int) -> tuple[tuple[list[float], list[float]], tuple[list[float], list[float]]]:
    """ITU-R BS.1770 K-weighting (high shelf + high pass), designed for any sample rate."""
    import math

    # stage 1: high shelf
    g, q, fc = 3.999843853973347, 0.7071752369554196, 1681.974450955533
    k = math.tan(math.pi * fc / rate)
    vh = 10 ** (g / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = ([(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0],
             [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    # stage 2: high pass
    q, fc = 0.5003270373238773, 38.13547087602444
    k = math.tan(math.pi * fc / rate)
    a0 = 1 + k / q + k * k
    highpass = ([1.0, -2.0, 1.0], [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    return shelf, highpass


class LoudnessMeter:
    """ITU-R BS.1770-4 integrated loudness, fed chunk by chunk (K-weighting filter state carried across).

    It keeps only the K-weighted energy per 100 ms hop and the peak per chunk, so measuring a piece costs no
    second pass over the audio."""

    def __init__(self, rate: int = SAMPLE_RATE):
        (b1, a1), (b2, a2) = _k_weighting(rate)
        self.sos = np.array([b1 + a1, b2 + a2])
        self.zi: np.ndarray | None = None
        self.rate = rate
        self.hop = int(0.1 * rate)
        self.hops: list[float] = []
        self._acc = 0.0
        self._fill = 0
        self.samples = 0
        self.chunk_peaks: list[tuple[int, float]] = []  # (start sample, peak |x|)

    def feed(self, chunk: np.ndarray) -> None:
        from scipy.signal import sosfilt

        if not len(chunk):
            return
        if self.zi is None:
            self.zi = np.zeros((2, 2, chunk.shape[1]))
        self.chunk_peaks.append((self.samples, float(max(chunk.max(), -chunk.min()))))
        self.samples += len(chunk)
        y, self.zi = sosfilt(self.sos, chunk, axis=0, zi=self.zi)
        energy = np.einsum("ij,ij->i", y, y)
        start = 0
        if self._fill:
            take = min(self.hop - self._fill, len(energy))
            self._acc += float(energy[:take].sum())
            self._fill += take
            start = take
            if self._fill == self.hop:
                self.hops.append(self._acc)
                self._acc, self._fill = 0.0, 0
        full = (len(energy) - start) // self.hop
        if full:
            self.hops.extend(energy[start:start + full * self.hop].reshape(full, self.hop).sum(axis=1).tolist())
        rest = energy[start + full * self.hop:]
        if len(rest):
            self._acc += float(rest.sum())
            self._fill += len(rest)

    @property
    def peak(self) -> float:
        return max((p for _, p in self.chunk_peaks), default=0.0)

    def lufs(self, end: int | None = None) -> float:
        """Integrated loudness of the samples fed so far (of the first `end` samples, if given): gated 400 ms
        blocks every 100 ms, counting only blocks that lie wholly inside."""
        hops = np.array(self.hops[:(end if end is not None else self.samples) // self.hop])
        if len(hops) < 4:
            return float("-inf")
        powers = np.convolve(hops, np.ones(4), "valid") / (4 * self.hop)
        with np.errstate(divide="ignore"):
            levels = -0.691 + 10 * np.log10(powers)
        gated = powers[levels > -70]
        if not len(gated):
            return float("-inf")
        relative = -0.691 + 10 * np.log10(gated.mean()) - 10
        with np.errstate(divide="ignore"):
            final = gated[(-0.691 + 10 * np.log10(gated)) > relative]
        return float(-0.691 + 10 * np.log10(final.mean()))


def loudness_lufs(audio: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    """Integrated loudness (ITU-R BS.1770-4 with absolute and relative gating), in LUFS."""
    meter = LoudnessMeter(rate)
    for start in range(0, len(audio), rate):
        meter.feed(np.asarray(audio[start:start + rate], dtype=np.float64))
    return meter.lufs()


def peak_dbfs(audio: np.ndarray) -> float:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def master(audio: np.ndarray, midi_seconds: float, rate: int = SAMPLE_RATE,
           exact_seconds: float | None = None, meter: LoudnessMeter | None = None) -> tuple[np.ndarray, dict]:
    """Normalise, trim trailing silence (keeping at most TAIL s after the last note-off), fade out.

    exact_seconds (a loop for a video): cut or pad the audio to exactly that length instead.
    Loudness is measured on the trimmed audio before the fade (meter: one already fed with `audio`).
    Works in place on `audio` where it can (it is the renderer's own buffer)."""
    if meter is None:
        meter = LoudnessMeter(rate)
        for start in range(0, len(audio), rate):
            meter.feed(audio[start:start + rate])
    peak = meter.peak
    if not audio.size or peak == 0:
        raise EngineError("renderer: the rendered audio is silent (do the MIDI's instruments exist in the soundfont?)")
    threshold = peak * 10 ** (-60 / 20)
    if exact_seconds is not None:
        end = int(round(exact_seconds * rate))
        if end > len(audio):
            audio = np.concatenate([audio, np.zeros((end - len(audio), audio.shape[1]), dtype=audio.dtype)])
    else:
        # the audible end lies after the last note-off: search only the tail, not the whole piece
        search = max(0, min(len(audio), int((midi_seconds - 1.0) * rate)))
        tail = np.abs(audio[search:]).max(axis=1) if search < len(audio) else np.zeros(0)
        loud = np.nonzero(tail > threshold)[0]
        if len(loud):
            audible_end = search + int(loud[-1]) + 1
        else:
            level = np.abs(audio).max(axis=1)
            audible_end = int(np.nonzero(level > threshold)[0][-1]) + 1
        end = min(audible_end, int((midi_seconds + TAIL) * rate), len(audio))
    out = audio[:end]
    if out.dtype != np.float32 or not out.flags.writeable:
        out = np.array(out, dtype=np.float32)
    fade = min(int(FADE * rate), len(out) // 4)
    # the peak of what is kept: whole chunks before the fade from the meter, the rest measured here
    head = max(0, len(out) - fade)
    kept_peak, boundary = 0.0, 0
    ends = [s for s, _ in meter.chunk_peaks[1:]] + [meter.samples]
    for (_, chunk_peak), chunk_end in zip(meter.chunk_peaks, ends, strict=True):
        if chunk_end > head:
            break
        kept_peak, boundary = max(kept_peak, chunk_peak), chunk_end
    if fade > 0:
        out[-fade:] *= (np.linspace(1.0, 0.0, fade, dtype=np.float32) ** 2)[:, None]
    if len(out) > boundary:
        kept_peak = max(kept_peak, float(np.abs(out[boundary:]).max()))
    kept_peak = max(kept_peak, 1e-9)
    gain_db = PEAK_TARGET_DBFS - 20 * np.log10(kept_peak)
    loud = meter.lufs(end) + gain_db  # loudness moves by exactly the gain
    if loud > LOUDNESS_CEILING_LUFS:
        gain_db -= loud - LOUDNESS_CEILING_LUFS
        loud = LOUDNESS_CEILING_LUFS
    gain = np.float32(10 ** (gain_db / 20))
    out *= gain
    info = {"duration": round(len(out) / rate, 3), "peak_dbfs": round(float(20 * np.log10(kept_peak * gain)), 2),
            "loudness_lufs": round(float(loud), 1), "sample_rate": rate}
    return out, info


@dataclass
class Rendered:
    files: dict[str, Path]  # format -> path
    info: dict


def render(midi: Path, workdir: Path, formats: list[str], soundfont: str | None = None, renderer: str = "auto",
           midi_seconds: float | None = None, stem: str | None = None,
           exact_seconds: float | None = None) -> Rendered:
    """Render a MIDI file to mastered audio files in `formats` (wav, ogg, mp3, flac)."""
    import soundfile as sf

    from muselab.music.midi_io import midi_duration

    unknown = [f for f in formats if f not in AUDIO_FORMATS]
    if unknown:
        raise EngineError(f"audio_formats: unknown {unknown}; accepted: {', '.join(AUDIO_FORMATS)}")
    which = choose_renderer(renderer)
    font = find_soundfont(soundfont, which)
    meter = None
    if which == "fluidsynth":
        audio, meter = synthesize_fluidsynth(midi, font, workdir)
    else:
        audio = synthesize_tinysoundfont(midi, font)
    seconds = midi_duration(midi) if midi_seconds is None else midi_seconds
    mastered, info = master(audio, seconds, exact_seconds=exact_seconds, meter=meter)
    info.update({"renderer": which, "soundfont": font.name, "midi_duration": round(seconds, 3)})
    files: dict[str, Path] = {}
    stem = stem or midi.stem
    for fmt in formats:
        container, subtype, _ = AUDIO_FORMATS[fmt]
        path = workdir / f"{stem}.{fmt}"
        try:
            # written in blocks: libsndfile's Vorbis/MP3 encoders crash on very large single writes
            with sf.SoundFile(str(path), "w", SAMPLE_RATE, mastered.shape[1], subtype, format=container) as out:
                for start in range(0, len(mastered), 32768):
                    out.write(mastered[start:start + 32768])
        except Exception as exc:  # an encoder missing from this libsndfile build
            raise EngineError(f"audio_formats: cannot write {fmt} here ({exc}); use wav") from None
        files[fmt] = path
    return Rendered(files, info)
