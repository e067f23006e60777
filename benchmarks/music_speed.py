"""Compose and render speed of the music domain, against the FluidSynth command line as the named peer.

    /work/venv/bin/python benchmarks/music_speed.py [--runs 5] [--bars 32]

1. Time to compose a 32-bar arranged piece (pop: melody, counter-line, accompaniment, bass, drums) and
   write its MIDI (median of --runs).
2. Render real-time factor (audio seconds per wall second) of Muselab's renderer (FluidSynth CLI + mastering:
   loudness measurement, normalisation, trim, fade, 16-bit WAV) against the plain `fluidsynth` command line
   rendering the same MIDI with the same soundfont to WAV; runs are interleaved and medians compared, because
   the machine is shared. Also the in-process tinysoundfont fallback on the same soundfont.
Goal: >= 30x real time, ratio to the CLI >= 0.9.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from muselab.music.composer import SongOptions, compose  # noqa: E402
from muselab.music.midi_io import midi_duration, write_midi  # noqa: E402
from muselab.music.render import (  # noqa: E402
    DEFAULT_SOUNDFONT,
    fluidsynth_command,
    master,
    render,
    synthesize_tinysoundfont,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bars", type=int, default=32)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="music-bench-"))
    options = SongOptions(0, "major", "pop", "happy", None, "4/4", args.bars, drums=True)

    compose_times = []
    for run in range(args.runs):
        t = time.perf_counter()
        piece = compose(options, seed=run)
        midi = write_midi(piece, work / f"piece{run}.mid")
        compose_times.append(time.perf_counter() - t)
    notes = sum(len(t.notes) for t in piece.tracks)
    print(f"compose {args.bars} bars ({len(piece.tracks)} tracks, {notes} notes) + write MIDI: "
          f"median {statistics.median(compose_times) * 1000:.1f} ms over {args.runs} runs")

    if not shutil.which("fluidsynth") or not DEFAULT_SOUNDFONT.is_file():
        print("fluidsynth or FluidR3_GM.sf2 missing: render comparison skipped")
        return
    midi = work / "piece0.mid"
    seconds = midi_duration(midi)
    # warm up: imports (scipy.signal, soundfile) and the soundfont in the page cache
    render(midi, work, ["wav"], renderer="fluidsynth", stem="warm")
    synthesize_tinysoundfont(midi, DEFAULT_SOUNDFONT)
    cli, ours, tiny = [], [], []
    for run in range(args.runs):
        t = time.perf_counter()
        subprocess.run(fluidsynth_command(midi, DEFAULT_SOUNDFONT, work / "cli.wav"), check=True,
                       capture_output=True)
        cli.append(time.perf_counter() - t)
        t = time.perf_counter()
        render(midi, work, ["wav"], renderer="fluidsynth", stem="ours")
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        audio = synthesize_tinysoundfont(midi, DEFAULT_SOUNDFONT)
        mastered, _ = master(audio, seconds)
        import soundfile as sf

        sf.write(str(work / "tiny.wav"), mastered, 44100, subtype="PCM_16")
        tiny.append(time.perf_counter() - t)
    m_cli, m_ours, m_tiny = (statistics.median(x) for x in (cli, ours, tiny))
    print(f"audio: {seconds:.1f} s of music, soundfont {DEFAULT_SOUNDFONT.name}, {args.runs} interleaved runs")
    print(f"  fluidsynth CLI (peer)           median {m_cli:.2f} s  -> {seconds / m_cli:5.1f}x real time")
    print(f"  muselab render (fluidsynth)     median {m_ours:.2f} s  -> {seconds / m_ours:5.1f}x real time"
          f"  ratio to CLI {m_cli / m_ours:.2f}")
    print(f"  muselab render (tinysoundfont)  median {m_tiny:.2f} s  -> {seconds / m_tiny:5.1f}x real time"
          f"  ratio to CLI {m_cli / m_tiny:.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
