"""video.transcribe: subtitles from speech, with Whisper (faster-whisper on the CPU) and word timings.

The sound is taken out of the video as 16 kHz mono (what Whisper hears), speech is found with the VAD
filter (Silero, bundled with faster-whisper) and transcribed in the given language or the one detected.
Segments arrive one by one, each with its end time, so progress is that end over the duration and a
cancel stops between two segments. The words, each with its time, are then laid out as subtitles: lines
no wider than `max_line_chars` (a Chinese character counts two, as it takes two columns on screen), broken
between English words and between Chinese characters, at most two lines per cue.

Three Works come out: SRT, WebVTT, and JSON with the segments and every word's timing.
"""

from __future__ import annotations

import json
import re
import unicodedata
import wave
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from muselab.engines import Cancelled, Context, EngineError, Output, cancel_question
from muselab.video import ffmpeg, whisper_model
from muselab.video.ffmpeg import MediaInfo
from muselab.video.recipe import TranscribeRecipe

SAMPLE_RATE = 16_000
LINES_PER_CUE = 2
AUDIO_SHARE = 0.05  # of the progress bar: taking the sound out; the rest is the speech model
SENTENCE_END = tuple(".?!。？！…")


@dataclass
class Word:
    start: float
    end: float
    word: str  # as Whisper wrote it: English words carry their leading space, Chinese characters none
    probability: float = 1.0


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    language: str
    language_probability: float
    duration: float  # seconds of sound
    segments: list[Segment]
    model: str = whisper_model.NAME
    model_sha256: str = whisper_model.MODEL_SHA256

    @property
    def text(self) -> str:
        return "\n".join(s.text for s in self.segments)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]


# ---------------------------------------------------------------------------------------- hearing
def extract_audio(video: Path, info: MediaInfo, out: Path, on_progress: Callable[[float], None] | None = None,
                  cancelled: Callable[[], bool] | None = None):
    """The video's first sound track as 16 kHz mono float32 samples (also written to `out` as WAV)."""
    import numpy as np

    if not info.has_audio:
        raise EngineError("video_work_id: the video has no sound track, so there is no speech to transcribe")
    ffmpeg.run(["-i", str(video), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
                "-f", "wav", str(out)], duration=info.duration, on_progress=on_progress, cancelled=cancelled,
               what="taking the sound out of the video")
    if cancelled and cancelled():
        raise Cancelled()
    with wave.open(str(out), "rb") as f:
        samples = np.frombuffer(f.readframes(f.getnframes()), dtype=np.int16)
    return samples.astype(np.float32) / 32768.0


def transcribe_samples(samples, models_dir: Path, language: str | None = None,
                       on_segment: Callable[[Segment, float], None] | None = None) -> Transcript:
    """Whisper on 16 kHz mono samples: segments with word timings, in `language` or the one detected.

    `on_segment(segment, duration)` is called as each segment is ready; raising there (Cancelled) stops."""
    model = whisper_model.load(models_dir)
    if language is not None and language not in model.supported_languages:
        raise EngineError(f"language: {language!r} is not a language Whisper knows; accepted: "
                          f"{', '.join(sorted(model.supported_languages))}, or empty to detect it")
    duration = len(samples) / SAMPLE_RATE
    pieces, info = model.transcribe(samples, language=language, word_timestamps=True, vad_filter=True, beam_size=5)
    segments = []
    for piece in pieces:  # a generator: each segment is decoded when asked for
        words = [Word(_clamp(w.start, duration), _clamp(max(w.end, w.start), duration), w.word,
                      round(float(w.probability), 3)) for w in (piece.words or []) if w.word.strip()]
        segment = Segment(_clamp(piece.start, duration), _clamp(piece.end, duration), piece.text.strip(), words)
        if segment.text:
            segments.append(segment)
        if on_segment:
            on_segment(segment, duration)
    return Transcript(language=info.language, language_probability=round(float(info.language_probability), 3),
                      duration=round(duration, 3), segments=segments)


def _clamp(t: float, duration: float) -> float:
    return round(min(max(float(t), 0.0), duration), 3)


def transcribe_video(video: Path, info: MediaInfo, language: str | None, models_dir: Path, ctx: Context,
                     share: float = 1.0) -> Transcript:
    """The transcript of a video's speech, reporting progress into [0, share] of the job's bar."""
    cancelled = cancel_question(ctx)
    samples = extract_audio(video, info, ctx.workdir / "speech-16k.wav",
                            on_progress=lambda f: ctx.progress(share * AUDIO_SHARE * f, "taking the sound out"),
                            cancelled=cancelled)
    ctx.progress(share * AUDIO_SHARE, "loading the speech model")

    def on_segment(segment: Segment, duration: float) -> None:
        done = AUDIO_SHARE + (1 - AUDIO_SHARE) * min(1.0, segment.end / duration if duration else 1.0)
        ctx.progress(share * done, f"heard {segment.end:.0f} of {duration:.0f} s",
                     {"segment": {"start": segment.start, "end": segment.end, "text": segment.text}})

    transcript = transcribe_samples(samples, models_dir, language, on_segment)
    if not transcript.segments:
        raise EngineError("video_work_id: no speech was found in the video's sound (Whisper's voice activity "
                          "filter heard none); give a subtitle file instead")
    return transcript


# ---------------------------------------------------------------------------------------- layout
def width(text: str) -> int:
    """Columns on screen: Chinese, Japanese and Korean characters (and full-width forms) take two, combining
    marks (Thai vowels, accents written apart) none."""
    return sum(0 if unicodedata.category(c).startswith("M") else 2 if unicodedata.east_asian_width(c) in "WF"
               else 1 for c in text)


