"""Checks a musician would make by ear, as code: does each melody note fit its chord, do phrases cadence?

Used by the tests and reported in Output.meta; independent of how the composer made the notes.
"""

from __future__ import annotations

from muselab.music.score import Note, Piece
from muselab.music.theory import Scale


def classify_melody(piece: Piece, notes: list[Note] | None = None) -> list[str]:
    """For each melody note: 'chord' (a chord tone), 'passing', 'neighbour' or 'foreign' (none of these).

    Passing: a scale tone reached by a scale step and left by a scale step in the same direction.
    Neighbour: a scale tone one scale step from the notes before and after it, which are the same pitch.
    """
    scale = Scale(piece.tonic, piece.mode)
    melody = notes if notes is not None else sorted(piece.track("melody").notes, key=lambda n: n.start)
    labels: list[str] = []
    for i, note in enumerate(melody):
        chord = piece.chord_at(note.start)
        if chord is not None and note.pitch % 12 in chord.pcs:
            labels.append("chord")
            continue
        prev = melody[i - 1].pitch if i > 0 else None
        nxt = melody[i + 1].pitch if i + 1 < len(melody) else None
        if prev is None or nxt is None or not scale.contains(note.pitch):
            labels.append("foreign")
            continue
        if not (scale.contains(prev) and scale.contains(nxt)):
            labels.append("foreign")
            continue
        into = scale.scale_distance(prev, note.pitch)
        out = scale.scale_distance(note.pitch, nxt)
        if abs(into) == 1 and abs(out) == 1 and into == out:
            labels.append("passing")
        elif abs(into) == 1 and abs(out) == 1 and prev == nxt:
            labels.append("neighbour")
        else:
            labels.append("foreign")
    return labels


def cadences(piece: Piece) -> list[dict]:
    """Per phrase: the last two chords, the melody's last note and the cadence type heard."""
    from muselab.music.composer import phrase_layout

    scale = Scale(piece.tonic, piece.mode)
    bar = piece.bar_length
    melody = piece.track("melody")
    out = []
    for first, n, _ in phrase_layout(piece.bars, piece.phrase_bars):
        end = (first + n) * bar
        spans = [s for s in piece.chords if first * bar - 1e-6 <= s.start < end - 1e-6]
        if not spans:
            continue
        last, before = spans[-1].chord, spans[-2].chord if len(spans) > 1 else None
        tonic_chord = last.root == scale.tonic
        dominant_pc = (scale.tonic + 7) % 12
        if tonic_chord and before is not None and before.root != scale.tonic:
            kind = "authentic" if before.root == dominant_pc else "plagal" if before.root == (scale.tonic + 5) % 12 \
                else "tonic"
        elif last.root == dominant_pc or (not tonic_chord and scale.function_of(last.degree) == "D"):
            kind = "half"
        else:
            kind = "other"
        last_note = None
        if melody is not None:
            inside = [x for x in melody.notes if first * bar - 1e-6 <= x.start < end - 1e-6]
            if inside:
                last_note = max(inside, key=lambda x: x.start).pitch
        out.append({"bars": [first + 1, first + n], "chords": [before.symbol if before else None, last.symbol],
                    "cadence": kind, "melody_last": last_note})
    return out
