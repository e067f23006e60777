"""Music theory: pitch names, keys, modes (Western and Chinese pentatonic), chords and their functions.

Pitches are MIDI numbers (60 = middle C); pitch classes are 0..11 (0 = C). A mode is a set of
scale degrees given as semitones above its tonic. Chords are built only from the mode's own
pitches, so a pentatonic piece stays pentatonic in every track.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
_NAME_TO_PC = {
    "C": 0, "B#": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4, "E#": 5, "F": 5,
    "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11, "Cb": 11,
}
KEY_NAMES = sorted(_NAME_TO_PC, key=lambda n: (_NAME_TO_PC[n], len(n)))

# Semitones above the tonic. The five Chinese modes are rotations of one pentatonic set:
# 宫 gong (do), 商 shang (re), 角 jue (mi), 徵 zhi (sol), 羽 yu (la).
MODES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "aeolian": (0, 2, 3, 5, 7, 8, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "gong": (0, 2, 4, 7, 9),
    "shang": (0, 2, 5, 7, 10),
    "jue": (0, 3, 5, 8, 10),
    "zhi": (0, 2, 5, 7, 9),
    "yu": (0, 3, 5, 7, 10),
}
MODE_ALIASES = {
    "宫": "gong", "商": "shang", "角": "jue", "徵": "zhi", "羽": "yu",
    "宫调": "gong", "商调": "shang", "角调": "jue", "徵调": "zhi", "羽调": "yu",
    "大调": "major", "小调": "minor", "和声小调": "harmonic_minor", "多利亚": "dorian",
    "ionian": "major", "natural_minor": "minor", "harmonic minor": "harmonic_minor",
}
PENTATONIC = {"gong", "shang", "jue", "zhi", "yu"}
MINORISH = {"minor", "harmonic_minor", "dorian", "phrygian", "aeolian", "locrian", "shang", "jue", "yu"}

# Chord qualities tried on each root, in order of preference (intervals above the root).
QUALITIES: list[tuple[str, tuple[int, ...]]] = [
    ("", (0, 4, 7)),
    ("m", (0, 3, 7)),
    ("dim", (0, 3, 6)),
    ("sus4", (0, 5, 7)),
    ("sus2", (0, 2, 7)),
    ("5", (0, 7)),
    ("m7(no5)", (0, 3, 10)),  # the tonic of 角 jue has no fifth in its mode
    ("m(no5)", (0, 3)),
]
SEVENTHS = {"": (0, 4, 7, 11), "m": (0, 3, 7, 10), "dim": (0, 3, 6, 10)}
DOM7 = (0, 4, 7, 10)


def key_pc(name: str) -> int:
    """Pitch class of a key name such as 'C', 'F#', 'Bb' (raises ValueError otherwise)."""
    if name not in _NAME_TO_PC:
        raise ValueError(f"unknown key {name!r}; accepted: {', '.join(KEY_NAMES)}")
    return _NAME_TO_PC[name]


def canonical_mode(name: str) -> str:
    """'宫' -> 'gong', 'Major' -> 'major'; raises ValueError naming the accepted modes."""
    raw = name.strip()
    low = raw.lower()
    if low in MODES:
        return low
    if raw in MODE_ALIASES:
        return MODE_ALIASES[raw]
    if low in MODE_ALIASES:
        return MODE_ALIASES[low]
    accepted = list(MODES) + ["宫", "商", "角", "徵", "羽", "大调", "小调"]
    raise ValueError(f"unknown mode {name!r}; accepted: {', '.join(accepted)}")


def pitch_name(pitch: int) -> str:
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


@dataclass(frozen=True)
class Chord:
    root: int  # pitch class
    intervals: tuple[int, ...]
    quality: str
    degree: int  # index of the root in the mode's scale (0 = tonic)

    @property
    def pcs(self) -> frozenset[int]:
        return frozenset((self.root + i) % 12 for i in self.intervals)

    @property
    def symbol(self) -> str:
        return NOTE_NAMES[self.root] + self.quality

    def voicing(self, low: int, count: int | None = None) -> list[int]:
        """Close voicing starting from the root's first occurrence at or above `low`."""
        base = low + ((self.root - low) % 12)
        notes = [base + i for i in self.intervals]
        if count:
            while len(notes) < count:
                notes.append(notes[len(notes) - len(self.intervals)] + 12)
            notes = notes[:count]
        return notes


