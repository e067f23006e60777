"""`muselab compose ...` (melody, chords, song, continue, harmonize, vary, arrange, loop) and `muselab play WORK`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import typer

from muselab.cli.common import console, fail, print_works, run_job, studio

compose_app = typer.Typer(help="Compose music: melodies, chords, songs; continue, harmonize, vary, arrange, loop a "
                               "MIDI. 作曲", no_args_is_help=True)

FORMATS_HELP = "Audio formats to render: wav, ogg, mp3, flac (repeat the option; 'none' for MIDI only)."


def _render_options(formats: list[str] | None, renderer: str, soundfont: str | None, score: bool, pianoroll: bool,
                    title: str, seed: int | None) -> dict:
    chosen = ["wav", "ogg"] if not formats else ([] if formats == ["none"] else formats)
    return {"audio_formats": chosen, "renderer": renderer, "soundfont": soundfont, "score": score,
            "pianoroll": pianoroll, "title": title, "seed": seed}


def _input_work(ref: str, what: str) -> str:
    """A MIDI file path is kept in the library first; anything else is taken as a Work id."""
    path = Path(ref).expanduser()
    if path.is_file():
        work = studio().upload(path, path.name, media_type="audio/midi", title=path.stem)
        return work.id
    from muselab.errors import NotFound

    try:
        studio().library.get(ref)
    except NotFound:
        fail(f"{what}: {ref!r} is neither a MIDI file nor a Work id")
    return ref


def _finish(task: str, recipe: dict, out: Path | None, json_output: bool) -> None:
    run_job(task, recipe, json_output=json_output, out=out, summary=_summary)


def _summary(works: list[dict], out: Path | None) -> None:
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


# Options shared by several commands (Typer needs them per command; these keep the defaults in one place).
Out = typer.Option(None, "--out", "-o", help="Copy the files to this folder.")
Json = typer.Option(False, "--json", help="Print machine-readable output.")
Seed = typer.Option(None, help="Seed (random when left out); the same recipe and seed give the same music.")
Formats = typer.Option(None, "--format", "-f", help=FORMATS_HELP)
Renderer = typer.Option("auto", help="auto | fluidsynth | tinysoundfont")
Soundfont = typer.Option(None, help="A General MIDI .sf2 file (default: FluidR3_GM, then TimGM6mb).")
Score = typer.Option(True, "--score/--no-score", help="Write the MusicXML score.")
Roll = typer.Option(True, "--pianoroll/--no-pianoroll", help="Draw the piano roll.")
Title = typer.Option("", help="Title (any language).")
Key = typer.Option("C", help="Tonic: C C# Db D Eb E F F# Gb G Ab A Bb B.")
Mode = typer.Option(None, help="major minor dorian ... or 宫 商 角 徵 羽 (gong shang jue zhi yu).")
Style = typer.Option("pop", help="pop ballad chorale classical folk chinese lofi march (or 流行 抒情 中国风 ...).")
Mood = typer.Option("happy", help="happy sad calm energetic mysterious (or 欢快 忧伤 平静 激昂 神秘).")
Tempo = typer.Option(None, help="Beats per minute (30..240); default from style and mood.")
TimeSig = typer.Option("4/4", "--time-signature", "-t", help="2/4 3/4 4/4 6/8")


@compose_app.command()
def song(key: str = Key, mode: str = Mode, style: str = Style, mood: str = Mood, tempo: int = Tempo,
         time_signature: str = TimeSig, bars: int = typer.Option(16, help="Bars (2..128)."),
         drums: bool = typer.Option(None, "--drums/--no-drums", help="Drum track (default: the style's)."),
         melody_instrument: str = typer.Option(None, help="e.g. piano, flute, dizi 笛子, erhu 二胡."),
         accompaniment_instrument: str = typer.Option(None, help="e.g. guzheng 古筝, strings, piano."),
         bass_instrument: str = typer.Option(None, help="e.g. cello, electric_bass."),
         formats: list[str] = Formats, renderer: str = Renderer, soundfont: str = Soundfont, score: bool = Score,
         pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = Out, json_output: bool = Json):
    """An arranged piece: melody, counter-line, accompaniment, bass and drums."""
    recipe = {"key": key, "mode": mode, "style": style, "mood": mood, "tempo": tempo,
              "time_signature": time_signature, "bars": bars, "drums": drums, "melody_instrument": melody_instrument,
              "accompaniment_instrument": accompaniment_instrument, "bass_instrument": bass_instrument}
    _finish("music.song", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed), out,
            json_output)


@compose_app.command()
def melody(key: str = Key, mode: str = Mode, style: str = Style, mood: str = Mood, tempo: int = Tempo,
           time_signature: str = TimeSig, bars: int = typer.Option(8, help="Bars (2..128)."),
           generator: str = typer.Option("theory", help="theory | markov | neural"),
           n: int = typer.Option(1, help="Candidates (1..8)."),
           temperature: float = typer.Option(1.0, help="Learned generators: <1 safer, >1 bolder."),
           top_k: int = typer.Option(0, help="Learned generators: sample among the k likeliest (0: all)."),
           instrument: str = typer.Option(None, help="Melody instrument."),
           formats: list[str] = Formats, renderer: str = Renderer, soundfont: str = Soundfont, score: bool = Score,
           pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = Out, json_output: bool = Json):
    """A melody (with the chords it implies)."""
    recipe = {"key": key, "mode": mode, "style": style, "mood": mood, "tempo": tempo,
              "time_signature": time_signature, "bars": bars, "generator": generator, "n": n,
              "temperature": temperature, "top_k": top_k, "instrument": instrument}
    _finish("music.melody", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed), out,
            json_output)


@compose_app.command()
def chords(key: str = Key, mode: str = Mode, style: str = Style, mood: str = Mood, tempo: int = Tempo,
           time_signature: str = TimeSig, bars: int = typer.Option(8, help="Bars (2..128)."),
           instrument: str = typer.Option(None, help="Chord instrument."),
           formats: list[str] = Formats, renderer: str = Renderer, soundfont: str = Soundfont, score: bool = Score,
           pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = Out, json_output: bool = Json):
    """A chord progression to play over (the style's accompaniment and bass)."""
    recipe = {"key": key, "mode": mode, "style": style, "mood": mood, "tempo": tempo,
              "time_signature": time_signature, "bars": bars, "instrument": instrument}
    _finish("music.chords", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed), out,
            json_output)


