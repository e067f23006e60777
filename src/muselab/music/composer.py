"""The theory-based composer: chord progression, melody, bass, accompaniment and drums from rules.

Works with no training and is fully seeded. The craft, in order:
1. Phrases of four bars; a period alternates half cadences (ending on V) and authentic cadences (V -> I);
   the piece ends on an authentic cadence with the melody on the tonic.
2. Chords come from per-style progression templates written in Roman numerals and mapped onto the
   chosen mode, using only chords whose notes all lie in the mode (pentatonic modes get sus/open chords).
3. The melody's on-beat and long notes are chord tones following a contour; off-beat notes are
   passing or neighbour tones between them (or chord tones). A phrase's motif (rhythm and contour)
   returns, varied, in the repeated phrases (form A A' B A').
4. Bass, accompaniment pattern and drums follow the chords and the style.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from muselab.music.score import ChordSpan, Note, Piece, Track
from muselab.music.styles import MOODS, STYLES, Mood, Style, instrument_program
from muselab.music.theory import (
    Chord,
    Scale,
    bar_beats,
    beat_length,
    strong_beats,
)

# Roman numerals as semitones above the tonic, mapped onto the nearest degree of the chosen mode.
ROMAN = {"I": 0, "bII": 1, "ii": 2, "bIII": 3, "iii": 4, "IV": 5, "#IV": 6, "V": 7, "bVI": 8, "vi": 9, "bVII": 10,
         "vii": 11}


RHYTHMS: dict[str, dict[str, list[list[float]]]] = {
    "4/4": {
        "sparse": [[2, 2], [1, 1, 2], [3, 1], [2, 1, 1], [1.5, 0.5, 2]],
        "medium": [[1, 1, 1, 1], [1, 0.5, 0.5, 1, 1], [1.5, 0.5, 1, 1], [0.5, 0.5, 1, 1, 1], [1, 1, 0.5, 0.5, 1],
                   [2, 0.5, 0.5, 1]],
        "dense": [[0.5] * 8, [0.5, 0.5, 1, 0.5, 0.5, 1], [1, 0.5, 0.5, 0.5, 0.5, 1], [0.25, 0.25, 0.5, 1, 1, 1]],
        "cadence": [[1, 1, 2], [2, 2], [1, 3], [4]],
    },
    "3/4": {
        "sparse": [[2, 1], [3], [1, 2]],
        "medium": [[1, 1, 1], [1, 0.5, 0.5, 1], [2, 0.5, 0.5], [1.5, 0.5, 1]],
        "dense": [[0.5] * 6, [1, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 1, 0.5, 0.5]],
        "cadence": [[2, 1], [3], [1, 2]],
    },
    "2/4": {
        "sparse": [[1, 1], [2], [1.5, 0.5]],
        "medium": [[1, 0.5, 0.5], [0.5, 0.5, 1], [1.5, 0.5], [1, 1]],
        "dense": [[0.5] * 4, [0.25, 0.25, 0.5, 1], [0.5, 0.25, 0.25, 1]],
        "cadence": [[2], [1, 1]],
    },
    "6/8": {
        "sparse": [[1.5, 1.5], [1, 0.5, 1.5], [3]],
        "medium": [[1, 0.5, 1, 0.5], [0.5, 0.5, 0.5, 1.5], [1.5, 1, 0.5]],
        "dense": [[0.5] * 6, [1, 0.5, 0.5, 0.5, 0.5]],
        "cadence": [[3], [1.5, 1.5], [1, 0.5, 1.5]],
    },
}
DENSITIES = ["sparse", "medium", "dense"]

MELODY_RANGE = (62, 86)
BASS_RANGE = (36, 55)
ACCOMP_LOW = 53


@dataclass
class Plan:
    """What the composer decided before writing notes (shared by song, melody and chords tasks)."""

    scale: Scale
    style: Style
    mood: Mood
    time_signature: str
    bars: int
    tempo: float
    phrases: list[tuple[int, int, str]] = field(default_factory=list)  # (first bar, bars, cadence)
    chords: list[ChordSpan] = field(default_factory=list)


def phrase_layout(bars: int, phrase_bars: int = 4) -> list[tuple[int, int, str]]:
    """Split bars into phrases; cadences alternate half/authentic and the last is authentic."""
    lengths = [phrase_bars] * (bars // phrase_bars)
    rest = bars % phrase_bars
    if rest >= 2 or not lengths:
        lengths.append(rest)
    elif rest:
        lengths[-1] += rest
    out, start = [], 0
    for i, n in enumerate(lengths):
        last = i == len(lengths) - 1
        cadence = "authentic" if last or i % 2 == 1 else "half"
        out.append((start, n, cadence))
        start += n
    return out


class Harmony:
    """Chords available in a mode, addressed by Roman numeral."""

    def __init__(self, scale: Scale, sevenths: bool = False):
        self.scale = scale
        self.sevenths = sevenths
        self.by_degree: dict[int, Chord] = {}
        for d in range(scale.size):
            chord = scale.chord_on(d, seventh=sevenths)
            if chord is not None:
                self.by_degree[d] = chord

    # fuller chords are preferred when a numeral has no exact match in the mode (pentatonic modes)
    PENALTY = {"": 0, "m": 0, "7": 0, "maj7": 0, "m7": 0, "sus4": 0.5, "sus2": 0.5, "dim": 1, "m7b5": 1, "5": 1,
               "m7(no5)": 2, "m(no5)": 2}

    def degree_for(self, numeral: str) -> int:
        target = ROMAN[numeral]

        def cost(d: int) -> tuple[float, int]:
            step = self.scale.steps[d]
            distance = min((step - target) % 12, (target - step) % 12)
            return distance + (self.PENALTY.get(self.by_degree[d].quality, 1) if distance else 0), d

        return min(self.by_degree, key=cost)

    def chord(self, numeral: str) -> Chord:
        return self.by_degree[self.degree_for(numeral)]

    def tonic(self) -> Chord:
        return self.by_degree.get(0) or self.chord("I")

    def dominant(self) -> Chord:
        """V (major V in minor keys, as in harmonic minor); the closest available chord in other modes."""
        if self.scale.mode in ("minor", "aeolian", "harmonic_minor"):
            harmonic = Scale(self.scale.tonic, "harmonic_minor").chord_on(4, seventh=self.sevenths)
            if harmonic is not None:
                return harmonic
        candidates = [d for d in self.by_degree if self.scale.steps[d] == 7]
        if candidates:
            return self.by_degree[candidates[0]]
        for numeral in ("vii", "bVII", "IV", "ii"):
            degree = self.degree_for(numeral)
            if degree != 0:
                return self.by_degree[degree]
        return self.tonic()


def plan_piece(scale: Scale, style: Style, mood: Mood, time_signature: str, bars: int, tempo: float,
               rng: random.Random) -> Plan:
    plan = Plan(scale, style, mood, time_signature, bars, tempo, phrase_layout(bars))
    harmony = Harmony(scale, style.sevenths)
    bar = bar_beats(time_signature)
    per_bar = style.chords_per_bar
    span = bar / per_bar
    template_for_form: dict[str, tuple[str, ...]] = {}
    for index, (first, n, cadence) in enumerate(plan.phrases):
        section = "A" if index % 4 != 2 else "B"
        if section not in template_for_form or rng.random() < 0.25:
            template_for_form[section] = rng.choice(style.templates)
        template = list(template_for_form[section])
        slots = n * per_bar
        numerals = (template * (slots // len(template) + 1))[:slots]
        chords = [harmony.chord(num) for num in numerals]
        if index == 0 or cadence == "authentic":
            chords[0] = harmony.tonic() if index == 0 else chords[0]
        if cadence == "authentic":
            chords[-1] = harmony.tonic()
            if slots >= 2:
                chords[-2] = harmony.dominant()
        else:
            chords[-1] = harmony.dominant()
            if slots >= 2 and chords[-2] == chords[-1]:
                chords[-2] = harmony.chord("IV") if harmony.chord("IV") != chords[-1] else harmony.tonic()
        for i, chord in enumerate(chords):
            plan.chords.append(ChordSpan(chord, (first * per_bar + i) * span, span))
    return plan


def _snap(candidates: list[int], target: float, rng: random.Random) -> int:
    best = min(abs(c - target) for c in candidates)
    near = [c for c in candidates if abs(c - target) == best]
    return rng.choice(near)


def _chord_tones(chord: Chord, low: int, high: int) -> list[int]:
    return [p for p in range(low, high + 1) if p % 12 in chord.pcs]


def _vary_rhythm(rhythm: list[float], rng: random.Random) -> list[float]:
    """Split one note into two or merge two into one: the same bar, varied."""
    out = list(rhythm)
    splittable = [i for i, d in enumerate(out) if d >= 1]
    if splittable and (len(out) < 3 or rng.random() < 0.6):
        i = rng.choice(splittable)
        d = out.pop(i)
        out[i:i] = [d / 2, d / 2]
    elif len(out) >= 2:
        i = rng.randrange(len(out) - 1)
        out[i:i + 2] = [out[i] + out[i + 1]]
    return out


def compose_melody(plan: Plan, rng: random.Random, velocity: int | None = None) -> list[Note]:
    """A melody that fits the plan's chords (see module docstring for the rules)."""
    scale, ts = plan.scale, plan.time_signature
    bar = bar_beats(ts)
    beat = beat_length(ts)
    bank = RHYTHMS.get(ts) or {k: [[beat] * int(round(bar / beat))] for k in (*DENSITIES, "cadence")}
    density = DENSITIES[max(0, min(2, DENSITIES.index(plan.style.density) + plan.mood.density_shift))]
    velocity = velocity or plan.mood.velocity
    low, high = MELODY_RANGE
    tonic_pitch = 66 + ((plan.scale.tonic - 66) % 12)  # the tonic between F#4 and F5, above the accompaniment
    centre = 72

    motif_rhythms: dict[str, list[list[float]]] = {}
    motif_steps: dict[str, list[int]] = {}
    notes: list[Note] = []
    previous = tonic_pitch + (4 if scale.contains(tonic_pitch + 4) else 0)
    for index, (first, n, cadence) in enumerate(plan.phrases):
        section = "A" if index % 4 != 2 else "B"
        if section not in motif_rhythms:
            a, b = rng.choice(bank[density]), rng.choice(bank[density])
            motif_rhythms[section] = [a, b, a, b]
            motif_steps[section] = [rng.choice([-2, -1, 1, 2, 3, -3, 0, 1, -1]) for _ in range(16)]
            varied = False
        else:
            varied = True
        rhythms = [list(r) for r in motif_rhythms[section]]
        if varied and index % 4 == 3:
            rhythms[1] = _vary_rhythm(rhythms[1], rng)
        steps = motif_steps[section]
        # one bar of rhythm per bar of the phrase; the last bar is a cadence rhythm
        phrase_rhythm = [rhythms[i % len(rhythms)] for i in range(n - 1)] + [rng.choice(bank["cadence"])]
        onsets: list[tuple[float, float]] = []
        for b, rhythm in enumerate(phrase_rhythm):
            t = (first + b) * bar
            for d in rhythm:
                onsets.append((t, float(d)))
                t += d
        # structural notes: on a beat, or long; the last note of the phrase always
        structural = [abs((t / beat) - round(t / beat)) < 1e-6 or d >= beat for t, d in onsets]
        structural[-1] = True
        pitches: list[int | None] = [None] * len(onsets)
        step_i = 0
        for i, (t, _) in enumerate(onsets):
            if not structural[i]:
                continue
            chord = _chord_at(plan.chords, t)
            tones = _chord_tones(chord, low, high)
            if i == len(onsets) - 1:
                if cadence == "authentic":
                    tones = [p for p in tones if p % 12 == scale.tonic] or tones
                else:
                    preferred = [p for p in tones if p % 12 in (scale.degree_pc(1), chord.root)]
                    tones = preferred or tones
                pitches[i] = _snap(tones, previous, rng)
            else:
                arch = 2 if (t - first * bar) < n * bar / 2 else -2  # rise, then fall towards the cadence
                target = previous + 1.6 * steps[step_i % len(steps)] + 0.5 * arch + 0.15 * (centre - previous)
                step_i += 1
                pitches[i] = _snap(tones, target, rng)
            previous = pitches[i]
        # fill the notes between structural ones
        i = 0
        while i < len(onsets):
            if pitches[i] is not None:
                i += 1
                continue
            j = i
            while j < len(onsets) and pitches[j] is None:
                j += 1
            a = pitches[i - 1] if i > 0 else None
            b = pitches[j] if j < len(onsets) else None
            k = j - i
            filled: list[int] | None = None
            if a is not None and b is not None and scale.contains(a) and scale.contains(b):
                dist = scale.scale_distance(a, b)
                if abs(dist) == k + 1:
                    direction = 1 if dist > 0 else -1
                    filled = [scale.step(a, direction * (m + 1)) for m in range(k)]
                elif k == 1 and dist == 0:
                    filled = [scale.step(a, rng.choice([1, -1]))]
            if filled is None:
                filled = []
                last = a if a is not None else (b if b is not None else centre)
                for m in range(k):
                    t = onsets[i + m][0]
                    goal = b if b is not None else last
                    target = last + (goal - last) / (k - m + 1) + rng.choice([-2, 0, 2])
                    last = _snap(_chord_tones(_chord_at(plan.chords, t), low, high), target, rng)
                    filled.append(last)
            pitches[i:j] = filled
            i = j
        for (t, d), p in zip(onsets, pitches, strict=True):
            in_bar = t % bar
            accent = 12 if abs(in_bar) < 1e-6 else (6 if any(abs(in_bar - s) < 1e-6 for s in strong_beats(ts)) else 0)
            final = index == len(plan.phrases) - 1 and t + d >= (first + n) * bar - 1e-6
            notes.append(Note(int(p), t, d * (0.95 if d < bar and not final else 1.0), min(127, velocity + accent)))
    return notes


