"""MIDI in and out: write a Piece as a Standard MIDI File; read a user's MIDI back into a Piece."""

from __future__ import annotations

import re
from pathlib import Path

from muselab.engines import EngineError
from muselab.music.score import ChordSpan, Note, Piece, Track
from muselab.music.theory import MODES, Scale, chord_from_symbol, estimate_key

GRID = 0.25  # quantise read MIDI to sixteenth notes
ROLES = {"melody": "melody", "bass": "bass", "accompaniment": "accompaniment", "counter": "counter",
         "chords": "accompaniment", "drums": "drums"}


def _swung(t: float) -> float:
    """Late off-beat eighths: an eighth on the 'and' lands a third of the way into the second half."""
    whole = int(t)
    frac = t - whole
    if abs(frac - 0.5) < 1e-6:
        return whole + 2 / 3
    return t


def to_pretty_midi(piece: Piece):
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=piece.tempo)
    num, den = (int(x) for x in piece.time_signature.split("/"))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(num, den, 0.0))
    pm.key_signature_changes.append(
        pretty_midi.KeySignature(piece.tonic + (12 if Scale(piece.tonic, piece.mode).mode in
                                                  ("minor", "aeolian", "harmonic_minor", "yu") else 0), 0.0))
    sec = 60.0 / piece.tempo
    for track in piece.tracks:
        inst = pretty_midi.Instrument(program=track.program, is_drum=track.is_drum, name=track.name)
        for n in track.notes:
            start, end = n.start, n.end
            if piece.swing:
                start = _swung(n.start)
                end = max(_swung(n.end), start + 0.05)
            inst.notes.append(pretty_midi.Note(velocity=max(1, min(127, int(n.velocity))), pitch=int(n.pitch),
                                               start=start * sec, end=end * sec))
        pm.instruments.append(inst)
    for span in piece.chords:  # chord symbols as MIDI lyrics, so other tools (and ours) can read them
        pm.lyrics.append(pretty_midi.Lyric(span.chord.symbol, span.start * sec))
    pm.text_events.append(pretty_midi.Text(f"muselab key={piece.tonic} mode={piece.mode}", 0.0))
    return pm


def write_midi(piece: Piece, path: Path) -> Path:
    to_pretty_midi(piece).write(str(path))
    return path


