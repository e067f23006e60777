"""`muselab compose ...` (melody, chords, song, continue, harmonize, vary, arrange, loop) and `muselab play WORK`.

Every option defaults to None, i.e. left out of the recipe, so the recipe owns every default; the help texts
read the defaults and the accepted names from the recipes and the music tables.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import get_args

import typer

from muselab.cli.common import JSON, OUT, console, fail, print_json, print_works, run_job, studio, work_ref
from muselab.music.recipe import (
    AudioFormat,
    ComposeOptions,
    ContinueRecipe,
    Generator,
    HarmonizeRecipe,
    LoopRecipe,
    MelodyRecipe,
    Renderer,
    SongRecipe,
    TimeSignature,
    Variation,
    VaryRecipe,
)
from muselab.music.styles import MOOD_ALIASES, MOODS, STYLE_ALIASES, STYLES
from muselab.music.theory import MODE_ALIASES, MODES, NOTE_NAMES

compose_app = typer.Typer(help="Compose music: melodies, chords, songs; continue, harmonize, vary, arrange, loop a "
                               "MIDI. 作曲", no_args_is_help=True)


def _default(recipe, field: str) -> str:
    return f" (default {recipe.model_fields[field].default})"


def _names(values) -> str:
    return " ".join(str(v) for v in values)


def _render_options(formats: list[str] | None, renderer: str | None, soundfont: str | None, score: bool | None,
                    pianoroll: bool | None, title: str | None, seed: int | None) -> dict:
    audio = None if not formats else ([] if formats == ["none"] else formats)
    return {"audio_formats": audio, "renderer": renderer, "soundfont": soundfont, "score": score,
            "pianoroll": pianoroll, "title": title, "seed": seed}


def _midi(ref: str, option: str) -> str:
    """A MIDI file (kept as audio/midi whatever its extension) or the id of a Work already in the library."""
    return work_ref(ref, option, media_type="audio/midi")


def summarize(works: list[dict], out: Path | None) -> None:
    """Each Work's line, then for each MIDI its key, tempo, chords and how its audio came out."""
    print_works(works, out)
    for w in (w for w in works if w["kind"] == "midi"):
        meta = (w.get("meta") or {})
        bars = meta.get("chords_per_bar") or []
        chords = " | ".join(" ".join(b) for b in bars[:16])
        console.print(f"  [bold]{meta.get('key', '')} {meta.get('mode', '')}[/] {meta.get('tempo', '')} bpm "
                      f"{meta.get('time_signature', '')}  {chords}")
        if meta.get("renderer"):
            console.print(f"  rendered by {meta['renderer']} ({meta.get('soundfont')}): {meta.get('duration')} s, "
                          f"peak {meta.get('peak_dbfs')} dBFS, {meta.get('loudness_lufs')} LUFS")


# Options shared by several commands (Typer needs them per command; these keep them in one place).
Seed = typer.Option(None, help="Seed (random when left out); the same recipe and seed give the same music.")
Formats = typer.Option(None, "--format", "-f", help=f"Audio formats to render: {_names(get_args(AudioFormat))} "
                       "(repeat the option; 'none' for MIDI only)" + _default(SongRecipe, "audio_formats"))
RendererOpt = typer.Option(None, "--renderer", help=_names(get_args(Renderer)) + _default(SongRecipe, "renderer"))
Soundfont = typer.Option(None, help="A General MIDI .sf2 file (default: FluidR3_GM, then TimGM6mb).")
Score = typer.Option(None, "--score/--no-score", help="Write the MusicXML score" + _default(SongRecipe, "score"))
Roll = typer.Option(None, "--pianoroll/--no-pianoroll", help="Draw the piano roll" + _default(SongRecipe, "pianoroll"))
Title = typer.Option(None, help="Title (any language).")
Key = typer.Option(None, help=f"Tonic: {_names(NOTE_NAMES)}" + _default(ComposeOptions, "key"))
Mode = typer.Option(None, help=f"{_names(MODES)} (or {_names(a for a in MODE_ALIASES if len(a) == 1)}); "
                    "default: from the mood.")
Style = typer.Option(None, help=f"{_names(STYLES)} (or {_names(STYLE_ALIASES)})" + _default(ComposeOptions, "style"))
Mood = typer.Option(None, help=f"{_names(MOODS)} (or {_names(MOOD_ALIASES)})" + _default(ComposeOptions, "mood"))
Tempo = typer.Option(None, help="Beats per minute (30..240); default from style and mood.")
TimeSig = typer.Option(None, "--time-signature", "-t",
                       help=_names(get_args(TimeSignature)) + _default(ComposeOptions, "time_signature"))
Bars = typer.Option(None, help="Bars (default: the task's).")
Candidates = typer.Option(None, "-n", "--n", help="Candidates" + _default(MelodyRecipe, "n"))
Temperature = typer.Option(None, help="Learned generators: 0 = always the likeliest note, <1 safer, >1 bolder"
                           + _default(MelodyRecipe, "temperature"))
TopK = typer.Option(None, help="Learned generators: sample among the k likeliest, 0: all"
                    + _default(MelodyRecipe, "top_k"))


