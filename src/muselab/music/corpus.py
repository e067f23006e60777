"""The melody corpus that ships offline in music21: the Essen folk song collection (incl. Chinese songs).

music21's own ABC parser takes ~0.2 s per tune, too slow to read the ~8,000 Essen tunes on demand, so
this module reads the Essen subset of ABC (notes, accidentals, octave marks, integer lengths, rests,
ties, bar lines) directly; a test checks it against music21 on sample tunes.

Melodies become key-normalised event tokens: each tune is transposed so its final note (the tonic, in
folk song) is C, then written as <bos> <style> pitch duration pitch duration ... <eos>.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
SHARP_ORDER = "FCGDAEB"
FLAT_ORDER = "BEADGCF"
MAJOR_SIGNATURES = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7,
                    "F": -1, "Bb": -2, "Eb": -3, "Ab": -4, "Db": -5, "Gb": -6, "Cb": -7}
MINOR_RELATIVE = {"A": "C", "E": "G", "B": "D", "F#": "A", "C#": "E", "G#": "B", "D#": "F#", "D": "F", "G": "Bb",
                  "C": "Eb", "F": "Ab", "Bb": "Db", "Eb": "Gb"}
ESSEN_FILES_CHINESE = ("han1", "han2")


@dataclass
class Melody:
    name: str  # "essen/han1:12"
    style: str  # "han" (Chinese) or "europe"
    notes: list[tuple[int | None, float]]  # (MIDI pitch or None for a rest, quarter-note length)
    meter: str


def _signature(key: str) -> dict[str, int]:
    key = key.strip().split()[0] if key.strip() else "C"
    name = key[0].upper() + key[1:]
    minor = name.endswith("m") and not name.endswith("maj")
    if minor:
        name = MINOR_RELATIVE.get(name[:-1], "C")
    count = MAJOR_SIGNATURES.get(name, 0)
    if count >= 0:
        return {letter: 1 for letter in SHARP_ORDER[:count]}
    return {letter: -1 for letter in FLAT_ORDER[:-count]}


NOTE_RE = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-gz])([,']*)(\d*)(/\d*)?(-?)")


def parse_abc_tune(body: str, unit: float, key: str) -> list[tuple[int | None, float]]:
    """Notes of one Essen-style ABC tune body as (pitch or None, quarter lengths); ties merged."""
    signature = _signature(key)
    notes: list[tuple[int | None, float]] = []
    bar_accidentals: dict[tuple[str, int], int] = {}
    tie_open = False
    pos = 0
    while pos < len(body):
        ch = body[pos]
        if ch == "|":
            bar_accidentals.clear()
            pos += 1
            continue
        m = NOTE_RE.match(body, pos)
        if not m:
            pos += 1
            continue
        accidental, letter, octave_marks, digits, slash, tie = m.groups()
        pos = m.end()
        length = unit * (int(digits) if digits else 1)
        if slash:
            length /= int(slash[1:]) if len(slash) > 1 else 2
        if letter == "z":
            notes.append((None, length))
            tie_open = False
            continue
        octave = 5 if letter.islower() else 4
        octave += octave_marks.count("'") - octave_marks.count(",")
        upper = letter.upper()
        slot = (upper, octave)
        if accidental:
            shift = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}[accidental]
            bar_accidentals[slot] = shift
        else:
            shift = bar_accidentals.get(slot, signature.get(upper, 0))
        pitch = 12 * (octave + 1) + LETTER_PC[upper] + shift
        if tie_open and notes and notes[-1][0] == pitch:
            notes[-1] = (pitch, notes[-1][1] + length)
        else:
            notes.append((pitch, length))
        tie_open = bool(tie)
    return notes


def parse_abc_file(path: Path) -> list[tuple[str, str, list[tuple[int | None, float]]]]:
    """(tune number, meter, notes) of each tune in an Essen ABC file."""
    tunes = []
    for chunk in re.split(r"\n(?=X:)", Path(path).read_text(encoding="latin-1")):
        lines = chunk.strip().splitlines()
        if not lines or not lines[0].startswith("X:"):
            continue
        number = lines[0][2:].strip()
        fields = {"L": "1/8", "K": "C", "M": "4/4"}
        body = []
        for line in lines[1:]:
            if re.match(r"^[A-Za-z]:", line):
                fields[line[0]] = line[2:].strip()
            else:
                body.append(line)
        num, _, den = fields["L"].partition("/")
        unit = 4 * int(num) / int(den or 1)
        notes = parse_abc_tune(" ".join(body), unit, fields["K"])
        if notes:
            tunes.append((number, fields["M"], notes))
    return tunes


def essen_dir() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus" / "essenFolksong"


@lru_cache(maxsize=1)
def load_essen() -> tuple[Melody, ...]:
    """Every Essen tune in music21's corpus (test files excluded)."""
    melodies = []
    for path in sorted(essen_dir().glob("*.abc")):
        if path.stem.startswith("test"):
            continue
        style = "han" if path.stem in ESSEN_FILES_CHINESE else "europe"
        for number, meter, notes in parse_abc_file(path):
            if sum(1 for p, _ in notes if p is not None) >= 8:
                melodies.append(Melody(f"essen/{path.stem}:{number}", style, notes, meter))
    return tuple(melodies)


