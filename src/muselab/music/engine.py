"""The compose engine: one function per task, each Recipe + Context -> Outputs.

Every task returns, per candidate: the MIDI (the main output), then the audio files, the MusicXML score
and the piano-roll PNG, each with parent_outputs pointing at its MIDI. Output.meta carries what a
musician wants to see: key, mode, tempo, time signature, chords per bar, renderer, duration, peak, loudness.
"""

from __future__ import annotations

import random
from pathlib import Path

from muselab.engines import Context, EngineError, Output
from muselab.music.composer import SongOptions, compose, compose_melody, plan_piece
from muselab.music.recipe import (
    ArrangeRecipe,
    ChordsRecipe,
    ContinueRecipe,
    HarmonizeRecipe,
    LoopRecipe,
    MelodyRecipe,
    RenderOptions,
    SongRecipe,
    VaryRecipe,
)
from muselab.music.score import Piece, Track
from muselab.music.styles import MOODS, STYLES, default_mode, instrument_program
from muselab.music.theory import NOTE_NAMES, Scale, bar_beats, key_pc

MUSICXML = "application/vnd.recordare.musicxml+xml"


# ---- writing a piece out ---------------------------------------------------------------------------------


def plain(value):
    """Meta as plain JSON types (numpy scalars from MIDI/audio libraries become Python numbers)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def piece_meta(piece: Piece) -> dict:
    from muselab.music.analysis import classify_melody

    meta = {"key": NOTE_NAMES[piece.tonic], "mode": piece.mode, "tempo": round(piece.tempo, 2),
            "time_signature": piece.time_signature, "bars": piece.bars,
            "chords_per_bar": piece.chords_per_bar() if piece.chords else [],
            "tracks": [{"name": t.name, "program": t.program, "drums": t.is_drum, "notes": len(t.notes)}
                       for t in piece.tracks],
            "midi_duration": round(piece.duration_seconds, 3)}
    if piece.track("melody") is not None and piece.chords:
        labels = classify_melody(piece)
        meta["melody_notes"] = {k: labels.count(k) for k in ("chord", "passing", "neighbour", "foreign")}
    return meta


def write_piece(piece: Piece, recipe: RenderOptions, ctx: Context, stem: str, title: str, extra: dict | None = None,
                parents: list[str] | None = None, first_index: int = 0, progress: tuple[float, float] = (0.0, 1.0),
                exact_seconds: float | None = None) -> list[Output]:
    """MIDI, audio, MusicXML and piano roll of one piece; first_index is the MIDI's index in the job's outputs."""
    from muselab.music.midi_io import write_midi

    lo, hi = progress
    meta = plain(piece_meta(piece) | (extra or {}))
    parents = parents or []
    midi_path = write_midi(piece, Path(ctx.workdir) / f"{stem}.mid")
    outputs = [Output(kind="midi", media_type="audio/midi", path=midi_path, title=title, meta=meta,
                      parents=parents, filename=f"{stem}.mid", model=meta.get("generator"))]
    main = first_index
    if recipe.audio_formats:
        from muselab.music.render import AUDIO_FORMATS, render

        ctx.progress(lo + (hi - lo) * 0.2, f"rendering audio ({', '.join(recipe.audio_formats)})")
        rendered = render(midi_path, Path(ctx.workdir), list(recipe.audio_formats), recipe.soundfont,
                          recipe.renderer, midi_seconds=piece.duration_seconds, stem=stem,
                          exact_seconds=exact_seconds)
        meta.update(plain({k: rendered.info[k] for k in ("renderer", "soundfont", "peak_dbfs", "loudness_lufs")}))
        meta["duration"] = float(rendered.info["duration"])
        for fmt, path in rendered.files.items():
            outputs.append(Output(kind="audio", media_type=AUDIO_FORMATS[fmt][2], path=path, title=title,
                                  meta=plain(dict(rendered.info)), parents=parents, parent_outputs=[main],
                                  filename=path.name))
    if recipe.score:
        from muselab.music.notation import write_musicxml

        ctx.progress(lo + (hi - lo) * 0.7, "writing the score (MusicXML)")
        path = write_musicxml(piece, Path(ctx.workdir) / f"{stem}.musicxml")
        outputs.append(Output(kind="score", media_type=MUSICXML, path=path, title=title, parents=parents,
                              parent_outputs=[main], filename=path.name, meta={"format": "MusicXML"}))
    if recipe.pianoroll:
        from muselab.music.pianoroll import draw_pianoroll

        ctx.progress(lo + (hi - lo) * 0.85, "drawing the piano roll")
        path = draw_pianoroll(piece, Path(ctx.workdir) / f"{stem}.png")
        outputs.append(Output(kind="image", media_type="image/png", path=path, title=title, parents=parents,
                              parent_outputs=[main], filename=path.name,
                              meta={"chords_per_bar": meta["chords_per_bar"]}))
    ctx.progress(hi, f"{title} done")
    return outputs


def _title(recipe, default: str) -> str:
    return recipe.title or default


def _candidates(n: int, make, recipe, ctx: Context, stem: str, title: str, parents: list[str] | None = None):
    """Make n candidates (each seeded seed+i) and write each out."""
    outputs: list[Output] = []
    for i in range(n):
        ctx.progress(i / n, f"candidate {i + 1}/{n}")
        piece, extra = make(random.Random(recipe.seed + i * 7919), i)
        extra = (extra or {}) | ({"candidate": i + 1, "candidates": n} if n > 1 else {})
        name = f"{stem}-{i + 1}" if n > 1 else stem
        label = f"{title} #{i + 1}" if n > 1 else title
        outputs += write_piece(piece, recipe, ctx, name, label, extra, parents, len(outputs),
                               ((i + 0.1) / n, (i + 1) / n))
    return outputs


# ---- composing from nothing ------------------------------------------------------------------------------


def _options(recipe, parts: tuple[str, ...], **kw) -> SongOptions:
    mode = recipe.mode or default_mode(recipe.style, recipe.mood)
    return SongOptions(key_pc(recipe.key), mode, recipe.style, recipe.mood, recipe.tempo, recipe.time_signature,
                       recipe.bars, parts=parts, title=recipe.title, **kw)


def song(recipe: SongRecipe, ctx: Context) -> list[Output]:
    ctx.progress(0.02, "composing")
    options = _options(recipe, ("melody", "counter", "accompaniment", "bass", "drums"), drums=recipe.drums,
                       melody_instrument=recipe.melody_instrument,
                       accompaniment_instrument=recipe.accompaniment_instrument,
                       bass_instrument=recipe.bass_instrument)
    piece = compose(options, recipe.seed)
    title = _title(recipe, f"{recipe.style} song in {NOTE_NAMES[piece.tonic]} {piece.mode}")
    return write_piece(piece, recipe, ctx, "song", title, {"style": recipe.style, "mood": recipe.mood,
                                                            "generator": "theory"}, progress=(0.1, 1.0))


def chords(recipe: ChordsRecipe, ctx: Context) -> list[Output]:
    ctx.progress(0.02, "choosing chords")
    options = _options(recipe, ("accompaniment", "bass"), accompaniment_instrument=recipe.instrument)
    piece = compose(options, recipe.seed)
    title = _title(recipe, f"{recipe.style} chords in {NOTE_NAMES[piece.tonic]} {piece.mode}")
    progression = " | ".join(" ".join(bar) for bar in piece.chords_per_bar())
    outputs = write_piece(piece, recipe, ctx, "chords", title, {"style": recipe.style, "progression": progression,
                                                                "generator": "theory"}, progress=(0.1, 1.0))
    outputs[0].text = progression
    return outputs


def melody(recipe: MelodyRecipe, ctx: Context) -> list[Output]:
    mode = recipe.mode or default_mode(recipe.style, recipe.mood)
    scale = Scale(key_pc(recipe.key), mode)
    style = STYLES[recipe.style]
    tempo = recipe.tempo or round(style.tempo * MOODS[recipe.mood].tempo_factor)
    program = instrument_program(recipe.instrument or style.melody)
    title = _title(recipe, f"{recipe.generator} melody in {scale.name()}")

    def make(rng: random.Random, i: int):
        if recipe.generator == "theory":
            plan = plan_piece(scale, style, MOODS[recipe.mood], recipe.time_signature, recipe.bars, tempo, rng)
            notes = compose_melody(plan, rng)
            piece = Piece([Track("Melody", program, notes, role="melody")], tempo, recipe.time_signature,
                          scale.tonic, scale.mode, plan.chords, title=recipe.title)
            return piece, {"generator": "theory", "style": recipe.style, "mood": recipe.mood}
        from muselab.music import learned

        corpus_style = "han" if style.chinese or scale.pentatonic else "europe"
        notes, info = learned.generate(recipe.generator, [], scale, recipe.time_signature, recipe.bars, rng,
                                       recipe.temperature, recipe.top_k, corpus_style, ctx)
        return learned.with_chords(notes, scale, recipe.time_signature, tempo, program, recipe.title), info

    return _candidates(recipe.n, make, recipe, ctx, "melody", title)


# ---- operations on a user's MIDI -------------------------------------------------------------------------


def _read(ctx: Context, work_id: str, field: str) -> Piece:
    from muselab.music.midi_io import read_midi

    return read_midi(ctx.input_path(work_id), field, max_notes=ctx.limits.max_input_notes)


def continue_(recipe: ContinueRecipe, ctx: Context) -> list[Output]:
    from muselab.music import learned
    from muselab.music.midi_io import melody_of

    primer_piece = _read(ctx, recipe.primer_work_id, "primer_work_id")
    primer = melody_of(primer_piece)
    scale = Scale(primer_piece.tonic, primer_piece.mode)
    program = next((t.program for t in primer_piece.tracks if not t.is_drum), 0)
    bar = bar_beats(primer_piece.time_signature)
    primer_end = max(n.end for n in primer)
    title = _title(recipe, f"continuation ({recipe.generator})")

    def make(rng: random.Random, i: int):
        new, info = learned.generate(recipe.generator, primer, scale, primer_piece.time_signature, recipe.bars, rng,
                                     recipe.temperature, recipe.top_k, recipe.style, ctx)
        notes = primer + new
        piece = learned.with_chords(notes, scale, primer_piece.time_signature, primer_piece.tempo, program,
                                    recipe.title)
        info.update({"primer_notes": len(primer), "primer_beats": primer_end, "added_notes": len(new),
                     "added_bars": recipe.bars, "bar_beats": bar})
        return piece, info

    return _candidates(recipe.n, make, recipe, ctx, "continuation", title, parents=[recipe.primer_work_id])


def harmonize(recipe: HarmonizeRecipe, ctx: Context) -> list[Output]:
    from muselab.music.harmonize import harmonize as choose_chords
    from muselab.music.midi_io import melody_of
    from muselab.music.transform import arrange_melody

    source = _read(ctx, recipe.melody_work_id, "melody_work_id")
    line = melody_of(source)
    tonic = key_pc(recipe.key) if recipe.key else source.tonic
    mode = recipe.mode or (source.mode if not recipe.key else "major")
    scale = Scale(tonic, mode)
    ctx.progress(0.05, f"harmonizing in {scale.name()}")
    spans = choose_chords(line, scale, source.time_signature, recipe.chords_per_bar)
    program = next((t.program for t in source.tracks if not t.is_drum), 0)
    piece = arrange_melody(line, scale, source.time_signature, source.tempo, recipe.style, spans, recipe.drums,
                           program, rng=random.Random(recipe.seed), title=recipe.title)
    title = _title(recipe, f"harmonized in {scale.name()}")
    return write_piece(piece, recipe, ctx, "harmonized", title,
                       {"style": recipe.style, "detected_key": not recipe.key, "generator": "harmonizer"},
                       parents=[recipe.melody_work_id], progress=(0.1, 1.0))


def vary(recipe: VaryRecipe, ctx: Context) -> list[Output]:
    from muselab.music import transform
    from muselab.music.midi_io import melody_of

    source = _read(ctx, recipe.melody_work_id, "melody_work_id")
    line = melody_of(source)
    scale = Scale(source.tonic, source.mode)
    op = recipe.operation
    if op == "transpose":
        if recipe.semitones == 0:
            raise EngineError("semitones: transpose needs a non-zero number of semitones (-24..24)")
        new = transform.transpose(line, recipe.semitones)
        scale = Scale((scale.tonic + recipe.semitones) % 12, scale.mode)
    elif op == "invert":
        new = transform.invert(line, scale)
    elif op == "retrograde":
        new = transform.retrograde(line)
    elif op == "augment":
        new = transform.scale_time(line, 2.0)
    elif op == "diminish":
        new = transform.scale_time(line, 0.5)
    else:
        new = transform.rhythmic_variation(line, random.Random(recipe.seed), source.time_signature)
    if any(not 0 <= n.pitch <= 127 for n in new):
        raise EngineError("semitones: the result leaves the MIDI range 0..127; use a smaller interval")
    from muselab.music.harmonize import harmonize as choose_chords

    program = next((t.program for t in source.tracks if not t.is_drum), 0)
    new = sorted(new, key=lambda n: n.start)
    piece = Piece([Track("Melody", program, new, role="melody")], source.tempo, source.time_signature, scale.tonic,
                  scale.mode, choose_chords(new, scale, source.time_signature), title=recipe.title)
    title = _title(recipe, f"{op} of the melody")
    return write_piece(piece, recipe, ctx, f"variation-{op}", title,
                       {"operation": op, "semitones": recipe.semitones if op == "transpose" else 0,
                        "generator": "variation"}, parents=[recipe.melody_work_id])


def arrange(recipe: ArrangeRecipe, ctx: Context) -> list[Output]:
    from muselab.music.harmonize import harmonize as choose_chords
    from muselab.music.midi_io import melody_of
    from muselab.music.transform import arrange_melody

    source = _read(ctx, recipe.work_id, "work_id")
    tempo = recipe.tempo or source.tempo
    if recipe.style:
        line = melody_of(source)
        scale = Scale(source.tonic, source.mode)
        spans = choose_chords(line, scale, source.time_signature, STYLES[recipe.style].chords_per_bar)
        piece = arrange_melody(line, scale, source.time_signature, tempo, recipe.style, spans,
                               STYLES[recipe.style].drums, rng=random.Random(recipe.seed), title=recipe.title)
    else:
        piece = source
        piece.tempo = tempo
        piece.title = recipe.title
    changed = {}
    for ref, name in recipe.instruments.items():
        if ref.isdigit():
            index = int(ref) - 1
            if not 0 <= index < len(piece.tracks):
                raise EngineError(f"instruments: track number {ref} does not exist; the piece has tracks 1.."
                                  f"{len(piece.tracks)} ({', '.join(t.name for t in piece.tracks)})")
            track = piece.tracks[index]
        else:
            track = next((t for t in piece.tracks if t.name.lower() == ref.lower()), None)
            if track is None:
                raise EngineError(f"instruments: no track named {ref!r}; tracks: "
                                  f"{', '.join(t.name for t in piece.tracks)} (or their numbers from 1)")
        if track.is_drum:
            raise EngineError(f"instruments: track {ref!r} is the drum track; drums have no instrument to change")
        track.program = instrument_program(name)
        changed[track.name] = name
    title = _title(recipe, "arrangement")
    return write_piece(piece, recipe, ctx, "arrangement", title,
                       {"style": recipe.style, "instruments": changed, "generator": "arranger"},
                       parents=[recipe.work_id])


def loop(recipe: LoopRecipe, ctx: Context) -> list[Output]:
    from muselab.music.transform import loop_to_duration

    source = _read(ctx, recipe.work_id, "work_id")
    looped, plan = loop_to_duration(source, recipe.duration_seconds, recipe.max_tempo_change)
    title = _title(recipe, f"loop of {recipe.duration_seconds:g} s")
    return write_piece(looped, recipe, ctx, "loop", title, {"loop": plan, "target_seconds": recipe.duration_seconds,
                                                            "generator": "looper"},
                       parents=[recipe.work_id], exact_seconds=recipe.duration_seconds)