@compose_app.command()
def song(key: str = Key, mode: str = Mode, style: str = Style, mood: str = Mood, tempo: int = Tempo,
         time_signature: str = TimeSig, bars: int = Bars,
         drums: bool = typer.Option(None, "--drums/--no-drums", help="Drum track (default: the style's)."),
         melody_instrument: str = typer.Option(None, help="e.g. piano, flute, dizi 笛子, erhu 二胡."),
         accompaniment_instrument: str = typer.Option(None, help="e.g. guzheng 古筝, strings, piano."),
         bass_instrument: str = typer.Option(None, help="e.g. cello, electric_bass."),
         formats: list[str] = Formats, renderer: str = RendererOpt, soundfont: str = Soundfont, score: bool = Score,
         pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = OUT, json_output: bool = JSON):
    """An arranged piece: melody, counter-line, accompaniment, bass and drums."""
    recipe = {"key": key, "mode": mode, "style": style, "mood": mood, "tempo": tempo,
              "time_signature": time_signature, "bars": bars, "drums": drums, "melody_instrument": melody_instrument,
              "accompaniment_instrument": accompaniment_instrument, "bass_instrument": bass_instrument}
    run_job("music.song", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed),
            json_output=json_output, out=out, summary=summarize)


@compose_app.command()
def melody(key: str = Key, mode: str = Mode, style: str = Style, mood: str = Mood, tempo: int = Tempo,
           time_signature: str = TimeSig, bars: int = Bars,
           generator: str = typer.Option(None, help=_names(get_args(Generator)) + _default(MelodyRecipe, "generator")),
           n: int = Candidates, temperature: float = Temperature, top_k: int = TopK,
           instrument: str = typer.Option(None, help="Melody instrument."),
           formats: list[str] = Formats, renderer: str = RendererOpt, soundfont: str = Soundfont, score: bool = Score,
           pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = OUT, json_output: bool = JSON):
    """A melody (with the chords it implies)."""
    recipe = {"key": key, "mode": mode, "style": style, "mood": mood, "tempo": tempo,
              "time_signature": time_signature, "bars": bars, "generator": generator, "n": n,
              "temperature": temperature, "top_k": top_k, "instrument": instrument}
    run_job("music.melody", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed),
            json_output=json_output, out=out, summary=summarize)


@compose_app.command()
def chords(key: str = Key, mode: str = Mode, style: str = Style, mood: str = Mood, tempo: int = Tempo,
           time_signature: str = TimeSig, bars: int = Bars,
           instrument: str = typer.Option(None, help="Chord instrument."),
           formats: list[str] = Formats, renderer: str = RendererOpt, soundfont: str = Soundfont, score: bool = Score,
           pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = OUT, json_output: bool = JSON):
    """A chord progression to play over (the style's accompaniment and bass)."""
    recipe = {"key": key, "mode": mode, "style": style, "mood": mood, "tempo": tempo,
              "time_signature": time_signature, "bars": bars, "instrument": instrument}
    run_job("music.chords", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed),
            json_output=json_output, out=out, summary=summarize)


@compose_app.command(name="continue")
def continue_(primer: str = typer.Argument(..., help="A MIDI file, or the Work id of one."),
              bars: int = typer.Option(None, help="Bars to add" + _default(ContinueRecipe, "bars") + "."),
              generator: str = typer.Option(None, help=_names(get_args(ContinueRecipe.model_fields["generator"]
                                                                       .annotation))
                                            + _default(ContinueRecipe, "generator")),
              n: int = Candidates, temperature: float = Temperature, top_k: int = TopK,
              corpus_style: str = typer.Option(None, "--corpus-style", help="europe | han (Chinese songs)"
                                               + _default(ContinueRecipe, "style")),
              formats: list[str] = Formats, renderer: str = RendererOpt, soundfont: str = Soundfont,
              score: bool = Score, pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = OUT,
              json_output: bool = JSON):
    """Continue a melody with a learned model."""
    recipe = {"primer_work_id": _midi(primer, "primer"), "bars": bars, "generator": generator, "n": n,
              "temperature": temperature, "top_k": top_k, "style": corpus_style}
    run_job("music.continue", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed),
            json_output=json_output, out=out, summary=summarize)


@compose_app.command()
def harmonize(melody_file: str = typer.Argument(..., metavar="MELODY", help="A MIDI file, or the Work id of one."),
              key: str = typer.Option(None, help="Tonic (default: detected)."),
              mode: str = typer.Option(None, help="Mode (default: detected)."),
              chords_per_bar: int = typer.Option(None, help="1 or 2" + _default(HarmonizeRecipe, "chords_per_bar")),
              style: str = Style,
              drums: bool = typer.Option(None, "--drums/--no-drums",
                                         help="Drum track" + _default(HarmonizeRecipe, "drums")),
              formats: list[str] = Formats, renderer: str = RendererOpt, soundfont: str = Soundfont,
              score: bool = Score, pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = OUT,
              json_output: bool = JSON):
    """Chords for a melody, arranged in a style."""
    recipe = {"melody_work_id": _midi(melody_file, "melody"), "key": key, "mode": mode,
              "chords_per_bar": chords_per_bar, "style": style, "drums": drums}
    run_job("music.harmonize", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed),
            json_output=json_output, out=out, summary=summarize)