def split_of(name: str) -> str:
    """A fixed split by tune name: 5 % test, 5 % validation, 90 % train."""
    bucket = zlib.crc32(name.encode()) % 20
    return "test" if bucket == 0 else "valid" if bucket == 1 else "train"


# ---- tokens ----------------------------------------------------------------------------------------------

PITCH_LOW, PITCH_HIGH = 48, 95  # after transposing the tonic to C
DURATIONS = [0.125, 0.25, 0.375, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0]
STYLES = ["europe", "han"]
SPECIALS = ["<pad>", "<bos>", "<eos>"] + [f"<style:{s}>" for s in STYLES]
PITCH_TOKENS = [f"p{p}" for p in range(PITCH_LOW, PITCH_HIGH + 1)] + ["rest"]
DURATION_TOKENS = [f"d{d:g}" for d in DURATIONS]
VOCAB = SPECIALS + PITCH_TOKENS + DURATION_TOKENS
INDEX = {t: i for i, t in enumerate(VOCAB)}
PAD, BOS, EOS = 0, 1, 2
PITCH_IDS = [INDEX[t] for t in PITCH_TOKENS]
DURATION_IDS = [INDEX[t] for t in DURATION_TOKENS]


def quantise_duration(length: float) -> float:
    import math

    return min(DURATIONS, key=lambda d: abs(math.log(d) - math.log(max(length, 1e-3))))


def pitch_token(pitch: int | None) -> int:
    if pitch is None:
        return INDEX["rest"]
    while pitch < PITCH_LOW:
        pitch += 12
    while pitch > PITCH_HIGH:
        pitch -= 12
    return INDEX[f"p{pitch}"]


def tonic_shift(notes: list[tuple[int | None, float]]) -> int:
    """Semitones that move the final pitched note's class to C (within -6..+5)."""
    final = next(p for p, _ in reversed(notes) if p is not None)
    shift = -(final % 12)
    return shift + 12 if shift < -6 else shift


def encode(notes: list[tuple[int | None, float]], style: str = "europe", shift: int | None = None,
           close: bool = True) -> list[int]:
    """Token ids of a melody; shift (default: the tonic to C) is added to every pitch."""
    shift = tonic_shift(notes) if shift is None else shift
    ids = [BOS, INDEX[f"<style:{style}>"]]
    for pitch, length in notes:
        ids.append(pitch_token(None if pitch is None else pitch + shift))
        ids.append(INDEX[f"d{quantise_duration(length):g}"])
    if close:
        ids.append(EOS)
    return ids


def decode(ids: list[int], shift: int = 0) -> list[tuple[int | None, float]]:
    """(pitch or None, length) pairs from token ids; pitches moved by `shift` semitones."""
    out: list[tuple[int | None, float]] = []
    pending: int | None | str = "none"
    for i in ids:
        token = VOCAB[i]
        if token.startswith("p") or token == "rest":
            pending = None if token == "rest" else int(token[1:]) + shift
        elif token.startswith("d") and pending != "none":
            out.append((pending, float(token[1:])))  # type: ignore[arg-type]
            pending = "none"
    return out


def dataset(split: str, style: str | None = None) -> list[list[int]]:
    return [encode(m.notes, m.style) for m in load_essen() if split_of(m.name) == split
            and (style is None or m.style == style)]
