"""video.subtitles: subtitles from a file (SRT, WebVTT, ASS) or from speech, burned in or as a soft track.

A subtitle Work is read with pysubs2; without one, the speech is transcribed (video.transcribe's own
function) and the SRT made is kept too. Burning in draws the cues with libass (ffmpeg's `subtitles` filter)
in Noto Sans CJK, so Chinese and English both have glyphs. SRT and WebVTT cues are first written as an ASS
file whose canvas (PlayResX/PlayResY) is the frame itself, so `font_size` is in pixels of the video; an ASS
file keeps its author's styles (libass finds CJK glyphs through fontconfig when a style's font has none).
A soft track copies picture and sound untouched and adds the cues as an MP4 text track (mov_text), which
players can switch on and off.
"""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

from muselab.engines import Context, EngineError, Output, cancel_question
from muselab.video import ffmpeg, transcribe
from muselab.video.ffmpeg import MediaInfo
from muselab.video.recipe import Encoding, SubtitlesRecipe, TranscribeRecipe
from muselab.video.timeline import encoding_args

FORMATS = {"srt": "SubRip (SRT)", "vtt": "WebVTT", "ass": "ASS", "ssa": "SSA"}
MAX_SUBTITLE_BYTES = 20 * 1024 * 1024
FONT_FAMILY = "Noto Sans CJK SC"
FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansCJK-Regular.otf")
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/google-noto-cjk",
             "/usr/share/fonts/opentype/noto-cjk", "/usr/local/share/fonts", "/Library/Fonts")
FONT_HINT = "install the 'fonts-noto-cjk' Debian package (sudo apt-get install fonts-noto-cjk)"
# Codecs an MP4 holds as they are; others are re-encoded for the soft track.
MP4_VIDEO = ("h264", "hevc", "av1", "vp9", "mpeg4")
MP4_AUDIO = ("aac", "mp3", "ac3", "eac3", "opus", "alac", "flac")
# ISO 639-1 (Whisper's codes) -> ISO 639-2 (what an MP4 track's language says); others stay undetermined.
ISO639_2 = {"zh": "zho", "en": "eng", "ja": "jpn", "ko": "kor", "fr": "fra", "de": "deu", "es": "spa", "it": "ita",
            "pt": "por", "ru": "rus", "ar": "ara", "hi": "hin", "vi": "vie", "th": "tha", "id": "ind", "yue": "yue"}


# ---------------------------------------------------------------------------------------- reading
def read_subtitles(path: Path, field: str = "subtitle_work_id"):
    """A subtitle file (SRT, WebVTT, ASS/SSA; UTF-8, UTF-16 or GB18030) as a pysubs2 SSAFile with its cues.

    Anything else is an EngineError naming `field`."""
    import pysubs2

    accepted = ", ".join(FORMATS.values())
    if path.stat().st_size > MAX_SUBTITLE_BYTES:
        raise EngineError(f"{field}: the file is larger than {MAX_SUBTITLE_BYTES >> 20} MB, too large for a "
                          f"subtitle file ({accepted})")
    raw = path.read_bytes()
    text = _decode(raw)
    if text is None:
        raise EngineError(f"{field}: the file is not a subtitle file: it is not text (accepted: {accepted})")
    try:
        subs = pysubs2.SSAFile.from_string(text)
    except (pysubs2.Pysubs2Error, ValueError, KeyError, IndexError) as e:
        reason = "its format is not recognised" if isinstance(e, pysubs2.FormatAutodetectionError) else str(e)[:200]
        raise EngineError(f"{field}: the file is not a subtitle file ({reason}); accepted: {accepted}") from None
    if subs.format not in FORMATS:
        raise EngineError(f"{field}: the file reads as {subs.format!r} subtitles, which the studio does not take; "
                          f"accepted: {accepted}")
    subs.events = [e for e in subs.events if not e.is_comment and e.plaintext.strip() and e.end > e.start]
    if not subs.events:
        raise EngineError(f"{field}: the {FORMATS[subs.format]} file holds no cue with text and a duration")
    subs.sort()
    return subs


def _decode(raw: bytes) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    elif b"\x00" in raw:
        return None  # binary
    else:
        encodings = ("utf-8-sig", "gb18030")  # Chinese subtitle files are often GBK (a subset of GB18030)
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