def midi_duration(path: Path) -> float:
    """Seconds until the last note ends."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(path))
    ends = [n.end for inst in pm.instruments for n in inst.notes]
    return max(ends) if ends else 0.0


MAX_MIDI_BYTES = 4 << 20  # a long, dense piece is well under 1 MB; parsing is bounded before it starts


def _vlq(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for _ in range(4):
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            break
    return value, pos


def count_note_ons(data: bytes, stop_after: int) -> int:
    """Note-ons in a Standard MIDI File, counted by a byte scan that stops past `stop_after`.

    Parsing with mido/pretty_midi costs ~30 µs a note (300k notes: 9 s), so the size of the piece
    is checked this cheap way before the real parse."""
    count, pos = 0, 8 + int.from_bytes(data[4:8], "big")
    try:
        while pos + 8 <= len(data) and count <= stop_after:
            kind, length = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "big")
            pos, end, status = pos + 8, min(len(data), pos + 8 + length), 0
            while kind == b"MTrk" and pos < end and count <= stop_after:
                _, pos = _vlq(data, pos)  # delta time
                if data[pos] >= 0x80:
                    status, pos = data[pos], pos + 1
                if status in (0xFF, 0xF0, 0xF7):  # meta and sysex events carry their own length
                    pos += status == 0xFF
                    size, pos = _vlq(data, pos)
                    pos += size
                    continue
                width = 1 if status & 0xF0 in (0xC0, 0xD0) else 2
                count += status & 0xF0 == 0x90 and width == 2 and data[pos + 1] > 0
                pos += width
            pos = end
    except IndexError:  # a truncated file: pretty_midi will say what is wrong with it
        pass
    return count


def read_midi(path: Path, field: str = "primer_work_id", max_notes: int = 20_000) -> Piece:
    """A user's MIDI file as a Piece (tracks quantised to sixteenths); EngineError naming `field` if unusable.

    The work done on it is bounded by its size: at most MAX_MIDI_BYTES and `max_notes` notes."""
    import pretty_midi

    try:
        if Path(path).stat().st_size > MAX_MIDI_BYTES:
            raise EngineError(f"{field}: the MIDI file is larger than {MAX_MIDI_BYTES >> 20} MB; give a shorter piece")
        data = Path(path).read_bytes()
    except OSError as exc:
        raise EngineError(f"{field}: cannot read the file ({exc})") from None
    if not data:
        raise EngineError(f"{field}: the file is empty; give a Standard MIDI File (.mid) with notes")
    if not data.startswith(b"MThd"):
        raise EngineError(f"{field}: not a MIDI file (it does not start with 'MThd'); give a Standard MIDI File (.mid)")
    if count_note_ons(data, max_notes) > max_notes:
        raise EngineError(f"{field}: the MIDI file has more than {max_notes:,} notes, the most the studio reads "
                          "(setting MUSELAB_MAX_INPUT_NOTES); give a shorter piece")
    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:  # mido/pretty_midi raise many kinds on corrupt files
        raise EngineError(f"{field}: the MIDI file is corrupt and cannot be read "
                          f"({type(exc).__name__}: {exc})") from None
    notes_total = sum(len(i.notes) for i in pm.instruments)
    if notes_total == 0:
        raise EngineError(f"{field}: the MIDI file has no notes; give a MIDI file with at least one note")
    if notes_total > max_notes:  # (the byte scan missed some: a file pretty_midi reads more leniently)
        raise EngineError(f"{field}: the MIDI file has more than {max_notes:,} notes, the most the studio reads "
                          "(setting MUSELAB_MAX_INPUT_NOTES); give a shorter piece")
    _, tempi = pm.get_tempo_changes()
    tempo = float(tempi[0]) if len(tempi) else 120.0
    if not 20 <= tempo <= 400:
        tempo = 120.0
    ts = "4/4"
    if pm.time_signature_changes:
        sig = pm.time_signature_changes[0]
        if f"{sig.numerator}/{sig.denominator}" in ("2/4", "3/4", "4/4", "6/8"):
            ts = f"{sig.numerator}/{sig.denominator}"
    tracks: list[Track] = []
    for inst in pm.instruments:
        notes = []
        for n in inst.notes:
            start = float(round(float(pm.time_to_tick(n.start)) / pm.resolution / GRID) * GRID)
            end = float(round(float(pm.time_to_tick(n.end)) / pm.resolution / GRID) * GRID)
            notes.append(Note(int(n.pitch), start, max(GRID, end - start), int(n.velocity)))
        if notes:
            name = inst.name or ("Drums" if inst.is_drum else "Track")
            role = "drums" if inst.is_drum else ROLES.get(name.strip().lower(), "part")
            tracks.append(Track(name, inst.program, notes, is_drum=inst.is_drum, role=role))
    pitched = [t for t in tracks if not t.is_drum]
    if not pitched:
        raise EngineError(f"{field}: the MIDI file has only drum notes; give a file with a melody")
    tonic, mode = estimate_key([(n.pitch, n.duration) for t in pitched for n in t.notes])
    for text in pm.text_events:  # a file Muselab wrote knows its key and mode (pentatonic modes included)
        found = re.match(r"muselab key=(\d+) mode=(\w+)", text.text)
        if found and found.group(2) in MODES:
            tonic, mode = int(found.group(1)) % 12, found.group(2)
    piece = Piece(tracks, tempo, ts, tonic, mode)
    scale = Scale(tonic, mode)
    beats = [(float(round(float(pm.time_to_tick(ly.time)) / pm.resolution / GRID) * GRID),
              chord_from_symbol(ly.text, scale))
             for ly in pm.lyrics]
    beats = [(t, c) for t, c in beats if c is not None]
    for i, (t, chord) in enumerate(beats):
        end = beats[i + 1][0] if i + 1 < len(beats) else max(t + GRID, piece.length_beats)
        piece.chords.append(ChordSpan(chord, t, end - t))
    return piece


def melody_of(piece: Piece) -> list[Note]:
    """The melody of a read piece: the highest note at each onset of the busiest-high pitched track (skyline)."""
    pitched = [t for t in piece.tracks if not t.is_drum]
    main = next((t for t in pitched if t.role == "melody"), None)
    if main is None:
        main = max(pitched, key=lambda t: len(t.notes) * (sum(n.pitch for n in t.notes) / len(t.notes)))
    by_onset: dict[float, Note] = {}
    for n in main.notes:
        if n.start not in by_onset or n.pitch > by_onset[n.start].pitch:
            by_onset[n.start] = n
    melody = [by_onset[t] for t in sorted(by_onset)]
    out = []
    for i, n in enumerate(melody):  # no overlaps in a monophonic line
        end = melody[i + 1].start if i + 1 < len(melody) else n.end
        out.append(Note(n.pitch, n.start, max(GRID, min(n.duration, end - n.start)), n.velocity))
    return out
