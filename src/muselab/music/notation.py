"""The score as MusicXML (via music21): one part per pitched track, chord symbols above the melody.

Each part is written as one voice: notes sounding together are a chord held until the next onset
(accompaniment figures read as their harmonic rhythm); drums are left out of the score. Swing is a
performance instruction (the MIDI swings, the score is straight, as in jazz notation).
"""

from __future__ import annotations

from pathlib import Path

from muselab.music.score import Piece
from muselab.music.theory import MODES, NOTE_NAMES

GONG_OFFSET = {"gong": 0, "shang": 2, "jue": 4, "zhi": 7, "yu": 9}
M21_KIND = {"": "", "m": "m", "dim": "dim", "sus4": "sus4", "sus2": "sus2", "7": "7", "maj7": "maj7", "m7": "m7",
            "m7b5": "m7b5", "5": "power", "m7(no5)": "m7 omit5", "m(no5)": "m omit5"}


def _key_signature(piece: Piece):
    from music21 import key

    if piece.mode in GONG_OFFSET:  # a pentatonic mode is written in the key signature of its 宫 (gong)
        return key.Key(NOTE_NAMES[(piece.tonic - GONG_OFFSET[piece.mode]) % 12]).asKey("major")
    m21_mode = {"harmonic_minor": "minor", "aeolian": "minor"}.get(piece.mode, piece.mode)
    if piece.mode not in MODES:
        m21_mode = "major"
    return key.Key(NOTE_NAMES[piece.tonic], m21_mode)


def to_music21(piece: Piece):
    from music21 import chord, harmony, instrument, meter, metadata, note, stream, tempo

    score = stream.Score()
    score.insert(0, metadata.Metadata(title=piece.title or "Untitled", composer="Muselab"))
    grid = 0.25
    for index, track in enumerate(t for t in piece.tracks if not t.is_drum):
        part = stream.Part(id=f"P{index + 1}")
        try:
            inst = instrument.instrumentFromMidiProgram(track.program)
        except Exception:
            inst = instrument.Instrument()
        inst.partName = track.name
        part.insert(0, inst)
        part.insert(0, meter.TimeSignature(piece.time_signature))
        part.insert(0, _key_signature(piece))
        if index == 0:
            part.insert(0, tempo.MetronomeMark(number=round(piece.tempo)))
        onsets: dict[float, list] = {}
        for n in track.notes:
            start = round(n.start / grid) * grid
            onsets.setdefault(start, []).append(n)
        times = sorted(onsets)
        cursor = 0.0
        for i, t in enumerate(times):
            if t > cursor + 1e-6:
                part.insert(cursor, note.Rest(quarterLength=t - cursor))
            group = onsets[t]
            longest = max(round(n.duration / grid) * grid for n in group) or grid
            nxt = times[i + 1] if i + 1 < len(times) else t + longest
            length = max(grid, min(longest, nxt - t))
            pitches = sorted({n.pitch for n in group})
            element = note.Note(pitches[0]) if len(pitches) == 1 else chord.Chord(pitches)
            element.quarterLength = length
            part.insert(t, element)
            cursor = t + length
        if track.role == "melody" or (index == 0 and piece.track("melody") is None):
            for span in piece.chords:
                kind = M21_KIND.get(span.chord.quality)
                try:
                    if kind is None:
                        raise ValueError(span.chord.quality)
                    symbol = harmony.ChordSymbol(NOTE_NAMES[span.chord.root] + kind)
                    symbol.writeAsChord = False
                except Exception:
                    from music21 import expressions

                    symbol = expressions.TextExpression(span.chord.symbol)
                part.insert(span.start, symbol)
        score.insert(0, part)
    return score


def write_musicxml(piece: Piece, path: Path) -> Path:
    score = to_music21(piece).makeNotation()
    score.write("musicxml", fp=str(path))
    return Path(path)
