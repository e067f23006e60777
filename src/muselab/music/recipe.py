"""What can be asked of the compose domain: one Recipe per task, validated before any job runs.

Keys, modes, styles, moods and instruments are checked by their types (KeyName, ModeName, StyleName,
MoodName, InstrumentName), written once against the theory and style tables, which name what is accepted.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from muselab.engines import Recipe, ServerPath
from muselab.music.styles import MOOD_ALIASES, MOODS, STYLE_ALIASES, STYLES, canonical_mood, canonical_style, \
    instrument_program
from muselab.music.theory import KEY_NAMES, MODE_ALIASES, MODES, canonical_mode, key_pc
from muselab.sampling import Candidates, Temperature, TopK

MAX_BARS = 128
TimeSignature = Literal["2/4", "3/4", "4/4", "6/8"]
AudioFormat = Literal["wav", "ogg", "mp3", "flac"]
Renderer = Literal["auto", "fluidsynth", "tinysoundfont"]
Generator = Literal["theory", "markov", "neural"]
Variation = Literal["transpose", "invert", "retrograde", "rhythm", "augment", "diminish"]


def _key(value: str) -> str:
    text = value.strip()
    text = text[:1].upper() + text[1:].replace("♯", "#").replace("♭", "b")
    key_pc(text) if text in KEY_NAMES else key_pc(value)  # raises with the accepted names
    return text


def _instrument(value: str) -> str:
    instrument_program(value)  # raises with the accepted names
    return value


KeyName = Annotated[str, AfterValidator(_key)]
ModeName = Annotated[str, AfterValidator(canonical_mode)]  # '宫' -> 'gong'
StyleName = Annotated[str, AfterValidator(canonical_style)]  # '中国风' -> 'chinese'
MoodName = Annotated[str, AfterValidator(canonical_mood)]  # '忧伤' -> 'sad'
InstrumentName = Annotated[str, AfterValidator(_instrument)]  # kept as given ('二胡' or 'erhu')
Tempo = Annotated[int, Field(ge=30, le=240)]
WorkId = Annotated[str, Field(min_length=1, max_length=200)]

KEYS_HELP = ", ".join(KEY_NAMES)
MODES_HELP = f"{', '.join(MODES)} (or {', '.join(MODE_ALIASES)})"
STYLES_HELP = f"{', '.join(STYLES)} (or {', '.join(STYLE_ALIASES)})"
MOODS_HELP = f"{', '.join(MOODS)} (or {', '.join(MOOD_ALIASES)})"


class RenderOptions(Recipe):
    """How a composed piece is written out: audio formats, renderer, soundfont, score and piano roll."""

    audio_formats: list[AudioFormat] = Field(
        default=["wav", "ogg"], max_length=4,
        description="Audio files to render (empty: MIDI only). mp3 is slower to encode.")
    renderer: Renderer = Field(
        default="auto", description="auto: the FluidSynth CLI if installed, else tinysoundfont in process.")
    soundfont: ServerPath | None = Field(
        default=None, max_length=1000,
        description="Path of a General MIDI .sf2; default $MUSELAB_SOUNDFONT, FluidR3_GM, then TimGM6mb.")
    score: bool = Field(default=True, description="Also write the score as MusicXML.")
    pianoroll: bool = Field(default=True, description="Also draw a piano-roll PNG with the chord symbols.")
    title: str = Field(default="", max_length=200, description="Title of the piece (any language).")


class ComposeOptions(RenderOptions):
    """The musical frame shared by melody, chords and song."""

    key: KeyName = Field(default="C", description=f"Tonic: {KEYS_HELP}.")
    mode: ModeName | None = Field(default=None, description=f"{MODES_HELP}. Empty: from the mood.")
    style: StyleName = Field(default="pop", description=STYLES_HELP)
    mood: MoodName = Field(default="happy", description=MOODS_HELP)
    tempo: Tempo | None = Field(default=None, description="Beats per minute (30..240); empty: style x mood.")
    time_signature: TimeSignature = "4/4"
    bars: int = Field(default=16, ge=2, le=MAX_BARS, description=f"Length in bars (2..{MAX_BARS}).")


class SongRecipe(ComposeOptions):
    """A short arranged piece: melody, counter-line, accompaniment, bass and drums, each on its own track."""

    drums: bool | None = Field(default=None, description="Drum track; empty: the style's default.")
    melody_instrument: InstrumentName | None = Field(
        default=None, description="e.g. piano, flute, dizi 笛子, erhu 二胡, violin.")
    accompaniment_instrument: InstrumentName | None = Field(
        default=None, description="e.g. piano, guzheng 古筝, strings, pipa.")
    bass_instrument: InstrumentName | None = Field(default=None, description="e.g. electric_bass, cello, tuba.")


class SamplingOptions(Recipe):
    """How the learned generators pick each note (the studio's sampling names and ranges: muselab.sampling)."""

    temperature: Temperature = Field(default=1.0, description="Learned generators: 0 always the likeliest note, "
                                                              "<1 safer, >1 bolder.")
    top_k: TopK = Field(default=0, description="Learned generators: sample among the k likeliest (0: all).")
    n: Candidates = 1


class MelodyRecipe(ComposeOptions, SamplingOptions):
    """A melody on its own (with the chords it implies, for the score and piano roll)."""

    generator: Generator = Field(
        default="theory", description="theory: rules, no training; markov / neural: trained on Essen folk songs.")
    instrument: InstrumentName | None = Field(default=None, description="Melody instrument; empty: the style's.")
    bars: int = Field(default=8, ge=2, le=MAX_BARS)


class ChordsRecipe(ComposeOptions):
    """A chord progression to play over: the style's accompaniment pattern and bass, with chord symbols."""

    instrument: InstrumentName | None = Field(default=None, description="Chord instrument; empty: the style's.")
    bars: int = Field(default=8, ge=2, le=MAX_BARS)


class ContinueRecipe(RenderOptions, SamplingOptions):
    """Continue a user's melody (a MIDI Work) with a learned model, like Magenta's MelodyRNN."""

    primer_work_id: WorkId = Field(description="Work id of the MIDI primer.")
    generator: Literal["markov", "neural"] = "neural"
    bars: int = Field(default=8, ge=1, le=64, description="Bars to add after the primer.")
    style: Literal["europe", "han"] = Field(default="europe", description="Corpus style token: han = Chinese songs.")


class HarmonizeRecipe(RenderOptions):
    """Chords for a given melody (a MIDI Work), arranged with the style's accompaniment and bass."""

    melody_work_id: WorkId = Field(description="Work id of the MIDI melody.")
    key: KeyName | None = Field(default=None, description="Tonic; empty: detected from the melody.")
    mode: ModeName | None = Field(default=None, description="Mode; empty: detected (major or minor).")
    chords_per_bar: Literal[1, 2] = 1
    style: StyleName = Field(default="pop", description="Accompaniment style (see music.song).")
    drums: bool = False


class VaryRecipe(RenderOptions):
    """A variation of a melody: transpose, invert, retrograde, rhythmic variation, augment or diminish."""

    melody_work_id: WorkId = Field(description="Work id of the MIDI melody.")
    operation: Variation = "transpose"
    semitones: int = Field(default=0, ge=-24, le=24, description="transpose: semitones up (negative: down).")


class ArrangeRecipe(RenderOptions):
    """Change a piece's instruments, or re-arrange its melody in another style."""

    work_id: WorkId = Field(description="Work id of the MIDI piece.")
    instruments: dict[str, InstrumentName] = Field(
        default_factory=dict, max_length=16,
        description="Track name or number (from 1) -> instrument, e.g. {\"Melody\": \"erhu\", \"2\": \"guzheng\"}.")
    style: StyleName | None = Field(default=None, description="Re-arrange the melody in this style (keeps the melody).")
    tempo: Tempo | None = Field(default=None, description="New tempo; empty: keep.")


class LoopRecipe(RenderOptions):
    """Loop a piece to a target duration (for a video): whole repeats, the tempo nudged to land exactly."""

    work_id: WorkId = Field(description="Work id of the MIDI piece.")
    duration_seconds: float = Field(ge=2, le=1800, description="Target length in seconds (2..1800).")
    max_tempo_change: float = Field(default=0.08, ge=0, le=0.25,
                                    description="Largest tempo nudge (fraction) to fit whole repeats; beyond it, "
                                                "the last repeat is cut at a bar line and faded.")