@compose_app.command(name="continue")
def continue_(primer: str = typer.Argument(..., help="A MIDI file, or the Work id of one."),
              bars: int = typer.Option(8, help="Bars to add (1..64)."),
              generator: str = typer.Option("neural", help="neural | markov"),
              n: int = typer.Option(1, help="Candidates (1..8)."), temperature: float = typer.Option(1.0),
              top_k: int = typer.Option(0), corpus_style: str = typer.Option("europe", "--corpus-style",
                                                                           help="europe | han (Chinese songs)"),
              formats: list[str] = Formats, renderer: str = Renderer, soundfont: str = Soundfont,
              score: bool = Score, pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = Out,
              json_output: bool = Json):
    """Continue a melody with a learned model."""
    recipe = {"primer_work_id": _input_work(primer, "primer"), "bars": bars, "generator": generator, "n": n,
              "temperature": temperature, "top_k": top_k, "style": corpus_style}
    _finish("music.continue", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed),
            out, json_output)


@compose_app.command()
def harmonize(melody_file: str = typer.Argument(..., metavar="MELODY", help="A MIDI file, or the Work id of one."),
              key: str = typer.Option(None, help="Tonic (default: detected)."),
              mode: str = typer.Option(None, help="Mode (default: detected)."),
              chords_per_bar: int = typer.Option(1, help="1 or 2."), style: str = Style,
              drums: bool = typer.Option(False, "--drums/--no-drums"),
              formats: list[str] = Formats, renderer: str = Renderer, soundfont: str = Soundfont,
              score: bool = Score, pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = Out,
              json_output: bool = Json):
    """Chords for a melody, arranged in a style."""
    recipe = {"melody_work_id": _input_work(melody_file, "melody"), "key": key, "mode": mode,
              "chords_per_bar": chords_per_bar, "style": style, "drums": drums}
    _finish("music.harmonize", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed),
            out, json_output)


@compose_app.command()
def vary(melody_file: str = typer.Argument(..., metavar="MELODY", help="A MIDI file, or the Work id of one."),
         operation: str = typer.Option("transpose", help="transpose invert retrograde rhythm augment diminish"),
         semitones: int = typer.Option(0, help="transpose: semitones (-24..24)."),
         formats: list[str] = Formats, renderer: str = Renderer, soundfont: str = Soundfont, score: bool = Score,
         pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = Out, json_output: bool = Json):
    """A variation of a melody."""
    recipe = {"melody_work_id": _input_work(melody_file, "melody"), "operation": operation, "semitones": semitones}
    _finish("music.vary", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed), out,
            json_output)


@compose_app.command()
def arrange(piece: str = typer.Argument(..., help="A MIDI file, or the Work id of one."),
            instrument: list[str] = typer.Option(None, help="TRACK=INSTRUMENT, e.g. Melody=erhu or 2=古筝 (repeat)."),
            style: str = typer.Option(None, help="Re-arrange the melody in this style."),
            tempo: int = Tempo,
            formats: list[str] = Formats, renderer: str = Renderer, soundfont: str = Soundfont, score: bool = Score,
            pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = Out, json_output: bool = Json):
    """Change a piece's instruments, or re-arrange it in another style."""
    mapping = {}
    for item in instrument or []:
        track, sep, name = item.partition("=")
        if not sep:
            fail(f"instrument: {item!r} is not TRACK=INSTRUMENT (e.g. Melody=erhu)")
        mapping[track.strip()] = name.strip()
    recipe = {"work_id": _input_work(piece, "piece"), "instruments": mapping, "style": style, "tempo": tempo}
    _finish("music.arrange", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed), out,
            json_output)


@compose_app.command()
def loop(piece: str = typer.Argument(..., help="A MIDI file, or the Work id of one."),
         seconds: float = typer.Option(..., "--seconds", "-s", help="Target duration (2..1800 s)."),
         max_tempo_change: float = typer.Option(0.08, help="Largest tempo nudge to fit whole repeats."),
         formats: list[str] = Formats, renderer: str = Renderer, soundfont: str = Soundfont, score: bool = Score,
         pianoroll: bool = Roll, title: str = Title, seed: int = Seed, out: Path = Out, json_output: bool = Json):
    """Loop a piece to a target duration (for a video)."""
    recipe = {"work_id": _input_work(piece, "piece"), "duration_seconds": seconds,
              "max_tempo_change": max_tempo_change}
    _finish("music.loop", recipe | _render_options(formats, renderer, soundfont, score, pianoroll, title, seed), out,
            json_output)


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
    def play(work_id: str = typer.Argument(..., metavar="WORK"), json_output: bool = Json):
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
            print(json.dumps({"work": audio.id, "path": str(path), "played": player is not None}))
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
