"""Harmonize a melody: choose one chord per slot by dynamic programming (Viterbi) over the mode's chords.

A chord's fit to a slot is the time-weighted share of melody notes that are its chord tones (notes on
strong beats count more); transitions follow functional harmony (T -> S -> D -> T); the first chord
prefers the tonic and the last chord must be the tonic with the dominant before it when possible.
"""

from __future__ import annotations

from muselab.music.composer import Harmony
from muselab.music.score import ChordSpan, Note
from muselab.music.theory import Chord, Scale, bar_beats, strong_beats

TRANSITION = {("T", "T"): 0.0, ("T", "S"): 0.4, ("T", "D"): 0.3, ("S", "S"): 0.1, ("S", "D"): 0.5, ("S", "T"): 0.2,
              ("D", "T"): 0.6, ("D", "D"): 0.0, ("D", "S"): -0.6}


def candidate_chords(scale: Scale) -> list[Chord]:
    harmony = Harmony(scale)
    chords = list(harmony.by_degree.values())
    dominant = harmony.dominant()
    if dominant not in chords:
        chords.append(dominant)
    return chords


def harmonize(melody: list[Note], scale: Scale, time_signature: str, chords_per_bar: int = 1,
              length: float | None = None) -> list[ChordSpan]:
    bar = bar_beats(time_signature)
    slot = bar / chords_per_bar
    end = length if length is not None else max(n.end for n in melody)
    slots = max(1, int(-(-round(end, 6) // slot)))
    strong = strong_beats(time_signature)
    chords = candidate_chords(scale)

    def fit(chord: Chord, k: int) -> float:
        lo, hi = k * slot, (k + 1) * slot
        score, total = 0.0, 0.0
        for n in melody:
            overlap = min(n.end, hi) - max(n.start, lo)
            if overlap <= 0:
                continue
            weight = overlap * (1.5 if any(abs((n.start % bar) - s) < 1e-6 for s in strong) else 1.0)
            total += weight
            score += weight if n.pitch % 12 in chord.pcs else -0.7 * weight
        return score / total if total else 0.0

    def function(chord: Chord) -> str:
        if chord.root == scale.tonic:
            return "T"
        if chord.root == (scale.tonic + 7) % 12:
            return "D"
        return scale.function_of(chord.degree)

    tonic = min(chords, key=lambda c: (c.root != scale.tonic, c.degree))
    dominant = Harmony(scale).dominant()
    best: list[dict[int, tuple[float, list[int]]]] = []
    for k in range(slots):
        layer: dict[int, tuple[float, list[int]]] = {}
        for j, chord in enumerate(chords):
            local = 2.0 * fit(chord, k)
            if k == 0 and chord == tonic:
                local += 0.5
            if k == slots - 1:
                local += 3.0 if chord == tonic else -3.0
            if k == slots - 2 and slots >= 2 and chord == dominant:
                local += 0.8
            if k == 0:
                layer[j] = (local, [j])
                continue
            options = []
            for i, (score, path) in best[-1].items():
                move = TRANSITION[(function(chords[i]), function(chord))] - (0.3 if i == j else 0.0)
                options.append((score + move + local, path + [j]))
            layer[j] = max(options, key=lambda o: o[0])
        best.append(layer)
    _, path = max(best[-1].values(), key=lambda o: o[0])
    return [ChordSpan(chords[j], k * slot, slot) for k, j in enumerate(path)]