# ---------------------------------------------------------------------------------------- burning in
@functools.lru_cache(maxsize=1)
def cjk_font() -> Path:
    """The Noto Sans CJK font file (its folder is given to libass), or an EngineError saying how to get it."""
    for folder in FONT_DIRS:
        for name in FONT_FILES:
            if (Path(folder) / name).is_file():
                return Path(folder) / name
    found = _fontconfig_match(FONT_FAMILY)
    if found and "CJK" in Path(found).name and Path(found).is_file():
        return Path(found)
    raise EngineError(f"burning in subtitles needs the {FONT_FAMILY} font: {FONT_HINT}; or set burn to false "
                      "for a soft subtitle track")


def _fontconfig_match(family: str) -> str:
    """The file fontconfig would use for `family` ('' without fontconfig)."""
    try:
        done = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def filter_value(value: str) -> str:
    """`value` as one option of one filter in an ffmpeg filter graph (-vf), escaped for both of ffmpeg's readings.

    ffmpeg reads a graph twice: first the graph (where \\ ' [ ] , ; are special), then each filter's options
    (where \\ ' : are special). So a path like /a b/it's:[1],x.ass is escaped for the options first, then the
    result again for the graph."""
    options_level = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", options_level)


def font_pixels(info: MediaInfo, font_size: int) -> int:
    """The burned text size: as asked, or about 1/18 of the frame's shorter side (20 px at 360p, 59 at 1080p)."""
    return font_size or max(12, round(min(info.width, info.height) * 0.055))


def styled_for_frame(subs, info: MediaInfo, font_size: int):
    """SRT/WebVTT cues as ASS on a canvas the size of the frame: white Noto Sans CJK with a dark outline, bottom
    centre. An ASS file keeps its styles; a font_size given rescales them."""
    import pysubs2

    if subs.format in ("ass", "ssa"):
        if font_size:
            canvas = float(subs.info.get("PlayResY") or 288)  # libass's canvas when the file names none
            for style in subs.styles.values():
                style.fontsize = round(font_size * canvas / info.height, 2)
        return subs
    size = font_pixels(info, font_size)
    subs.info.update({"PlayResX": str(info.width), "PlayResY": str(info.height), "ScaledBorderAndShadow": "yes",
                      "WrapStyle": "0"})
    subs.styles = {"Default": pysubs2.SSAStyle(
        fontname=FONT_FAMILY, fontsize=size, primarycolor=pysubs2.Color(255, 255, 255, 0),
        outlinecolor=pysubs2.Color(0, 0, 0, 0), backcolor=pysubs2.Color(0, 0, 0, 128), bold=False,
        outline=max(1.0, round(size / 14, 1)), shadow=0, alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginl=round(info.width * 0.05), marginr=round(info.width * 0.05), marginv=round(info.height * 0.05))}
    for event in subs.events:
        event.style = "Default"
    return subs


@functools.lru_cache(maxsize=1)
def _has_libass() -> bool:
    done = subprocess.run([ffmpeg.tool(), "-hide_banner", "-filters"], capture_output=True, text=True, timeout=60)
    return bool(re.search(r"^\s*\S+\s+subtitles\s", done.stdout, re.MULTILINE))


def burn(video: Path, info: MediaInfo, ass: Path, out: Path, encoding: Encoding, on_progress=None,
         cancelled=None) -> Path:
    """Draw the cues of the ASS file `ass` into the picture (libass), re-encoding the video as H.264."""
    if not _has_libass():
        raise EngineError("this ffmpeg was built without libass (no 'subtitles' filter), so it cannot burn in "
                          f"subtitles: {ffmpeg.INSTALL_HINT}; or set burn to false for a soft subtitle track")
    graph = f"subtitles=filename={filter_value(str(ass))}:fontsdir={filter_value(str(cjk_font().parent))}"
    ffmpeg.run(["-i", str(video), "-map", "0:v:0", "-map", "0:a?", "-vf", graph,
                *encoding_args(encoding, info.has_audio), str(out)],
               duration=info.duration, on_progress=on_progress, cancelled=cancelled, what="burning in subtitles")
    return out


