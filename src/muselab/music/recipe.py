"""What can be asked of the compose domain: one Recipe per task, validated before any job runs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from muselab.engines import Recipe, ServerPath
from muselab.sampling import Candidates, Temperature, TopK

MAX_BARS = 128
TimeSignature = Literal["2/4", "3/4", "4/4", "6/8"]
AudioFormat = Literal["wav", "ogg", "mp3", "flac"]


def _key(value: str) -> str:
    from muselab.music.theory import KEY_NAMES, key_pc

    text = value.strip()
    text = text[:1].upper() + text[1:].replace("♯", "#").replace("♭", "b")
    key_pc(text) if text in KEY_NAMES else key_pc(value)  # raises with the accepted names
    return text


def _mode(value: str | None) -> str | None:
    from muselab.music.theory import canonical_mode

    return None if value is None else canonical_mode(value)


def _instrument(value: str | None) -> str | None:
    from muselab.music.composer import instrument_program

    if value is not None:
        instrument_program(value)
    return value


class RenderOptions(Recipe):
    """How a composed piece is written out: audio formats, renderer, soundfont, score and piano roll."""

    audio_formats: list[AudioFormat] = Field(
        default=["wav", "ogg"], max_length=4,
        description="Audio files to render (empty: MIDI only). mp3 is slower to encode.")
    renderer: Literal["auto", "fluidsynth", "tinysoundfont"] = Field(
        default="auto", description="auto: the FluidSynth CLI if installed, else tinysoundfont in process.")
    soundfont: ServerPath | None = Field(
        default=None, max_length=1000,
        description="Path of a General MIDI .sf2; default $MUSELAB_SOUNDFONT, FluidR3_GM, then TimGM6mb.")
    score: bool = Field(default=True, description="Also write the score as MusicXML.")
    pianoroll: bool = Field(default=True, description="Also draw a piano-roll PNG with the chord symbols.")
    title: str = Field(default="", max_length=200, description="Title of the piece (any language).")


class ComposeOptions(RenderOptions):
    """The musical frame shared by melody, chords and song."""

    key: str = Field(default="C", description="Tonic: C, C#, Db, D, Eb, E, F, F#, Gb, G, Ab, A, Bb, B.")
    mode: str | None = Field(
        default=None,
        description="major, minor, harmonic_minor, dorian, phrygian, lydian, mixolydian, aeolian, locrian, or a "
                    "Chinese pentatonic mode: gong 宫, shang 商, jue 角, zhi 徵, yu 羽. Empty: from the mood.")
    style: str = Field(default="pop", description="pop, ballad, chorale, classical, folk, chinese, lofi, march "
                                                  "(or 流行, 抒情, 圣咏, 古典, 民谣, 中国风, 低保真, 进行曲).")
    mood: str = Field(default="happy", description="happy, sad, calm, energetic, mysterious "
                                                   "(or 欢快, 忧伤, 平静, 激昂, 神秘).")
    tempo: int | None = Field(default=None, ge=30, le=240, description="Beats per minute; empty: style x mood.")
    time_signature: TimeSignature = "4/4"
    bars: int = Field(default=16, ge=2, le=MAX_BARS, description=f"Length in bars (2..{MAX_BARS}).")

    @field_validator("key")
    @classmethod
    def _check_key(cls, v: str) -> str:
        return _key(v)

    @field_validator("mode")
    @classmethod
    def _check_mode(cls, v: str | None) -> str | None:
        return _mode(v)

    @field_validator("style")
    @classmethod
    def _style(cls, v: str) -> str:
        from muselab.music.composer import canonical_style

        return canonical_style(v)

    @field_validator("mood")
    @classmethod
    def _mood(cls, v: str) -> str:
        from muselab.music.composer import canonical_mood

        return canonical_mood(v)


class SongRecipe(ComposeOptions):
    """A short arranged piece: melody, counter-line, accompaniment, bass and drums, each on its own track."""

    drums: bool | None = Field(default=None, description="Drum track; empty: the style's default.")
    melody_instrument: str | None = Field(default=None, description="e.g. piano, flute, dizi 笛子, erhu 二胡, violin.")
    accompaniment_instrument: str | None = Field(default=None, description="e.g. piano, guzheng 古筝, strings, pipa.")
    bass_instrument: str | None = Field(default=None, description="e.g. electric_bass, cello, tuba.")

    @field_validator("melody_instrument", "accompaniment_instrument", "bass_instrument")
    @classmethod
    def _check_instrument(cls, v: str | None) -> str | None:
        return _instrument(v)


class SamplingOptions(Recipe):
    """How the learned generators pick each note (the studio's sampling names and ranges: muselab.sampling)."""

    temperature: Temperature = Field(default=1.0, description="Learned generators: 0 always the likeliest note, "
                                                              "<1 safer, >1 bolder.")
    top_k: TopK = Field(default=0, description="Learned generators: sample among the k likeliest (0: all).")
    n: Candidates = 1


class MelodyRecipe(ComposeOptions, SamplingOptions):
    """A melody on its own (with the chords it implies, for the score and piano roll)."""

    generator: Literal["theory", "markov", "neural"] = Field(
        default="theory", description="theory: rules, no training; markov / neural: trained on Essen folk songs.")
    instrument: str | None = Field(default=None, description="Melody instrument; empty: the style's.")
    bars: int = Field(default=8, ge=2, le=MAX_BARS)

    @field_validator("instrument")
    @classmethod
    def _check_instrument(cls, v: str | None) -> str | None:
        return _instrument(v)


class ChordsRecipe(ComposeOptions):
    """A chord progression to play over: the style's accompaniment pattern and bass, with chord symbols."""

    instrument: str | None = Field(default=None, description="Chord instrument; empty: the style's.")
    bars: int = Field(default=8, ge=2, le=MAX_BARS)

    @field_validator("instrument")
    @classmethod
    def _check_instrument(cls, v: str | None) -> str | None:
        return _instrument(v)


class ContinueRecipe(RenderOptions, SamplingOptions):
    """Continue a user's melody (a MIDI Work) with a learned model, like Magenta's MelodyRNN."""

    primer_work_id: str = Field(min_length=1, max_length=200, description="Work id of the MIDI primer.")
    generator: Literal["markov", "neural"] = "neural"
    bars: int = Field(default=8, ge=1, le=64, description="Bars to add after the primer.")
    style: Literal["europe", "han"] = Field(default="europe", description="Corpus style token: han = Chinese songs.")


class HarmonizeRecipe(RenderOptions):
    """Chords for a given melody (a MIDI Work), arranged with the style's accompaniment and bass."""

    melody_work_id: str = Field(min_length=1, max_length=200, description="Work id of the MIDI melody.")
    key: str | None = Field(default=None, description="Tonic; empty: detected from the melody.")
    mode: str | None = Field(default=None, description="Mode; empty: detected (major or minor).")
    chords_per_bar: Literal[1, 2] = 1
    style: str = Field(default="pop", description="Accompaniment style (see music.song).")
    drums: bool = False

    @field_validator("key")
    @classmethod
    def _k(cls, v: str | None) -> str | None:
        return None if v is None else _key(v)

    @field_validator("mode")
    @classmethod
    def _check_mode(cls, v: str | None) -> str | None:
        return _mode(v)

    @field_validator("style")
    @classmethod
    def _style(cls, v: str) -> str:
        from muselab.music.composer import canonical_style

        return canonical_style(v)


class VaryRecipe(RenderOptions):
    """A variation of a melody: transpose, invert, retrograde, rhythmic variation, augment or diminish."""

    melody_work_id: str = Field(min_length=1, max_length=200, description="Work id of the MIDI melody.")
    operation: Literal["transpose", "invert", "retrograde", "rhythm", "augment", "diminish"] = "transpose"
    semitones: int = Field(default=0, ge=-24, le=24, description="transpose: semitones up (negative: down).")


class ArrangeRecipe(RenderOptions):
    """Change a piece's instruments, or re-arrange its melody in another style."""

    work_id: str = Field(min_length=1, max_length=200, description="Work id of the MIDI piece.")
    instruments: dict[str, str] = Field(
        default_factory=dict, max_length=16,
        description="Track name or number (from 1) -> instrument, e.g. {\"Melody\": \"erhu\", \"2\": \"guzheng\"}.")
    style: str | None = Field(default=None, description="Re-arrange the melody in this style (keeps the melody).")
    tempo: int | None = Field(default=None, ge=30, le=240, description="New tempo; empty: keep.")

    @field_validator("instruments")
    @classmethod
    def _instruments(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v.values():
            _instrument(name)
        return v

    @field_validator("style")
    @classmethod
    def _style(cls, v: str | None) -> str | None:
        from muselab.music.composer import canonical_style

        return None if v is None else canonical_style(v)


class LoopRecipe(RenderOptions):
    """Loop a piece to a target duration (for a video): whole repeats, the tempo nudged to land exactly."""

    work_id: str = Field(min_length=1, max_length=200, description="Work id of the MIDI piece.")
    duration_seconds: float = Field(ge=2, le=1800, description="Target length in seconds (2..1800).")
    max_tempo_change: float = Field(default=0.08, ge=0, le=0.25,
                                    description="Largest tempo nudge (fraction) to fit whole repeats; beyond it, "
                                                "the last repeat is cut at a bar line and faded.")