@dataclass
class Scale:
    tonic: int  # pitch class
    mode: str
    steps: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.mode = canonical_mode(self.mode)
        self.steps = MODES[self.mode]

    @property
    def pcs(self) -> frozenset[int]:
        return frozenset((self.tonic + s) % 12 for s in self.steps)

    @property
    def size(self) -> int:
        return len(self.steps)

    @property
    def pentatonic(self) -> bool:
        return self.mode in PENTATONIC

    def name(self) -> str:
        return f"{NOTE_NAMES[self.tonic]} {self.mode}"

    def degree_pc(self, degree: int) -> int:
        return (self.tonic + self.steps[degree % self.size]) % 12

    def contains(self, pitch: int) -> bool:
        return pitch % 12 in self.pcs

    def pitches(self, low: int, high: int) -> list[int]:
        """All scale pitches in [low, high]."""
        return [p for p in range(low, high + 1) if p % 12 in self.pcs]

    def step(self, pitch: int, n: int) -> int:
        """Move a scale pitch n scale steps up (n > 0) or down (n < 0)."""
        ladder = self.pitches(pitch - 40, pitch + 40)
        if pitch not in ladder:
            pitch = min(ladder, key=lambda p: (abs(p - pitch), p))
        return ladder[ladder.index(pitch) + n]

    def scale_distance(self, a: int, b: int) -> int:
        """Signed number of scale steps from scale pitch a to scale pitch b."""
        lo, hi = min(a, b), max(a, b)
        count = len([p for p in range(lo, hi) if p % 12 in self.pcs])
        return count if b >= a else -count

    def chord_on(self, degree: int, seventh: bool = False) -> Chord | None:
        """The first chord quality on this degree whose notes all lie in the mode (None if none does)."""
        root = self.degree_pc(degree)
        for quality, intervals in QUALITIES:
            if self.pentatonic and quality == "dim":
                continue
            if all((root + i) % 12 in self.pcs for i in intervals):
                if seventh and quality in SEVENTHS:
                    seven = SEVENTHS[quality]
                    if all((root + i) % 12 in self.pcs for i in seven):
                        name = {"": "maj7", "m": "m7", "dim": "m7b5"}[quality]
                        if quality == "" and (root + 10) % 12 in self.pcs:
                            seven, name = DOM7, "7"
                        return Chord(root, seven, name, degree % self.size)
                    if quality == "" and all((root + i) % 12 in self.pcs for i in DOM7):
                        return Chord(root, DOM7, "7", degree % self.size)
                return Chord(root, intervals, quality, degree % self.size)
        return None

    def function_of(self, degree: int) -> str:
        """Harmonic function of a scale degree: T (tonic), S (predominant) or D (dominant)."""
        semis = self.steps[degree % self.size]
        if semis in (0, 3, 4, 8, 9):  # I, iii/III, vi/VI
            return "T"
        if semis in (1, 2, 5, 6):  # bII, ii, IV, #IV
            return "S"
        return "D"  # V, VII, vii


def parse_time_signature(text: str) -> tuple[int, int]:
    num, _, den = text.partition("/")
    return int(num), int(den)


def bar_beats(time_signature: str) -> float:
    """Length of a bar in quarter notes."""
    num, den = parse_time_signature(time_signature)
    return num * 4 / den


def strong_beats(time_signature: str) -> list[float]:
    """Onsets (in quarter notes from the bar start) that carry metric weight."""
    num, den = parse_time_signature(time_signature)
    if den == 8 and num % 3 == 0:  # compound: dotted-quarter beats
        return [i * 1.5 for i in range(num // 3)]
    beat = 4 / den
    if num == 4:
        return [0.0, 2 * beat]
    return [0.0] if num <= 3 else [i * beat for i in range(0, num, 2)]


def beat_length(time_signature: str) -> float:
    num, den = parse_time_signature(time_signature)
    if den == 8 and num % 3 == 0:
        return 1.5
    return 4 / den


def estimate_key(pitches_durations: list[tuple[int, float]]) -> tuple[int, str]:
    """Krumhansl-Schmuckler key finding: (tonic pitch class, 'major' | 'minor')."""
    major = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
    minor = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]
    hist = [0.0] * 12
    for p, d in pitches_durations:
        hist[p % 12] += d
    if not any(hist):
        return 0, "major"

    def corr(xs: list[float], ys: list[float]) -> float:
        mx, my = sum(xs) / 12, sum(ys) / 12
        num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
        den = (sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys)) ** 0.5
        return num / den if den else 0.0

    best = (-2.0, 0, "major")
    for tonic in range(12):
        rotated = hist[tonic:] + hist[:tonic]
        for mode, profile in (("major", major), ("minor", minor)):
            c = corr(rotated, profile)
            if c > best[0]:
                best = (c, tonic, mode)
    return best[1], best[2]


def chord_from_symbol(symbol: str, scale: "Scale | None" = None) -> Chord | None:
    """Parse a symbol written by Chord.symbol ('F#m7', 'Asus4', 'Dm7(no5)'); None if not one of ours."""
    root_name = symbol[:2] if len(symbol) > 1 and symbol[1] in "#b" else symbol[:1]
    if root_name not in _NAME_TO_PC:
        return None
    quality = symbol[len(root_name):]
    names = dict(QUALITIES) | {"maj7": SEVENTHS[""], "m7": SEVENTHS["m"], "m7b5": SEVENTHS["dim"], "7": DOM7}
    if quality not in names:
        return None
    root = _NAME_TO_PC[root_name]
    degree = 0
    if scale is not None and root in [(scale.tonic + s) % 12 for s in scale.steps]:
        degree = [(scale.tonic + s) % 12 for s in scale.steps].index(root)
    return Chord(root, names[quality], quality, degree)