# ---------------------------------------------------------------------------------------- soft track
def soft_track(video: Path, info: MediaInfo, srt: Path, out: Path, encoding: Encoding, language: str | None = None,
               on_progress=None, cancelled=None) -> Path:
    """Picture and sound as they are (re-encoded only when an MP4 can't hold them) plus a mov_text track."""
    if info.video_codec in MP4_VIDEO and (not info.has_audio or info.audio_codec in MP4_AUDIO):
        codecs = ["-c:v", "copy", "-c:a", "copy"]
    else:
        codecs = encoding_args(encoding, info.has_audio)
    tags = ["-metadata:s:s:0", f"language={ISO639_2.get(language or '', 'und')}"]
    ffmpeg.run(["-i", str(video), "-i", str(srt), "-map", "0:v:0", "-map", "0:a?", "-map", "1:0", *codecs,
                "-c:s", "mov_text", *tags, "-movflags", "+faststart", str(out)],
               duration=info.duration, on_progress=on_progress, cancelled=cancelled, what="adding the subtitle track")
    return out


# ---------------------------------------------------------------------------------------- the task
def run(recipe: SubtitlesRecipe, ctx: Context) -> list[Output]:
    video = ctx.input_path(recipe.video_work_id)
    info = ffmpeg.probe_video(video)
    name = transcribe.slug(ctx.input_work(recipe.video_work_id).get("title") or video.name)
    if recipe.burn:
        cjk_font()  # a missing font is said before any transcription time is spent
    outputs: list[Output] = []
    if recipe.subtitle_work_id:
        subs = read_subtitles(ctx.input_path(recipe.subtitle_work_id))
        language, parents, parent_outputs, done = recipe.language, [recipe.video_work_id,
                                                                    recipe.subtitle_work_id], [], 0.0
    else:
        done = 0.7 if recipe.burn else 0.95  # the share of the bar transcription takes
        transcript = transcribe.transcribe_video(video, info, recipe.language, transcribe.models_dir(), ctx, done)
        max_chars = TranscribeRecipe.model_fields["max_line_chars"].default
        subs = transcribe.subtitle_file(transcribe.cues(transcript, max_chars))
        subs.format = "srt"
        language = transcript.language
        srt = ctx.workdir / f"{name}.{language}.srt"
        srt.write_text(subs.to_string("srt"), encoding="utf-8")
        outputs.append(Output(
            kind="text", media_type="application/x-subrip", path=srt, title=f"{name} — subtitles ({language})",
            text=transcript.text, filename=srt.name, parents=[recipe.video_work_id], model=transcript.model,
            model_hash=transcript.model_sha256, tags=["subtitles", f"lang:{language}"],
            meta={"language": language, "language_probability": transcript.language_probability,
                  "model": transcript.model, "model_sha256": transcript.model_sha256, "cues": len(subs.events),
                  "max_line_chars": max_chars}))
        parents, parent_outputs = [recipe.video_work_id], [0]

    def on_progress(fraction: float) -> None:
        ctx.progress(done + (1 - done) * fraction, "burning in subtitles" if recipe.burn else "adding the track")

    out = ctx.workdir / f"{name}.subtitled.mp4"
    cancelled = cancel_question(ctx)
    if recipe.burn:
        ass = ctx.workdir / "burn.ass"
        styled_for_frame(subs, info, recipe.font_size).save(str(ass), format_="ass")
        burn(video, info, ass, out, recipe.encoding, on_progress, cancelled)
    else:
        srt = ctx.workdir / "track.srt"
        srt.write_text(subs.to_string("srt"), encoding="utf-8")
        soft_track(video, info, srt, out, recipe.encoding, language, on_progress, cancelled)
    ctx.check_cancelled()
    text = "\n".join(e.plaintext for e in subs.events)
    meta = {"subtitles": "burned" if recipe.burn else "soft", "cues": len(subs.events), "language": language,
            "probe": ffmpeg.probe(out).to_dict()}
    if recipe.burn and subs.format in ("ass", "ssa"):
        meta.update({"font": "the file's styles", "font_size": recipe.font_size or None})
    elif recipe.burn:
        meta.update({"font": FONT_FAMILY, "font_size": font_pixels(info, recipe.font_size)})
    ctx.progress(1.0, f"{len(subs.events)} subtitles " + ("burned in" if recipe.burn else "as a soft track"))
    outputs.append(Output(kind="video", media_type="video/mp4", path=out, title=f"{name} — subtitled",
                          text=text[:100_000], filename=out.name, parents=parents, parent_outputs=parent_outputs,
                          meta=meta, tags=["subtitles"], authorship="ai" if not recipe.subtitle_work_id
                          else "co-created"))
    return outputs
