"""Operations on existing music: variations of a melody, re-arranging a melody, looping to a duration."""

from __future__ import annotations

import math
import random

from muselab.music.composer import (
    Plan,
    compose_accompaniment,
    compose_bass,
    compose_counter,
    compose_drums,
    phrase_layout,
)
from muselab.music.score import ChordSpan, Note, Piece, Track
from muselab.music.styles import MOODS, STYLES, instrument_program
from muselab.music.theory import Scale, bar_beats


def transpose(notes: list[Note], semitones: int) -> list[Note]:
    return [Note(n.pitch + semitones, n.start, n.duration, n.velocity) for n in notes]


def invert(notes: list[Note], scale: Scale) -> list[Note]:
    """Mirror the melody around its first note, by scale steps (a diatonic inversion stays in the mode).

    Notes outside the scale are mirrored chromatically.
    """
    axis = notes[0].pitch
    out = []
    for n in notes:
        if scale.contains(n.pitch) and scale.contains(axis):
            pitch = scale.step(axis, -scale.scale_distance(axis, n.pitch))
        else:
            pitch = 2 * axis - n.pitch
        out.append(Note(pitch, n.start, n.duration, n.velocity))
    return out


def retrograde(notes: list[Note]) -> list[Note]:
    """The melody backwards: the gaps and lengths mirrored, so the retrograde of the retrograde is the original."""
    end = max(n.end for n in notes)
    start = min(n.start for n in notes)
    return sorted((Note(n.pitch, start + end - n.end, n.duration, n.velocity) for n in notes),
                  key=lambda n: n.start)


def scale_time(notes: list[Note], factor: float) -> list[Note]:
    """Augmentation (factor 2) or diminution (factor 0.5)."""
    return [Note(n.pitch, n.start * factor, n.duration * factor, n.velocity) for n in notes]


def rhythmic_variation(notes: list[Note], rng: random.Random, time_signature: str) -> list[Note]:
    """Keep the pitches and bar positions of the beats; vary the rhythm inside each beat: split long notes
    into a repeated-note pair, dot pairs of equal short notes (long-short), or merge a repeated pair."""
    out: list[Note] = []
    i = 0
    while i < len(notes):
        n = notes[i]
        choice = rng.random()
        nxt = notes[i + 1] if i + 1 < len(notes) else None
        if n.duration >= 1 and choice < 0.35:
            half = n.duration / 2
            out += [Note(n.pitch, n.start, half, n.velocity), Note(n.pitch, n.start + half, half, n.velocity - 8)]
        elif nxt is not None and abs(n.duration - nxt.duration) < 1e-6 and n.duration <= 1 and \
                abs(n.end - nxt.start) < 1e-6 and choice < 0.7:
            long = n.duration * 1.5
            short = n.duration * 0.5
            out += [Note(n.pitch, n.start, long, n.velocity), Note(nxt.pitch, n.start + long, short, nxt.velocity)]
            i += 1
        else:
            out.append(Note(n.pitch, n.start, n.duration, n.velocity))
        i += 1
    return out


def arrange_melody(melody: list[Note], scale: Scale, time_signature: str, tempo: float, style_name: str,
                   chords: list[ChordSpan], drums: bool, melody_program: int | None = None,
                   mood: str = "happy", rng: random.Random | None = None, title: str = "") -> Piece:
    """A full arrangement around a given melody and chords, in a style (accompaniment, bass, drums)."""
    rng = rng or random.Random(0)
    style = STYLES[style_name]
    bar = bar_beats(time_signature)
    length = max(max(n.end for n in melody), chords[-1].end if chords else 0)
    bars = max(1, int(-(-round(length, 6) // bar)))
    plan = Plan(scale, style, MOODS[mood], time_signature, bars, tempo, phrase_layout(bars), chords)
    vel = MOODS[mood].velocity
    tracks = [Track("Melody", melody_program if melody_program is not None else instrument_program(style.melody),
                    melody, role="melody")]
    if style.counter:
        tracks.append(Track("Counter", instrument_program(style.counter), compose_counter(plan, vel - 30),
                            role="counter"))
    tracks.append(Track("Accompaniment", instrument_program(style.accompaniment),
                        compose_accompaniment(plan, vel - 18, rng), role="accompaniment"))
    tracks.append(Track("Bass", instrument_program(style.bass), compose_bass(plan, vel - 5), role="bass"))
    if drums:
        tracks.append(Track("Drums", 0, compose_drums(plan, vel - 10), is_drum=True, role="drums"))
    return Piece(tracks, tempo, time_signature, scale.tonic, scale.mode, chords, title=title, swing=style.swing)


def loop_to_duration(piece: Piece, seconds: float, max_tempo_change: float) -> tuple[Piece, dict]:
    """Repeat the whole piece to last `seconds`.

    Whole repeats with the tempo nudged (within max_tempo_change) land exactly on the target; otherwise
    the piece repeats at its tempo and the last repeat is cut at the bar line at or after the target
    (the renderer then trims the audio to the target and fades it).
    """
    bar = piece.bar_length
    bars = piece.bars
    span = bars * bar  # loop on whole bars so the downbeats stay in place
    one = piece.seconds(span)
    repeats = max(1, round(seconds / one))
    tempo = piece.tempo * (repeats * one) / seconds
    change = abs(tempo / piece.tempo - 1)
    if change <= max_tempo_change + 1e-9:
        plan = {"repeats": repeats, "tempo": round(tempo, 3), "tempo_change": round(tempo / piece.tempo - 1, 4),
                "cut": False}
        total_beats = repeats * span
    else:
        tempo = piece.tempo
        repeats = math.ceil(seconds / one)
        total_beats = math.ceil(seconds * tempo / 60 / bar - 1e-9) * bar
        plan = {"repeats": repeats, "tempo": tempo, "tempo_change": 0.0, "cut": True}
    tracks = []
    for t in piece.tracks:
        notes = []
        for r in range(repeats):
            for n in t.notes:
                start = n.start + r * span
                if start < total_beats - 1e-6:
                    notes.append(Note(n.pitch, start, min(n.duration, total_beats - start), n.velocity))
        tracks.append(Track(t.name, t.program, notes, t.is_drum, t.role))
    chords = [ChordSpan(c.chord, c.start + r * span, c.duration) for r in range(repeats) for c in piece.chords
              if c.start + r * span < total_beats - 1e-6]
    looped = Piece(tracks, tempo, piece.time_signature, piece.tonic, piece.mode, chords, piece.phrase_bars,
                   piece.title, piece.swing)
    plan["seconds"] = round(looped.seconds(total_beats), 3)
    return looped, plan
