"""The in-memory piece every generator makes and every writer reads: tracks of notes in quarter-note time."""

from __future__ import annotations

from dataclasses import dataclass, field

from muselab.music.theory import Chord, bar_beats


@dataclass
class Note:
    pitch: int  # MIDI number
    start: float  # in quarter notes from the start of the piece
    duration: float  # in quarter notes
    velocity: int = 80

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass
class Track:
    name: str
    program: int  # General MIDI program 0..127
    notes: list[Note] = field(default_factory=list)
    is_drum: bool = False
    role: str = "melody"  # melody | bass | accompaniment | chords | drums | counter

    def sorted_notes(self) -> list[Note]:
        return sorted(self.notes, key=lambda n: (n.start, -n.pitch))


@dataclass
class ChordSpan:
    chord: Chord
    start: float
    duration: float

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass
class Piece:
    tracks: list[Track]
    tempo: float  # quarter notes per minute
    time_signature: str = "4/4"
    tonic: int = 0  # pitch class
    mode: str = "major"
    chords: list[ChordSpan] = field(default_factory=list)
    phrase_bars: int = 4
    title: str = ""
    swing: bool = False  # play off-beat eighths late (lo-fi); the score stays straight, as jazz notation does

    @property
    def bar_length(self) -> float:
        return bar_beats(self.time_signature)

    @property
    def length_beats(self) -> float:
        ends = [n.end for t in self.tracks for n in t.notes]
        return max(ends) if ends else 0.0

    @property
    def bars(self) -> int:
        return int(-(-round(self.length_beats, 6) // self.bar_length))

    def seconds(self, beats: float) -> float:
        return beats * 60.0 / self.tempo

    @property
    def duration_seconds(self) -> float:
        return self.seconds(self.length_beats)

    def track(self, role: str) -> Track | None:
        return next((t for t in self.tracks if t.role == role), None)

    def chord_at(self, beat: float) -> Chord | None:
        for span in self.chords:
            if span.start - 1e-6 <= beat < span.end - 1e-6:
                return span.chord
        return None

    def chords_per_bar(self) -> list[list[str]]:
        bars: list[list[str]] = [[] for _ in range(max(self.bars, 1))]
        for span in self.chords:
            index = int(span.start // self.bar_length + 1e-6)
            if index < len(bars):
                bars[index].append(span.chord.symbol)
        return bars