def _joins_previous(text: str) -> bool:
    """Whether `text` starts with a combining mark, which must stay on the line of the letter it marks."""
    return bool(text) and unicodedata.category(text[0]).startswith("M")


_TOKEN = re.compile(r"\s*(?:[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef][\s\W]*|[^\s\u2e80-\u9fff"
                    r"\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+)")


def _spread(text: str, start: float, end: float, tokens: list[str]) -> list[Word]:
    """`tokens` of `text` timed by sharing [start, end] in proportion to their width."""
    total = sum(max(1, width(t.strip())) for t in tokens) or 1
    words, position = [], start
    for token in tokens:
        step = (end - start) * max(1, width(token.strip())) / total
        words.append(Word(round(position, 3), round(position + step, 3), token))
        position += step
    return words


def _fit(words: list[Word], max_width: int) -> list[Word]:
    """Words wider than a line are cut between characters, each piece timed by its share of the word."""
    fitted = []
    for w in words:
        text = w.word
        if width(text.strip()) <= max_width:
            fitted.append(w)
            continue
        pieces, piece = [], ""
        for char in text:
            if piece.strip() and width((piece + char).strip()) > max_width and not _joins_previous(char):
                pieces.append(piece)
                piece = ""
            piece += char
        pieces.append(piece)
        fitted += _spread(text, w.start, w.end, pieces)
    return fitted


def cues(transcript: Transcript, max_line_chars: int = 42) -> list[Cue]:
    """Subtitle cues from the words: lines of at most `max_line_chars` columns, two lines a cue, a new cue for
    each segment and after a sentence ends on a full line."""
    out: list[Cue] = []
    for segment in transcript.segments:
        words = segment.words or _spread(segment.text, segment.start, segment.end, _TOKEN.findall(segment.text))
        lines: list[list[Word]] = [[]]
        for w in _fit(words, max_line_chars):
            line = lines[-1]
            too_wide = width(("".join(x.word for x in line) + w.word).strip()) > max_line_chars
            if line and too_wide and not _joins_previous(w.word):
                if len(lines) == LINES_PER_CUE:
                    out.append(_cue(lines))
                    lines = [[]]
                else:
                    lines.append([])
            lines[-1].append(w)
            if len(lines) == LINES_PER_CUE and w.word.strip().endswith(SENTENCE_END):
                out.append(_cue(lines))
                lines = [[]]
        if lines[0]:
            out.append(_cue(lines))
    for cue, following in zip(out, out[1:], strict=False):  # a cue leaves the screen before the next one comes
        cue.end = max(cue.start, min(cue.end, following.start))
    return out


def _cue(lines: list[list[Word]]) -> Cue:
    lines = [line for line in lines if line]
    return Cue(lines[0][0].start, lines[-1][-1].end, ["".join(w.word for w in line).strip() for line in lines])


def subtitle_file(cue_list: list[Cue]):
    """The cues as a pysubs2 SSAFile (save it as SRT, VTT or ASS)."""
    import pysubs2

    subs = pysubs2.SSAFile()
    for cue in cue_list:
        end = max(cue.end, cue.start + 0.05)
        subs.append(pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(end * 1000),
                                     text=r"\N".join(line.replace("\n", " ") for line in cue.lines)))
    return subs


# ---------------------------------------------------------------------------------------- the task
def slug(title: str, fallback: str = "video") -> str:
    stem = Path(title).stem if title else ""
    return re.sub(r"[^\w.-]+", "-", stem, flags=re.UNICODE).strip("-._")[:60] or fallback


def models_dir() -> Path:
    from muselab.config import get_settings

    return get_settings().models_dir


def run(recipe: TranscribeRecipe, ctx: Context) -> list[Output]:
    video = ctx.input_path(recipe.video_work_id)
    info = ffmpeg.probe_video(video)
    transcript = transcribe_video(video, info, recipe.language, models_dir(), ctx)
    cue_list = cues(transcript, recipe.max_line_chars)
    subs = subtitle_file(cue_list)
    name = slug(ctx.input_work(recipe.video_work_id).get("title") or video.name)
    title = f"{name} — subtitles ({transcript.language})"
    meta = {"language": transcript.language, "language_probability": transcript.language_probability,
            "model": transcript.model, "model_sha256": transcript.model_sha256, "duration": transcript.duration,
            "segments": len(transcript.segments), "words": len(transcript.words), "cues": len(cue_list),
            "max_line_chars": recipe.max_line_chars}
    common = dict(parents=[recipe.video_work_id], meta=meta, model=transcript.model,
                  model_hash=transcript.model_sha256, tags=["subtitles", f"lang:{transcript.language}"])
    srt = ctx.workdir / f"{name}.{transcript.language}.srt"
    vtt = ctx.workdir / f"{name}.{transcript.language}.vtt"
    words_json = ctx.workdir / f"{name}.{transcript.language}.words.json"
    srt.write_text(subs.to_string("srt"), encoding="utf-8")
    vtt.write_text(subs.to_string("vtt"), encoding="utf-8")
    words_json.write_text(json.dumps(transcript.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    ctx.progress(1.0, f"{len(cue_list)} subtitles, {len(transcript.words)} words ({transcript.language})")
    return [
        Output(kind="text", media_type="application/x-subrip", path=srt, title=title, text=transcript.text,
               filename=srt.name, **common),
        Output(kind="text", media_type="text/vtt", path=vtt, title=title + " WebVTT", filename=vtt.name, **common),
        Output(kind="data", media_type="application/json", path=words_json, title=title + " word timings",
               filename=words_json.name, **common),
    ]