@compose_app.command()
def vary(melody_file: str = typer.Argument(..., metavar="MELODY", help="A MIDI file, or the Work id of one."),
         operation: str = typer.Option(None, help=_names(get_args(Variation)) + _default(VaryRecipe, "operation")),
         semitones: int = typer.Option(None, help="transpose: semitones (-24..24)" + _default(VaryRecipe, "semitones")),
         formats: list[str] = Formats, renderer: str = RendererOpt, soundfont: str = Soundfont, score: bool = Score,
         pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = OUT, json_output: bool = JSON):
    """A variation of a melody."""
    recipe = {"melody_work_id": _midi(melody_file, "melody"), "operation": operation, "semitones": semitones}
    run_job("music.vary", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed),
            json_output=json_output, out=out, summary=summarize)


@compose_app.command()
def arrange(piece: str = typer.Argument(..., help="A MIDI file, or the Work id of one."),
            instrument: list[str] = typer.Option(None, help="TRACK=INSTRUMENT, e.g. Melody=erhu or 2=古筝 (repeat)."),
            style: str = typer.Option(None, help="Re-arrange the melody in this style."),
            tempo: int = Tempo,
            formats: list[str] = Formats, renderer: str = RendererOpt, soundfont: str = Soundfont, score: bool = Score,
            pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = OUT, json_output: bool = JSON):
    """Change a piece's instruments, or re-arrange it in another style."""
    mapping = {}
    for item in instrument or []:
        track, sep, name = item.partition("=")
        if not sep:
            fail(f"instrument: {item!r} is not TRACK=INSTRUMENT (e.g. Melody=erhu)")
        mapping[track.strip()] = name.strip()
    recipe = {"work_id": _midi(piece, "piece"), "instruments": mapping or None, "style": style, "tempo": tempo}
    run_job("music.arrange", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed),
            json_output=json_output, out=out, summary=summarize)


@compose_app.command()
def loop(piece: str = typer.Argument(..., help="A MIDI file, or the Work id of one."),
         seconds: float = typer.Option(..., "--seconds", "-s", help="Target duration (2..1800 s)."),
         max_tempo_change: float = typer.Option(None, help="Largest tempo nudge to fit whole repeats"
                                                + _default(LoopRecipe, "max_tempo_change") + "."),
         formats: list[str] = Formats, renderer: str = RendererOpt, soundfont: str = Soundfont, score: bool = Score,
         pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = OUT, json_output: bool = JSON):
    """Loop a piece to a target duration (for a video)."""
    recipe = {"work_id": _midi(piece, "piece"), "duration_seconds": seconds,
              "max_tempo_change": max_tempo_change}
    run_job("music.loop", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed),
            json_output=json_output, out=out, summary=summarize)


PLAYERS = [["paplay"], ["aplay", "-q"], ["ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"], ["play", "-q"]]


def audio_player() -> list[str] | None:
    """A command that can play a file, when this machine has an audio device; None otherwise."""
    has_device = Path("/dev/snd").is_dir() and any(Path("/dev/snd").glob("pcm*p")) or \
        bool(os.environ.get("PULSE_SERVER")) or Path("/run/user").exists() and any(Path("/run/user").glob("*/pulse"))
    if not has_device:
        return None
    for command in PLAYERS:
        if shutil.which(command[0]):
            return command
    return None


def register(app: typer.Typer) -> None:
    app.add_typer(compose_app, name="compose")

    @app.command(help="Play a Work's audio (a MIDI Work plays its rendered audio); without an audio device, "
                      "say where the file is.")
    def play(work_id: str = typer.Argument(..., metavar="WORK"), json_output: bool = JSON):
        from muselab.errors import NotFound

        s = studio()
        try:
            work = s.library.get(work_id)
        except NotFound:
            fail(f"WORK: no Work {work_id!r} in the library (see muselab library ls)")
        audio = work
        if work.kind != "audio":
            children = [s.library.get(c) for c in s.library.children_of(work_id)]
            audio = next((c for c in children if c.kind == "audio" and c.media_type == "audio/wav"), None) or \
                next((c for c in children if c.kind == "audio"), None)
            if audio is None:
                fail(f"WORK: {work_id} is a {work.kind} with no rendered audio; render one with "
                     f"muselab compose arrange {work_id}")
        path = s.library.blobs.path(audio.sha256)
        player = audio_player()
        if json_output:
            print_json({"work": audio.id, "path": str(path), "played": player is not None})
        if player is None:
            if not json_output:
                console.print(f"no audio device here; the audio is at {path}")
            return
        if not json_output:
            console.print(f"♪ playing {audio.title or audio.id} ({path}); Ctrl-C stops")
        try:
            subprocess.run(player + [str(path)], check=False)
        except KeyboardInterrupt:
            pass