def _chord_at(spans: list[ChordSpan], t: float) -> Chord:
    for span in spans:
        if span.start - 1e-6 <= t < span.end - 1e-6:
            return span.chord
    return spans[-1].chord


def _voice(chord: Chord, previous: list[int] | None, count: int = 3) -> list[int]:
    """An inversion of the chord near the previous voicing (smooth voice leading), above ACCOMP_LOW."""
    options = []
    for low in range(ACCOMP_LOW, ACCOMP_LOW + 12):
        v = chord.voicing(low, count)
        if v[0] == low:
            options.append(v)
    if not previous:
        return options[len(options) // 2]
    centre = sum(previous) / len(previous)
    return min(options, key=lambda v: abs(sum(v) / len(v) - centre))


def compose_bass(plan: Plan, velocity: int) -> list[Note]:
    ts = plan.time_signature
    beat = beat_length(ts)
    notes: list[Note] = []
    spans = plan.chords
    for i, span in enumerate(spans):
        chord = span.chord
        root = 36 + ((chord.root - 36) % 12)
        if root < 40:
            root += 12
        fifth_iv = 7 if 7 in chord.intervals else chord.intervals[-1]
        fifth = root + fifth_iv if root + fifth_iv <= BASS_RANGE[1] else root + fifth_iv - 12
        last = i == len(spans) - 1
        pattern = "held" if last else plan.style.bass_pattern
        t, end = span.start, span.end
        if pattern == "held" or span.duration <= beat:
            notes.append(Note(root, t, span.duration * (1.0 if last else 0.98), velocity))
        elif pattern == "root_fifth":
            half = span.duration / 2 if span.duration / 2 >= beat - 1e-6 else span.duration
            notes.append(Note(root, t, half * 0.95, velocity))
            if half < span.duration:
                notes.append(Note(fifth, t + half, half * 0.95, velocity - 8))
        elif pattern == "pulse":
            step = beat / 2
            k = 0
            while t + 1e-6 < end:
                notes.append(Note(root, t, step * 0.8, velocity - (0 if k % 2 == 0 else 12)))
                t += step
                k += 1
        elif pattern == "oom":
            k = 0
            while t + 1e-6 < end:
                notes.append(Note(root if k % 2 == 0 else fifth, t, beat * 0.6, velocity))
                t += 2 * beat
                k += 1
        elif pattern == "walking":
            nxt = spans[i + 1].chord.root if i + 1 < len(spans) else chord.root
            tones = sorted({root + iv for iv in chord.intervals if root + iv <= BASS_RANGE[1]})
            beats = int(round(span.duration / beat))
            line = [root] + [tones[(k % (len(tones) - 1)) + 1] if len(tones) > 1 else root for k in range(beats - 1)]
            if beats >= 2:  # approach the next root from a chord tone nearest to it
                target = 36 + ((nxt - 36) % 12) + (12 if 36 + ((nxt - 36) % 12) < 40 else 0)
                line[-1] = min(tones, key=lambda p: abs(p - target))
            for k, p in enumerate(line):
                notes.append(Note(p, t + k * beat, beat * 0.9, velocity - (0 if k == 0 else 10)))
    return notes


def compose_accompaniment(plan: Plan, velocity: int, rng: random.Random) -> list[Note]:
    ts = plan.time_signature
    beat = beat_length(ts)
    pattern = plan.style.pattern
    notes: list[Note] = []
    previous: list[int] | None = None
    for i, span in enumerate(plan.chords):
        count = 4 if pattern in ("block", "lofi") or len(span.chord.intervals) >= 4 else 3
        voicing = _voice(span.chord, previous, count)
        previous = voicing
        t, end, dur = span.start, span.end, span.duration
        last = i == len(plan.chords) - 1
        if last or pattern == "block":
            notes += [Note(p, t, dur * (1.0 if last else 0.98), velocity) for p in voicing]
            continue
        if pattern == "stabs":
            k = 0
            while t + 1e-6 < end:
                notes += [Note(p, t, beat * 0.45, velocity - (0 if k % 2 == 0 else 10)) for p in voicing]
                t += beat
                k += 1
        elif pattern in ("arpeggio", "guzheng"):
            step = beat / 2 if pattern == "arpeggio" else beat / 4
            shape = voicing + [voicing[0] + 12] + voicing[1:][::-1] if pattern == "arpeggio" else \
                voicing + [p + 12 for p in voicing] + [p + 12 for p in voicing][::-1][1:] + voicing[::-1][1:]
            k = 0
            while t + 1e-6 < end:
                p = shape[k % len(shape)]
                notes.append(Note(p, t, min(step * 2.5, end - t), velocity - (0 if k % 4 == 0 else 14)))
                t += step
                k += 1
        elif pattern == "alberti":
            low, mid, high = voicing[0], voicing[1], voicing[2]
            seq = [low, high, mid, high]
            k = 0
            while t + 1e-6 < end:
                notes.append(Note(seq[k % 4], t, beat / 2 * 0.9, velocity - (0 if k % 2 == 0 else 12)))
                t += beat / 2
                k += 1
        elif pattern == "oompah":
            k = 0
            while t + 1e-6 < end:
                if k % 2 == 1:
                    notes += [Note(p, t, beat * 0.45, velocity - 6) for p in voicing]
                t += beat
                k += 1
        elif pattern == "lofi":
            hits = [(0.0, 1.4), (1.5, 0.9)] if dur >= 2 else [(0.0, dur * 0.9)]
            if dur >= 4:
                hits.append((2.5, 1.4))
            for off, length in hits:
                if t + off < end:
                    notes += [Note(p, t + off, min(length, end - t - off), velocity - 10) for p in voicing]
        elif pattern == "strum":
            offs = [0, beat, beat * 1.5, beat * 2.5, beat * 3] if dur >= 4 * beat else \
                [k * beat / 2 for k in range(int(round(dur / (beat / 2))))]
            for k, off in enumerate(offs):
                if t + off >= end - 1e-6:
                    continue
                down = k % 2 == 0 or off == 0
                for j, p in enumerate(voicing if down else voicing[::-1]):
                    notes.append(Note(p, t + off + 0.01 * j, min(beat * 0.5, end - t - off - 0.01 * j),
                                      velocity - (0 if down else 14)))
    return notes


def compose_counter(plan: Plan, velocity: int) -> list[Note]:
    """A sustained line on the chord's third (or nearest tone), one note per chord, for strings or erhu."""
    notes: list[Note] = []
    previous = 64
    for i, span in enumerate(plan.chords):
        tones = _chord_tones(span.chord, 57, 74)
        # the chord's colour tone (third or seventh) when one is near, so the line moves with the harmony
        pitch = min(tones, key=lambda p: abs(p - previous) + (0 if (p - span.chord.root) % 12 in (3, 4, 10, 11)
                                                              else 2.5))
        notes.append(Note(pitch, span.start, span.duration * (1.0 if i == len(plan.chords) - 1 else 0.98), velocity))
        previous = pitch
    return notes


KICK, SNARE, SIDE, HAT, OPEN_HAT, CRASH, RIDE, LOW_TOM, MID_TOM, WOOD_HI, WOOD_LO, TAMB = \
    36, 38, 37, 42, 46, 49, 51, 41, 45, 76, 77, 54


def compose_drums(plan: Plan, velocity: int) -> list[Note]:
    ts = plan.time_signature
    bar = bar_beats(ts)
    beat = beat_length(ts)
    beats = int(round(bar / beat))
    kit = plan.style.drum_kit if plan.style.drum_kit != "none" else "pop"
    notes: list[Note] = []
    for b in range(plan.bars):
        t0 = b * bar
        if b == plan.bars - 1:
            notes += [Note(CRASH, t0, beat, velocity), Note(KICK, t0, beat, velocity)]
            break
        if b == 0 or (b % 8 == 0):
            notes.append(Note(CRASH, t0, beat, velocity - 10))
        for k in range(beats):
            t = t0 + k * beat
            strong = k == 0 or (beats == 4 and k == 2)
            back = not strong and (beats != 3 or k > 0)
            if kit == "pop":
                if strong:
                    notes.append(Note(KICK, t, 0.25, velocity))
                if back:
                    notes.append(Note(SNARE, t, 0.25, velocity - 5))
                notes += [Note(HAT, t, 0.2, velocity - 25), Note(HAT, t + beat / 2, 0.2, velocity - 35)]
            elif kit == "lofi":
                if strong:
                    notes.append(Note(KICK, t, 0.25, velocity - 10))
                if k == 1 and beats == 4:
                    notes.append(Note(KICK, t + beat / 2, 0.25, velocity - 25))
                if back:
                    notes.append(Note(SIDE, t, 0.25, velocity - 15))
                notes += [Note(HAT, t, 0.2, velocity - 35), Note(HAT, t + beat / 2, 0.2, velocity - 45)]
            elif kit == "march":
                notes.append(Note(KICK if strong else SNARE, t, 0.25, velocity - (0 if strong else 8)))
                notes.append(Note(SNARE, t + beat / 2, 0.2, velocity - 30))
                if k == beats - 1:
                    notes.append(Note(SNARE, t + 3 * beat / 4, 0.2, velocity - 30))
            elif kit == "ballad":
                if strong:
                    notes.append(Note(KICK, t, 0.25, velocity - 15))
                if back:
                    notes.append(Note(SIDE, t, 0.25, velocity - 20))
                notes.append(Note(RIDE, t, 0.3, velocity - 35))
            elif kit == "folk":
                if strong:
                    notes.append(Note(KICK, t, 0.25, velocity - 15))
                if back:
                    notes.append(Note(TAMB, t, 0.25, velocity - 20))
            elif kit == "chinese":
                if k == 0:
                    notes.append(Note(LOW_TOM, t, 0.5, velocity - 10))
                notes.append(Note(WOOD_HI if k % 2 == 0 else WOOD_LO, t, 0.2, velocity - 25))
    return notes


@dataclass
class SongOptions:
    key: int
    mode: str
    style: str
    mood: str
    tempo: float | None
    time_signature: str
    bars: int
    drums: bool | None = None
    melody_instrument: str | None = None
    accompaniment_instrument: str | None = None
    bass_instrument: str | None = None
    parts: tuple[str, ...] = ("melody", "counter", "accompaniment", "bass", "drums")
    title: str = ""


def compose(options: SongOptions, seed: int) -> Piece:
    """A full piece from the options; the same options and seed always give the same piece."""
    rng = random.Random(seed)
    style = STYLES[options.style]
    mood = MOODS[options.mood]
    scale = Scale(options.key, options.mode)
    tempo = options.tempo or round(style.tempo * mood.tempo_factor)
    plan = plan_piece(scale, style, mood, options.time_signature, options.bars, tempo, rng)
    vel = mood.velocity
    tracks: list[Track] = []
    parts = set(options.parts)
    if "melody" in parts:
        program = instrument_program(options.melody_instrument or style.melody)
        tracks.append(Track("Melody", program, compose_melody(plan, random.Random(rng.random())), role="melody"))
    if "counter" in parts and style.counter:
        tracks.append(Track("Counter", instrument_program(style.counter), compose_counter(plan, vel - 30),
                            role="counter"))
    if "accompaniment" in parts:
        program = instrument_program(options.accompaniment_instrument or style.accompaniment)
        tracks.append(Track("Accompaniment", program,
                            compose_accompaniment(plan, vel - 18, random.Random(rng.random())),
                            role="accompaniment"))
    if "bass" in parts:
        program = instrument_program(options.bass_instrument or style.bass)
        tracks.append(Track("Bass", program, compose_bass(plan, vel - 5), role="bass"))
    use_drums = style.drums if options.drums is None else options.drums
    if "drums" in parts and use_drums:
        tracks.append(Track("Drums", 0, compose_drums(plan, vel - 10), is_drum=True, role="drums"))
    return Piece(tracks, tempo, options.time_signature, scale.tonic, scale.mode, plan.chords,
                 title=options.title, swing=style.swing)
