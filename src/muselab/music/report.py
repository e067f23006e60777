"""The measured half of the listening report in docs/music.md: one 8-bar piece per style, rendered.

    python -m muselab.music.report [--images docs/images/music]

Prints a Markdown table per style (key, mode, tempo, chords, melody note classes, duration of MIDI and
audio, peak, loudness, spectral centroid as a brightness cue) and draws each piece's piano roll.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from muselab.music.analysis import cadences, classify_melody
from muselab.music.composer import SongOptions, compose
from muselab.music.midi_io import write_midi
from muselab.music.pianoroll import draw_pianoroll
from muselab.music.render import render
from muselab.music.theory import key_pc

PIECES = {
    "pop": ("C", "major", "happy"), "ballad": ("F", "major", "calm"), "chorale": ("G", "major", "calm"),
    "classical": ("D", "major", "happy"), "folk": ("G", "mixolydian", "energetic"), "chinese": ("D", "gong", "calm"),
    "chinese_yu": ("A", "yu", "sad"), "lofi": ("A", "dorian", "calm"), "march": ("Bb", "major", "energetic"),
}


def spectral_centroid(audio: np.ndarray, rate: int = 44100) -> float:
    mono = audio.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono))
    freqs = np.fft.rfftfreq(len(mono), 1 / rate)
    return float((spectrum * freqs).sum() / spectrum.sum())


def main() -> None:
    import soundfile as sf

    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="music-report-"))
    print("| style | key, mode, tempo | chords (8 bars) | melody: chord/passing/neighbour/foreign | cadences | "
          "MIDI s | audio s | peak dBFS | LUFS | centroid Hz | renderer |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, (key, mode, mood) in PIECES.items():
        style = "chinese" if name.startswith("chinese") else name
        piece = compose(SongOptions(key_pc(key), mode, style, mood, None, "4/4", 8, title=f"{name} · {key} {mode}"),
                        args.seed)
        midi = write_midi(piece, work / f"{name}.mid")
        rendered = render(midi, work, ["wav"], midi_seconds=piece.duration_seconds, stem=name)
        audio, rate = sf.read(str(rendered.files["wav"]), always_2d=True)
        labels = classify_melody(piece)
        counts = "/".join(str(labels.count(k)) for k in ("chord", "passing", "neighbour", "foreign"))
        chords = " ".join("·".join(bar) for bar in piece.chords_per_bar())
        cads = ", ".join(c["cadence"] for c in cadences(piece))
        info = rendered.info
        print(f"| {name} | {key} {mode}, {piece.tempo:g} bpm | {chords} | {counts} | {cads} | "
              f"{piece.duration_seconds:.2f} | {info['duration']:.2f} | {info['peak_dbfs']} | "
              f"{info['loudness_lufs']} | "
              f"{spectral_centroid(audio, rate):.0f} | {info['renderer']} |")
        if args.images:
            args.images.mkdir(parents=True, exist_ok=True)
            draw_pianoroll(piece, args.images / f"{name}.png", width=10)


if __name__ == "__main__":
    main()
